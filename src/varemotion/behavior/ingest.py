"""Readers that turn users' rating files into the canonical trial table, and `ingest` for several files.

Formats (:data:`FORMATS`):

- ``table``: a CSV or TSV with one trial per line (:func:`read_trial_table`);
- ``jspsych``: jsPsych data saved as JSON or CSV (:func:`read_jspsych`);
- ``sqlite``: the collection server's trial database (:func:`read_sqlite`), read as a snapshot;
- ``jatos``: JATOS result exports of the experiment's JATOS study (:func:`read_jatos`);
- ``votes``: aggregated votes, one row per stimulus and one count column per emotion, as in
  FER+ (:func:`read_vote_counts`);
- ``intensity``: one row per trial with a rating on a 0..k scale per emotion, turned into trials
  by a configured rule (:mod:`varemotion.behavior.intensity`).

Every reader checks the whole input before returning and raises
:class:`~varemotion.data.DataError` naming the file, line, column and value of the first problem.
Readers only read: the user's files are never changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.data import DataError

from .holdout import assign_train
from .intensity import IntensityRule, intensity_trials, parse_intensity
from .jatos import parse_jatos
from .jspsych import parse_jspsych
from .labels import parse_responses
from .sqlite import parse_sqlite
from .textfiles import read_table, require_columns, resolve_column_map
from .trials import (
    ORIGIN_COLUMNS,
    ORIGIN_FILE,
    TRIAL_COLUMNS,
    check_emotions,
    check_known_stimuli,
    check_stimulus_ids,
    error_at,
    position,
    text_values,
    validate_trials,
)
from .weights import WEIGHT_COLUMN

FORMATS = ("table", "jspsych", "votes", "sqlite", "jatos", "intensity")
#: Formats whose readers take the options subject_id and choices.
OPTION_FORMATS = ("jspsych", "jatos")
#: subject_id of an expanded vote: the prefix, the stimulus id and the vote's number (1, 2, …) for it.
VOTE_SUBJECT_PREFIX = "votes:"
TABLE_EXPECTED = ("a CSV or TSV table with a header line and one trial per line: columns subject_id, stimulus_id,"
                  " response and, optionally, rt_ms and is_train")
VOTES_EXPECTED = "a CSV or TSV table with a stimulus_id column and one vote-count column per emotion"


def parse_trial_table(path, emotions, column_map: dict | None = None, non_emotion_answers=()
                      ) -> tuple[pd.DataFrame, dict]:
    """A trial table's rows with responses as emotion names and origin columns, and the user's column names."""
    emotions = check_emotions(emotions)
    names = resolve_column_map(column_map, {c: c for c in TRIAL_COLUMNS})
    table = read_table(path, TABLE_EXPECTED)
    optional = {"rt_ms": np.nan, "is_train": ""}
    wanted = ["subject_id", "stimulus_id", "response"] + [c for c in optional if c in (column_map or {})]
    require_columns(table, path, wanted, names)
    trials = pd.DataFrame({
        "subject_id": table[names["subject_id"]],
        "stimulus_id": table[names["stimulus_id"]],
        "response": parse_responses(table, names["response"], emotions, non_emotion_answers=non_emotion_answers),
        **{c: table[names[c]] if names[c] in table.columns else default for c, default in optional.items()},
    })
    if WEIGHT_COLUMN in table.columns:
        trials[WEIGHT_COLUMN] = table[WEIGHT_COLUMN]
    return pd.concat([trials, table[list(ORIGIN_COLUMNS)]], axis=1), names


def read_trial_table(path: str | os.PathLike[str], emotions, stimulus_ids, column_map: dict | None = None,
                     non_emotion_answers=()) -> pd.DataFrame:
    """Read a CSV/TSV trial table (delimiter from the suffix .csv/.tsv, else sniffed) as the canonical table.

    Columns: subject_id, stimulus_id, response (an emotion name in any case, or a 0-based index
    into ``emotions`` followed by ``non_emotion_answers``; one kind per file; 'unclear' and
    'not_a_face' are kept as they are), optional rt_ms (ms ≥ 0 on every row, or blank on every
    row), optional is_train (true/false, yes/no, 1/0; true when absent) and optional weight (a
    trial shared among responses, as :mod:`varemotion.behavior.weights` describes). ``column_map``
    maps canonical names to the file's column names.
    """
    trials, names = parse_trial_table(path, emotions, column_map, non_emotion_answers)
    return validate_trials(trials, emotions, stimulus_ids, path, column_names=names)


def _vote_counts(table: pd.DataFrame, column: str) -> np.ndarray:
    text = table[column]
    numbers = pd.to_numeric(text, errors="coerce")
    for mask, problem in ((text == "", "is blank"), (numbers.isna(), "is not a number"),
                          (numbers % 1 != 0, "is not a whole number"), (numbers < 0, "is negative")):
        bad = np.flatnonzero(mask.to_numpy(dtype=bool))
        if bad.size:
            raise error_at(table, int(bad[0]), problem, column=column, value=text.iat[bad[0]],
                           expected="a vote count: a whole number ≥ 0")
    return numbers.to_numpy(dtype=np.int64)


def parse_vote_counts(path, emotions, column_map: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The vote table's rows (stimulus_id, one int64 column per emotion, origin) and the user's column names."""
    emotions = check_emotions(emotions)
    names = resolve_column_map(column_map, {"stimulus_id": "stimulus_id"} | {e: e for e in emotions})
    table = read_table(path, VOTES_EXPECTED)
    require_columns(table, path, list(names), names)
    counts = table[list(ORIGIN_COLUMNS)].copy()
    counts["stimulus_id"] = text_values(table[names["stimulus_id"]])
    blank = np.flatnonzero((counts["stimulus_id"] == "").to_numpy())
    if blank.size:
        raise error_at(counts, int(blank[0]), "is blank", column=names["stimulus_id"], value="",
                       expected="the id of the stimulus the votes are for, on every row")
    for emotion in emotions:
        counts[emotion] = _vote_counts(table, names[emotion])
    return counts, names


