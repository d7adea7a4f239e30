"""MediaPipe FaceMesh, when it is installed: the independent face detector of the realism measures
and the landmark detector of real faces (`varemotion.landmarks`).

FaceMesh (the legacy `mediapipe.solutions` API, whose wheel bundles its models) either finds the
468 landmarks of one face or finds none; the BlazeFace short-range detector in front of it gives
a detection score. Images are converted to RGB and resized to `size` pixels first, as the
detectors expect faces much larger than 48×48; a black border of `padding` times that size on
each side helps BlazeFace on tightly cropped faces, which it was not trained on. Neither model
was trained on this workflow's data or has seen its classifiers, so their verdict on a stimulus
comes from outside the study.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: Side, in pixels, that images are resized to before detection.
DETECTION_SIZE = 192
#: Points of the FaceMesh mesh (without the iris points of the refined model).
N_FACEMESH = 468


def facemesh_available() -> bool:
    """Whether MediaPipe (with its legacy solutions API) can be imported."""
    return importlib.util.find_spec("mediapipe") is not None


@dataclass
class FaceMeshResult:
    """Per image: whether FaceMesh found a face, BlazeFace's best score (0: none) and, when asked
    for, the 468 points (N, 468, 2) in the input image's pixels (centres at integers; nan where none)."""

    found: np.ndarray
    scores: np.ndarray
    points: np.ndarray | None = None


def _rgb(image: np.ndarray, size: int, border: int = 0) -> np.ndarray:
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    elif image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    resized = np.asarray(Image.fromarray(image.astype(np.uint8)).resize((size, size), Image.BILINEAR))
    if border:
        resized = np.pad(resized, ((border, border), (border, border), (0, 0)))
    return np.ascontiguousarray(resized)


def _to_image(landmarks, shape, size: int, border: int) -> np.ndarray:
    """FaceMesh's normalised points on the padded canvas -> (468, 2) pixels of the input image."""
    canvas = size + 2 * border
    xy = np.array([(p.x, p.y) for p in landmarks.landmark[:N_FACEMESH]], dtype=np.float64)
    resized = xy * canvas - border
    return resized * np.array([shape[1], shape[0]]) / size - 0.5


def run_facemesh(images: np.ndarray, size: int = DETECTION_SIZE, padding: float = 0.0, min_confidence: float = 0.5,
                 landmarks: bool = False) -> FaceMeshResult:
    """FaceMesh and BlazeFace on uint8 images (N, H, W[, C]) resized to `size` with a black border of
    `padding` × `size` on each side; with `landmarks`, also the 468 points of every face found."""
    from mediapipe.python.solutions import face_detection, face_mesh

    border = int(round(padding * size))
    found = np.zeros(len(images), dtype=bool)
    scores = np.zeros(len(images), dtype=np.float64)
    points = np.full((len(images), N_FACEMESH, 2), np.nan) if landmarks else None
    with face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, min_detection_confidence=min_confidence) as mesh, \
            face_detection.FaceDetection(model_selection=0, min_detection_confidence=min_confidence) as detector:
        for n, image in enumerate(images):
            image = np.asarray(image)
            rgb = _rgb(image, size, border)
            faces = mesh.process(rgb).multi_face_landmarks
            found[n] = faces is not None
            if faces is not None and landmarks:
                points[n] = _to_image(faces[0], image.shape[:2], size, border)
            detections = detector.process(rgb).detections or []
            scores[n] = max((d.score[0] for d in detections), default=0.0)
    return FaceMeshResult(found, scores, points)


def detect_faces(images: np.ndarray, size: int = DETECTION_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """For uint8 images (N, H, W[, C]): whether FaceMesh finds a face, and BlazeFace's best score (0: none)."""
    result = run_facemesh(images, size)
    return result.found, result.scores
