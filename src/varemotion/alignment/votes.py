"""Group fine-tuning on real vote distributions (FER+): does the model's uncertainty come to match people's?

A classifier trained on majority labels is fine-tuned, all layers, on the training split's vote
distributions (soft labels: the share of the 10 crowd votes for each emotion). Before and after,
Spearman ρ between the model's entropy and the vote entropy is measured on the test split, with
the statistics stage's bootstrap CI and permutation p (:mod:`varemotion.stats.votes`).
"""

from __future__ import annotations

import copy
from dataclasses import asdict

import numpy as np
import pandas as pd
import torch

from varemotion.data.splits import Split
from varemotion.models.classifier import Classifier
from varemotion.models.evaluation import classification_metrics, predict_proba
from varemotion.models.training import TrainConfig, TrainingData, train_classifier
from varemotion.stats.correlation import correlation_table
from varemotion.stats.votes import vote_entropy_table


def finetune_on_votes(base: Classifier, train: Split, settings: TrainConfig, device) -> Classifier:
    """A copy of ``base`` trained further on ``train``'s soft labels (``settings.labels`` is forced to 'soft')."""
    if train.soft_labels is None:
        raise ValueError("fine-tuning on votes needs a split with soft labels (the ferplus source)")
    model = copy.deepcopy(base)
    data = TrainingData(train.images_float(), torch.as_tensor(train.labels),
                        torch.as_tensor(train.soft_labels, dtype=torch.float32))
    train_classifier(model, data, TrainConfig(**{**asdict(settings), "labels": "soft"}), device, progress=False)
    return model.cpu().eval()


def vote_alignment(models: dict[str, Classifier], test: Split, stats: dict, device) -> tuple[pd.DataFrame, dict]:
    """ρ(model entropy, vote entropy) per model on ``test`` and each model's classification metrics.

    ``stats`` is the statistics stage's section: images with at least ``min_ratings`` votes, and
    its ``n_resamples``, ``confidence`` and ``seed``, as the vote statistics of the base classifiers use.
    """
    probabilities = {name: predict_proba(model, test.images_float(), device) for name, model in models.items()}
    table = vote_entropy_table(test, probabilities, min_votes=stats["min_ratings"])
    correlations = correlation_table(table, list(models), ["spearman"], n_resamples=stats["n_resamples"],
                                     confidence=stats["confidence"], seed=stats["seed"])
    metrics = {name: classification_metrics(p, test.labels, list(test.emotions), test.soft_labels)
               for name, p in probabilities.items()}
    return correlations, {name: {k: m[k] for k in ("accuracy", "macro_f1", "soft_cross_entropy",
                                                   "mean_model_entropy_bits", "mean_vote_entropy_bits")}
                          for name, m in metrics.items()} | {"n_test": int(np.asarray(test.labels).size)}