def _check_repeated_stimuli(counts: pd.DataFrame, column: str) -> None:
    repeated = np.flatnonzero(counts["stimulus_id"].duplicated().to_numpy())
    if not repeated.size:
        return
    later = int(repeated[0])
    earlier = int(np.argmax((counts["stimulus_id"] == counts["stimulus_id"].iat[later]).to_numpy()))
    where = position(counts, earlier)
    if counts[ORIGIN_FILE].iat[earlier] != counts[ORIGIN_FILE].iat[later]:
        where += f" of {counts[ORIGIN_FILE].iat[earlier]}"
    raise error_at(counts, later, f"has votes on two rows: here and at {where}", column=column,
                   value=counts["stimulus_id"].iat[later], expected="one row per stimulus")


def expand_votes(counts: pd.DataFrame, emotions, source) -> pd.DataFrame:
    """One trial per vote: subject_id 'votes:<stimulus_id>:<n>', rt_ms NaN, is_train blank, origin kept."""
    matrix = counts[list(emotions)].to_numpy(dtype=np.int64)
    per_row = matrix.sum(axis=1)
    if not per_row.sum():
        raise DataError(source, "holds no votes: every count is 0", expected=VOTES_EXPECTED)
    rows = np.repeat(np.arange(len(counts)), per_row)
    emotion = np.repeat(np.tile(np.arange(len(emotions)), len(counts)), matrix.ravel())
    number = np.arange(len(rows)) - np.repeat(np.cumsum(per_row) - per_row, per_row) + 1
    stimuli = counts["stimulus_id"].to_numpy(dtype=object)[rows]
    trials = pd.DataFrame({
        "subject_id": [f"{VOTE_SUBJECT_PREFIX}{s}:{n}" for s, n in zip(stimuli, number)],
        "stimulus_id": stimuli,
        "response": np.asarray(emotions, dtype=object)[emotion],
        "rt_ms": np.nan,
        "is_train": "",
    })
    return pd.concat([trials, counts[list(ORIGIN_COLUMNS)].iloc[rows].reset_index(drop=True)], axis=1)


def read_vote_counts(path: str | os.PathLike[str], emotions, stimulus_ids, column_map: dict | None = None
                     ) -> pd.DataFrame:
    """Read aggregated votes (FER+ style) as the canonical table, one trial per vote.

    The file has a stimulus_id column and one whole-number count column per emotion; columns of
    other labels (e.g. FER+'s unknown and NF) are ignored. The votes carry no rater ids, so each
    vote becomes its own pseudo-subject ``votes:<stimulus_id>:<n>`` (n = 1, 2, … per stimulus):
    distinct, so no two votes look like one person's, and marked as votes by the prefix. rt_ms
    is NaN (not recorded) and is_train true. A stimulus with no votes gives no trials.
    """
    counts, names = parse_vote_counts(path, emotions, column_map)
    _check_repeated_stimuli(counts, names["stimulus_id"])
    check_known_stimuli(counts, counts["stimulus_id"], check_stimulus_ids(stimulus_ids), names["stimulus_id"])
    trials = expand_votes(counts, check_emotions(emotions), path)
    names = {"stimulus_id": names["stimulus_id"]}
    return validate_trials(trials, emotions, stimulus_ids, path, column_names=names)


