"""Per-image realism scores of a set of images, and the filter that turns them into a verdict.

Two measures, neither of which comes from the classifiers that guided the sampler:

- `residual` (measure "renderer", synthetic faces only): the RMS residual of the renderer fit
  (:mod:`varemotion.realism.renderer_fit`); an image passes when its residual is no larger than
  the `reference_quantile` of the real test faces' residuals;
- `facemesh_detected`, `face_score` (measure "facemesh", any faces, when MediaPipe is installed):
  whether FaceMesh finds a face, and BlazeFace's detection score (:mod:`varemotion.realism.facemesh`);
  an image passes when FaceMesh finds a face.

A score table has one row per image, in the order of the images, with the columns
:data:`SCORE_COLUMNS` (a measure that was not computed is left blank).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.atomic import write_csv
from varemotion.data import DataError
from varemotion.data.splits import images_to_float
from varemotion.realism.facemesh import detect_faces
from varemotion.realism.measures import RealismSettings
from varemotion.realism.renderer_fit import fit_renderer

SCORE_COLUMNS = ["image", "residual", "facemesh_detected", "face_score"]


def realism_scores(images: np.ndarray, settings: RealismSettings) -> pd.DataFrame:
    """The score table (:data:`SCORE_COLUMNS`) of uint8 images (N, H, W[, C])."""
    table = pd.DataFrame({"image": np.arange(len(images))}).reindex(columns=SCORE_COLUMNS)
    if settings.measure == "renderer" and len(images):
        floats = images_to_float(images)
        if floats.shape[1] != 1:
            floats = floats.mean(dim=1, keepdim=True)
        table["residual"] = fit_renderer(floats, settings.renderer_steps, settings.renderer_lr).residual
    if settings.facemesh and len(images):
        found, scores = detect_faces(images)
        table["facemesh_detected"] = found
        table["face_score"] = scores
    return table


def realism_threshold(reference: pd.DataFrame, settings: RealismSettings) -> float | None:
    """The largest residual that passes: the `reference_quantile` of the real faces' residuals (None otherwise)."""
    if settings.measure != "renderer":
        return None
    residual = reference["residual"].dropna().to_numpy(dtype=float)
    if not len(residual):
        raise ValueError("the reference faces have no renderer residuals to set the realism threshold from")
    return float(np.quantile(residual, settings.reference_quantile))


def realistic(scores: pd.DataFrame, measure: str, threshold: float | None) -> np.ndarray:
    """Which images pass the realism measure (all of them for measure "none")."""
    if measure == "renderer":
        return scores["residual"].to_numpy(dtype=float) <= threshold
    if measure == "facemesh":
        return scores["facemesh_detected"].astype(str).isin(["True", "1", "1.0"]).to_numpy()
    return np.ones(len(scores), dtype=bool)


def read_threshold(path: str | os.PathLike[str]) -> tuple[str, float | None]:
    """The measure and residual threshold of a realism verdict file (the realism_threshold rule's output)."""
    payload = json.loads(Path(path).read_text())
    return payload["measure"], payload["max_residual"]


def write_scores(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a score table as CSV."""
    write_csv(path, table)


def read_scores(path: str | os.PathLike[str], n_images: int | None = None) -> pd.DataFrame:
    """Read a score table, checking its columns and (when given) that it has one row per image."""
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(path, "realism score table does not exist") from None
    missing = [c for c in SCORE_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(path, f"missing columns {missing}", expected=f"columns {SCORE_COLUMNS}")
    if n_images is not None and (len(table) != n_images or (table["image"].to_numpy() != np.arange(n_images)).any()):
        raise DataError(path, f"has {len(table)} rows for {n_images} images", expected="one row per image, in order")
    return table
