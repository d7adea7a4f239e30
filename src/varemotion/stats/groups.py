"""Is human response entropy higher on images from decision boundaries than on control images?

:func:`compare_entropy` compares two independent groups of images with

- the Mann–Whitney U test (:func:`scipy.stats.mannwhitneyu`), two-sided and one-sided
  ('greater': boundary images higher), which needs no normality from bounded, tie-heavy
  entropies;
- the rank-biserial correlation r = 2·U/(n₁·n₂) − 1, with U the boundary group's statistic: the
  probability that a random boundary image has the higher entropy minus the probability that it
  has the lower one (ties count half), so positive means boundary higher, in [−1, 1];
- the difference in medians, and the difference in means with a BCa bootstrap confidence interval
  (:func:`scipy.stats.bootstrap`, each group resampled on its own). The interval is for the
  means because the bootstrap of a median is unreliable for the few distinct values that human
  entropy takes when images have few ratings.

:func:`entropy_by_kind` summarises entropy per stimulus kind and compares each guided kind, and
all guided images together, with the controls.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.stats

SUMMARY_COLUMNS = ["kind", "n", "mean", "median", "sd"]
COMPARISON_FIELDS = ["n_boundary", "n_control", "median_boundary", "median_control", "median_difference",
                     "mean_difference", "ci_low", "ci_high", "u_statistic", "p_two_sided", "p_greater",
                     "rank_biserial"]


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


def compare_entropy(
    boundary, control, n_resamples: int = 9999, confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
) -> GroupComparison:
    """Compare the entropies of boundary images with those of control images (see the module docstring)."""
    x = np.asarray(boundary, dtype=np.float64)
    y = np.asarray(control, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or len(x) < 2 or len(y) < 2:
        raise ValueError(f"each group needs at least 2 images, got {x.size} and {y.size}")
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError("entropies must not be NaN: drop unrated images first")
    two_sided = scipy.stats.mannwhitneyu(x, y, alternative="two-sided")
    greater = scipy.stats.mannwhitneyu(x, y, alternative="greater")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.stats.DegenerateDataWarning)
        interval = scipy.stats.bootstrap((x, y), _mean_difference, paired=False, vectorized=True,
                                         n_resamples=n_resamples, confidence_level=confidence, method="BCa",
                                         rng=np.random.default_rng(seed)).confidence_interval
    return GroupComparison(
        n_boundary=len(x), n_control=len(y), median_boundary=float(np.median(x)), median_control=float(np.median(y)),
        median_difference=float(np.median(x) - np.median(y)), mean_difference=float(np.mean(x) - np.mean(y)),
        ci_low=float(interval.low), ci_high=float(interval.high), u_statistic=float(two_sided.statistic),
        p_two_sided=float(two_sided.pvalue), p_greater=float(greater.pvalue),
        rank_biserial=rank_biserial(two_sided.statistic, len(x), len(y)),
    )


def entropy_by_kind(
    per_image: pd.DataFrame, column: str = "human_entropy", *, control_kind: str = "control",
    n_resamples: int = 9999, confidence: float = 0.95, seed: int | None = None,
    require_enough_ratings: bool = True,
) -> EntropyByKind:
    """Summary of ``column`` per kind and a comparison of each guided kind, and of all ('guided'), with the controls.

    Uses the images where ``column`` is known (and with enough ratings, when
    ``require_enough_ratings``). The comparisons table has a 'kind' column followed by the fields
    of :class:`GroupComparison`; it is empty when there are fewer than 2 controls.
    """
    images = per_image[per_image[column].notna()]
    if require_enough_ratings:
        images = images[images["enough_ratings"].astype(bool)]
    values = images[column].astype(float)
    kinds = images["kind"].astype(str)
    grouped = values.groupby(kinds, sort=True)
    summary = pd.DataFrame({"n": grouped.size(), "mean": grouped.mean(), "median": grouped.median(),
                            "sd": grouped.std(ddof=1)}).rename_axis("kind").reset_index()[SUMMARY_COLUMNS]
    control = values[kinds == control_kind].to_numpy()
    guided_kinds = [k for k in summary["kind"] if k != control_kind]
    groups = {k: values[kinds == k].to_numpy() for k in guided_kinds}
    if guided_kinds:  # all guided images together: the study's main comparison, whatever the kinds
        groups["guided"] = values[kinds != control_kind].to_numpy()
    rows = []
    if len(control) >= 2:
        for name, boundary in groups.items():
            if len(boundary) >= 2:
                result = compare_entropy(boundary, control, n_resamples, confidence, seed)
                rows.append({"kind": name} | result.to_dict())
    return EntropyByKind(summary, pd.DataFrame(rows, columns=["kind"] + COMPARISON_FIELDS))
