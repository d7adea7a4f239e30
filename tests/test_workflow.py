"""The Snakemake workflow: lint, dry runs, and end-to-end runs of a tiny config and of FER+ data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import snakemake
from helpers import (
    FERPLUS_ROWS,
    TINY_CONFIG,
    ferplus_data_job,
    make_ferplus,
    statistics_outputs,
    tree_hashes,
    write_config,
)
from varemotion.data import load_split
from varemotion.xai.methods import METHODS

FIGURES = [
    "synthetic_faces", "dataset_synthetic", "confusion_resnet", "confusion_cspdarknet", "prior_samples",
    "pairs_uncertainty_resnet", "pairs_uncertainty_cspdarknet",
    "pairs_controversial_resnet-cspdarknet", "pairs_controversial_cspdarknet-resnet", "power",
    *[f"{name}_{analysis}" for name in ("entropy_scatter", "boundary_control", "outcomes") for analysis in ("study", "null")],
    *[f"{name}_resnet" for name in ("alignment_accuracy", "alignment_participants", "alignment_bias", "manipulation")],
    "xai_iou", "xai_attention", "xai_similarity", "xai_2afc", "stimuli_vs_real",
    *[f"xai_{name}_{method}" for name in ("global_maps", "dendrograms") for method in ("cam", "gradcam", "extremal", "lime")],
]


def test_lint_passes():
    result = snakemake("--lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_dry_run_of_the_default(tmp_path):
    result = snakemake("--dry-run", "--cores", "2", "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "train_classifier" in result.stdout and "synthetic_dataset" in result.stdout


def test_every_figure_is_a_target_of_its_own(tmp_path):
    targets = [f"results/figures/{figure}.pdf" for figure in FIGURES]
    result = snakemake("--dry-run", "--cores", "1", "--directory", str(tmp_path), *targets)
    assert result.returncode == 0, result.stdout + result.stderr
    for target in targets:
        assert f"output: {target.replace('.pdf', '.png')}, {target}" in result.stdout


def test_tiny_end_to_end_run(tmp_path):
    config = write_config(tmp_path, TINY_CONFIG)
    result = snakemake("--cores", "2", "--configfile", str(config), "--directory", str(tmp_path), timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    results = tmp_path / "results"
    for figure in FIGURES:
        for ext in ("png", "pdf"):
            assert (results / "figures" / f"{figure}.{ext}").stat().st_size > 1000
    test = load_split(results / "data" / "synthetic" / "test.npz")
    assert test.n == 70 and test.images.shape[1:] == (32, 32)
    assert test.extras["au_masks"].shape[:2] == (70, len(test.extras["au_names"]))
    for name in TINY_CONFIG["classifiers"]:
        metrics = json.loads((results / "models" / name / "metrics.json").read_text())
        assert 0 <= metrics["test"]["accuracy"] <= 1
        assert np.asarray(metrics["test"]["confusion_matrix"]).sum() == 70
        assert (results / "models" / name / "weights.pt").exists()
        assert (results / "logs" / "models" / f"{name}.log").stat().st_size > 0
    quality = json.loads((results / "prior" / "quality.json").read_text())
    assert quality["n_samples"] == 20 and 0 <= quality["two_sample_accuracy"] <= 1
    assert not list((results / "checkpoints").rglob("*.pt"))  # removed once the outputs exist
    check_stimulus_set(results / "stimuli", TINY_CONFIG)
    check_realism(results / "realism", results / "stimuli")
    check_behavior(results / "behavior", TINY_CONFIG)
    check_statistics(results / "stats")
    check_alignment(results / "alignment" / "resnet")
    check_xai(results / "xai", test)
    report = tmp_path / "report.html"
    result = snakemake("--configfile", str(config), "--directory", str(tmp_path), "--report", str(report))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(WARNING/" not in result.stderr + result.stdout  # docutils complains of no caption or link
    html = report.read_text()
    for figure in FIGURES:
        assert f"{figure}.png" in html
    assert "manifest.csv" in html

    # A figure rebuilds alone: forcing it reruns that one job and nothing upstream.
    upstream = [results / "models" / "resnet" / "weights.pt", results / "stats" / "study" / "per_image.csv"]
    before = [path.stat().st_mtime_ns for path in upstream]
    result = snakemake("--cores", "1", "--configfile", str(config), "--directory", str(tmp_path),
                       "--force", "results/figures/entropy_scatter_study.png")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "1 of 1 steps (100%) done" in result.stderr
    assert [path.stat().st_mtime_ns for path in upstream] == before

    # Last, as they change the trial table's source and build the experiment.
    check_ratings_source(tmp_path, results / "behavior")
    if shutil.which("npm"):
        result = snakemake("--cores", "1", "--configfile", str(config), "--directory", str(tmp_path), "experiment")
        assert result.returncode == 0, result.stderr[-2000:]
        pages = results / "experiment" / "jspsych"
        assert (pages / "index.html").exists() and (pages / "lib" / "jspsych.js").exists()
        assert len(list((results / "experiment" / "psychopy").glob("P*.csv"))) == TINY_CONFIG["behavior"]["design"]["n_participants"]


def check_stimulus_set(stimuli: Path, config: dict) -> None:
    """The stimulus set's files agree with each other and with the configured sample sets."""
    from varemotion.stimuli import read_manifest

    manifest = read_manifest(stimuli / "manifest.csv")
    acceptance = pd.read_csv(stimuli / "acceptance.csv", keep_default_na=False)
    names = list(config["classifiers"])
    pairs = 7 * 6 * config["sampling"]["n_per_pair"]
    expected_sets = len(names) + len(names) * (len(names) - 1) + 1
    assert len(acceptance) == expected_sets and (acceptance["n_sampled"] == pairs).all()
    assert acceptance["n_accepted"].sum() == len(manifest)
    assert (manifest["kind"] == "control").sum() == pairs
    with np.load(stimuli / "images.npz") as data:
        assert data["stimulus_ids"].tolist() == manifest["stimulus_id"].tolist()
        assert data["images"].dtype == np.uint8 and len(data["images"]) == len(manifest)
    assert sorted(p.stem for p in (stimuli / "png").glob("*.png")) == sorted(manifest["stimulus_id"])
    for name in names:
        probs = manifest[[f"{name}_p_{e}" for e in load_split(stimuli.parent / "data" / "synthetic" / "val.npz").emotions]]
        assert np.allclose(probs.sum(axis=1), 1, atol=1e-4)


