"""Is human response entropy higher on images from decision boundaries than on control images?

:func:`compare_entropy` compares two independent groups of images with

- the Mann–Whitney U test (:func:`scipy.stats.mannwhitneyu`), two-sided and one-sided
  ('greater': boundary images higher), which needs no normality from bounded, tie-heavy
  entropies;
- the rank-biserial correlation r = 2·U/(n₁·n₂) − 1, with U the boundary group's statistic: the
  probability that a random boundary image has the higher entropy minus the probability that it
  has the lower one (ties count half), so positive means boundary higher, in [−1, 1];
- the difference in medians, and the difference in means with a BCa bootstrap confidence interval
  (:func:`scipy.stats.bootstrap`, each group resampled on its own; with ``clusters``, whole
  clusters of images resampled together, see :mod:`varemotion.stats.clusters`). The interval is
  for the means because the bootstrap of a median is unreliable for the few distinct values that
  human entropy takes when images have few ratings.

:func:`entropy_by_kind` summarises entropy and ratings per stimulus kind and compares each guided
kind, and all guided images together, with the controls: unpaired as above (images sharing a seed
resampled together) and paired, boundary against control images from the same noise seed
(:func:`~varemotion.stats.clusters.paired_comparison`).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.stats

from .clusters import (
    PAIRED_FIELDS,
    cluster_bootstrap,
    paired_comparison,
    seed_clusters,
    seed_pairs,
    shares_clusters,
    weighted_mean,
)

SUMMARY_COLUMNS = ["kind", "n", "mean", "median", "sd", "mean_plugin", "ratings_mean", "ratings_min",
                   "ratings_max"]
COMPARISON_FIELDS = ["n_boundary", "n_control", "median_boundary", "median_control", "median_difference",
                     "mean_difference", "ci_low", "ci_high", "u_statistic", "p_two_sided", "p_greater",
                     "rank_biserial", "n_clusters", "resampled"]


@dataclass(frozen=True)
class GroupComparison:
    """Boundary vs control images: Mann–Whitney U, rank-biserial r and the differences with a bootstrap CI."""

    n_boundary: int
    n_control: int
    median_boundary: float
    median_control: float
    median_difference: float
    mean_difference: float
    ci_low: float
    ci_high: float
    u_statistic: float
    p_two_sided: float
    p_greater: float
    rank_biserial: float
    n_clusters: int
    resampled: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EntropyByKind:
    """Entropy summary per kind (:data:`SUMMARY_COLUMNS`) and each guided kind vs control (one row each)."""

    summary: pd.DataFrame
    comparisons: pd.DataFrame


def rank_biserial(u_statistic: float, n_first: int, n_second: int) -> float:
    """The rank-biserial correlation 2·U/(n₁·n₂) − 1 of the first group's Mann–Whitney U."""
    return 2.0 * float(u_statistic) / (n_first * n_second) - 1.0


