"""An independent face detector for the realism measures: MediaPipe FaceMesh, when it is installed.

FaceMesh (the legacy `mediapipe.solutions` API, whose wheel bundles its models) either finds the
468 landmarks of one face or finds none; the BlazeFace short-range detector in front of it gives
a detection score. Images are converted to RGB and resized to `size` pixels first, as the
detectors expect faces much larger than 48×48. Neither model was trained on this workflow's data
or has seen its classifiers, so their verdict on a stimulus comes from outside the study.
"""

from __future__ import annotations

import importlib.util

import numpy as np
from PIL import Image

#: Side, in pixels, that images are resized to before detection.
DETECTION_SIZE = 192


def facemesh_available() -> bool:
    """Whether MediaPipe (with its legacy solutions API) can be imported."""
    return importlib.util.find_spec("mediapipe") is not None


def _rgb(image: np.ndarray, size: int) -> np.ndarray:
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    elif image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return np.asarray(Image.fromarray(image.astype(np.uint8)).resize((size, size), Image.BILINEAR))


def detect_faces(images: np.ndarray, size: int = DETECTION_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """For uint8 images (N, H, W[, C]): whether FaceMesh finds a face, and BlazeFace's best score (0: none)."""
    from mediapipe.python.solutions import face_detection, face_mesh

    found = np.zeros(len(images), dtype=bool)
    scores = np.zeros(len(images), dtype=np.float64)
    with face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, min_detection_confidence=0.5) as mesh, \
            face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5) as detector:
        for n, image in enumerate(images):
            rgb = _rgb(np.asarray(image), size)
            found[n] = mesh.process(rgb).multi_face_landmarks is not None
            detections = detector.process(rgb).detections or []
            scores[n] = max((d.score[0] for d in detections), default=0.0)
    return found, scores
