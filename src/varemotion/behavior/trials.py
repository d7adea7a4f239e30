"""The canonical trial table: one row per rating trial, the table every reader of human ratings returns.

Columns (:data:`TRIAL_COLUMNS`; ``workflow/schemas/trials.schema.yaml`` describes one row):

- ``subject_id``: who responded (text, not blank);
- ``stimulus_id``: the rated stimulus (an id of the stimulus manifest);
- ``response``: the chosen emotion's name (one of the study's emotions), or a non-emotion answer
  (``unclear``, ``not_a_face``; see :mod:`varemotion.behavior.answers`);
- ``rt_ms``: reaction time in milliseconds, a number ≥ 0 on every row, or missing (NaN; an empty
  CSV cell) on every row when it was not recorded;
- ``is_train``: whether the trial is in the training part (true) or the held-out part (false);
- optional ``weight``: a trial shared among several responses (intensity ratings) has one row per
  response, each with its weight; the weights of a trial sum to 1 (:mod:`varemotion.behavior.weights`).

A subject rates each stimulus at most once (in one row, or in weighted rows naming distinct
responses). Readers add origin columns (file, and line or JSON list
item) so that :func:`validate_trials` names the place in the user's file; they are not written.
"""

from __future__ import annotations

import difflib
import os

import numpy as np
import pandas as pd

from varemotion.atomic import write_atomically
from varemotion.data import DataError

from .answers import NON_EMOTION_ANSWERS
from .weights import TRIAL_KEY, WEIGHT_COLUMN

TRIAL_COLUMNS = ["subject_id", "stimulus_id", "response", "rt_ms", "is_train"]
ORIGIN_FILE, ORIGIN_POSITION, ORIGIN_UNIT = "_file", "_position", "_unit"
ORIGIN_COLUMNS = (ORIGIN_FILE, ORIGIN_POSITION, ORIGIN_UNIT)
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
_SHOWN_POSITIONS = 5


def check_emotions(emotions) -> tuple[str, ...]:
    """The emotions as a tuple of distinct, non-blank names (ValueError otherwise)."""
    emotions = tuple(emotions)
    lowered = [str(e).strip().lower() for e in emotions]
    named = all(isinstance(e, str) and e.strip() for e in emotions)
    if not emotions or not named or len(set(lowered)) != len(lowered):
        raise ValueError(f"emotions must be distinct names (not differing only in case), got {list(emotions)}")
    return emotions


def check_stimulus_ids(stimulus_ids) -> frozenset[str]:
    """The stimulus ids as a set of text (ValueError if there are none)."""
    known = frozenset(str(s).strip() for s in stimulus_ids)
    if not known:
        raise ValueError("stimulus_ids is empty: give the ids of the stimulus manifest")
    return known


def text_values(values: pd.Series) -> pd.Series:
    """Each value as stripped text; missing values (None, NaN) as ''."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def with_origin(df: pd.DataFrame, source) -> pd.DataFrame:
    """A copy with a default index; rows without origin columns are placed at line 2, 3, … of ``source``."""
    table = df.reset_index(drop=True)
    if not set(ORIGIN_COLUMNS) <= set(table.columns):
        table[ORIGIN_FILE] = os.fspath(source)
        table[ORIGIN_POSITION] = np.arange(len(table)) + 2
        table[ORIGIN_UNIT] = "line"
    return table


def position(table: pd.DataFrame, i: int) -> str:
    """Where row ``i`` came from: 'line 3' or 'list item 3'."""
    return f"{table[ORIGIN_UNIT].iat[i]} {int(table[ORIGIN_POSITION].iat[i])}"


def positions(table: pd.DataFrame, rows) -> str:
    """Several rows' places, e.g. 'lines 4, 5' or 'list items 2, 3, 4, 5, 6 and 3 more'."""
    rows = list(rows)
    numbers = ", ".join(str(int(table[ORIGIN_POSITION].iat[i])) for i in rows[:_SHOWN_POSITIONS])
    more = f" and {len(rows) - _SHOWN_POSITIONS} more" if len(rows) > _SHOWN_POSITIONS else ""
    unit = table[ORIGIN_UNIT].iat[rows[0]]
    return f"{unit}s {numbers}{more}" if len(rows) > 1 else f"{unit} {numbers}"


