"""Bias of the human-entropy estimators against the number of ratings per image.

    python benchmarks/entropy_bias.py [RESULTS] [--ratings 3 5 8 10 15 20 35] [--repeats 200]

Reads a finished run's results (default `results/`): the stimulus manifest, the observer
front-end's logits and the simulated observers. Each image's true response distribution is the
population's, the mean over the observers of their choice probabilities; n ratings are drawn
from it `--repeats` times, and the plug-in and Miller–Madow estimates are compared with the true
entropy. Prints, per n and kind, the mean bias (bits) and the RMSE of each estimator.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.behavior.frontend import read_logits
from varemotion.behavior.simulated_study import read_observers
from varemotion.behavior.simulation import choice_probabilities
from varemotion.entropy import ESTIMATORS, count_entropy_bits, entropy_bits
from varemotion.stimuli import read_manifest


def population_distributions(logits: pd.DataFrame, observers: pd.DataFrame) -> np.ndarray:
    """(images × emotions): each image's response distribution averaged over the observers."""
    emotions = list(logits.columns)
    total = np.zeros(logits.shape)
    for _, observer in observers.iterrows():
        total += choice_probabilities(logits.to_numpy(), observer, emotions)
    return total / len(observers)


def bias_table(distributions: np.ndarray, kinds: np.ndarray, ratings, repeats: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = entropy_bits(distributions)
    rows = []
    for n in ratings:
        counts = np.stack([rng.multinomial(n, p, size=repeats) for p in distributions])  # images × repeats × K
        for estimator in ESTIMATORS:
            estimate = count_entropy_bits(counts.reshape(-1, counts.shape[-1]), estimator).reshape(counts.shape[:2])
            error = estimate - truth[:, None]
            for kind in ["all", *sorted(set(kinds))]:
                rows_of = np.ones(len(kinds), bool) if kind == "all" else kinds == kind
                rows.append({"n": n, "kind": kind, "estimator": estimator, "bias": error[rows_of].mean(),
                             "rmse": np.sqrt((error[rows_of] ** 2).mean())})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default="results", type=Path)
    parser.add_argument("--ratings", nargs="+", type=int, default=[3, 5, 8, 10, 15, 20, 35])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    manifest = read_manifest(args.results / "stimuli" / "manifest.csv")
    observers = read_observers(args.results / "behavior" / "simulated" / "observers.csv")
    emotions = [c[len("bias_"):] for c in observers.columns if c.startswith("bias_")]
    logits = read_logits(args.results / "behavior" / "frontend" / "logits.csv", emotions)
    logits = logits.loc[manifest["stimulus_id"].astype(str)]
    table = bias_table(population_distributions(logits, observers), manifest["kind"].astype(str).to_numpy(),
                       args.ratings, args.repeats, args.seed)
    wide = table.pivot_table(index=["n", "kind"], columns="estimator", values=["bias", "rmse"])
    print(wide.round(3).to_string())


if __name__ == "__main__":
    main()
