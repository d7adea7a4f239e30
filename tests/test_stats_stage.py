"""The statistics stage as the workflow runs it, and the FER+ vote analysis."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers import POPULATION, from_schema, statistics_outputs
from varemotion.behavior import DesignSettings, design_trials
from varemotion.behavior.simulated_study import simulate_study
from varemotion.behavior.simulation import ObserverPopulation
from varemotion.data.splits import Split
from varemotion.entropy import entropy_bits
from varemotion.stats.study import TABLES, StatsSettings, study_statistics, write_study_statistics
from varemotion.stats.votes import vote_entropy_table
from varemotion.stimuli import MANIFEST_COLUMNS, entropy_column, probability_column

EMOTIONS = ["anger", "happiness", "sadness"]


def simulated_study(n_per_kind=30, null=False, seed=0):
    """Boundary faces (split between anger and happiness for observers and model) and clear controls.

    Boundary image n and control image n share the noise seed n; three clear catch faces are shown
    once per 10 trials. Returns the trial table, the manifest and the catch answers.
    """
    rng = np.random.default_rng(1)
    kinds = ["uncertainty"] * n_per_kind + ["control"] * n_per_kind
    ids = [f"{kind}-{n:03d}" for n, kind in enumerate(kinds)]
    gap = np.concatenate([rng.uniform(0, 1, n_per_kind), rng.uniform(4, 6, n_per_kind)])
    logits = np.zeros((len(ids), 3))
    logits[:, 0] = gap
    model = np.exp(logits * 0.9) / np.exp(logits * 0.9).sum(axis=1, keepdims=True)
    manifest = pd.DataFrame({c: "" for c in MANIFEST_COLUMNS}, index=range(len(ids)))
    manifest["stimulus_id"], manifest["kind"] = ids, kinds
    manifest["seed"] = np.tile(np.arange(n_per_kind), 2)
    manifest.loc[:n_per_kind - 1, ["guide_a", "target_i", "target_j"]] = ["net", "anger", "happiness"]
    for k, emotion in enumerate(EMOTIONS):
        manifest[probability_column("net", emotion)] = model[:, k]
    manifest[entropy_column("net")] = entropy_bits(model)
    catch_ids = [f"catch-{e}" for e in EMOTIONS]
    settings = DesignSettings(n_participants=20, trials_per_participant=30, min_ratings_per_stimulus=10, catch_every=10,
                              train_fraction=0.8, holdout_stimuli=0.0, seed=0)
    design = design_trials(ids, settings, catch_ids=catch_ids, catch_labels=EMOTIONS)
    table = pd.DataFrame(np.vstack([logits, 6 * np.eye(3)]), index=ids + catch_ids, columns=EMOTIONS)
    study = simulate_study(design, table, from_schema(ObserverPopulation, *POPULATION), seed=seed, null=null)
    return study.trials, manifest, study.catch


def test_study_statistics_find_the_planted_effects_and_write_every_table(tmp_path):
    trials, manifest, catch = simulated_study()
    statistics = study_statistics(trials, manifest, EMOTIONS, ["net"], from_schema(StatsSettings, "stats", n_resamples=199), catch)
    guided = statistics.tables["comparisons"].set_index("kind").loc["guided"]
    assert guided["p_greater"] < 0.001 and guided["rank_biserial"] > 0.5 and guided["ci_low"] > 0
    spearman = statistics.tables["correlations"].set_index("method").loc["spearman"]
    assert spearman["r"] > 0.5 and spearman["p_permutation"] <= 0.01  # the smallest p of 199 permutations
    models = statistics.tables["mixed_model"].set_index(["model", "term"])
    assert models.at[("mixed", "entropy_z"), "estimate"] < 0 and models.at[("image_level", "entropy_z"), "estimate"] < 0
    write_study_statistics(statistics, statistics_outputs(tmp_path))
    for name in TABLES:
        assert len(pd.read_csv(tmp_path / f"{name}.csv")) > 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["images"]["n_images"] == 60 and "resnet" not in (tmp_path / "mixed_model.txt").read_text()


def test_null_observers_show_no_entropy_correlation():
    # A 95 % interval misses 0 in 1 of 20 null studies; over five, at most one may.
    covered = []
    for seed in range(5):
        trials, manifest, catch = simulated_study(null=True, seed=seed)
        settings = from_schema(StatsSettings, "stats", n_resamples=199, stimulus_intercepts=False, subject_slopes=False)
        statistics = study_statistics(trials, manifest, EMOTIONS, ["net"], settings, catch)
        spearman = statistics.tables["correlations"].set_index("method").loc["spearman"]
        covered.append(spearman["ci_low"] < 0 < spearman["ci_high"])
    assert sum(covered) >= 4, covered


def test_vote_entropy_table_uses_the_votes_of_the_chosen_emotions():
    votes = np.array([[10, 0, 0, 0, 0, 0, 0, 0, 0, 0], [5, 5, 0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2, 0, 0, 0, 0, 0, 4, 0]])
    chosen = votes[:, :3].astype(float)
    columns = np.asarray(["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
                          "unknown", "NF"])
    split = Split(images=np.zeros((3, 8, 8), np.uint8), labels=chosen.argmax(1), ids=np.array(["a", "b", "c"]),
                  emotions=("neutral", "happiness", "surprise"), soft_labels=chosen / chosen.sum(1, keepdims=True),
                  extras={"votes": votes.astype(np.int16), "vote_columns": columns})
    model = np.array([[0.9, 0.05, 0.05], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    table = vote_entropy_table(split, {"net": model}, min_votes=7)
    assert table["human_entropy"].round(6).tolist() == [0.0, 1.0, round(np.log2(3), 6)]
    assert table["n_ratings"].tolist() == [10, 10, 6] and table["enough_ratings"].tolist() == [True, True, False]
    assert np.allclose(table["net_entropy"], entropy_bits(model))
    with pytest.raises(ValueError, match="shape"):
        vote_entropy_table(split, {"net": model[:2]})
