"""Answers to catch trials in jsPsych data, and participants excluded for failing them.

The exported experiment records a catch trial with ``catch_id`` and ``expected_response`` (and no
``stimulus_id``, so the rating readers skip it), in jsPsych data, in the collection database and
in JATOS exports alike. :func:`read_catch_answers` reads those records;
:func:`catch_accuracy` gives each participant's share of correct answers, and
:func:`exclude_inattentive` drops the trials of participants below a minimum accuracy.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.data import DataError

from .answers import split_buttons
from .jspsych import JSPSYCH_FIELDS, button_emotions, subject_ids
from .labels import parse_responses
from .records import trial_records
from .trials import check_emotions, text_values

CATCH_FIELDS = ("catch_id", "expected_response")
CATCH_ANSWER_COLUMNS = ["subject_id", "catch_id", "expected_response", "response", "correct"]


def read_catch_answers(path: str | os.PathLike[str], emotions, subject_id: str | None = None, choices=None,
                       format: str = "jspsych", snapshot=None, non_emotion_answers=()) -> pd.DataFrame:
    """The catch trials of a jsPsych, collection database or JATOS file, one row each (:data:`CATCH_ANSWER_COLUMNS`).

    Files without catch trials give an empty table. Responses are read as in
    :func:`~varemotion.behavior.read_jspsych` (button index or emotion name; a database's own
    button order); a non-emotion answer is never correct. Raises DataError for bad values,
    naming the file, line and field.
    """
    path, emotions = Path(path), check_emotions(emotions)
    fields = dict(JSPSYCH_FIELDS)
    records, buttons = trial_records(path, format, [*fields.values(), *CATCH_FIELDS], snapshot)
    if buttons:
        choices, non_emotion_answers = split_buttons(buttons)
    if "catch_id" not in records.columns:
        return pd.DataFrame(columns=CATCH_ANSWER_COLUMNS)
    catch = (text_values(records["catch_id"]) != "").to_numpy()
    subjects = subject_ids(records, path, fields, subject_id)[catch].to_numpy(dtype=object)
    rows = records[catch].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=CATCH_ANSWER_COLUMNS)
    response = parse_responses(rows, fields["response"], emotions, button_emotions(choices, emotions),
                               "button index", non_emotion_answers).to_numpy(dtype=object)
    expected = parse_responses(rows, "expected_response", emotions).to_numpy(dtype=object)
    return pd.DataFrame({"subject_id": subjects, "catch_id": text_values(rows["catch_id"]).to_numpy(),
                         "expected_response": expected, "response": response,
                         "correct": response == expected}, columns=CATCH_ANSWER_COLUMNS)


def read_answers_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A written table of catch answers (one row per catch trial: subject_id, expected_response, response, …)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("subject_id", "expected_response", "response") if c not in table.columns]
    if missing:
        raise DataError(path, f"missing columns {missing}", expected="a catch-answer table with columns subject_id,"
                        " expected_response and response")
    return table


def catch_accuracy(answers: pd.DataFrame) -> pd.Series:
    """Each participant's share of correct catch answers (indexed by subject_id)."""
    return answers.groupby("subject_id")["correct"].mean().astype(float)


def exclude_inattentive(trials: pd.DataFrame, answers: pd.DataFrame, min_accuracy: float
                        ) -> tuple[pd.DataFrame, list[str]]:
    """Trials without the participants whose catch accuracy is below ``min_accuracy``, and those ids.

    Participants without catch trials are kept.
    """
    accuracy = catch_accuracy(answers)
    excluded = sorted(accuracy.index[accuracy.to_numpy() < float(min_accuracy)].astype(str))
    keep = ~trials["subject_id"].astype(str).isin(excluded).to_numpy()
    return trials[keep].reset_index(drop=True), excluded


def all_catch_answers(paths, emotions, choices=None, format: str = "jspsych", snapshots=None,
                      non_emotion_answers=()) -> pd.DataFrame:
    """The catch answers of several files of one format, in one table (``snapshots``: one per database)."""
    snapshots = snapshots or [None] * len(paths)
    tables = [t for t in (read_catch_answers(p, emotions, choices=choices, format=format, snapshot=s,
                                             non_emotion_answers=non_emotion_answers)
                          for p, s in zip(paths, snapshots)) if len(t)]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=CATCH_ANSWER_COLUMNS)


def participant_table(trials: pd.DataFrame, answers: pd.DataFrame, excluded) -> pd.DataFrame:
    """One row per participant: rating trials, catch trials, catch accuracy and whether excluded."""
    subjects = sorted(set(trials["subject_id"].astype(str)) | set(answers["subject_id"].astype(str)))
    accuracy = catch_accuracy(answers) if len(answers) else pd.Series(dtype=float)
    # Distinct stimuli: a trial shared among responses has several rows.
    stimuli = trials.groupby(trials["subject_id"].astype(str))["stimulus_id"].nunique()
    return pd.DataFrame({
        "subject_id": subjects,
        "n_trials": [int(stimuli.get(s, 0)) for s in subjects],
        "n_catch_trials": [int((answers["subject_id"].astype(str) == s).sum()) for s in subjects],
        "catch_accuracy": [float(accuracy.get(s, np.nan)) for s in subjects],
        "excluded": [s in set(excluded) for s in subjects],
    })
