"""How well base, group and individual models predict each person's responses.

All accuracies are on trials never used in fitting or model selection (the ``held_out`` part):

- per participant (own held-out trials), with Wilcoxon signed-rank tests across participants of
  group vs base and individual vs group;
- pooled over everyone's held-out trials and by tertile of the image's human response entropy
  (the gains of alignment are expected on the ambiguous images);
- on the original test set (does fine-tuning forget the original task?).

Participants compared on pooled trials are those with an individual model, so every model is
scored on the same trials. :func:`entropy_correlations` over every rated image is in-sample for
the fine-tuned models (their training images are among them); the evaluation on the stimuli
held out for everyone is in :mod:`varemotion.alignment.holdout_evaluation`. With simulated
participants, :func:`bias_recovery` compares each participant's planted effective bias τ_s·b_s
(the shift of their logits) with the logit shift their individual model learned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.stats
from scipy.special import softmax
from statsmodels.stats.proportion import proportion_confint

from varemotion.alignment.trials import HumanTrials, response_counts
from varemotion.behavior.simulation import BIAS_PREFIX
from varemotion.entropy import count_entropy_bits, entropy_bits
from varemotion.stats.clusters import cluster_bootstrap, weighted_pearson
from varemotion.stats.correlation import entropy_correlation

MODELS = ("base", "group", "group_soft", "individual")
TERTILES = ("entropy_low", "entropy_middle", "entropy_high")
ACCURACY_COLUMNS = ["evaluation", "model", "accuracy", "ci_low", "ci_high", "n"]


def human_entropy(human: HumanTrials, n_images: int, estimator: str = "plugin") -> tuple[np.ndarray, np.ndarray]:
    """Each image's number of ratings and response entropy (bits; NaN when unrated), over all trials."""
    counts = response_counts(human.table, n_images, len(human.emotions), human.targets)
    return counts.sum(axis=1), count_entropy_bits(counts, estimator)


