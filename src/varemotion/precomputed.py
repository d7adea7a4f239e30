"""Trained weights taken from a folder (`precomputed_weights`) instead of being trained again.

The folder is laid out like a run's results: `models/<classifier>/{weights.pt, config.json,
metrics.json}` and `prior/{weights.pt, config.json, history.csv}`. A finished run's
`results/models/` and `results/prior/` copied into it (e.g. `resources/weights/`) make one.
Each file set is checked against the config before anything is written, so a run never mixes
weights of another architecture, emotion set or image size into its results.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from varemotion.atomic import write_atomically
from varemotion.data.errors import DataError

CLASSIFIER_FILES = ("weights.pt", "config.json", "metrics.json")
PRIOR_FILES = ("weights.pt", "config.json", "history.csv")


class PrecomputedWeightsError(DataError):
    """Precomputed weights that do not match the configured model or data."""


def _differs(config: Path, key: str, found, expected: str) -> PrecomputedWeightsError:
    return PrecomputedWeightsError(config, f"key {key!r} is {found!r}; expected {expected}")


def missing_files(root: str | Path, classifiers: list[str]) -> list[str]:
    """The files the folder lacks for `classifiers` and the prior (empty when it is complete)."""
    root = Path(root)
    wanted = [root / "models" / name / f for name in classifiers for f in CLASSIFIER_FILES]
    wanted += [root / "prior" / f for f in PRIOR_FILES]
    return [str(path) for path in wanted if not path.is_file()]


def import_classifier(source: str | Path, outputs: dict, arch: str, kwargs: dict, emotions: list[str], image_size: int) -> None:
    """Check a trained classifier in `source` against the config, then copy it to `outputs`."""
    from varemotion.models import load_classifier  # torch and timm: not needed by the config check

    source = Path(source)
    saved = _read_json(source / "config.json")
    expected = {"arch": arch, "kwargs": kwargs, "emotions": emotions, "image_size": [image_size, image_size]}
    for key, value in expected.items():
        if saved.get(key) != value:
            raise _differs(source / "config.json", key, saved.get(key), f"{value!r} as configured (train this "
                           "classifier, or give weights trained with this config)")
    _check_loads(source / "weights.pt", lambda: load_classifier(source / "weights.pt", source / "config.json"))
    _copy_all(source, outputs, CLASSIFIER_FILES)


def import_prior(source: str | Path, outputs: dict, kind: str, settings: dict, image_size: int) -> None:
    """Check a trained prior in `source` against the config, then copy it to `outputs`."""
    from varemotion.diffusion import load_prior  # torch and diffusers: not needed by the config check

    source = Path(source)
    config = source / "config.json"
    saved = _read_json(config)
    if saved.get("kind") != kind:
        raise _differs(config, "kind", saved.get("kind"), f"{kind!r} (prior.kind)")
    shape = saved.get("image_shape", [None, None, None])
    if list(shape[1:]) != [image_size, image_size]:
        raise _differs(config, "image_shape", shape, f"images of {image_size}×{image_size} as in the data set")
    saved_settings = saved.get("settings", {})
    for key, value in settings.items():
        if saved_settings.get(key) != value:
            raise _differs(config, f"settings.{key}", saved_settings.get(key), f"{value!r} (prior.settings.{key})")
    _check_loads(source / "weights.pt", lambda: load_prior(source / "weights.pt", config))
    _copy_all(source, outputs, PRIOR_FILES)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise PrecomputedWeightsError(path, f"cannot be read as JSON ({error})") from None


def _check_loads(path: Path, load) -> None:
    try:
        load()
    except DataError as error:  # a refused pickle, a truncated file or tensors of the wrong shape
        raise PrecomputedWeightsError(error.path, error.problem, row=error.row, column=error.column,
                                      value=error.value, expected=error.expected) from None
    except Exception as error:
        raise PrecomputedWeightsError(path, f"does not load into the configured model ({str(error).splitlines()[0]})") from None


def _copy_all(source: Path, outputs: dict, names: tuple[str, ...]) -> None:
    for name in names:
        key = name.split(".")[0]
        with open(source / name, "rb") as handle:
            write_atomically(outputs[key], lambda out, handle=handle: shutil.copyfileobj(handle, out))
