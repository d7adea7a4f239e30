"""Precomputed weights (`precomputed_weights`): checked against the config, copied instead of trained."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import torch

from conftest import snakemake
from helpers import LATENT_TINY_PRIOR, TINY_CONFIG, in_process_config, save_classifier_in, save_prior_in, write_config
from varemotion.config import ConfigError
from varemotion.diffusion import build_prior
from varemotion.emotions import BASIC_EMOTIONS
from varemotion.models.classifier import Classifier, ClassifierConfig
from varemotion.precomputed import PrecomputedWeightsError, import_classifier, import_prior, missing_files

SIZE = TINY_CONFIG["data"]["synthetic"]["image_size"]
#: The tiny study with a latent prior, whose weights these tests write and import.
CONFIG = {**TINY_CONFIG, "prior": LATENT_TINY_PRIOR}
PRIOR_SETTINGS = CONFIG["prior"]["settings"]


def write_weights_folder(root: Path, arch_of: dict | None = None) -> Path:
    """A folder laid out like a run's results, with untrained models shaped as TINY_CONFIG asks."""
    for name, spec in TINY_CONFIG["classifiers"].items():
        config = ClassifierConfig(arch=(arch_of or {}).get(name, spec["arch"]), emotions=list(BASIC_EMOTIONS),
                                  image_size=[SIZE, SIZE], kwargs=spec.get("kwargs", {}))
        directory = root / "models" / name
        save_classifier_in(Classifier(config), directory)
        (directory / "metrics.json").write_text(json.dumps({"test": {"accuracy": 0.5}}))
    save_prior_in(build_prior("latent", (1, SIZE, SIZE), **PRIOR_SETTINGS), root / "prior")
    (root / "prior" / "history.csv").write_text("stage,step,loss\ndenoiser,1,0.5\n")
    return root


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outputs_in(directory: Path, names) -> dict:
    return {name.split(".")[0]: str(directory / name) for name in names}


def test_a_matching_classifier_and_prior_are_copied_byte_for_byte(tmp_path):
    source = write_weights_folder(tmp_path / "weights")
    out = tmp_path / "results"
    spec = TINY_CONFIG["classifiers"]["resnet"]
    import_classifier(source / "models" / "resnet", outputs_in(out / "resnet", ["weights.pt", "config.json", "metrics.json"]),
                      spec["arch"], spec["kwargs"], list(BASIC_EMOTIONS), SIZE)
    import_prior(source / "prior", outputs_in(out / "prior", ["weights.pt", "config.json", "history.csv"]),
                 "latent", PRIOR_SETTINGS, SIZE)
    for copied in [*(out / "resnet").iterdir(), *(out / "prior").iterdir()]:
        original = source / ("prior" if copied.parent.name == "prior" else "models/resnet") / copied.name
        assert digest(copied) == digest(original)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"arch": "resnet18"}, "key 'arch' is 'resnet10t'; expected 'resnet18'"),
        ({"emotions": ["happiness", "sadness"]}, "key 'emotions' is ['neutral'"),
        ({"image_size": 48}, "key 'image_size' is [32, 32]; expected [48, 48]"),
    ],
)
def test_a_classifier_of_another_config_is_named_and_nothing_is_written(tmp_path, change, message):
    source = write_weights_folder(tmp_path / "weights") / "models" / "resnet"
    spec = TINY_CONFIG["classifiers"]["resnet"]
    args = {"arch": spec["arch"], "kwargs": spec["kwargs"], "emotions": list(BASIC_EMOTIONS), "image_size": SIZE, **change}
    out = tmp_path / "results"
    with pytest.raises(PrecomputedWeightsError) as caught:
        import_classifier(source, outputs_in(out, ["weights.pt", "config.json", "metrics.json"]), **args)
    assert str(source / "config.json") in str(caught.value)
    assert message in str(caught.value)
    assert not out.exists()


