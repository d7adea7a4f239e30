"""Checks of the workflow config that a JSON Schema cannot express, and derived settings."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import yaml

from varemotion.emotions import BASIC_EMOTIONS

#: The config key that names each real source's location on disk.
SOURCE_LOCATIONS = {"ferplus": "root", "fer2013_csv": "path", "imagefolder": "root"}
#: Rating formats that record catch trials (those of :data:`varemotion.behavior.records.RECORD_FORMATS`).
CATCH_FORMATS = ("jspsych", "sqlite", "jatos")


#: Where the workflow writes the built-in morph example (a folder of images and its stimulus table)
#: and the simulated intensity raters' file: a config may name them before they exist.
MORPH_EXAMPLE = {"images": "results/examples/morphs/images", "table": "results/examples/morphs/stimuli.csv"}
SIMULATED_INTENSITY = "results/behavior/simulated_intensity/ratings.csv"
BUILT_INPUTS = frozenset(Path(p) for p in [*MORPH_EXAMPLE.values(), SIMULATED_INTENSITY])


def _exists_or_built(path: str, folder: bool = False) -> bool:
    """Whether a configured input exists, or is one the workflow builds itself (:data:`BUILT_INPUTS`)."""
    if Path(path) in BUILT_INPUTS:
        return True
    return Path(path).is_dir() if folder else Path(path).is_file()


class ConfigError(ValueError):
    """A config value that is valid JSON but wrong for the workflow."""


def _train_settings(config: dict, overrides: dict, schema: dict, where: str) -> dict:
    settings = {**config["train"], **overrides}
    train_schema = schema["properties"]["train"]
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(train_schema).iter_errors(settings))
    if error is not None:
        key = ".".join(str(p) for p in error.absolute_path)
        raise ConfigError(f"{where}.{key}: {error.message}")
    return settings


def classifier_train_settings(config: dict, name: str, schema: dict) -> dict:
    """The shared `train` settings with the classifier's own overrides, validated."""
    return _train_settings(config, config["classifiers"][name].get("train", {}), schema, f"classifiers.{name}.train")


#: The observers' front-ends: the one the simulated participants use, and the swapped one of the control analysis.
FRONTENDS = {"frontend": "frontend", "frontend_swapped": "swapped_frontend"}


def frontend_train_settings(config: dict, schema: dict, key: str = "frontend") -> dict:
    """The shared `train` settings with one observer front-end's overrides (``behavior.observers.<key>``), validated."""
    frontend = config["behavior"]["observers"][key]
    return _train_settings(config, frontend["train"], schema, f"behavior.observers.{key}.train")


def arch_family(arch: str) -> str:
    """The family of a timm architecture: the timm module that defines it (resnet10t and resnet18: 'resnet')."""
    import timm

    for module in timm.list_modules():
        if timm.models.is_model_in_modules(arch, [module]):
            return module
    return arch


def _check_frontend_family(config: dict, key: str, taken: dict[str, str]) -> str:
    """Raise ConfigError when the front-end's family is one of ``taken`` (family → whose); return its family."""
    arch = config["behavior"]["observers"][key]["arch"]
    family = arch_family(arch)
    if family in taken:
        raise ConfigError(
            f"behavior.observers.{key}.arch: {arch!r} is of the {family!r} family, like {taken[family]}: "
            "simulated people would share its decision boundaries by construction. Choose an architecture of "
            f"another family than {sorted(set(taken))}, or set behavior.observers.allow_guide_family: true")
    return family


def settle_prior_kind(config: dict) -> None:
    """Settle `prior.kind: auto` in place: the renderer prior on synthetic faces, the latent prior elsewhere."""
    if config["prior"]["kind"] == "auto":
        config["prior"]["kind"] = "renderer" if config["data"]["source"] == "synthetic" else "latent"


def check_config(config: dict, schema: dict) -> None:
    """Raise ConfigError for the first value that the schema accepts but the workflow cannot use."""
    import timm  # imported here: it pulls in torch, which the schema check alone does not need

    data = config["data"]
    source = data["source"]
    if source == "synthetic":
        unknown = [e for e in data["emotions"] if e not in BASIC_EMOTIONS]
        if unknown:
            raise ConfigError(
                f"data.emotions: {unknown} cannot be drawn by the synthetic face renderer; "
                f"expected a subset of {list(BASIC_EMOTIONS)}"
            )
    else:
        _check_location(data, source, f"data.source is {source!r}")
    _check_group_pattern(data["imagefolder"]["group_pattern"])
    _check_cross_dataset(config)
    for name, spec in config["classifiers"].items():
        if not timm.is_model(spec["arch"]):
            raise ConfigError(
                f"classifiers.{name}.arch: {spec['arch']!r} is not a timm architecture; "
                "expected a name listed by timm.list_models()"
            )
        if spec.get("weights") and not Path(spec["weights"]).exists():
            raise ConfigError(f"classifiers.{name}.weights: {spec['weights']!r} does not exist")
        classifier_train_settings(config, name, schema)
    _check_prior(config)
    _check_stimuli(config)
    _check_behavior(config, schema)
    _check_alignment(config)
    _check_xai(config)
    _check_precomputed(config)


