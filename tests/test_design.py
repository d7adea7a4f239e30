from __future__ import annotations


import numpy as np
import pytest

from varemotion.behavior.design import (
    DESIGN_COLUMNS,
    DesignSettings,
    design_summary,
    design_trials,
)

CATCH_IDS = ["catch_happy", "catch_sad", "catch_fear"]
CATCH_LABELS = {"catch_happy": "happiness", "catch_sad": "sadness", "catch_fear": "fear"}


def stimuli(n: int) -> list[str]:
    return [f"s{i:05d}" for i in range(n)]


def settings(**changes) -> DesignSettings:
    values = {
        "n_participants": 12,
        "trials_per_participant": 30,
        "min_ratings_per_stimulus": 3,
        "catch_every": 10,
        "train_fraction": 0.7,
        "holdout_stimuli": 0.0,
        "seed": 1,
    }
    values.update(changes)
    return DesignSettings(**values)


def check_design(design, n_stimuli: int, chosen: DesignSettings) -> None:
    assert list(design.columns) == DESIGN_COLUMNS
    rated = design[~design["is_catch"]]
    ratings = rated["stimulus_id"].value_counts().reindex(stimuli(n_stimuli), fill_value=0)
    assert ratings.min() >= chosen.min_ratings_per_stimulus
    assert ratings.max() - ratings.min() <= 1
    assert not rated.duplicated(["subject_id", "stimulus_id"]).any()
    n_catch = chosen.trials_per_participant // chosen.catch_every if chosen.catch_every else 0
    for _, trials in design.groupby("subject_id"):
        assert (~trials["is_catch"]).sum() == chosen.trials_per_participant
        assert trials["is_catch"].sum() == n_catch
        assert trials["trial_index"].tolist() == list(range(len(trials)))
    assert design["subject_id"].nunique() == chosen.n_participants


@pytest.mark.parametrize(
    ("n_stimuli", "changes"),
    [
        (100, {}),
        (90, {"n_participants": 10, "trials_per_participant": 89, "min_ratings_per_stimulus": 9}),
        (60, {"n_participants": 7, "trials_per_participant": 60, "min_ratings_per_stimulus": 7}),
        (37, {"n_participants": 23, "trials_per_participant": 29, "min_ratings_per_stimulus": 2, "catch_every": 0}),
        (5, {"n_participants": 3, "trials_per_participant": 4, "min_ratings_per_stimulus": 2, "catch_every": 1}),
    ],
)
def test_design_covers_every_stimulus_evenly_without_repeats(n_stimuli, changes):
    chosen = settings(**changes)
    design = design_trials(stimuli(n_stimuli), chosen, CATCH_IDS, CATCH_LABELS)
    check_design(design, n_stimuli, chosen)


