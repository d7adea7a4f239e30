"""The learning-rate schedule of every training loop: timm's linear warm-up and cosine decay, counted in steps."""

from __future__ import annotations

import torch
from timm.scheduler import CosineLRScheduler


def warmup_cosine(optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int, floor: float
                  ) -> CosineLRScheduler:
    """Linear warm-up from ``floor`` × the optimiser's rate over ``warmup_steps``, then cosine decay to
    ``floor`` × that rate at ``total_steps``. Call ``step_update(n)`` after the n-th optimiser step."""
    peak = optimizer.param_groups[0]["lr"]
    return CosineLRScheduler(optimizer, t_initial=total_steps, warmup_t=warmup_steps, warmup_lr_init=peak * floor,
                             lr_min=peak * floor, t_in_epochs=False)
