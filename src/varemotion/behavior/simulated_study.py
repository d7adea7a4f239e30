"""A whole simulated study: observers drawn from a population answer every trial of a design.

Stimulus trials become the canonical trial table; catch trials become an attention-check table
with the expected and the given answer. The observers' true parameters are kept with the
design's subject ids, so later stages can check that they recover them. The null variant uses the
same observers but has them ignore the image (see :func:`~varemotion.behavior.simulation.simulate_trials`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from varemotion.atomic import write_csv

from .simulation import ObserverPopulation, sample_observers, simulate_trials
from .trials import TRIAL_COLUMNS, write_trials

CATCH_RESULT_COLUMNS = ["subject_id", "catch_id", "expected_response", "response", "rt_ms", "correct"]


@dataclass
class SimulatedStudy:
    """The trial table, the catch-trial answers and the observers' true parameters."""

    trials: pd.DataFrame
    catch: pd.DataFrame
    observers: pd.DataFrame

    def summary(self) -> dict:
        """Counts and the catch accuracy, for logs and the report."""
        return {
            "n_participants": int(self.observers.shape[0]),
            "n_trials": int(len(self.trials)),
            "n_stimuli": int(self.trials["stimulus_id"].nunique()),
            "n_catch_trials": int(len(self.catch)),
            "catch_accuracy": float(self.catch["correct"].mean()) if len(self.catch) else None,
        }


def simulate_study(design: pd.DataFrame, logits: pd.DataFrame, population: ObserverPopulation, seed: int,
                   null: bool = False) -> SimulatedStudy:
    """Simulate every row of a trial design (:func:`~varemotion.behavior.design.design_trials`).

    ``logits`` is indexed by image id (stimuli and catch faces) with one column per emotion. The
    same ``seed`` gives the same observers with or without ``null``.
    """
    emotions = [str(c) for c in logits.columns]
    subjects = pd.unique(design["subject_id"].astype(str))
    observer_seed, trial_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2))
    observers = sample_observers(len(subjects), population, emotions, observer_seed)
    observers["subject_id"] = subjects
    simulated = simulate_trials(design, logits.to_numpy(), logits.index, emotions, observers, trial_seed,
                                null=null, population=population)
    is_catch = design["is_catch"].to_numpy(dtype=bool)
    trials = simulated[~is_catch].reset_index(drop=True)
    answered = simulated[is_catch].reset_index(drop=True)
    expected = design.loc[is_catch, "expected_response"].astype(str).to_numpy()
    catch = pd.DataFrame({
        "subject_id": answered["subject_id"], "catch_id": answered["stimulus_id"],
        "expected_response": expected, "response": answered["response"], "rt_ms": answered["rt_ms"],
        "correct": answered["response"].to_numpy() == expected,
    }, columns=CATCH_RESULT_COLUMNS)
    return SimulatedStudy(trials=trials[TRIAL_COLUMNS], catch=catch, observers=observers)


def write_simulated_study(study: SimulatedStudy, trials_path, catch_path, observers_path) -> None:
    """Write the three tables (CSV); each appears whole or not at all."""
    write_trials(study.trials, trials_path)
    write_csv(catch_path, study.catch)
    write_csv(observers_path, study.observers, float_format="%.9g")


def population_from_config(settings: dict) -> ObserverPopulation:
    """An :class:`ObserverPopulation` from the ``behavior.observers.population`` config section."""
    return ObserverPopulation(**{key: float(value) for key, value in settings.items()})


def read_observers(path: str | os.PathLike[str]) -> pd.DataFrame:
    """An observers table written by :func:`write_simulated_study`."""
    return pd.read_csv(path, dtype={"subject_id": str, "confusion_from": str, "confusion_to": str},
                       keep_default_na=False)
