"""Real human votes: on FER+, each face's 10 crowd votes stand in for the simulated participants.

:func:`vote_entropy_table` gives one row per test face with the vote distribution's entropy (bits,
over the study's emotions: the split's soft labels) and each classifier's probabilities and
entropy; :func:`correlation_table` then gives ρ(model entropy, human vote entropy) per classifier,
as for the generated stimuli. No stimuli are generated for this analysis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from varemotion.data.splits import Split
from varemotion.entropy import entropy_bits
from varemotion.manifest import entropy_column, probability_column


def vote_entropy_table(split: Split, probabilities: dict[str, np.ndarray], min_votes: int = 5) -> pd.DataFrame:
    """One row per face of a split with soft labels: human vote entropy and every classifier's entropy.

    ``probabilities`` maps classifier names to (N, K) softmax outputs on the split's images. Columns:
    stimulus_id (the image name), kind ('ferplus'), n_ratings (votes for the study's emotions, when
    the split keeps the raw counts), enough_ratings (n_ratings ≥ ``min_votes``), human_entropy,
    then ``<classifier>_p_<emotion>`` and ``<classifier>_entropy``.
    """
    if split.soft_labels is None:
        raise ValueError("the split has no soft labels (vote distributions); use the ferplus source")
    soft = np.asarray(split.soft_labels, dtype=np.float64)
    votes = split.extras.get("votes")
    if votes is not None and "vote_columns" in split.extras:
        columns = [str(c) for c in split.extras["vote_columns"]]
        n_ratings = np.asarray(votes)[:, [columns.index(e) for e in split.emotions]].sum(axis=1)
    else:
        n_ratings = np.full(split.n, -1)
    table = pd.DataFrame({"stimulus_id": split.ids.astype(str), "kind": "ferplus", "n_ratings": n_ratings})
    table["enough_ratings"] = (n_ratings >= min_votes) | (n_ratings < 0)
    table["human_entropy"] = entropy_bits(soft)
    for name, p in probabilities.items():
        p = np.asarray(p, dtype=np.float64)
        if p.shape != soft.shape:
            raise ValueError(f"{name}: probabilities have shape {p.shape}, the split's soft labels {soft.shape}")
        for k, emotion in enumerate(split.emotions):
            table[probability_column(name, emotion)] = p[:, k]
        table[entropy_column(name)] = entropy_bits(p)
    return table
