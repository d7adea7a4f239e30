"""Sample sets on disk: the images of one sampling run, what each was guided towards, and how.

A set is a pickle-free `.npz` holding `images` (uint8 N×H×W[×C], quantised as they will be
shown), `i` and `j` (target class per image; −1 for unguided controls), `seeds`, `emotions`,
`guides` (names of the guiding classifiers: one for uncertainty, two for controversial, none
for controls), `kind` and the sampler `settings` as JSON.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from varemotion.atomic import write_atomically
from varemotion.data import DataError
from varemotion.data.splits import images_to_float
from varemotion.manifest import KINDS
from varemotion.sampling.pairs import PairSamples

#: Guides per kind; controls have none (unguided) or any number (each guided towards the same class).
GUIDES_PER_KIND = {"uncertainty": 1, "controversial": 2, "control": None}


def named_set_files(inputs, names) -> dict[str, dict]:
    """Each named sample set's `images` and realism `scores` among a rule's inputs, keyed set_<name> and scores_<name>."""
    return {name: {"images": inputs[f"set_{name}"], "scores": inputs[f"scores_{name}"]} for name in names}


def check_guide_count(kind: str, guides) -> None:
    """Raise ValueError when a set of this kind cannot have these guides."""
    needed = GUIDES_PER_KIND[kind]
    if needed is not None and len(guides) != needed:
        raise ValueError(f"a {kind} set needs {needed} guides, got {list(guides)}")


@dataclass
class SampleSet:
    """Images of one sampling run (see the module docstring for the arrays)."""

    kind: str
    guides: tuple[str, ...]
    emotions: tuple[str, ...]
    images: np.ndarray
    i: np.ndarray
    j: np.ndarray
    seeds: np.ndarray
    settings: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def images_float(self) -> torch.Tensor:
        """The images as float32 (N, C, H, W) in [0, 1]."""
        return images_to_float(self.images)

    def validate(self, source: str | os.PathLike[str] | None = None) -> None:
        """Raise DataError naming `source` if the arrays disagree with each other or the kind."""
        n = len(self)
        if self.kind not in KINDS:
            raise DataError(source, f"kind {self.kind!r} is not one of {KINDS}")
        try:
            check_guide_count(self.kind, self.guides)
        except ValueError as error:
            raise DataError(source, str(error)) from None
        if self.images.dtype != np.uint8 or self.images.ndim not in (3, 4):
            raise DataError(source, f"images are {self.images.dtype} {self.images.shape}, expected uint8 (N, H, W[, C])")
        for name in ("i", "j", "seeds"):
            array = getattr(self, name)
            if array.dtype != np.int64 or array.shape != (n,):
                raise DataError(source, f"array {name!r} is {array.dtype} {array.shape}, expected int64 ({n},)")
        low = -1 if self.kind == "control" else 0
        for name in ("i", "j"):
            array = getattr(self, name)
            if n and (array.min() < low or array.max() >= len(self.emotions)):
                raise DataError(source, f"array {name!r} holds targets outside {low}..{len(self.emotions) - 1}")


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Float images (N, C, H, W) in [0, 1] → uint8 (N, H, W) grey or (N, H, W, C)."""
    array = (images.detach().clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    return (array[:, 0] if array.shape[1] == 1 else array.permute(0, 2, 3, 1)).numpy()


def sample_set_from_pairs(
    samples: PairSamples, kind: str, guides: list[str], emotions: list[str]
) -> SampleSet:
    """A `SampleSet` from `sample_pairs` output; unguided controls keep no targets (−1)."""
    pairs = samples.pairs.numpy().astype(np.int64)
    if kind == "control" and not guides:
        pairs = np.full_like(pairs, -1)
    return SampleSet(
        kind=kind, guides=tuple(guides), emotions=tuple(emotions), images=to_uint8(samples.images),
        i=pairs[:, 0].copy(), j=pairs[:, 1].copy(), seeds=samples.seeds.numpy().astype(np.int64),
        settings=dict(samples.settings),
    )


def save_sample_set(path: str | os.PathLike[str], sample_set: SampleSet) -> Path:
    """Validate and write a set atomically as a compressed `.npz`."""
    path = Path(path)
    sample_set.validate(path)
    arrays = {
        "images": sample_set.images, "i": sample_set.i, "j": sample_set.j, "seeds": sample_set.seeds,
        "emotions": np.asarray(sample_set.emotions, dtype=str), "guides": np.asarray(sample_set.guides, dtype=str),
        "kind": np.asarray(sample_set.kind), "settings": np.asarray(json.dumps(sample_set.settings)),
    }
    write_atomically(path, lambda handle: np.savez_compressed(handle, **arrays))
    return path


def load_sample_set(path: str | os.PathLike[str]) -> SampleSet:
    """Read and validate a set written by `save_sample_set` (never unpickles)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise DataError(path, "sample set does not exist") from None
    except (OSError, ValueError) as error:
        raise DataError(path, f"cannot be read as a sample set ({error})") from None
    missing = {"images", "i", "j", "seeds", "emotions", "guides", "kind", "settings"} - set(arrays)
    if missing:
        raise DataError(path, f"sample set lacks arrays {sorted(missing)}")
    sample_set = SampleSet(
        kind=str(arrays["kind"]), guides=tuple(arrays["guides"].tolist()), emotions=tuple(arrays["emotions"].tolist()),
        images=arrays["images"], i=arrays["i"], j=arrays["j"], seeds=arrays["seeds"],
        settings=json.loads(str(arrays["settings"])),
    )
    sample_set.validate(path)
    return sample_set
