"""Ground-truth face regions of each expression: Ekman regions drawn from landmarks (real faces)
and the renderer's action-unit regions (synthetic faces).

Ekman & Friesen locate each expression's cues in the brows/forehead, the eyes/lids and the lower
face (nose, nasolabial folds, mouth, chin). `EKMAN_REGIONS` draws them as polygons over the
extended 89-point landmark set of `landmarks.extend_landmarks`, so the regions follow any face.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from skimage.draw import polygon as fill_polygon

from varemotion.faces.action_units import AU_NAMES, PROTOTYPES, prototype_matrix
from varemotion.faces.identity import neutral_identity
from varemotion.faces.render import render
from varemotion.xai.landmarks import N_EXTENDED, N_IBUG, extend_landmarks


def _lerp(i: int, j: int, t: float) -> tuple:
    """The point a fraction t of the way from point i to point j."""
    return ("lerp", i, j, t)


def _move(i: int, j: int, k: int) -> tuple:
    """Point i moved by the vector from point j to point k."""
    return ("move", i, j, k)


def _up(i: int) -> tuple:
    """Point i moved up by the chin's height (point 9 to its projection 77): above the image's top."""
    return _move(i, 9, 77)


# Shared vertices: the eye columns' lower corners (outer and inner eye corners moved down by the
# nose ridge's length, 28 -> 30), the cheeks beside the mouth (halfway from jaw points 5 and 13 to
# the mouth corners) and the sides of the nose (halfway from the nose wings to the inner eye corners).
_EYE_LEFT, _EYE_RIGHT = _move(37, 28, 30), _move(46, 28, 30)
_INNER_LEFT, _INNER_RIGHT = _move(40, 28, 30), _move(43, 28, 30)
_CHEEK_LEFT, _CHEEK_RIGHT = _lerp(5, 49, 0.5), _lerp(13, 55, 0.5)
_NOSE_LEFT, _NOSE_RIGHT = _lerp(32, 40, 0.5), _lerp(36, 43, 0.5)

#: Expression -> polygons. A vertex is a point number of the extended set (1-based as in the
#: iBUG chart: 1..17 jaw, 18..27 brows, 28..36 nose, 37..48 eyes, 49..68 mouth; 69..85 the jaw
#: points moved to y = 0; 86..89 the image corners), ("lerp", i, j, t) = (1 - t) p_i + t p_j, or
#: ("move", i, j, k) = p_i + p_k - p_j. Every vertex is an affine combination of landmarks.
EKMAN_REGIONS: dict[str, list[list]] = {
    # Lowered, drawn-together brows and glaring eyes (forehead to below the eyes, around the nose
    # bridge), and pressed lips with a raised chin.
    "anger": [
        [_up(19), 19, 37, _EYE_LEFT, _INNER_LEFT, 40, 43, _INNER_RIGHT, _EYE_RIGHT, 46, 26, _up(26)],
        [33, 34, 35, 57, 10, 9, 8, 59],
    ],
    # Nose wrinkles, raised cheeks and upper lip: lower lids and nose down to the upper lip.
    "disgust": [
        [37, 42, 41, 40, 22, 23, 43, 48, 47, 46, _CHEEK_RIGHT, 56, 54, 66, 67, 68, 50, 60, _CHEEK_LEFT],
    ],
    # Raised, drawn-together brows, wide-open eyes and stretched lips: forehead, eyes and cheeks
    # beside the nose, down to the mouth corners.
    "fear": [
        [_up(19), 19, 37, _CHEEK_LEFT, 49, 50, _NOSE_LEFT, 29, _NOSE_RIGHT, 54, 55, _CHEEK_RIGHT, 46, 26, _up(26)],
    ],
    # Crow's feet, raised cheeks and the smile: from the lower lids down the nasolabial folds to
    # the pulled lip corners and the jaw.
    "happiness": [
        [37, 38, 39, 40, 43, 44, 45, 46, _move(46, 43, 54), 13, 12, 11, 56, 36, _NOSE_RIGHT, 29,
         _NOSE_LEFT, 32, 60, 7, 6, 5, _move(37, 40, 50)],
    ],
    # Inner brows raised (centre of the forehead), triangulated upper lids, and the lip corners
    # pulled down beside the nose and mouth.
    "sadness": [
        [60, _CHEEK_LEFT, _EYE_LEFT, 1, _lerp(1, 86, 0.5), 19, 37, 38, 39, 21, _up(21), _up(24), 24, 44, 45,
         46, 26, _lerp(17, 88, 0.5), 17, _EYE_RIGHT, _CHEEK_RIGHT, 56, 54, _NOSE_RIGHT, 29, _NOSE_LEFT, 50],
    ],
    # Raised brows over wide-open eyes (each side up to the forehead), and the dropped jaw.
    "surprise": [
        [_up(19), 19, 37, 42, 41, 40, 22, _up(22)],
        [_up(23), 23, 43, 48, 47, 46, 26, _up(26)],
        [32, 33, 34, 35, 36, 56, 11, 10, 9, 8, 7, 60],
    ],
}


def _vertex(points: np.ndarray, vertex) -> np.ndarray:
    if isinstance(vertex, (int, np.integer)):
        return points[vertex - 1]
    kind, i, j, last = vertex
    if kind == "lerp":
        return (1 - last) * points[i - 1] + last * points[j - 1]
    return points[i - 1] + points[last - 1] - points[j - 1]


def ekman_mask(landmarks, emotion: str, shape) -> np.ndarray:
    """Bool (H, W) mask of `emotion`'s Ekman region for one face's 68 or 89 (extended) landmarks."""
    if emotion not in EKMAN_REGIONS:
        raise ValueError(f"no Ekman region for emotion {emotion!r} (expected one of {sorted(EKMAN_REGIONS)})")
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape == (N_IBUG, 2):
        points = extend_landmarks(points, shape)
    if points.shape != (N_EXTENDED, 2):
        raise ValueError(f"landmarks must be ({N_IBUG}, 2) or ({N_EXTENDED}, 2), got {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("landmarks hold non-finite values (expected pixel coordinates)")
    mask = np.zeros(tuple(shape), dtype=bool)
    for poly in EKMAN_REGIONS[emotion]:
        xy = np.array([_vertex(points, v) for v in poly])
        rows, cols = fill_polygon(xy[:, 1], xy[:, 0], mask.shape)
        mask[rows, cols] = True
    return mask


def _prototype_aus(emotion: str, min_weight: float) -> list[int]:
    if emotion not in PROTOTYPES:
        raise ValueError(f"no AU prototype for emotion {emotion!r} (expected one of {sorted(PROTOTYPES)})")
    return [AU_NAMES.index(au) for au, weight in PROTOTYPES[emotion].items() if weight >= min_weight]


def synthetic_region_masks(emotions: Sequence[str], size: int, min_weight: float = 0.5) -> dict[str, np.ndarray]:
    """Emotion -> bool (size, size) region on the synthetic template: the union of the AU regions of
    the prototype's AUs with weight >= `min_weight`, rendered at the mean identity with no pose and
    the prototype at full intensity. Emotions without such AUs (neutral) are omitted."""
    out = {}
    for emotion in emotions:
        aus = _prototype_aus(emotion, min_weight)
        if not aus:
            continue
        _, masks = render(prototype_matrix([emotion]), neutral_identity(1), size=size, noise_std=0.0,
                          return_masks=True)
        out[emotion] = masks[0, aus].any(dim=0).numpy()
    return out


def per_image_region_masks(au_masks, emotions: Sequence[str], labels, min_weight: float = 0.5) -> np.ndarray:
    """(N, H, W) bool: each image's union of its own AU-region masks (N, n_au, H, W) over the
    prototype AUs (weight >= `min_weight`) of its emotion `emotions[labels[i]]`; empty for neutral."""
    au_masks = np.asarray(au_masks, dtype=bool)
    labels = np.asarray(labels)
    if au_masks.ndim != 4 or au_masks.shape[1] != len(AU_NAMES):
        raise ValueError(f"au_masks must be (N, {len(AU_NAMES)}, H, W), got {au_masks.shape}")
    if labels.shape != (au_masks.shape[0],):
        raise ValueError(f"labels must be ({au_masks.shape[0]},), got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= len(emotions)):
        bad = labels[(labels < 0) | (labels >= len(emotions))][0]
        raise ValueError(f"label {bad} is not an index into the {len(emotions)} emotions {list(emotions)}")
    selections = [_prototype_aus(emotion, min_weight) for emotion in emotions]
    out = np.zeros((au_masks.shape[0], *au_masks.shape[2:]), dtype=bool)
    for i, label in enumerate(labels):
        if selections[label]:
            out[i] = au_masks[i, selections[label]].any(axis=0)
    return out
