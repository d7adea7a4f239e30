"""The workflow's config: the schema, the checks of settings the workflow cannot use, and the defaults."""

from __future__ import annotations

import pytest
import yaml

from conftest import REPO, snakemake
from helpers import in_process_config, schema_defaults, write_config


SCHEMA_ERRORS = [
    ({"train": {"epochs": "many"}}, "'many' is not of type 'integer'"),
    ({"data": {"source": "mnist"}}, "'mnist' is not one of"),
    ({"classifiers": {"vit": {"kwargs": {}}}}, "'arch' is a required property"),
    ({"classifiers": {"my_net": {"arch": "resnet10t"}}}, "does not match"),
    ({"trian": {"epochs": 2}}, "Additional properties are not allowed ('trian'"),
]
UNUSABLE_CONFIGS = [
    ({"classifiers": {"net": {"arch": "resnet_does_not_exist"}}}, "classifiers.net.arch: 'resnet_does_not_exist' is not a timm architecture"),
    ({"alignment": {"classifiers": ["vgg"]}}, "alignment.classifiers: ['vgg'] are not configured classifiers"),
    ({"data": {"emotions": ["happiness", "contempt"]}}, "data.emotions: ['contempt'] cannot be drawn by the synthetic face renderer"),
    ({"data": {"source": "ferplus"}}, "data.ferplus.root is not set"),
    ({"data": {"source": "fer2013_csv", "fer2013_csv": {"path": "/nowhere/fer2013.csv"}}}, "data.fer2013_csv.path: '/nowhere/fer2013.csv' does not exist"),
    ({"classifiers": {"net": {"arch": "resnet10t", "train": {"lr": -1}}}}, "classifiers.net.train.lr"),
    ({"behavior": {"source": "ratings"}}, "behavior.ratings.paths is empty"),
    ({"behavior": {"source": "ratings", "ratings": {"paths": ["/nowhere/ratings.csv"]}}}, "behavior.ratings.paths: '/nowhere/ratings.csv' does not exist"),
    ({"xai": {"classifiers": ["vgg"]}}, "xai.classifiers: ['vgg'] are not configured classifiers"),
    ({"xai": {"people": {"source": "data"}}}, "xai.people.clicks is not set"),
    ({"xai": {"landmarks": "/nowhere/landmarks.csv"}}, "xai.landmarks: '/nowhere/landmarks.csv' does not exist"),
    ({"data": {"imagefolder": {"group_pattern": "^(S\\d+_"}}}, "data.imagefolder.group_pattern: '^(S\\\\d+_' is not a regular expression"),
    ({"data": {"imagefolder": {"group_pattern": "^S\\d+_"}}}, "has no group"),
    ({"cross_dataset": {"sources": ["synthetic"]}}, "cross_dataset.sources: 'synthetic' is data.source"),
    ({"cross_dataset": {"sources": ["imagefolder"]}}, "data.imagefolder.root is not set; cross_dataset.sources lists 'imagefolder'"),
    ({"behavior": {"observers": {"frontend": {"arch": "nonet"}}}}, "behavior.observers.frontend.arch: 'nonet' is not a timm architecture"),
    ({"behavior": {"observers": {"population": {"confusion_strength_min": 0.9, "confusion_strength_max": 0.2}}}}, "behavior.observers.population: ObserverPopulation: out of range: confusion_strength_min"),
    # A front-end of a guide's family shares its decision boundaries by construction.
    ({"behavior": {"observers": {"frontend": {"arch": "resnet18"}}}}, "behavior.observers.frontend.arch: 'resnet18' is of the 'resnet' family, like the guide classifiers.resnet ('resnet10t')"),
    ({"behavior": {"observers": {"swapped_frontend": {"arch": "cs3darknet_focus_m"}}}}, "behavior.observers.swapped_frontend.arch: 'cs3darknet_focus_m' is of the 'cspnet' family"),
    ({"behavior": {"observers": {"frontend": {"arch": "regnety_002"}, "swapped_frontend": {"arch": "regnetx_004"}}}}, "like behavior.observers.frontend ('regnety_002')"),
    ({"behavior": {"source": "ratings", "ratings": {"paths": [str(REPO / "config" / "config.yaml")]}}}, "stats.error_rate is null"),
    ({"xai": {"methods": ["cam", "smoothgrad"]}}, "xai.methods: unknown saliency method(s) ['smoothgrad']; expected some of cam, gradcam"),
]
#: A classifier named like another input of a rule that reads every classifier's weights by name.
CLASHING_NAME = ({"classifiers": {"test": {"arch": "resnet10t"}, "net": {"arch": "cs3darknet_focus_s"}}},
                 "classifiers ['test'] are named like other inputs of the rule that reads them")


