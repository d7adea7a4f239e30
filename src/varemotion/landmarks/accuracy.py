"""Landmark error against known truth: 68 detected points against the renderer's points of synthetic faces.

The renderer knows 28 points of each synthetic face (`xai.landmarks.SYNTHETIC_POINTS`); 21 of them
are points of the iBUG set, or the mean of two (`SYNTHETIC_TO_IBUG`). The forehead, cheeks and
jaw sides have no iBUG counterpart (iBUG's jaw points are spaced along the face's outline, the
renderer's at fixed heights), and the eye centres are the mean of the corners already scored, so
they are left out. The error is the normalised mean error (NME) of the 300-W benchmark: the mean
distance over the scored points divided by the inter-ocular distance (outer eye corners).
"""

from __future__ import annotations

import numpy as np

from varemotion.xai.landmarks import SYNTHETIC_POINTS, synthetic_landmarks

#: Renderer point -> the 1-based iBUG point(s) whose mean it is.
SYNTHETIC_TO_IBUG: dict[str, tuple[int, ...]] = {
    "brow_outer_left": (18,), "brow_inner_left": (22,), "brow_inner_right": (23,), "brow_outer_right": (27,),
    "eye_outer_left": (37,), "eye_top_left": (38, 39), "eye_inner_left": (40,), "eye_bottom_left": (41, 42),
    "eye_inner_right": (43,), "eye_top_right": (44, 45), "eye_outer_right": (46,), "eye_bottom_right": (47, 48),
    # The renderer's nose tip is the highlight above the nostrils, which are the dark holes (not the wings).
    "nose_tip": (31,), "nostril_left": (33,), "nostril_right": (35,),
    "mouth_left": (49,), "upper_lip": (52,), "mouth_right": (55,), "lower_lip": (58,),
    # Halfway between the inner edges of the lips.
    "mouth_centre": (63, 67),
    "chin": (9,),
}


def scored_points(ibug: np.ndarray) -> np.ndarray:
    """(N, 68, 2) iBUG points -> (N, 21, 2) points in the order of `SYNTHETIC_TO_IBUG`."""
    ibug = np.asarray(ibug, dtype=np.float64)
    return np.stack([ibug[:, [i - 1 for i in v]].mean(axis=1) for v in SYNTHETIC_TO_IBUG.values()], axis=1)


def truth_points(identity, au, size: int) -> np.ndarray:
    """(N, 21, 2) renderer points of synthetic faces in the order of `SYNTHETIC_TO_IBUG`."""
    points = synthetic_landmarks(identity, au, size)
    return points[:, [SYNTHETIC_POINTS.index(name) for name in SYNTHETIC_TO_IBUG]]


def normalised_mean_error(ibug: np.ndarray, identity, au, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per face, the NME of its 68 points against the renderer's (nan for a face without points), and per
    scored point (21,) its mean error over the faces with points, both in inter-ocular distances."""
    truth = truth_points(identity, au, size)
    names = list(SYNTHETIC_TO_IBUG)
    iod = np.linalg.norm(truth[:, names.index("eye_outer_left")] - truth[:, names.index("eye_outer_right")], axis=1)
    errors = np.linalg.norm(scored_points(ibug) - truth, axis=2) / iod[:, None]
    has_points = np.isfinite(errors).all(axis=1)
    per_point = errors[has_points].mean(axis=0) if has_points.any() else np.full(len(names), np.nan)
    return errors.mean(axis=1), per_point