def error_at(table: pd.DataFrame, i: int, problem: str, *, column: str, value=None, expected=None) -> DataError:
    """A DataError at row ``i``: its file and line, or its file and (in the problem) its JSON list item."""
    path = table[ORIGIN_FILE].iat[i]
    if table[ORIGIN_UNIT].iat[i] == "line":
        return DataError(path, problem, row=int(table[ORIGIN_POSITION].iat[i]), column=column, value=value,
                         expected=expected)
    return DataError(path, f"in {position(table, i)} {problem}", column=column, value=value, expected=expected)


def first_row(mask) -> int | None:
    """The position of the first true value of ``mask``, or None."""
    mask = np.asarray(mask, dtype=bool)
    return int(np.argmax(mask)) if mask.any() else None


def raise_first(table: pd.DataFrame, mask, problem: str, *, column: str, values: pd.Series, expected: str) -> None:
    """Raise :func:`error_at` the first row where ``mask`` holds, naming that row's value of ``values``."""
    i = first_row(mask)
    if i is not None:
        raise error_at(table, i, problem, column=column, value=values.iat[i], expected=expected)


def required_text(table: pd.DataFrame, column: str, expected: str) -> pd.Series:
    """The column as stripped text (:func:`text_values`); DataError at the first blank."""
    text = text_values(table[column])
    raise_first(table, text == "", "is blank", column=column, values=text, expected=expected)
    return text


def did_you_mean(value: str, options) -> str:
    """'; did you mean X?' for the closest of ``options``, or '' when none is close."""
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_subjects_have_trials(table, subjects: pd.Series, has_trial: pd.Series, names: dict) -> None:
    """Raise DataError for a subject whose every row lacks a stimulus (a subject without trials)."""
    without = set(subjects[~has_trial]) - set(subjects[has_trial]) - {""}
    if not without:
        return
    first = int(np.flatnonzero(subjects.isin(without).to_numpy())[0])
    rows = np.flatnonzero((subjects == subjects.iat[first]).to_numpy())
    raise error_at(table, first, f"is a subject without trials: none of its rows ({positions(table, rows)})"
                                 f" has a {names['stimulus_id']!r}", column=names["subject_id"],
                   value=subjects.iat[first], expected="at least one rated stimulus per subject;"
                                                       " remove the rows of subjects who did no trial")


def check_known_stimuli(table, stimuli: pd.Series, known: frozenset[str], column: str) -> None:
    """Raise DataError at the first stimulus id that is not in ``known``."""
    unknown = ~stimuli.isin(known).to_numpy()
    if not unknown.any():
        return
    i = int(np.argmax(unknown))
    count = len(set(stimuli[unknown]))
    others = f" ({unknown.sum()} rows name {count} unknown ids)" if unknown.sum() > 1 else ""
    examples = ", ".join(repr(s) for s in sorted(known)[:3])
    raise error_at(table, i, f"is not a stimulus of the set{others}{did_you_mean(stimuli.iat[i], known)}",
                   column=column, value=stimuli.iat[i],
                   expected=f"an id of the stimulus manifest ({len(known)} stimuli, e.g. {examples})")


def _reaction_times(table, column: str) -> np.ndarray:
    """rt_ms as float: numbers ≥ 0 on every row, or NaN on every row when the column is blank throughout."""
    text = text_values(table["rt_ms"])
    blank = (text == "") | table["rt_ms"].isna()
    if blank.all():
        return np.full(len(table), np.nan)
    numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float).to_numpy()
    expected = "a reaction time in milliseconds ≥ 0 such as 734 or 734.5 on every row, or none on any row"
    for mask, problem in ((blank, "is blank while other rows have a reaction time"),
                          (~blank & np.isnan(numbers), "is not a number"),
                          (np.isinf(numbers), "is not a finite number"),
                          (numbers < 0, "is negative")):
        raise_first(table, mask, problem, column=column, values=text, expected=expected)
    return numbers


