"""The landmark rule from files to files: a test split in, its 68-point landmarks, the faces without a
detection and a summary out.

`landmarks.csv` has one row per image: `image_id, detected, method, score, x1..x68, y1..y68`
(pixels, centres at integers; every coordinate blank for a face without points). It is the
format `xai.landmarks` reads, so a user's own detector can write the same (the first four
columns after `image_id` are optional there). `undetected.csv` lists the faces FaceMesh did
not find (`image_id, emotion, method, score`), and `summary.json` counts them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from varemotion.atomic import write_csv, write_json
from varemotion.data.splits import Split, load_split
from varemotion.landmarks.detect import MEAN_SHAPE, NO_POINTS, DetectorSettings, Landmarks, detect_landmarks

log = logging.getLogger(__name__)

UNDETECTED_COLUMNS = ["image_id", "emotion", "method", "score"]


def landmark_table(ids, landmarks: Landmarks) -> pd.DataFrame:
    """The `landmarks.csv` table of images `ids` (see the module doc)."""
    table = pd.DataFrame({"image_id": np.asarray(ids, dtype=str), "detected": landmarks.detected,
                          "method": landmarks.method, "score": np.round(landmarks.score, 4)})
    coordinates = {f"{axis}{k + 1}": np.round(landmarks.points[:, k, a], 3)
                   for a, axis in enumerate("xy") for k in range(68)}
    return pd.concat([table, pd.DataFrame(coordinates)], axis=1)


def landmark_summary(split: Split, landmarks: Landmarks, settings: DetectorSettings) -> dict:
    """Counts of detected faces and of each method, the rates with and without the fallback, the time,
    and on synthetic faces the error against the renderer's landmarks."""
    n = split.n
    has_points = landmarks.method != NO_POINTS
    summary = {
        "n_faces": n,
        "n_detected": int(landmarks.detected.sum()),
        "detection_rate": float(landmarks.detected.mean()) if n else None,
        "n_fallback": int((landmarks.method == MEAN_SHAPE).sum()),
        "rate_with_fallback": float(has_points.mean()) if n else None,
        "n_without_points": int((~has_points).sum()),
        "methods": {str(m): int(c) for m, c in zip(*np.unique(landmarks.method, return_counts=True))},
        "detection_rate_by_emotion": {
            emotion: float(landmarks.detected[split.labels == k].mean())
            for k, emotion in enumerate(split.emotions) if (split.labels == k).any()},
        "seconds": round(landmarks.seconds, 2),
        "seconds_per_1000_faces": round(1000 * landmarks.seconds / n, 2) if n else None,
        "settings": {"size": settings.size, "paddings": list(settings.paddings),
                     "min_detection_confidence": settings.min_detection_confidence, "fallback": settings.fallback},
    }
    if {"identity", "au"} <= set(split.extras):
        summary["synthetic_error"] = synthetic_error(split, landmarks)
    return summary


def synthetic_error(split: Split, landmarks: Landmarks) -> dict:
    """NME (inter-ocular distances) of detected and of fallback points against the renderer's landmarks."""
    from varemotion.landmarks.accuracy import SYNTHETIC_TO_IBUG, normalised_mean_error

    per_face, per_point = normalised_mean_error(landmarks.points, split.extras["identity"], split.extras["au"],
                                                split.image_size[0])
    fallback = per_face[landmarks.method == MEAN_SHAPE]
    detected = per_face[landmarks.detected]
    return {"nme_detected_mean": float(detected.mean()) if len(detected) else None,
            "nme_detected_median": float(np.median(detected)) if len(detected) else None,
            "nme_fallback_mean": float(fallback.mean()) if len(fallback) else None,
            "nme_by_point": dict(zip(SYNTHETIC_TO_IBUG, np.round(per_point, 4).tolist()))}


def run_face_landmarks(test_path, out: dict, settings: dict) -> None:
    """Landmarks of every test image (`out`: landmarks, undetected, summary), by `DetectorSettings(**settings)`."""
    detector = DetectorSettings(**settings)
    split = load_split(test_path)
    images = split.images
    landmarks = detect_landmarks(images, detector)
    table = landmark_table(split.ids, landmarks)
    undetected = table.loc[~landmarks.detected, ["image_id", "method", "score"]]
    undetected.insert(1, "emotion", np.asarray(split.emotions)[split.labels[~landmarks.detected]])
    summary = landmark_summary(split, landmarks, detector)
    write_csv(out["landmarks"], table, float_format=None)
    write_csv(out["undetected"], undetected[UNDETECTED_COLUMNS], float_format=None)
    write_json(out["summary"], summary)
    log.info("%d of %d faces detected; %d without a detection listed in %s (%.1f s per 1,000 faces)",
             summary["n_detected"], split.n, split.n - summary["n_detected"], out["undetected"],
             summary["seconds_per_1000_faces"] or 0.0)