@pytest.mark.parametrize(("config", "message"), SCHEMA_ERRORS)
def test_bad_config_is_rejected_by_the_schema(tmp_path, config, message):
    from snakemake.exceptions import WorkflowError

    with pytest.raises(WorkflowError) as caught:
        in_process_config(tmp_path, config)
    assert message in str(caught.value)


@pytest.mark.parametrize(("config", "message"), UNUSABLE_CONFIGS)
def test_config_the_workflow_cannot_use_is_named(tmp_path, config, message):
    from varemotion.config import ConfigError, check_config, load_schema

    config = in_process_config(tmp_path, config)
    with pytest.raises(ConfigError) as caught:
        check_config(config, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    assert message in str(caught.value)


def test_a_front_end_of_a_guides_family_needs_the_explicit_override(tmp_path):
    from varemotion.config import check_config, load_schema

    config = in_process_config(tmp_path, {"behavior": {"observers": {"frontend": {"arch": "resnet18"},
                                                                      "allow_guide_family": True}}})
    check_config(config, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))


@pytest.mark.parametrize("format", ["jspsych", "sqlite", "jatos"])
def test_ratings_with_catch_trials_need_no_configured_slip_rate(tmp_path, format):
    from varemotion.behavior.records import RECORD_FORMATS
    from varemotion.config import CATCH_FORMATS, check_config, load_schema

    assert set(CATCH_FORMATS) == set(RECORD_FORMATS)
    ratings = {"format": format, "paths": [str(REPO / "config" / "config.yaml")]}
    config = in_process_config(tmp_path, {"behavior": {"source": "ratings", "ratings": ratings}})
    check_config(config, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))


@pytest.mark.parametrize(("config", "message"), [SCHEMA_ERRORS[0], UNUSABLE_CONFIGS[0], UNUSABLE_CONFIGS[13], CLASHING_NAME])
def test_bad_config_stops_the_workflow_before_any_job(tmp_path, config, message):
    result = snakemake("--dry-run", "--configfile", str(write_config(tmp_path, config)), "--directory", str(tmp_path))
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_default_config_matches_schema_defaults_where_it_is_silent():
    """The embedded config and the schema must not drift apart on the keys the config omits."""
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"), set_default=True)
    assert config["data"]["source"] == "synthetic"
    assert config["train"]["labels"] == "hard"
    assert config["data"]["synthetic"]["n_train"] >= 1000


def test_schema_defaults_of_the_synthetic_faces_are_the_renderer_defaults():
    from varemotion import faces

    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    synthetic = schema["properties"]["data"]["properties"]["synthetic"]["properties"]
    assert tuple(synthetic["intensity"]["default"]) == faces.DEFAULT_INTENSITY
    assert synthetic["dropout"]["default"] == faces.DEFAULT_DROPOUT
    assert synthetic["jitter"]["default"] == faces.DEFAULT_JITTER
    assert synthetic["noise_std"]["default"] == faces.DEFAULT_NOISE_STD


SETTINGS_SECTIONS = [
    ("varemotion.models.training", "TrainConfig", ("train",)),
    ("varemotion.diffusion.training", "PriorTrainConfig", ("prior", "train")),
    ("varemotion.alignment.training", "FinetuneSettings", ("alignment", "individual")),
    ("varemotion.stats.study", "StatsSettings", ("stats",)),
    ("varemotion.behavior.design", "DesignSettings", ("behavior", "design")),
    ("varemotion.stats.power", "PowerSettings", ("behavior", "power")),
    ("varemotion.behavior.simulation", "ObserverPopulation", ("behavior", "observers", "population")),
    ("varemotion.landmarks.detect", "DetectorSettings", ("landmarks",)),
]


@pytest.mark.parametrize(("module", "name", "keys"), SETTINGS_SECTIONS)
def test_the_schema_alone_gives_the_defaults_of_a_config_section(module, name, keys):
    import dataclasses
    import importlib

    section = schema_defaults(*keys)
    fields = dataclasses.fields(getattr(importlib.import_module(module), name))
    assert {field.name for field in fields} & set(section)
    with_default = [field.name for field in fields if field.name in section and (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING)]
    assert with_default == []
