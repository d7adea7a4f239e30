"""Train a classifier on a data set's splits and write its weights, config and metrics."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path

import torch

from varemotion.atomic import write_json
from varemotion.data import Split, load_split
from varemotion.device import select_device
from varemotion.models.classifier import Classifier, ClassifierConfig, load_pretrained_weights, save_classifier
from varemotion.models.evaluation import classification_metrics, predict_proba
from varemotion.models.training import TrainConfig, TrainingData, train_classifier

log = logging.getLogger(__name__)


def build_classifier(
    arch: str, split: Split, kwargs: dict | None = None, weights: str | Path | None = None, seed: int = 0
) -> Classifier:
    """A fresh classifier shaped for `split` (emotions, channels, size), optionally from local weights."""
    config = ClassifierConfig(
        arch=arch,
        emotions=list(split.emotions),
        in_chans=split.channels,
        image_size=list(split.image_size),
        kwargs=dict(kwargs or {}),
    )
    torch.manual_seed(seed)
    classifier = Classifier(config)
    if weights:
        fresh = load_pretrained_weights(classifier, weights)
        log.info("initialised from %s; %d tensors left fresh", weights, len(fresh))
    return classifier


def fit_classifier(
    splits: dict[str, str | Path],
    arch: str,
    outputs: dict[str, str | Path],
    train: dict,
    kwargs: dict | None = None,
    weights: str | Path | None = None,
    checkpoint_path: str | Path | None = None,
    gpus: int = 0,
    progress: bool = True,
) -> dict:
    """Train `arch` on `splits["train"]`, evaluate on val and test, and save everything.

    `splits` maps train/val/test to `.npz` files; `outputs` names the `weights`, `config` and
    `metrics` files; `train` holds `TrainConfig` fields. Returns the metrics.
    """
    device = select_device(gpus)
    data = {name: load_split(path) for name, path in splits.items()}
    train_split = data["train"]
    classifier = build_classifier(arch, train_split, kwargs, weights, seed=train.get("seed", 0))
    train_config = TrainConfig(**train)
    soft = train_split.soft_labels
    started = time.perf_counter()
    history = train_classifier(
        classifier,
        TrainingData(
            images=train_split.images_float(),
            labels=torch.as_tensor(train_split.labels),
            soft_labels=None if soft is None else torch.as_tensor(soft, dtype=torch.float32),
        ),
        train_config,
        device,
        checkpoint_path=checkpoint_path,
        progress=progress,
    )
    metrics = {
        "arch": arch,
        "parameters": sum(p.numel() for p in classifier.parameters()),
        "train": asdict(train_config),
        "train_seconds": round(time.perf_counter() - started, 1),
        "history": history,
    }
    for name in ("val", "test"):
        split = data[name]
        probs = predict_proba(classifier, split.images_float(), device)
        metrics[name] = classification_metrics(probs, split.labels, classifier.config.emotions, split.soft_labels)
        log.info("%s accuracy %.4f", name, metrics[name]["accuracy"])
    save_classifier(classifier.cpu(), outputs["weights"], outputs["config"])
    write_json(outputs["metrics"], metrics)
    if checkpoint_path:
        # The outputs now hold everything; a later forced rerun should train afresh.
        Path(checkpoint_path).unlink(missing_ok=True)
    return metrics
