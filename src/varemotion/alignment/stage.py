"""The alignment stage from files to files: one function per workflow rule."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from varemotion.alignment.evaluation import (
    MODELS,
    accuracy_table,
    bias_recovery,
    entropy_correlations,
    entropy_tertiles,
    human_entropy,
    paired_test,
    participant_table,
    probabilities_of,
    trial_predictions,
)
from varemotion.alignment.group import finetune_group
from varemotion.alignment.holdout_evaluation import HOLDOUT, group_vs_base, holdout_accuracy, rho_change
from varemotion.alignment.individual import train_individual_models
from varemotion.alignment.manipulation import (
    answer,
    control_rows,
    manipulation_stimuli,
    most_different_pairs,
    outcome_summary,
    pair_table,
)
from varemotion.alignment.models import load_individual_models, save_individual_models
from varemotion.alignment.training import FinetuneSettings
from varemotion.alignment.trials import HumanTrials, human_trials
from varemotion.atomic import write_atomically, write_csv, write_json
from varemotion.behavior import read_trial_table
from varemotion.behavior.frontend import frontend_logits
from varemotion.behavior.holdout import read_holdout
from varemotion.behavior.simulated_study import read_observers
from varemotion.data import load_split
from varemotion.data.splits import images_to_float
from varemotion.device import select_device
from varemotion.models.classifier import load_classifier, save_classifier
from varemotion.models.evaluation import predict_logits
from varemotion.stats.clusters import seed_clusters
from varemotion.stimuli import read_manifest, read_stimulus_images

log = logging.getLogger(__name__)

#: The evaluation's tables, each written as one CSV output of the same name.
EVALUATION_TABLES = ("participants", "accuracy", "correlations", "rho_change", "bias_recovery")


@dataclass(frozen=True)
class HumanData:
    """The stimulus images (float, in the order of ``ids``) and the indexed human trials."""

    ids: np.ndarray
    images: torch.Tensor
    human: HumanTrials


def read_human_data(stimuli_path, trials_path, emotions, validation_fraction: float, seed: int,
                    holdout_path=None) -> HumanData:
    """The stimuli and the trials; trials on the held-out stimuli (``holdout_path``) never train."""
    ids, images = read_stimulus_images(stimuli_path)
    trials = read_trial_table(trials_path, emotions, ids)
    holdout = read_holdout(holdout_path)["stimulus_id"] if holdout_path else ()
    return HumanData(ids, images_to_float(images), human_trials(trials, ids, emotions, validation_fraction, seed,
                                                                holdout))


def fine_tuning_start(weights, stimuli_path, trials_path, train_split, seed: int, validation_fraction: float,
                      holdout_path=None) -> tuple:
    """The classifier to fine-tune, the human data and the original training split."""
    start = load_classifier(weights)
    data = read_human_data(stimuli_path, trials_path, start.config.emotions, validation_fraction, seed, holdout_path)
    return start, data, load_split(train_split)


def run_group(base_weights, stimuli_path, trials_path, train_split, outputs: dict, settings: dict, soft: bool,
              validation_fraction: float, gpus: int = 0, holdout_path=None) -> None:
    """Fine-tune the group model (hard or soft labels); write its `weights`, `config` and training `history`."""
    device = select_device(gpus)
    base, data, split = fine_tuning_start(base_weights, stimuli_path, trials_path, train_split, settings["seed"],
                                          validation_fraction, holdout_path)
    started = time.perf_counter()
    model, result = finetune_group(base, data.images, data.human, split.images_float(), split.labels,
                                   FinetuneSettings.from_config(settings), settings["ratio"], soft, device)
    log.info("group model (%s labels): best epoch %d of %d", "soft" if soft else "hard", result.best_epoch,
             settings["epochs"])
    save_classifier(model, outputs["weights"], outputs["config"])
    write_json(outputs["history"], {"soft": soft, "best_epoch": result.best_epoch, "settings": settings,
                                    "seconds": time.perf_counter() - started, "history": result.history})


def run_individual(group_weights, stimuli_path, trials_path, train_split, outputs: dict, settings: dict,
                   validation_fraction: float, gpus: int = 0, holdout_path=None) -> None:
    """Train every eligible participant's individual model at once; write their `weights` and `history`."""
    device = select_device(gpus)
    group, data, split = fine_tuning_start(group_weights, stimuli_path, trials_path, train_split, settings["seed"],
                                           validation_fraction, holdout_path)
    started = time.perf_counter()
    models, result = train_individual_models(
        group, data.images, data.human, split.images_float(), split.labels, FinetuneSettings.from_config(settings),
        settings["ratio"], settings["min_train_trials"], settings["trainable"], device=device)
    seconds = time.perf_counter() - started
    log.info("%d individual models in %.1f s", len(models), seconds)
    save_individual_models(models, outputs["weights"])
    write_json(outputs["history"], {"subjects": models.subjects, "best_epoch": result.best_epoch.tolist(),
                              "settings": settings, "seconds": seconds, "history": result.history})