def test_design_is_valid_for_many_seeds_and_shapes():
    rng = np.random.default_rng(0)
    for seed in range(40):
        n_stimuli = int(rng.integers(2, 60))
        n_trials = int(rng.integers(1, n_stimuli + 1))
        k = int(rng.integers(1, 5))
        n_part = -(-k * n_stimuli // n_trials) + int(rng.integers(0, 3))
        chosen = settings(
            n_participants=n_part, trials_per_participant=n_trials, min_ratings_per_stimulus=k, seed=seed
        )
        check_design(design_trials(stimuli(n_stimuli), chosen, CATCH_IDS, CATCH_LABELS), n_stimuli, chosen)


def test_catch_trials_have_expected_responses_and_are_never_train():
    design = design_trials(stimuli(100), settings(), CATCH_IDS, CATCH_LABELS)
    catch = design[design["is_catch"]]
    assert len(catch) == 12 * 3
    assert not catch["is_train"].any()
    assert (catch["expected_response"] == catch["stimulus_id"].map(CATCH_LABELS)).all()
    assert design.loc[~design["is_catch"], "expected_response"].isna().all()
    labels_in_order = ["happiness", "sadness", "fear"]
    same = design_trials(stimuli(100), settings(), CATCH_IDS, labels_in_order)
    assert same.equals(design)


def test_train_fraction_per_participant_is_within_one_trial():
    for fraction in (0.0, 0.25, 0.7, 0.99, 1.0):
        chosen = settings(train_fraction=fraction)
        design = design_trials(stimuli(100), chosen, CATCH_IDS, CATCH_LABELS)
        n_train = design[~design["is_catch"]].groupby("subject_id")["is_train"].sum()
        assert (abs(n_train - fraction * chosen.trials_per_participant) <= 1).all()
        assert (n_train <= chosen.trials_per_participant - 1).all()
    summary = design_summary(design_trials(stimuli(100), settings(), CATCH_IDS, CATCH_LABELS))
    assert summary["train_fraction"] == pytest.approx(0.7)


def test_same_seed_same_design_other_seed_other_order():
    first = design_trials(stimuli(100), settings(seed=5), CATCH_IDS, CATCH_LABELS)
    again = design_trials(stimuli(100), settings(seed=5), CATCH_IDS, CATCH_LABELS)
    other = design_trials(stimuli(100), settings(seed=6), CATCH_IDS, CATCH_LABELS)
    assert first.equals(again)
    assert not first["stimulus_id"].equals(other["stimulus_id"])


def test_subject_ids_are_zero_padded():
    design = design_trials(stimuli(100), settings(n_participants=120, trials_per_participant=5, catch_every=0))
    assert design["subject_id"].iat[0] == "P001"
    assert design["subject_id"].iat[-1] == "P120"


def test_summary_reports_counts():
    summary = design_summary(design_trials(stimuli(100), settings(), CATCH_IDS, CATCH_LABELS))
    assert summary["n_participants"] == 12
    assert summary["n_stimuli"] == 100
    assert (summary["min_ratings_per_stimulus"], summary["max_ratings_per_stimulus"]) == (3, 4)
    assert summary["min_trials_per_participant"] == summary["max_trials_per_participant"] == 30
    assert summary["catch_trials"] == 36
    assert summary["max_catch_trials_per_participant"] == 3


def test_too_few_trials_names_the_numbers_needed():
    with pytest.raises(ValueError, match="needs at least 40 participants.*at least 400 trials"):
        design_trials(stimuli(2000), settings(n_participants=10, trials_per_participant=100, min_ratings_per_stimulus=2))


def test_more_trials_than_stimuli_is_refused():
    with pytest.raises(ValueError, match="trials_per_participant=31 exceeds the 30 stimuli"):
        design_trials(stimuli(30), settings(trials_per_participant=31), CATCH_IDS, CATCH_LABELS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_participants": 0}, "n_participants must be a positive integer"),
        ({"trials_per_participant": 2.5}, "trials_per_participant must be a positive integer"),
        ({"min_ratings_per_stimulus": True}, "min_ratings_per_stimulus must be a positive integer"),
        ({"catch_every": -1}, "catch_every must be an integer ≥ 0"),
        ({"train_fraction": 1.5}, "train_fraction must be a number between 0 and 1"),
        ({"train_fraction": "0.5"}, "train_fraction must be a number between 0 and 1"),
        ({"seed": -3}, "seed must be an integer ≥ 0"),
    ],
)
def test_bad_settings_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        settings(**changes)


def test_bad_ids_and_catch_labels_are_refused():
    with pytest.raises(ValueError, match="repeat ids"):
        design_trials(["a", "b", "a"], settings(n_participants=3, trials_per_participant=2, catch_every=0))
    with pytest.raises(ValueError, match="catch_ids is empty"):
        design_trials(stimuli(100), settings())
    with pytest.raises(ValueError, match="catch_labels is missing"):
        design_trials(stimuli(100), settings(), CATCH_IDS)
    with pytest.raises(ValueError, match="no expected emotion"):
        design_trials(stimuli(100), settings(), CATCH_IDS, {"catch_happy": "happiness"})
    with pytest.raises(ValueError, match="must not be stimulus ids"):
        design_trials(stimuli(100), settings(), ["s00001"], ["happiness"])


def test_realistic_size_is_balanced_without_repeats():
    chosen = DesignSettings(
        n_participants=250,
        trials_per_participant=500,
        min_ratings_per_stimulus=5,
        catch_every=25,
        train_fraction=0.8,
        holdout_stimuli=0.0,
        seed=3,
    )
    design = design_trials(stimuli(20_000), chosen, CATCH_IDS, CATCH_LABELS)
    summary = design_summary(design)
    assert summary["min_ratings_per_stimulus"] >= 5
    assert summary["max_ratings_per_stimulus"] - summary["min_ratings_per_stimulus"] <= 1
    assert not design[~design["is_catch"]].duplicated(["subject_id", "stimulus_id"]).any()
