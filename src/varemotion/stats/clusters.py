"""Images that share their starting noise: seed clusters, cluster bootstrap and paired differences.

Image n of every sample set starts from the noise seeded ``sampling.seed + n`` (the manifest's
``seed`` column), and the default sampler is deterministic, so an uncertainty, a controversial
and a control image with the same seed are not independent: they start from the same face.

- :func:`seed_clusters` labels each image with its seed (an image without one is its own cluster);
- :func:`cluster_bootstrap` gives a BCa confidence interval of any statistic of the images by
  resampling whole clusters (:func:`scipy.stats.bootstrap` on the cluster labels), so that
  images sharing a seed enter or leave a resample together; the statistic sees a resample as
  weights (how often each image occurs in it), which makes every resample one array operation;
- :func:`seed_pairs` and :func:`paired_comparison` compare boundary and control images that
  share a seed: per seed the boundary images' mean minus the control's, tested with the
  Wilcoxon signed-rank test across seeds (:func:`scipy.stats.wilcoxon`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.stats

PAIRED_FIELDS = ["n_pairs", "paired_mean_difference", "paired_median_difference", "paired_ci_low",
                 "paired_ci_high", "p_paired_two_sided", "p_paired_greater"]


def seed_clusters(table: pd.DataFrame) -> np.ndarray:
    """An integer cluster label per row: rows with the same whole-number ``seed`` share one.

    Rows without a seed (no column, blank or not a whole number) each get a label of their own.
    """
    if "seed" not in table.columns:
        return np.arange(len(table), dtype=np.int64)
    seeds = pd.to_numeric(table["seed"], errors="coerce").to_numpy(dtype=float)
    known = np.isfinite(seeds) & (seeds % 1 == 0)
    labels = np.empty(len(table), dtype=np.int64)
    codes, _ = pd.factorize(seeds[known])
    labels[known] = codes
    labels[~known] = (codes.max() + 1 if len(codes) else 0) + np.arange((~known).sum())
    return labels


def shares_clusters(clusters: np.ndarray) -> bool:
    """Whether any two images share a cluster."""
    return len(np.unique(clusters)) < len(clusters)


def cluster_bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray], clusters: np.ndarray, n_resamples: int = 9999,
    confidence: float = 0.95, seed: int | np.random.Generator | None = None,
) -> tuple[float, float]:
    """BCa interval of a statistic of the images over resampled clusters.

    A resample of clusters is a multiset of images: ``statistic(weights)`` gets a (B, N) array
    of how often each of the N images occurs in each of B resamples and returns B values (see
    :func:`weighted_mean`, :func:`weighted_ranks`, :func:`weighted_pearson`), so that all
    resamples are computed at once. NaN bounds when there are fewer than 2 clusters; where some
    resamples give NaN, the percentile interval of the others.
    """
    result = cluster_bootstrap_result(statistic, clusters, n_resamples, confidence, seed)
    if result is None:
        return np.nan, np.nan
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    values = result.bootstrap_distribution[np.isfinite(result.bootstrap_distribution)]
    if not (np.isfinite(low) and np.isfinite(high)) and len(values) >= 2:
        # Some resamples have no value (e.g. no image of one group): BCa fails on them; the
        # percentile interval of the others remains.
        low, high = np.percentile(values, [50 * (1 - confidence), 50 * (1 + confidence)])
    return float(low), float(high)


def bootstrap_p(distribution: np.ndarray) -> float:
    """Two-sided p of 'the statistic is 0' from its bootstrap distribution: twice the smaller tail at 0.

    Each tail counts as (k + 1) / (B + 1) of the B finite resamples, so p is never 0.
    """
    values = np.asarray(distribution, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return np.nan
    tails = [(np.sum(values <= 0) + 1) / (len(values) + 1), (np.sum(values >= 0) + 1) / (len(values) + 1)]
    return float(min(1.0, 2 * min(tails)))


def cluster_bootstrap_result(statistic, clusters, n_resamples: int = 9999, confidence: float = 0.95, seed=None):
    """:func:`scipy.stats.bootstrap`'s result for :func:`cluster_bootstrap` (None with fewer than 2 clusters)."""
    labels, members = np.unique(np.asarray(clusters), return_inverse=True)
    if len(labels) < 2:
        return None

    def resampled(picked: np.ndarray, axis: int = -1) -> np.ndarray:
        picked = np.moveaxis(np.asarray(picked), axis, -1).astype(np.int64)
        batch = np.atleast_2d(picked).reshape(-1, picked.shape[-1])
        counts = np.zeros((len(batch), len(labels)))
        np.add.at(counts, (np.arange(len(batch))[:, None], batch), 1.0)
        return statistic(counts[:, members]).reshape(picked.shape[:-1])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return scipy.stats.bootstrap((np.arange(len(labels)),), resampled, vectorized=True, n_resamples=n_resamples,
                                     confidence_level=confidence, method="BCa", rng=np.random.default_rng(seed))


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The mean of ``values`` ((N,) or (B, N)) under each row of ``weights`` (B, N); NaN for a row of zeros."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights * values).sum(axis=1) / weights.sum(axis=1)


