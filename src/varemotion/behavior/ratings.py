"""Real ratings for the workflow: the trial table and the catch answers of one set of rating files.

A collection database is read once, as one snapshot, for both: trials that arrive while the
workflow reads it are in neither, never in one and not the other.
"""

from __future__ import annotations

import pandas as pd

from .catch_answers import CATCH_ANSWER_COLUMNS, all_catch_answers
from .ingest import TrainRule, apply_train_rule, ingest
from .intensity import IntensityRule
from .records import RECORD_FORMATS
from .sqlite import checked_snapshot, parse_sqlite
from .trials import check_emotions, check_stimulus_ids, validate_trials


def _database_trials(paths, emotions, stimulus_ids, snapshots, train_rule=None) -> pd.DataFrame:
    parsed = [parse_sqlite(p, emotions, snapshot=s) for p, s in zip(paths, snapshots)]
    trials = apply_train_rule(pd.concat([t for t, _ in parsed], ignore_index=True), train_rule)
    return validate_trials(trials, emotions, stimulus_ids, ", ".join(map(str, paths)), column_names=parsed[0][1])


def read_ratings(paths, format: str, emotions, stimulus_ids, column_map: dict | None = None, choices=None,
                 train_rule: TrainRule | None = None, non_emotion_answers=(), intensity: IntensityRule | None = None,
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The checked trial table and every catch answer (formats with catch trials; else an empty table).

    Files without is_train get ``train_rule``'s flags (see :func:`~varemotion.behavior.ingest.ingest`);
    ``non_emotion_answers`` are the experiment's extra buttons (a database records its own);
    ``intensity`` is the scale and conversion rule of the intensity format.
    """
    paths = [paths] if isinstance(paths, str) else list(paths)
    emotions, known = check_emotions(emotions), check_stimulus_ids(stimulus_ids)
    if format == "sqlite":
        if column_map:
            raise ValueError("the sqlite format takes no column_map: the database's columns are fixed")
        snapshots = [checked_snapshot(p) for p in paths]
        trials = _database_trials(paths, emotions, known, snapshots, train_rule)
        return trials, all_catch_answers(paths, emotions, format=format, snapshots=snapshots)
    options = {"choices": choices} if choices and format in ("jspsych", "jatos") else {}
    trials = ingest(paths, format, emotions, known, column_map=column_map, train_rule=train_rule,
                    non_emotion_answers=non_emotion_answers, intensity=intensity, **options)
    if format not in RECORD_FORMATS:
        return trials, pd.DataFrame(columns=CATCH_ANSWER_COLUMNS)
    return trials, all_catch_answers(paths, emotions, choices, format=format, non_emotion_answers=non_emotion_answers)
