"""Reader for the trial database of the collection server (``behavior.ratings.format: sqlite``).

The database (see :mod:`varemotion.collection.store`) is read as one consistent snapshot, also
while the server goes on writing, and never written to. Its trials become jsPsych-style trial
records (``subject_id``, ``stimulus_id`` or ``catch_id`` with ``expected_response``, the button
``response``, ``rt``, ``is_train``) and are read like jsPsych data; the order of the buttons is
the one the database records. Errors name the database, the ``trials`` row id and the column.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.collection.store import Snapshot, read_snapshot
from varemotion.data import DataError

from .answers import split_buttons
from .jspsych import JSPSYCH_FIELDS, parse_rating_records, records_frame
from .trials import check_emotions, validate_trials

SQLITE_EXPECTED = "the trial database of the collection server (varemotion serve --database …)"
ROW_UNIT = "trials row id"


def checked_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """The database's snapshot; DataError naming the file when it is missing or not a collection database."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file does not exist" if not path.exists() else "is not a file", expected=SQLITE_EXPECTED)
    try:
        return read_snapshot(path)
    except sqlite3.DatabaseError as error:
        raise DataError(path, f"cannot be read as a SQLite database ({error})", expected=SQLITE_EXPECTED) from None
    except ValueError as error:
        raise DataError(path, str(error), expected=SQLITE_EXPECTED) from None


def database_records(path: str | os.PathLike[str], snapshot: Snapshot | None = None
                     ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The trials of a collection database as jsPsych-style records, and its buttons in order.

    The buttons are the emotions, then the non-emotion answers the experiment offered.

    ``snapshot`` is one already read from ``path``; otherwise the database is read now.
    """
    snapshot = checked_snapshot(path) if snapshot is None else snapshot
    trials = snapshot.trials
    if trials.empty:
        raise DataError(path, "holds no trials yet", expected=SQLITE_EXPECTED)
    items = [{"subject_id": row.subject_id, "stimulus_id": row.stimulus_id, "catch_id": row.catch_id,
              "expected_response": row.expected_response, "response": int(row.response),
              "rt": None if pd.isna(row.rt_ms) else float(row.rt_ms), "is_train": bool(row.is_train)}
             for row in trials.itertuples()]
    fields = [*JSPSYCH_FIELDS.values(), "catch_id", "expected_response"]
    records = records_frame(items, fields, str(path), trials["id"].to_numpy(dtype=np.int64), ROW_UNIT)
    buttons = (*snapshot.study.get("emotions", ()), *snapshot.study.get("non_emotion_answers", ()))
    return records, tuple(buttons)


def button_order(path, buttons: tuple[str, ...], emotions: tuple[str, ...]) -> tuple[str, ...]:
    """The database's button emotions, checked to be the study's emotions."""
    if {b.lower() for b in buttons} != {e.lower() for e in emotions} or len(buttons) != len(emotions):
        raise DataError(path, f"records the emotions {list(buttons)}, which are not the study's",
                        column="emotions", expected=f"the emotions of data.emotions: {list(emotions)}")
    return buttons


def parse_sqlite(path, emotions, column_map: dict | None = None, snapshot: Snapshot | None = None
                 ) -> tuple[pd.DataFrame, dict]:
    """The rating trials of a collection database, with origin columns, and the fields read."""
    if column_map:
        raise ValueError("the sqlite format takes no column_map: the database's columns are fixed")
    emotions = check_emotions(emotions)
    records, buttons = database_records(path, snapshot)
    buttons, others = split_buttons(buttons)
    return parse_rating_records(records, Path(path), emotions, dict(JSPSYCH_FIELDS), is_json=True,
                                choices=button_order(path, buttons, emotions), non_emotion_answers=others)


def read_sqlite(path: str | os.PathLike[str], emotions, stimulus_ids, snapshot: Snapshot | None = None
                ) -> pd.DataFrame:
    """Read the collection server's database as the canonical trial table (catch trials left out)."""
    trials, fields = parse_sqlite(path, emotions, snapshot=snapshot)
    return validate_trials(trials, emotions, stimulus_ids, path, column_names=fields)
