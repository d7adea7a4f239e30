"""68-point landmarks of face images: FaceMesh on one canvas after another, then a fallback.

Each image goes to FaceMesh on the first canvas of `paddings` (the image enlarged to `size` with a
black border of that share of the size on each side); the faces it misses go to the next canvas,
and so on. Every face found gets FaceMesh's 468 points mapped to the 68 iBUG points
(`varemotion.landmarks.correspondence`). A face found on none is not detected; with
`fallback: mean_shape` it gets the mean shape of the faces that were detected in the same set
(its images share one size, and in registered crops such as FER+'s the mean shape is where a
typical face's features are), marked as such and never counted as a detection.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from varemotion.landmarks.correspondence import ibug_from_facemesh
from varemotion.realism.facemesh import run_facemesh

log = logging.getLogger(__name__)

FALLBACKS = ("mean_shape", "none")
#: `method` of a face that got no points.
NO_POINTS = "none"
#: `method` of a face whose points are the set's mean shape.
MEAN_SHAPE = "mean_shape"


@dataclass(frozen=True)
class DetectorSettings:
    """How landmarks are found (the workflow's `landmarks` config section)."""

    size: int
    paddings: tuple[float, ...]
    min_detection_confidence: float
    fallback: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "paddings", tuple(float(p) for p in self.paddings))
        if not self.paddings or min(self.paddings) < 0:
            raise ValueError(f"paddings must be one or more shares >= 0, got {list(self.paddings)}")
        if self.fallback not in FALLBACKS:
            raise ValueError(f"fallback must be one of {FALLBACKS}, got {self.fallback!r}")


@dataclass
class Landmarks:
    """Per image: 68 points (N, 68, 2) in pixels (nan: none), whether FaceMesh found the face, how the
    points were obtained (`facemesh_pad<share>`, `mean_shape` or `none`) and BlazeFace's best score."""

    points: np.ndarray
    detected: np.ndarray
    method: np.ndarray
    score: np.ndarray
    seconds: float = 0.0


def attempt_name(padding: float) -> str:
    """The `method` of points FaceMesh found on a canvas with this border share."""
    return f"facemesh_pad{padding:g}"


def detect_landmarks(images: np.ndarray, settings: DetectorSettings) -> Landmarks:
    """The 68 landmarks of uint8 images (N, H, W[, C]) of one size: FaceMesh on each canvas in turn, then the fallback."""
    start = time.perf_counter()
    n = len(images)
    points = np.full((n, 68, 2), np.nan)
    detected = np.zeros(n, dtype=bool)
    method = np.full(n, NO_POINTS, dtype=object)
    score = np.zeros(n, dtype=np.float64)
    todo = np.arange(n)
    for padding in settings.paddings:
        if not len(todo):
            break
        result = run_facemesh(images[todo], settings.size, padding, settings.min_detection_confidence, landmarks=True)
        hit = todo[result.found]
        points[hit] = ibug_from_facemesh(result.points[result.found])
        detected[hit] = True
        method[hit] = attempt_name(padding)
        score[todo] = np.maximum(score[todo], result.scores)
        log.info("FaceMesh with a %g border: %d of %d faces found", padding, len(hit), len(todo))
        todo = todo[~result.found]
    if len(todo) and settings.fallback == MEAN_SHAPE:
        if detected.any():
            points[todo] = mean_shape(points[detected])
            method[todo] = MEAN_SHAPE
        else:
            log.warning("no face detected in any of the %d images: no mean shape to fall back on", n)
    log.info("%d of %d faces detected (%.1f %%); %d get the mean shape, %d no points", detected.sum(), n,
             100 * detected.mean() if n else 0.0, (method == MEAN_SHAPE).sum(), (method == NO_POINTS).sum())
    return Landmarks(points, detected, method.astype(str), score, time.perf_counter() - start)


def mean_shape(points: np.ndarray) -> np.ndarray:
    """The mean (68, 2) of landmarks (M, 68, 2) of images of one size."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[1:] != (68, 2) or not len(points):
        raise ValueError(f"mean_shape needs landmarks (M >= 1, 68, 2), got {points.shape}")
    return points.mean(axis=0)
