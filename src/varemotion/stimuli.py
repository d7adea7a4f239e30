"""The stimulus set: filtered guided samples plus controls, with a manifest.

`assemble_stimuli` scores every sample with every classifier and applies the filters
(uncertainty: top-2 classes {i, j}, each above a threshold; controversial: A's argmax i and B's
argmax j, each above a threshold; controls: all pass), then, when realism scores are given, the
realism filter (:mod:`varemotion.realism.scores`) to every kind. It returns the kept images with
one manifest row each, their realism scores in the manifest's last columns. `write_stimuli` saves `images.npz`, `manifest.csv`, `acceptance.csv` and one
PNG per stimulus; `read_manifest` checks a manifest before anything downstream uses it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from PIL import Image

from varemotion.atomic import replace_directory, write_atomically, write_csv
from varemotion.data import DataError
from varemotion.entropy import entropy_bits
from varemotion.manifest import (
    KINDS,
    MANIFEST_COLUMNS,
    REALISM_SCORES,
    SETTINGS_COLUMNS,
    entropy_column,
    manifest_columns,
    metadata_columns,
    probability_column,
)

if TYPE_CHECKING:
    from varemotion.sampling.sets import SampleSet

#: What a manifest's kind may be: a generated kind, or the name of a kind of stimuli read from a folder.
KIND_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
ACCEPTANCE_COLUMNS = ["kind", "guide_a", "guide_b", "n_sampled", "n_pass_probability", "n_rejected_realism",
                      "n_accepted", "accepted_fraction"]


@dataclass(frozen=True)
class SetRealism:
    """One sample set's realism score table (one row per image) and which images pass."""

    scores: pd.DataFrame
    passed: np.ndarray


@dataclass
class Stimuli:
    """Kept images (uint8, manifest order), the manifest and the per-set acceptance table."""

    images: np.ndarray
    manifest: pd.DataFrame
    acceptance: pd.DataFrame


def accepted(sample_set: SampleSet, probs: dict[str, np.ndarray], thresholds: dict) -> np.ndarray:
    """Which images of a set pass its kind's filter (controls always do)."""
    # Imported here: readers of manifests and images should not pay for timm and diffusers.
    from varemotion.sampling.filters import keep_controversial, keep_uncertainty

    if sample_set.kind == "uncertainty":
        mask = keep_uncertainty(probs[sample_set.guides[0]], sample_set.i, sample_set.j, thresholds["uncertainty_min_prob"])
    elif sample_set.kind == "controversial":
        a, b = sample_set.guides
        mask = keep_controversial(probs[a], probs[b], sample_set.i, sample_set.j, thresholds["controversial_min_prob"])
    else:
        return np.ones(len(sample_set), dtype=bool)
    return mask.numpy()


def assemble_stimuli(
    sample_sets: list[SampleSet], classifiers: dict, thresholds: dict, realism: list[SetRealism] | None = None,
    device: torch.device | None = None,
) -> Stimuli:
    """Score every set with every classifier (on the quantised images), filter, and build the manifest.

    `realism`, when given, holds one :class:`SetRealism` per sample set, in the same order.
    """
    from varemotion.models.evaluation import predict_proba

    device = device or torch.device("cpu")
    emotions = _common_emotions(sample_sets)
    if realism is not None and len(realism) != len(sample_sets):
        raise ValueError(f"{len(realism)} realism score tables for {len(sample_sets)} sample sets")
    images, rows, acceptance = [], [], []
    for k, sample_set in enumerate(sample_sets):
        floats = sample_set.images_float()
        probs = {name: predict_proba(model, floats, device) for name, model in classifiers.items()}
        missing = set(sample_set.guides) - set(probs)
        if missing:
            raise ValueError(f"{sample_set.kind} set guided by {sorted(missing)}, which are not among the classifiers")
        by_probability = accepted(sample_set, probs, thresholds)
        set_realism = realism[k] if realism is not None else _no_realism(len(sample_set))
        if len(set_realism.scores) != len(sample_set):
            raise ValueError(f"{len(set_realism.scores)} realism scores for the {len(sample_set)} images of a "
                             f"{sample_set.kind} set")
        keep = by_probability & set_realism.passed
        guide_a, guide_b = (list(sample_set.guides) + ["", ""])[:2] if sample_set.kind != "control" else ("", "")
        acceptance.append({
            "kind": sample_set.kind, "guide_a": guide_a, "guide_b": guide_b, "n_sampled": len(sample_set),
            "n_pass_probability": int(by_probability.sum()),
            "n_rejected_realism": int((by_probability & ~set_realism.passed).sum()),
            "n_accepted": int(keep.sum()), "accepted_fraction": float(keep.mean()) if len(sample_set) else 0.0,
        })
        for n in np.flatnonzero(keep):
            rows.append(_manifest_row(sample_set, n, guide_a, guide_b, emotions, probs) | _realism_row(set_realism, n))
        images.append(sample_set.images[keep])
    manifest = pd.DataFrame(rows, columns=manifest_columns(list(classifiers), emotions))
    if manifest["stimulus_id"].duplicated().any():
        raise ValueError("two sample sets of the same kind and guides would give duplicate stimulus ids")
    return Stimuli(np.concatenate(images), manifest, pd.DataFrame(acceptance, columns=ACCEPTANCE_COLUMNS))


