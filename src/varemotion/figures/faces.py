"""Grids of face images: a data set's examples per emotion, and the renderer's prototypes."""

from __future__ import annotations

import numpy as np
import torch

from varemotion.data import Split
from varemotion.figures.style import bare_axis, new_figure


def face_grid(rows: list[np.ndarray], row_labels: list[str], column_labels: list[str] | None = None,
              cell: float = 0.9):
    """A grid of grey faces: one row per label, images uint8 (n, H, W) or float in [0, 1], `cell` inches each."""
    columns = max(len(r) for r in rows)
    fig, axes = new_figure(len(rows), columns, figsize=(cell * columns + 0.8, cell * len(rows)), squeeze=False)
    for r, (images, label) in enumerate(zip(rows, row_labels)):
        for c in range(columns):
            ax = axes[r, c]
            bare_axis(ax)
            if c < len(images):
                ax.imshow(images[c], cmap="gray", vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center")
            if column_labels and r == 0:
                ax.set_title(column_labels[c], fontsize=7)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


def dataset_grid_figure(split: Split, columns: int = 8, seed: int = 0):
    """Random training faces of each emotion of a data set, one row per emotion."""
    rng = np.random.default_rng(seed)
    images = split.images if split.images.ndim == 3 else split.images.mean(axis=-1).astype(np.uint8)
    rows, labels = [], []
    for index, emotion in enumerate(split.emotions):
        members = np.flatnonzero(split.labels == index)
        chosen = rng.choice(members, size=min(columns, len(members)), replace=False)
        rows.append(images[np.sort(chosen)])
        labels.append(f"{emotion}\n(n={len(members)})")
    return face_grid(rows, labels)


def synthetic_faces_figure(emotions: list[str], columns: int = 8, image_size: int = 48, seed: int = 0):
    """Each emotion's prototype on `columns` identities, at intensity rising from left to right."""
    from varemotion.faces import PROTOTYPES, AU_NAMES, render, sample_identity

    generator = torch.Generator().manual_seed(seed)
    identity = sample_identity(columns, generator)
    intensity = torch.linspace(0.4, 1.0, columns)
    rows = []
    for emotion in emotions:
        au = torch.zeros(columns, len(AU_NAMES))
        for name, weight in PROTOTYPES[emotion].items():
            au[:, AU_NAMES.index(name)] = weight * intensity
        with torch.no_grad():
            rows.append(render(au, identity, size=image_size, noise_std=0.0)[:, 0].numpy())
    return face_grid(rows, list(emotions), [f"intensity {i:.2f}" for i in intensity.tolist()])
