"""Killed mid-run, the prior, a classifier and a sample set resume from their checkpoints when rerun,
which needs no flag even where the killed run left its lock behind."""

from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO, snakemake
from helpers import LATENT_TINY_PRIOR, TINY_CONFIG, write_config
from varemotion.locks import record_lock_holder, release_stale_lock


def interruptible_config() -> dict:
    """The tiny study with runs long enough to be killed between two checkpoints."""
    config = copy.deepcopy({**TINY_CONFIG, "prior": LATENT_TINY_PRIOR})
    config["prior"]["train"] = {"steps": 60, "ae_steps": 4, "checkpoint_every": 10}
    config["classifiers"]["resnet"]["train"] = {"epochs": 15}
    config["sampling"]["max_batch"] = 6  # 42 images: 7 batches, each checkpointed
    return config


@dataclass
class Job:
    """A job the tests kill: its outputs, checkpoint and log; how far a checkpoint shows it got, out of `total`."""

    outputs: list[str]
    checkpoint: str
    log: str
    progress: Callable[[dict], int]
    kill_at: int
    total: int
    resumed: Callable[[int], str]  # the log line of a run resumed from progress n


CHECKPOINTS = "results/checkpoints"
JOBS = {
    "prior": Job(
        ["results/prior/weights.pt", "results/prior/config.json", "results/prior/history.csv"],
        f"{CHECKPOINTS}/prior.pt", "results/logs/prior/train.log",
        lambda state: state["step"] if state["stage"] == "denoiser" else 0, kill_at=10, total=60,
        resumed=lambda n: f"resumed from {CHECKPOINTS}/prior.pt at denoiser step {n}",
    ),
    "classifier": Job(
        ["results/models/resnet/weights.pt", "results/models/resnet/config.json", "results/models/resnet/metrics.json"],
        f"{CHECKPOINTS}/models/resnet.pt", "results/logs/models/resnet.log",
        lambda state: state["epoch"], kill_at=2, total=15,
        resumed=lambda n: f"resumed from {CHECKPOINTS}/models/resnet.pt after epoch {n}",
    ),
    "sampling": Job(
        ["results/samples/uncertainty/resnet.npz"],
        f"{CHECKPOINTS}/samples/uncertainty_resnet.pt", "results/logs/samples/uncertainty_resnet.log",
        lambda state: len(state["chunks"]), kill_at=1, total=7,
        resumed=lambda n: f"resumed from {CHECKPOINTS}/samples/uncertainty_resnet.pt after {6 * n} of 42 images",
    ),
}


def run(folder: Path, *targets: str, timeout: int = 600) -> subprocess.CompletedProcess:
    result = snakemake("--cores", "1", "--configfile", str(folder / "config.yaml"), "--directory", str(folder),
                       *targets, cwd=folder, timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run of every job the tests kill (the data, the prior, resnet, its sample set)."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    write_config(folder, interruptible_config())
    run(folder, JOBS["sampling"].outputs[0])
    assert not list((folder / "results" / "checkpoints").rglob("*.pt"))
    return folder


def checkpointed_progress(path: Path, progress: Callable[[dict], int]) -> int:
    """How far the checkpoint at `path` is; 0 while there is none."""
    try:
        return progress(torch.load(path, map_location="cpu", weights_only=True))
    except FileNotFoundError:
        return 0


def start_and_kill(folder: Path, job: Job, signum: int) -> int:
    """Run Snakemake for `job`; once its checkpoint is far enough, send `signum` to all its processes.

    Returns the progress the checkpoint showed then.
    """
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "1",
               "--configfile", str(folder / "config.yaml"), "--directory", str(folder), job.outputs[0]]
    with open(folder / "killed_run.txt", "w") as output:
        process = subprocess.Popen(command, cwd=folder, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while (reached := checkpointed_progress(folder / job.checkpoint, job.progress)) < job.kill_at:
            assert process.poll() is None, (folder / "killed_run.txt").read_text()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint in time"
            time.sleep(0.1)
        os.killpg(process.pid, signum)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return reached


def assert_same_state_dict(path: Path, reference: Path) -> None:
    resumed, straight = (torch.load(p, map_location="cpu", weights_only=True) for p in (path, reference))
    assert resumed.keys() == straight.keys()
    assert [name for name in straight if not torch.equal(resumed[name], straight[name])] == []


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("job", ["prior", "classifier", "sampling"])
def test_a_killed_job_resumes_from_its_checkpoint_and_ends_as_an_uninterrupted_run(reference, tmp_path, job, signum):
    job = JOBS[job]
    folder = tmp_path / "run"
    shutil.copytree(reference, folder, symlinks=True)
    for output in job.outputs:
        (folder / output).unlink()

    reached = start_and_kill(folder, job, signum)
    killed_at = checkpointed_progress(folder / job.checkpoint, job.progress)
    assert job.kill_at <= reached <= killed_at < job.total
    assert not (folder / job.outputs[0]).exists()
    stale_lock = list((folder / ".snakemake" / "locks").glob("*.lock"))
    assert bool(stale_lock) == (signum == signal.SIGKILL)  # a run killed outright cannot unlock

    rerun = run(folder, job.outputs[0])  # no --unlock, no --rerun-incomplete
    assert "1 of 1 steps (100%) done" in rerun.stderr
    assert job.resumed(killed_at) in (folder / job.log).read_text()
    assert not (folder / job.checkpoint).exists()
    resumed, straight = folder / job.outputs[0], reference / job.outputs[0]
    if resumed.suffix == ".npz":
        with np.load(resumed) as resumed_set, np.load(straight) as straight_set:
            assert sorted(resumed_set.files) == sorted(straight_set.files)
            for name in straight_set.files:
                np.testing.assert_array_equal(resumed_set[name], straight_set[name], err_msg=name)
    else:
        assert_same_state_dict(resumed, straight)


def locked(folder: Path, runs: int = 1) -> Path:
    """A lock folder as Snakemake leaves it with `runs` runs holding it."""
    locks = folder / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    for n in range(runs):
        (locks / f"{n}.input.lock").write_text("results/data/train.npz\n")
        (locks / f"{n}.output.lock").write_text("results/prior/weights.pt\n")
    return locks


def record_in_ended_process(locks: Path) -> None:
    code = "import sys; from varemotion.locks import record_lock_holder; record_lock_holder(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(locks)], check=True)


def test_a_lock_whose_runs_have_ended_is_released(tmp_path):
    locks = locked(tmp_path)
    record_in_ended_process(locks)
    assert release_stale_lock(locks)
    assert not locks.exists()
    assert not release_stale_lock(locks)


def test_a_lock_that_may_still_be_held_is_kept(tmp_path):
    running = locked(tmp_path / "running")
    record_lock_holder(running)
    unrecorded = locked(tmp_path / "unrecorded", runs=2)
    record_in_ended_process(unrecorded)
    elsewhere = locked(tmp_path / "elsewhere")
    record_in_ended_process(elsewhere)
    record = next(elsewhere.glob("holder.*.json"))
    record.write_text(record.read_text().replace('"host": "', '"host": "another-'))
    for locks in (running, unrecorded, elsewhere):
        assert not release_stale_lock(locks)
        assert len(list(locks.glob("*.lock"))) == len(list(locks.glob("*.output.lock"))) * 2 > 0