def check_realism(realism: Path, stimuli: Path) -> None:
    """Every sample set, the real faces and each kind of kept stimuli have a realism row and scores."""
    from varemotion.stimuli import read_manifest

    report = pd.read_csv(realism / "report.csv").set_index("set")
    manifest = read_manifest(stimuli / "manifest.csv")
    assert {"real_heldout", "unguided", "control"} | {f"kept_{k}" for k in manifest["kind"].unique()} <= set(report.index)
    assert report.loc["real_heldout", "realistic_fraction"] >= 0.8  # the threshold is a quantile of the other half
    assert 0 <= report.loc["kept_control", "c2st_accuracy"] <= 1
    assert manifest["realism_residual"].notna().all()
    acceptance = pd.read_csv(stimuli / "acceptance.csv", keep_default_na=False)
    assert (acceptance["n_rejected_realism"] == 0).all()  # scored, but the tiny study's filter is off
    threshold = json.loads((realism / "threshold.json").read_text())
    assert threshold["measure"] == "renderer" and threshold["max_residual"] > 0


def check_behavior(behavior: Path, config: dict) -> None:
    """Design, catch faces, simulated and null participants agree with the config and each other."""
    from varemotion.behavior import read_trial_table

    settings = config["behavior"]["design"]
    manifest = pd.read_csv(behavior.parent / "stimuli" / "manifest.csv", keep_default_na=False)
    catch = pd.read_csv(behavior / "catch" / "catch.csv", keep_default_na=False)
    assert len(catch) == 7 * config["behavior"]["catch"]["per_emotion"]
    design = pd.read_csv(behavior / "design.csv", keep_default_na=False)
    n_catch = settings["trials_per_participant"] // settings["catch_every"]
    assert len(design) == settings["n_participants"] * (settings["trials_per_participant"] + n_catch)
    assert set(design.loc[design["is_catch"], "stimulus_id"]) <= set(catch["catch_id"])
    emotions = load_split(behavior.parent / "data" / "synthetic" / "test.npz").emotions
    tables = {}
    for variant in ("simulated", "simulated_null"):
        tables[variant] = read_trial_table(behavior / variant / "trials.csv", emotions, manifest["stimulus_id"])
        observers = pd.read_csv(behavior / variant / "observers.csv", keep_default_na=False)
        assert sorted(observers["subject_id"]) == sorted(design["subject_id"].unique())
        assert len(pd.read_csv(behavior / variant / "catch.csv")) == settings["n_participants"] * n_catch
    expected = design.loc[~design["is_catch"], ["subject_id", "stimulus_id"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(tables["simulated"][["subject_id", "stimulus_id"]], expected)
    assert not tables["simulated"]["response"].equals(tables["simulated_null"]["response"])
    trials = read_trial_table(behavior / "trials.csv", emotions, manifest["stimulus_id"])
    pd.testing.assert_frame_equal(trials, tables["simulated"])


def check_statistics(stats: Path) -> None:
    """Every table of the three analyses exists, the summary counts every stimulus, the front-ends are compared."""
    for analysis in ("study", "null", "swapped"):
        for path in statistics_outputs(stats / analysis).values():
            assert path.stat().st_size > 0
        summary = json.loads((stats / analysis / "summary.json").read_text())
        per_image = pd.read_csv(stats / analysis / "per_image.csv")
        assert summary["images"]["n_images"] == len(per_image) > 0
        assert {"resnet", "cspdarknet"} == set(pd.read_csv(stats / analysis / "correlations.csv")["classifier"])
        assert summary["slip_rate"]["source"] == "catch" and summary["min_ratings"] == TINY_CONFIG["stats"]["min_ratings"]
    comparison = pd.read_csv(stats / "frontend_comparison.csv")
    assert set(comparison["analysis"]) == {"study", "swapped"}


def check_alignment(alignment: Path) -> None:
    """Both group models, an individual model per participant, the evaluation and the manipulation test."""
    from varemotion.alignment.evaluation import ACCURACY_COLUMNS

    for model in ("group", "group_soft"):
        history = json.loads((alignment / model / "history.json").read_text())
        assert len(history["history"]) == 2 and (alignment / model / "weights.pt").exists()
    individual = json.loads((alignment / "individual" / "history.json").read_text())
    assert len(individual["subjects"]) == TINY_CONFIG["behavior"]["design"]["n_participants"]
    accuracy = pd.read_csv(alignment / "evaluation" / "accuracy.csv")
    assert list(accuracy.columns) == ACCURACY_COLUMNS and accuracy["accuracy"].dropna().between(0, 1).all()
    assert "holdout_stimuli" in set(accuracy["evaluation"])
    holdout = set(pd.read_csv(alignment.parents[1] / "behavior" / "holdout.csv")["stimulus_id"])
    trials = pd.read_csv(alignment.parents[1] / "behavior" / "trials.csv", keep_default_na=False)
    assert holdout and (trials.loc[trials["stimulus_id"].isin(holdout), "is_train"].astype(str).str.lower() == "false").all()
    assert set(pd.read_csv(alignment / "evaluation" / "correlations.csv")["images"]) == {"holdout_stimuli", "all_rated"}
    assert (alignment / "evaluation" / "rho_change.csv").exists() and (alignment / "manipulation" / "pairs.csv").exists()
    assert set(accuracy["model"]) == {"base", "group", "group_soft", "individual"}
    summary = json.loads((alignment / "evaluation" / "summary.json").read_text())
    assert summary["tests"]["individual_vs_group"]["n"] == len(individual["subjects"])
    bias = pd.read_csv(alignment / "evaluation" / "bias_recovery.csv")
    assert summary["bias_recovery"]["n"] == len(bias) == len(individual["subjects"]) * bias["emotion"].nunique()
    outcomes = pd.read_csv(alignment / "manipulation" / "outcomes.csv")
    assert set(outcomes["condition"]) <= {"manipulated", "control"}
    assert (outcomes["condition"] == "manipulated").sum() == (outcomes["condition"] == "control").sum()


def check_xai(xai: Path, test) -> None:
    """Maps of every classifier and method, global maps scored against the regions, people vs models."""
    from varemotion.xai.global_maps import load_global_maps

    methods = list(METHODS)  # the default: every method
    for name in TINY_CONFIG["classifiers"]:
        with np.load(xai / "maps" / name / "global.npz") as data:
            assert 0 < len(data["ids"]) <= 7 * TINY_CONFIG["xai"]["n_per_emotion"]
            for method in methods:
                maps = data[f"maps_{method}"]
                assert maps.shape == (len(data["ids"]), 32, 32) and maps.min() >= 0 and maps.max() <= 1
    scores = pd.read_csv(xai / "global" / "scores.csv")
    assert set(scores["method"]) == set(methods) and set(scores["classifier"]) == set(TINY_CONFIG["classifiers"])
    assert "neutral" not in set(scores["emotion"]) and scores["iou"].between(0, 1).all()
    maps, counts = load_global_maps(xai / "global" / "maps.npz")
    assert len(maps) >= len(scores)
    summary = json.loads((xai / "global" / "summary.json").read_text())
    assert {row["method"] for row in summary["per_method"]} == set(methods)
    with np.load(xai / "people" / "images.npz") as faces:
        assert len(faces["ids"]) == 7 and set(faces["ids"]) <= set(test.ids)
    clicks = pd.read_csv(xai / "people" / "clicks.csv")
    assert clicks["subject_id"].nunique() == 4 and len(clicks) == 4 * 7 * 3
    similarity = pd.read_csv(xai / "people" / "similarity.csv")
    assert len(similarity) == 7 * len(methods) * len(TINY_CONFIG["classifiers"])
    accuracy = pd.read_csv(xai / "people" / "twoafc_accuracy.csv")
    assert set(accuracy["who"]) == {"people", *TINY_CONFIG["classifiers"]} and (accuracy["n"] == 4 * 7).all()
    assert set(accuracy["rule"]) == {"observed", "sample", "argmax"} and (accuracy["n_stimuli"] == 7).all()


def check_ratings_source(work: Path, behavior: Path) -> None:
    """With behavior.source: ratings, the trial table is the user's file; a bad file stops with its place."""
    simulated = pd.read_csv(behavior / "simulated" / "trials.csv", keep_default_na=False)
    ratings = simulated.rename(columns={"subject_id": "participant", "response": "answer"})[:40]
    ratings.to_csv(work / "ratings.csv", index=False)
    before = (work / "ratings.csv").read_bytes()
    column_map = {"subject_id": "participant", "response": "answer", "rt_ms": "rt_ms", "is_train": "is_train"}
    config = write_config(work, {**TINY_CONFIG, "stats": {**TINY_CONFIG["stats"], "error_rate": 0.05},
                                 "behavior": {**TINY_CONFIG["behavior"], "source": "ratings", "ratings": {
                                     "paths": [str(work / "ratings.csv")], "format": "table", "column_map": column_map}}})
    result = snakemake("--cores", "1", "--configfile", str(config), "--directory", str(work),
                       "results/behavior/trials.csv")
    assert result.returncode == 0, result.stderr[-2000:]
    trials = pd.read_csv(behavior / "trials.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(trials, simulated[:40].reset_index(drop=True))
    assert (work / "ratings.csv").read_bytes() == before
    participants = pd.read_csv(behavior / "ratings" / "participants.csv")
    assert set(participants["subject_id"]) == set(ratings["participant"]) and not participants["excluded"].any()

    ratings.loc[7, "stimulus_id"] = "no-such-face"
    ratings.to_csv(work / "ratings.csv", index=False)
    result = snakemake("--cores", "1", "--configfile", str(config), "--directory", str(work),
                       "results/behavior/trials.csv")
    assert result.returncode != 0
    log = (behavior.parent / "logs" / "behavior" / "ingest_ratings.log").read_text()
    assert "ratings.csv, line 9, column 'stimulus_id': value 'no-such-face'" in log
    assert not (behavior / "ratings" / "trials.csv").exists()
    write_config(work, TINY_CONFIG)


@pytest.mark.slow
def test_ferplus_source_end_to_end_and_bad_votes_write_nothing(tmp_path):
    good = make_ferplus(tmp_path / "good")
    config = write_config(tmp_path, {"data": {"source": "ferplus", "ferplus": {"root": str(good)}}, "figures": {"dpi": 50}})
    result = snakemake("--cores", "1", "--configfile", str(config), "--directory", str(tmp_path),
                       "results/figures/dataset_ferplus.png")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    train = load_split(tmp_path / "results" / "data" / "ferplus" / "train.npz")
    assert sorted(train.ids) == ["fer0000000.png", "fer0000001.png", "fer0000007.png"]
    result = snakemake("--dry-run", "--cores", "1", "--configfile", str(config), "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rule ferplus_vote_statistics" in result.stdout

    bad = make_ferplus(tmp_path / "bad", rows=[*FERPLUS_ROWS[:3], FERPLUS_ROWS[3].replace(",6,", ",six,"), *FERPLUS_ROWS[4:]])
    before = tree_hashes(bad)
    work = tmp_path / "bad_run"
    result, log = ferplus_data_job(bad, work)
    assert result.returncode != 0
    assert "fer2013new.csv, line 5, column 'surprise': value 'six'" in log
    assert not list((work / "results").rglob("*.npz"))
    assert tree_hashes(bad) == before