def test_weights_that_do_not_fit_the_config_or_would_run_code_are_refused(tmp_path):
    source = write_weights_folder(tmp_path / "weights") / "models" / "resnet"
    spec = TINY_CONFIG["classifiers"]["resnet"]
    out = tmp_path / "results"
    outputs = outputs_in(out, ["weights.pt", "config.json", "metrics.json"])
    torch.save({"conv.weight": torch.zeros(3)}, source / "weights.pt")
    with pytest.raises(PrecomputedWeightsError, match="does not fit the classifier of"):
        import_classifier(source, outputs, spec["arch"], spec["kwargs"], list(BASIC_EMOTIONS), SIZE)

    class RunsCode:
        def __reduce__(self):
            return (print, ("this ran",))

    torch.save({"trap": RunsCode()}, source / "weights.pt")
    with pytest.raises(PrecomputedWeightsError, match="weights_only=True"):
        import_classifier(source, outputs, spec["arch"], spec["kwargs"], list(BASIC_EMOTIONS), SIZE)
    assert not out.exists()


def test_a_prior_of_another_kind_or_size_is_named(tmp_path):
    source = write_weights_folder(tmp_path / "weights") / "prior"
    outputs = outputs_in(tmp_path / "results", ["weights.pt", "config.json", "history.csv"])
    with pytest.raises(PrecomputedWeightsError, match="key 'kind' is 'latent'; expected 'pixel'"):
        import_prior(source, outputs, "pixel", {}, SIZE)
    with pytest.raises(PrecomputedWeightsError, match=r"key 'image_shape' is \[1, 32, 32\]; expected images of 48×48"):
        import_prior(source, outputs, "latent", {}, 48)
    with pytest.raises(PrecomputedWeightsError, match=r"key 'settings.block_out_channels' is \[16, 32\]; expected \[32, 64\]"):
        import_prior(source, outputs, "latent", {"block_out_channels": [32, 64]}, SIZE)
    assert not (tmp_path / "results").exists()


def test_an_incomplete_folder_is_named_before_any_job(tmp_path):
    from varemotion.config import check_config, load_schema
    from conftest import REPO

    root = write_weights_folder(tmp_path / "weights")
    (root / "prior" / "history.csv").unlink()
    assert missing_files(root, ["resnet", "cspdarknet"]) == [str(root / "prior" / "history.csv")]
    config = in_process_config(tmp_path, {**CONFIG, "precomputed_weights": str(root)})
    with pytest.raises(ConfigError, match=r"precomputed_weights: .* lacks \[.*prior/history.csv'\]"):
        check_config(config, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))


def test_with_precomputed_weights_nothing_is_trained_and_every_figure_is_rebuilt(tmp_path):
    root = write_weights_folder(tmp_path / "weights")
    config = write_config(tmp_path, {**CONFIG, "precomputed_weights": str(root)})
    result = snakemake("--dry-run", "--cores", "2", "--configfile", str(config), "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr
    jobs = dict(re.findall(r"(?m)^(\w+)\s+(\d+)$", result.stdout))
    assert "train_classifier" not in jobs and "train_prior" not in jobs
    assert "precomputed_classifier" in jobs and "precomputed_prior" in jobs
    for rule in ("sample_uncertainty", "stimulus_set", "study_statistics", "statistics_figure", "xai_figure"):
        assert rule in jobs


@pytest.mark.slow
def test_the_workflow_copies_matching_weights_and_stops_on_another_architecture(tmp_path):
    root = write_weights_folder(tmp_path / "weights")
    config = write_config(tmp_path, {**CONFIG, "precomputed_weights": str(root)})
    targets = ["results/models/resnet/weights.pt", "results/prior/weights.pt"]
    result = snakemake("--cores", "2", "--configfile", str(config), "--directory", str(tmp_path), *targets)
    assert result.returncode == 0, result.stderr
    assert digest(tmp_path / targets[0]) == digest(root / "models" / "resnet" / "weights.pt")
    assert digest(tmp_path / targets[1]) == digest(root / "prior" / "weights.pt")

    other = write_weights_folder(tmp_path / "other", arch_of={"cspdarknet": "resnet10t"})
    config = write_config(tmp_path, {**CONFIG, "precomputed_weights": str(other)})
    result = snakemake("--cores", "2", "--configfile", str(config), "--directory", str(tmp_path), "results/models/cspdarknet/weights.pt")
    assert result.returncode != 0
    log = (tmp_path / "results" / "logs" / "models" / "cspdarknet_precomputed.log").read_text()
    assert "key 'arch' is 'resnet10t'; expected 'cs3darknet_focus_s'" in log
    assert not (tmp_path / "results" / "models" / "cspdarknet").exists() or not any((tmp_path / "results" / "models" / "cspdarknet").iterdir())
