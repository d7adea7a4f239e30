"""Across images, does a classifier's softmax entropy track the entropy of human responses?

:func:`entropy_correlation` gives the Spearman (or Pearson) correlation with

- a paired bootstrap confidence interval (:func:`scipy.stats.bootstrap`, images resampled with
  their two entropies together) by the bias-corrected and accelerated (BCa) method: the sampling
  distribution of a correlation is skewed and its bootstrap distribution biased when the
  correlation is far from 0, which the percentile method ignores and BCa corrects;
- a two-sided permutation p-value (:func:`scipy.stats.permutation_test`, permutation_type
  'pairings': the human entropies are shuffled across images, which is exact under the null of no
  association and needs no normality).

:func:`correlation_table` does this for each classifier and method over the images with enough
ratings.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.stats

from varemotion.manifest import entropy_column

METHODS = ("spearman", "pearson")
CORRELATION_COLUMNS = ["classifier", "method", "n", "r", "ci_low", "ci_high", "p_permutation"]


@dataclass(frozen=True)
class CorrelationResult:
    """A correlation, its bootstrap confidence interval, its permutation p-value and the number of images."""

    method: str
    r: float
    ci_low: float
    ci_high: float
    confidence: float
    p_permutation: float
    n: int

    def to_dict(self) -> dict:
        return asdict(self)


def _pearson(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.ConstantInputWarning)
        return scipy.stats.pearsonr(x, y, axis=axis).statistic


def _spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's rho as the Pearson correlation of average ranks, vectorised along ``axis``."""
    return _pearson(scipy.stats.rankdata(x, axis=axis), scipy.stats.rankdata(y, axis=axis), axis=axis)


_STATISTICS = {"spearman": _spearman, "pearson": _pearson}


def entropy_correlation(
    model_entropy, human_entropy, method: str = "spearman", n_resamples: int = 9999,
    confidence: float = 0.95, seed: int | np.random.Generator | None = None,
) -> CorrelationResult:
    """Correlation of model and human entropy across images, with a BCa bootstrap CI and permutation p."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x = np.asarray(model_entropy, dtype=np.float64)
    y = np.asarray(human_entropy, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"model and human entropy must be 1-D and of equal length, got {x.shape} and {y.shape}")
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("a correlation needs at least 3 images and entropies that vary")
    rng = np.random.default_rng(seed)
    statistic = _STATISTICS[method]
    if method == "spearman":
        r = float(scipy.stats.spearmanr(x, y).statistic)
    else:
        r = float(scipy.stats.pearsonr(x, y).statistic)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        interval = scipy.stats.bootstrap((x, y), statistic, paired=True, vectorized=True, n_resamples=n_resamples,
                                         confidence_level=confidence, method="BCa", rng=rng).confidence_interval
    permutation = scipy.stats.permutation_test((x, y), statistic, permutation_type="pairings", vectorized=True,
                                               n_resamples=n_resamples, alternative="two-sided", rng=rng)
    return CorrelationResult(method=method, r=r, ci_low=float(interval.low), ci_high=float(interval.high),
                             confidence=confidence, p_permutation=float(permutation.pvalue), n=len(x))


def correlation_table(
    per_image: pd.DataFrame, classifiers: Sequence[str], methods: Sequence[str] = METHODS, *,
    kinds: Sequence[str] | None = None, n_resamples: int = 9999, confidence: float = 0.95,
    seed: int | None = None, require_enough_ratings: bool = True,
) -> pd.DataFrame:
    """One row per classifier × method: the model–human entropy correlation (columns :data:`CORRELATION_COLUMNS`).

    Uses the images with a human entropy (and enough ratings, when ``require_enough_ratings``),
    of the given ``kinds`` (all when None). Each row is computed with the same ``seed``.
    """
    images = per_image[per_image["human_entropy"].notna()]
    if require_enough_ratings:
        images = images[images["enough_ratings"].astype(bool)]
    if kinds is not None:
        images = images[images["kind"].isin(list(kinds))]
    rows = []
    for name in classifiers:
        for method in methods:
            result = entropy_correlation(images[entropy_column(name)], images["human_entropy"], method,
                                         n_resamples=n_resamples, confidence=confidence, seed=seed)
            rows.append({"classifier": name, "method": method, "n": result.n, "r": result.r,
                         "ci_low": result.ci_low, "ci_high": result.ci_high, "p_permutation": result.p_permutation})
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)
