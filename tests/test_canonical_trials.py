"""The canonical trial table: validating it, writing it atomically, and its JSON schema."""

from __future__ import annotations

import json
import math

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO
from helpers import RATING_EMOTIONS as EMOTIONS, S1, S2, STIMULI, VOTES_HEADER, assert_message, error_of, write
from varemotion.behavior import TRIAL_COLUMNS, read_trial_table, read_vote_counts, validate_trials, write_trials
from varemotion.behavior.weights import WEIGHT_COLUMN
from varemotion.data import DataError


def canonical(**changes) -> pd.DataFrame:
    table = pd.DataFrame({"subject_id": ["p1", "p1", "p2"], "stimulus_id": [S1, S2, S1],
                          "response": ["happiness", "sadness", "neutral"], "rt_ms": [512.25, 600.0, 433.0],
                          "is_train": [True, False, True]})
    return table.assign(**changes)


def test_validate_trials_checks_a_canonical_table():
    assert validate_trials(canonical(), EMOTIONS, STIMULI, "trials.csv").equals(canonical())
    error = error_of(validate_trials, canonical(response=["happiness", "contempt", "neutral"]), source="mine.csv")
    assert_message(error, "mine.csv, line 3, column 'response': value 'contempt' is not one of the emotions")
    error = error_of(validate_trials, canonical().drop(columns="is_train"), source="mine.csv")
    assert_message(error, "mine.csv, column 'is_train': column is missing")
    error = error_of(validate_trials, canonical(is_train=["true", "false", "sometimes"]), source="mine.csv")
    assert_message(error, "mine.csv, line 4, column 'is_train': value 'sometimes' is not true or false")
    error = error_of(validate_trials, canonical().iloc[:0], source="mine.csv")
    assert_message(error, "mine.csv: has no trials")


def test_write_trials_round_trips_and_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "results" / "trials.csv"
    table = canonical(rt_ms=[512.25, 600.0, np.nan]).iloc[:2]
    write_trials(table, out)
    assert out.read_text().splitlines() == [",".join(TRIAL_COLUMNS), f"p1,{S1},happiness,512.25,true",
                                            f"p1,{S2},sadness,600,false"]
    assert read_trial_table(out, EMOTIONS, STIMULI).equals(table)

    votes = write(tmp_path, "votes.csv", f"{VOTES_HEADER}\n{S1},1,1,0,0,0\n")
    expanded = read_vote_counts(votes, EMOTIONS, STIMULI)
    write_trials(expanded, tmp_path / "votes_trials.csv")
    assert read_trial_table(tmp_path / "votes_trials.csv", EMOTIONS, STIMULI).equals(expanded)

    before = out.read_bytes()
    with pytest.raises(DataError, match=r"trials.csv, line 3, column 'rt_ms': value '-1.0' is negative"):
        write_trials(canonical(rt_ms=[1.0, -1.0, 2.0]), out)
    fresh = tmp_path / "new" / "trials.csv"
    with pytest.raises(DataError, match="is rated twice by subject 'p1'"):
        write_trials(canonical(stimulus_id=[S1, S1, S1]), fresh)
    assert not fresh.parent.exists()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    with pytest.raises(OSError, match="disk full"):
        write_trials(table, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["trials.csv"]


def test_schema_describes_the_canonical_rows(tmp_path):
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "trials.schema.yaml").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == TRIAL_COLUMNS and list(schema["properties"]) == [*TRIAL_COLUMNS, WEIGHT_COLUMN]
    validator = jsonschema.Draft202012Validator(schema)

    def rows(table):
        return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                for row in json.loads(table.to_json(orient="records"))]

    votes = read_vote_counts(write(tmp_path, "votes.csv", f"{VOTES_HEADER}\n{S1},1,1,0,0,0\n"), EMOTIONS, STIMULI)
    for table in (canonical(), votes):
        for row in rows(table):
            validator.validate(row)
    good = rows(canonical())[0]
    for change in ({"subject_id": ""}, {"rt_ms": -1}, {"is_train": "yes"}, {"response": ""}, {"weight": 0},
                   {"weight": 1.5}):
        assert not validator.is_valid(good | change)
    assert validator.is_valid(good | {"weight": 0.5})
    assert not validator.is_valid({k: v for k, v in good.items() if k != "rt_ms"})
    assert not validator.is_valid(good | {"extra": 1})
