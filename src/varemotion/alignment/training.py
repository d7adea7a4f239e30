"""Fine-tuning on mixed items, one model at a time or many models at once.

An *item* is one training example: a row of a shared input tensor (an image, or a feature map
when only the head is trained) and a target distribution over the emotions (one-hot for a single
trial, the response shares for soft labels); the loss is the cross-entropy with those
probability targets. Each epoch draws its items from a callable, so that
the mixing of pools (:mod:`varemotion.alignment.mixing`) stays outside the training loop.

:func:`train_module` trains one `nn.Module`. :func:`train_stacked` trains P copies of one
architecture with different weights together: the weights are stacked along a new first
dimension and the model is called through :func:`torch.func.functional_call` under
:func:`torch.func.vmap`, so every step is one call for all P models. Adam is elementwise, so Adam
on the stacked tensors takes exactly the step each model would take alone, and the loss is the sum
of the P models' mean losses; given the same items, both functions give the same weights up to
floating-point noise. Both keep the weights of the epoch with the lowest validation loss (epoch 0,
the starting point, included).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneSettings:
    """Adam fine-tuning: epochs of ``samples_per_epoch`` items in batches of ``batch_size`` (an
    ``alignment.group`` or ``alignment.individual`` section, whose schema gives the defaults)."""

    epochs: int
    batch_size: int
    lr: float
    samples_per_epoch: int
    seed: int

    @classmethod
    def from_config(cls, settings: dict) -> "FinetuneSettings":
        """The settings of an ``alignment.group`` / ``alignment.individual`` section (with the stage's seed)."""
        return cls(**{k: settings[k] for k in ("epochs", "batch_size", "lr", "samples_per_epoch", "seed")})


@dataclass
class Items:
    """Training items: ``inputs`` (N, ...) shared by all items, ``input_index`` (M,) and ``targets`` (M, K)."""

    inputs: torch.Tensor
    input_index: torch.Tensor
    targets: torch.Tensor

    def to(self, device) -> Items:
        return Items(self.inputs.to(device), self.input_index.to(device), self.targets.to(device))


@dataclass
class Validation:
    """Held-out trials for choosing the best epoch: input rows and the response given (class index,
    or a trial's weight on each class)."""

    input_index: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class FinetuneResult:
    """The best epoch's trainable weights (and buffers) and the per-epoch history."""

    state: dict[str, torch.Tensor]
    best_epoch: int | np.ndarray
    history: list[dict]


def _steps(n: int, batch_size: int) -> list[slice]:
    return [slice(start, start + batch_size) for start in range(0, n, batch_size)]


def _validation_loss(logits: torch.Tensor, rows: torch.Tensor, validation: Validation) -> float:
    """Mean negative log-likelihood of the responses, from logits of the unique validation inputs."""
    if not len(validation):
        return float("nan")
    position = torch.searchsorted(rows, validation.input_index.to(rows.device))
    return float(F.cross_entropy(logits[position], validation.labels.to(logits.device)))


def _is_better(loss: float, best: float) -> bool:
    return math.isnan(loss) or loss < best


def train_module(
    module: nn.Module, trainable: Sequence[str], items: Items, epoch_items: Callable[[int], np.ndarray],
    validation: Validation, settings: FinetuneSettings, device: torch.device | str = "cpu",
) -> FinetuneResult:
    """Train the named parameters of ``module`` in place and load the best epoch's weights into it.

    ``epoch_items(epoch)`` gives that epoch's item indices in order. Validation loss (mean NLL
    of the validation responses) decides the best epoch; without validation trials the last one.
    """
    device = torch.device(device)
    module.to(device)
    items = items.to(device)
    named = dict(module.named_parameters())
    for name, parameter in named.items():
        parameter.requires_grad_(name in trainable)
    optimizer = torch.optim.Adam([named[n] for n in trainable], lr=settings.lr)
    rows = torch.unique(validation.input_index).to(device)

    def evaluate() -> float:
        module.eval()
        with torch.no_grad():
            return _validation_loss(module(items.inputs[rows]), rows, validation)

    def snapshot() -> dict[str, torch.Tensor]:
        state = module.state_dict()
        keep = set(trainable) | {name for name, _ in module.named_buffers()}
        return {name: state[name].detach().clone() for name in keep}

    best_loss, best_epoch, best_state = evaluate(), 0, snapshot()
    history = [{"epoch": 0, "loss": float("nan"), "validation_nll": best_loss}]
    for epoch in range(settings.epochs):
        module.train()
        order = torch.as_tensor(epoch_items(epoch), dtype=torch.long, device=device)
        total = 0.0
        for step in _steps(len(order), settings.batch_size):
            batch = order[step]
            loss = F.cross_entropy(module(items.inputs[items.input_index[batch]]), items.targets[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        validation_loss = evaluate()
        history.append({"epoch": epoch + 1, "loss": total / max(len(order), 1), "validation_nll": validation_loss})
        if _is_better(validation_loss, best_loss):
            best_loss, best_epoch, best_state = validation_loss, epoch + 1, snapshot()
        log.debug("epoch %d loss %.4f validation %.4f", epoch + 1, history[-1]["loss"], validation_loss)
    module.load_state_dict(best_state, strict=False)
    return FinetuneResult(state=best_state, best_epoch=best_epoch, history=history)


def _train_epoch(batched_loss: Callable, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor],
                 items: Items, order: torch.Tensor, batch_size: int, optimizer: torch.optim.Optimizer) -> float:
    """One pass of every model over its row of `order`; the summed loss over the epoch's trials."""
    total = 0.0
    for step in _steps(order.shape[1], batch_size):
        batch = order[:, step]
        losses = batched_loss(params, buffers, items.inputs[items.input_index[batch]], items.targets[batch])
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        optimizer.step()
        total += losses.sum().item() * batch.shape[1]
    return total


def train_stacked(
    module: nn.Module, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], items: Items,
    epoch_items: Callable[[int], np.ndarray], validations: Sequence[Validation], settings: FinetuneSettings,
    device: torch.device | str = "cpu",
) -> FinetuneResult:
    """Train P models at once: ``params`` and ``buffers`` hold each model's tensors stacked on dim 0.

    ``module`` gives the architecture and every tensor that is not in ``params`` or ``buffers``
    (shared and frozen). ``epoch_items(epoch)`` gives a (P, S) array, row p the items of model p;
    ``validations[p]`` are model p's validation trials. Returns the best epoch's stacked tensors
    per model and ``best_epoch`` per model.
    """
    device = torch.device(device)
    module.to(device)
    items = items.to(device)
    params = {name: tensor.detach().to(device).clone().requires_grad_() for name, tensor in params.items()}
    buffers = {name: tensor.detach().to(device).clone() for name, tensor in buffers.items()}
    n_models = next(iter(params.values())).shape[0]
    if len(validations) != n_models:
        raise ValueError(f"{len(validations)} validation sets for {n_models} models")
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    optimizer = torch.optim.Adam(params.values(), lr=settings.lr)
    rows = torch.unique(torch.cat([v.input_index for v in validations])).to(device)

    def model_loss(p, b, x, t):
        return F.cross_entropy(functional_call(module, (p, b), (x,)), t)

    def model_logits(p, b, x):
        return functional_call(module, (p, b), (x,))

    batched_loss = vmap(model_loss, randomness="different")
    batched_logits = vmap(model_logits, in_dims=(0, 0, None), randomness="different")

    def evaluate() -> np.ndarray:
        module.eval()
        with torch.no_grad():
            logits = batched_logits(params, buffers, items.inputs[rows])
        return np.array([_validation_loss(logits[p], rows, v) for p, v in enumerate(validations)])

    def snapshot() -> dict[str, torch.Tensor]:
        return {name: tensor.detach().clone() for name, tensor in {**params, **buffers}.items()}

    best_loss, best_state = evaluate(), snapshot()
    best_epoch = np.zeros(n_models, dtype=np.int64)
    history = [{"epoch": 0, "loss": float("nan"), "validation_nll": float(np.nanmean(best_loss))}]
    for epoch in range(settings.epochs):
        module.train()
        order = torch.as_tensor(np.asarray(epoch_items(epoch)), dtype=torch.long, device=device)
        if order.shape[0] != n_models:
            raise ValueError(f"epoch_items gave {order.shape[0]} rows for {n_models} models")
        total = _train_epoch(batched_loss, params, buffers, items, order, settings.batch_size, optimizer)
        validation_loss = evaluate()
        history.append({"epoch": epoch + 1, "loss": total / max(order.numel(), 1),
                        "validation_nll": float(np.nanmean(validation_loss)) if len(rows) else float("nan")})
        better = np.array([_is_better(a, b) for a, b in zip(validation_loss, best_loss)])
        if better.any():
            index = torch.as_tensor(np.flatnonzero(better), device=device)
            for name, tensor in {**params, **buffers}.items():
                best_state[name][index] = tensor.detach()[index]
            best_loss = np.where(better, validation_loss, best_loss)
            best_epoch[better] = epoch + 1
    return FinetuneResult(state=best_state, best_epoch=best_epoch, history=history)
