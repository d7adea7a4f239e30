"""The `synthetic` data set: faces drawn by the renderer, with their action units and masks."""

from __future__ import annotations

import numpy as np

from varemotion.data.splits import Split
from varemotion.faces import AU_NAMES, IDENTITY_NAMES, generate_faces

#: Offsets that give each split its own stream of random faces from one seed.
SPLIT_SEED_OFFSETS = {"train": 0, "val": 1, "test": 2}


def build_synthetic_splits(settings: dict, emotions: list[str]) -> dict[str, Split]:
    """Generate train/val/test faces from the `data.synthetic` config section.

    Every split stores the action units (`au`) and identity parameters of each face; the test
    split also stores the exact action-unit region masks (`au_masks`, for the explainability
    stage). The same settings always give byte-identical splits.
    """
    return {name: build_synthetic_split(settings, emotions, name) for name in SPLIT_SEED_OFFSETS}


def build_synthetic_split(settings: dict, emotions: list[str], name: str) -> Split:
    """One split (`train`, `val` or `test`) of :func:`build_synthetic_splits`."""
    faces = generate_faces(
        settings[f"n_{name}"],
        seed=settings["seed"] * len(SPLIT_SEED_OFFSETS) + SPLIT_SEED_OFFSETS[name],
        size=settings["image_size"],
        emotions=emotions,
        intensity=tuple(settings["intensity"]),
        jitter=settings["jitter"],
        dropout=settings["dropout"],
        noise_std=settings["noise_std"],
        with_masks=name == "test",
    )
    extras = {
        "au": faces["au"],
        "identity": faces["identity"],
        "au_names": np.array(AU_NAMES),
        "identity_names": np.array(IDENTITY_NAMES),
    }
    if "au_masks" in faces:
        extras["au_masks"] = faces["au_masks"]
    return Split(
        images=faces["images"],
        labels=faces["labels"],
        ids=np.array([f"synthetic-{name}-{i:06d}" for i in range(len(faces["labels"]))]),
        emotions=tuple(emotions),
        extras=extras,
    )
