"""Ingesting human ratings from jsPsych data (JSON and CSV files) and from vote counts."""

from __future__ import annotations

import json

import pytest

from helpers import (
    RATING_EMOTIONS as EMOTIONS,
    S1,
    S2,
    S3,
    STIMULI,
    VOTES_HEADER,
    assert_message,
    error_of,
    jspsych_records,
    write,
)
from varemotion.behavior import read_jspsych, read_vote_counts


# --- jsPsych ------------------------------------------------------------------------------------


def test_jspsych_json_keeps_rating_trials(tmp_path):
    path = write(tmp_path, "p1.json", json.dumps(jspsych_records()))
    trials = read_jspsych(path, EMOTIONS, STIMULI)
    assert trials["stimulus_id"].tolist() == STIMULI
    assert trials["response"].tolist() == ["happiness", "sadness", "neutral"]
    assert trials["rt_ms"].tolist() == [532.7, 811.0, 640.2] and trials["is_train"].tolist() == [True, True, False]
    assert set(trials["subject_id"]) == {"p1"}

    relabelled = read_jspsych(path, EMOTIONS, STIMULI, choices=["sadness", "neutral", "happiness"])
    assert relabelled["response"].tolist() == ["neutral", "happiness", "sadness"]
    without_subject = [{k: v for k, v in r.items() if k not in ("subject_id", "is_train")} for r in jspsych_records()]
    path = write(tmp_path, "anonymous.json", json.dumps(without_subject))
    trials = read_jspsych(path, EMOTIONS, STIMULI, subject_id="p7")
    assert set(trials["subject_id"]) == {"p7"} and trials["is_train"].all()
    with pytest.raises(ValueError, match="choices must be distinct emotions"):
        read_jspsych(path, EMOTIONS, STIMULI, subject_id="p7", choices=["happy", "sad", "neutral"])


def jspsych_csv(records) -> str:
    """The text jsPsych.data.get().csv() writes: every value quoted, JavaScript's number and boolean forms."""
    def cell(value):
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        return '"' + text.replace('"', '""') + '"'

    columns = list(dict.fromkeys(key for record in records for key in record))
    lines = [",".join(cell(c) for c in columns)] + [",".join(cell(r.get(c)) for c in columns) for r in records]
    return "\r\n".join(lines)


def test_jspsych_csv_and_jspsych6_button_pressed(tmp_path):
    records = [r | {"stimulus": "<img src='face.png'>\n<p>Which emotion?</p>"} for r in jspsych_records()]
    path = write(tmp_path, "p1.csv", jspsych_csv(records))
    trials = read_jspsych(path, EMOTIONS, STIMULI)
    assert trials["response"].tolist() == ["happiness", "sadness", "neutral"]
    assert trials["is_train"].tolist() == [True, True, False]

    records[3]["response"] = 5
    path = write(tmp_path, "p1.csv", jspsych_csv(records))
    error = error_of(read_jspsych, path)
    assert error.row == 8  # records start on lines 2, 4, 6, 8
    assert_message(error, "p1.csv, line 8, column 'response': value '5' is out of range:"
                          " the button index must be 0 to 2 for 3 buttons")

    old = [{("button_pressed" if k == "response" else k): (str(v) if k == "response" else v) for k, v in r.items()}
           for r in jspsych_records()]
    trials = read_jspsych(write(tmp_path, "v6.json", json.dumps(old)), EMOTIONS, STIMULI)
    assert trials["response"].tolist() == ["happiness", "sadness", "neutral"]


def test_jspsych_json_that_is_not_a_list_of_objects(tmp_path):
    wrapped = write(tmp_path, "wrapped.json", json.dumps({"trials": jspsych_records()}))
    assert_message(error_of(read_jspsych, wrapped), "wrapped.json: holds an object, not a list of trial objects;"
                                                    " its key 'trials' holds a list: save that list alone")
    numbers = write(tmp_path, "numbers.json", json.dumps(jspsych_records()[:2] + [17]))
    assert_message(error_of(read_jspsych, numbers),
                   "numbers.json: value '17' in list item 3 is a number, not a trial object")
    assert_message(error_of(read_jspsych, write(tmp_path, "text.json", '"hello"')), "text.json: holds a string")
    broken = write(tmp_path, "broken.json", "[\n" + json.dumps(jspsych_records()[0]) + ",\n{\"rt\": }\n]")
    error = error_of(read_jspsych, broken)
    assert error.row == 3
    assert_message(error, "broken.json, line 3: is not valid JSON: Expecting value (character 8)")
    assert_message(error_of(read_jspsych, write(tmp_path, "none.json", "[]")), "none.json: is an empty JSON list")


