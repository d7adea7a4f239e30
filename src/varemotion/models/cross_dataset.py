"""Classifiers scored on another data set's test split, emotions matched by name.

A classifier knows its training data's emotions, another data set has its own. Only the shared
emotions can be scored: test images of an emotion the classifier does not know are left out (and
counted), and the classifier's answer is the shared emotion it finds most probable, so that an
emotion the data set lacks cannot be chosen. How often the classifier would have chosen such an
emotion is reported as well (`share_absent_predictions`), with the accuracy that counts those
choices as errors (`accuracy_all_classes`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score

from varemotion.atomic import write_csv, write_json
from varemotion.data.splits import Split, images_to_float, load_split
from varemotion.device import select_device
from varemotion.models.classifier import load_classifier
from varemotion.models.evaluation import predict_proba

log = logging.getLogger(__name__)

METRIC_COLUMNS = ["classifier", "n_images", "n_left_out", "n_shared_emotions", "accuracy", "macro_f1",
                  "accuracy_all_classes", "share_absent_predictions"]
EMOTION_COLUMNS = ["emotion", "in_classifier", "in_dataset", "n_test_images", "scored"]


@dataclass(frozen=True)
class EmotionMatch:
    """Emotions of a classifier and a data set: the shared ones (in the classifier's order) and each side's own."""

    shared: tuple[str, ...]
    classifier_only: tuple[str, ...]
    dataset_only: tuple[str, ...]


def match_emotions(classifier_emotions, dataset_emotions) -> EmotionMatch:
    """Match emotions by name (case and surrounding spaces ignored)."""
    theirs = {str(e).strip().lower() for e in dataset_emotions}
    ours = {str(e).strip().lower() for e in classifier_emotions}
    return EmotionMatch(
        shared=tuple(e for e in classifier_emotions if str(e).strip().lower() in theirs),
        classifier_only=tuple(e for e in classifier_emotions if str(e).strip().lower() not in theirs),
        dataset_only=tuple(e for e in dataset_emotions if str(e).strip().lower() not in ours),
    )


def present_emotions(labels, dataset_emotions) -> list[str]:
    """The emotions (names of the label indices) that have at least one image, in label order."""
    used = set(np.asarray(labels).tolist())
    return [e for k, e in enumerate(dataset_emotions) if k in used]


def cross_scores(probabilities, labels, classifier_emotions, dataset_emotions) -> tuple[dict, np.ndarray, EmotionMatch]:
    """Metrics (:data:`METRIC_COLUMNS` but `classifier`), the confusion matrix over the shared emotions
    (true × predicted) and the match, for a classifier's probabilities (N, K) of a data set's images
    with labels indexing `dataset_emotions` (an emotion without images counts as missing)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels)
    match = match_emotions(classifier_emotions, present_emotions(labels, dataset_emotions))
    key = [str(e).strip().lower() for e in classifier_emotions]
    columns = [key.index(str(e).strip().lower()) for e in match.shared]
    shared_index = {str(e).strip().lower(): i for i, e in enumerate(match.shared)}
    truth = np.array([shared_index.get(str(dataset_emotions[label]).strip().lower(), -1) for label in labels],
                     dtype=np.int64)
    kept = truth >= 0
    truth, probabilities = truth[kept], probabilities[kept]
    n_shared = len(match.shared)
    confusion = np.zeros((n_shared, n_shared), dtype=np.int64)
    metrics = {"n_images": int(kept.sum()), "n_left_out": int((~kept).sum()), "n_shared_emotions": n_shared,
               "accuracy": np.nan, "macro_f1": np.nan, "accuracy_all_classes": np.nan,
               "share_absent_predictions": np.nan}
    if kept.any() and n_shared:
        predicted = probabilities[:, columns].argmax(axis=1)
        np.add.at(confusion, (truth, predicted), 1)
        unrestricted = probabilities.argmax(axis=1)
        metrics.update(
            accuracy=float((predicted == truth).mean()),
            macro_f1=float(f1_score(truth, predicted, labels=range(n_shared), average="macro", zero_division=0)),
            accuracy_all_classes=float((unrestricted == np.asarray(columns)[truth]).mean()),
            share_absent_predictions=float((~np.isin(unrestricted, columns)).mean()),
        )
    return metrics, confusion, match


def fit_images(split: Split, size, channels: int) -> torch.Tensor:
    """A split's images as float (N, channels, H, W) in [0, 1] at a classifier's input size and channels."""
    images = images_to_float(split.images)
    if images.shape[1] != channels:
        images = images.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1)
    if tuple(images.shape[2:]) != tuple(size):
        images = F.interpolate(images, size=tuple(size), mode="bilinear", antialias=True, align_corners=False)
    return images.contiguous()


def emotion_table(split: Split, classifier_emotions) -> pd.DataFrame:
    """Every emotion of either side: whether the classifiers and the data set have it, its test images, scored or not."""
    match = match_emotions(classifier_emotions, present_emotions(split.labels, split.emotions))
    counts = dict(zip(split.emotions, np.bincount(split.labels, minlength=len(split.emotions)).tolist()))
    rows = [{"emotion": e, "in_classifier": e not in match.dataset_only, "in_dataset": counts.get(e, 0) > 0,
             "n_test_images": counts.get(e, 0), "scored": e in match.shared}
            for e in [*classifier_emotions, *match.dataset_only]]
    return pd.DataFrame(rows, columns=EMOTION_COLUMNS)


def run_cross_dataset(weights_of: dict, test_path, out: dict, gpus: int = 0) -> None:
    """Score each classifier (`weights_of`: name → weight file) on another data set's test split.

    `out`: `metrics` (CSV, :data:`METRIC_COLUMNS`), `confusion` (CSV: classifier, true, predicted,
    count, over the shared emotions), `emotions` (CSV, :data:`EMOTION_COLUMNS`, for the first
    classifier's emotions) and `summary` (JSON: the metrics and the emotions missing on either side).
    """
    device = select_device(gpus)
    split = load_split(test_path)
    metrics, confusions, matches, first = [], [], {}, None
    for name, path in weights_of.items():
        classifier = load_classifier(path)
        config = classifier.config
        first = first or config.emotions
        probabilities = predict_proba(classifier, fit_images(split, config.image_size, config.in_chans), device)
        scores, confusion, match = cross_scores(probabilities, split.labels, config.emotions, split.emotions)
        metrics.append({"classifier": name, **scores})
        matches[name] = match
        confusions += [{"classifier": name, "true": t, "predicted": p, "count": int(confusion[i, j])}
                       for i, t in enumerate(match.shared) for j, p in enumerate(match.shared)]
        log.info("%s: accuracy %.3f, macro-F1 %.3f on %d images of %d shared emotions (%d images of emotions it "
                 "does not know left out)", name, scores["accuracy"], scores["macro_f1"], scores["n_images"],
                 len(match.shared), scores["n_left_out"])
    summary = {"n_test_images": split.n, "dataset_emotions": list(split.emotions),
               "classifiers": {name: {**row, "shared": list(matches[name].shared),
                                      "missing_in_dataset": list(matches[name].classifier_only),
                                      "missing_in_classifier": list(matches[name].dataset_only)}
                               for name, row in zip(weights_of, metrics)}}
    tables = {"metrics": pd.DataFrame(metrics, columns=METRIC_COLUMNS),
              "confusion": pd.DataFrame(confusions, columns=["classifier", "true", "predicted", "count"]),
              "emotions": emotion_table(split, first)}
    for key, table in tables.items():
        write_csv(out[key], table)
    write_json(out["summary"], summary)
