"""Threats to the alignment stage's validity: in-sample correlations, shared images, pair-level inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import ALIGNMENT_EMOTIONS as EMOTIONS, alignment_classifier as tiny_classifier, trial_table
from varemotion.alignment.holdout_evaluation import group_vs_base, holdout_accuracy, rho_change
from varemotion.alignment.manipulation import answer, outcome_summary, pair_level, pair_table
from varemotion.alignment.power import INDIVIDUAL_TEST, individual_vs_group
from varemotion.alignment.trials import human_trials


def test_trials_on_held_out_stimuli_never_train():
    """Guards against ingested is_train flags that put held-out stimuli into training."""
    trials = trial_table(n_subjects=3, n_images=10, n_train=10)
    human = human_trials(trials, [f"x{i}" for i in range(10)], EMOTIONS, 0.2, 0, holdout={"x0", "x1"})
    on_holdout = human.table[human.table["stimulus_id"].isin(["x0", "x1"])]
    assert (on_holdout["part"] == "held_out").all() and on_holdout["holdout"].all()
    assert (human.table.loc[~human.table["holdout"], "part"] != "held_out").all()


def test_rho_change_is_measured_on_the_held_out_images_with_a_paired_bootstrap():
    """Guards against Δρ computed in-sample: only the given images count, resampled together."""
    rng = np.random.default_rng(0)
    human = rng.uniform(0, 2, 60)
    noisy = rng.dirichlet(np.ones(3), 60)
    aligned = np.exp(np.stack([3 - 1.5 * human, np.zeros(60), np.zeros(60)], 1))  # flatter as human entropy rises
    probabilities = {"base": noisy, "group": aligned / aligned.sum(1, keepdims=True)}
    images = np.arange(0, 60, 2)
    correlations, changes = rho_change(probabilities, human, images, np.arange(len(images)),
                                       {"n_resamples": 999, "confidence": 0.95, "seed": 0})
    assert (correlations["n"] == 30).all() and set(correlations["images"]) == {"holdout_stimuli"}
    group = changes.set_index("model").loc["group"]
    assert group["n"] == 30 and group["rho_after"] > 0.9 and group["delta"] > 0.5
    assert group["ci_low"] > 0 and group["p_bootstrap"] < 0.01
    assert group["delta"] == pytest.approx(group["rho_after"] - group["rho_before"])


def test_group_vs_base_on_held_out_stimuli_resamples_images():
    predictions = pd.DataFrame({"subject_id": np.repeat(["a", "b", "c", "d"], 6), "image": np.tile(np.arange(6), 4),
                                "label": 0, "base": np.tile([0, 0, 1, 0, 1, 1], 4).astype(bool),
                                "group": np.tile([1, 1, 1, 0, 1, 1], 4).astype(bool)})
    resampling = {"n_resamples": 999, "confidence": 0.95, "seed": 0}
    result, counts = group_vs_base(predictions, np.array([0, 1, 2, 3]), np.arange(6), resampling)
    assert result["accuracy_difference"] == pytest.approx(0.5) and counts.tolist() == [4, 4, 4, 4]
    assert result["n_improved"] == 4 and result["ci_low"] < result["accuracy_difference"] < result["ci_high"]
    rows = holdout_accuracy(predictions, np.array([0, 1, 2, 3]), np.zeros(6, int), ["base", "group"], resampling)
    # every image in one cluster: nothing to resample, so no interval
    assert rows[0]["accuracy"] == pytest.approx(0.25) and np.isnan(rows[0]["ci_low"])


def manipulation_rows(n_pairs=5, per_pair=4):
    return pd.DataFrame({"pair": np.repeat(np.arange(n_pairs), per_pair),
                         "subject_a": np.repeat([f"a{k}" for k in range(n_pairs)], per_pair),
                         "subject_b": np.repeat([f"b{k}" for k in range(n_pairs)], per_pair),
                         "stimulus_id": [f"m{k}" for k in range(n_pairs * per_pair)],
                         "target_i": "anger", "target_j": "happiness"})


def test_manipulation_scores_expected_success_and_infers_at_pair_level():
    """Guards the pair-level test and the expected success p_a(i)·p_b(j) beside the sampled answers."""
    rows = manipulation_rows()
    subjects = sorted(set(rows["subject_a"]) | set(rows["subject_b"]))
    observers = pd.DataFrame({"subject_id": subjects, "temperature": 1.0, "lapse": 0.0, "confusion_from": "",
                              "confusion_to": "", "confusion_strength": 0.0, "speed": 1.0,
                              **{f"bias_{e}": 0.0 for e in EMOTIONS}})
    split = pd.DataFrame([[0.0, 0.0, -30.0]] * len(rows), index=rows["stimulus_id"], columns=EMOTIONS)
    clear = pd.DataFrame([[30.0, -30.0, -30.0]] * len(rows), index=rows["stimulus_id"], columns=EMOTIONS)
    rng = np.random.default_rng(0)
    outcomes = pd.concat([answer(rows, split, observers, "manipulated", rng),
                          answer(rows, clear, observers, "control", rng)], ignore_index=True)
    manipulated = outcomes[outcomes["condition"] == "manipulated"]
    assert manipulated["expected_success"].to_numpy() == pytest.approx(0.25, abs=1e-6)
    pairs = pair_table(outcomes)
    assert len(pairs) == 10 and (pairs["n"] == 4).all()
    level = pair_level(pairs)
    assert level["n_pairs"] == 5 and level["expected_success"]["mean_difference"] == pytest.approx(0.25, abs=1e-6)
    assert level["expected_success"]["p_sign_flip"] == pytest.approx(1 / 32)  # exact: 5 pairs, all positive
    assert outcome_summary(outcomes)[1]["pair_level"] == level


def test_individual_vs_group_test_for_the_power_analysis():
    group = tiny_classifier()
    ids = [f"x{i}" for i in range(20)]
    images = torch.rand(20, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    original = torch.rand(12, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    settings = {"epochs": 3, "batch_size": 8, "lr": 0.05, "samples_per_epoch": 32, "seed": 0, "ratio": [2, 1, 1],
                "min_train_trials": 10, "trainable": "head"}
    test = individual_vs_group(group, ids, images, original, np.zeros(12, int), settings, 0.2)
    trials = trial_table(n_subjects=4, n_images=20, n_train=15, always={"s0": "anger", "s1": "anger"})
    p, gain, _ = test(trials)[INDIVIDUAL_TEST]
    assert 0 <= p <= 1 and np.isfinite(gain)
    assert np.isnan(test(trial_table(n_subjects=2, n_images=20, n_train=5))[INDIVIDUAL_TEST][0])