def test_jspsych_trial_problems_name_the_list_item(tmp_path):
    def error_for(records, name, **kwargs):
        return error_of(read_jspsych, write(tmp_path, name, json.dumps(records)), **kwargs)

    records = jspsych_records()
    records[2]["response"] = 3
    assert_message(error_for(records, "range.json"),
                   "range.json, column 'response': value '3' in list item 3 is out of range")
    records[2]["response"], records[2]["rt"] = None, None
    assert_message(error_for(records, "timeout.json"), "timeout.json, column 'response': value '' in list item 3"
                                                       " is blank: no button was clicked (a timed-out trial?)")
    records = jspsych_records() + [{"trial_type": "instructions", "subject_id": "p2", "rt": 900}]
    assert_message(error_for(records, "dropout.json"), "dropout.json, column 'subject_id': value 'p2' in list item 5"
                                                       " is a subject without trials")
    records = jspsych_records() + jspsych_records()[1:2]
    assert_message(error_for(records, "twice.json"), f"twice.json, column 'stimulus_id': value '{S1}' in list item 5"
                                                     " is rated twice by subject 'p1': here and at list item 2")
    records = jspsych_records()
    records[3]["rt"] = "slow"
    assert_message(error_for(records, "rt.json"), "rt.json, column 'rt': value 'slow' in list item 4 is not a number")
    no_stimuli = [{k: v for k, v in r.items() if k != "stimulus_id"} for r in jspsych_records()]
    assert_message(error_for(no_stimuli, "plain.json"),
                   "plain.json, column 'stimulus_id': is a field that no list item has")
    no_subject = [{k: v for k, v in r.items() if k != "subject_id"} for r in jspsych_records()]
    assert_message(error_for(no_subject, "anon.json"),
                   "anon.json: has no 'subject_id' field and no subject_id argument")
    assert_message(error_for(jspsych_records(), "both.json", subject_id="p9"),
                   "both.json: has a 'subject_id' field, so the subject_id argument 'p9' is ambiguous")


# --- vote counts --------------------------------------------------------------------------------


def test_vote_counts_expand_to_one_trial_per_vote(tmp_path):
    path = write(tmp_path, "votes.csv", f"{VOTES_HEADER}\n{S1},2,1,0,4,1\n{S2},0,0,0,3,0\n{S3},0,0,1,0,0\n")
    trials = read_vote_counts(path, EMOTIONS, STIMULI)
    assert trials["subject_id"].tolist() == [f"votes:{S1}:1", f"votes:{S1}:2", f"votes:{S1}:3", f"votes:{S3}:1"]
    assert trials["response"].tolist() == ["neutral", "neutral", "happiness", "sadness"]
    assert trials["rt_ms"].isna().all() and trials["is_train"].all()


def test_vote_count_problems(tmp_path):
    def error_for(rows, name="votes.csv"):
        return error_of(read_vote_counts, write(tmp_path, name, "\n".join([VOTES_HEADER, *rows]) + "\n"))

    error = error_for([f"{S1},2,1,0,0,0", f"{S2},1,-2,0,0,0"])
    assert (error.row, error.column, error.value) == (3, "happiness", "-2")
    assert_message(error, "votes.csv, line 3, column 'happiness': value '-2' is negative"
                          " (expected a vote count: a whole number ≥ 0)")
    assert_message(error_for([f"{S1},2,1.5,0,0,0"]), "line 2, column 'happiness': value '1.5' is not a whole number")
    assert_message(error_for([f"{S1},two,1,0,0,0"]), "line 2, column 'neutral': value 'two' is not a number")
    assert_message(error_for([f"{S1},1,0,0,0,0", f"{S1},0,1,0,0,0"]),
                   f"line 3, column 'stimulus_id': value '{S1}' has votes on two rows: here and at line 2")
    assert_message(error_for([f"{S1},0,0,0,5,0"]), "votes.csv: holds no votes: every count is 0")
    assert_message(error_for(["nope,0,0,0,0,0"]), "line 2, column 'stimulus_id': value 'nope' is not a stimulus")
    error = error_of(read_vote_counts, write(tmp_path, "few.csv", f"stimulus_id,neutral,happiness\n{S1},1,1\n"))
    assert_message(error, "few.csv, line 1, column 'sadness': column is missing from the header")
