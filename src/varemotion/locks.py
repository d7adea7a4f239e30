"""Snakemake's working-directory lock: who holds it, and releasing it once every holder is gone.

A run killed outright (SIGKILL, a lost session) leaves its lock behind, and the next run stops
with "Directory cannot be locked" until someone runs `snakemake --unlock`. Each run records its
process next to the lock files; a later run that finds only records of processes that have ended
on this machine removes the lock itself. Snakemake deletes the records with the lock.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"


def process_start(pid: int) -> str | None:
    """When process `pid` started (Linux clock ticks since boot), or None where this is unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def is_running(holder: dict) -> bool:
    """Whether the process of a holder record still runs; a record from another machine counts as running."""
    if holder.get("host") != socket.gethostname():
        return True
    pid = int(holder["pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = holder.get("started")
    return started is None or process_start(pid) in (None, started)


def record_lock_holder(locks: str | os.PathLike[str] = LOCKS) -> Path:
    """Record this process as a holder of the lock in `locks` (called when a run starts)."""
    pid = os.getpid()
    path = Path(locks) / f"holder.{pid}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": socket.gethostname(), "pid": pid, "started": process_start(pid)}))
    return path


def release_stale_lock(locks: str | os.PathLike[str] = LOCKS) -> bool:
    """Remove the lock in `locks` if every run holding it has ended; True when it was removed.

    A lock is left alone when any of its runs may still be going: a recorded process that still
    runs or runs on another machine, or more locking runs than records (one not yet recorded).
    """
    locks = Path(locks)
    runs = max(len(list(locks.glob(f"[0-9]*.{kind}.lock"))) for kind in ("input", "output"))
    records = sorted(locks.glob("holder.*.json"))
    if not runs or len(records) < runs:
        return False
    try:
        holders = [json.loads(path.read_text()) for path in records]
    except (OSError, ValueError):
        return False
    if any(is_running(holder) for holder in holders):
        return False
    shutil.rmtree(locks, ignore_errors=True)
    return True