def entropy_tertiles(entropy: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The tertile (low/middle/high) of each image in ``images``, cut over the distinct images.

    Images of equal entropy share their average rank and so their tertile, whatever their order.
    """
    distinct = np.unique(images)
    ranks = scipy.stats.rankdata(entropy[distinct], method="average")
    label = np.asarray(TERTILES, dtype=object)[np.minimum((3 * (ranks - 1) / len(distinct)).astype(int), 2)]
    return pd.Series(label, index=distinct).reindex(images).to_numpy()


def _wilson(correct: np.ndarray, confidence: float) -> dict:
    """Accuracy with a Wilson interval; hits may be fractional (the credit of shared trials)."""
    n, k = len(correct), float(np.sum(correct))
    k = int(k) if k.is_integer() else k
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson") if n else (np.nan, np.nan)
    return {"accuracy": k / n if n else np.nan, "ci_low": low, "ci_high": high, "n": n}


def _mean_interval(values: np.ndarray, confidence: float) -> dict:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) < 2:
        return {"accuracy": float(values.mean()) if len(values) else np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "n": len(values)}
    low, high = scipy.stats.t.interval(confidence, len(values) - 1, values.mean(), scipy.stats.sem(values))
    return {"accuracy": float(values.mean()), "ci_low": low, "ci_high": high, "n": len(values)}


def trial_predictions(held_out: pd.DataFrame, logits: Mapping[str, np.ndarray], individual: np.ndarray | None,
                      subjects: Sequence[str], targets: np.ndarray | None = None) -> pd.DataFrame:
    """Whether each model's most probable emotion is each held-out trial's response (one column per model).

    With ``targets`` (each trial's weight on each emotion, for trials shared among responses) a
    prediction scores the trial's weight on the predicted emotion.
    """
    table = held_out[["subject_id", "image", "label"]].reset_index(drop=True)

    def hits(predicted: np.ndarray, rows) -> np.ndarray:
        if targets is None:
            return predicted == table["label"].to_numpy()[rows]
        return targets[np.arange(len(table))[rows], predicted]

    for name, values in logits.items():
        table[name] = hits(values.argmax(axis=1)[table["image"]], slice(None))
    if individual is not None:
        row = pd.Index(subjects).get_indexer(table["subject_id"])
        has = row >= 0
        scores = np.full(len(table), np.nan)
        scores[has] = hits(individual.argmax(axis=2)[row[has], table["image"][has]], has)
        table["individual"] = scores
    return table


def participant_table(human: HumanTrials, predictions: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """One row per subject: trial counts and each model's accuracy on the subject's held-out trials."""
    counts = human.table.groupby("subject_id", sort=False)["part"].value_counts().unstack(fill_value=0)
    accuracy = predictions.groupby("subject_id", sort=False)[list(models)].mean()
    table = pd.DataFrame({"subject_id": human.subjects})
    table["n_train"] = counts.reindex(human.subjects).get("train", 0).to_numpy()
    table["n_held_out"] = counts.reindex(human.subjects).get("held_out", 0).to_numpy()
    for name in models:
        table[f"acc_{name}"] = accuracy[name].reindex(human.subjects).to_numpy(dtype=float)
    return table


def accuracy_table(predictions: pd.DataFrame, participants: pd.DataFrame, tertile: np.ndarray,
                   test_hits: Mapping[str, np.ndarray], models: Sequence[str], confidence: float) -> pd.DataFrame:
    """The long accuracy table (:data:`ACCURACY_COLUMNS`) over participants with an individual model."""
    compared = predictions["individual"].notna() if "individual" in predictions else np.ones(len(predictions), bool)
    rows = []
    for name in models:
        hits = predictions.loc[compared, name].to_numpy(dtype=float)
        rows.append({"evaluation": "held_out_trials", "model": name, **_wilson(hits, confidence)})
        with_model = participants["acc_individual"].notna() if "individual" in models else slice(None)
        rows.append({"evaluation": "participant_mean", "model": name,
                     **_mean_interval(participants.loc[with_model, f"acc_{name}"], confidence)})
        for label in TERTILES:
            part = (tertile == label) & compared.to_numpy()
            rows.append({"evaluation": label, "model": name,
                         **_wilson(predictions.loc[part, name].to_numpy(dtype=float), confidence)})
    for name, hits in test_hits.items():
        summary = _mean_interval(hits.mean(axis=1), confidence) if hits.ndim == 2 else _wilson(hits, confidence)
        if hits.ndim == 2:
            summary["n"] = hits.shape[1]
        rows.append({"evaluation": "original_test", "model": name, **summary})
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def paired_test(better: pd.Series, worse: pd.Series) -> dict:
    """Wilcoxon signed-rank test (two-sided) of paired per-participant accuracies, and the counts."""
    keep = better.notna() & worse.notna()
    difference = (better[keep] - worse[keep]).to_numpy(dtype=float)
    result = {"n": int(keep.sum()), "n_improved": int((difference > 0).sum()), "n_worse": int((difference < 0).sum()),
              "median_difference": float(np.median(difference)) if len(difference) else np.nan,
              "statistic": np.nan, "p": np.nan}
    if (difference != 0).sum() >= 1:
        test = scipy.stats.wilcoxon(difference)
        result |= {"statistic": float(test.statistic), "p": float(test.pvalue)}
    return result


def entropy_correlations(probabilities: Mapping[str, np.ndarray], entropy: np.ndarray, images: np.ndarray,
                         clusters: np.ndarray, resampling: dict) -> pd.DataFrame:
    """Spearman ρ of each model's entropy with human entropy over ``images`` (images 'all_rated': in-sample)."""
    rows = []
    for name, p in probabilities.items():
        result = entropy_correlation(entropy_bits(p[images]), entropy[images], "spearman", clusters=clusters,
                                     **resampling)
        rows.append({"model": name, "images": "all_rated", **result.to_dict()})
    return pd.DataFrame(rows)


def _effective_bias(observers: pd.DataFrame, subjects: Sequence[str], emotions: Sequence[str]) -> np.ndarray:
    """τ_s · b_s per subject (rows) and emotion, centred over emotions: how far the observer's logits shift."""
    table = observers.set_index(observers["subject_id"].astype(str)).reindex(list(subjects))
    shift = np.array(table[[BIAS_PREFIX + e for e in emotions]], dtype=float) * table[["temperature"]].to_numpy(float)
    return shift - shift.mean(axis=1, keepdims=True)


def bias_recovery(observers: pd.DataFrame, subjects: Sequence[str], individual: np.ndarray, group: np.ndarray,
                  emotions: Sequence[str], n_resamples: int = 9999, confidence: float = 0.95,
                  seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Planted effective bias τ·b vs learned logit shift (individual − group, mean over images), both centred.

    Within a subject the centred values sum to zero, so the (subject, emotion) pairs are not
    independent: the p-value permutes which subject's planted biases go with which learned shifts
    (:func:`scipy.stats.permutation_test`), and the CI resamples subjects.
    """
    planted = _effective_bias(observers, subjects, emotions)
    learned = (individual - group[None]).mean(axis=1)
    learned -= learned.mean(axis=1, keepdims=True)
    table = pd.DataFrame({"subject_id": np.repeat(list(subjects), len(emotions)),
                          "emotion": np.tile(list(emotions), len(subjects)),
                          "planted": planted.ravel(), "learned": learned.ravel()})
    if len(subjects) < 3:
        return table, {"r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan, "n": len(table),
                       "n_subjects": len(subjects)}
    x, y = planted.ravel(), learned.ravel()

    def by_subject(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(planted[a].ravel(), learned[b].ravel())[0, 1])

    subjects_index = np.arange(len(subjects))
    permutation = scipy.stats.permutation_test((subjects_index, subjects_index), by_subject, vectorized=False,
                                               permutation_type="pairings", n_resamples=n_resamples,
                                               rng=np.random.default_rng(seed))
    low, high = cluster_bootstrap(lambda w: weighted_pearson(x, y, w), np.repeat(subjects_index, len(emotions)),
                                  n_resamples, confidence, seed)
    return table, {"r": float(np.corrcoef(x, y)[0, 1]), "ci_low": low, "ci_high": high,
                   "p": float(permutation.pvalue), "n": len(table), "n_subjects": len(subjects)}


def probabilities_of(logits: np.ndarray) -> np.ndarray:
    return softmax(np.asarray(logits, dtype=np.float64), axis=-1)
