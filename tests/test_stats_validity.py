"""Threats to the statistics' validity: paired seeds, clusters, kind-restating correlations, entropy bias,
pseudo-replicated mixed models and slip rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from helpers import STATS_EMOTIONS as EMOTIONS, from_schema, make_manifest, make_trials, manifest_row
from varemotion.entropy import count_entropy_bits
from varemotion.stats import (
    compare_entropy,
    correlation_table,
    entropy_by_kind,
    entropy_correlation,
    fit_agreement_model,
    per_image_table,
    seed_clusters,
    slip_rate_from_catch,
    within_kind_table,
)
from varemotion.stats.clusters import weighted_pearson, weighted_ranks
from varemotion.stats.study import StatsSettings, slip_rate


def test_miller_madow_adds_the_first_order_bias():
    counts = np.array([[1, 1, 0, 0], [3, 0, 0, 0], [0, 0, 0, 0]])
    plugin, corrected = count_entropy_bits(counts), count_entropy_bits(counts, "miller_madow")
    assert plugin[0] == pytest.approx(1.0) and corrected[0] == pytest.approx(1.0 + 1 / (4 * np.log(2)))
    assert corrected[1] == 0.0 and np.isnan(corrected[2])


def test_miller_madow_is_less_biased_than_the_plug_in_estimate_for_few_ratings():
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    truth = scipy.stats.entropy(p, base=2)
    counts = rng.multinomial(8, p, size=4000)
    plugin_bias = count_entropy_bits(counts).mean() - truth
    corrected_bias = count_entropy_bits(counts, "miller_madow").mean() - truth
    assert plugin_bias < -0.15 and abs(corrected_bias) < abs(plugin_bias) / 2


def test_the_study_uses_the_bias_corrected_entropy_by_default():
    manifest = make_manifest([manifest_row("a")])
    table = per_image_table(make_trials({"a": ["anger", "happiness"]}), manifest, EMOTIONS, ["m1"],
                            estimator=from_schema(StatsSettings, "stats").entropy_estimator)
    assert table.at[0, "human_entropy"] == pytest.approx(1.0 + 1 / (4 * np.log(2)))
    assert table.at[0, "human_entropy_plugin"] == pytest.approx(1.0)


def seeded_pairs(n_seeds=30, shift=0.1, seed=0):
    """Per seed, a boundary and a control image whose entropies share a large seed effect."""
    rng = np.random.default_rng(seed)
    base = rng.normal(1.0, 0.6, n_seeds)
    boundary = base + shift + rng.normal(0, 0.05, n_seeds)
    control = base + rng.normal(0, 0.05, n_seeds)
    table = pd.DataFrame({"kind": ["uncertainty"] * n_seeds + ["control"] * n_seeds,
                          "seed": np.tile(np.arange(n_seeds), 2), "human_entropy": np.concatenate([boundary, control]),
                          "enough_ratings": True, "n_ratings": 20})
    return table


def test_paired_test_finds_a_shift_that_the_seeds_hide_from_the_unpaired_test():
    """Guards the paired comparison: boundary minus control of the same starting noise, per seed."""
    comparisons = entropy_by_kind(seeded_pairs(), n_resamples=999, seed=0).comparisons.set_index("kind")
    guided = comparisons.loc["guided"]
    assert guided["p_greater"] > 0.05  # the seed effect (SD 0.6) swamps a shift of 0.1 between groups
    assert guided["p_paired_greater"] < 1e-4 and guided["n_pairs"] == 30
    assert guided["paired_ci_low"] > 0 and guided["paired_mean_difference"] == pytest.approx(0.1, abs=0.03)


def test_images_sharing_a_seed_are_resampled_together():
    """Guards the cluster bootstrap: copies of one image are not independent evidence."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    y = x + rng.normal(size=40)
    copies = np.tile(np.arange(40), 4)
    clustered = entropy_correlation(np.tile(x, 4), np.tile(y, 4), n_resamples=999, seed=0, clusters=copies)
    naive = entropy_correlation(np.tile(x, 4), np.tile(y, 4), n_resamples=999, seed=0)
    single = entropy_correlation(x, y, n_resamples=999, seed=0)
    assert clustered.resampled == "cluster" and clustered.n_clusters == 40 and naive.resampled == "image"
    width = {name: r.ci_high - r.ci_low for name, r in (("clustered", clustered), ("naive", naive), ("single", single))}
    assert width["clustered"] > 1.5 * width["naive"]
    assert width["clustered"] == pytest.approx(width["single"], rel=0.35)
    difference = compare_entropy(np.tile(x, 2), np.tile(y, 2), n_resamples=999, seed=0,
                                 clusters=(np.tile(np.arange(40), 2), np.tile(np.arange(40), 2)))
    assert difference.resampled == "cluster" and difference.n_clusters == 40


