"""Guidance outcome of each guided image, read from the human response distribution.

An image guided towards the target pair (i, j) is a

- *success* when p_i + p_j ≥ ``sum_min`` and min(p_i, p_j) ≥ ``each_min``: people split between
  the two targets;
- *bias* when p_i + p_j ≥ ``sum_min`` but min(p_i, p_j) < ``each_min``: people see the targets'
  region of face space but (nearly) only one of the two;
- *failure* when p_i + p_j < ``sum_min``: people mostly see something else.

p_i and p_j are the shares of the image's ratings that name each target. Comparisons allow
1e-9 for floating-point rounding, so 7/10 + 1/10 counts as reaching 0.8. Control images have no
targets and no outcome (blank).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

OUTCOMES = ("success", "bias", "failure")
GROUPINGS = ("overall", "kind", "guide", "targets")
OUTCOME_PROPORTION_COLUMNS = ["grouping", "kind", "group", "outcome", "count", "n", "proportion", "ci_low", "ci_high"]
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class OutcomeThresholds:
    """The thresholds of the guidance outcome: target-share sum and smallest single target share."""

    sum_min: float = 0.8
    each_min: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 < float(self.sum_min) <= 1.0:
            raise ValueError(f"sum_min must be in (0, 1], got {self.sum_min!r}")
        if not 0.0 <= float(self.each_min) <= float(self.sum_min) / 2:
            raise ValueError(f"each_min must be in [0, sum_min / 2], got {self.each_min!r}")


#: The design's thresholds: success needs p_i + p_j ≥ 0.8 and min(p_i, p_j) ≥ 0.1.
DEFAULT_THRESHOLDS = OutcomeThresholds()


def classify_outcome(p_i, p_j, thresholds: OutcomeThresholds = DEFAULT_THRESHOLDS) -> np.ndarray:
    """The outcome ('success', 'bias', 'failure') of each pair of target shares; '' where a share is NaN."""
    p_i = np.asarray(p_i, dtype=np.float64)
    p_j = np.asarray(p_j, dtype=np.float64)
    on_pair = p_i + p_j >= thresholds.sum_min - _TOLERANCE
    both = np.minimum(p_i, p_j) >= thresholds.each_min - _TOLERANCE
    outcome = np.where(on_pair, np.where(both, "success", "bias"), "failure").astype(object)
    outcome[np.isnan(p_i) | np.isnan(p_j)] = ""
    return outcome


def guide_label(guide_a, guide_b) -> np.ndarray:
    """The guide of each image: the classifier for uncertainty images, 'A-B' for controversial ones."""
    a = pd.Series(guide_a, dtype=object).fillna("").astype(str)
    b = pd.Series(guide_b, dtype=object).fillna("").astype(str)
    return np.array([x if y in ("", x) else f"{x}-{y}" for x, y in zip(a, b)], dtype=object)


def outcome_proportions(
    table: pd.DataFrame, by: str | Sequence[str] | None = None, *, confidence: float = 0.95,
    require_enough_ratings: bool = True,
) -> pd.DataFrame:
    """Count and share of each outcome per group, with a Wilson confidence interval.

    ``table`` is the per-image table (columns kind, guide_a, guide_b, target_i, target_j, outcome
    and, when ``require_enough_ratings``, enough_ratings). ``by`` picks the groupings among
    'overall' (all guided images), 'kind', 'guide' (guide model, or 'A-B' pair) and 'targets'
    (ordered target pair 'i-j'); None gives all four. Guide and target groups are formed within
    each kind. One row per group and outcome (columns :data:`OUTCOME_PROPORTION_COLUMNS`).
    """
    groupings = GROUPINGS if by is None else ((by,) if isinstance(by, str) else tuple(by))
    unknown = [g for g in groupings if g not in GROUPINGS]
    if unknown:
        raise ValueError(f"unknown groupings {unknown}; choose among {GROUPINGS}")
    rated = table[table["outcome"].astype(str) != ""]
    if require_enough_ratings:
        rated = rated[rated["enough_ratings"].astype(bool)]
    labels = pd.DataFrame({
        "kind": rated["kind"].astype(str).to_numpy(),
        "guide": guide_label(rated["guide_a"], rated["guide_b"]),
        "targets": (rated["target_i"].astype(str) + "-" + rated["target_j"].astype(str)).to_numpy(),
        "outcome": rated["outcome"].astype(str).to_numpy(),
    })
    rows = []
    for grouping in groupings:
        keys = _group_keys(labels, grouping)
        for (kind, group), members in labels.groupby(keys, sort=True):
            rows += _proportion_rows(grouping, kind, group, members["outcome"], confidence)
    return pd.DataFrame(rows, columns=OUTCOME_PROPORTION_COLUMNS)


def _group_keys(labels: pd.DataFrame, grouping: str) -> list[pd.Series]:
    everything = pd.Series("all", index=labels.index)
    if grouping == "overall":
        return [everything, everything]
    if grouping == "kind":
        return [labels["kind"], labels["kind"]]
    return [labels["kind"], labels[grouping]]


def _proportion_rows(grouping: str, kind: str, group: str, outcomes: pd.Series, confidence: float) -> list[dict]:
    n = len(outcomes)
    rows = []
    for outcome in OUTCOMES:
        count = int((outcomes == outcome).sum())
        low, high = proportion_confint(count, n, alpha=1.0 - confidence, method="wilson")
        rows.append({"grouping": grouping, "kind": kind, "group": group, "outcome": outcome, "count": count,
                     "n": n, "proportion": count / n, "ci_low": float(low), "ci_high": float(high)})
    return rows
