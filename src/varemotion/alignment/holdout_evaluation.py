"""The alignment stage's models on the held-out stimuli, which no model was fitted to.

Group models learn every participant's training trials, so a participant's held-out trial on an
image that others trained on is not new to the group model; and the model–human entropy
correlation over every rated image is in-sample for every fine-tuned model. On the stimuli held
out for everyone (:mod:`varemotion.behavior.holdout`):

- :func:`holdout_accuracy`: each model's accuracy on the trials of held-out stimuli, with a
  bootstrap CI that resamples the stimuli (by noise seed: images sharing one go together);
- :func:`group_vs_base`: the group against the base model there, per participant (Wilcoxon
  signed-rank, :func:`~varemotion.alignment.evaluation.paired_test`) and pooled (the difference
  in accuracy with a stimulus-resampled CI and bootstrap p);
- :func:`rho_change`: Spearman ρ between each model's entropy and the human entropy before
  (base) and after (fine-tuned), and Δρ with a paired bootstrap over the same images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from varemotion.alignment.evaluation import paired_test
from varemotion.entropy import entropy_bits
from varemotion.stats.clusters import (
    bootstrap_p,
    cluster_bootstrap,
    cluster_bootstrap_result,
    weighted_mean,
    weighted_pearson,
    weighted_ranks,
)
from varemotion.stats.correlation import entropy_correlation

HOLDOUT = "holdout_stimuli"
CHANGE_COLUMNS = ["model", "n", "rho_before", "rho_after", "delta", "ci_low", "ci_high", "p_bootstrap",
                  "n_clusters"]


def _on_holdout(predictions: pd.DataFrame, holdout_images: np.ndarray) -> pd.DataFrame:
    return predictions[np.isin(predictions["image"].to_numpy(), holdout_images)]


def holdout_accuracy(predictions: pd.DataFrame, holdout_images: np.ndarray, image_clusters: np.ndarray,
                     models: Sequence[str], resampling: dict) -> list[dict]:
    """Rows of the accuracy table (evaluation holdout_stimuli) for each model.

    ``predictions`` holds each held-out trial's image and one hit column per model;
    ``image_clusters`` gives every image's cluster (its noise seed).
    """
    trials = _on_holdout(predictions, holdout_images)
    rows = []
    for name in models:
        scored = trials[trials[name].notna()]
        hits = scored[name].to_numpy(dtype=float)
        row = {"evaluation": HOLDOUT, "model": name, "accuracy": hits.mean() if len(hits) else np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "n": len(hits)}
        if len(hits):
            clusters = image_clusters[scored["image"].to_numpy()]
            row["ci_low"], row["ci_high"] = cluster_bootstrap(lambda w, h=hits: weighted_mean(h, w), clusters,
                                                              **resampling)
        rows.append(row)
    return rows


def group_vs_base(predictions: pd.DataFrame, holdout_images: np.ndarray, image_clusters: np.ndarray,
                  resampling: dict) -> tuple[dict, pd.DataFrame]:
    """The group vs the base model on the held-out stimuli, and each participant's accuracy there."""
    trials = _on_holdout(predictions, holdout_images)
    accuracy = trials.groupby("subject_id", sort=False)[["base", "group"]].mean()
    result = paired_test(accuracy["group"], accuracy["base"])
    difference = (trials["group"].astype(float) - trials["base"].astype(float)).to_numpy()
    result["accuracy_difference"] = float(difference.mean()) if len(difference) else np.nan
    bootstrap = cluster_bootstrap_result(lambda w: weighted_mean(difference, w),
                                         image_clusters[trials["image"].to_numpy()], **resampling)
    if bootstrap is not None:
        result |= {"ci_low": float(bootstrap.confidence_interval.low),
                   "ci_high": float(bootstrap.confidence_interval.high),
                   "p_bootstrap": bootstrap_p(bootstrap.bootstrap_distribution)}
    return result, trials.groupby("subject_id", sort=False).size().rename("n")


def _delta(after: np.ndarray, before: np.ndarray, human: np.ndarray):
    def statistic(weights: np.ndarray) -> np.ndarray:
        ranked_human = weighted_ranks(human, weights)
        return (weighted_pearson(weighted_ranks(after, weights), ranked_human, weights)
                - weighted_pearson(weighted_ranks(before, weights), ranked_human, weights))
    return statistic


def rho_change(probabilities: Mapping[str, np.ndarray], human: np.ndarray, images: np.ndarray,
               clusters: np.ndarray, resampling: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ρ of each model on ``images`` (rows like the correlations table) and Δρ against the base model.

    ``probabilities`` maps model names (with 'base') to per-image probabilities; ``human`` is the
    human entropy per image; ``clusters`` the cluster of each of ``images``.
    """
    entropy = {name: entropy_bits(p[images]) for name, p in probabilities.items()}
    y = human[images]
    results = {}
    for name, x in entropy.items():
        try:
            results[name] = entropy_correlation(x, y, "spearman", clusters=clusters, **resampling)
        except ValueError:
            results[name] = None
    correlations = pd.DataFrame([{"model": name, "images": HOLDOUT, "n": len(y)}
                                 | ({} if result is None else result.to_dict()) for name, result in results.items()])
    changes = []
    for name, result in results.items():
        if name == "base" or result is None or results.get("base") is None:
            continue
        row = {"model": name, "n": len(y), "rho_before": results["base"].r, "rho_after": result.r,
               "delta": result.r - results["base"].r, "n_clusters": len(np.unique(clusters))}
        bootstrap = cluster_bootstrap_result(_delta(entropy[name], entropy["base"], y), clusters, **resampling)
        if bootstrap is not None:
            row |= {"ci_low": float(bootstrap.confidence_interval.low),
                    "ci_high": float(bootstrap.confidence_interval.high),
                    "p_bootstrap": bootstrap_p(bootstrap.bootstrap_distribution)}
        changes.append(row)
    return correlations, pd.DataFrame(changes).reindex(columns=CHANGE_COLUMNS)
