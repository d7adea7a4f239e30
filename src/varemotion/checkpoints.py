"""Safe loading of tensors from disk and resumable training checkpoints."""

from __future__ import annotations

import hashlib
import json
import pickle
import re
from pathlib import Path

import torch

from varemotion.atomic import write_atomically
from varemotion.data.errors import DataError

WEIGHTS_EXPECTED = "a state dict of tensors written by torch.save(model.state_dict(), path)"


class UnsafeCheckpointError(DataError):
    """A file that `torch.load(weights_only=True)` refuses to read."""


def _refusal(error: pickle.UnpicklingError) -> str:
    """What torch.load(weights_only=True) objected to, in one line."""
    blocked = re.search(r"GLOBAL (\S+)", str(error))
    if blocked:
        return f"unpickling it would call {blocked.group(1)!r}, which torch.load(weights_only=True) blocks"
    return "it holds objects other than tensors and plain containers, which torch.load(weights_only=True) blocks"


def load_state_dict(path: str | Path) -> dict:
    """Load tensors with `weights_only=True`: a file that would run code is refused."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: weights file not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeCheckpointError(path, f"refused to load: {_refusal(error)}", expected=WEIGHTS_EXPECTED) from None
    except (RuntimeError, EOFError, OSError) as error:
        reason = str(error).split(". ")[0].strip() or type(error).__name__
        raise DataError(path, f"is not a readable PyTorch weights file; truncated or corrupt? ({reason})",
                        expected=WEIGHTS_EXPECTED) from None


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
