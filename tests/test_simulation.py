"""Simulated observers: the choice and RT models, parameter recovery, the null variant, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import POPULATION, from_schema
from varemotion.behavior.simulation import (
    ObserverPopulation,
    choice_probabilities,
    sample_observers,
    simulate_trials,
)
from varemotion.behavior.trials import TRIAL_COLUMNS, validate_trials
from varemotion.entropy import entropy_bits

EMOTIONS = ("anger", "happy", "sad")
PEOPLE = from_schema(ObserverPopulation, *POPULATION)


def observer(subject_id="s1", bias=(0.0, 0.0, 0.0), temperature=1.0, lapse=0.0, confusion=("", "", 0.0),
             speed=1.0) -> dict:
    row = {"subject_id": subject_id}
    row.update({f"bias_{e}": b for e, b in zip(EMOTIONS, bias)})
    row.update(temperature=temperature, lapse=lapse, confusion_from=confusion[0], confusion_to=confusion[1],
               confusion_strength=confusion[2], speed=speed)
    return row


def softmax(z):
    e = np.exp(np.asarray(z, dtype=float) - np.max(z))
    return e / e.sum()


def repeated_design(subjects, patterns: np.ndarray, copies: int):
    """Each pattern of logits as ``copies`` distinct stimuli; every subject rates every stimulus."""
    stimulus_ids = [f"p{j}_{i}" for j in range(len(patterns)) for i in range(copies)]
    logits = np.repeat(patterns, copies, axis=0)
    design = pd.DataFrame([(s, x) for s in subjects for x in stimulus_ids], columns=["subject_id", "stimulus_id"])
    design["is_train"] = True
    design["pattern"] = design["stimulus_id"].str.split("_").str[0].str[1:].astype(int)
    return design, logits, stimulus_ids


def test_choice_probabilities_match_the_formula_by_hand():
    g = np.array([[1.0, 2.0, 0.5]])
    plain = pd.Series(observer(bias=(0.5, -0.5, 0.0), temperature=2.0))
    expected = softmax(np.array([1.5, 1.5, 0.5]) * 2.0)
    np.testing.assert_allclose(choice_probabilities(g, plain), [expected])

    lapsing = pd.Series(observer(bias=(0.0, 0.0, 1.0), temperature=0.5, lapse=0.2))
    expected = 0.8 * softmax(np.array([1.0, 2.0, 1.5]) * 0.5) + 0.2 / 3
    np.testing.assert_allclose(choice_probabilities(g, lapsing), [expected])

    confused = pd.Series(observer(temperature=1.0, lapse=0.1, confusion=("happy", "sad", 0.6)))
    sad = 0.5 + 0.6 * (2.0 - 0.5)
    expected = 0.9 * softmax(np.array([1.0, 2.0, sad])) + 0.1 / 3
    np.testing.assert_allclose(choice_probabilities(g, confused), [expected])
    unfavoured = np.array([[1.0, 0.0, 0.5]])
    np.testing.assert_allclose(choice_probabilities(unfavoured, confused),
                               [0.9 * softmax(unfavoured[0]) + 0.1 / 3])


def test_choice_probabilities_rows_sum_to_one_and_full_lapse_is_uniform():
    rng = np.random.default_rng(0)
    observers = sample_observers(50, from_schema(ObserverPopulation, *POPULATION, confusion_rate=0.5), EMOTIONS, seed=1)
    g = rng.normal(0, 3, size=(50, 3))
    p = choice_probabilities(g, observers)
    assert p.shape == (50, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p > 0).all()
    np.testing.assert_allclose(choice_probabilities(g, observers.assign(lapse=1.0)), 1 / 3)


def test_sample_observers_table():
    observers = sample_observers(40, from_schema(ObserverPopulation, *POPULATION, confusion_rate=0.5), EMOTIONS, seed=3)
    assert list(observers["subject_id"][:2]) == ["sim001", "sim002"]
    assert {f"bias_{e}" for e in EMOTIONS} <= set(observers.columns)
    assert (observers["temperature"] > 0).all() and observers["lapse"].between(0, 1).all()
    confused = observers["confusion_from"] != ""
    assert 0 < confused.sum() < 40
    assert (observers.loc[confused, "confusion_from"] != observers.loc[confused, "confusion_to"]).all()
    assert (observers.loc[~confused, "confusion_strength"] == 0).all()
    assert observers.equals(sample_observers(40, from_schema(ObserverPopulation, *POPULATION, confusion_rate=0.5), EMOTIONS, seed=3))


def test_empirical_frequencies_recover_the_choice_probabilities():
    patterns = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 1.5]])
    observers = pd.DataFrame([observer("biased", bias=(0.0, 2.0, 0.0), lapse=0.05, confusion=("anger", "sad", 0.5)),
                              observer("plain", temperature=1.5, lapse=0.02)])
    design, logits, stimulus_ids = repeated_design(observers["subject_id"], patterns, copies=6000)
    trials = simulate_trials(design, logits, stimulus_ids, EMOTIONS, observers, seed=7, population=PEOPLE)
    n = 6000
    for subject_id, row in observers.set_index("subject_id").iterrows():
        expected = choice_probabilities(patterns, row.rename(None))
        for j in range(len(patterns)):
            mine = trials[(trials["subject_id"] == subject_id).to_numpy() & (design["pattern"] == j).to_numpy()]
            frequencies = mine["response"].value_counts(normalize=True).reindex(EMOTIONS, fill_value=0)
            assert len(mine) == n
            np.testing.assert_allclose(frequencies.to_numpy(), expected[j], atol=0.02)
    happy = trials.groupby("subject_id")["response"].apply(lambda r: (r == "happy").mean())
    assert happy["biased"] > happy["plain"] + 0.2


def test_null_variant_ignores_the_stimulus():
    patterns = np.array([[4.0, 0.0, 0.0], [0.0, 0.0, 4.0]])
    observers = sample_observers(3, PEOPLE, EMOTIONS, seed=2)
    design, logits, stimulus_ids = repeated_design(observers["subject_id"], patterns, copies=4000)

    def frequencies(null):
        trials = simulate_trials(design, logits, stimulus_ids, EMOTIONS, observers, seed=5, population=PEOPLE, null=null)
        table = pd.crosstab(design["pattern"], trials["response"], normalize="index")
        return table.reindex(columns=list(EMOTIONS), fill_value=0).to_numpy()

    null = frequencies(True)
    assert np.abs(null[0] - null[1]).max() < 0.03
    normal = frequencies(False)
    assert normal[0, 0] > 0.6 and normal[1, 2] > 0.6
    assert np.abs(normal[0] - normal[1]).max() > 0.5


def test_reaction_times_are_positive_and_longer_when_uncertain():
    patterns = np.array([[6.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    observers = sample_observers(5, from_schema(ObserverPopulation, *POPULATION, bias_sd=0.1), EMOTIONS, seed=4)
    design, logits, stimulus_ids = repeated_design(observers["subject_id"], patterns, copies=500)
    trials = simulate_trials(design, logits, stimulus_ids, EMOTIONS, observers, seed=8, population=PEOPLE)
    assert (trials["rt_ms"] > 0).all()
    mean_rt = trials["rt_ms"].groupby(design["pattern"]).mean()
    assert mean_rt[1] > mean_rt[0] * 1.3
    assert entropy_bits(np.full((1, 4), 0.25))[0] == pytest.approx(2.0)


def small_simulation(seed, null=False):
    rng = np.random.default_rng(0)
    stimulus_ids = [f"face{i}" for i in range(30)]
    logits = rng.normal(0, 2, size=(30, 3))
    observers = sample_observers(4, from_schema(ObserverPopulation, *POPULATION, confusion_rate=0.5), EMOTIONS, seed=1)
    design = pd.DataFrame([(s, x, i % 5 != 0) for s in observers["subject_id"] for i, x in enumerate(stimulus_ids)],
                          columns=["subject_id", "stimulus_id", "is_train"])
    trials = simulate_trials(design, logits, stimulus_ids, EMOTIONS, observers, seed=seed, population=PEOPLE, null=null)
    return trials, design, logits, stimulus_ids, observers


def test_same_seed_same_table_other_seed_other_table():
    first, *_ = small_simulation(seed=11)
    assert first.equals(small_simulation(seed=11)[0])
    other = small_simulation(seed=12)[0]
    assert not first["response"].equals(other["response"])
    assert not np.allclose(first["rt_ms"], other["rt_ms"])


@pytest.mark.parametrize("null", [False, True])
def test_output_is_a_valid_trial_table(null):
    trials, design, _, stimulus_ids, _ = small_simulation(seed=3, null=null)
    assert list(trials.columns) == TRIAL_COLUMNS
    assert trials["rt_ms"].dtype == float
    assert (trials["is_train"].to_numpy() == design["is_train"].to_numpy()).all()
    checked = validate_trials(trials, EMOTIONS, stimulus_ids, "sim")
    pd.testing.assert_frame_equal(checked, trials)


def test_inconsistent_inputs_are_rejected():
    _, design, logits, stimulus_ids, observers = small_simulation(seed=3)
    ghost = pd.concat([design, pd.DataFrame([("ghost", "face0", True)], columns=design.columns)])
    with pytest.raises(ValueError, match="subjects missing from observers: 'ghost'"):
        simulate_trials(ghost, logits, stimulus_ids, EMOTIONS, observers, seed=0, population=PEOPLE)
    unknown = design.assign(stimulus_id=design["stimulus_id"].replace("face3", "face99"))
    with pytest.raises(ValueError, match="stimuli missing from stimulus_ids: 'face99'"):
        simulate_trials(unknown, logits, stimulus_ids, EMOTIONS, observers, seed=0, population=PEOPLE)
    with pytest.raises(ValueError, match=r"logits have shape \(30, 2\)"):
        simulate_trials(design, logits[:, :2], stimulus_ids, EMOTIONS, observers, seed=0, population=PEOPLE)
    with pytest.raises(ValueError, match=r"logits have shape \(29, 3\)"):
        simulate_trials(design, logits[:29], stimulus_ids, EMOTIONS, observers, seed=0, population=PEOPLE)
