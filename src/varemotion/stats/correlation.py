"""Across images, does a classifier's softmax entropy track the entropy of human responses?

:func:`entropy_correlation` gives the Spearman (or Pearson) correlation with

- a paired bootstrap confidence interval (:func:`scipy.stats.bootstrap`, images resampled with
  their two entropies together) by the bias-corrected and accelerated (BCa) method: the sampling
  distribution of a correlation is skewed and its bootstrap distribution biased when the
  correlation is far from 0, which the percentile method ignores and BCa corrects;
- a two-sided permutation p-value (:func:`scipy.stats.permutation_test`, permutation_type
  'pairings': the human entropies are shuffled across images, which is exact under the null of no
  association and needs no normality).

Images that share their starting noise (``clusters``, see :mod:`varemotion.stats.clusters`) are
not independent: given clusters, the interval resamples whole clusters instead of images
(``resampled`` says which). :func:`partial_correlation` gives the correlation with the images'
kind partialled out: both variables (ranked, for Spearman) are residualised on kind indicators
by least squares and the residuals correlated; its permutation p shuffles the human residuals
(Freedman & Lane 1983).

:func:`correlation_table` does this for each classifier and method over the images with enough
ratings.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.stats

from varemotion.manifest import entropy_column
from varemotion.stats.clusters import (
    cluster_bootstrap,
    seed_clusters,
    shares_clusters,
    weighted_mean,
    weighted_pearson,
    weighted_ranks,
)

METHODS = ("spearman", "pearson")
CORRELATION_COLUMNS = ["classifier", "method", "n", "r", "ci_low", "ci_high", "p_permutation", "n_clusters",
                       "resampled"]


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
    n_clusters: int
    resampled: str

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


def _weighted(method: str, x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The correlation under resampling weights (B, N) (see :func:`~varemotion.stats.clusters.cluster_bootstrap`)."""
    if method == "pearson":
        return lambda weights: weighted_pearson(x, y, weights)
    return lambda weights: weighted_pearson(weighted_ranks(x, weights), weighted_ranks(y, weights), weights)


def _check_pair(x: np.ndarray, y: np.ndarray, method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"model and human entropy must be 1-D and of equal length, got {x.shape} and {y.shape}")
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("a correlation needs at least 3 images and entropies that vary")


