"""Reader for ratings collected with jsPsych's html-button-response (or image-button-response) plugin.

The input is the trial records jsPsych keeps, saved as JSON (``jsPsych.data.get().json()``: a
list of objects) or as CSV (``.csv()``). Rating trials are the records with a non-blank
``stimulus_id`` (set through each trial's ``data``); other records (instructions, fixation) are
skipped. From each rating trial:

- ``response``: the 0-based index of the clicked button (``button_pressed`` in jsPsych 6),
  turned into an emotion through ``choices``, the button labels in the order shown (default:
  the emotions), then the ``non_emotion_answers`` buttons shown after them ("unclear",
  "not_a_face"). Buttons must be in the same order on every trial;
- ``rt``: the reaction time in ms;
- ``subject_id`` and ``is_train`` when the records carry them (e.g. through
  ``jsPsych.data.addProperties``); without a ``subject_id`` field, the ``subject_id`` argument.

Errors locate CSV rows by line and JSON records by list item (1 = the first object).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.data import DataError

from .labels import parse_responses
from .textfiles import (
    looks_like_json,
    read_table,
    read_text,
    require_columns,
    resolve_column_map,
)
from .trials import (
    ORIGIN_COLUMNS,
    ORIGIN_FILE,
    ORIGIN_POSITION,
    ORIGIN_UNIT,
    check_emotions,
    check_subjects_have_trials,
    error_at,
    text_values,
    validate_trials,
)

#: Canonical column → the jsPsych field it is read from (``column_map`` overrides these).
JSPSYCH_FIELDS = {"subject_id": "subject_id", "stimulus_id": "stimulus_id", "response": "response",
                  "rt_ms": "rt", "is_train": "is_train"}
OLD_RESPONSE_FIELD = "button_pressed"
JSPSYCH_EXPECTED = ("jsPsych data: a JSON list of trial objects as written by jsPsych.data.get().json(),"
                    " or the CSV written by .csv()")


def _json_type(value) -> str:
    for kind, name in ((dict, "an object"), (list, "a list"), (str, "a string"), (bool, "a boolean"),
                       ((int, float), "a number")):
        if isinstance(value, kind):
            return name
    return "null"


def _json_text(value) -> str:
    """A JSON value as the text a CSV export would hold ('' for null, 3 for 3.0)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value).strip()


