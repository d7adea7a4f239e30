"""Labelled synthetic face data sets: balanced labels, AUs, identities, images, region masks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from varemotion.emotions import BASIC_EMOTIONS
from varemotion.faces.action_units import (
    AU_NAMES,
    DEFAULT_DROPOUT,
    DEFAULT_INTENSITY,
    DEFAULT_JITTER,
    PROTOTYPES,
    sample_expressions,
)
from varemotion.faces.identity import sample_identity
from varemotion.faces.render import DEFAULT_NOISE_STD, render


def balanced_labels(n: int, n_classes: int, generator: torch.Generator) -> torch.Tensor:
    """(n,) int64: class i for rows with index % n_classes == i, then shuffled."""
    labels = torch.arange(n) % n_classes
    return labels[torch.randperm(n, generator=generator)]


def generate_faces(
    n: int,
    seed: int,
    size: int = 48,
    emotions: Sequence[str] = BASIC_EMOTIONS,
    intensity: tuple[float, float] = DEFAULT_INTENSITY,
    jitter: float = DEFAULT_JITTER,
    dropout: float = DEFAULT_DROPOUT,
    noise_std: float = DEFAULT_NOISE_STD,
    with_masks: bool = False,
    batch_size: int = 1024,
) -> dict[str, np.ndarray]:
    """Generate `n` labelled faces; the same arguments always give byte-identical arrays.

    Returns `images` uint8 (n, size, size), `labels` int64 (n,) indexing `emotions`, `au`
    float32 (n, n_au), `identity` float32 (n, n_identity) and, with `with_masks`, `au_masks`
    bool (n, n_au, size, size).
    """
    gen = torch.Generator().manual_seed(int(seed))
    labels = balanced_labels(n, len(emotions), gen)
    au = sample_expressions(labels, gen, emotions, intensity, jitter, dropout)
    identity = sample_identity(n, gen)
    images = np.empty((n, size, size), dtype=np.uint8)
    masks = np.empty((n, len(AU_NAMES), size, size), dtype=bool) if with_masks else None
    with torch.no_grad():
        for start in range(0, n, batch_size):
            sl = slice(start, min(n, start + batch_size))
            out = render(au[sl], identity[sl], size=size, noise_std=noise_std,
                         generator=gen, return_masks=with_masks)
            img = out[0] if with_masks else out
            images[sl] = (img[:, 0] * 255 + 0.5).to(torch.uint8).numpy()
            if with_masks:
                masks[sl] = out[1].numpy()
    result = {
        "images": images,
        "labels": labels.numpy().astype(np.int64),
        "au": au.numpy().astype(np.float32),
        "identity": identity.numpy().astype(np.float32),
    }
    if with_masks:
        result["au_masks"] = masks
    return result


def emotion_masks(
    au_masks: np.ndarray | torch.Tensor,
    labels: np.ndarray | torch.Tensor,
    emotions: Sequence[str] = BASIC_EMOTIONS,
) -> np.ndarray:
    """(N, H, W) bool: per image, the union of the AU-region masks of its label's prototype.

    Neutral (empty prototype) gives an empty mask.
    """
    au_masks = np.asarray(au_masks, dtype=bool)
    labels = np.asarray(labels)
    member = np.zeros((len(emotions), len(AU_NAMES)), dtype=bool)
    for k, emotion in enumerate(emotions):
        for au in PROTOTYPES[emotion]:
            member[k, AU_NAMES.index(au)] = True
    selected = au_masks & member[labels][:, :, None, None]
    return selected.any(axis=1)