def _distinct_paths(paths) -> list[Path]:
    paths = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    if not paths:
        raise ValueError("no files to ingest")
    seen = {}
    for path in paths:
        key = path.resolve()
        if key in seen:
            raise ValueError(f"{path} is given twice (also as {seen[key]})")
        seen[key] = path
    return paths


@dataclass(frozen=True)
class TrainRule:
    """The design's training rule for ratings without is_train (see :mod:`varemotion.behavior.holdout`)."""

    holdout: frozenset[str]
    train_fraction: float
    seed: int


def apply_train_rule(trials: pd.DataFrame, rule: TrainRule | None) -> pd.DataFrame:
    """``trials`` (parsed, not yet validated) with ``rule``'s flags where is_train is blank on every row."""
    if rule is None or not (text_values(trials["is_train"]) == "").all():
        return trials
    return trials.assign(is_train=assign_train(trials, set(rule.holdout), rule.train_fraction, rule.seed))


def _intensity(paths, emotions, column_map, train_rule, rule: IntensityRule) -> tuple[pd.DataFrame, dict]:
    """Intensity files' trials by ``rule``: the training rule is drawn per trial, before a trial becomes rows."""
    parsed = [parse_intensity(p, emotions, column_map, rule.scale_max) for p in paths]
    rows, names = pd.concat([r for r, _ in parsed], ignore_index=True), parsed[0][1]
    rows = apply_train_rule(rows, train_rule)
    return intensity_trials(rows, emotions, rule, names), names


def ingest(paths, format: str, emotions, stimulus_ids, column_map: dict | None = None,
           train_rule: TrainRule | None = None, non_emotion_answers=(), intensity: IntensityRule | None = None,
           **options) -> pd.DataFrame:
    """Read one or more files of one format and return one checked canonical trial table.

    ``options`` go to the jspsych and jatos readers (``subject_id``, ``choices``). The files are checked
    together: a subject rating a stimulus in two files, or a stimulus with votes in two vote
    files, raises DataError naming both places. Files without is_train (votes never have one)
    get ``train_rule``'s flags, or are all training trials without one. ``non_emotion_answers``
    are the extra buttons after the emotions (indices past the emotions decode to them); a
    collection database records its own. ``intensity`` is the scale and rule of intensity files
    (default :class:`~varemotion.behavior.intensity.IntensityRule`).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r} (expected one of {list(FORMATS)})")
    if options and format not in OPTION_FORMATS:
        raise ValueError(f"the {format} format takes no options {sorted(options)}")
    paths = _distinct_paths(paths)
    emotions, known = check_emotions(emotions), check_stimulus_ids(stimulus_ids)
    source = ", ".join(str(p) for p in paths)
    if format == "intensity":
        trials, names = _intensity(paths, emotions, column_map, train_rule, intensity or IntensityRule())
        return validate_trials(trials, emotions, known, source, column_names=names)
    if format == "votes":
        parsed = [parse_vote_counts(p, emotions, column_map) for p in paths]
        counts, names = pd.concat([c for c, _ in parsed], ignore_index=True), parsed[0][1]
        _check_repeated_stimuli(counts, names["stimulus_id"])
        check_known_stimuli(counts, counts["stimulus_id"], known, names["stimulus_id"])
        trials, names = expand_votes(counts, emotions, source), {"stimulus_id": names["stimulus_id"]}
    else:
        parse = {"table": parse_trial_table, "jspsych": parse_jspsych, "sqlite": parse_sqlite,
                 "jatos": parse_jatos}[format]
        if format != "sqlite":
            options = options | {"non_emotion_answers": non_emotion_answers}
        parsed = [parse(p, emotions, column_map=column_map, **options) for p in paths]
        trials, names = pd.concat([t for t, _ in parsed], ignore_index=True), parsed[0][1]
    trials = apply_train_rule(trials, train_rule)
    return validate_trials(trials, emotions, known, source, column_names=names)
