"""The trial design: which participant rates which stimulus, in which order, with catch trials.

:func:`design_trials` returns one row per trial (columns :data:`DESIGN_COLUMNS`):

- ``subject_id``: the participant, "P001", "P002", … (zero-padded to the width of the count);
- ``trial_index``: the trial's place in the participant's session, 0, 1, …;
- ``stimulus_id``: the face shown (a stimulus id, or a catch id on catch trials);
- ``is_catch``: whether the trial is a catch trial (a clear prototype face with a known answer);
- ``expected_response``: the correct emotion on catch trials, None on stimulus trials;
- ``is_train``: whether a stimulus trial is in the training part (never true on catch trials, nor
  on the held-out stimuli; see :mod:`varemotion.behavior.holdout`).

Stimulus ratings are spread evenly: every stimulus is rated ``floor(N / S)`` or ``ceil(N / S)``
times, where N = participants × trials per participant and S = number of stimuli, and no
participant sees a stimulus twice. Catch rows are attention checks; drop them (``is_catch``)
before building the canonical trial table, where a subject rates each stimulus at most once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .holdout import n_training, train_mask

DESIGN_COLUMNS = ["subject_id", "trial_index", "stimulus_id", "is_catch", "expected_response", "is_train"]


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class DesignSettings:
    """How many participants, trials, ratings per stimulus, catch trials and training trials.

    ``trials_per_participant`` counts stimulus trials only; one catch trial is added for each
    ``catch_every`` stimulus trials (0: none). ``train_fraction`` is the share of each
    participant's stimulus trials marked ``is_train``, drawn from their trials on stimuli that are
    not held out; ``holdout_stimuli`` is the share of the stimulus set held out for everyone
    (chosen by :func:`~varemotion.behavior.holdout.holdout_stimuli`).
    """

    n_participants: int
    trials_per_participant: int
    min_ratings_per_stimulus: int
    catch_every: int
    train_fraction: float
    holdout_stimuli: float
    seed: int

    def __post_init__(self):
        for name in ("n_participants", "trials_per_participant", "min_ratings_per_stimulus"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not _is_int(self.catch_every) or self.catch_every < 0:
            raise ValueError(f"catch_every must be an integer ≥ 0 (0: no catch trials), got {self.catch_every!r}")
        fraction = self.train_fraction
        is_number = isinstance(fraction, (int, float, np.number)) and not isinstance(fraction, (bool, np.bool_))
        if not is_number or not 0.0 <= float(fraction) <= 1.0:
            raise ValueError(f"train_fraction must be a number between 0 and 1, got {fraction!r}")
        share = self.holdout_stimuli
        if isinstance(share, (bool, np.bool_)) or not isinstance(share, (int, float, np.number)) or not 0 <= share < 1:
            raise ValueError(f"holdout_stimuli must be a share in [0, 1), got {share!r}")
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be an integer ≥ 0, got {self.seed!r}")

    @property
    def catch_trials_per_participant(self) -> int:
        """The number of catch trials each participant gets."""
        return self.trials_per_participant // self.catch_every if self.catch_every else 0


def _ids(values, what: str) -> list[str]:
    ids = [str(v).strip() for v in values]
    if any(not i for i in ids):
        raise ValueError(f"{what} contain a blank id")
    repeated = sorted(i for i, count in Counter(ids).items() if count > 1)
    if repeated:
        raise ValueError(f"{what} repeat ids: {repeated[:5]}")
    return ids


def check_feasible(n_stimuli: int, settings: DesignSettings) -> None:
    """Raise ValueError, naming the numbers needed, when the design cannot be built."""
    n_part, n_trials, k = settings.n_participants, settings.trials_per_participant, settings.min_ratings_per_stimulus
    if n_stimuli < 1:
        raise ValueError("stimulus_ids is empty: give the ids of the stimulus manifest")
    if n_trials > n_stimuli:
        raise ValueError(
            f"trials_per_participant={n_trials} exceeds the {n_stimuli} stimuli: a participant cannot "
            f"see a stimulus twice, so use at most {n_stimuli} trials per participant"
        )
    if n_part * n_trials < k * n_stimuli:
        raise ValueError(
            f"{k} ratings for each of {n_stimuli} stimuli need {k * n_stimuli} trials, but "
            f"{n_part} participants × {n_trials} trials give {n_part * n_trials}: the design needs at least "
            f"{math.ceil(k * n_stimuli / n_trials)} participants, or at least "
            f"{math.ceil(k * n_stimuli / n_part)} trials per participant"
        )


def _catch_labels(catch_ids: list[str], catch_labels) -> list[str]:
    if catch_labels is None:
        raise ValueError("catch_labels is missing: give the expected emotion for each catch id")
    if isinstance(catch_labels, Mapping):
        labels = {str(key).strip(): value for key, value in catch_labels.items()}
        missing = [i for i in catch_ids if i not in labels]
        if missing:
            raise ValueError(f"catch_labels has no expected emotion for catch ids {missing[:5]}")
        labels = [labels[i] for i in catch_ids]
    else:
        labels = list(catch_labels)
        if len(labels) != len(catch_ids):
            raise ValueError(f"catch_labels has {len(labels)} labels for {len(catch_ids)} catch ids")
    if any(not isinstance(label, str) or not label.strip() for label in labels):
        raise ValueError(f"catch_labels must be non-blank emotion names, got {labels[:5]}")
    return [label.strip() for label in labels]


def _repair_boundary(perms: np.ndarray, copy: int, n_tail: int, n_head: int, rng: np.random.Generator) -> None:
    """Swap, inside ``perms[copy + 1]``, head stimuli that the tail of ``perms[copy]`` also holds.

    One participant's block is the last ``n_tail`` entries of copy ``copy`` and the first
    ``n_head`` entries of copy ``copy + 1``. Each repeated head entry is swapped with a later entry
    of the same copy that the tail lacks. Of the S - n_head later entries at most
    n_tail - repeats lie in the tail, so S - block length + repeats ≥ repeats entries are free.
    """
    n_stimuli = perms.shape[1]
    tail = perms[copy, n_stimuli - n_tail:]
    row = perms[copy + 1]
    head_repeats = np.flatnonzero(np.isin(row[:n_head], tail))
    if head_repeats.size == 0:
        return
    free = n_head + np.flatnonzero(~np.isin(row[n_head:], tail))
    chosen = rng.choice(free, size=head_repeats.size, replace=False)
    row[head_repeats], row[chosen] = row[chosen], row[head_repeats]


def _deal_stimuli(n_stimuli: int, settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Stimulus codes, one row per participant, each row without repeats (in dealing order).

    Independently shuffled copies of the stimuli are concatenated, cut to N = P × T entries and
    dealt in consecutive blocks of T. A block spans at most two copies; repeats across that
    boundary are removed by swaps inside the later copy, which keep every copy a permutation.
    """
    n_part, n_trials = settings.n_participants, settings.trials_per_participant
    n_total = n_part * n_trials
    n_copies = math.ceil(n_total / n_stimuli)
    perms = rng.permuted(np.tile(np.arange(n_stimuli), (n_copies, 1)), axis=1)
    for copy in range(n_copies - 1):
        boundary = (copy + 1) * n_stimuli
        block_start = boundary // n_trials * n_trials
        if boundary >= n_total or block_start == boundary:
            continue
        _repair_boundary(perms, copy, boundary - block_start, block_start + n_trials - boundary, rng)
    return perms.ravel()[:n_total].reshape(n_part, n_trials)


