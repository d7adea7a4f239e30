"""Individual models for 50 simulated participants: all at once (batched) vs one at a time.

    python benchmarks/finetune.py [--participants 50] [--trainable head|all] [--threads 2]

Builds the default's synthetic faces (360 stimuli, 2,000 original training faces), trains the
default base architecture briefly as the group model, lets simulated participants (the default
population, the group model as their front-end) answer 250 trials each, and trains every
participant's individual model with the default `alignment.individual` settings twice: batched
(`torch.func.vmap`) and one participant after the other, on the same items. Both are scored by
the mean of each participant's accuracy on their own held-out trials. The last line reads
`ratio=<sequential time / batched time> acc_diff=<batched − sequential, in points>`.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from varemotion.alignment.evaluation import trial_predictions
from varemotion.alignment.individual import train_individual_models
from varemotion.alignment.training import FinetuneSettings
from varemotion.alignment.trials import human_trials
from varemotion.behavior.design import DesignSettings, design_trials
from varemotion.behavior.simulation import ObserverPopulation, sample_observers, simulate_trials
from varemotion.config import workflow_config
from varemotion.data.synthetic import build_synthetic_splits
from varemotion.models.evaluation import predict_logits
from varemotion.models.fit import build_classifier
from varemotion.models.training import TrainConfig, TrainingData, train_classifier

REPO = Path(__file__).resolve().parents[1]


def simulated_study(config: dict, participants: int):
    """Stimuli, original faces, a briefly trained group model and a simulated trial table."""
    synthetic = {**config["data"]["synthetic"], "n_train": 2000, "n_val": 360, "n_test": 10}
    splits = build_synthetic_splits(synthetic, config["data"]["emotions"])
    original, stimuli = splits["train"], splits["val"]
    spec = config["classifiers"][next(iter(config["classifiers"]))]
    group = build_classifier(spec["arch"], original, spec["kwargs"], seed=0)
    data = TrainingData(original.images_float(), torch.as_tensor(original.labels))
    train_classifier(group, data, TrainConfig(**{**config["train"], "epochs": 2}), torch.device("cpu"), progress=False)
    ids = [f"s{i:03d}" for i in range(stimuli.n)]
    design = design_trials(ids, DesignSettings(**{**config["behavior"]["design"], "n_participants": participants,
                                                  "trials_per_participant": 250, "catch_every": 0, "holdout_stimuli": 0.0,
                                                  "min_ratings_per_stimulus": participants * 250 // stimuli.n}))
    emotions = list(original.emotions)
    population = ObserverPopulation(**config["behavior"]["observers"]["population"])
    observers = sample_observers(participants, population, emotions, seed=1)
    observers["subject_id"] = pd.unique(design["subject_id"])
    logits = predict_logits(group, stimuli.images_float(), torch.device("cpu"))
    trials = simulate_trials(design, logits, ids, emotions, observers, seed=2, population=population)
    validation = config["alignment"]["validation_fraction"]
    return stimuli, original, group.eval(), human_trials(trials, ids, emotions, validation, 0)


def mean_accuracy(models, stimuli, human) -> float:
    logits = models.logits(stimuli.images_float(), torch.device("cpu")).numpy()
    hits = trial_predictions(human.part("held_out"), {}, logits, models.subjects)
    return float(hits.groupby("subject_id")["individual"].mean().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--trainable", choices=["head", "all"], default=None, help="default: the config's")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = workflow_config(REPO)
    individual = config["alignment"]["individual"]
    trainable = args.trainable or individual["trainable"]
    stimuli, original, group, human = simulated_study(config, args.participants)
    settings = FinetuneSettings(individual["epochs"], individual["batch_size"], individual["lr"],
                                individual["samples_per_epoch"], config["alignment"]["seed"])
    results = {}
    for batched in (True, False):
        started = time.perf_counter()
        models, _ = train_individual_models(copy.deepcopy(group), stimuli.images_float(), human,
                                            original.images_float(), original.labels, settings, individual["ratio"],
                                            individual["min_train_trials"], trainable, batched=batched)
        seconds = time.perf_counter() - started
        results[batched] = (seconds, mean_accuracy(models, stimuli, human), len(models))
        print(f"{'batched' if batched else 'one at a time'}: {results[batched][2]} models, trainable={trainable}, "
              f"{seconds:.2f} s, mean held-out accuracy {results[batched][1]:.4f}")
    ratio = results[False][0] / results[True][0]
    print(f"ratio={ratio:.2f} acc_diff={100 * (results[True][1] - results[False][1]):.2f}")


if __name__ == "__main__":
    main()
