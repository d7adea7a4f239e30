"""Held-out stimuli and the rule that marks trials ``is_train``.

A share of the stimulus set (``behavior.design.holdout_stimuli``) is held out for everyone: no
participant has a training trial on it, so the alignment stage can test its models on images that
no model was fitted to. The share is drawn as whole noise-seed clusters (the images that start from
the same noise, see :mod:`varemotion.stats.clusters`), so that no held-out image shares its start
with a training image; images without a seed are clusters of their own.

The training rule: of each participant's T stimulus trials, round(``train_fraction`` × T) are
training trials (at most T − 1 when T ≥ 2), drawn at random among the trials on stimuli that are
not held out (all of those when there are fewer). The trial design applies it
(:func:`train_mask`), and so does the ingestion of rating files that have no ``is_train`` column
(:func:`assign_train`).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from varemotion.atomic import write_csv
from varemotion.data import DataError
from varemotion.stats.clusters import seed_clusters

log = logging.getLogger(__name__)

HOLDOUT_COLUMNS = ["stimulus_id", "kind", "seed"]


def holdout_stimuli(manifest: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """The held-out stimuli (columns :data:`HOLDOUT_COLUMNS`, manifest order): round(share × clusters) clusters."""
    if not 0.0 <= float(share) < 1.0:
        raise ValueError(f"holdout_stimuli must be a share in [0, 1), got {share!r}")
    clusters = seed_clusters(manifest)
    labels = np.unique(clusters)
    chosen = np.random.default_rng([seed, 1]).choice(labels, size=round(float(share) * len(labels)), replace=False)
    table = manifest[np.isin(clusters, chosen)]
    seeds = table["seed"] if "seed" in table.columns else ""
    return pd.DataFrame({"stimulus_id": table["stimulus_id"].astype(str), "kind": table["kind"].astype(str),
                         "seed": seeds}).reset_index(drop=True)[HOLDOUT_COLUMNS]


def write_holdout(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    write_csv(path, table[HOLDOUT_COLUMNS], float_format=None)


def read_holdout(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A held-out stimulus table written by :func:`write_holdout` (columns :data:`HOLDOUT_COLUMNS`, as text)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in HOLDOUT_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(path, "column is missing", column=missing[0], expected=f"the columns {HOLDOUT_COLUMNS}")
    return table[HOLDOUT_COLUMNS]


def n_training(n_trials: int, train_fraction: float) -> int:
    """round(f × T) training trials of T, at most T − 1 when T ≥ 2 (someone must have held-out trials)."""
    n_train = round(float(train_fraction) * n_trials)
    return min(n_train, n_trials - 1) if n_trials >= 2 else n_train


def train_mask(ranks: np.ndarray, held_out: np.ndarray, n_train: int) -> np.ndarray:
    """Which trials train: per row, the ``n_train`` lowest-ranked trials that are not ``held_out``.

    ``ranks`` (P, T) holds a random permutation of 0..T−1 per row; without held-out trials the
    mask is ``ranks < n_train``.
    """
    pushed = np.where(held_out, ranks + ranks.shape[1], ranks)
    position = np.argsort(np.argsort(pushed, axis=1), axis=1)
    return (position < n_train) & ~held_out


def assign_train(trials: pd.DataFrame, holdout: set[str], train_fraction: float, seed: int) -> np.ndarray:
    """The training rule applied to a trial table without is_train: one flag per row.

    Each subject (in sorted order) draws the order of their trials from ``seed``.
    """
    rng = np.random.default_rng(seed)
    flags = np.zeros(len(trials), dtype=bool)
    held_out = trials["stimulus_id"].astype(str).isin(holdout).to_numpy()
    for _, rows in sorted(trials.groupby(trials["subject_id"].astype(str), sort=True).indices.items()):
        ranks = rng.permutation(len(rows))[None, :]
        flags[rows] = train_mask(ranks, held_out[rows][None, :], n_training(len(rows), train_fraction))[0]
    log.info("the ratings have no is_train column: %d of %d trials marked for training (train_fraction %g, "
             "%d held-out stimuli)", flags.sum(), len(flags), train_fraction, len(holdout))
    return flags
