"""Catch-trial answers in jsPsych data, catch accuracy and the exclusion of inattentive participants."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from varemotion.behavior import read_jspsych
from varemotion.behavior.catch_answers import (
    all_catch_answers,
    catch_accuracy,
    exclude_inattentive,
    participant_table,
    read_catch_answers,
)
from varemotion.data import DataError

EMOTIONS = ["anger", "happiness", "sadness"]


def record(subject, response, stimulus_id=None, catch_id=None, expected=None):
    data = {"subject_id": subject, "response": response, "rt": 800, "trial_type": "image-button-response"}
    if stimulus_id:
        data |= {"stimulus_id": stimulus_id, "is_train": True}
    if catch_id:
        data |= {"catch_id": catch_id, "expected_response": expected, "is_train": False}
    return data


def write_session(path, subject, answers):
    """A session of 3 rating trials and catch trials answered with ``answers`` (button indices)."""
    records = [{"trial_type": "html-button-response", "response": 0, "subject_id": subject}]
    records += [record(subject, k % 3, stimulus_id=f"s{k}") for k in range(3)]
    catch = [("catch-anger-01", "anger"), ("catch-sadness-01", "sadness")]
    records += [record(subject, answer, catch_id=c, expected=e) for (c, e), answer in zip(catch, answers)]
    path.write_text(json.dumps(records))
    return path


def test_catch_answers_are_read_and_scored(tmp_path):
    good = write_session(tmp_path / "P1.json", "P1", [0, 2])
    bad = write_session(tmp_path / "P2.json", "P2", [1, 2])
    answers = all_catch_answers([good, bad], EMOTIONS)
    assert answers["catch_id"].tolist() == ["catch-anger-01", "catch-sadness-01"] * 2
    assert answers["response"].tolist() == ["anger", "sadness", "happiness", "sadness"]
    assert answers["correct"].tolist() == [True, True, False, True]
    assert catch_accuracy(answers).to_dict() == {"P1": 1.0, "P2": 0.5}
    # The rating reader still sees only the rating trials.
    assert read_jspsych(good, EMOTIONS, ["s0", "s1", "s2"])["stimulus_id"].tolist() == ["s0", "s1", "s2"]


def test_inattentive_participants_are_excluded(tmp_path):
    paths = [write_session(tmp_path / "P1.json", "P1", [0, 2]), write_session(tmp_path / "P2.json", "P2", [1, 0])]
    answers = all_catch_answers(paths, EMOTIONS)
    trials = pd.concat([read_jspsych(p, EMOTIONS, ["s0", "s1", "s2"]) for p in paths], ignore_index=True)
    kept, excluded = exclude_inattentive(trials, answers, min_accuracy=0.75)
    assert excluded == ["P2"] and set(kept["subject_id"]) == {"P1"}
    kept, excluded = exclude_inattentive(trials, answers, min_accuracy=0.0)
    assert excluded == [] and len(kept) == 6
    table = participant_table(trials, answers, ["P2"])
    assert table.to_dict("list") == {"subject_id": ["P1", "P2"], "n_trials": [3, 3], "n_catch_trials": [2, 2],
                                     "catch_accuracy": [1.0, 0.0], "excluded": [False, True]}


def test_files_without_catch_trials_and_bad_answers(tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps([record("P1", 0, stimulus_id="s0")]))
    assert read_catch_answers(plain, EMOTIONS).empty
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([record("P1", 7, catch_id="catch-anger-01", expected="anger")]))
    with pytest.raises(DataError, match="broken.json.*'response'.*7"):
        read_catch_answers(broken, EMOTIONS)