def _catch_codes(n_catch_ids: int, settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Catch id codes, one row per participant: shuffled copies of the catch ids, cut to length."""
    n_part, n_catch = settings.n_participants, settings.catch_trials_per_participant
    n_copies = max(1, math.ceil(n_catch / n_catch_ids))
    blocks = np.tile(np.arange(n_catch_ids), (n_part * n_copies, 1))
    copies = rng.permuted(blocks, axis=1).reshape(n_part, n_copies * n_catch_ids)
    return copies[:, :n_catch]


def _train_mask(settings: DesignSettings, held_out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which stimulus trials are training trials (:mod:`varemotion.behavior.holdout`'s rule)."""
    n_part, n_trials = settings.n_participants, settings.trials_per_participant
    ranks = rng.permuted(np.tile(np.arange(n_trials), (n_part, 1)), axis=1)
    return train_mask(ranks, held_out, n_training(n_trials, settings.train_fraction))


def _catch_positions(settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Where catch trials go: one at a random place in each run of ``catch_every`` stimulus trials."""
    n_part, n_catch, every = settings.n_participants, settings.catch_trials_per_participant, settings.catch_every
    if n_catch == 0:
        return np.zeros((n_part, 0), dtype=int)
    offsets = rng.integers(0, every, size=(n_part, n_catch))
    return np.arange(n_catch) * (every + 1) + offsets


def design_trials(stimulus_ids, settings: DesignSettings, catch_ids=(), catch_labels=None, holdout=()
                  ) -> pd.DataFrame:
    """The trial design: one row per trial, columns :data:`DESIGN_COLUMNS` (see the module docstring).

    ``catch_labels`` gives the expected emotion of each catch id: a mapping id → emotion, or a
    sequence in the order of ``catch_ids``. ``holdout`` holds the ids of the held-out stimuli,
    on which no trial is a training trial. Raises ValueError for infeasible or inconsistent requests.
    """
    stimuli = _ids(stimulus_ids, "stimulus_ids")
    check_feasible(len(stimuli), settings)
    catches, labels = _ids(catch_ids, "catch_ids"), []
    if settings.catch_trials_per_participant:
        if not catches:
            raise ValueError(f"catch_every={settings.catch_every} asks for catch trials, but catch_ids is empty")
        labels = _catch_labels(catches, catch_labels)
        shared = sorted(set(catches) & set(stimuli))
        if shared:
            raise ValueError(f"catch_ids must not be stimulus ids, but these are both: {shared[:5]}")
    rng = np.random.default_rng(settings.seed)
    unknown = sorted(set(map(str, holdout)) - set(stimuli))
    if unknown:
        raise ValueError(f"held-out stimuli {unknown[:5]} are not among the stimulus_ids")
    stimulus_codes = rng.permuted(_deal_stimuli(len(stimuli), settings, rng), axis=1)
    held_out = np.isin(np.asarray(stimuli, dtype=object)[stimulus_codes], list(map(str, holdout)))
    train = _train_mask(settings, held_out, rng)
    n_part, n_trials = stimulus_codes.shape
    n_catch = settings.catch_trials_per_participant
    n_rows = n_trials + n_catch
    is_catch = np.zeros((n_part, n_rows), dtype=bool)
    if n_catch:
        np.put_along_axis(is_catch, _catch_positions(settings, rng), True, axis=1)
    codes = np.empty((n_part, n_rows), dtype=np.int64)
    codes[~is_catch] = stimulus_codes.ravel()
    is_train = np.zeros((n_part, n_rows), dtype=bool)
    is_train[~is_catch] = train.ravel()
    expected = np.full((n_part, n_rows), None, dtype=object)
    if n_catch:
        catch_codes = _catch_codes(len(catches), settings, rng)
        codes[is_catch] = len(stimuli) + catch_codes.ravel()
        expected[is_catch] = np.asarray(labels, dtype=object)[catch_codes.ravel()]
    all_ids = np.asarray(stimuli + catches, dtype=object)
    width = len(str(n_part))
    subjects = np.asarray([f"P{i + 1:0{width}d}" for i in range(n_part)], dtype=object)
    return pd.DataFrame(
        {
            "subject_id": np.repeat(subjects, n_rows),
            "trial_index": np.tile(np.arange(n_rows), n_part),
            "stimulus_id": all_ids[codes.ravel()],
            "is_catch": is_catch.ravel(),
            "expected_response": expected.ravel(),
            "is_train": is_train.ravel(),
        },
        columns=DESIGN_COLUMNS,
    )


def design_summary(design: pd.DataFrame) -> dict:
    """Counts for logs and tests: ratings per stimulus, trials per participant, catch trials, train share.

    Ratings per stimulus count the stimuli present in the design; ``train_fraction`` is the share of
    stimulus trials marked ``is_train``.
    """
    stimulus_rows = design[~design["is_catch"]]
    ratings = stimulus_rows["stimulus_id"].value_counts()
    per_participant = stimulus_rows.groupby("subject_id").size()
    catch_per_participant = design.groupby("subject_id")["is_catch"].sum()
    return {
        "n_participants": int(design["subject_id"].nunique()),
        "n_stimuli": int(ratings.size),
        "min_ratings_per_stimulus": int(ratings.min()) if ratings.size else 0,
        "max_ratings_per_stimulus": int(ratings.max()) if ratings.size else 0,
        "min_trials_per_participant": int(per_participant.min()) if per_participant.size else 0,
        "max_trials_per_participant": int(per_participant.max()) if per_participant.size else 0,
        "catch_trials": int(design["is_catch"].sum()),
        "max_catch_trials_per_participant": int(catch_per_participant.max()) if catch_per_participant.size else 0,
        "train_fraction": float(stimulus_rows["is_train"].mean()) if len(stimulus_rows) else 0.0,
    }
