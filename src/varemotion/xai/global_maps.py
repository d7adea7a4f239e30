"""Global explanation maps: one per (classifier, method, emotion), as in Gaya-Morey et al. (2024).

For each classifier and emotion, up to N images predicted as that emotion (most confident first)
are explained locally, their maps are warped onto a common face template, averaged and stretched
to [0, 1]. Each global map is then Otsu-thresholded and scored against the emotion's true facial
regions, and the classifiers' maps of an emotion are compared by normalised correlation.

Global maps live in a dict keyed by ``(classifier, method, emotion)`` holding (H, W) float arrays.
:func:`save_global_maps` writes them, with the number of images behind each, to one ``.npz``:

- ``maps``: float32 (M, H, W), the M maps in key order;
- ``classifier``, ``method``, ``emotion``: unicode (M,), the key of each map;
- ``n_images``: int64 (M,), the number of images averaged into each map.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.atomic import write_atomically
from varemotion.data.errors import DataError
from varemotion.xai.metrics import SCORES, mask_scores, min_max, normalised_correlation, otsu_mask

Key = tuple[str, str, str]
SCORE_COLUMNS = ("classifier", "method", "emotion", "pretrained", "n_images", *SCORES)
CORRELATION_COLUMNS = ("emotion", "a", "b", "correlation")
SUMMARY_COLUMNS = ("level", "method", "classifier", "emotion", "pretrained", "n_maps", *SCORES)
#: Placeholder of a summary column that a level averages over.
ALL = "all"
_NPZ_KEYS = ("maps", "classifier", "method", "emotion", "n_images")


def select_by_prediction(probabilities, n_per_class: int, emotions: Sequence[str]) -> dict[str, np.ndarray]:
    """For each emotion, the indices of up to ``n_per_class`` images predicted as it, most confident first.

    ``probabilities`` is (N, K) with column k the probability of ``emotions[k]``; an image is
    predicted as its arg-max class. Ties in confidence keep the image order. Every emotion is a key
    (an empty int64 array when no image is predicted as it).
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape[1] != len(emotions):
        raise ValueError(f"probabilities must be (N, {len(emotions)}) for emotions {list(emotions)}, "
                         f"got shape {probabilities.shape}")
    if n_per_class < 0:
        raise ValueError(f"n_per_class must be 0 or more, got {n_per_class}")
    predicted = probabilities.argmax(axis=1)
    chosen = {}
    for k, emotion in enumerate(emotions):
        members = np.flatnonzero(predicted == k)
        order = np.argsort(-probabilities[members, k], kind="stable")
        chosen[str(emotion)] = members[order][:n_per_class].astype(np.int64)
    return chosen


def global_map(warped_maps) -> np.ndarray:
    """The mean of (n, H, W) warped local maps, min–max stretched to [0, 1] (a constant mean gives zeros)."""
    maps = np.asarray(warped_maps, dtype=np.float64)
    if maps.ndim != 3 or maps.shape[0] == 0:
        raise ValueError(f"global_map needs a non-empty (n, H, W) stack of maps, got shape {maps.shape}")
    if not np.isfinite(maps).all():
        raise ValueError("the warped maps hold non-finite values (expected numbers)")
    return min_max(maps.mean(axis=0)).astype(np.float32)


def score_global_maps(global_maps: Mapping[Key, np.ndarray], truth: Mapping[str, np.ndarray],
                      pretrained: Mapping[str, bool] | None = None,
                      n_images: Mapping[Key, int] | None = None) -> pd.DataFrame:
    """IoU, F1, precision and recall of each global map's Otsu mask against its emotion's true mask.

    Maps of emotions without a true mask are skipped. ``pretrained`` (classifier → bool) and
    ``n_images`` (same keys as the maps) fill their columns when given, else they stay empty.
    Columns :data:`SCORE_COLUMNS`, one row per scored map.
    """
    rows = []
    for key, values in global_maps.items():
        classifier, method, emotion = key
        if emotion not in truth:
            continue
        mask = np.asarray(truth[emotion])
        if mask.shape != np.shape(values):
            raise ValueError(f"the true mask of {emotion} has shape {mask.shape} but the global map of "
                             f"{classifier}/{method}/{emotion} {np.shape(values)}")
        rows.append({"classifier": classifier, "method": method, "emotion": emotion,
                     "pretrained": None if pretrained is None else pretrained.get(classifier),
                     "n_images": np.nan if n_images is None else n_images.get(key, np.nan),
                     **mask_scores(otsu_mask(values), mask.astype(bool))})
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def network_correlations(global_maps: Mapping[Key, np.ndarray], method: str) -> pd.DataFrame:
    """For one method and each emotion, the normalised correlation of every pair of classifiers' maps.

    Columns :data:`CORRELATION_COLUMNS`; ``a`` comes before ``b`` in the order the maps are given.
    """
    by_emotion: dict[str, dict[str, np.ndarray]] = {}
    for (classifier, of_method, emotion), values in global_maps.items():
        if of_method == method:
            by_emotion.setdefault(emotion, {})[classifier] = values
    rows = [{"emotion": emotion, "a": a, "b": b, "correlation": normalised_correlation(maps[a], maps[b])}
            for emotion, maps in by_emotion.items() for a, b in combinations(maps, 2)]
    return pd.DataFrame(rows, columns=list(CORRELATION_COLUMNS))


