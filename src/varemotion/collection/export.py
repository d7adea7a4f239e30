"""The collection database as files: jsPsych CSV (one row per trial) and the canonical trial table.

The jsPsych CSV has the fields the exported page's own CSV has (``subject_id``, ``stimulus_id`` or
``catch_id`` with ``expected_response``, ``is_train``, the button index ``response``, ``rt``,
``design_trial_index``) plus ``response_label``, the Prolific ids and ``received_at``, so that
:func:`varemotion.behavior.read_jspsych` reads it like the page's own files. Both are written
from one snapshot of the database, through temporary files: complete or not written at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from varemotion.atomic import write_atomically
from varemotion.behavior.sqlite import checked_snapshot, read_sqlite
from varemotion.behavior.trials import write_trials

from .store import Snapshot

JSPSYCH_COLUMNS = ["subject_id", "design_trial_index", "stimulus_id", "catch_id", "expected_response", "is_train",
                   "response", "response_label", "rt", "prolific_pid", "study_id", "session_id", "received_at"]


def jspsych_rows(snapshot: Snapshot) -> pd.DataFrame:
    """Every stored trial as a row of jsPsych data, in the order the trials arrived."""
    trials = snapshot.trials.rename(columns={"trial_index": "design_trial_index", "rt_ms": "rt"})
    trials["is_train"] = trials["is_train"].astype(bool).map({True: "true", False: "false"})
    people = snapshot.participants[["subject_id", "prolific_pid", "study_id", "session_id"]]
    return trials.merge(people, on="subject_id", how="left")[JSPSYCH_COLUMNS]


def export_trials(database: str | os.PathLike[str], *, jspsych: str | os.PathLike[str] | None = None,
                  trials: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Write the database as jsPsych CSV (``jspsych``) and/or the canonical trial table (``trials``).

    The trial table holds the rating trials (catch trials left out) with the emotions the
    database records; it is checked as every ingested table is. Returns the files written.
    """
    snapshot = checked_snapshot(database)
    table = None
    if trials is not None:
        stimuli = snapshot.trials["stimulus_id"].dropna().unique()
        table = read_sqlite(database, snapshot.study["emotions"], stimuli, snapshot=snapshot)
    written = {}
    if jspsych is not None:
        rows = jspsych_rows(snapshot)
        written["jspsych"] = write_atomically(jspsych, lambda h: rows.to_csv(h, index=False, lineterminator="\n"))
    if table is not None:
        write_trials(table, trials)
        written["trials"] = Path(trials)
    return written