def test_seed_clusters_give_unseeded_images_their_own():
    labels = seed_clusters(pd.DataFrame({"seed": [3, 3, "", 4, None, 3.5]}))
    assert labels[0] == labels[1] and len(set(labels)) == 5
    assert len(set(seed_clusters(pd.DataFrame({"kind": ["a", "b"]})))) == 2


def kind_only_study(seed=2):
    """Model and human entropy that differ between kinds but are unrelated within each kind."""
    rng = np.random.default_rng(seed)
    rows, ratings = [], {}
    for k in range(80):
        boundary = k < 40
        spread = rng.uniform(0.6, 1.0) if boundary else rng.uniform(0.0, 0.3)
        probs = (1 - spread) * np.eye(4)[0] + spread / 4
        model = rng.dirichlet(np.full(4, 2.0) if boundary else np.array([1.0, 40.0, 1.0, 1.0]))
        rows.append(manifest_row(f"s{k}", kind="uncertainty" if boundary else "control", probs=model))
        ratings[f"s{k}"] = list(rng.choice(EMOTIONS, size=30, p=probs))
    return per_image_table(make_trials(ratings), make_manifest(rows), EMOTIONS, ["m1"], min_ratings=5)


def test_within_kind_correlations_do_not_restate_the_kind_difference():
    """Guards the within-kind, partial and guide-role rows: a pooled ρ made by the kinds alone."""
    table = kind_only_study()
    pooled = correlation_table(table, ["m1"], ["spearman"], n_resamples=499, seed=0).iloc[0]
    within = within_kind_table(table, ["m1"], n_resamples=499, seed=0).set_index(["measure", "kind", "role"])
    assert pooled["r"] > 0.6 and pooled["ci_low"] > 0.4
    for key in [("m1", "uncertainty", "all"), ("m1", "control", "all"), ("m1", "partial", "all")]:
        assert within.at[key, "ci_low"] < 0 < within.at[key, "ci_high"], key
    assert within.at[("m1", "uncertainty", "guide"), "n"] == 40 and within.at[("m1", "uncertainty", "non_guide"), "n"] == 0
    assert within.at[("ensemble", "partial", "all"), "n"] == 80


def test_ensemble_entropy_and_guide_disagreement():
    rows = [manifest_row("c", kind="controversial", guides=("m1", "m2"), probs=(1, 0, 0, 0)),
            manifest_row("u", guides=("m1", ""), probs=(0.5, 0.5, 0, 0))]
    manifest = make_manifest(rows)
    for emotion, row in zip(EMOTIONS, [(0, 0.5), (1, 0.5), (0, 0), (0, 0)]):
        manifest[f"m2_p_{emotion}"] = row
    manifest["m2_entropy"] = [0.0, 1.0]
    table = per_image_table(make_trials({"c": ["anger"]}), manifest, EMOTIONS, ["m1", "m2"]).set_index("stimulus_id")
    assert table.at["c", "guide_disagreement"] == pytest.approx(1.0)  # disjoint one-hot vectors: 1 bit
    assert table.at["c", "ensemble_entropy"] == pytest.approx(1.0)
    assert np.isnan(table.at["u", "guide_disagreement"]) and table.at["u", "ensemble_entropy"] == pytest.approx(1.0)