def _check_stimuli(config: dict) -> None:
    stimuli = config["stimuli"]
    if config["stats"]["graded_by"] and stimuli["source"] != "folder":
        raise ConfigError(f"stats.graded_by: {config['stats']['graded_by']!r} names a column of a stimulus table, but "
                          "stimuli.source is 'generated'; set stimuli.source: folder or leave stats.graded_by empty")
    if stimuli["source"] != "folder":
        return
    folder = stimuli["folder"]
    for key, is_folder in (("images", True), ("table", False)):
        if not folder[key]:
            raise ConfigError(f"stimuli.folder.{key} is not set; stimuli.source is 'folder', so give the path of your "
                              f"{'image folder' if is_folder else 'stimulus table'}")
        if not _exists_or_built(folder[key], is_folder):
            raise ConfigError(f"stimuli.folder.{key}: {folder[key]!r} does not exist or is not a "
                              f"{'folder' if is_folder else 'file'}")
    box = folder["crop_box"]
    if box is not None and not (box[0] < box[2] and box[1] < box[3]):
        raise ConfigError(f"stimuli.folder.crop_box: {box} is not a box; expected [left, top, right, bottom] with "
                          "left < right and top < bottom")


def _check_location(data: dict, source: str, because: str) -> None:
    """Raise ConfigError unless the real source's copy is set and exists."""
    key = SOURCE_LOCATIONS[source]
    location = data[source][key]
    if not location:
        raise ConfigError(f"data.{source}.{key} is not set; {because}, so give the path of your copy")
    if not Path(location).exists():
        raise ConfigError(f"data.{source}.{key}: {location!r} does not exist")


def _check_group_pattern(pattern: str | None) -> None:
    if pattern is None:
        return
    try:
        groups = re.compile(pattern).groups
    except re.error as error:
        raise ConfigError(f"data.imagefolder.group_pattern: {pattern!r} is not a regular expression ({error})") from None
    if groups < 1:
        raise ConfigError(f"data.imagefolder.group_pattern: {pattern!r} has no group; expected one whose first "
                          "group names the subject or sequence, e.g. '^(S\\d+)_'")


def _check_cross_dataset(config: dict) -> None:
    for source in config["cross_dataset"]["sources"]:
        if source == config["data"]["source"]:
            raise ConfigError(f"cross_dataset.sources: {source!r} is data.source, the data the classifiers learn "
                              "from; expected other data sets")
        if source != "synthetic":
            _check_location(config["data"], source, f"cross_dataset.sources lists {source!r}")


def _check_classifier_names(config: dict, section: str) -> None:
    unknown = [name for name in config[section]["classifiers"] if name not in config["classifiers"]]
    if unknown:
        raise ConfigError(f"{section}.classifiers: {unknown} are not configured classifiers; "
                          f"expected some of {list(config['classifiers'])}")


def _check_xai(config: dict) -> None:
    from varemotion.xai.methods import check_methods

    xai = config["xai"]
    _check_classifier_names(config, "xai")
    try:
        check_methods(xai["methods"])
    except ValueError as error:
        raise ConfigError(f"xai.methods: {error}") from None
    if xai["landmarks"] not in (None, "auto") and not Path(xai["landmarks"]).is_file():
        raise ConfigError(f"xai.landmarks: {xai['landmarks']!r} does not exist or is not a file")
    people = xai["people"]
    if people["source"] == "data":
        for key in ("clicks", "twoafc"):
            if not people[key]:
                raise ConfigError(f"xai.people.{key} is not set; xai.people.source is 'data', so give the path of your file")
            if not Path(people[key]).is_file():
                raise ConfigError(f"xai.people.{key}: {people[key]!r} does not exist or is not a file")


def _check_precomputed(config: dict) -> None:
    from varemotion.precomputed import missing_files

    root = config["precomputed_weights"]
    if not root:
        return
    if not Path(root).is_dir():
        raise ConfigError(f"precomputed_weights: {root!r} does not exist or is not a folder")
    missing = missing_files(root, list(config["classifiers"]))
    if missing:
        raise ConfigError(f"precomputed_weights: {root!r} lacks {missing}; expected models/<classifier>/ for every "
                          "configured classifier and prior/, as a finished run's results/ holds them")