def _no_realism(n: int) -> SetRealism:
    from varemotion.realism.scores import SCORE_COLUMNS

    return SetRealism(pd.DataFrame({"image": np.arange(n)}).reindex(columns=SCORE_COLUMNS), np.ones(n, dtype=bool))


def _realism_row(realism: SetRealism, n: int) -> dict:
    row = realism.scores.iloc[n]
    return {f"realism_{name}": row[name] for name in REALISM_SCORES}


def _common_emotions(sample_sets: list[SampleSet]) -> list[str]:
    if not sample_sets:
        raise ValueError("no sample sets to assemble")
    emotions = {s.emotions for s in sample_sets}
    if len(emotions) != 1:
        raise ValueError(f"sample sets disagree on the emotions: {sorted(emotions)}")
    return list(emotions.pop())


def guides_of_name(sample_set: SampleSet) -> tuple[str, ...]:
    """The guides named in a stimulus id (none for controls, whichever way they were made)."""
    return () if sample_set.kind == "control" else tuple(sample_set.guides)


def _manifest_row(sample_set, n, guide_a, guide_b, emotions, probs) -> dict:
    i, j = int(sample_set.i[n]), int(sample_set.j[n])
    stem = "-".join([sample_set.kind, *guides_of_name(sample_set)])
    row = {
        "stimulus_id": f"{stem}-{int(sample_set.seeds[n]):05d}", "kind": sample_set.kind,
        "guide_a": guide_a, "guide_b": guide_b,
        "target_i": emotions[i] if i >= 0 else "", "target_j": emotions[j] if j >= 0 else "",
        "seed": int(sample_set.seeds[n]),
    }
    row |= {key: sample_set.settings.get(key) for key in SETTINGS_COLUMNS}
    for name, p in probs.items():
        row |= {probability_column(name, e): float(p[n, k]) for k, e in enumerate(emotions)}
        row[entropy_column(name)] = float(entropy_bits(p[n : n + 1])[0])
    return row


def write_png_folder(ids, images: np.ndarray, png_dir, before_move=None) -> None:
    """Write `<id>.png` for every image into a folder built aside and moved into place whole.

    `before_move()`, when given, runs after the PNGs are written and before the move, so that
    files written with the folder are in place only when all of them are.
    """
    def build(folder: Path) -> None:
        for image_id, image in zip(ids, images):
            Image.fromarray(image).save(folder / f"{image_id}.png")
        if before_move is not None:
            before_move()

    replace_directory(png_dir, build)