@dataclass(frozen=True)
class EvaluationInputs:
    """The files the evaluation reads beside the models: stimuli, trials, manifest, held-out stimuli, test split."""

    stimuli: str
    trials: str
    manifest: str
    holdout: str
    test: str
    observers: str | None = None


def _predictions(classifiers: dict, individual, data: HumanData, test, device):
    """Held-out trial hits per model, every model's stimulus logits and each model's test-set hits."""
    logits = {name: predict_logits(model, data.images, device) for name, model in classifiers.items()}
    own = individual.logits(data.images, device).numpy()
    test_hits = {name: predict_logits(model, test.images_float(), device).argmax(1) == test.labels
                 for name, model in classifiers.items()}
    test_hits["individual"] = individual.logits(test.images_float(), device).numpy().argmax(2) == test.labels[None]
    held_out = data.human.part("held_out")
    predictions = trial_predictions(held_out, logits, own, individual.subjects, data.human.targets_of(held_out))
    return predictions, logits, own, test_hits


def _on_holdout(data: HumanData, files: EvaluationInputs, predictions, probabilities, participants, stats: dict):
    """Accuracy rows, tests, correlations and Δρ on the held-out stimuli; participants' holdout accuracies."""
    resampling = {k: stats[k] for k in ("n_resamples", "confidence", "seed")}
    clusters = seed_clusters(read_manifest(files.manifest).set_index("stimulus_id").reindex(data.ids).reset_index())
    holdout = np.flatnonzero(np.isin(data.ids, read_holdout(files.holdout)["stimulus_id"]))
    n_ratings, entropy = human_entropy(data.human, len(data.ids), stats["entropy_estimator"])
    rated = holdout[n_ratings[holdout] >= stats["min_ratings"]]
    test, counts = group_vs_base(predictions, holdout, clusters, resampling)
    models = [name for name in MODELS if name in predictions]
    accuracy = holdout_accuracy(predictions, holdout, clusters, models, resampling)
    correlations, changes = rho_change(probabilities, entropy, rated, clusters[rated], resampling)
    on_holdout = predictions[np.isin(predictions["image"], holdout)].groupby("subject_id")[models].mean()
    participants = participants.assign(n_holdout=counts.reindex(participants["subject_id"]).fillna(0).to_numpy(int),
                                       **{f"acc_{m}_holdout": on_holdout[m].reindex(participants["subject_id"]).to_numpy()
                                          for m in models})
    every = np.flatnonzero(n_ratings >= stats["min_ratings"])
    in_sample = entropy_correlations(probabilities, entropy, every, clusters[every], resampling)
    return accuracy, test, pd.concat([correlations, in_sample], ignore_index=True), changes, participants


def run_evaluation(models: dict, individual_path, files: EvaluationInputs, outputs: dict, stats: dict,
                   validation_fraction: float, seed: int, gpus: int = 0) -> dict:
    """Score base, group (hard and soft) and individual models; write the tables and the summary.

    ``models`` maps base, group and group_soft to weight files; ``outputs`` names the files of
    :data:`EVALUATION_TABLES` and the ``summary`` (JSON).
    """
    device = select_device(gpus)
    classifiers = {name: load_classifier(path) for name, path in models.items()}
    emotions = list(classifiers["group"].config.emotions)
    data = read_human_data(files.stimuli, files.trials, emotions, validation_fraction, seed, files.holdout)
    individual = load_individual_models(individual_path, classifiers["group"])
    predictions, logits, own, test_hits = _predictions(classifiers, individual, data, load_split(files.test), device)
    names = [*classifiers, "individual"]
    participants = participant_table(data.human, predictions, names)
    entropy = human_entropy(data.human, len(data.ids), stats["entropy_estimator"])[1]
    tertile = entropy_tertiles(entropy, predictions["image"].to_numpy())
    accuracy = accuracy_table(predictions, participants, tertile, test_hits, names, stats["confidence"])
    probabilities = {name: probabilities_of(value) for name, value in logits.items()}
    probabilities["individual"] = probabilities_of(own).mean(axis=0)
    holdout_rows, group_test, correlations, changes, participants = _on_holdout(
        data, files, predictions, probabilities, participants, stats)
    accuracy = pd.concat([accuracy, pd.DataFrame(holdout_rows)], ignore_index=True)
    summary = evaluation_summary(participants, individual, accuracy, correlations, changes, group_test)
    bias = pd.DataFrame(columns=["subject_id", "emotion", "planted", "learned"])
    if files.observers:
        bias, summary["bias_recovery"] = bias_recovery(read_observers(files.observers), individual.subjects, own,
                                                       logits["group"], emotions, stats["n_resamples"],
                                                       stats["confidence"], stats["seed"])
    tables = {"participants": participants, "accuracy": accuracy, "correlations": correlations,
              "rho_change": changes, "bias_recovery": bias}
    for name in EVALUATION_TABLES:
        write_csv(outputs[name], tables[name])
    write_json(outputs["summary"], summary)
    return summary


