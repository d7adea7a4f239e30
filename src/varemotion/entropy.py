"""Shannon entropy in bits, the unit in which the study compares people and models.

The entropy of observed response counts is estimated either by the plug-in estimate (the entropy
of the response shares), which is biased low, the more so the fewer the ratings, or by the
Miller–Madow estimate, which adds the first-order bias (m − 1) / (2 n) nats, m the number of
emotions chosen at least once and n the number of ratings (Miller 1955).
"""

from __future__ import annotations

import numpy as np
import scipy.stats

#: Estimators of the entropy of response counts (:func:`count_entropy_bits`).
ESTIMATORS = ("plugin", "miller_madow")


def entropy_bits(probabilities) -> np.ndarray:
    """The entropy (bits) of each row of an (N, K) probability table."""
    return scipy.stats.entropy(np.asarray(probabilities, dtype=np.float64), base=2, axis=1)


def count_entropy_bits(counts, estimator: str = "plugin") -> np.ndarray:
    """The entropy (bits) of each row of an (N, K) table of counts; NaN for rows without counts."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum(axis=1)
    entropy = np.full(len(counts), np.nan)
    rated = n > 0
    entropy[rated] = entropy_bits(counts[rated] / n[rated, None])
    if estimator == "miller_madow":
        observed = (counts[rated] > 0).sum(axis=1)
        entropy[rated] += (observed - 1) / (2.0 * n[rated] * np.log(2.0))
    return entropy
