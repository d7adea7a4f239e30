"""Trial weights: one trial whose answer is shared among several emotions.

Most trials name one response. An intensity rating (:mod:`varemotion.behavior.intensity`) can
instead share a trial among emotions: the arg-max rule with ties split evenly, or the weighted rule
(one row per rated emotion, weighted by its rating). Such a trial table has a ``weight`` column:
the rows of one trial (one subject and stimulus) name distinct responses, each weight is in
(0, 1], and the weights of a trial sum to 1. A table without the column weighs every row 1.

Every consumer of the trial table counts a response by its weight: response counts and entropy
per image (fractional counts), the share of non-emotion answers, the slip test (rounded counts),
the mixed model's leave-one-out credit (the trial's credit is its weights' average credit), and
the alignment stage (a trial's target is its weight vector; accuracy credits a prediction with
the trial's weight on it). A trial still counts once: n_ratings is the sum of its weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

WEIGHT_COLUMN = "weight"
TRIAL_KEY = ["subject_id", "stimulus_id"]


def is_weighted(trials: pd.DataFrame) -> bool:
    """Whether the table shares trials among responses (has a weight column)."""
    return WEIGHT_COLUMN in trials.columns


def trial_weights(trials: pd.DataFrame) -> np.ndarray | None:
    """Each row's weight as float, or None for a table without weights (every row counts 1)."""
    return trials[WEIGHT_COLUMN].to_numpy(dtype=float) if is_weighted(trials) else None


def trial_numbers(trials: pd.DataFrame) -> np.ndarray:
    """Each row's trial: 0, 1, … in order of each (subject, stimulus) pair's first row."""
    if not is_weighted(trials):
        return np.arange(len(trials))
    return trials.groupby(TRIAL_KEY, sort=False).ngroup().to_numpy()


def first_rows(trials: pd.DataFrame) -> np.ndarray:
    """The position of each trial's first row, in trial order (:func:`trial_numbers`)."""
    return np.unique(trial_numbers(trials), return_index=True)[1]


def weight_matrix(trials: pd.DataFrame, categories: Sequence[str]) -> np.ndarray:
    """(trials × categories): each trial's weight on each category (responses outside them are left out).

    Trials are in :func:`trial_numbers` order; without weights every row is its own trial (one-hot rows).
    """
    numbers = trial_numbers(trials)
    column = pd.Index(list(categories), dtype=object).get_indexer(trials["response"].astype(str))
    weights = trial_weights(trials)
    weights = np.ones(len(trials)) if weights is None else weights
    matrix = np.zeros((int(numbers.max()) + 1 if len(numbers) else 0, len(categories)))
    known = column >= 0
    np.add.at(matrix, (numbers[known], column[known]), weights[known])
    return matrix
