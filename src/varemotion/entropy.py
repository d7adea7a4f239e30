"""Shannon entropy in bits, the unit in which the study compares people and models."""

from __future__ import annotations

import numpy as np
import scipy.stats


def entropy_bits(probabilities) -> np.ndarray:
    """The entropy (bits) of each row of an (N, K) probability table."""
    return scipy.stats.entropy(np.asarray(probabilities, dtype=np.float64), base=2, axis=1)
