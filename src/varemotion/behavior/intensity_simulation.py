"""Simulated raters on an intensity scale: the simulated observers, rating every emotion from 0 to k.

The design's observers are drawn as :func:`~varemotion.behavior.simulated_study.simulate_study`
draws them (same population, same seed, so the same people), and see each face through the
observers' front-end (a network of a family no classifier has). Observer s's rating of emotion y
on a trial is

    r_y = clip(round(k · p_s(y | x) + σ · ε_y), 0, k),   ε_y ~ Normal(0, 1),

with p_s(y | x) the observer's choice probabilities (:func:`~varemotion.behavior.simulation.choice_probabilities`):
a face the observer reads as clearly one emotion gets about k on it and 0 elsewhere, an ambiguous
one middling ratings on several. Reaction times follow the forced-choice model. The result is an
intensity rating file (:mod:`varemotion.behavior.intensity`): subject_id, stimulus_id, one column
per emotion and rt_ms, without the design's catch trials and without is_train (ingestion draws
the training trials by the design's rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from varemotion.atomic import write_csv

from .simulation import ObserverPopulation, choice_probabilities, reaction_times, sample_observers


def simulate_intensity_ratings(design: pd.DataFrame, logits: pd.DataFrame, population: ObserverPopulation, seed: int,
                               scale_max: int = 4, noise_sd: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rating file's rows (one per stimulus trial of ``design``) and the observers' true parameters.

    ``logits`` is the front-end's table indexed by image id with one column per emotion.
    """
    if scale_max < 1 or noise_sd < 0:
        raise ValueError(f"need scale_max ≥ 1 and noise_sd ≥ 0, got {scale_max} and {noise_sd}")
    emotions = [str(c) for c in logits.columns]
    subjects = pd.unique(design["subject_id"].astype(str))
    observer_seed, trial_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2))
    observers = sample_observers(len(subjects), population, emotions, observer_seed)
    observers["subject_id"] = subjects
    trials = design[~design["is_catch"].to_numpy(dtype=bool)].reset_index(drop=True)
    missing = sorted(set(trials["stimulus_id"].astype(str)) - set(logits.index))
    if missing:
        raise ValueError(f"the logits table has no row for stimuli {missing[:5]}")
    who = observers.set_index("subject_id").loc[trials["subject_id"].astype(str)].reset_index()
    probabilities = choice_probabilities(logits.loc[trials["stimulus_id"].astype(str)].to_numpy(), who, emotions)
    rng = np.random.default_rng(trial_seed)
    noisy = scale_max * probabilities + noise_sd * rng.standard_normal(probabilities.shape)
    ratings = np.clip(np.rint(noisy), 0, scale_max).astype(np.int64)
    rt_ms = reaction_times(probabilities, who["speed"].to_numpy(dtype=float), population, rng)
    table = trials[["subject_id", "stimulus_id"]].astype(str)
    for k, emotion in enumerate(emotions):
        table[emotion] = ratings[:, k]
    table["rt_ms"] = rt_ms
    return table, observers


def write_intensity_ratings(ratings: pd.DataFrame, observers: pd.DataFrame, ratings_path, observers_path) -> None:
    """Write the rating file and the observers' parameters (CSV); each appears whole or not at all."""
    write_csv(ratings_path, ratings)
    write_csv(observers_path, observers, float_format="%.9g")
