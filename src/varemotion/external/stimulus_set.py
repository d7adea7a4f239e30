"""A stimulus set read from a folder of images and a stimulus table, scored by every classifier.

Each image is converted as the classifiers' training faces were (:func:`varemotion.data.images.read_image`:
transparency onto black, grey, the configured crop box or else the centre square, Lanczos
resize to the classifiers' input size), scored by every classifier on the 8-bit image people
see, and written as the generated set is (:func:`varemotion.stimuli.write_stimuli`): the same
manifest columns (blank sampler settings, blank realism scores, which measure generated faces
only), then the table's metadata columns. ``acceptance.csv`` has one row per kind, every image
kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.data.images import is_image_file, read_images
from varemotion.data.splits import images_to_float
from varemotion.entropy import entropy_bits
from varemotion.manifest import REALISM_COLUMNS, SETTINGS_COLUMNS, entropy_column, manifest_columns, probability_column
from varemotion.stats.images import per_image_columns
from varemotion.stimuli import ACCEPTANCE_COLUMNS, Stimuli, write_stimuli

from .table import StimulusTable, read_stimulus_table

log = logging.getLogger(__name__)


def classifier_columns(probabilities: Mapping[str, np.ndarray], emotions: Sequence[str]) -> pd.DataFrame:
    """Every classifier's probability of each emotion and entropy (bits), one row per image."""
    columns = {}
    for name, p in probabilities.items():
        columns |= {probability_column(name, e): p[:, k].astype(float) for k, e in enumerate(emotions)}
        columns[entropy_column(name)] = entropy_bits(p)
    return pd.DataFrame(columns)


def external_manifest(table: StimulusTable, probabilities: Mapping[str, np.ndarray], emotions) -> pd.DataFrame:
    """The manifest of a folder's set: table columns, blank settings, scores, blank realism, metadata."""
    rows = table.rows
    manifest = pd.DataFrame({c: rows[c] for c in ["stimulus_id", "kind", "guide_a", "guide_b", "target_i",
                                                    "target_j", "seed"]})
    for column in SETTINGS_COLUMNS:
        manifest[column] = ""
    manifest = pd.concat([manifest, classifier_columns(probabilities, emotions)], axis=1)
    for column in REALISM_COLUMNS:
        manifest[column] = np.nan
    manifest = manifest[manifest_columns(list(probabilities), list(emotions))]
    return pd.concat([manifest, table.metadata], axis=1)


def acceptance_table(kinds: pd.Series) -> pd.DataFrame:
    """One acceptance row per kind: every image of a folder's set is kept."""
    counts = kinds.astype(str).value_counts(sort=False)
    return pd.DataFrame([{"kind": kind, "guide_a": "", "guide_b": "", "n_sampled": int(n), "n_pass_probability": int(n),
                          "n_rejected_realism": 0, "n_accepted": int(n), "accepted_fraction": 1.0}
                         for kind, n in counts.items()], columns=ACCEPTANCE_COLUMNS)


def classifier_input(classifiers: Mapping) -> tuple[int, bool, list[str]]:
    """The square side, grey or not, and the emotions every classifier shares (ValueError if they differ)."""
    configs = {name: model.config for name, model in classifiers.items()}
    found = {(tuple(c.image_size), c.in_chans, tuple(c.emotions)) for c in configs.values()}
    if len(found) != 1:
        raise ValueError(f"the classifiers differ in input size, channels or emotions: {sorted(found)}")
    (height, width), channels, emotions = found.pop()
    if height != width:
        raise ValueError(f"the classifiers take {height}×{width} images; a folder's set needs a square input")
    return int(height), channels == 1, list(emotions)


def _unlisted(folder: Path, paths) -> int:
    listed = {str(Path(p).resolve()) for p in paths}
    return sum(1 for p in folder.rglob("*") if is_image_file(p) and str(p.resolve()) not in listed)


def external_stimuli(table: StimulusTable, classifiers: Mapping, crop_box: Sequence[int] | None = None) -> Stimuli:
    """Convert and score a checked table's images (see the module docstring)."""
    import torch

    from varemotion.models.evaluation import predict_proba

    size, grey, emotions = classifier_input(classifiers)
    images = read_images(list(table.rows["path"]), size, grey, crop_box)
    floats = images_to_float(images)
    probabilities = {name: predict_proba(model, floats, torch.device("cpu")) for name, model in classifiers.items()}
    manifest = external_manifest(table, probabilities, emotions)
    return Stimuli(images, manifest, acceptance_table(manifest["kind"]))


def run_external_stimulus_set(classifiers: Mapping[str, str], folder, table_path, crop_box, output) -> Stimuli:
    """Read a folder's set, score it with every classifier (weight files by name) and write the stimulus set.

    ``output`` names the images, manifest, acceptance and png outputs (as the generated set's rule).
    """
    from varemotion.models import load_classifier

    models = {name: load_classifier(path) for name, path in classifiers.items()}
    _, _, emotions = classifier_input(models)
    reserved = manifest_columns(list(models), emotions) + per_image_columns(emotions, list(models))
    table = read_stimulus_table(table_path, folder, emotions, reserved)
    unlisted = _unlisted(Path(folder), table.rows["path"])
    if unlisted:
        log.info("%d images in %s are not in the stimulus table and are left out", unlisted, folder)
    stimuli = external_stimuli(table, models, crop_box)
    write_stimuli(stimuli, output["images"], output["manifest"], output["acceptance"], output["png"])
    log.info("%d stimuli of kinds %s from %s", len(stimuli.manifest), sorted(set(stimuli.manifest["kind"])), folder)
    return stimuli
