"""Time simulate_trials: 250 participants × 500 trials, K = 7 random logits over 2,000 stimuli.

    python benchmarks/simulation.py

The last line printed is ``seconds=<wall time of sampling the observers and simulating the trials>``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from varemotion.behavior.simulation import (
    ObserverPopulation,
    sample_observers,
    simulate_trials,
)

EMOTIONS = ("anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise")
N_SUBJECTS, N_TRIALS, N_STIMULI = 250, 500, 2000


def main() -> None:
    rng = np.random.default_rng(0)
    stimulus_ids = np.array([f"face{i:04d}" for i in range(N_STIMULI)])
    logits = rng.normal(0.0, 2.0, size=(N_STIMULI, len(EMOTIONS)))
    start = time.perf_counter()
    observers = sample_observers(N_SUBJECTS, ObserverPopulation(), EMOTIONS, seed=1)
    chosen = np.argsort(rng.random((N_SUBJECTS, N_STIMULI)), axis=1)[:, :N_TRIALS]
    design = pd.DataFrame({
        "subject_id": np.repeat(observers["subject_id"].to_numpy(), N_TRIALS),
        "stimulus_id": stimulus_ids[chosen.ravel()],
        "is_train": np.tile(np.arange(N_TRIALS) < 0.8 * N_TRIALS, N_SUBJECTS),
    })
    trials = simulate_trials(design, logits, stimulus_ids, EMOTIONS, observers, seed=2)
    seconds = time.perf_counter() - start
    print(f"trials={len(trials)} subjects={trials['subject_id'].nunique()}")
    print(f"seconds={seconds:.3f}")


if __name__ == "__main__":
    main()
