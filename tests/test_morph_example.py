"""The built-in example of a rated face set from outside: morph continua, simulated intensity raters, the workflow."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import snakemake
from helpers import POPULATION, TINY_CONFIG, from_schema, write_config
from varemotion.behavior.design import DesignSettings, design_trials
from varemotion.behavior.intensity_simulation import simulate_intensity_ratings
from varemotion.behavior.simulated_study import simulate_study
from varemotion.behavior.simulation import ObserverPopulation
from varemotion.faces.morphs import TABLE_COLUMNS, render_morphs
from varemotion.manifest import metadata_columns
from varemotion.stimuli import read_manifest

EMOTIONS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear"]

# The tiny study on the morph example: stimuli from the example's folder, intensity ratings by
# simulated raters, statistics with the graded analysis, and the alignment stage.
MORPH_CONFIG = {
    **TINY_CONFIG,
    "stimuli": {"source": "folder", "folder": {"images": "results/examples/morphs/images",
                                               "table": "results/examples/morphs/stimuli.csv"}},
    "examples": {"morphs": {"identities": 2, "image_size": 40}},
    "behavior": {
        **TINY_CONFIG["behavior"], "source": "ratings",
        "design": {"n_participants": 12, "trials_per_participant": 30, "min_ratings_per_stimulus": 5,
                   "catch_every": 0},
        "observers": {"frontend": {"train": {"epochs": 1}}, "swapped_frontend": {"enabled": False}},
        "ratings": {"format": "intensity", "paths": ["results/behavior/simulated_intensity/ratings.csv"]},
    },
    "stats": {**TINY_CONFIG["stats"], "error_rate": 0.05, "graded_by": "intensity"},
    "xai": {"enabled": False},
}
TARGETS = ["results/stats/study/summary.json", "results/alignment/resnet/evaluation/summary.json",
           "results/figures/graded_ambiguity_study.png"]


def test_morph_continua_run_from_neutral_to_each_prototype():
    morphs = render_morphs(EMOTIONS, 3, [0, 25, 50, 75, 100], 40, seed=4)
    table = morphs.table
    assert list(table.columns) == TABLE_COLUMNS and table["stimulus_id"].is_unique
    assert len(table) == 3 * (1 + 6 * 4) and morphs.images.shape == (75, 40, 40)
    neutral = table[table["intensity"] == 0]
    assert neutral["to"].tolist() == ["neutral"] * 3 and neutral["seed"].tolist() == [0, 1, 2]
    assert sorted(set(table["to"])) == sorted(EMOTIONS)
    assert table.groupby("identity")["seed"].nunique().eq(1).all()
    images, start = morphs.images.astype(float), morphs.images[neutral.index[0]].astype(float)
    for emotion in EMOTIONS[1:]:  # each level moves further along the way from the neutral face to the full one
        faces = table.index[(table["seed"] == 0) & (table["to"] == emotion)].tolist()
        way = images[faces[-1]] - start
        assert np.all(np.diff([((images[i] - start) * way).mean() for i in faces]) > 0), emotion
    again = render_morphs(EMOTIONS, 3, [0, 25, 50, 75, 100], 40, seed=4)
    assert np.array_equal(again.images, morphs.images) and again.table.equals(table)


def test_simulated_intensity_raters_are_the_designs_observers_on_a_0_to_k_scale():
    ids = [f"m{i}" for i in range(20)]
    logits = pd.DataFrame(np.zeros((20, 3)), index=ids, columns=["neutral", "happiness", "sadness"])
    logits.iloc[:10, 1] = 6.0  # clearly happy faces
    design = design_trials(ids, DesignSettings(8, 10, 4, catch_every=0, train_fraction=0.8, holdout_stimuli=0.0, seed=0))
    population = from_schema(ObserverPopulation, *POPULATION, bias_sd=0.2, lapse_mean=0.01, confusion_rate=0.0)
    ratings, observers = simulate_intensity_ratings(design, logits, population, seed=3, scale_max=4, noise_sd=0.4)
    pd.testing.assert_frame_equal(observers, simulate_study(design, logits, population, 3).observers)
    assert list(ratings.columns) == ["subject_id", "stimulus_id", "neutral", "happiness", "sadness", "rt_ms"]
    assert len(ratings) == 80 and ratings[["neutral", "happiness", "sadness"]].isin(range(5)).all().all()
    happy = ratings["stimulus_id"].isin(ids[:10])
    assert ratings.loc[happy, "happiness"].mean() > 3.5 and ratings.loc[happy, "sadness"].mean() < 0.5
    assert ratings.loc[~happy, ["neutral", "happiness", "sadness"]].mean().between(0.5, 2.5).all()
    assert (ratings["rt_ms"] > population.rt_t0_ms).all()


def test_a_folder_set_leaves_the_generated_stages_out_of_all(tmp_path):
    config = write_config(tmp_path, MORPH_CONFIG)
    result = snakemake("--dry-run", "--cores", "2", "--configfile", str(config), "--directory", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = result.stdout
    for rule in ("morph_example", "simulate_intensity_ratings", "stimulus_set", "ingest_ratings", "graded_ambiguity",
                 "graded_ambiguity_figure", "alignment_evaluation", "power_analysis"):
        assert f"rule {rule}:" in jobs, rule
    for rule in ("train_prior", "prior_quality", "sample_uncertainty", "sample_control", "realism_report",
                 "uncertainty_grid_figure", "stimuli_vs_real_figure", "manipulation", "simulate_participants"):
        assert f"rule {rule}:" not in jobs, rule
    assert "results/figures/outcomes_study.png" not in jobs


@pytest.mark.slow  # 20 jobs: 108 s on 2 cores shared with other work (load average 4-5), 8 min at load 10
def test_tiny_study_on_the_morph_example_through_statistics_and_alignment(tmp_path):
    config = write_config(tmp_path, MORPH_CONFIG)
    result = snakemake("--cores", "2", "--configfile", str(config), "--directory", str(tmp_path), *TARGETS,
                       timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    results = tmp_path / "results"
    manifest = read_manifest(results / "stimuli" / "manifest.csv")
    assert len(manifest) == 2 * 25 and set(manifest["kind"]) == {"external"}
    assert metadata_columns(manifest.columns) == ["identity", "from", "to", "intensity"]
    ratings = pd.read_csv(results / "behavior" / "simulated_intensity" / "ratings.csv")
    trials = pd.read_csv(results / "behavior" / "trials.csv", keep_default_na=False)
    assert "weight" in trials.columns and len(ratings) == 12 * 30
    assert trials.groupby(["subject_id", "stimulus_id"])["weight"].sum().round(9).eq(1).all()
    per_image = pd.read_csv(results / "stats" / "study" / "per_image.csv")
    # Every rated trial counts once: as emotions, or as 'unclear' when every emotion was rated 0.
    assert per_image["intensity"].notna().all()
    assert (per_image["n_ratings"] + per_image["human_n_unclear"]).sum() == pytest.approx(len(ratings))
    summary = json.loads((results / "stats" / "study" / "summary.json").read_text())
    assert "boundary-versus-control tests are skipped" in summary["notes"][0]
    assert summary["entropy_by_kind"]["comparisons"] == [] and len(summary["correlations"]) == 4
    graded = pd.read_csv(results / "stats" / "study" / "graded.csv")
    assert sorted(set(graded["level"])) == [0, 25, 50, 75, 100]
    assert set(graded["measure"]) == {"human", "resnet", "cspdarknet"}
    evaluation = json.loads((results / "alignment" / "resnet" / "evaluation" / "summary.json").read_text())
    assert evaluation["n_participants"] == 12
    assert not (results / "samples").exists() and not (results / "prior").exists()
