"""Perceptual boundary sampling: classifier-guided diffusion onto decision boundaries."""

from varemotion.sampling.filters import OUTCOMES, guidance_outcome, keep_controversial, keep_uncertainty
from varemotion.sampling.guided import RENOISE_MODES, SCHEDULERS, GuidedSamples, guided_sample, normalise_guidance
from varemotion.sampling.objectives import (
    Objective,
    controversial,
    controversial_loss,
    uncertainty,
    uncertainty_loss,
)
from varemotion.sampling.pairs import PairSamples, all_ordered_pairs, sample_pairs
from varemotion.sampling.sets import KINDS, SampleSet, load_sample_set, save_sample_set

__all__ = [
    "KINDS",
    "OUTCOMES",
    "RENOISE_MODES",
    "SCHEDULERS",
    "GuidedSamples",
    "Objective",
    "PairSamples",
    "SampleSet",
    "all_ordered_pairs",
    "controversial",
    "controversial_loss",
    "guidance_outcome",
    "guided_sample",
    "keep_controversial",
    "keep_uncertainty",
    "load_sample_set",
    "normalise_guidance",
    "sample_pairs",
    "save_sample_set",
    "uncertainty",
    "uncertainty_loss",
]
