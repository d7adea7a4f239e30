"""Safe loading of tensors from disk and resumable training checkpoints."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import torch

from varemotion.atomic import write_atomically


class UnsafeCheckpointError(ValueError):
    """A file that `torch.load(weights_only=True)` refuses to read."""


def load_state_dict(path: str | Path) -> dict:
    """Load tensors with `weights_only=True`: a file that would run code is refused."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: weights file not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeCheckpointError(
            f"{path}: refused to load; it is not a plain state dict of tensors "
            f"(torch.load with weights_only=True said: {str(error).splitlines()[0]})"
        ) from error
    except (RuntimeError, EOFError) as error:
        raise ValueError(f"{path}: not a readable PyTorch weights file ({error})") from error


def config_fingerprint(config: dict) -> str:
    """A short hash of a JSON-serialisable config, stored in checkpoints to detect stale ones."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_checkpoint(path: str | Path, state: dict) -> None:
    """Write a checkpoint atomically, so an interruption never leaves a half-written file."""
    write_atomically(path, lambda handle: torch.save(state, handle))


def load_checkpoint(path: str | Path, fingerprint: str) -> dict | None:
    """The checkpoint at `path` if it was written for the same config, else None."""
    path = Path(path)
    if not path.exists():
        return None
    state = load_state_dict(path)
    if state.get("fingerprint") != fingerprint:
        return None
    return state
