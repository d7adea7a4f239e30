"""Facial action units (FACS), EMFACS-style emotion prototypes and expression sampling."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from varemotion.emotions import BASIC_EMOTIONS

#: The action units the renderer draws, in column order of every AU tensor.
AU_NAMES = (
    "AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9",
    "AU12", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26",
)

#: Short FACS descriptions, for figures and reports.
AU_DESCRIPTIONS = {
    "AU1": "inner brow raiser",
    "AU2": "outer brow raiser",
    "AU4": "brow lowerer",
    "AU5": "upper lid raiser",
    "AU6": "cheek raiser",
    "AU7": "lid tightener",
    "AU9": "nose wrinkler",
    "AU12": "lip corner puller",
    "AU15": "lip corner depressor",
    "AU17": "chin raiser",
    "AU20": "lip stretcher",
    "AU23": "lip tightener",
    "AU25": "lips part",
    "AU26": "jaw drop",
}

#: EMFACS-style prototypes: emotion -> {AU: activation at full intensity}.
#: Optional AUs of the EMFACS tables get weights below 1.
PROTOTYPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happiness": {"AU6": 1.0, "AU12": 1.0, "AU25": 0.5},
    "surprise": {"AU1": 1.0, "AU2": 1.0, "AU5": 1.0, "AU26": 1.0, "AU25": 0.6},
    "sadness": {"AU1": 1.0, "AU4": 1.0, "AU15": 1.0, "AU17": 0.5},
    "anger": {"AU4": 1.0, "AU5": 1.0, "AU7": 1.0, "AU23": 1.0, "AU17": 0.5},
    "disgust": {"AU9": 1.0, "AU15": 1.0, "AU17": 1.0, "AU4": 0.3},
    "fear": {"AU1": 1.0, "AU2": 1.0, "AU4": 1.0, "AU5": 1.0, "AU7": 1.0, "AU20": 1.0,
             "AU26": 1.0, "AU25": 0.5},
}

#: Defaults of `sample_expressions`, chosen so that the default classifiers reach 85–95 % test
#: accuracy (benchmarks/synthetic_accuracy.py): classes overlap at low intensity and under
#: dropout, so the task is learnable but not trivially separable.
DEFAULT_INTENSITY = (0.4, 1.0)
DEFAULT_JITTER = 0.1
DEFAULT_DROPOUT = 0.15


def au_index(name: str) -> int:
    """Column of action unit `name` (e.g. "AU12") in AU tensors."""
    return AU_NAMES.index(name)


def prototype_matrix(emotions: Sequence[str] = BASIC_EMOTIONS) -> torch.Tensor:
    """(K, n_au) float tensor: row k holds the prototype activations of `emotions[k]`."""
    unknown = [e for e in emotions if e not in PROTOTYPES]
    if unknown:
        raise ValueError(f"no AU prototype for emotion(s) {unknown}; known: {sorted(PROTOTYPES)}")
    mat = torch.zeros(len(emotions), len(AU_NAMES))
    for k, emotion in enumerate(emotions):
        for au, weight in PROTOTYPES[emotion].items():
            mat[k, au_index(au)] = weight
    return mat


def sample_expressions(
    labels: torch.Tensor,
    generator: torch.Generator | None = None,
    emotions: Sequence[str] = BASIC_EMOTIONS,
    intensity: tuple[float, float] = DEFAULT_INTENSITY,
    jitter: float = DEFAULT_JITTER,
    dropout: float = DEFAULT_DROPOUT,
) -> torch.Tensor:
    """Random AU activations (N, n_au) in [0, 1] for class indices `labels` into `emotions`.

    Each face gets its prototype scaled by an intensity drawn from U(intensity), each prototype
    AU dropped with probability `dropout`, and |N(0, jitter)| added to the other AUs.
    """
    labels = torch.as_tensor(labels, dtype=torch.long)
    proto = prototype_matrix(emotions)[labels]
    n = labels.shape[0]
    lo, hi = intensity
    scale = lo + (hi - lo) * torch.rand(n, 1, generator=generator)
    keep = (torch.rand(proto.shape, generator=generator) >= dropout).float()
    noise = torch.randn(proto.shape, generator=generator).abs() * jitter
    off = (proto == 0).float()
    return (proto * scale * keep + off * noise).clamp(0.0, 1.0)