def _train_flags(table, column: str) -> np.ndarray:
    """is_train as bool: true/yes/1 or false/no/0 on every row; blank throughout means true."""
    if pd.api.types.is_bool_dtype(table["is_train"]) and not table["is_train"].isna().any():
        return table["is_train"].to_numpy(dtype=bool)
    text = text_values(table["is_train"]).str.lower()
    if (text == "").all():
        return np.ones(len(table), dtype=bool)
    expected = "true/false, yes/no or 1/0 on every row, or none on any row (then all true)"
    for mask, problem in ((text == "", "is blank while other rows say true or false"),
                          (~text.isin(TRUE_WORDS + FALSE_WORDS), "is not true or false")):
        raise_first(table, mask, problem, column=column, values=text_values(table["is_train"]), expected=expected)
    return text.isin(TRUE_WORDS).to_numpy()


def check_duplicate_ratings(table, subjects: pd.Series, stimuli: pd.Series, column: str, responses=None) -> None:
    """A subject's second rating of a stimulus (with ``responses``: a second row of one response)."""
    keys = pd.DataFrame({"s": subjects, "t": stimuli} | ({} if responses is None else {"r": responses}))
    later = first_row(keys.duplicated(keep="first"))
    if later is None:
        return
    earlier = first_row((keys == keys.iloc[later]).all(axis=1))
    where = position(table, earlier)
    if table[ORIGIN_FILE].iat[earlier] != table[ORIGIN_FILE].iat[later]:
        where += f" of {table[ORIGIN_FILE].iat[earlier]}"
    raise error_at(table, later, f"is rated twice by subject {subjects.iat[later]!r}: here and at {where}",
                   column=column, value=stimuli.iat[later], expected="one trial per subject and stimulus")


def _weights(table, subjects: pd.Series, stimuli: pd.Series, column: str) -> np.ndarray:
    """The weight column as float: numbers in (0, 1] whose sum is 1 within each trial."""
    text = text_values(table[WEIGHT_COLUMN])
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    expected = "the share of the trial given to this row's response: a number in (0, 1], summing to 1 per trial"
    for mask, problem in ((text == "", "is blank"), (np.isnan(numbers), "is not a number"),
                          (~((numbers > 0) & (numbers <= 1)), "is outside (0, 1]")):
        raise_first(table, mask, problem, column=column, values=text, expected=expected)
    trial = pd.DataFrame({"s": subjects, "t": stimuli}).groupby(["s", "t"], sort=False).ngroup().to_numpy()
    sums = np.bincount(trial, weights=numbers)
    bad = np.flatnonzero(np.abs(sums - 1) > 1e-6)
    if bad.size:
        rows = np.flatnonzero(trial == bad[0])
        raise error_at(table, int(rows[0]), f"starts a trial whose weights ({positions(table, rows)}) sum to "
                                            f"{sums[bad[0]]:.6g}", column=column, value=text.iat[rows[0]],
                       expected="weights that sum to 1 over the rows of one subject and stimulus")
    return numbers


