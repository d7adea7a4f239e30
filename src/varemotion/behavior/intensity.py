"""Intensity ratings: per trial, a rating on a 0..k scale for each emotion, turned into trials by a rule.

A rating file (CSV or TSV) has one row per trial: ``subject_id``, ``stimulus_id``, one column per
emotion (named by the emotion, or mapped by ``column_map``) and, optionally, ``rt_ms`` and
``is_train``. Every rating is a number from 0 to ``scale_max`` (whole or not: a slider's value
is fine). A row blank in every emotion column is a trial the rater skipped and is left out.

:class:`IntensityRule` turns each trial into rows of the canonical trial table:

- ``argmax``: the response is the emotion rated highest. Ties are ``split`` evenly (one row per
  tied emotion, each with weight 1/m) or broken at ``random`` (one of them, drawn from ``seed``:
  one uniform number per trial, in file order);
- ``weighted``: one row per emotion rated above 0, weighted by its share of the trial's ratings.

A trial rated 0 on every emotion names no emotion: its response is the non-emotion answer
``unclear`` (see :mod:`varemotion.behavior.answers`; by default left out of the entropy). Tables
that can share a trial among emotions (``weighted``, or ``argmax`` with ``split`` ties) have a
``weight`` column (:mod:`varemotion.behavior.weights`); with ``random`` ties every trial is one row.

Bad input raises :class:`~varemotion.data.DataError` at its file, line and column: a missing
emotion column, a rating that is not a number or is outside the scale, a row rated on some
emotions and blank on others, a rater with no rating on any row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from varemotion.data import DataError

from .textfiles import read_table, require_columns, resolve_column_map
from .trials import (
    ORIGIN_COLUMNS,
    check_duplicate_ratings,
    check_emotions,
    error_at,
    positions,
    raise_first,
    text_values,
)
from .weights import WEIGHT_COLUMN

INTENSITY_RULES = ("argmax", "weighted")
TIE_RULES = ("split", "random")
#: The response of a trial rated 0 on every emotion.
NO_EMOTION = "unclear"
INTENSITY_EXPECTED = ("a CSV or TSV table with a header line and one trial per line: columns subject_id, stimulus_id,"
                      " one rating column per emotion and, optionally, rt_ms and is_train")


@dataclass(frozen=True)
class IntensityRule:
    """The scale (0 to ``scale_max``) and how a trial's ratings become responses (module docstring)."""

    scale_max: float = 4
    rule: str = "argmax"
    ties: str = "split"
    seed: int = 0

    def __post_init__(self) -> None:
        if not float(self.scale_max) > 0:
            raise ValueError(f"scale_max must be above 0, got {self.scale_max!r}")
        if self.rule not in INTENSITY_RULES:
            raise ValueError(f"rule must be one of {INTENSITY_RULES}, got {self.rule!r}")
        if self.ties not in TIE_RULES:
            raise ValueError(f"ties must be one of {TIE_RULES}, got {self.ties!r}")

    @property
    def weighted(self) -> bool:
        """Whether the rule can share a trial among emotions (then the table has a weight column)."""
        return self.rule == "weighted" or self.ties == "split"


def _ratings(table: pd.DataFrame, column: str, scale_max: float) -> tuple[np.ndarray, np.ndarray]:
    """One emotion column as floats (NaN where blank), and where it is blank; bad values raise DataError."""
    text = text_values(table[column])
    blank = (text == "").to_numpy()
    numbers = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float).to_numpy()
    expected = f"a rating from 0 to {scale_max:g} on the intensity scale"
    outside = ~blank & ~((numbers >= 0) & (numbers <= scale_max))
    for mask, problem in ((~blank & np.isnan(numbers), "is not a number"),
                          (outside, f"is outside the scale 0 to {scale_max:g}")):
        raise_first(table, mask, problem, column=column, values=text, expected=expected)
    return numbers, blank


def _check_rows(table: pd.DataFrame, blank: np.ndarray, names: dict, emotions) -> None:
    """A row is rated on every emotion or on none; every rater rates something."""
    partly = np.flatnonzero(blank.any(axis=1) & ~blank.all(axis=1))
    if partly.size:
        row = int(partly[0])
        column = names[emotions[int(np.argmax(blank[row]))]]
        raise error_at(table, row, "is blank while other emotions of this trial are rated", column=column, value="",
                       expected="a rating of every emotion, or none on a trial the rater skipped")
    subjects = text_values(table[names["subject_id"]])
    skipped = pd.Series(blank.all(axis=1), index=table.index)
    silent = skipped.groupby(subjects.to_numpy()).transform("all").to_numpy() & (subjects != "").to_numpy()
    if silent.any():
        first = int(np.flatnonzero(silent)[0])
        rows = np.flatnonzero((subjects == subjects.iat[first]).to_numpy())
        raise error_at(table, first, f"is a rater with no ratings: every emotion column of their rows"
                                     f" ({positions(table, rows)}) is blank", column=names["subject_id"],
                       value=subjects.iat[first], expected="at least one rated trial per rater;"
                                                            " remove the rows of raters who rated nothing")


