"""Differentiable synthetic faces drawn from facial action units (AUs) and identity parameters."""

from varemotion.faces.action_units import (
    AU_DESCRIPTIONS,
    AU_NAMES,
    DEFAULT_DROPOUT,
    DEFAULT_INTENSITY,
    DEFAULT_JITTER,
    PROTOTYPES,
    au_index,
    prototype_matrix,
    sample_expressions,
)
from varemotion.faces.generate import balanced_labels, emotion_masks, generate_faces
from varemotion.faces.identity import (
    IDENTITY_NAMES,
    IDENTITY_RANGES,
    clamp_identity,
    identity_index,
    neutral_identity,
    sample_identity,
)
from varemotion.faces.render import DEFAULT_NOISE_STD, render

__all__ = [
    "AU_DESCRIPTIONS", "AU_NAMES", "DEFAULT_DROPOUT", "DEFAULT_INTENSITY", "DEFAULT_JITTER",
    "DEFAULT_NOISE_STD", "IDENTITY_NAMES", "IDENTITY_RANGES", "PROTOTYPES", "au_index",
    "balanced_labels", "clamp_identity", "emotion_masks", "generate_faces", "identity_index",
    "neutral_identity", "prototype_matrix", "render", "sample_expressions", "sample_identity",
]
