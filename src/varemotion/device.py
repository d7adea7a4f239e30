"""Choice of compute device for a job: never a config value, always what the job was given."""

from __future__ import annotations

import contextlib
import logging
import os

import torch

log = logging.getLogger(__name__)


def select_device(gpus_granted: int | float = 0) -> torch.device:
    """CUDA when the job was granted a GPU (`resources: gpu`) and one is present, else the CPU."""
    if gpus_granted and torch.cuda.is_available():
        device = torch.device("cuda")
    else:
        assigned = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
        if gpus_granted and assigned:
            # a scheduler set aside GPUs for this job, so their absence is a setup problem worth a warning
            log.warning("the job was assigned GPU %s but PyTorch sees no CUDA device (a CPU-only torch "
                        "build?); running on the CPU", assigned)
        elif gpus_granted:
            log.info("no CUDA device on this machine; running on the CPU")
        device = torch.device("cpu")
    log.info("device: %s", device)
    return device


def mixed_precision(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast for training on CUDA; on the CPU a no-op, so CPU runs stay bitwise reproducible.

    Weights, optimiser state and losses stay in float32 (bf16 has float32's range, so no loss
    scaling is needed). Sampling and evaluation do not use it: the stimulus filters compare
    probabilities close to the decision boundary.
    """
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
