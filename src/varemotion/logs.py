"""Logging of workflow jobs: everything a job says goes to its Snakemake log file."""

from __future__ import annotations

import logging
import signal
import sys


def log_to_file(path: str) -> None:
    """Send stderr (progress bars, warnings, tracebacks) and log records to `path`."""
    sys.stderr = open(path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    # Snakemake stops jobs with SIGTERM: exiting through SystemExit lets half-written outputs'
    # temporary files be removed (write_atomically) instead of being left behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