def _json_records(path: Path, text: str, fields) -> pd.DataFrame:
    """The wanted fields of every record of a jsPsych JSON list, as text, with origin columns."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(path, f"is not valid JSON: {error.msg} (character {error.colno})", row=error.lineno,
                        expected=JSPSYCH_EXPECTED) from None
    if not isinstance(data, list):
        lists = [key for key, value in data.items() if isinstance(value, list)] if isinstance(data, dict) else []
        hint = f"; its key {lists[0]!r} holds a list: save that list alone" if len(lists) == 1 else ""
        raise DataError(path, f"holds {_json_type(data)}, not a list of trial objects{hint}",
                        expected=JSPSYCH_EXPECTED)
    if not data:
        raise DataError(path, "is an empty JSON list: it holds no trials", expected=JSPSYCH_EXPECTED)
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise DataError(path, f"in list item {number} is {_json_type(item)}, not a trial object",
                            value=_json_text(item), expected=JSPSYCH_EXPECTED)
    return records_frame(data, fields, str(path), np.arange(len(data)) + 1, "list item")


def records_frame(items: list[dict], fields, files, positions, unit: str) -> pd.DataFrame:
    """The wanted ``fields`` of trial objects as text (as a CSV export holds them), with origin columns."""
    present = [f for f in dict.fromkeys(fields) if any(f in item for item in items)]
    records = pd.DataFrame({f: [_json_text(item.get(f)) for item in items] for f in present},
                           index=range(len(items)), dtype=object)
    records[ORIGIN_FILE] = files
    records[ORIGIN_POSITION] = positions
    records[ORIGIN_UNIT] = unit
    return records


def read_records(path: Path, fields) -> tuple[pd.DataFrame, bool]:
    """Every record of a jsPsych data file (JSON: the wanted ``fields``; CSV: all columns), and whether it was JSON."""
    text = read_text(path, JSPSYCH_EXPECTED)
    is_json = path.suffix.lower() == ".json" or looks_like_json(text)
    records = _json_records(path, text, fields) if is_json else read_table(path, JSPSYCH_EXPECTED, text=text)
    return records, is_json


def subject_ids(records, path, fields, subject_id) -> pd.Series:
    """The subject id of every record (from its field, or the ``subject_id`` argument)."""
    return _subjects(records, path, fields, subject_id)


def button_emotions(choices, emotions) -> tuple[str, ...]:
    """The emotion of each response button, in order (``choices``, default ``emotions``)."""
    return _buttons(choices, emotions)


def _require_fields(records, path, wanted, fields, is_json) -> None:
    if not is_json:
        require_columns(records, path, wanted, fields)
        return
    for canonical in wanted:
        if fields[canonical] not in records.columns:
            raise DataError(path, "is a field that no list item has", column=fields[canonical],
                            expected=f"rating trials with a {fields[canonical]!r} field")


def _subjects(records, path, fields, subject_id) -> pd.Series:
    field = fields["subject_id"]
    if field in records.columns:
        if subject_id is not None:
            raise DataError(path, f"has a {field!r} field, so the subject_id argument {subject_id!r} is ambiguous",
                            expected="the subject_id argument only for data without that field")
        return text_values(records[field])
    if subject_id is None or not str(subject_id).strip():
        raise DataError(path, f"has no {field!r} field and no subject_id argument was given",
                        expected="a subject id on every trial (jsPsych.data.addProperties({subject_id: ...}))"
                                 " or the subject_id argument")
    return pd.Series(str(subject_id).strip(), index=records.index, dtype=object)


def _buttons(choices, emotions) -> tuple[str, ...]:
    if choices is None:
        return emotions
    names = {e.lower(): e for e in emotions}
    buttons = tuple(names.get(str(c).strip().lower(), "") for c in choices)
    if "" in buttons or len(set(buttons)) != len(buttons) or not buttons:
        raise ValueError(f"choices must be distinct emotions from {list(emotions)}, got {list(choices)}")
    return buttons


def parse_jspsych(path, emotions, subject_id=None, choices=None, column_map=None, non_emotion_answers=()
                  ) -> tuple[pd.DataFrame, dict]:
    """The rating trials of a jsPsych data file, with origin columns, and the field each column came from."""
    path = Path(path)
    fields = resolve_column_map(column_map, JSPSYCH_FIELDS)
    records, is_json = read_records(path, [*fields.values(), OLD_RESPONSE_FIELD])
    return parse_rating_records(records, path, emotions, fields, is_json=is_json, subject_id=subject_id,
                                choices=choices, column_map=column_map, non_emotion_answers=non_emotion_answers)


def parse_rating_records(records: pd.DataFrame, path, emotions, fields: dict, *, is_json: bool, subject_id=None,
                         choices=None, column_map=None, non_emotion_answers=()) -> tuple[pd.DataFrame, dict]:
    """The rating trials among jsPsych-style trial records (fields of :data:`JSPSYCH_FIELDS`), with origin columns."""
    emotions = check_emotions(emotions)
    buttons = _buttons(choices, emotions)
    fields = dict(fields)
    if fields["response"] not in records.columns and "response" not in (column_map or {}) \
            and OLD_RESPONSE_FIELD in records.columns:
        fields["response"] = OLD_RESPONSE_FIELD
    _require_fields(records, path, ["stimulus_id", "response"], fields, is_json)
    subjects = _subjects(records, path, fields, subject_id)
    stimuli = text_values(records[fields["stimulus_id"]])
    check_subjects_have_trials(records, subjects, stimuli != "", fields)
    rating = (stimuli != "").to_numpy()
    if not rating.any():
        raise DataError(path, f"has no rating trials: no record has a {fields['stimulus_id']!r}",
                        column=fields["stimulus_id"], expected="rating trials that carry data: {stimulus_id: ...}")
    trials = records[rating].reset_index(drop=True)
    unanswered = np.flatnonzero((text_values(trials[fields["response"]]) == "").to_numpy())
    if unanswered.size:
        raise error_at(trials, int(unanswered[0]), "is blank: no button was clicked (a timed-out trial?)",
                       column=fields["response"], value="",
                       expected="a button index on every rating trial; remove unanswered trials first")
    optional = {"rt_ms": np.nan, "is_train": ""}
    table = pd.DataFrame({
        "subject_id": subjects[rating].to_numpy(dtype=object),
        "stimulus_id": stimuli[rating].to_numpy(dtype=object),
        "response": parse_responses(trials, fields["response"], emotions, buttons, "button index",
                                    non_emotion_answers).to_numpy(),
        **{c: trials[fields[c]] if fields[c] in trials.columns else default for c, default in optional.items()},
    })
    return pd.concat([table, trials[list(ORIGIN_COLUMNS)]], axis=1), fields


def read_jspsych(path: str | os.PathLike[str], emotions, stimulus_ids, subject_id: str | None = None,
                 choices=None, column_map: dict | None = None, non_emotion_answers=()) -> pd.DataFrame:
    """Read a jsPsych data file (JSON or CSV) as the canonical trial table (see the module docstring).

    ``column_map`` maps canonical columns to other field names (defaults :data:`JSPSYCH_FIELDS`).
    Raises DataError (file, line or list item, field, value) for anything malformed.
    """
    trials, fields = parse_jspsych(path, emotions, subject_id, choices, column_map, non_emotion_answers)
    return validate_trials(trials, emotions, stimulus_ids, path, column_names=fields)
