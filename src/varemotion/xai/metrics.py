"""Comparing saliency maps: Otsu masks against true regions, and maps against one another.

Mask scores count pixels: true positives TP (predicted and true), false positives FP (predicted,
not true) and false negatives FN (true, not predicted)::

    precision = TP / (TP + FP)       nan when nothing is predicted
    recall    = TP / (TP + FN)       nan when the true mask is empty
    IoU       = TP / (TP + FP + FN)  nan when both masks are empty
    F1        = 2 TP / (2 TP + FP + FN)  nan when both masks are empty

so an empty prediction against a non-empty truth scores IoU = F1 = recall = 0 and precision nan,
and a score is never invented for a comparison that has nothing to count.

Maps are compared by their normalised (Pearson) correlation over pixels, and grouped by average
linkage on the distance 1 − correlation, as Gaya-Morey et al. (2024) compare networks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.cluster.hierarchy
import scipy.spatial.distance
from skimage.filters import threshold_otsu

SCORES = ("iou", "f1", "precision", "recall")


def min_max(maps) -> np.ndarray:
    """Each map (..., H, W) stretched to [0, 1] over its pixels; a constant map becomes all zeros.

    Float maps are stretched in their own precision (float32 stays float32), other numbers in float64.
    """
    maps = np.asarray(maps)
    if not np.issubdtype(maps.dtype, np.floating):
        maps = maps.astype(np.float64)
    low = maps.min(axis=(-2, -1), keepdims=True)
    span = maps.max(axis=(-2, -1), keepdims=True) - low
    return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1), 0).astype(maps.dtype)


def _map(values, name: str = "map") -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds {int((~np.isfinite(array)).sum())} non-finite value(s) (expected numbers)")
    return array


def otsu_mask(saliency) -> np.ndarray:
    """The pixels above the map's Otsu threshold, as a bool (H, W) mask; a constant map gives all False.

    The threshold is found over the map's distinct values rather than a 256-bin histogram: with
    bins, skimage returns the centre of the last background bin, so ``map > threshold`` would
    split that bin and put some background pixels in the mask.
    """
    values = _map(saliency)
    if values.max() == values.min():
        return np.zeros(values.shape, dtype=bool)
    levels, counts = np.unique(values, return_counts=True)
    return values > threshold_otsu(hist=(counts, levels))


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def mask_scores(predicted, truth) -> dict[str, float]:
    """IoU, F1, precision and recall of a predicted bool mask against a true one (nan rules in the module doc)."""
    predicted, truth = np.asarray(predicted), np.asarray(truth)
    for name, mask in (("predicted", predicted), ("truth", truth)):
        if mask.dtype != bool:
            raise ValueError(f"the {name} mask must be a bool array, got dtype {mask.dtype}")
    if predicted.shape != truth.shape:
        raise ValueError(f"the predicted mask has shape {predicted.shape} but the true mask {truth.shape}")
    tp = int(np.count_nonzero(predicted & truth))
    fp = int(np.count_nonzero(predicted & ~truth))
    fn = int(np.count_nonzero(~predicted & truth))
    return {"iou": _ratio(tp, tp + fp + fn), "f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}


def _unit_rows(stack: np.ndarray) -> np.ndarray:
    """Each row centred to mean 0 and scaled to norm 1; a constant row becomes nan."""
    centred = stack - stack.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, centred / norms, np.nan)


def normalised_correlation(a, b) -> float:
    """The dot product of the two maps after centring each to mean 0 and scaling to norm 1 (nan if one is constant)."""
    a, b = _map(a, "the first map"), _map(b, "the second map")
    if a.shape != b.shape:
        raise ValueError(f"the maps differ in shape: {a.shape} and {b.shape}")
    unit = _unit_rows(np.stack([a.ravel(), b.ravel()]))
    return float(np.clip(unit[0] @ unit[1], -1.0, 1.0))


def correlation_matrix(maps: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Normalised correlation of every pair of named (H, W) maps, as a square table indexed by name."""
    names = [str(name) for name in maps]
    if not names:
        raise ValueError("correlation_matrix needs at least one map")
    arrays = [_map(maps[name], f"map {name!r}") for name in maps]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"the maps differ in shape: {', '.join(f'{n!r} {a.shape}' for n, a in zip(names, arrays))}")
    unit = _unit_rows(np.stack([a.ravel() for a in arrays]))
    matrix = np.clip(unit @ unit.T, -1.0, 1.0)
    return pd.DataFrame(matrix, index=names, columns=names)


def dendrogram_linkage(matrix: pd.DataFrame) -> np.ndarray:
    """Average-linkage clustering (scipy) of the maps of a correlation matrix on the distance 1 − correlation."""
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] != values.shape[1] or values.shape[0] < 2:
        raise ValueError(f"a dendrogram needs a square correlation matrix of at least 2 maps, got shape {values.shape}")
    if not np.isfinite(values).all():
        constant = ~np.isfinite(np.diag(values))  # a constant map has no correlation, not even with itself
        rows = np.flatnonzero(constant) if constant.any() else np.argwhere(~np.isfinite(values))[:, 0]
        bad = sorted({str(matrix.index[i]) for i in rows})
        raise ValueError(f"the correlations of {', '.join(bad)} are undefined (expected maps that are not constant)")
    distance = np.clip(1.0 - (values + values.T) / 2.0, 0.0, None)  # rounding may leave tiny negatives
    np.fill_diagonal(distance, 0.0)
    condensed = scipy.spatial.distance.squareform(distance, checks=False)
    return scipy.cluster.hierarchy.linkage(condensed, method="average")
