"""Individual models: from the group model, one per participant with enough training trials.

Each epoch of participant p mixes p's own training trials, everyone's training trials and the
original training set at ``ratio`` (default 2 : 1 : 1). All participants train at once
(:func:`~varemotion.alignment.training.train_stacked`); ``batched=False`` trains them one after
the other with :func:`~varemotion.alignment.training.train_module` on the same items, which is
what the batched path must reproduce.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch

from varemotion.alignment.group import human_items, mixed_items, validation_trials
from varemotion.alignment.mixing import mixed_epoch
from varemotion.alignment.models import (
    IndividualModels,
    stacked_copies,
    trainable_names,
    trunk_features,
)
from varemotion.alignment.training import (
    FinetuneResult,
    FinetuneSettings,
    train_module,
    train_stacked,
)
from varemotion.alignment.trials import HumanTrials
from varemotion.models.classifier import Classifier


def eligible_subjects(human: HumanTrials, min_train_trials: int) -> list[str]:
    """Subjects with at least ``min_train_trials`` trials marked is_train."""
    counts = human.training_counts()
    return [s for s in counts.index if counts[s] >= min_train_trials]


def train_individual_models(
    group: Classifier, stimuli: torch.Tensor, human: HumanTrials, original: torch.Tensor, original_labels,
    settings: FinetuneSettings, ratio: Sequence[float] = (2, 1, 1), min_train_trials: int = 100,
    trainable: str = "head", batched: bool = True, device: torch.device | str = "cpu",
    subjects: Sequence[str] | None = None,
) -> tuple[IndividualModels, FinetuneResult]:
    """Train one model per eligible subject (or per given ``subjects``) from ``group``.

    Raises ValueError when no subject has ``min_train_trials`` training trials.
    """
    subjects = list(subjects) if subjects is not None else eligible_subjects(human, min_train_trials)
    if not subjects:
        raise ValueError(f"no participant has {min_train_trials} training trials (alignment.individual.min_train_trials)")
    names = trainable_names(group, trainable)
    rows, targets = human_items(human, len(stimuli), soft=False)
    inputs = torch.cat([stimuli, original])
    if trainable == "head":
        inputs = trunk_features(group, inputs, device).cpu()
    items, group_pool, original_pool = mixed_items(inputs[: len(stimuli)], rows, targets, inputs[len(stimuli):],
                                                  original_labels, len(human.emotions))
    train_subjects = human.part("train")["subject_id"].to_numpy()
    own_pools = [group_pool[train_subjects == s] for s in subjects]

    def epoch_items(epoch: int) -> np.ndarray:
        return np.stack([
            mixed_epoch([own, group_pool, original_pool], ratio, settings.samples_per_epoch,
                        np.random.default_rng([settings.seed, p, epoch]))
            for p, own in enumerate(own_pools)
        ])

    validations = [validation_trials(human, s) for s in subjects]
    module = group.head() if trainable == "head" else group
    if batched:
        params, buffers = stacked_copies(group, names, len(subjects), buffers=trainable == "all")
        result = train_stacked(copy.deepcopy(module), params, buffers, items, epoch_items, validations, settings, device)
        state = {name: tensor.cpu() for name, tensor in result.state.items()}
    else:
        result, state = _train_one_by_one(module, names, items, epoch_items, validations, settings, device, trainable)
    return IndividualModels(subjects, trainable, state, copy.deepcopy(group).cpu().eval()), result


def _train_one_by_one(module, names, items, epoch_items, validations, settings, device, trainable):
    results = []
    for p, validation in enumerate(validations):
        own = copy.deepcopy(module)
        results.append(train_module(own, names, items, lambda epoch, p=p: epoch_items(epoch)[p], validation,
                                    settings, device))
    keep = names + ([n for n, _ in module.named_buffers()] if trainable == "all" else [])
    state = {name: torch.stack([r.state[name].cpu() for r in results]) for name in keep}
    history = [{"epoch": e, "loss": float(np.mean([r.history[e]["loss"] for r in results])),
                "validation_nll": float(np.nanmean([r.history[e]["validation_nll"] for r in results]))}
               for e in range(len(results[0].history))]
    return FinetuneResult(state, np.array([r.best_epoch for r in results]), history), state