def weighted_ranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(B, N): each image's average rank in the multiset where it occurs ``weights[b]`` times.

    Equal to :func:`scipy.stats.rankdata` (average ties) of the repeated values, ties between
    distinct images included.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    group = np.add.reduceat(weights[:, order], starts, axis=1)
    rank = np.cumsum(group, axis=1) - group + (group + 1) / 2
    ranks = np.empty_like(weights, dtype=float)
    ranks[:, order] = np.repeat(rank, np.diff(np.r_[starts, len(values)]), axis=1)
    return ranks


def weighted_pearson(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson's r of x and y (each (N,) or (B, N)) under each row of ``weights``; NaN where one is constant."""
    x, y = np.broadcast_to(x, weights.shape), np.broadcast_to(y, weights.shape)
    total = weights.sum(axis=1, keepdims=True)
    dx = x - (weights * x).sum(axis=1, keepdims=True) / total
    dy = y - (weights * y).sum(axis=1, keepdims=True) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (weights * dx * dy).sum(axis=1) / np.sqrt((weights * dx**2).sum(axis=1) * (weights * dy**2).sum(axis=1))
    return np.where(np.isfinite(r), np.clip(r, -1.0, 1.0), np.nan)


def seed_pairs(values: pd.Series, clusters: np.ndarray, boundary: np.ndarray, control: np.ndarray) -> pd.DataFrame:
    """Per cluster with both a boundary and a control image: their mean values and the difference.

    ``boundary`` and ``control`` are boolean masks over the images; columns cluster, boundary,
    control, difference (boundary − control).
    """
    frame = pd.DataFrame({"cluster": clusters, "value": np.asarray(values, dtype=float)})
    means = {name: frame[mask].groupby("cluster")["value"].mean() for name, mask in
             (("boundary", np.asarray(boundary, bool)), ("control", np.asarray(control, bool)))}
    pairs = pd.concat(means, axis=1, join="inner").reset_index()
    return pairs.assign(difference=pairs["boundary"] - pairs["control"])


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def paired_comparison(differences, n_resamples: int = 9999, confidence: float = 0.95,
                      seed: int | np.random.Generator | None = None) -> dict:
    """The :data:`PAIRED_FIELDS` of per-seed differences: mean, median, BCa CI of the mean, Wilcoxon p."""
    d = np.asarray(differences, dtype=float)
    result = dict.fromkeys(PAIRED_FIELDS, np.nan) | {"n_pairs": len(d)}
    if len(d) < 2:
        return result
    result |= {"paired_mean_difference": float(d.mean()), "paired_median_difference": float(np.median(d))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        interval = scipy.stats.bootstrap((d,), _mean, vectorized=True, n_resamples=n_resamples,
                                         confidence_level=confidence, method="BCa",
                                         rng=np.random.default_rng(seed)).confidence_interval
    result |= {"paired_ci_low": float(interval.low), "paired_ci_high": float(interval.high)}
    if (d != 0).any():
        result |= {"p_paired_two_sided": float(scipy.stats.wilcoxon(d).pvalue),
                   "p_paired_greater": float(scipy.stats.wilcoxon(d, alternative="greater").pvalue)}
    return result
