"""Human trials as fine-tuning data: each trial's image row and response, and its part.

Every trial of the trial table falls in one part: ``train`` (fitted), ``validation`` (a share of
each participant's training trials, held out from fitting to choose the best epoch) or
``held_out`` (``is_train`` false, or a trial on a held-out stimulus: only ever used for
evaluation). ``holdout`` marks the trials on the held-out stimuli, which nobody trains on
(:mod:`varemotion.behavior.holdout`). A trial shared among emotions
(:mod:`varemotion.behavior.weights`) is one row whose target is its weight on each emotion
(``HumanTrials.targets``) and whose label is the emotion it weighs most.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from varemotion.behavior.answers import emotion_trials
from varemotion.behavior.weights import first_rows, is_weighted, weight_matrix

log = logging.getLogger(__name__)

PARTS = ("train", "validation", "held_out")


@dataclass
class HumanTrials:
    """The trial table with ``image`` (row of the stimulus images), ``label`` (response index) and ``part``.

    ``targets`` (trials × emotions) holds each trial's weight on each emotion when the trial table
    shares trials among responses; None when every trial names one response (its label).
    """

    table: pd.DataFrame
    emotions: tuple[str, ...]
    targets: np.ndarray | None = None

    def targets_of(self, rows: pd.DataFrame) -> np.ndarray | None:
        """The ``targets`` rows of some rows of ``table`` (None without targets)."""
        return None if self.targets is None else self.targets[rows.index.to_numpy()]

    def part(self, name: str) -> pd.DataFrame:
        return self.table[self.table["part"] == name]

    @property
    def subjects(self) -> list[str]:
        return list(pd.unique(self.table["subject_id"]))

    def training_counts(self) -> pd.Series:
        """Trials marked is_train (train and validation parts) per subject."""
        fitted = self.table[self.table["part"] != "held_out"]
        return fitted.groupby("subject_id", sort=False).size().reindex(self.subjects, fill_value=0)


def human_trials(trials: pd.DataFrame, stimulus_ids: Sequence[str], emotions: Sequence[str],
                 validation_fraction: float, seed: int, holdout: Collection[str] = ()) -> HumanTrials:
    """Index a canonical trial table against the stimulus images and split off validation trials.

    Each subject's validation trials are round(``validation_fraction`` × their is_train trials),
    drawn with ``seed``; a subject with a single training trial keeps it for training. Trials on
    the ``holdout`` stimuli are held out whatever their is_train says (a log line counts those
    that said true). Non-emotion answers ("unclear", "not a face") give no label: those trials are
    left out of fitting and evaluation (a log line counts them).
    """
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    kept = emotion_trials(trials)
    if len(kept) < len(trials):
        log.info("%d trials answered unclear or not a face: left out of fine-tuning and evaluation",
                 len(trials) - len(kept))
    targets = None
    if is_weighted(kept):
        targets = weight_matrix(kept, emotions)
        targets /= np.maximum(targets.sum(axis=1, keepdims=True), 1e-12)
        heaviest = np.asarray(emotions, dtype=object)[targets.argmax(axis=1)]
        kept = kept.iloc[first_rows(kept)].assign(response=heaviest)
    table = kept[["subject_id", "stimulus_id", "response", "is_train"]].copy().reset_index(drop=True)
    table["subject_id"] = table["subject_id"].astype(str)
    image = pd.Index([str(s) for s in stimulus_ids]).get_indexer(table["stimulus_id"].astype(str))
    label = pd.Index(list(emotions)).get_indexer(table["response"].astype(str))
    for name, index, where in (("stimulus_id", image, "the stimulus images"), ("response", label, "the emotions")):
        if (index < 0).any():
            row = int(np.flatnonzero(index < 0)[0])
            raise ValueError(f"trial table row {row + 2}: {name} {table.at[row, name]!r} is not among {where}")
    table["image"], table["label"] = image, label
    table["holdout"] = table["stimulus_id"].astype(str).isin({str(h) for h in holdout}).to_numpy()
    overridden = int((table["holdout"] & table["is_train"].astype(bool)).sum())
    if overridden:
        log.warning("%d trials marked is_train are on held-out stimuli: they are held out", overridden)
    is_train = table["is_train"].astype(bool).to_numpy() & ~table["holdout"].to_numpy()
    part = np.where(is_train, "train", "held_out").astype(object)
    rng = np.random.default_rng(seed)
    for rows in table[is_train].groupby("subject_id", sort=True).groups.values():
        n = round(validation_fraction * len(rows)) if len(rows) > 1 else 0
        part[rng.choice(np.asarray(rows), size=min(n, len(rows) - 1), replace=False)] = "validation"
    table["part"] = part
    return HumanTrials(table=table.drop(columns="is_train"), emotions=tuple(emotions), targets=targets)


def response_counts(trials: pd.DataFrame, n_images: int, n_classes: int, targets: np.ndarray | None = None
                    ) -> np.ndarray:
    """(images × classes) counts of the responses in indexed ``trials`` (columns image and label).

    With ``targets`` (one row per trial, :meth:`HumanTrials.targets_of`) each trial adds its weights.
    """
    if targets is not None:
        counts = np.zeros((n_images, n_classes))
        np.add.at(counts, trials["image"].to_numpy(), targets)
        return counts
    counts = np.zeros((n_images, n_classes), dtype=np.int64)
    np.add.at(counts, (trials["image"].to_numpy(), trials["label"].to_numpy()), 1)
    return counts


def response_distributions(trials: pd.DataFrame, n_images: int, n_classes: int, targets: np.ndarray | None = None,
                           ) -> tuple[np.ndarray, np.ndarray]:
    """The images rated in ``trials`` and each one's response shares (rows sum to 1)."""
    counts = response_counts(trials, n_images, n_classes, targets)
    rated = np.flatnonzero(counts.sum(axis=1) > 0)
    return rated, counts[rated] / counts[rated].sum(axis=1, keepdims=True)