def _typed(df: pd.DataFrame, source, column_names: dict | None) -> tuple[pd.DataFrame, dict]:
    """Check the columns and every value's form; return the table with origin and typed columns."""
    names = {c: c for c in [*TRIAL_COLUMNS, WEIGHT_COLUMN]} | (column_names or {})
    for column in TRIAL_COLUMNS:
        if column not in df.columns:
            raise DataError(source, "column is missing", column=column, expected=f"the columns {TRIAL_COLUMNS}")
    if df.empty:
        raise DataError(source, "has no trials", expected="at least one row")
    table = with_origin(df, source)
    subjects, stimuli = text_values(table["subject_id"]), text_values(table["stimulus_id"])
    responses = text_values(table["response"])
    raise_first(table, subjects == "", "is blank", column=names["subject_id"], values=subjects,
                expected="the id of the subject who responded, on every row")
    check_subjects_have_trials(table, subjects, stimuli != "", names)
    raise_first(table, stimuli == "", "is blank", column=names["stimulus_id"], values=stimuli,
                expected="the id of the rated stimulus, on every row")
    raise_first(table, responses == "", "is blank", column=names["response"], values=responses,
                expected="the chosen emotion, on every row")
    rt_ms = _reaction_times(table, names["rt_ms"])
    is_train = _train_flags(table, names["is_train"])
    weighted = WEIGHT_COLUMN in table.columns
    check_duplicate_ratings(table, subjects, stimuli, names["stimulus_id"], responses if weighted else None)
    typed = pd.DataFrame({"subject_id": subjects, "stimulus_id": stimuli, "response": responses,
                          "rt_ms": rt_ms, "is_train": is_train})
    if weighted:
        typed[WEIGHT_COLUMN] = _weights(table, subjects, stimuli, names[WEIGHT_COLUMN])
        _check_trial_flags(table, typed, names["is_train"])
    return pd.concat([typed, table[list(ORIGIN_COLUMNS)]], axis=1), names


def _check_trial_flags(table, typed: pd.DataFrame, column: str) -> None:
    """The rows of one weighted trial agree on is_train."""
    mixed = typed.groupby(TRIAL_KEY, sort=False)["is_train"].transform("nunique").to_numpy() > 1
    i = first_row(mixed)
    if i is not None:
        raise error_at(table, i, "differs between the rows of one trial", column=column,
                       value=str(bool(typed["is_train"].iat[i])).lower(),
                       expected="the same is_train on every row of a subject's trial on a stimulus")


def trial_columns(table: pd.DataFrame) -> list[str]:
    """The canonical columns of a trial table: :data:`TRIAL_COLUMNS`, and weight where it has one."""
    return TRIAL_COLUMNS + ([WEIGHT_COLUMN] if WEIGHT_COLUMN in table.columns else [])


def validate_trials(df: pd.DataFrame, emotions, stimulus_ids, source, *, column_names: dict | None = None
                    ) -> pd.DataFrame:
    """Check a trial table and return it in canonical form (TRIAL_COLUMNS, typed, text stripped).

    ``source`` names the table in errors; rows without origin columns count as lines 2, 3, … of it.
    ``column_names`` maps canonical columns to the names the user's file gives them, for errors.
    Raises DataError (file, line, column, value, what was expected) at the first bad value.
    """
    emotions = check_emotions(emotions)
    known = check_stimulus_ids(stimulus_ids)
    table, names = _typed(df, source, column_names)
    check_known_stimuli(table, table["stimulus_id"], known, names["stimulus_id"])
    answers = (*emotions, *NON_EMOTION_ANSWERS)
    i = first_row(~table["response"].isin(answers))
    if i is not None:
        value = table["response"].iat[i]
        raise error_at(table, i, f"is not one of the emotions{did_you_mean(value, answers)}",
                       column=names["response"], value=value,
                       expected=f"{', '.join(emotions)} (or a non-emotion answer: {', '.join(NON_EMOTION_ANSWERS)})")
    return table[trial_columns(table)].reset_index(drop=True)


def write_trials(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a trial table as CSV (UTF-8, is_train as true/false, missing RT as an empty cell).

    The values' form is checked first (DataError, nothing written); the file is written to a
    temporary file in the same directory and moved into place, so it is complete or left as it was.
    """
    table, _ = _typed(df, path, None)
    table = table[trial_columns(table)].assign(is_train=np.where(table["is_train"], "true", "false"))
    write_atomically(path, lambda handle: table.to_csv(handle, index=False, float_format="%.10g",
                                                       lineterminator="\n", encoding="utf-8"))
