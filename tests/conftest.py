"""Shared fixtures: the repository, the optional ../shared data, and a Snakemake runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """`$VAREMOTION_SHARED`, else `../shared` next to the repository."""
    return Path(os.environ.get("VAREMOTION_SHARED", REPO.parent / "shared"))


@pytest.fixture
def ferplus_root() -> Path:
    root = shared_dir() / "data" / "ferplus"
    if not (root / "fer2013new.csv").exists():
        pytest.skip(f"no FER+ copy at {root}")
    return root


def snakemake(
    *args: str, cwd: Path = REPO, timeout: int = 600, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the workflow's Snakefile with `args` (and extra environment variables); output captured as text."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), *args]
    environment = {**os.environ, **(env or {})}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=environment)