def parse_intensity(path, emotions, column_map: dict | None = None, scale_max: float = 4
                    ) -> tuple[pd.DataFrame, dict]:
    """The rated trials of one file (one row each, ratings as float columns named by emotion) and its column names.

    Columns: subject_id, stimulus_id, rt_ms, is_train, one per emotion, and the origin columns;
    skipped trials (blank in every emotion column) are left out.
    """
    emotions = check_emotions(emotions)
    defaults = {c: c for c in ("subject_id", "stimulus_id", "rt_ms", "is_train")} | {e: e for e in emotions}
    names = resolve_column_map(column_map, defaults)
    table = read_table(path, INTENSITY_EXPECTED)
    require_columns(table, path, ["subject_id", "stimulus_id", *emotions], names)
    parsed = [_ratings(table, names[e], float(scale_max)) for e in emotions]
    blank = np.column_stack([b for _, b in parsed])
    _check_rows(table, blank, names, emotions)
    rows = pd.DataFrame({
        "subject_id": table[names["subject_id"]], "stimulus_id": table[names["stimulus_id"]],
        "rt_ms": table[names["rt_ms"]] if names["rt_ms"] in table.columns else np.nan,
        "is_train": table[names["is_train"]] if names["is_train"] in table.columns else "",
    })
    for emotion, (numbers, _) in zip(emotions, parsed):
        rows[emotion] = numbers
    rows = pd.concat([rows, table[list(ORIGIN_COLUMNS)]], axis=1)
    rated = rows[~blank.all(axis=1)].reset_index(drop=True)
    if rated.empty:
        raise DataError(path, "holds no ratings: every emotion column is blank on every row",
                        expected=INTENSITY_EXPECTED)
    return rated, names


def _shares(ratings: np.ndarray, rule: IntensityRule) -> np.ndarray:
    """(trials × emotions) share of each trial given to each emotion (rows of rated trials sum to 1)."""
    if rule.rule == "weighted":
        total = ratings.sum(axis=1, keepdims=True)
        return np.divide(ratings, total, out=np.zeros_like(ratings), where=total > 0)
    top = ratings == ratings.max(axis=1, keepdims=True)
    if rule.ties == "split":
        return top / top.sum(axis=1, keepdims=True)
    draw = np.random.default_rng(rule.seed).random(len(ratings))
    counts = top.sum(axis=1)
    pick = np.minimum((draw * counts).astype(int), counts - 1)
    chosen = np.argmax(np.cumsum(top, axis=1) > pick[:, None], axis=1)
    shares = np.zeros_like(ratings)
    shares[np.arange(len(ratings)), chosen] = 1.0
    return shares


def intensity_trials(rows: pd.DataFrame, emotions, rule: IntensityRule, names: dict) -> pd.DataFrame:
    """The canonical rows of rated trials (parsed by :func:`parse_intensity`), by ``rule``; origin kept.

    A subject rating a stimulus twice raises DataError at the second row.
    """
    emotions = check_emotions(emotions)
    check_duplicate_ratings(rows, text_values(rows["subject_id"]), text_values(rows["stimulus_id"]),
                            names["stimulus_id"])
    ratings = rows[list(emotions)].to_numpy(dtype=float)
    silent = ratings.max(axis=1) <= 0
    shares = _shares(ratings, rule)
    shares[silent] = 0.0
    trial, emotion = np.nonzero(shares > 0)
    responses = np.asarray(emotions, dtype=object)[emotion]
    weights = shares[trial, emotion]
    trial = np.concatenate([trial, np.flatnonzero(silent)])
    responses = np.concatenate([responses, np.full(silent.sum(), NO_EMOTION, dtype=object)])
    weights = np.concatenate([weights, np.ones(silent.sum())])
    order = np.lexsort((np.arange(len(trial)), trial))
    trial, responses, weights = trial[order], responses[order], weights[order]
    out = rows.iloc[trial][["subject_id", "stimulus_id", "rt_ms", "is_train", *ORIGIN_COLUMNS]].reset_index(drop=True)
    out.insert(2, "response", responses)
    if rule.weighted:
        out[WEIGHT_COLUMN] = weights
    return out
