"""Predictions and classification metrics of a trained classifier."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import entropy
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

from varemotion.models.classifier import Classifier


@torch.no_grad()
def predict_logits(
    classifier: Classifier, images: torch.Tensor, device: torch.device, batch_size: int = 512
) -> np.ndarray:
    """Logits (N, K) for images (N, C, H, W) in [0, 1]."""
    classifier.to(device).eval()
    chunks = [classifier(batch.to(device)).float().cpu() for batch in images.split(batch_size)]
    return torch.cat(chunks).numpy()


def predict_proba(
    classifier: Classifier, images: torch.Tensor, device: torch.device, batch_size: int = 512
) -> np.ndarray:
    """Softmax probabilities (N, K) for images (N, C, H, W) in [0, 1]."""
    return torch.softmax(torch.from_numpy(predict_logits(classifier, images, device, batch_size)), dim=1).numpy()


def classification_metrics(
    probs: np.ndarray, labels: np.ndarray, emotions: list[str], soft_labels: np.ndarray | None = None
) -> dict:
    """Accuracy, macro-F1, per-class recall and confusion matrix against hard labels.

    With soft labels (vote distributions) also the mean cross-entropy to the votes and the mean
    entropies (bits) of model and votes.
    """
    classes = list(range(len(emotions)))
    predicted = probs.argmax(axis=1)
    recall = recall_score(labels, predicted, labels=classes, average=None, zero_division=0)
    metrics = {
        "n": int(len(labels)),
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_f1": float(f1_score(labels, predicted, labels=classes, average="macro", zero_division=0)),
        "per_class_recall": {emotion: float(r) for emotion, r in zip(emotions, recall)},
        "confusion_matrix": confusion_matrix(labels, predicted, labels=classes).tolist(),
        "emotions": list(emotions),
        "mean_model_entropy_bits": float(entropy(probs, base=2, axis=1).mean()),
    }
    if soft_labels is not None:
        log_probs = np.log(np.clip(probs, 1e-12, None))
        metrics["soft_cross_entropy"] = float(-(soft_labels * log_probs).sum(axis=1).mean())
        metrics["mean_vote_entropy_bits"] = float(entropy(soft_labels, base=2, axis=1).mean())
    return metrics
