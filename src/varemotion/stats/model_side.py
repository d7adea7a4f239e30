"""Model-side measures of an image beyond one classifier's entropy.

A controversial image is one on which two guides disagree, each of them confident: its entropy
under either guide is low by construction, so a single classifier's entropy cannot say how
ambiguous the image is to the models. Two measures that can:

- ``ensemble_entropy``: the entropy (bits) of the classifiers' mean probability vector;
- ``guide_disagreement``: the Jensen–Shannon divergence (bits, in [0, 1]) between the
  probabilities of the image's two guides (NaN unless it has two different configured guides).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from varemotion.entropy import entropy_bits
from varemotion.manifest import probability_column

MODEL_SIDE_COLUMNS = ["ensemble_entropy", "guide_disagreement"]


def _probabilities(manifest: pd.DataFrame, name: str, emotions: Sequence[str]) -> np.ndarray:
    columns = [probability_column(name, e) for e in emotions]
    return manifest[columns].apply(pd.to_numeric).to_numpy(dtype=np.float64)


def model_side_measures(manifest: pd.DataFrame, classifiers: Sequence[str], emotions: Sequence[str]) -> pd.DataFrame:
    """:data:`MODEL_SIDE_COLUMNS` for each manifest row (same order, fresh index)."""
    probabilities = {name: _probabilities(manifest, name, emotions) for name in classifiers}
    mean = np.mean(list(probabilities.values()), axis=0)
    disagreement = np.full(len(manifest), np.nan)
    guide_a = manifest["guide_a"].fillna("").astype(str).to_numpy()
    guide_b = manifest["guide_b"].fillna("").astype(str).to_numpy()
    for a in probabilities:
        for b in probabilities:
            rows = (guide_a == a) & (guide_b == b) & (a != b)
            if rows.any():
                disagreement[rows] = jensenshannon(probabilities[a][rows], probabilities[b][rows], base=2, axis=1) ** 2
    return pd.DataFrame({"ensemble_entropy": entropy_bits(mean), "guide_disagreement": disagreement})
