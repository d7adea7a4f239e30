"""The trial database of the collection server: SQLite in WAL mode, one transaction per trial.

Tables:

- ``study``: ``key, value`` (JSON): the design id, emotions and button labels of the experiment
  the database belongs to, so that it can be read without the experiment folder;
- ``participants``: one row per started session: ``subject_id`` (a participant of the design),
  the Prolific ids ``prolific_pid`` (unique), ``study_id``, ``session_id``, and ``started_at``;
- ``trials``: one row per answered trial, unique on ``(subject_id, trial_index)``: the design's
  ``trial_index``, ``stimulus_id`` or ``catch_id`` (with ``expected_response``), ``is_train``,
  the clicked button ``response`` (0-based) and its ``response_label``, ``rt_ms`` and
  ``received_at`` (UTC, ISO 8601).

Writers and readers may work at the same time: WAL mode lets :func:`read_snapshot` see the trials
committed when it starts while the server goes on writing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

SCHEMA_VERSION = 1
#: Seconds between passive checkpoints, which copy the WAL into the database file: its modification
#: time then shows new trials within this delay (Snakemake reruns the ingest on a newer input).
CHECKPOINT_EVERY_S = 2.0
#: SQLite's synchronous settings the server offers. FULL (the default) syncs every trial to disk
#: before the browser is told it is stored, so it survives a power cut; NORMAL survives a crash of
#: the server or a killed process, but a power cut may lose the last trials; it is far faster.
SYNCHRONOUS = ("FULL", "NORMAL")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS study (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
    subject_id TEXT PRIMARY KEY,
    prolific_pid TEXT UNIQUE,
    study_id TEXT,
    session_id TEXT,
    started_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY,
    subject_id TEXT NOT NULL REFERENCES participants (subject_id),
    trial_index INTEGER NOT NULL,
    stimulus_id TEXT,
    catch_id TEXT,
    expected_response TEXT,
    is_train INTEGER NOT NULL,
    response INTEGER NOT NULL,
    response_label TEXT NOT NULL,
    rt_ms REAL,
    received_at TEXT NOT NULL,
    UNIQUE (subject_id, trial_index)
);
"""
TRIAL_FIELDS = ("subject_id", "trial_index", "stimulus_id", "catch_id", "expected_response", "is_train",
                "response", "response_label", "rt_ms")
PARTICIPANT_FIELDS = ("subject_id", "prolific_pid", "study_id", "session_id", "started_at")


class StoreConflict(ValueError):
    """A write that contradicts what the database holds (the message says what)."""


class NotStarted(LookupError):
    """A trial of a participant who has no session in the database."""