def _mean_difference(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _difference_interval(x, y, clusters, n_resamples, confidence, seed) -> tuple[float, float, str]:
    if clusters is not None and shares_clusters(np.concatenate(clusters)):
        def difference(weights: np.ndarray) -> np.ndarray:
            return weighted_mean(x, weights[:, :len(x)]) - weighted_mean(y, weights[:, len(x):])

        return (*cluster_bootstrap(difference, np.concatenate(clusters), n_resamples, confidence, seed), "cluster")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        interval = scipy.stats.bootstrap((x, y), _mean_difference, paired=False, vectorized=True,
                                         n_resamples=n_resamples, confidence_level=confidence, method="BCa",
                                         rng=np.random.default_rng(seed)).confidence_interval
    return float(interval.low), float(interval.high), "image"


def compare_entropy(
    boundary, control, n_resamples: int = 9999, confidence: float = 0.95,
    seed: int | np.random.Generator | None = None, clusters: tuple | None = None,
) -> GroupComparison:
    """Compare the entropies of boundary images with those of control images (see the module docstring).

    ``clusters`` is a pair of label arrays (boundary, control); images with the same label,
    in either group, are resampled together.
    """
    x = np.asarray(boundary, dtype=np.float64)
    y = np.asarray(control, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or len(x) < 2 or len(y) < 2:
        raise ValueError(f"each group needs at least 2 images, got {x.size} and {y.size}")
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError("entropies must not be NaN: drop unrated images first")
    two_sided = scipy.stats.mannwhitneyu(x, y, alternative="two-sided")
    greater = scipy.stats.mannwhitneyu(x, y, alternative="greater")
    low, high, resampled = _difference_interval(x, y, clusters, n_resamples, confidence, seed)
    n_clusters = len(np.unique(np.concatenate(clusters))) if clusters is not None else len(x) + len(y)
    return GroupComparison(
        n_boundary=len(x), n_control=len(y), median_boundary=float(np.median(x)), median_control=float(np.median(y)),
        median_difference=float(np.median(x) - np.median(y)), mean_difference=float(np.mean(x) - np.mean(y)),
        ci_low=low, ci_high=high, u_statistic=float(two_sided.statistic),
        p_two_sided=float(two_sided.pvalue), p_greater=float(greater.pvalue),
        rank_biserial=rank_biserial(two_sided.statistic, len(x), len(y)), n_clusters=n_clusters, resampled=resampled,
    )


def _kind_summary(images: pd.DataFrame, values: pd.Series, kinds: pd.Series) -> pd.DataFrame:
    grouped = values.groupby(kinds, sort=True)
    plugin = images["human_entropy_plugin"] if "human_entropy_plugin" in images else values
    ratings = images["n_ratings"].astype(float).groupby(kinds, sort=True)
    return pd.DataFrame({
        "n": grouped.size(), "mean": grouped.mean(), "median": grouped.median(), "sd": grouped.std(ddof=1),
        "mean_plugin": plugin.astype(float).groupby(kinds, sort=True).mean(), "ratings_mean": ratings.mean(),
        "ratings_min": ratings.min(), "ratings_max": ratings.max(),
    }).rename_axis("kind").reset_index()[SUMMARY_COLUMNS]


def entropy_by_kind(
    per_image: pd.DataFrame, column: str = "human_entropy", *, control_kind: str = "control",
    n_resamples: int = 9999, confidence: float = 0.95, seed: int | None = None,
    require_enough_ratings: bool = True,
) -> EntropyByKind:
    """Summary of ``column`` per kind and a comparison of each guided kind, and of all ('guided'), with the controls.

    Uses the images where ``column`` is known (and with enough ratings, when
    ``require_enough_ratings``). The comparisons table has a 'kind' column followed by the fields
    of :class:`GroupComparison` and :data:`~varemotion.stats.clusters.PAIRED_FIELDS`; it is empty
    when there are fewer than 2 controls.
    """
    images = per_image[per_image[column].notna()]
    if require_enough_ratings:
        images = images[images["enough_ratings"].astype(bool)]
    values = images[column].astype(float)
    kinds = images["kind"].astype(str)
    summary = _kind_summary(images, values, kinds)
    clusters = seed_clusters(images)
    control = (kinds == control_kind).to_numpy()
    guided_kinds = [k for k in summary["kind"] if k != control_kind]
    groups = {k: (kinds == k).to_numpy() for k in guided_kinds}
    if guided_kinds:  # all guided images together: the study's main comparison, whatever the kinds
        groups["guided"] = ~control
    rows = []
    if control.sum() >= 2:
        for name, boundary in groups.items():
            if boundary.sum() >= 2:
                result = compare_entropy(values[boundary], values[control], n_resamples, confidence, seed,
                                         clusters=(clusters[boundary], clusters[control]))
                pairs = seed_pairs(values, clusters, boundary, control)
                paired = paired_comparison(pairs["difference"], n_resamples, confidence, seed)
                rows.append({"kind": name} | result.to_dict() | paired)
    return EntropyByKind(summary, pd.DataFrame(rows, columns=["kind"] + COMPARISON_FIELDS + PAIRED_FIELDS))
