"""The statistics core: per-image table, outcomes, correlations, group comparisons, agreement, mixed model."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from helpers import STATS_EMOTIONS as EMOTIONS, by_id, make_manifest, make_trials, manifest_row
from varemotion.stats import (
    OutcomeThresholds,
    catch_error_rate,
    classify_outcome,
    compare_entropy,
    correlation_table,
    entropy_by_kind,
    entropy_correlation,
    fit_agreement_model,
    fit_mixed_lpm,
    headline_summary,
    leave_one_out_credit,
    outcome_proportions,
    per_image_table,
    rank_biserial,
    significant_disagreement,
)


# ---------------------------------------------------------------- per-image table


def test_human_entropy_in_bits_from_hand_made_trials():
    manifest = make_manifest([manifest_row(s) for s in ("uniform", "one_hot", "half", "unrated")])
    trials = make_trials({"uniform": list(EMOTIONS), "one_hot": ["happiness"] * 4,
                          "half": ["happiness", "anger", "happiness", "anger"]})
    table = by_id(per_image_table(trials, manifest, EMOTIONS, ["m1"], min_ratings=1))
    assert table.at["uniform", "human_entropy"] == pytest.approx(2.0)
    assert table.at["one_hot", "human_entropy"] == pytest.approx(0.0)
    assert table.at["half", "human_entropy"] == pytest.approx(1.0)  # base 2: ln would give 0.693
    assert table.at["half", "human_n_anger"] == 2 and table.at["half", "human_p_happiness"] == 0.5
    assert table.at["half", "majority_response"] == "anger"  # tie: first in emotion order
    assert table.at["one_hot", "majority_response"] == "happiness"
    assert table.at["unrated", "n_ratings"] == 0 and math.isnan(table.at["unrated", "human_entropy"])
    assert table.at["unrated", "majority_response"] == "" and table.at["unrated", "outcome"] == ""
    assert table.at["uniform", "m1_entropy"] == pytest.approx(2.0)
    assert list(table.index) == ["uniform", "one_hot", "half", "unrated"]


def test_per_image_table_rejects_unknown_stimuli_and_flags_few_ratings():
    manifest = make_manifest([manifest_row("a"), manifest_row("b", kind="control")])
    with pytest.raises(ValueError, match=r"not in the manifest: 'ghost', 'zombie'"):
        per_image_table(make_trials({"a": ["anger"], "ghost": ["anger"], "zombie": ["sadness"]}),
                        manifest, EMOTIONS, ["m1"])
    with pytest.raises(ValueError, match="not among the emotions"):
        per_image_table(make_trials({"a": ["joy"]}), manifest, EMOTIONS, ["m1"])
    with pytest.raises(ValueError, match="m2_entropy"):
        per_image_table(make_trials({"a": ["anger"]}), manifest, EMOTIONS, ["m1", "m2"])
    table = by_id(per_image_table(make_trials({"a": ["anger"] * 3, "b": ["anger"] * 2}), manifest, EMOTIONS,
                                  ["m1"], min_ratings=3))
    assert bool(table.at["a", "enough_ratings"]) and not bool(table.at["b", "enough_ratings"])
    assert table.at["b", "outcome"] == ""  # controls have no guidance outcome


# ---------------------------------------------------------------- outcomes


@pytest.mark.parametrize("p_i, p_j, expected", [
    (0.7, 0.1, "success"),      # sum exactly 0.8 and min exactly 0.1 (0.7 + 0.1 rounds below 0.8 in floats)
    (0.4, 0.4, "success"),
    (0.71, 0.09, "bias"),       # sum 0.8, min just below 0.1
    (0.8, 0.0, "bias"),
    (0.1, 0.7, "success"),      # order of the targets does not matter
    (0.7, 0.0999, "failure"),   # sum just below 0.8
    (0.45, 0.34, "failure"),
    (float("nan"), 0.5, ""),
])
def test_outcome_at_threshold_edges(p_i, p_j, expected):
    assert classify_outcome([p_i], [p_j])[0] == expected


def test_outcome_thresholds_are_configurable_and_checked():
    strict = OutcomeThresholds(sum_min=0.9, each_min=0.2)
    assert list(classify_outcome([0.7, 0.6, 0.75], [0.1, 0.3, 0.15], strict)) == ["failure", "success", "bias"]
    with pytest.raises(ValueError):
        OutcomeThresholds(sum_min=0.8, each_min=0.5)
    with pytest.raises(ValueError):
        OutcomeThresholds(sum_min=1.2)


def test_outcome_from_counts_in_the_per_image_table():
    manifest = make_manifest([manifest_row(s) for s in ("success", "bias", "failure")])
    other = ["sadness", "neutral"]
    trials = make_trials({"success": ["anger"] * 7 + ["happiness"] + other,   # 0.7 + 0.1 out of 10 ratings
                          "bias": ["anger"] * 8 + other,
                          "failure": ["anger"] * 6 + ["happiness"] + other + ["sadness"]})
    table = by_id(per_image_table(trials, manifest, EMOTIONS, ["m1"]))
    assert table["outcome"].to_dict() == {"success": "success", "bias": "bias", "failure": "failure"}


def wilson(count: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_outcome_proportions_per_group_with_wilson_interval():
    rows = [manifest_row(f"u{k}") for k in range(4)]
    rows += [manifest_row(f"c{k}", kind="controversial", guides=("m1", "m2"), targets=("sadness", "anger"))
             for k in range(2)]
    rows += [manifest_row("ctl", kind="control")]
    ratings = {"u0": ["anger", "happiness"] * 5, "u1": ["anger"] * 10, "u2": ["neutral"] * 10,
               "u3": ["anger", "happiness"] * 5, "c0": ["sadness", "anger"] * 5, "c1": ["neutral"] * 10,
               "ctl": ["anger"] * 10}
    table = per_image_table(make_trials(ratings), make_manifest(rows), EMOTIONS, ["m1"], min_ratings=5)
    result = outcome_proportions(table).set_index(["grouping", "group", "outcome"])
    overall = result.loc[("overall", "all", "success")]
    assert (overall["count"], overall["n"]) == (3, 6)
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx(wilson(3, 6))
    uncertainty = result.loc[("guide", "m1", "bias")]
    assert (uncertainty["count"], uncertainty["n"], uncertainty["proportion"]) == (1, 4, 0.25)
    assert (uncertainty["ci_low"], uncertainty["ci_high"]) == pytest.approx(wilson(1, 4))
    assert result.loc[("guide", "m1-m2", "failure"), "count"] == 1
    assert result.loc[("targets", "sadness-anger", "success"), "kind"] == "controversial"
    assert result.loc[("kind", "uncertainty", "failure"), "count"] == 1
    assert set(outcome_proportions(table, by="kind")["grouping"]) == {"kind"}
    with pytest.raises(ValueError, match="unknown groupings"):
        outcome_proportions(table, by="subject")


# ---------------------------------------------------------------- correlation


def test_bootstrap_interval_covers_the_true_correlation():
    rng = np.random.default_rng(11)
    rho = 0.5
    x, y = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=300).T
    pearson = entropy_correlation(x, y, "pearson", n_resamples=999, seed=1)
    assert pearson.ci_low < rho < pearson.ci_high
    assert pearson.r == pytest.approx(scipy.stats.pearsonr(x, y).statistic)
    assert pearson.ci_high - pearson.ci_low < 0.3
    spearman = entropy_correlation(x, y, "spearman", n_resamples=999, seed=1)
    true_spearman = 6 / math.pi * math.asin(rho / 2)  # Spearman's rho of a bivariate normal
    assert spearman.ci_low < true_spearman < spearman.ci_high
    assert spearman.r == pytest.approx(scipy.stats.spearmanr(x, y).statistic)
    assert pearson.p_permutation <= 2 / 1000 and spearman.n == 300


def test_permutation_p_value_is_uniform_under_the_null():
    rng = np.random.default_rng(5)
    p_values = np.array([entropy_correlation(rng.normal(size=20), rng.normal(size=20), "pearson",
                                             n_resamples=199, seed=rng).p_permutation for _ in range(100)])
    low, high = scipy.stats.binom.ppf([0.0005, 0.9995], 100, 0.1)
    assert low <= np.sum(p_values < 0.1) <= high
    assert scipy.stats.kstest(p_values, "uniform").pvalue > 0.01


def test_permutation_test_is_two_sided():
    x = np.linspace(0, 1, 30)
    noise = np.random.default_rng(0).normal(0, 0.1, 30)
    negative = entropy_correlation(x, -x + noise, "spearman", n_resamples=199, seed=0)
    assert negative.r < -0.8 and negative.p_permutation <= 0.01 and negative.ci_high < 0


def test_correlation_table_uses_images_with_enough_ratings():
    rng = np.random.default_rng(2)
    rows, ratings = [], {}
    for k in range(30):
        probs = rng.dirichlet(np.full(4, 0.5 + k / 10))
        rows.append(manifest_row(f"s{k}", probs=probs))
        n = 8 if k < 24 else 2
        ratings[f"s{k}"] = list(rng.choice(EMOTIONS, size=n, p=probs))
    table = per_image_table(make_trials(ratings), make_manifest(rows), EMOTIONS, ["m1"], min_ratings=5)
    result = correlation_table(table, ["m1"], n_resamples=99, seed=0)
    assert list(result["method"]) == ["spearman", "pearson"]
    assert set(result["n"]) == {24}
    enough = table[table["enough_ratings"]]
    expected = scipy.stats.spearmanr(enough["m1_entropy"], enough["human_entropy"]).statistic
    assert result.loc[0, "r"] == pytest.approx(expected)


# ---------------------------------------------------------------- groups


def test_rank_biserial_on_a_hand_example():
    # boundary (2, 3) vs control (1, 2, 4): wins 2>1, 3>1, 3>2, tie 2=2 (½) → U = 3.5 of 6 pairs
    result = compare_entropy([2.0, 3.0], [1.0, 2.0, 4.0], n_resamples=99, seed=0)
    assert result.u_statistic == pytest.approx(3.5)
    assert result.rank_biserial == pytest.approx(1 / 6)
    assert compare_entropy([3.0, 4.0, 5.0], [1.0, 2.0], n_resamples=99, seed=0).rank_biserial == pytest.approx(1.0)
    assert compare_entropy([1.0, 2.0], [3.0, 4.0, 5.0], n_resamples=99, seed=0).rank_biserial == pytest.approx(-1.0)
    assert rank_biserial(0, 4, 5) == -1.0


def test_boundary_above_control_is_detected_and_not_under_the_null():
    rng = np.random.default_rng(3)
    control = rng.normal(1.0, 0.3, 40)
    higher = compare_entropy(rng.normal(1.4, 0.3, 40), control, n_resamples=999, seed=0)
    assert higher.p_greater < 0.001 and higher.p_two_sided < 0.002
    assert higher.ci_low > 0 and higher.rank_biserial > 0.3 and higher.median_difference > 0
    same = compare_entropy(rng.normal(1.0, 0.3, 40), control, n_resamples=999, seed=0)
    assert same.p_two_sided > 0.05 and same.ci_low < 0 < same.ci_high
    assert same.ci_low < same.mean_difference < same.ci_high


def test_entropy_by_kind_summary_and_comparisons():
    rows = [manifest_row(f"u{k}") for k in range(3)] + [manifest_row(f"k{k}", kind="control") for k in range(3)]
    ratings = {"u0": ["anger", "happiness"], "u1": ["anger", "sadness"], "u2": list(EMOTIONS),
               "k0": ["anger", "anger"], "k1": ["sadness", "sadness"], "k2": ["anger", "neutral"]}
    table = per_image_table(make_trials(ratings), make_manifest(rows), EMOTIONS, ["m1"], min_ratings=2)
    result = entropy_by_kind(table, n_resamples=99, seed=0)
    summary = result.summary.set_index("kind")
    assert summary.at["uncertainty", "n"] == 3
    assert summary.at["uncertainty", "mean"] == pytest.approx(4 / 3)
    assert summary.at["control", "median"] == pytest.approx(0.0)
    assert summary.at["control", "sd"] == pytest.approx(np.std([0, 0, 1], ddof=1))
    assert list(result.comparisons["kind"]) == ["uncertainty", "guided"]
    assert result.comparisons.loc[0, "rank_biserial"] == pytest.approx(2 * 8 / 9 - 1)  # U = 2.5 + 2.5 + 3


# ---------------------------------------------------------------- agreement beyond slips


def test_significant_disagreement_beyond_slips():
    rng = np.random.default_rng(4)
    rows, ratings = [], {}
    for k in range(60):
        clear = k < 40
        rows.append(manifest_row(f"s{k}", kind="control" if clear else "uncertainty"))
        slips = rng.random(30) < 0.05
        answer = np.where(slips, rng.choice(EMOTIONS[1:], 30), "anger")
        ratings[f"s{k}"] = list(answer) if clear else list(rng.choice(["anger", "happiness"], 30))
    table = per_image_table(make_trials(ratings), make_manifest(rows), EMOTIONS, ["m1"], min_ratings=10)
    result = significant_disagreement(table, error_rate=0.05, alpha=0.05)
    shares = result.shares.set_index("kind")["share"]
    assert shares["control"] <= 0.1 and shares["uncertainty"] == 1.0
    assert result.n_images == 60 and result.share == pytest.approx(result.n_significant / 60)
    images = result.images.set_index("stimulus_id")
    assert (images["q_value"] >= images["p_value"]).all()
    unanimous = ratings["s0"].count("anger") == 30
    assert not unanimous or images.at["s0", "p_value"] == 1.0


def test_disagreement_count_and_catch_error_rate():
    manifest = make_manifest([manifest_row("a"), manifest_row("b")])
    table = per_image_table(make_trials({"a": ["anger"] * 9 + ["sadness"], "b": ["anger", "happiness"] * 5}),
                            manifest, EMOTIONS, ["m1"])
    images = significant_disagreement(table, error_rate=0.05).images.set_index("stimulus_id")
    assert images.at["a", "n_differing"] == 1 and images.at["b", "n_differing"] == 5
    assert images.at["a", "p_value"] == pytest.approx(1 - 0.95 ** 10)
    assert bool(images.at["b", "significant"]) and not bool(images.at["a", "significant"])
    # Benjamini–Hochberg with two images: the larger p stays, the smaller is doubled
    assert images.at["a", "q_value"] == pytest.approx(images.at["a", "p_value"])
    assert images.at["b", "q_value"] == pytest.approx(2 * images.at["b", "p_value"])
    assert catch_error_rate(["anger", "fear", "anger", "sadness"], ["anger", "fear", "happiness", "sadness"]) == 0.25
    with pytest.raises(ValueError):
        significant_disagreement(table, error_rate=0.0)


# ---------------------------------------------------------------- mixed model


def test_leave_one_out_credit_on_a_hand_example():
    trials = make_trials({"x": ["anger", "anger", "happiness"], "y": ["sadness"], "z": ["sadness", "happiness"]})
    credit = leave_one_out_credit(trials, ("anger", "happiness", "sadness"))
    # x's first rating: the others are one anger and one happiness, a tie: half credit for anger;
    # its third: the others are two angers, so happiness gets nothing; y has no other rating.
    assert credit.iloc[[0, 1, 2, 4, 5]].tolist() == [0.5, 0.5, 0.0, 0.0, 0.0]
    assert np.isnan(credit.iloc[3])


def test_leave_one_out_ties_do_not_depend_on_the_emotion_order():
    """Guards against ties going to the emotion listed first (full credit for it, none for the other)."""
    trials = make_trials({"x": ["anger", "happiness", "anger", "happiness", "sadness"]})
    one = leave_one_out_credit(trials, ("anger", "happiness", "sadness"))
    other = leave_one_out_credit(trials, ("happiness", "anger", "sadness"))
    assert one.tolist() == other.tolist()
    assert one.iloc[4] == 0.0 and one.iloc[0] == 0.0  # others: anger 1, happiness 2, sadness 1


def planted_frame(rng, n_subjects, n_images, per_subject, slope, subject_sd, image_sd=0.0) -> pd.DataFrame:
    entropy = rng.uniform(0.2, 2.0, n_images)
    z = (entropy - entropy.mean()) / entropy.std(ddof=1)
    image_effect = rng.normal(0, image_sd, n_images)
    rows = []
    for s in range(n_subjects):
        intercept = 0.6 + rng.normal(0, subject_sd)
        images = rng.choice(n_images, per_subject, replace=False)
        p = np.clip(intercept + slope * z[images] + image_effect[images], 0.02, 0.98)
        match = (rng.random(per_subject) < p).astype(float)
        rows.append(pd.DataFrame({"subject_id": f"P{s}", "stimulus_id": images.astype(str), "match": match,
                                  "entropy": entropy[images], "entropy_z": z[images]}))
    return pd.concat(rows, ignore_index=True)


def test_mixed_model_recovers_a_planted_slope():
    slope = -0.08
    frame = planted_frame(np.random.default_rng(6), 60, 300, 80, slope, subject_sd=0.08)
    result = fit_mixed_lpm(frame, stimulus_intercepts=False, subject_slopes=False)
    row = result.coefficients.set_index("term").loc["entropy_z"]
    assert abs(row["estimate"] - slope) < 2 * row["se"]
    assert row["ci_low"] < slope < row["ci_high"] and row["p"] < 1e-6
    assert 0.002 < result.subject_variance < 0.015  # planted 0.0064
    assert result.stimulus_variance is None
    assert (result.n_trials, result.n_subjects, result.n_stimuli) == (4800, 60, 300) and result.converged
    derivative_free = fit_mixed_lpm(frame, stimulus_intercepts=False, subject_slopes=False, optimizers=("powell",))
    assert derivative_free.optimizer == "powell"
    assert derivative_free.estimate("entropy_z") == pytest.approx(row["estimate"], abs=1e-4)


def test_mixed_model_with_crossed_image_intercepts():
    slope = -0.08
    frame = planted_frame(np.random.default_rng(8), 25, 60, 30, slope, subject_sd=0.08, image_sd=0.1)
    crossed = fit_mixed_lpm(frame, subject_slopes=False)
    subjects_only = fit_mixed_lpm(frame, stimulus_intercepts=False, subject_slopes=False)
    row = crossed.coefficients.set_index("term").loc["entropy_z"]
    assert row["ci_low"] < slope < row["ci_high"]
    assert crossed.stimulus_variance > 0.002  # planted 0.01
    assert crossed.converged and subjects_only.converged
    assert row["se"] > subjects_only.coefficients.set_index("term").at["entropy_z", "se"]


def test_agreement_model_end_to_end():
    rng = np.random.default_rng(9)
    rows, ratings = [], {}
    for k in range(40):
        spread = k / 39  # 0: everyone says anger, 1: responses spread over all emotions
        probs = (1 - spread) * np.array([1.0, 0, 0, 0]) + spread * np.full(4, 0.25)
        model_probs = 0.9 * probs + 0.025
        rows.append(manifest_row(f"s{k}", kind="control", probs=model_probs))
        ratings[f"s{k}"] = list(rng.choice(EMOTIONS, size=12, p=probs))
    rows.append(manifest_row("lonely", kind="control"))
    ratings["lonely"] = ["anger"]
    trials = make_trials(ratings)
    table = per_image_table(trials, make_manifest(rows), EMOTIONS, ["m1"], min_ratings=1)
    result = fit_agreement_model(trials, table, "m1", stimulus_intercepts=False, subject_slopes=False)
    row = result.coefficients.set_index("term").loc["entropy_z"]
    assert row["estimate"] < 0 and row["p"] < 0.001
    assert result.n_stimuli == 40 and result.n_trials == 480 and result.n_subjects == 12
    assert "entropy_z" in result.summary


# ---------------------------------------------------------------- summary


def test_headline_summary_is_json_serialisable():
    manifest = make_manifest([manifest_row("a"), manifest_row("b"), manifest_row("c", kind="control")])
    table = per_image_table(make_trials({"a": ["anger", "happiness"], "b": ["anger", "anger"]}), manifest,
                            EMOTIONS, ["m1"], min_ratings=1)
    summary = headline_summary(table, outcomes=outcome_proportions(table),
                               agreement=significant_disagreement(table, error_rate=0.05))
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["images"]["n_rated"] == 2
    assert summary["significant_disagreement"]["n_images"] == 2
    assert summary["images"]["images_per_kind"] == {"control": 1, "uncertainty": 2}
