"""Logging of workflow jobs: everything a job says goes to its Snakemake log file."""

from __future__ import annotations

import logging
import os
import sys


def log_to_file(path: str) -> None:
    """Send stderr (progress bars, warnings, tracebacks) and log records to `path`."""
    sys.stderr = open(path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    # A progress bar redrawn ten times a second would fill the log; every 10 s is enough there.
    os.environ.setdefault("TQDM_MININTERVAL", "10")
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
