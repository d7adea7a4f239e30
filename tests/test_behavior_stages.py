"""The behaviour stage's pieces between the stimulus set and the trial table.

Catch faces, the front-end's logits table, and a whole simulated study with catch trials.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import POPULATION, from_schema
from varemotion.behavior import DesignSettings, design_trials
from varemotion.behavior.catch import select_catch_faces
from varemotion.behavior.frontend import read_logits, write_logits
from varemotion.behavior.simulated_study import simulate_study
from varemotion.behavior.simulation import ObserverPopulation
from varemotion.behavior.trials import TRIAL_COLUMNS
from varemotion.data import DataError

EMOTIONS = ["anger", "happiness", "sadness"]


def test_catch_faces_prefer_agreement_then_firmness():
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    a = np.array([[.9, .05, .05], [.6, .3, .1], [.3, .6, .1], [.1, .8, .1], [.2, .7, .1], [.1, .1, .8], [.1, .5, .4]])
    b = np.array([[.5, .4, .1], [.8, .1, .1], [.99, 0, .01], [.1, .9, 0], [.1, .6, .3], [.1, .2, .7], [.1, .1, .8]])
    rows, scores, agreed = select_catch_faces(labels, {"a": a, "b": b}, EMOTIONS, per_emotion=2)
    # anger: rows 1 (min .6) and 0 (min .5) agree; row 2 (b says anger .99, a says happiness) does not.
    assert rows.tolist() == [1, 0, 3, 4, 5, 6]
    assert np.allclose(scores, [.6, .5, .8, .6, .7, .4])
    assert agreed.tolist() == [True, True, True, True, True, False]


def test_catch_faces_need_enough_faces_per_emotion():
    labels = np.array([0, 0, 1, 2])
    probs = np.eye(3)[labels]
    with pytest.raises(ValueError, match="1 faces of 'happiness', but 2 catch faces"):
        select_catch_faces(labels, {"a": probs}, EMOTIONS, per_emotion=2)


def test_logits_table_round_trip_and_located_errors(tmp_path):
    table = pd.DataFrame({"stimulus_id": ["s1", "s2"], "anger": [1.5, -2.0], "happiness": [0.25, 3.0],
                          "sadness": [0.0, 1e-7]})
    write_logits(table, tmp_path / "logits.csv")
    logits = read_logits(tmp_path / "logits.csv", EMOTIONS)
    assert logits.index.tolist() == ["s1", "s2"] and np.allclose(logits.to_numpy(), table[EMOTIONS].to_numpy())
    (tmp_path / "bad.csv").write_text("stimulus_id,anger,happiness,sadness\ns1,1,2,3\ns2,1,lots,3\n")
    with pytest.raises(DataError, match=r"line 3, column 'happiness': value 'lots'"):
        read_logits(tmp_path / "bad.csv", EMOTIONS)


def study_inputs(n_stimuli=30, per_emotion=2):
    rng = np.random.default_rng(0)
    stimuli = [f"s{i:02d}" for i in range(n_stimuli)]
    catch = [f"catch-{e}-{k}" for e in EMOTIONS for k in range(per_emotion)]
    labels = [e for e in EMOTIONS for _ in range(per_emotion)]
    settings = DesignSettings(n_participants=6, trials_per_participant=20, min_ratings_per_stimulus=3, catch_every=5,
                              train_fraction=0.8, holdout_stimuli=0.0, seed=0)
    design = design_trials(stimuli, settings, catch_ids=catch, catch_labels=labels)
    stimulus_logits = rng.normal(0, 1, (n_stimuli, 3))
    catch_logits = 8.0 * np.eye(3)[[EMOTIONS.index(label) for label in labels]]
    logits = pd.DataFrame(np.vstack([stimulus_logits, catch_logits]), index=stimuli + catch, columns=EMOTIONS)
    return design, logits


def test_simulated_study_splits_stimulus_and_catch_trials():
    design, logits = study_inputs()
    population = from_schema(ObserverPopulation, *POPULATION)
    study = simulate_study(design, logits, population, seed=3)
    stimulus_rows = design[~design["is_catch"]].reset_index(drop=True)
    assert study.trials.columns.tolist() == TRIAL_COLUMNS
    pd.testing.assert_frame_equal(study.trials[["subject_id", "stimulus_id"]], stimulus_rows[["subject_id", "stimulus_id"]])
    assert study.trials["is_train"].tolist() == stimulus_rows["is_train"].tolist()
    assert len(study.catch) == design["is_catch"].sum() == 6 * 4
    assert study.observers["subject_id"].tolist() == sorted(design["subject_id"].unique())
    # Clear catch faces are answered correctly far more often by attentive than by null observers.
    null = simulate_study(design, logits, population, seed=3, null=True)
    pd.testing.assert_frame_equal(null.observers, study.observers)
    assert study.catch["correct"].mean() > 0.8
    assert null.catch["correct"].mean() < 0.5
    again = simulate_study(design, logits, population, seed=3)
    pd.testing.assert_frame_equal(again.trials, study.trials)
    assert study.summary()["n_catch_trials"] == 24


def test_simulated_study_names_stimuli_without_logits():
    design, logits = study_inputs()
    with pytest.raises(ValueError, match="missing from stimulus_ids: 's0"):
        simulate_study(design, logits.drop(index=["s00", "s01"]), from_schema(ObserverPopulation, *POPULATION), seed=0)