def _check_alignment(config: dict) -> None:
    alignment = config["alignment"]
    _check_classifier_names(config, "alignment")
    if sum(alignment["group"]["ratio"]) <= 0 or sum(alignment["individual"]["ratio"]) <= 0:
        raise ConfigError("alignment.group.ratio and alignment.individual.ratio need a positive share somewhere")


def _check_prior(config: dict) -> None:
    from varemotion.diffusion.latent import LATENT_DEFAULTS
    from varemotion.diffusion.pixel import PIXEL_DEFAULTS
    from varemotion.diffusion.renderer import RENDERER_DEFAULTS

    prior = dict(config["prior"])
    if prior["kind"] == "auto":
        prior["kind"] = "renderer" if config["data"]["source"] == "synthetic" else "latent"
    if prior["kind"] == "renderer" and config["data"]["source"] != "synthetic":
        raise ConfigError(f"prior.kind: 'renderer' learns the synthetic renderer's parameters; data.source is "
                          f"{config['data']['source']!r}, so use latent or pixel")
    known = {"latent": LATENT_DEFAULTS, "pixel": PIXEL_DEFAULTS, "renderer": RENDERER_DEFAULTS}[prior["kind"]]
    unknown = sorted(set(prior["settings"]) - set(known) - {"attention_head_dim"})
    if unknown:
        raise ConfigError(
            f"prior.settings: {unknown} are not settings of a {prior['kind']} prior; expected some of {sorted(known)}"
        )
    base = prior["quality"]["classifier"]
    if base and base not in config["classifiers"]:
        raise ConfigError(f"prior.quality.classifier: {base!r} is not a configured classifier; expected one of {list(config['classifiers'])}")
    if len(config["classifiers"]) < 1:
        raise ConfigError("classifiers: at least one classifier is needed to guide the sampler")


def _check_behavior(config: dict, schema: dict) -> None:
    import timm

    from varemotion.behavior.simulation import ObserverPopulation

    behavior = config["behavior"]
    observers = behavior["observers"]
    keys = ["frontend"] + (["swapped_frontend"] if observers["swapped_frontend"]["enabled"] else [])
    for key in keys:
        arch = observers[key]["arch"]
        if not timm.is_model(arch):
            raise ConfigError(f"behavior.observers.{key}.arch: {arch!r} is not a timm architecture; "
                              "expected a name listed by timm.list_models()")
        frontend_train_settings(config, schema, key)
    guides = {} if observers["allow_guide_family"] else {
        arch_family(spec["arch"]): f"the guide classifiers.{name} ({spec['arch']!r})"
        for name, spec in config["classifiers"].items()}
    family = _check_frontend_family(config, "frontend", guides)
    if "swapped_frontend" in keys:
        _check_frontend_family(config, "swapped_frontend",
                               guides | {family: f"behavior.observers.frontend ({observers['frontend']['arch']!r})"})
    try:
        ObserverPopulation(**behavior["observers"]["population"])
    except ValueError as error:
        raise ConfigError(f"behavior.observers.population: {error}") from None
    ratings = behavior["ratings"]
    if behavior["source"] == "ratings":
        if not ratings["paths"]:
            raise ConfigError("behavior.ratings.paths is empty; behavior.source is 'ratings', so list the rating files")
        for path in ratings["paths"]:
            if not _exists_or_built(path):
                raise ConfigError(f"behavior.ratings.paths: {path!r} does not exist or is not a file")
        if ratings["format"] not in CATCH_FORMATS and config["stats"]["error_rate"] is None:
            raise ConfigError(f"stats.error_rate is null (estimate the slip rate from catch trials), but "
                              f"{ratings['format']!r} rating files have no catch trials; give a rate such as 0.05")
    choices = ratings["choices"]
    if choices is not None and sorted(choices) != sorted(config["data"]["emotions"]):
        raise ConfigError(f"behavior.ratings.choices: {choices} must list the emotions {config['data']['emotions']} "
                          "in the order of the response buttons")


def workflow_config(repo: str | Path, extra: str | Path | None = None) -> dict:
    """The workflow's embedded default config, updated recursively from `extra`, with schema defaults.

    For scripts outside the workflow (benchmarks) that must use the settings a run would use.
    """
    from snakemake.utils import update_config, validate

    repo = Path(repo)
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    if extra:
        update_config(config, yaml.safe_load(Path(extra).read_text()))  # merged as --configfile merges
    validate(config, str(repo / "workflow" / "schemas" / "config.schema.yaml"), set_default=True)
    settle_prior_kind(config)
    return config


def load_schema(path: str | Path) -> dict:
    """The workflow's config schema as a dict."""
    return yaml.safe_load(Path(path).read_text())