def evaluation_summary(participants, individual, accuracy, correlations, changes, group_test) -> dict:
    """The headline numbers of the evaluation (the group-vs-base test is on the held-out stimuli)."""
    def rho(images: str) -> dict:
        rows = correlations[correlations["images"] == images]
        return {r.model: {"rho": r.r, "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p_permutation, "n": r.n}
                for r in rows.itertuples()}

    return {
        "n_participants": len(participants), "n_individual_models": len(individual),
        "tests": {"group_vs_base": group_test,
                  "group_vs_base_shared_images": paired_test(participants["acc_group"], participants["acc_base"]),
                  "individual_vs_group": paired_test(participants["acc_individual"], participants["acc_group"])},
        "accuracy": {f"{r.evaluation}/{r.model}": r.accuracy for r in accuracy.itertuples()},
        "entropy_correlation": rho(HOLDOUT), "entropy_correlation_in_sample": rho("all_rated"),
        "rho_change": changes,
    }


def run_manipulation(prior_weights, group_weights, individual_path, frontend_weights, stimuli_path, stimulus_logits,
                     manifest_path, observers_path, outputs: dict, settings: dict, sampler: dict, max_batch: int,
                     min_prob: float, gpus: int = 0) -> dict:
    """Sample with pairs of individual models, let the simulated observers answer, compare with the control.

    ``outputs`` names the manipulated `images`, their `stimuli` table, the observers' `outcomes`,
    the per-pair table (`pairs`), the summary table (`table`, CSV) and the `summary` (JSON).
    """
    from varemotion.diffusion import load_prior

    device = select_device(gpus)
    group = load_classifier(group_weights)
    emotions = list(group.config.emotions)
    individual = load_individual_models(individual_path, group)
    observers = read_observers(observers_path)
    stimulus_images = images_to_float(read_stimulus_images(stimuli_path)[1])
    shifts = (individual.logits(stimulus_images, device).numpy() - predict_logits(group, stimulus_images, device)).mean(1)
    pairs = most_different_pairs(individual.subjects, shifts - shifts.mean(1, keepdims=True), settings["n_pairs"])
    prior = load_prior(prior_weights).to(device)
    images, stimuli = manipulation_stimuli(prior, individual, pairs, settings["n_per_pair"], min_prob, sampler,
                                           max_batch, settings["seed"], device)
    log.info("%d of %d manipulation images pass the controversial filter", len(stimuli),
             len(pairs) * settings["n_per_pair"] * len(emotions) * (len(emotions) - 1))
    new_logits = frontend_logits(load_classifier(frontend_weights), stimuli["stimulus_id"], images, device)
    logits = pd.concat([pd.read_csv(stimulus_logits, dtype={"stimulus_id": str}), new_logits]).set_index("stimulus_id")
    rng = np.random.default_rng(settings["seed"])
    control = control_rows(read_manifest(manifest_path), stimuli, settings["seed"])
    outcomes = pd.concat([answer(stimuli, logits[emotions], observers, "manipulated", rng),
                          answer(control, logits[emotions], observers, "control", rng)], ignore_index=True)
    summary_table, summary = outcome_summary(outcomes)
    summary["pairs"] = [list(p) for p in pairs]
    write_atomically(outputs["images"], lambda h: np.savez_compressed(
        h, images=images, stimulus_ids=stimuli["stimulus_id"].to_numpy(dtype=str)))
    write_csv(outputs["stimuli"], stimuli)
    write_csv(outputs["outcomes"], outcomes, float_format=None)
    write_csv(outputs["table"], summary_table)
    write_csv(outputs["pairs"], pair_table(outcomes))
    write_json(outputs["summary"], summary)
    return summary