def iou_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean scores of the global maps per method, and per (method, classifier | emotion | pretrained).

    ``level`` names the grouping; a column the level averages over holds :data:`ALL`
    (``pretrained`` stays empty outside its level, and that level is left out when no
    classifier's pre-training is known). Means skip nan scores; ``n_maps`` counts the maps.
    Columns :data:`SUMMARY_COLUMNS`.
    """
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"the scores table lacks column(s) {', '.join(missing)} (needs {', '.join(SCORE_COLUMNS)})")
    parts = []
    for level, keys in (("method", ["method"]), ("classifier", ["method", "classifier"]),
                        ("emotion", ["method", "emotion"]), ("pretrained", ["method", "pretrained"])):
        rows = scores[scores["pretrained"].notna()] if level == "pretrained" else scores
        if rows.empty:
            continue
        means = rows.groupby(keys, sort=False)[list(SCORES)].mean()
        means["n_maps"] = rows.groupby(keys, sort=False).size()
        means = means.reset_index()
        for column in ("classifier", "emotion"):
            if column not in keys:
                means[column] = ALL
        if level != "pretrained":
            means["pretrained"] = None
        parts.append(means.assign(level=level))
    if not parts:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(SUMMARY_COLUMNS)]


def save_global_maps(path: str | os.PathLike[str], maps: Mapping[Key, np.ndarray], n_images: Mapping[Key, int]) -> Path:
    """Write the global maps and their image counts to one ``.npz`` (layout in the module doc), atomically."""
    keys = list(maps)
    if not keys:
        raise ValueError(f"no global maps to save to {path}")
    shapes = {np.shape(maps[key]) for key in keys}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"global maps must all be 2-D of one shape, got shapes {sorted(shapes)}")
    absent = [key for key in keys if key not in n_images]
    if absent:
        raise ValueError(f"n_images lacks the count of {len(absent)} map(s), e.g. {absent[0]}")
    arrays = {
        "maps": np.stack([np.asarray(maps[key], dtype=np.float32) for key in keys]),
        **{field: np.array([str(key[i]) for key in keys], dtype=str)
           for i, field in enumerate(("classifier", "method", "emotion"))},
        "n_images": np.array([int(n_images[key]) for key in keys], dtype=np.int64),
    }
    return write_atomically(path, lambda handle: np.savez_compressed(handle, **arrays))


def load_global_maps(path: str | os.PathLike[str]) -> tuple[dict[Key, np.ndarray], dict[Key, int]]:
    """Read a file of :func:`save_global_maps`: the maps and image counts keyed by (classifier, method, emotion)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as error:
        raise DataError(path, f"cannot be read as a .npz file of global maps ({error})") from error
    missing = [name for name in _NPZ_KEYS if name not in arrays]
    if missing:
        raise DataError(path, f"lacks the array(s) {', '.join(missing)}", expected=f"arrays {', '.join(_NPZ_KEYS)}")
    maps = arrays["maps"]
    if maps.ndim != 3:
        raise DataError(path, f"holds maps of shape {maps.shape}", column="maps", expected="(M, H, W)")
    for name in _NPZ_KEYS[1:]:
        if arrays[name].shape != (len(maps),):
            raise DataError(path, f"holds {arrays[name].shape} entries for {len(maps)} maps", column=name,
                            expected=f"shape ({len(maps)},)")
    keys = [tuple(str(arrays[field][i]) for field in ("classifier", "method", "emotion")) for i in range(len(maps))]
    return ({key: maps[i] for i, key in enumerate(keys)},
            {key: int(arrays["n_images"][i]) for i, key in enumerate(keys)})
