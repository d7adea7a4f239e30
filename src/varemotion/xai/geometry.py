"""The face geometry of a set of images: landmarks, the common template and each expression's regions.

Synthetic faces carry their geometry (the renderer's identity, action units and exact AU-region
masks); real faces get it from 68-point landmarks (the workflow's landmark rule or the user's own
detector). Either way the result is a `FaceGeometry`: per-image landmarks, which faces can be
used, a template that maps are warped onto, the ground-truth region of each expression on that
template, and per-image regions for simulated clicks. A real face without landmarks, or whose
landmarks come from a fallback rather than a detection, is not usable (unless asked for): its
landmarks, regions and face mask stay empty and the stage leaves it out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from skimage.draw import polygon

from varemotion.data.splits import Split
from varemotion.xai.landmarks import (
    LandmarkRows,
    extend_landmarks,
    read_landmark_rows,
    synthetic_landmarks,
    synthetic_template,
)
from varemotion.xai.regions import EKMAN_REGIONS, ekman_mask, per_image_region_masks, synthetic_region_masks

log = logging.getLogger(__name__)

#: Points of the 68-point set that outline the face: the jaw (1..17) and the brows (27..18) back.
_FACE_OUTLINE = [*range(17), *range(26, 16, -1)]


@dataclass
class FaceGeometry:
    """Landmarks (N, L, 2) of the images (nan where unusable), which images are usable (N,), the
    template's landmarks (L, 2) and shape, and regions."""

    landmarks: np.ndarray
    usable: np.ndarray
    template: np.ndarray
    template_shape: tuple[int, int]
    truth: dict[str, np.ndarray]
    image_regions: np.ndarray
    face_masks: np.ndarray


def geometry_of(split: Split, landmarks_path=None, template_size: int = 112,
                include_undetected: bool = False) -> FaceGeometry:
    """The geometry of every image of `split`: from the renderer (synthetic) or a landmarks file, where
    faces without landmarks, and without `include_undetected` those a detector did not find, are unusable."""
    emotions = list(split.emotions)
    if "au_masks" in split.extras:
        return _synthetic_geometry(split, emotions)
    if landmarks_path is None:
        raise ValueError("real faces need 68-point landmarks: set xai.landmarks to auto (the landmark rule) or "
                         "to a CSV of the test split's landmarks")
    rows = read_landmark_rows(landmarks_path, split.ids)
    usable = _usable(rows, landmarks_path, include_undetected)
    if not usable.any():
        raise ValueError(f"{landmarks_path}: none of the {split.n} faces has usable landmarks")
    points = extend_landmarks(np.where(usable[:, None, None], rows.points, np.nan), split.images.shape[1:3])
    return _landmark_geometry(points, usable, split, emotions, template_size)


def usable_faces(split: Split, landmarks_path=None, include_undetected: bool = False) -> np.ndarray:
    """(N,) bool: the faces of `split` the stage can use, with a log line counting those it leaves out."""
    if "au_masks" in split.extras or landmarks_path is None:
        return np.ones(split.n, dtype=bool)
    return _usable(read_landmark_rows(landmarks_path, split.ids), landmarks_path, include_undetected)


def _usable(rows: LandmarkRows, landmarks_path, include_undetected: bool) -> np.ndarray:
    usable = rows.usable(include_undetected)
    if not usable.all():
        unmarked = int((~np.isfinite(rows.points).all(axis=(1, 2))).sum())
        log.info("%d of %d faces left out: %d without landmarks, %d with landmarks from a fallback rather than a "
                 "detection (%s)", int((~usable).sum()), len(usable), unmarked, int((~usable).sum()) - unmarked,
                 landmarks_path)
    return usable


def _synthetic_geometry(split: Split, emotions: list[str]) -> FaceGeometry:
    size = split.images.shape[1]
    au_masks = split.extras["au_masks"].astype(bool)
    template, shape = synthetic_template(size)
    return FaceGeometry(
        landmarks=synthetic_landmarks(split.extras["identity"], split.extras["au"], size),
        usable=np.ones(split.n, dtype=bool),
        template=template,
        template_shape=tuple(shape),
        truth=synthetic_region_masks(emotions, size),
        image_regions=per_image_region_masks(au_masks, emotions, split.labels),
        face_masks=au_masks.any(axis=1),
    )


def _landmark_geometry(points: np.ndarray, usable: np.ndarray, split: Split, emotions: list[str],
                       template_size: int) -> FaceGeometry:
    shape = split.images.shape[1:3]
    template, template_shape = mean_template(points[usable], template_size)
    known = [e for e in emotions if e in EKMAN_REGIONS]
    regions = np.zeros((len(points), *shape), dtype=bool)
    face_masks = np.zeros((len(points), *shape), dtype=bool)
    for i in np.flatnonzero(usable):
        face_masks[i] = face_mask(points[i], shape)
        if emotions[split.labels[i]] in EKMAN_REGIONS:
            regions[i] = ekman_mask(points[i], emotions[split.labels[i]], shape)
    return FaceGeometry(
        landmarks=points,
        usable=usable,
        template=template,
        template_shape=template_shape,
        truth={e: ekman_mask(template, e, template_shape) for e in known},
        image_regions=regions,
        face_masks=face_masks,
    )


def mean_template(points: np.ndarray, width: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The mean of the 68 landmarks, scaled to `width` pixels across the face, extended to a canvas.

    The canvas leaves a margin of a tenth of the face's size on each side, like the global-map
    study's template.
    """
    mean = points[:, :68].mean(axis=0)
    low, high = mean.min(axis=0), mean.max(axis=0)
    scale = 0.8 * width / (high[0] - low[0])
    height = int(round((high[1] - low[1]) * scale / 0.8))
    shifted = (mean - low) * scale + np.array([0.1 * width, 0.1 * height])
    shape = (height, width)
    return extend_landmarks(shifted, shape), shape


def face_mask(landmarks: np.ndarray, shape) -> np.ndarray:
    """The face inside the jaw line and the brows of 68-point landmarks, as a bool mask."""
    outline = landmarks[_FACE_OUTLINE]
    rows, cols = polygon(outline[:, 1], outline[:, 0], shape)
    mask = np.zeros(shape, dtype=bool)
    mask[rows, cols] = True
    return mask