def test_the_agreement_model_has_crossed_image_intercepts_by_default():
    """Guards against pseudo-replication: entropy varies between images, so images must be random too."""
    rng = np.random.default_rng(5)
    rows, ratings = [], {}
    lapses = rng.uniform(0, 0.6, 15)  # participants differ in how often they guess
    for k in range(40):
        spread = rng.uniform(0, 1)
        probs = (1 - spread) * np.eye(4)[0] + spread / 4
        rows.append(manifest_row(f"s{k}", kind="control", probs=0.9 * probs + 0.025))
        guesses = rng.random(15) < lapses
        ratings[f"s{k}"] = list(np.where(guesses, rng.choice(EMOTIONS, 15), rng.choice(EMOTIONS, size=15, p=probs)))
    trials = make_trials(ratings)
    table = per_image_table(trials, make_manifest(rows), EMOTIONS, ["m1"])
    crossed = fit_agreement_model(trials, table, "m1")
    participants_only = fit_agreement_model(trials, table, "m1", stimulus_intercepts=False, subject_slopes=False)
    assert crossed.stimulus_variance is not None and crossed.stimulus_variance > 0
    se = {name: r.coefficients.set_index("term").at["entropy_z", "se"]
          for name, r in (("crossed", crossed), ("participants", participants_only))}
    assert se["crossed"] > 1.3 * se["participants"]
    image_se = crossed.image_level.set_index("term").at["entropy_z", "se"]
    assert image_se == pytest.approx(se["crossed"], rel=0.5)


def test_slip_rate_comes_from_the_catch_trials_of_the_analysed_participants():
    """Guards against a fixed slip rate of 0.05 where catch trials measure it."""
    catch = pd.DataFrame({"subject_id": ["a", "a", "b", "b", "gone"], "expected_response": ["anger"] * 5,
                          "response": ["anger", "sadness", "anger", "anger", "fear"]})
    trials = pd.DataFrame({"subject_id": ["a", "b"]})
    estimated = slip_rate(from_schema(StatsSettings, "stats"), catch, trials)
    assert (estimated.source, estimated.n_catch, estimated.n_errors) == ("catch", 4, 1)
    assert estimated.rate == pytest.approx(1.5 / 5)
    assert slip_rate(from_schema(StatsSettings, "stats", error_rate=0.05), catch, trials).rate == 0.05
    assert slip_rate_from_catch(catch.iloc[[0]]).rate == pytest.approx(0.25)  # never 0 for a clean record
    with pytest.raises(ValueError, match="stats.error_rate"):
        slip_rate_from_catch(catch.iloc[:0])


def test_weighted_ranks_equal_the_ranks_of_the_repeated_values():
    """The cluster bootstrap sees a resample as weights; its Spearman must be that of the repeated images."""
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, 30).astype(float), rng.normal(size=30)
    weights = rng.integers(0, 3, (5, 30)).astype(float)
    r = weighted_pearson(weighted_ranks(x, weights), weighted_ranks(y, weights), weights)
    for b in range(5):
        rows = np.repeat(np.arange(30), weights[b].astype(int))
        assert r[b] == pytest.approx(scipy.stats.spearmanr(x[rows], y[rows]).statistic)


def test_cluster_interval_survives_resamples_without_one_group():
    """A resample may hold no boundary image at all; the interval comes from the others then."""
    x, y = np.array([1.0, 1.2, 0.9]), np.linspace(0, 0.5, 30)
    result = compare_entropy(x, y, n_resamples=999, seed=0,
                             clusters=(np.array([0, 1, 2]), np.arange(30)))
    assert np.isfinite(result.ci_low) and result.ci_low < result.mean_difference < result.ci_high
