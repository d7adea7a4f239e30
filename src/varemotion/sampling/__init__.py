"""Perceptual boundary sampling: classifier-guided diffusion onto decision boundaries."""

from varemotion.sampling.filters import OUTCOMES, guidance_outcome, keep_controversial, keep_uncertainty
from varemotion.sampling.guided import (
    RENOISE_MODES,
    GuidedSamples,
    PairSamples,
    all_ordered_pairs,
    guided_sample,
    normalise_guidance,
    sample_pairs,
)
from varemotion.sampling.objectives import (
    Objective,
    controversial,
    controversial_loss,
    uncertainty,
    uncertainty_loss,
)

__all__ = [
    "OUTCOMES",
    "RENOISE_MODES",
    "GuidedSamples",
    "Objective",
    "PairSamples",
    "all_ordered_pairs",
    "controversial",
    "controversial_loss",
    "guidance_outcome",
    "guided_sample",
    "keep_controversial",
    "keep_uncertainty",
    "normalise_guidance",
    "sample_pairs",
    "uncertainty",
    "uncertainty_loss",
]
