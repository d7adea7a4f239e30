"""Time the trial design and simulate_trials: 250 participants × 500 trials, K = 7 random logits, 2,000 stimuli.

    python benchmarks/simulation.py

The last line printed is ``seconds=<wall time of the design, the observers and the simulated trials>``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from varemotion.behavior.design import DesignSettings, design_trials
from varemotion.behavior.simulation import (
    ObserverPopulation,
    sample_observers,
    simulate_trials,
)
from varemotion.config import workflow_config

REPO = Path(__file__).resolve().parents[1]
EMOTIONS = ("anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")
N_SUBJECTS, N_TRIALS, N_STIMULI = 250, 500, 2000


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    rng = np.random.default_rng(0)
    stimulus_ids = np.array([f"face{i:04d}" for i in range(N_STIMULI)])
    logits = rng.normal(0.0, 2.0, size=(N_STIMULI, len(EMOTIONS)))
    start = time.perf_counter()
    config = workflow_config(REPO)
    settings = DesignSettings(**{**config["behavior"]["design"], "n_participants": N_SUBJECTS,
                                 "trials_per_participant": N_TRIALS, "catch_every": 0, "holdout_stimuli": 0.0,
                                 "min_ratings_per_stimulus": N_SUBJECTS * N_TRIALS // N_STIMULI})
    design = design_trials(stimulus_ids, settings)
    population = ObserverPopulation(**config["behavior"]["observers"]["population"])
    observers = sample_observers(N_SUBJECTS, population, EMOTIONS, seed=1)
    observers["subject_id"] = design["subject_id"].unique()
    trials = simulate_trials(design, logits, stimulus_ids, EMOTIONS, observers, seed=2, population=population)
    seconds = time.perf_counter() - start
    print(f"trials={len(trials)} subjects={trials['subject_id'].nunique()}")
    print(f"seconds={seconds:.3f}")


if __name__ == "__main__":
    main()
