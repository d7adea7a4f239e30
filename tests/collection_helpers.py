"""Shared by the collection tests: an exported experiment, the real server as a process, a manifest."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd

from test_experiment import CATCH, EMOTIONS, PACKAGE_DIR, STIMULI, make_images, small_design
from varemotion.experiment import export_experiment
from varemotion.manifest import MANIFEST_COLUMNS

REPO = Path(__file__).resolve().parents[1]
COMPLETION = "stimuli/S00.png?completed=yes"


def export_study(root: Path, completion_url: str = COMPLETION) -> Path:
    """The experiment of test_experiment.small_design() (2 participants × 12 trials), exported under root."""
    images = make_images(root / "faces")
    return export_experiment(small_design(), images, EMOTIONS, root / "export", PACKAGE_DIR, title="Test study",
                             completion_url=completion_url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`varemotion serve` run as its own process on 127.0.0.1, started, killed and restarted at will."""

    def __init__(self, experiment: Path, database: Path, *extra: str) -> None:
        self.experiment, self.database, self.extra = experiment, database, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "Server":
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
        command = [sys.executable, "-m", "varemotion.collection.cli", "serve", str(self.experiment),
                   "--database", str(self.database), "--port", str(self.port), *self.extra]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped: {self.process.stdout.read()}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start in time")

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def post(self, path: str, body: bytes | dict, content_type: str = "application/json") -> tuple[int, dict]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def manifest(path: Path) -> Path:
    """A stimulus manifest of test_experiment's stimuli (the columns the readers need)."""
    table = pd.DataFrame({c: "" for c in MANIFEST_COLUMNS}, index=range(len(STIMULI)))
    table["stimulus_id"], table["kind"] = STIMULI, "control"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path


__all__ = ["CATCH", "COMPLETION", "EMOTIONS", "STIMULI", "Server", "export_study", "free_port", "manifest"]
