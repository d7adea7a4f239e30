"""Supervised training of a classifier with a cosine schedule and resumable checkpoints."""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from timm.optim import create_optimizer_v2
from tqdm.auto import tqdm

from varemotion.checkpoints import config_fingerprint, load_checkpoint, save_checkpoint
from varemotion.device import mixed_precision
from varemotion.models.augment import augment_batch
from varemotion.models.classifier import Classifier
from varemotion.schedules import warmup_cosine

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (the config's ``train`` section, whose schema gives the
    defaults); every field changes the result. ``labels``: "hard" (majority label) or "soft" (vote
    distribution)."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    warmup_epochs: float
    label_smoothing: float
    labels: str
    augment: bool
    seed: int


@dataclass
class TrainingData:
    """Images in [0, 1] (N, C, H, W) with hard labels and optional soft targets (N, K)."""

    images: torch.Tensor
    labels: torch.Tensor
    soft_labels: torch.Tensor | None = None

    def targets(self, kind: str) -> torch.Tensor:
        if kind == "soft":
            if self.soft_labels is None:
                raise ValueError("labels: 'soft' needs a data set with soft_labels (vote distributions)")
            return self.soft_labels
        return self.labels


def train_classifier(
    classifier: Classifier,
    data: TrainingData,
    config: TrainConfig,
    device: torch.device,
    checkpoint_path: str | Path | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train `classifier` in place and return the per-epoch history (loss, lr).

    Each epoch draws its order and augmentation from a generator seeded by (seed, epoch), and a
    checkpoint is written after every epoch, so a run resumed from a checkpoint ends with the
    same weights as an uninterrupted one (on the CPU).
    """
    classifier.to(device).train()
    optimizer = create_optimizer_v2(classifier, "adamw", lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(data.images) / config.batch_size)
    # warm-up from and cosine decay to 1 % of the peak rate, updated every step
    scheduler = warmup_cosine(optimizer, config.epochs * steps_per_epoch, round(config.warmup_epochs * steps_per_epoch),
                              floor=0.01)
    targets = data.targets(config.labels)
    fingerprint = config_fingerprint({"train": asdict(config), "model": asdict(classifier.config), "n": len(targets)})
    history, start_epoch = [], 0
    state = load_checkpoint(checkpoint_path, fingerprint) if checkpoint_path else None
    if state is not None:
        classifier.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, start_epoch = state["history"], state["epoch"]
        log.info("resumed from %s after epoch %d", checkpoint_path, start_epoch)

    for epoch in range(start_epoch, config.epochs):
        loss = _train_epoch(classifier, data.images, targets, config, epoch, optimizer, scheduler, device, progress)
        history.append({"epoch": epoch + 1, "loss": loss, "lr": optimizer.param_groups[0]["lr"]})
        log.info("epoch %d/%d loss %.4f", epoch + 1, config.epochs, loss)
        if checkpoint_path:
            save_checkpoint(
                checkpoint_path,
                {
                    "fingerprint": fingerprint,
                    "epoch": epoch + 1,
                    "model": classifier.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "history": history,
                },
            )
    return history.copy()


def _train_epoch(classifier, images, targets, config, epoch, optimizer, scheduler, device, progress) -> float:
    """One pass in an order and with augmentation seeded by (seed, epoch); returns the mean loss."""
    generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
    torch.manual_seed(config.seed * 100_003 + epoch)  # for stochastic layers (drop path)
    batches = torch.randperm(len(targets), generator=generator).split(config.batch_size)
    steps_per_epoch = len(batches)
    total = 0.0
    bar = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not progress, leave=False)
    for step, index in enumerate(bar):
        batch = images[index]
        if config.augment:
            batch = augment_batch(batch, generator)
        with mixed_precision(device):
            logits = classifier(batch.to(device))
        loss = F.cross_entropy(logits.float(), targets[index].to(device), label_smoothing=config.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step_update(epoch * steps_per_epoch + step + 1)
        total += loss.item() * len(index)
        bar.set_postfix(loss=f"{loss.item():.3f}")
    return total / len(targets)