@dataclass(frozen=True)
class Snapshot:
    """The whole database at one moment: study settings, participants and trials."""

    path: Path
    study: dict
    participants: pd.DataFrame
    trials: pd.DataFrame


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class TrialStore:
    """The collection database, opened for writing by one process (the server).

    Every method is one transaction. Calls from several threads are serialised by a lock, since
    SQLite allows one writer at a time anyway.
    """

    def __init__(self, path: str | os.PathLike[str], study: Mapping[str, object], *, synchronous: str = "FULL"
                 ) -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {list(SYNCHRONOUS)}, got {synchronous!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._last_checkpoint = time.monotonic()
        self._claim(dict(study) | {"schema_version": SCHEMA_VERSION})

    def _claim(self, study: dict) -> None:
        """Record the study settings, or check them against those already recorded."""
        with self._lock:
            stored = {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM study")}
        if stored and stored.get("design_id") != study.get("design_id"):
            self.close()
            raise StoreConflict(f"{self.path} holds trials of another experiment (design id "
                                f"{stored.get('design_id')!r}, this experiment's is {study.get('design_id')!r}):"
                                " give the server a new database file")
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO study (key, value) VALUES (?, ?)",
                                 [(k, json.dumps(v)) for k, v in study.items()])

    def close(self) -> None:
        self._db.close()

    def start_session(self, subject_ids: Sequence[str], *, participant: str | None = None,
                      prolific: Mapping[str, str] | None = None) -> str:
        """The design participant of a session: ``participant`` itself, or the Prolific id's slot.

        A Prolific participant seen before gets the same slot again; a new one gets the first
        participant of ``subject_ids`` (design order) that has no session yet.
        """
        prolific = dict(prolific or {})
        pid = prolific.get("prolific_pid")
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if pid is not None:
                row = self._db.execute("SELECT subject_id FROM participants WHERE prolific_pid = ?", (pid,)).fetchone()
                if row is not None:
                    if participant is not None and participant != row[0]:
                        raise StoreConflict(f"Prolific participant {pid!r} already takes part as {row[0]!r}")
                    return row[0]
            subject = participant if participant is not None else self._free_slot(subject_ids)
            taken = self._db.execute("SELECT prolific_pid FROM participants WHERE subject_id = ?",
                                     (subject,)).fetchone()
            if taken is None:
                self._db.execute("INSERT INTO participants (subject_id, prolific_pid, study_id, session_id, started_at)"
                                 " VALUES (?, ?, ?, ?, ?)", (subject, pid, prolific.get("study_id"),
                                                             prolific.get("session_id"), _now()))
            elif pid is not None and taken[0] != pid:
                raise StoreConflict(f"participant {subject!r} is already taken by another Prolific participant")
            return subject

    def _free_slot(self, subject_ids: Sequence[str]) -> str:
        taken = {row[0] for row in self._db.execute("SELECT subject_id FROM participants")}
        for subject in subject_ids:
            if subject not in taken:
                return subject
        raise StoreConflict(f"all {len(subject_ids)} participants of the design have started a session:"
                            " the study is full")

    def answered(self, subject_id: str) -> list[int]:
        """The design trial indices this participant has answered, in order."""
        with self._lock:
            rows = self._db.execute("SELECT trial_index FROM trials WHERE subject_id = ? ORDER BY trial_index",
                                    (subject_id,))
            return [row[0] for row in rows]

    def add_trial(self, trial: Mapping[str, object]) -> bool:
        """Store one trial (keys :data:`TRIAL_FIELDS`); False when the same answer is already stored.

        A different answer to a stored trial raises StoreConflict, a participant without a session
        NotStarted; neither changes anything.
        """
        values = [trial.get(f) for f in TRIAL_FIELDS]
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM participants WHERE subject_id = ?",
                                (trial["subject_id"],)).fetchone() is None:
                raise NotStarted(f"participant {trial['subject_id']!r} has not started a session")
            inserted = self._db.execute(
                f"INSERT INTO trials ({', '.join(TRIAL_FIELDS)}, received_at) VALUES "
                f"({', '.join('?' * len(TRIAL_FIELDS))}, ?) ON CONFLICT (subject_id, trial_index) DO NOTHING",
                [*values, _now()]).rowcount
            if inserted:
                self._checkpoint()
                return True
            stored = self._db.execute("SELECT response, stimulus_id, catch_id FROM trials WHERE subject_id = ? AND"
                                      " trial_index = ?", (trial["subject_id"], trial["trial_index"])).fetchone()
        if stored != (trial["response"], trial.get("stimulus_id"), trial.get("catch_id")):
            raise StoreConflict(f"trial {trial['trial_index']} of {trial['subject_id']!r} is already stored with"
                                f" another answer (button {stored[0]})")
        return False

    def _checkpoint(self) -> None:
        if time.monotonic() - self._last_checkpoint >= CHECKPOINT_EVERY_S:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._last_checkpoint = time.monotonic()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"participants": self._db.execute("SELECT COUNT(*) FROM participants").fetchone()[0],
                    "trials": self._db.execute("SELECT COUNT(*) FROM trials").fetchone()[0]}


def _backup(path: Path, target: sqlite3.Connection) -> None:
    """Copy the database at ``path`` (opened read-only) into ``target`` as one consistent state."""
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        source.backup(target)
    finally:
        source.close()


def read_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Everything in the database at one moment, read without writing to it (also while the server runs).

    The file is opened read-only and copied into memory with SQLite's backup API, which reads
    one consistent state of the database. Raises sqlite3.DatabaseError for a file that is not a
    SQLite database and ValueError for one without the collection tables.
    """
    path = Path(path)
    memory = sqlite3.connect(":memory:")
    try:
        _backup(path, memory)
        tables = {row[0] for row in memory.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"study", "participants", "trials"} - tables)
        if missing:
            raise ValueError(f"has no table {missing[0]!r}: it is not a database of the collection server")
        study = {k: json.loads(v) for k, v in memory.execute("SELECT key, value FROM study")}
        participants = pd.read_sql_query(f"SELECT {', '.join(PARTICIPANT_FIELDS)} FROM participants"
                                          " ORDER BY started_at, subject_id", memory)
        trials = pd.read_sql_query(f"SELECT id, {', '.join(TRIAL_FIELDS)}, received_at FROM trials ORDER BY id", memory)
    finally:
        memory.close()
    return Snapshot(path, study, participants, trials)
