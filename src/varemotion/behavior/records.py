"""Trial records of the rating formats that also hold catch trials: jsPsych data, the collection
database (``sqlite``) and JATOS result exports (``jatos``), each as jsPsych-style records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .jatos import jatos_records
from .jspsych import read_records
from .sqlite import database_records

RECORD_FORMATS = ("jspsych", "sqlite", "jatos")


def trial_records(path, format: str, fields, snapshot=None) -> tuple[pd.DataFrame, tuple[str, ...] | None]:
    """Every record of one file as text with origin columns, and the button emotions when the file records them.

    ``snapshot``: a database's snapshot already read (sqlite only).
    """
    if format == "sqlite":
        return database_records(path, snapshot)
    if format == "jatos":
        return jatos_records(path, fields), None
    if format == "jspsych":
        return read_records(Path(path), fields)[0], None
    raise ValueError(f"format {format!r} has no trial records (expected one of {list(RECORD_FORMATS)})")
