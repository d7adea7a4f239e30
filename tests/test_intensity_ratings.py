"""Intensity ratings: the format, its two conversion rules, its bad inputs, and trials shared among emotions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import tree_hashes
from varemotion.behavior import ingest, read_trial_table, write_trials
from varemotion.behavior.ingest import TrainRule
from varemotion.behavior.intensity import IntensityRule
from varemotion.data import DataError

EMOTIONS = ["neutral", "happiness", "sadness"]
STIMULI = ["a", "b", "c"]
RATINGS = """subject_id,stimulus_id,neutral,happiness,sadness,rt_ms
s1,a,0,4,1,500
s1,b,2,2,0,600
s2,a,,,,
s2,b,0,0,0,400
s2,c,1,3,2.5,300
"""


def read(tmp_path: Path, text: str = RATINGS, rule: IntensityRule = IntensityRule(), **options) -> pd.DataFrame:
    path = tmp_path / "ratings.csv"
    path.write_text(text)
    return ingest(path, "intensity", EMOTIONS, STIMULI, intensity=rule, **options)


def rows(trials: pd.DataFrame, columns=("subject_id", "stimulus_id", "response", "weight")) -> list[tuple]:
    return [tuple(round(v, 4) if isinstance(v, float) else v for v in row)
            for row in trials[list(columns)].itertuples(index=False)]


def test_argmax_rule_splits_ties_evenly(tmp_path):
    trials = read(tmp_path)
    assert rows(trials) == [("s1", "a", "happiness", 1.0), ("s1", "b", "neutral", 0.5), ("s1", "b", "happiness", 0.5),
                            ("s2", "b", "unclear", 1.0), ("s2", "c", "happiness", 1.0)]
    assert trials["rt_ms"].tolist() == [500, 600, 600, 400, 300] and trials["is_train"].all()


def test_weighted_rule_gives_each_rated_emotion_its_share(tmp_path):
    trials = read(tmp_path, rule=IntensityRule(rule="weighted"))
    assert rows(trials) == [("s1", "a", "happiness", 0.8), ("s1", "a", "sadness", 0.2),
                            ("s1", "b", "neutral", 0.5), ("s1", "b", "happiness", 0.5), ("s2", "b", "unclear", 1.0),
                            ("s2", "c", "neutral", round(1 / 6.5, 4)), ("s2", "c", "happiness", round(3 / 6.5, 4)),
                            ("s2", "c", "sadness", round(2.5 / 6.5, 4))]


def test_random_ties_give_one_row_per_trial_drawn_from_the_seed(tmp_path):
    picks = {seed: read(tmp_path, rule=IntensityRule(ties="random", seed=seed)) for seed in range(12)}
    for trials in picks.values():
        assert "weight" not in trials.columns and len(trials) == 4
        assert rows(trials, ("stimulus_id", "response"))[::2] == [("a", "happiness"), ("b", "unclear")]
    tied = {trials.at[1, "response"] for trials in picks.values()}
    assert tied == {"neutral", "happiness"}
    again = read(tmp_path, rule=IntensityRule(ties="random", seed=5))
    pd.testing.assert_frame_equal(again, picks[5])


def test_column_map_and_the_training_rule_per_trial(tmp_path):
    text = RATINGS.replace("subject_id", "rater").replace("happiness", "joy")
    rule = TrainRule(holdout=frozenset({"c"}), train_fraction=0.5, seed=0)
    trials = read(tmp_path, text, column_map={"subject_id": "rater", "happiness": "joy"}, train_rule=rule)
    assert set(trials["response"]) == {"neutral", "happiness", "unclear"}
    split = trials[trials["stimulus_id"] == "b"]
    assert split.groupby("subject_id")["is_train"].nunique().eq(1).all()  # the rows of one trial agree
    assert not trials.loc[trials["stimulus_id"] == "c", "is_train"].any()  # held-out stimuli never train


def test_shared_trials_round_trip_through_the_trial_table(tmp_path):
    trials = read(tmp_path, rule=IntensityRule(rule="weighted"))
    write_trials(trials, tmp_path / "trials.csv")
    again = read_trial_table(tmp_path / "trials.csv", EMOTIONS, STIMULI)
    pd.testing.assert_frame_equal(again, trials, check_exact=False, atol=1e-9)


BAD_FILES = [
    ("rating-above-the-scale", RATINGS.replace("s1,a,0,4,1", "s1,a,0,5,1"),
     ("ratings.csv, line 2, column 'happiness': value '5' is outside the scale 0 to 4",
      "expected a rating from 0 to 4 on the intensity scale")),
    ("negative-rating", RATINGS.replace("s2,c,1,3", "s2,c,-1,3"),
     ("ratings.csv, line 6, column 'neutral': value '-1' is outside the scale 0 to 4",)),
    ("rating-that-is-not-a-number", RATINGS.replace("s1,b,2,2,0", "s1,b,2,high,0"),
     ("ratings.csv, line 3, column 'happiness': value 'high' is not a number",)),
    ("missing-emotion-column", RATINGS.replace(",sadness", ",sad"),
     ("ratings.csv, line 1, column 'sadness': column is missing from the header", "did you mean 'sad'?")),
    ("rater-with-no-ratings", RATINGS + "s3,a,,,,\ns3,c,,,,700\n",
     ("ratings.csv, line 7, column 'subject_id': value 's3' is a rater with no ratings",
      "(lines 7, 8) is blank")),
    ("row-rated-on-some-emotions-only", RATINGS.replace("s2,b,0,0,0", "s2,b,0,,0"),
     ("ratings.csv, line 5, column 'happiness': value '' is blank while other emotions of this trial are rated",)),
    ("stimulus-rated-twice", RATINGS + "s1,a,1,1,1,800\n",
     ("ratings.csv, line 7, column 'stimulus_id': value 'a' is rated twice by subject 's1': here and at line 2",)),
    ("unknown-stimulus", RATINGS.replace("s2,c,", "s2,d,"),
     ("ratings.csv, line 6, column 'stimulus_id': value 'd' is not a stimulus of the set",)),
]


@pytest.mark.parametrize("text, fragments", [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_intensity_file_is_located_and_nothing_is_written(tmp_path, text, fragments):
    """As workflow/scripts/ingest_ratings.py runs it: read and checked, then written; an error writes nothing."""
    inputs, results = tmp_path / "inputs", tmp_path / "results"
    inputs.mkdir()
    (inputs / "ratings.csv").write_text(text)
    before = tree_hashes(inputs)
    with pytest.raises(DataError) as caught:
        trials = ingest(inputs / "ratings.csv", "intensity", EMOTIONS, STIMULI, intensity=IntensityRule())
        write_trials(trials, results / "behavior" / "ratings" / "trials.csv")
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)
    assert not results.exists()
    assert tree_hashes(inputs) == before


@pytest.mark.parametrize("weights, message", [
    ([0.5, 0.4, 1.0], "line 2, column 'weight': value '0.5' starts a trial whose weights (lines 2, 3) sum to 0.9"),
    ([0.5, 1.5, 1.0], "line 3, column 'weight': value '1.5' is outside (0, 1]"),
    ([0.5, "", 1.0], "line 3, column 'weight': value '' is blank"),
])
def test_bad_weights_in_a_trial_table_are_located(tmp_path, weights, message):
    table = pd.DataFrame({"subject_id": ["s1", "s1", "s2"], "stimulus_id": ["a", "a", "a"],
                          "response": ["happiness", "sadness", "neutral"], "weight": weights})
    table.to_csv(tmp_path / "trials.csv", index=False)
    with pytest.raises(DataError, match="trials.csv, " + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        read_trial_table(tmp_path / "trials.csv", EMOTIONS, STIMULI)


def test_rows_of_one_trial_must_name_distinct_responses_and_agree_on_is_train(tmp_path):
    table = pd.DataFrame({"subject_id": ["s1", "s1"], "stimulus_id": ["a", "a"], "response": ["sadness", "sadness"],
                          "weight": [0.5, 0.5]})
    table.to_csv(tmp_path / "trials.csv", index=False)
    with pytest.raises(DataError, match="line 3, column 'stimulus_id': value 'a' is rated twice"):
        read_trial_table(tmp_path / "trials.csv", EMOTIONS, STIMULI)
    table.assign(response=["sadness", "happiness"], is_train=["true", "false"]).to_csv(tmp_path / "trials.csv",
                                                                                       index=False)
    with pytest.raises(DataError, match="line 2, column 'is_train': value 'true' differs between the rows of one"):
        read_trial_table(tmp_path / "trials.csv", EMOTIONS, STIMULI)
