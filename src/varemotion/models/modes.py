"""Running a module in eval mode for a while, its weights optionally frozen, then as it was before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def eval_mode(module: nn.Module, freeze: bool = False) -> Iterator[nn.Module]:
    """``module`` in eval mode, and with ``freeze`` without gradients for its weights.

    On leaving, every submodule gets back its own train/eval state and every parameter its
    ``requires_grad``, also after an error.
    """
    modules = list(module.modules())
    training = [m.training for m in modules]
    gradients = [(p, p.requires_grad) for p in module.parameters()]
    module.eval()
    if freeze:
        for parameter, _ in gradients:
            parameter.requires_grad_(False)
    try:
        yield module
    finally:
        for m, state in zip(modules, training):
            m.training = state
        for parameter, flag in gradients:
            parameter.requires_grad_(flag)
