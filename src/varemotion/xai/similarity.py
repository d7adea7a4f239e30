"""How close a model's saliency map is to the human attention map of the same face.

:func:`map_similarity` scores each face's pair of maps over the pixels of the face (``masks``; the
whole image without them): background pixels, which neither people nor models attend to, would
otherwise make any two maps look alike. :func:`shuffled_similarity` is the baseline: the same
model map against the human maps of the *other* faces of the same emotion. A model map that is
closer to its own face's human map than to those shows more than where faces of that expression
usually draw attention.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.stats
from sklearn.metrics import roc_auc_score

#: Shares of the human map's highest pixels taken as positives for the AUC of :func:`map_similarity`.
AUC_TOP_SHARES = (0.05, 0.1, 0.2, 0.3)
SCORES = ("spearman", "pearson", "auc")
SHUFFLED_COLUMNS = [f"{score}_shuffled" for score in SCORES]


def _threshold_auc(model: np.ndarray, human: np.ndarray, top_shares) -> float:
    """Mean ROC AUC of the model map at finding the human map's top pixels, over ``top_shares``."""
    scores = []
    for share in top_shares:
        threshold = np.quantile(human, 1.0 - share)
        # Where the quantile is the map's minimum (ties at the bottom), ">=" would mark every pixel.
        positives = human >= threshold if threshold > human.min() else human > threshold
        scores.append(roc_auc_score(positives, model))
    return float(np.mean(scores))


def pixel_scores(model: np.ndarray, human: np.ndarray, top_shares=AUC_TOP_SHARES) -> dict:
    """Spearman, Pearson and AUC of two maps' pixels (1-D); NaN when either is constant."""
    if np.ptp(model) == 0 or np.ptp(human) == 0:
        return dict.fromkeys(SCORES, np.nan)
    return {"spearman": float(scipy.stats.spearmanr(model, human).statistic),
            "pearson": float(scipy.stats.pearsonr(model, human).statistic),
            "auc": _threshold_auc(model, human, top_shares)}


def _checked(model_maps, human_maps, stimulus_ids, masks):
    model, human = np.asarray(model_maps, dtype=float), np.asarray(human_maps, dtype=float)
    ids = [str(s) for s in stimulus_ids]
    if model.ndim != 3 or model.shape != human.shape or len(ids) != len(model):
        raise ValueError(f"model_maps {model.shape} and human_maps {human.shape} must both be (S, H, W)"
                         f" with S = {len(ids)} stimulus ids")
    if not (np.isfinite(model).all() and np.isfinite(human).all()):
        raise ValueError("maps hold NaN or infinite values (expected finite numbers)")
    masks = np.ones(model.shape, dtype=bool) if masks is None else np.asarray(masks, dtype=bool)
    if masks.shape != model.shape:
        raise ValueError(f"masks have shape {masks.shape}, expected the maps' {model.shape}")
    return model, human, ids, masks


def map_similarity(model_maps, human_maps, stimulus_ids, top_shares=AUC_TOP_SHARES, masks=None) -> pd.DataFrame:
    """One row per image: stimulus_id, spearman, pearson, auc of a model's map against the human map.

    The scores use the pixels of ``masks`` (S, H, W), every pixel without. spearman and pearson
    are scipy.stats correlations over those pixels. auc is the mean over ``top_shares`` q of the
    ROC AUC with which the model map's values pick out the human map's top-q pixels: those at or
    above its (1 − q) quantile, or above it where that quantile is the map's minimum. All three
    are NaN when either map is constant there.
    """
    model, human, ids, masks = _checked(model_maps, human_maps, stimulus_ids, masks)
    rows = [{"stimulus_id": s, **pixel_scores(model[i][masks[i]], human[i][masks[i]], top_shares)}
            for i, s in enumerate(ids)]
    return pd.DataFrame(rows, columns=["stimulus_id", *SCORES])


def shuffled_similarity(model_maps, human_maps, stimulus_ids, labels, masks=None,
                        top_shares=AUC_TOP_SHARES) -> pd.DataFrame:
    """Per image: the mean scores of its model map against the human maps of the other images with its label.

    Pixels are those in both images' masks. Columns stimulus_id, :data:`SHUFFLED_COLUMNS` and
    n_shuffled (the number of other images; NaN scores without any).
    """
    model, human, ids, masks = _checked(model_maps, human_maps, stimulus_ids, masks)
    labels = np.asarray(labels)
    rows = []
    for i, stimulus in enumerate(ids):
        others = np.flatnonzero((labels == labels[i]) & (np.arange(len(ids)) != i))
        scores = pd.DataFrame([pixel_scores(model[i][masks[i] & masks[j]], human[j][masks[i] & masks[j]], top_shares)
                               for j in others], columns=list(SCORES))
        rows.append({"stimulus_id": stimulus, **{f"{c}_shuffled": scores[c].mean() for c in SCORES},
                     "n_shuffled": len(others)})
    return pd.DataFrame(rows, columns=["stimulus_id", *SHUFFLED_COLUMNS, "n_shuffled"])