def write_stimuli(stimuli: Stimuli, images_path, manifest_path, acceptance_path, png_dir) -> None:
    """Write the set's files; the PNG directory is built aside and moved into place whole."""
    def write_tables():
        write_atomically(images_path, lambda h: np.savez_compressed(
            h, images=stimuli.images, stimulus_ids=stimuli.manifest["stimulus_id"].to_numpy(dtype=str)))
        write_csv(manifest_path, stimuli.manifest)
        write_csv(acceptance_path, stimuli.acceptance, float_format="%.4g")

    write_png_folder(stimuli.manifest["stimulus_id"], stimuli.images, png_dir, before_move=write_tables)


def read_manifest(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a stimulus manifest, raising DataError (file, line, column, value) for anything malformed."""
    try:
        manifest = pd.read_csv(path, keep_default_na=False, dtype={"stimulus_id": str, "kind": str})
    except FileNotFoundError:
        raise DataError(path, "manifest does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(path, f"cannot be read as a CSV table ({error})") from None
    missing = [c for c in MANIFEST_COLUMNS if c not in manifest.columns]
    if missing:
        raise DataError(path, f"missing columns {missing}", expected=f"columns {MANIFEST_COLUMNS} first")
    line = lambda index: int(index) + 2  # header is line 1
    for index, value in manifest["kind"].items():
        if not KIND_PATTERN.fullmatch(value):
            raise DataError(path, "is not a stimulus kind", row=line(index), column="kind", value=value,
                            expected=f"one of {KINDS}, or the name of a kind of stimuli read from a folder"
                                     " (letters, digits, _ and -)")
    duplicated = manifest["stimulus_id"].duplicated()
    if duplicated.any():
        index = duplicated.idxmax()
        raise DataError(path, "duplicate stimulus id", row=line(index), column="stimulus_id",
                        value=manifest.at[index, "stimulus_id"], expected="unique ids")
    scores = [c for c in manifest.columns if c not in metadata_columns(manifest.columns)]
    for column in [c for c in scores if "_p_" in c or c.endswith("_entropy")]:
        values = pd.to_numeric(manifest[column], errors="coerce")
        bad = values.isna() | (values < 0)
        if "_p_" in column:
            bad |= values > 1
        if bad.any():
            index = bad.idxmax()
            raise DataError(path, "not a valid probability or entropy", row=line(index), column=column,
                            value=manifest.at[index, column], expected="a number (probabilities in [0, 1])")
    return manifest


def read_stimulus_images(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """The ids and uint8 images of an `images.npz` written by `write_stimuli` (or the catch set)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return archive["stimulus_ids"].astype(str), archive["images"]
    except FileNotFoundError:
        raise DataError(path, "image archive does not exist") from None
    except (KeyError, ValueError, OSError, EOFError) as error:
        raise DataError(path, f"is not a readable image archive ({error})",
                        expected="an .npz with arrays images and stimulus_ids") from None


def set_realism(scores_path, n_images: int, threshold_path, apply: bool) -> SetRealism:
    """One set's realism scores, and which images pass (all of them when the filter is not applied)."""
    from varemotion.realism.scores import read_scores, read_threshold, realistic

    scores = read_scores(scores_path, n_images)
    measure, threshold = read_threshold(threshold_path)
    passed = realistic(scores, measure, threshold) if apply else np.ones(n_images, dtype=bool)
    return SetRealism(scores, passed)


def run_stimulus_set(classifiers: dict, sets: dict, threshold_path, thresholds: dict, output) -> Stimuli:
    """Filter the sample sets (probabilities, then realism when `thresholds["realism"]`) and write the set.

    `classifiers` maps names to weight files; `sets` maps each sample set's name to its `images` and
    realism `scores` files, in the order of the stimuli; `output` names the images, manifest,
    acceptance and png outputs.
    """
    from varemotion.models import load_classifier
    from varemotion.sampling.sets import load_sample_set

    models = {name: load_classifier(path) for name, path in classifiers.items()}
    sample_sets = [load_sample_set(files["images"]) for files in sets.values()]
    realism = [set_realism(files["scores"], len(s), threshold_path, thresholds["realism"])
               for files, s in zip(sets.values(), sample_sets)]
    stimuli = assemble_stimuli(sample_sets, models, thresholds, realism)
    write_stimuli(stimuli, output["images"], output["manifest"], output["acceptance"], output["png"])
    return stimuli
