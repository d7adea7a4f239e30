"""Load on the collection server: simulated participants answering every trial at once, over real HTTP.

Builds a design (``--participants`` × ``--trials`` stimulus trials, plus catch trials), starts
``varemotion serve`` on 127.0.0.1 in its own process, and lets every participant run in parallel
as an HTTP client (httpx): open a session, then post each trial as the page does, one after the
other, retrying on a failure. Prints trials stored per second, the p50/p99 post latency and a
check that the database holds every trial exactly once, ending with::

    trials_per_s=<n> p99_ms=<ms> lost=<n> duplicated=<n>

Run from the repository: ``python benchmarks/collection_server.py`` (no npm needed: the server
only reads the design).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from varemotion.behavior import DesignSettings, design_trials
from varemotion.collection.store import read_snapshot
from varemotion.emotions import BASIC_EMOTIONS
from varemotion.experiment.jspsych_export import timeline_data, timeline_script

REPO = Path(__file__).resolve().parents[1]


def write_experiment(folder: Path, participants: int, trials: int) -> dict:
    """An exported experiment's timeline.js for the design (the server needs nothing else to take posts)."""
    stimuli = [f"S{i:04d}" for i in range(max(trials, 400))]
    catch = {f"C{i}": e for i, e in enumerate(BASIC_EMOTIONS)}
    settings = DesignSettings(n_participants=participants, trials_per_participant=trials, min_ratings_per_stimulus=1,
                              catch_every=25, train_fraction=0.8, holdout_stimuli=0.0, seed=0)
    design = design_trials(stimuli, settings, catch_ids=list(catch), catch_labels=catch)
    data = timeline_data(design, list(BASIC_EMOTIONS))
    (folder / "jspsych").mkdir(parents=True)
    (folder / "jspsych" / "timeline.js").write_text(timeline_script(data))
    return data


def start_server(experiment: Path, database: Path, synchronous: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "varemotion.collection.cli", "serve", str(experiment),
                                "--database", str(database), "--port", str(port), "--synchronous", synchronous],
                               env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the server did not start")


def body(subject: str, trial: dict, rng: np.random.Generator) -> dict:
    face = {"catch_id": trial["catch_id"]} if trial["is_catch"] else {"stimulus_id": trial["stimulus_id"]}
    return {"subject_id": subject, "trial_index": trial["design_trial_index"], "response": int(rng.integers(7)),
            "rt": float(rng.uniform(400, 2000)), "is_train": trial["is_train"], **face}


async def participant(client: httpx.AsyncClient, person: dict, seed: int, latencies: list[float]) -> None:
    """One simulated browser: a session, then every trial in order, each retried until stored."""
    rng = np.random.default_rng(seed)
    answer = await client.post("/api/sessions", json={"participant": person["subject_id"]})
    answer.raise_for_status()
    for trial in person["trials"]:
        payload = body(person["subject_id"], trial, rng)
        while True:
            start = time.perf_counter()
            try:
                answer = await client.post("/api/trials", json=payload)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
                continue
            latencies.append(time.perf_counter() - start)
            if answer.status_code in (200, 201):
                break
            raise RuntimeError(f"refused: {answer.status_code} {answer.text}")


async def run_load(url: str, data: dict) -> tuple[float, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(data["participants"]))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        await asyncio.gather(*(participant(client, p, n, latencies) for n, p in enumerate(data["participants"])))
        return time.perf_counter() - start, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--trials", type=int, default=250, help="stimulus trials per participant")
    parser.add_argument("--synchronous", choices=["full", "normal"], default="full", help="the server's setting")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="varemotion-load-") as tmp:
        data = write_experiment(Path(tmp) / "experiment", args.participants, args.trials)
        expected = {(p["subject_id"], t["design_trial_index"]) for p in data["participants"] for t in p["trials"]}
        database = Path(tmp) / "ratings.sqlite"
        process, url = start_server(Path(tmp) / "experiment", database, args.synchronous)
        try:
            seconds, latencies = asyncio.run(run_load(url, data))
        finally:
            process.terminate()
            process.wait(timeout=30)
        stored = read_snapshot(database).trials
    keys = list(zip(stored["subject_id"], stored["trial_index"]))
    lost, duplicated = len(expected - set(keys)), len(keys) - len(set(keys))
    ms = np.asarray(latencies) * 1000
    print(f"synchronous={args.synchronous}: {args.participants} participants in parallel, {len(expected)} trials in {seconds:.1f} s;"
          f" post latency p50 {np.percentile(ms, 50):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms")
    print(f"trials_per_s={len(keys) / seconds:.0f} p99_ms={np.percentile(ms, 99):.1f} lost={lost}"
          f" duplicated={duplicated}")


if __name__ == "__main__":
    main()
