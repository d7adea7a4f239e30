"""config/paper.yaml and config/ferplus_cpu.yaml: valid, and planning the whole chain on FER+."""

from __future__ import annotations

import re

import pytest
import torch
import yaml

from conftest import REPO, snakemake
from helpers import make_ferplus
from varemotion.realism.facemesh import facemesh_available

CONFIGS = {
    "paper": {"train_classifier": 6, "train_prior": 1, "sample_uncertainty": 6, "sample_controversial": 30,
              "sample_control": 1, "simulate_participants": 3, "train_observer_frontend": 2, "observer_faces": 1,
              "study_statistics": 3, "finetune_group": 4, "individual_models": 2,
              "manipulation": 2, "ferplus_vote_finetune": 2, "ferplus_vote_statistics": 1},
    "ferplus_cpu": {"train_classifier": 2, "train_prior": 1, "sample_uncertainty": 2, "sample_controversial": 2,
                    "sample_control": 1, "simulate_participants": 3, "train_observer_frontend": 2, "observer_faces": 1,
                    "study_statistics": 3, "finetune_group": 2, "individual_models": 1,
                    "manipulation": 1, "ferplus_vote_finetune": 1, "ferplus_vote_statistics": 1},
}


def job_counts(stdout: str) -> dict[str, int]:
    """The dry run's job table: rule → number of jobs."""
    table = stdout[stdout.index("Job stats:"):]
    return {rule: int(n) for rule, n in re.findall(r"(?m)^(\w+)\s+(\d+)$", table)}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_reproduction_config_plans_every_stage_on_ferplus(tmp_path, name):
    make_ferplus(tmp_path / "data" / "ferplus")
    result = snakemake("--dry-run", "--cores", "16", "--resources", "gpu=1", "--directory", str(tmp_path),
                       "--configfile", str(REPO / "config" / f"{name}.yaml"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert {rule: counts.get(rule) for rule in CONFIGS[name]} == CONFIGS[name]
    assert counts["ferplus_dataset"] == 1 and "synthetic_dataset" not in counts
    if facemesh_available():  # xai.landmarks: auto, so the explainability stage runs on FaceMesh's landmarks
        xai = {"face_landmarks": 1, "landmarks_figure": 1, "global_maps": 1, "xai_people_data": 1}
        assert {rule: counts.get(rule) for rule in xai} == xai
    # The observers' front-ends learn from faces set aside for them, the guides from the rest.
    frontend = re.findall(r"rule train_observer_frontend:\n(?:.*\n)*?\s+input: ([^\n]+)", result.stdout)
    assert frontend and all("observer/train.npz" in inputs and "guides" not in inputs for inputs in frontend), frontend
    classifier = re.findall(r"rule train_classifier:\n(?:.*\n)*?\s+input: ([^\n]+)", result.stdout)
    assert classifier and all("guides/train.npz" in inputs for inputs in classifier), classifier


def test_the_paper_classifiers_and_prior_build_for_48_pixel_faces():
    from varemotion.diffusion import build_prior
    from varemotion.models.classifier import Classifier, ClassifierConfig

    config = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    emotions = config["data"]["emotions"]
    faces = torch.rand(2, 1, 48, 48)
    for name, spec in config["classifiers"].items():
        classifier = Classifier(ClassifierConfig(arch=spec["arch"], emotions=emotions, kwargs=spec.get("kwargs", {})))
        assert classifier(faces).shape == (2, len(emotions)), name
    prior = build_prior(config["prior"]["kind"], (1, 48, 48), **config["prior"]["settings"])
    with torch.no_grad():
        assert prior.denoise(faces * 2 - 1, torch.tensor([10, 900])).shape == faces.shape


def test_the_paper_config_restores_the_predecessor_settings_over_the_cpu_default():
    # Config files merge over the embedded default, whose sampler, alignment and explainability
    # sizes are chosen for the renderer prior on 2 CPU cores: paper.yaml must reset each of them.
    from varemotion.config import load_schema, workflow_config

    config = workflow_config(REPO, REPO / "config" / "paper.yaml")
    assert {key: config["sampling"][key] for key in
            ("scheduler", "num_inference_steps", "time_travel", "guidance_scale", "guidance_goal", "renoise")} == {
        "scheduler": "ddpm", "num_inference_steps": 50, "time_travel": 5, "guidance_scale": 0.1,
        "guidance_goal": 1.0, "renoise": "sqrt_beta"}
    schema = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    alignment = schema["properties"]["alignment"]["properties"]
    for stage in ("group", "manipulation"):
        defaults = {key: spec["default"] for key, spec in alignment[stage]["properties"].items()}
        assert config["alignment"][stage] == defaults, stage
    xai = schema["properties"]["xai"]["properties"]
    assert config["xai"]["n_per_emotion"] == xai["n_per_emotion"]["default"]
    assert config["xai"]["people"]["n_per_emotion"] == xai["people"]["properties"]["n_per_emotion"]["default"]
