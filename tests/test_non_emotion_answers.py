"""'Unclear' and 'not a face' answers: kept by ingestion, left out of (or added to) the entropy, shares per kind."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from varemotion.behavior import ingest, read_jspsych, read_trial_table
from varemotion.data import DataError
from varemotion.experiment import timeline_data, timeline_script
from varemotion.stats import per_image_table
from varemotion.stats.non_emotion import non_emotion_summary, non_emotion_table

from helpers import STATS_EMOTIONS as EMOTIONS, by_id, make_manifest, make_trials, manifest_row

STIMULI = ["a", "b", "c"]
OTHERS = ["unclear", "not_a_face"]


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_names_survive_ingestion_into_the_trial_table(tmp_path):
    path = write(tmp_path / "ratings.csv", "subject_id,stimulus_id,response\n"
                                           "P1,a,anger\nP1,b,Not a face\nP1,c, unclear \nP2,a,not_a_face\n")
    table = read_trial_table(path, EMOTIONS, STIMULI)
    assert table["response"].tolist() == ["anger", "not_a_face", "unclear", "not_a_face"]


def test_indices_after_the_emotions_are_the_configured_answers(tmp_path):
    n = len(EMOTIONS)
    path = write(tmp_path / "ratings.csv", f"subject_id,stimulus_id,response\nP1,a,1\nP1,b,{n}\nP1,c,{n + 1}\n")
    table = ingest(path, "table", EMOTIONS, STIMULI, non_emotion_answers=OTHERS)
    assert table["response"].tolist() == ["happiness", "unclear", "not_a_face"]
    with pytest.raises(DataError, match=rf"line 4, column 'response': value '{n + 1}' is out of range"):
        ingest(path, "table", EMOTIONS, STIMULI, non_emotion_answers=["not_a_face"])


def test_jspsych_button_indices_decode_to_the_extra_buttons(tmp_path):
    n = len(EMOTIONS)
    records = [{"subject_id": "P1", "stimulus_id": s, "response": r, "rt": 500} for s, r in zip(STIMULI, (0, n + 1, n))]
    path = write(tmp_path / "data.json", json.dumps(records))
    table = read_jspsych(path, EMOTIONS, STIMULI, non_emotion_answers=OTHERS)
    assert table["response"].tolist() == ["anger", "not_a_face", "unclear"]


def test_a_bad_answer_names_file_line_column_value_and_the_choices(tmp_path):
    path = write(tmp_path / "ratings.csv", "subject_id,stimulus_id,response\nP1,a,anger\nP1,b,no face\n")
    with pytest.raises(DataError) as error:
        read_trial_table(path, EMOTIONS, STIMULI)
    message = str(error.value)
    assert "ratings.csv, line 3, column 'response': value 'no face' is not an emotion" in message
    assert "unclear or not_a_face" in message


def rated_manifest() -> pd.DataFrame:
    return make_manifest([manifest_row("x"), manifest_row("y", kind="control")])


def test_entropy_leaves_non_emotion_answers_out_unless_included():
    trials = make_trials({"x": ["anger", "anger", "happiness", "happiness", "not_a_face", "unclear"],
                          "y": ["sadness", "sadness", "not_a_face", "not_a_face"]})
    excluded = by_id(per_image_table(trials, rated_manifest(), EMOTIONS, ["m1"], estimator="plugin"))
    assert excluded.at["x", "human_entropy"] == pytest.approx(1.0)
    assert excluded.at["y", "human_entropy"] == pytest.approx(0.0)
    assert excluded.at["x", "n_ratings"] == 4 and excluded.at["x", "human_p_anger"] == 0.5
    assert (excluded.at["x", "human_n_unclear"], excluded.at["x", "human_n_not_a_face"]) == (1, 1)
    assert (excluded.at["y", "human_n_unclear"], excluded.at["y", "human_n_not_a_face"]) == (0, 2)
    included = by_id(per_image_table(trials, rated_manifest(), EMOTIONS, ["m1"], estimator="plugin",
                                     non_emotion="include"))
    shares = np.array([2, 2, 1, 1]) / 6
    assert included.at["x", "human_entropy"] == pytest.approx(-(shares * np.log2(shares)).sum())
    assert included.at["y", "human_entropy"] == pytest.approx(1.0)
    assert included.at["x", "n_ratings"] == 6 and included.at["x", "human_p_anger"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="non_emotion must be one of"):
        per_image_table(trials, rated_manifest(), EMOTIONS, ["m1"], non_emotion="drop")


def test_share_table_per_kind_with_wilson_intervals():
    trials = make_trials({"x": ["anger", "not_a_face", "unclear", "anger"], "y": ["sadness"] * 3 + ["not_a_face"]})
    table = non_emotion_table(trials, rated_manifest()).set_index(["kind", "answer"])
    assert table.at[("uncertainty", "unclear"), "n_trials"] == 4
    assert table.at[("uncertainty", "unclear"), "share"] == 0.25
    assert table.at[("control", "unclear"), "n_answers"] == 0
    assert table.at[("control", "not_a_face"), "share"] == 0.25
    low, high = table.loc[("control", "not_a_face"), ["ci_low", "ci_high"]]
    assert low == pytest.approx(0.0456, abs=1e-3) and high == pytest.approx(0.6994, abs=1e-3)  # Wilson, n = 4
    summary = non_emotion_summary(non_emotion_table(trials, rated_manifest()))
    assert summary["not_a_face"]["share"] == 0.25 and summary["unclear"]["by_kind"] == {"control": 0.0,
                                                                                         "uncertainty": 0.25}


def test_timeline_records_the_extra_buttons_and_a_new_design_id():
    design = pd.DataFrame({"subject_id": "P1", "trial_index": [0, 1], "stimulus_id": ["a", "b"],
                           "is_catch": False, "expected_response": "", "is_train": True})
    plain = timeline_data(design, EMOTIONS)
    data = timeline_data(design, EMOTIONS, non_emotion_answers=["not a face"])
    assert "non_emotion_answers" not in plain
    assert data["non_emotion_answers"] == ["not_a_face"] and data["non_emotion_labels"] == ["Not a face"]
    assert data["design_id"] != plain["design_id"]
    assert '"Not a face"' in timeline_script(data)
    with pytest.raises(ValueError, match="non_emotion_answers must be distinct names"):
        timeline_data(design, EMOTIONS, non_emotion_answers=["maybe"])


def test_a_non_emotion_answer_to_a_catch_trial_is_a_miss(tmp_path):
    from varemotion.behavior.catch_answers import read_catch_answers

    n = len(EMOTIONS)
    records = [{"subject_id": "P1", "catch_id": "C1", "expected_response": "anger", "response": n + 1, "rt": 400},
               {"subject_id": "P1", "catch_id": "C2", "expected_response": "anger", "response": 0, "rt": 400}]
    path = write(tmp_path / "data.json", json.dumps(records))
    answers = read_catch_answers(path, EMOTIONS, non_emotion_answers=OTHERS)
    assert answers["response"].tolist() == ["not_a_face", "anger"] and answers["correct"].tolist() == [False, True]
