"""Trials shared among emotions (a weight column): every consumer of the trial table counts them by their weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from varemotion.alignment.evaluation import human_entropy, trial_predictions
from varemotion.alignment.group import human_items, validation_trials
from varemotion.alignment.trials import human_trials
from varemotion.stats.agreement import significant_disagreement
from varemotion.stats.images import per_image_table
from varemotion.stats.mixed import agreement_frame, leave_one_out_credit
from varemotion.stats.non_emotion import non_emotion_table

EMOTIONS = ["neutral", "happiness", "sadness"]


def manifest(ids=("x", "y")) -> pd.DataFrame:
    table = pd.DataFrame({"stimulus_id": list(ids), "kind": "external", "guide_a": "", "guide_b": "",
                          "target_i": "", "target_j": "", "seed": ""})
    for k, emotion in enumerate(EMOTIONS):
        table[f"net_p_{emotion}"] = [0.2, 0.5][: len(ids)] if k == 0 else [0.4, 0.25][: len(ids)]
    table["net_entropy"] = [1.5, 1.0][: len(ids)]
    return table


def shared() -> pd.DataFrame:
    """Three raters on image x (one split between happiness and sadness), two on y, one 'unclear' on y."""
    return pd.DataFrame({
        "subject_id": ["s1", "s2", "s2", "s3", "s1", "s2", "s3"],
        "stimulus_id": ["x", "x", "x", "x", "y", "y", "y"],
        "response": ["happiness", "happiness", "sadness", "sadness", "neutral", "neutral", "unclear"],
        "rt_ms": np.nan, "is_train": [True, False, False, True, True, True, False],
        "weight": [1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0],
    })


def test_per_image_counts_are_sums_of_weights_and_each_trial_counts_once():
    table = per_image_table(shared(), manifest(), EMOTIONS, ["net"], min_ratings=3)
    x = table.set_index("stimulus_id").loc["x"]
    assert x["n_ratings"] == 3 and x["enough_ratings"]
    assert [x[f"human_n_{e}"] for e in EMOTIONS] == [0, 1.5, 1.5]
    assert x["human_entropy_plugin"] == pytest.approx(1.0)
    y = table.set_index("stimulus_id").loc["y"]
    assert y["n_ratings"] == 2 and y["human_n_unclear"] == 1 and not y["enough_ratings"]


def test_weight_one_everywhere_changes_nothing():
    plain = shared().iloc[[0, 3, 4, 5, 6]].drop(columns="weight").reset_index(drop=True)
    weighted = plain.assign(weight=1.0)
    a = per_image_table(plain, manifest(), EMOTIONS, ["net"])
    b = per_image_table(weighted, manifest(), EMOTIONS, ["net"])
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    trials = plain[plain["response"] != "unclear"].reset_index(drop=True)
    pd.testing.assert_series_equal(leave_one_out_credit(trials, EMOTIONS),
                                   leave_one_out_credit(trials.assign(weight=1.0), EMOTIONS))


def test_leave_one_out_credit_of_a_shared_trial_is_its_weights_average():
    trials = shared().iloc[:4].reset_index(drop=True)
    credit = leave_one_out_credit(trials, EMOTIONS)
    # x: s1 happiness; s2 half happiness, half sadness; s3 sadness. Without s2 the others tie 1 : 1.
    assert credit.index.tolist() == [0, 1, 3]
    assert credit.tolist() == [0.0, 0.5, 0.0]
    trials = shared().iloc[:6].reset_index(drop=True)  # y: two raters answer neutral
    frame = agreement_frame(trials, per_image_table(trials, manifest(), EMOTIONS, ["net"]), "net", EMOTIONS,
                            require_enough_ratings=False)
    assert frame["subject_id"].tolist() == ["s1", "s2", "s3", "s1", "s2"]
    assert frame["match"].tolist() == [0.0, 0.5, 0.0, 1.0, 1.0]


def test_non_emotion_shares_and_the_slip_test_count_trials_not_rows():
    table = non_emotion_table(shared(), manifest())
    unclear = table[table["answer"] == "unclear"].iloc[0]
    assert unclear["n_trials"] == 6 and unclear["n_answers"] == 1 and unclear["share"] == pytest.approx(1 / 6)
    per_image = per_image_table(shared(), manifest(), EMOTIONS, ["net"], min_ratings=1)
    result = significant_disagreement(per_image, 0.05)
    assert result.images.set_index("stimulus_id").loc["x", ["n_ratings", "n_differing"]].tolist() == [3, 2]


def test_alignment_trains_on_a_shared_trials_weights_and_credits_predictions_with_them():
    human = human_trials(shared(), ["x", "y"], EMOTIONS, validation_fraction=0.0, seed=0)
    assert len(human.table) == 5  # one row per emotion trial; 'unclear' is left out
    s2 = human.table.index[(human.table["subject_id"] == "s2") & (human.table["stimulus_id"] == "x")][0]
    assert human.targets[s2].tolist() == [0.0, 0.5, 0.5]
    counts, entropy = human_entropy(human, 2)
    assert counts.tolist() == [3, 2] and entropy[0] == pytest.approx(1.0)
    rows, targets = human_items(human, 2, soft=False)
    assert rows.tolist() == human.part("train")["image"].tolist()
    assert torch.equal(targets, torch.as_tensor(human.targets_of(human.part("train")), dtype=torch.float32))
    held_out = human.part("held_out")
    logits = {"base": np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 0.0]])}  # predicts happiness on x, neutral on y
    hits = trial_predictions(held_out, logits, None, [], human.targets_of(held_out))
    assert hits["base"].tolist() == [0.5]  # s2's trial on x, half happiness


def test_validation_of_shared_trials_uses_their_weights_as_targets():
    human = human_trials(shared(), ["x", "y"], EMOTIONS, validation_fraction=0.5, seed=0)
    validation = validation_trials(human)
    assert validation.labels.dtype == torch.float32 and validation.labels.shape == (len(validation), 3)
    assert torch.allclose(validation.labels.sum(dim=1), torch.ones(len(validation)))
