"""The alignment stage: mixing, batched vs one-by-one training, learned biases, evaluation, manipulation."""

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import ALIGNMENT_EMOTIONS as EMOTIONS, alignment_classifier as tiny_classifier, trial_table
from varemotion.alignment.evaluation import bias_recovery, entropy_tertiles, paired_test
from varemotion.alignment.group import finetune_group
from varemotion.alignment.individual import train_individual_models
from varemotion.alignment.manipulation import (
    answer,
    control_rows,
    most_different_pairs,
    outcome_summary,
    pair_outcomes,
)
from varemotion.alignment.mixing import draw_evenly, mixed_epoch, mixture_counts
from varemotion.alignment.models import load_individual_models, save_individual_models
from varemotion.alignment.training import FinetuneSettings
from varemotion.alignment.trials import human_trials
from varemotion.models.classifier import Classifier, ClassifierConfig


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    stimuli = torch.rand(20, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    original = torch.rand(30, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    human = human_trials(trial_table(), [f"x{i}" for i in range(20)], EMOTIONS, 0.2, 0)
    return stimuli, original, rng.integers(0, 3, 30), human


def test_mixture_counts_follow_the_ratios_and_sum_to_n():
    assert mixture_counts(500, [2, 1, 1]).tolist() == [250, 125, 125]
    assert mixture_counts(7, [1, 1]).sum() == 7
    with pytest.raises(ValueError, match="non-negative ratios"):
        mixture_counts(10, [0, 0])


def test_mixed_epoch_draws_each_pool_at_its_ratio_and_evenly_within_it():
    own, everyone, original = np.arange(10), np.arange(100, 200), np.arange(1000, 1003)
    epoch = mixed_epoch([own, everyone, original], [2, 1, 1], 500, np.random.default_rng(0))
    assert len(epoch) == 500
    assert np.isin(epoch, own).sum() == 250
    assert np.isin(epoch, everyone).sum() == 125 and np.isin(epoch, original).sum() == 125
    assert set(np.bincount(epoch[np.isin(epoch, own)])[own]) == {25}  # every own trial 25 times
    assert np.bincount(draw_evenly(original, 7, np.random.default_rng(0)) - 1000).tolist() in ([3, 2, 2], [2, 3, 2], [2, 2, 3])


def test_an_empty_pool_leaves_the_others_at_their_ratio():
    epoch = mixed_epoch([np.arange(5), np.array([], dtype=int), np.arange(10, 20)], [2, 1, 1], 300, np.random.default_rng(0))
    assert np.isin(epoch, np.arange(5)).sum() == 200 and len(epoch) == 300


def test_validation_trials_come_from_training_trials_only(data):
    human = data[3]
    counts = human.table.groupby(["subject_id", "part"]).size().unstack()
    assert (counts["validation"] == 3).all() and (counts["train"] == 12).all() and (counts["held_out"] == 5).all()
    original = trial_table()
    held_out = original[~original["is_train"]]
    assert human.part("held_out")[["subject_id", "stimulus_id"]].values.tolist() == held_out[["subject_id", "stimulus_id"]].values.tolist()


def test_unknown_stimulus_in_trials_is_named():
    table = trial_table()
    table.loc[3, "stimulus_id"] = "nowhere"
    with pytest.raises(ValueError, match="row 5: stimulus_id 'nowhere'"):
        human_trials(table, [f"x{i}" for i in range(20)], EMOTIONS, 0.1, 0)


@pytest.mark.parametrize("trainable", ["head", "all"])
def test_batched_training_equals_one_by_one(data, trainable):
    stimuli, original, labels, _ = data
    human = human_trials(trial_table(always={"s0": "sadness", "s1": "anger"}), [f"x{i}" for i in range(20)],
                         EMOTIONS, 0.2, 0)
    settings = FinetuneSettings(epochs=2, batch_size=8, lr=1e-3, samples_per_epoch=16, seed=0)
    group = tiny_classifier()
    kwargs = {"min_train_trials": 10, "trainable": trainable, "subjects": ["s0", "s1", "s2"]}
    batched, result = train_individual_models(group, stimuli, human, original, labels, settings, **kwargs)
    single, single_result = train_individual_models(group, stimuli, human, original, labels, settings, batched=False,
                                                    **kwargs)
    assert result.best_epoch.tolist() == single_result.best_epoch.tolist() and result.best_epoch.max() > 0
    assert batched.state.keys() == single.state.keys()
    floats = [name for name, tensor in batched.state.items() if tensor.is_floating_point()]
    assert any(not torch.equal(batched.state[n][0], group.state_dict()[n]) for n in floats)  # training moved them
    close = sum(torch.isclose(batched.state[n], single.state[n], rtol=1e-4, atol=1e-5).sum().item() for n in floats)
    total = sum(batched.state[n].numel() for n in floats)
    if trainable == "head":
        assert close == total
    else:
        # Adam turns float noise in near-zero gradients into steps of size lr on a few weights.
        assert close > 0.99 * total
    torch.testing.assert_close(batched.logits(stimuli, "cpu"), single.logits(stimuli, "cpu"), rtol=0, atol=1e-2)
    assert torch.equal(batched.logits(stimuli, "cpu").argmax(2), single.logits(stimuli, "cpu").argmax(2))


def test_individual_model_of_someone_who_always_answers_one_emotion_learns_that_bias():
    stimuli = torch.rand(20, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    original = torch.rand(30, 1, 16, 16, generator=torch.Generator().manual_seed(1))
    labels = np.random.default_rng(1).integers(0, 3, 30)
    human = human_trials(trial_table(always={"s0": "sadness"}), [f"x{i}" for i in range(20)], EMOTIONS, 0.2, 0)
    group = tiny_classifier()
    settings = FinetuneSettings(epochs=15, batch_size=16, lr=5e-2, samples_per_epoch=64, seed=0)
    models, _ = train_individual_models(group, stimuli, human, original, labels, settings, min_train_trials=10)
    logits = models.logits(stimuli, "cpu")
    shift = (logits - group.eval()(stimuli).detach()[None]).mean(1)
    shift -= shift.mean(1, keepdim=True)
    assert models.subjects[0] == "s0"
    assert shift[0].argmax() == EMOTIONS.index("sadness")
    assert (logits[0].argmax(1) == EMOTIONS.index("sadness")).float().mean() > 0.9
    assert shift[0, 2] > shift[1:, 2].max()


def test_individual_models_round_trip_and_stand_alone_classifiers_agree(data, tmp_path):
    stimuli, original, labels, human = data
    settings = FinetuneSettings(epochs=1, batch_size=8, lr=1e-2, samples_per_epoch=16, seed=0)
    group = tiny_classifier()
    models, _ = train_individual_models(group, stimuli, human, original, labels, settings, min_train_trials=10)
    save_individual_models(models, tmp_path / "individual.pt")
    loaded = load_individual_models(tmp_path / "individual.pt", group)
    assert loaded.subjects == models.subjects == ["s0", "s1", "s2", "s3"]
    logits = loaded.logits(stimuli, "cpu")
    with torch.no_grad():
        torch.testing.assert_close(loaded.classifier("s2")(stimuli), logits[2], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="does not fit the group classifier"):
        load_individual_models(tmp_path / "individual.pt", Classifier(ClassifierConfig(
            arch="resnet10t", emotions=EMOTIONS + ["fear"], image_size=[16, 16],
            kwargs={"channels": [8, 8, 8, 8], "stem_width": 4})))


def test_group_fine_tuning_keeps_the_best_validation_epoch(data):
    stimuli, original, labels, human = data
    settings = FinetuneSettings(epochs=3, batch_size=8, lr=1e-2, samples_per_epoch=32, seed=0)
    validation = human.part("validation")
    for soft in (False, True):
        model, result = finetune_group(tiny_classifier(), stimuli, human, original, labels, settings, soft=soft)
        losses = [h["validation_nll"] for h in result.history]
        assert result.best_epoch == int(np.argmin(losses)) and len(losses) == 4
        with torch.no_grad():
            logits = model(stimuli[torch.as_tensor(validation["image"].to_numpy().copy())])
        nll = torch.nn.functional.cross_entropy(logits, torch.as_tensor(validation["label"].to_numpy().copy()))
        assert float(nll) == pytest.approx(min(losses), rel=1e-5)  # the returned model is the best epoch's


def test_planted_biases_are_recovered_from_logit_shifts():
    """The planted shift of an observer's logits is τ·b: their bias scaled by their temperature."""
    rng = np.random.default_rng(0)
    planted = rng.normal(size=(6, 3))
    temperature = rng.uniform(0.3, 3.0, 6)
    observers = pd.DataFrame({"subject_id": [f"s{k}" for k in range(6)], "temperature": temperature,
                              **{f"bias_{e}": planted[:, k] for k, e in enumerate(EMOTIONS)}})
    group = rng.normal(size=(10, 3))
    individual = group[None] + (temperature[:, None] * planted)[:, None, :] + 5.0  # a constant shift does not count
    table, recovery = bias_recovery(observers, [f"s{k}" for k in range(6)], individual, group, EMOTIONS,
                                    n_resamples=999)
    assert len(table) == 18 and recovery["r"] == pytest.approx(1.0) and recovery["n_subjects"] == 6
    assert recovery["p"] <= 0.01  # only the true pairing of subjects (1 of 720) gives r = 1
    _, shuffled = bias_recovery(observers, [f"s{k}" for k in (1, 2, 3, 4, 5, 0)], individual, group, EMOTIONS,
                                n_resamples=999)
    assert shuffled["r"] < 0.9


def test_paired_test_counts_improvements():
    better = pd.Series([0.8, 0.7, 0.9, 0.6, 0.75, 0.7])
    worse = pd.Series([0.7, 0.7, 0.8, 0.5, 0.70, np.nan])
    result = paired_test(better, worse)
    assert (result["n"], result["n_improved"], result["n_worse"]) == (5, 4, 0)
    assert 0 < result["p"] < 1


def test_entropy_tertiles_split_images_in_three_groups_and_keep_ties_together():
    """Guards against ties broken by image order, which put tied images in different tertiles."""
    entropy = np.array([0.0, 0.0, 0.0, 1.0, 1.5, 2.0])
    labels = entropy_tertiles(entropy, np.array([0, 1, 2, 3, 4, 5, 5]))
    assert labels.tolist() == ["entropy_low", "entropy_low", "entropy_low", "entropy_middle",
                               "entropy_high", "entropy_high", "entropy_high"]
    order = np.array([5, 2, 4, 0, 3, 1])
    assert entropy_tertiles(entropy[order], np.arange(6)).tolist() == [labels[i] for i in order]
    spread = entropy_tertiles(np.arange(9.0), np.arange(9))
    assert [list(spread).count(t) for t in ("entropy_low", "entropy_middle", "entropy_high")] == [3, 3, 3]


def test_manipulation_outcomes_and_summary():
    outcomes = pair_outcomes(["a", "a", "b", "c"], ["b", "a", "a", "b"], ["a"] * 4, ["b"] * 4)
    assert outcomes.tolist() == ["success", "bias", "failure", "failure"]
    table = pd.DataFrame({"condition": ["manipulated"] * 4 + ["control"] * 4, "response_a": ["a", "a", "b", "c"] * 2,
                          "response_b": ["b", "a", "a", "b"] * 2, "target_i": "a", "target_j": "b",
                          "outcome": np.concatenate([outcomes, ["bias"] * 4]), "pair": 0, "subject_a": "s1",
                          "subject_b": "s2", "expected_success": [0.5, 0.2, 0.1, 0.1, 0.1, 0.1, 0.0, 0.0]})
    summary, tests = outcome_summary(table)
    row = summary.set_index(["condition", "outcome"]).loc[("manipulated", "success")]
    assert (row["count"], row["n"]) == (1, 4) and row["ci_low"] < 0.25 < row["ci_high"]
    assert tests["conditions"]["manipulated"]["targeted_share"] == pytest.approx(4 / 8)
    assert 0 <= tests["fisher_success"]["p"] <= 1
    assert tests["conditions"]["manipulated"]["expected_success"] == pytest.approx(0.225)
    assert tests["pair_level"]["n_pairs"] == 1


def test_most_different_pairs_are_disjoint_and_furthest_first():
    shifts = np.array([[0.0, 0.0], [5.0, 0.0], [0.1, 0.0], [-5.0, 0.0], [0.2, 0.1]])
    pairs = most_different_pairs(["a", "b", "c", "d", "e"], shifts, 5)
    assert pairs[0] in (("b", "d"), ("d", "b")) and len(pairs) == 2
    assert len({s for pair in pairs for s in pair}) == 4


def test_control_rows_match_each_pair_and_fall_back_to_uncertainty_images():
    manifest = pd.DataFrame({"stimulus_id": ["u1", "u2", "c1"], "kind": ["uncertainty", "uncertainty", "control"],
                             "target_i": ["anger", "sadness", ""], "target_j": ["happiness", "anger", ""]})
    stimuli = pd.DataFrame({"pair": [0, 0, 0, 1], "subject_a": ["s1"] * 3 + ["s3"], "subject_b": ["s2"] * 3 + ["s4"],
                            "stimulus_id": ["m1", "m2", "m3", "m4"], "target_i": "anger", "target_j": "sadness"})
    control = control_rows(manifest, stimuli, seed=0)
    assert control.groupby("pair").size().tolist() == [3, 1]
    assert set(control["stimulus_id"]) <= {"u1", "u2"}
    observers = pd.DataFrame({"subject_id": ["s1", "s2"], **{f"bias_{e}": 0.0 for e in EMOTIONS},
                              "temperature": 1.0, "lapse": 0.0})
    logits = pd.DataFrame(np.zeros((0, 3)), columns=EMOTIONS)
    empty = answer(control.iloc[:0], logits, observers, "control", np.random.default_rng(0))
    assert empty.empty and "outcome" in empty.columns