def _interval(x, y, method, clusters, n_resamples, confidence, rng) -> tuple[float, float, str]:
    """BCa interval over images, or over clusters where images share one."""
    if clusters is not None and shares_clusters(np.asarray(clusters)):
        low, high = cluster_bootstrap(_weighted(method, x, y), clusters, n_resamples, confidence, rng)
        return low, high, "cluster"
    statistic = _STATISTICS[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        interval = scipy.stats.bootstrap((x, y), statistic, paired=True, vectorized=True, n_resamples=n_resamples,
                                         confidence_level=confidence, method="BCa", rng=rng).confidence_interval
    return float(interval.low), float(interval.high), "image"


def entropy_correlation(
    model_entropy, human_entropy, method: str = "spearman", n_resamples: int = 9999,
    confidence: float = 0.95, seed: int | np.random.Generator | None = None, clusters=None,
) -> CorrelationResult:
    """Correlation of model and human entropy across images, with a BCa bootstrap CI and permutation p.

    ``clusters`` (one label per image) makes the interval resample clusters of images.
    """
    x = np.asarray(model_entropy, dtype=np.float64)
    y = np.asarray(human_entropy, dtype=np.float64)
    _check_pair(x, y, method)
    rng = np.random.default_rng(seed)
    statistic = _STATISTICS[method]
    r = float(statistic(x, y))
    low, high, resampled = _interval(x, y, method, clusters, n_resamples, confidence, rng)
    permutation = scipy.stats.permutation_test((x, y), statistic, permutation_type="pairings", vectorized=True,
                                               n_resamples=n_resamples, alternative="two-sided", rng=rng)
    n_clusters = len(np.unique(clusters)) if clusters is not None else len(x)
    return CorrelationResult(method=method, r=r, ci_low=low, ci_high=high, confidence=confidence,
                             p_permutation=float(permutation.pvalue), n=len(x), n_clusters=n_clusters,
                             resampled=resampled)


def _kind_codes(kinds) -> np.ndarray:
    return pd.factorize(pd.Series(kinds).astype(str))[0]


def _within_kind(values: np.ndarray, codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(B, N): values minus their weighted mean within each kind (least-squares residuals on kind indicators)."""
    values = np.broadcast_to(values, weights.shape)
    residuals = np.empty(weights.shape)
    for code in np.unique(codes):
        members = codes == code
        mean = weighted_mean(values[:, members], weights[:, members])
        residuals[:, members] = values[:, members] - mean[:, None]
    return residuals


def _partial(method: str, x: np.ndarray, y: np.ndarray, codes: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def statistic(weights: np.ndarray) -> np.ndarray:
        rx, ry = (weighted_ranks(x, weights), weighted_ranks(y, weights)) if method == "spearman" else (x, y)
        return weighted_pearson(_within_kind(rx, codes, weights), _within_kind(ry, codes, weights), weights)
    return statistic


def partial_correlation(
    model_entropy, human_entropy, kinds, method: str = "spearman", n_resamples: int = 9999,
    confidence: float = 0.95, seed: int | np.random.Generator | None = None, clusters=None,
) -> CorrelationResult:
    """The correlation of model and human entropy with the images' kind partialled out (module docstring)."""
    x = np.asarray(model_entropy, dtype=np.float64)
    y = np.asarray(human_entropy, dtype=np.float64)
    _check_pair(x, y, method)
    codes = _kind_codes(kinds)
    rng = np.random.default_rng(seed)
    clusters = np.arange(len(x)) if clusters is None else np.asarray(clusters)
    statistic = _partial(method, x, y, codes)
    r = float(statistic(np.ones((1, len(x))))[0])
    low, high = cluster_bootstrap(statistic, clusters, n_resamples, confidence, rng)
    ones = np.ones((1, len(x)))
    ranked = (scipy.stats.rankdata(x), scipy.stats.rankdata(y)) if method == "spearman" else (x, y)
    residuals = tuple(_within_kind(v, codes, ones)[0] for v in ranked)
    permutation = scipy.stats.permutation_test(residuals, _pearson, permutation_type="pairings", vectorized=True,
                                               n_resamples=n_resamples, alternative="two-sided", rng=rng)
    return CorrelationResult(method=method, r=r, ci_low=low, ci_high=high, confidence=confidence,
                             p_permutation=float(permutation.pvalue), n=len(x), n_clusters=len(np.unique(clusters)),
                             resampled="cluster" if shares_clusters(clusters) else "image")


def rated_images(per_image: pd.DataFrame, require_enough_ratings: bool = True) -> pd.DataFrame:
    """The images with a human entropy (and enough ratings, when ``require_enough_ratings``)."""
    images = per_image[per_image["human_entropy"].notna()]
    if require_enough_ratings:
        images = images[images["enough_ratings"].astype(bool)]
    return images


def correlation_table(
    per_image: pd.DataFrame, classifiers: Sequence[str], methods: Sequence[str] = METHODS, *,
    kinds: Sequence[str] | None = None, n_resamples: int = 9999, confidence: float = 0.95,
    seed: int | None = None, require_enough_ratings: bool = True,
) -> pd.DataFrame:
    """One row per classifier × method: the model–human entropy correlation (columns :data:`CORRELATION_COLUMNS`).

    Uses the images with a human entropy (and enough ratings, when ``require_enough_ratings``),
    of the given ``kinds`` (all when None); images sharing a seed are resampled together. Each
    row is computed with the same ``seed``. Where fewer than 3 images are left or their
    entropies do not vary, a row has its n and no numbers.
    """
    images = rated_images(per_image, require_enough_ratings)
    if kinds is not None:
        images = images[images["kind"].isin(list(kinds))]
    clusters = seed_clusters(images)
    rows = []
    for name in classifiers:
        for method in methods:
            row = {"classifier": name, "method": method, "n": len(images)}
            try:
                result = entropy_correlation(images[entropy_column(name)], images["human_entropy"], method,
                                             n_resamples=n_resamples, confidence=confidence, seed=seed,
                                             clusters=clusters)
            except ValueError:
                rows.append(row)
                continue
            rows.append(row | {c: getattr(result, c) for c in CORRELATION_COLUMNS[1:]})
    return pd.DataFrame(rows).reindex(columns=CORRELATION_COLUMNS)
