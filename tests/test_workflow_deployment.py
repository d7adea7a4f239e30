"""Running the workflow elsewhere: conda environments, the Slurm profile and the between-workflow output cache."""

from __future__ import annotations

import pytest
import yaml

from conftest import REPO, snakemake
from helpers import TINY_CONFIG, write_config


def test_every_conda_directive_names_an_existing_environment():
    rules = "\n".join(path.read_text() for path in (REPO / "workflow" / "rules").glob("*.smk"))
    names = {line.split('"')[1] for line in rules.splitlines() if line.strip().startswith('"../../envs/')}
    assert names, "no conda: directives found"
    for name in names:
        env = yaml.safe_load((REPO / "workflow" / "rules" / name).resolve().read_text())
        assert "dependencies" in env


@pytest.mark.slow
def test_trained_prior_is_reused_from_the_between_workflow_cache(tmp_path):
    tiny = {**TINY_CONFIG, "data": {"synthetic": {"n_train": 70, "n_val": 14, "n_test": 14, "image_size": 32}}}
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(tmp_path / "cache")}
    (tmp_path / "cache").mkdir()
    output = {}
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        config = write_config(tmp_path / run, tiny)
        result = snakemake("results/prior/weights.pt", "--cores", "2", "--configfile", str(config),
                           "--directory", str(tmp_path / run), "--cache", "train_prior", env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        output[run] = result.stdout + result.stderr
    assert "train_classifier" not in output["first"]
    stored = "Moving output file results/prior/weights.pt to cache"
    assert stored in output["first"] and stored not in output["second"]
    assert "Symlinking output file results/prior/weights.pt from cache" in output["second"]
    assert (tmp_path / "first" / "results" / "logs" / "prior" / "train.log").stat().st_size > 0
    assert (tmp_path / "second" / "results" / "logs" / "prior" / "train.log").stat().st_size == 0  # not retrained
    first, second = (tmp_path / run / "results" / "prior" / "weights.pt" for run in ("first", "second"))
    assert first.read_bytes() == second.read_bytes()


def test_slurm_profile_names_only_rules_of_the_workflow():
    import re

    rules = {m for f in (REPO / "workflow" / "rules").glob("*.smk") for m in re.findall(r"^rule (\w+):", f.read_text(), re.M)}
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    named = set(profile["set-resources"]) | set(profile["set-threads"])
    assert named <= rules, named - rules
    assert {"train_classifier", "train_prior", "sample_uncertainty", "sample_controversial"} <= set(profile["set-resources"])


def test_dry_run_with_the_slurm_profile_sends_gpu_rules_to_the_gpu_partition(tmp_path):
    import re

    pytest.importorskip("snakemake_executor_plugin_slurm")
    profile = REPO / "profiles" / "slurm"
    config = write_config(tmp_path, TINY_CONFIG)
    result = snakemake("--profile", str(profile), "--dry-run", "--configfile", str(config), "--directory", str(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    resources = {}
    for rule, line in re.findall(r"(?m)^(?:local)?rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", result.stdout):
        resources[rule] = dict(item.split("=", 1) for item in line.split(", "))
    settings = yaml.safe_load((profile / "config.yaml").read_text())["set-resources"]
    for rule in ("train_classifier", "train_prior", "sample_uncertainty", "sample_controversial", "saliency_maps"):
        assert resources[rule]["slurm_partition"] == "gpu" and resources[rule]["gpu"] == "1", rule
        assert resources[rule]["runtime"] == str(settings[rule]["runtime"]), rule
    assert resources["stimulus_set"]["slurm_partition"] == "cpu"
    assert not (tmp_path / "results").exists()
