"""The group model: a base classifier fine-tuned (all layers) on everyone's training trials.

Each epoch mixes human items with items of the original training set at ``ratio`` (human :
original, default 1:1). Human items are single trials (image and that person's response,
one-hot, or a shared trial's weights) or, with ``soft``, one item per rated image whose target is
the share of each response among its training trials. The best epoch is chosen by the NLL of the
validation trials.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from varemotion.alignment.mixing import mixed_epoch
from varemotion.alignment.training import (
    FinetuneResult,
    FinetuneSettings,
    Items,
    Validation,
    train_module,
)
from varemotion.alignment.trials import HumanTrials, response_distributions
from varemotion.models.classifier import Classifier


def one_hot(labels, n_classes: int) -> torch.Tensor:
    return F.one_hot(torch.as_tensor(np.array(labels), dtype=torch.long), n_classes).float()


def human_items(human: HumanTrials, n_images: int, soft: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Input rows and targets of the training part: one per trial, or one per image with ``soft``."""
    train = human.part("train")
    k = len(human.emotions)
    if soft:
        rated, shares = response_distributions(train, n_images, k, human.targets_of(train))
        return torch.as_tensor(rated), torch.as_tensor(shares, dtype=torch.float32)
    rows = torch.as_tensor(train["image"].to_numpy().copy())
    if human.targets is not None:
        return rows, torch.as_tensor(human.targets_of(train), dtype=torch.float32)
    return rows, one_hot(train["label"], k)


def validation_trials(human: HumanTrials, subject: str | None = None) -> Validation:
    """The validation part (of one subject, or everyone's): input rows and response indices (shared trials: weights)."""
    rows = human.part("validation")
    if subject is not None:
        rows = rows[rows["subject_id"] == subject]
    inputs = torch.as_tensor(rows["image"].to_numpy().copy())
    if human.targets is not None:
        return Validation(inputs, torch.as_tensor(human.targets_of(rows), dtype=torch.float32))
    return Validation(inputs, torch.as_tensor(rows["label"].to_numpy().copy()))


def mixed_items(stimuli: torch.Tensor, human_rows: torch.Tensor, human_targets: torch.Tensor,
                original: torch.Tensor, original_labels, n_classes: int) -> tuple[Items, np.ndarray, np.ndarray]:
    """Items over the inputs [stimuli; original] and the item indices of the human and original pools."""
    n_human, n_original = len(human_rows), len(original)
    items = Items(
        inputs=torch.cat([stimuli, original]),
        input_index=torch.cat([human_rows, len(stimuli) + torch.arange(n_original)]),
        targets=torch.cat([human_targets, one_hot(original_labels, n_classes)]),
    )
    return items, np.arange(n_human), n_human + np.arange(n_original)


def finetune_group(
    base: Classifier, stimuli: torch.Tensor, human: HumanTrials, original: torch.Tensor, original_labels,
    settings: FinetuneSettings, ratio: Sequence[float] = (1, 1), soft: bool = False,
    device: torch.device | str = "cpu",
) -> tuple[Classifier, FinetuneResult]:
    """A copy of ``base`` fine-tuned on ``human``'s training trials mixed with ``original`` images.

    ``stimuli`` and ``original`` are float images in [0, 1]; ``human.table["image"]`` indexes
    ``stimuli``. Returns the best epoch's model (on the CPU) and the training result.
    """
    k = len(human.emotions)
    rows, targets = human_items(human, len(stimuli), soft)
    items, human_pool, original_pool = mixed_items(stimuli, rows, targets, original, original_labels, k)

    def epoch_items(epoch: int) -> np.ndarray:
        rng = np.random.default_rng([settings.seed, epoch])
        return mixed_epoch([human_pool, original_pool], ratio, settings.samples_per_epoch, rng)

    model = copy.deepcopy(base)
    trainable = [name for name, _ in model.named_parameters()]
    result = train_module(model, trainable, items, epoch_items, validation_trials(human), settings, device)
    return model.cpu().eval(), result
