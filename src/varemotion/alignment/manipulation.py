"""Manipulation: faces meant to split two particular people, made with their individual models.

For a pair of participants (a, b) (the pairs whose individual models differ most), controversial guidance pulls a's individual model towards
emotion i and b's towards j, over every ordered pair (i, j); the images pass the sampler's
controversial filter. With simulated participants, observers a and b then answer each image and
the outcome is *success* (a chooses i and b chooses j), *bias* (both choose the same emotion) or
*failure* (any other answer). The control is the same number of images of the group-level
controversial set (guided by two classifiers), answered by the same two observers with the
image's targets i and j.

Besides the sampled answers, each image has its expected success p_a(i | x) · p_b(j | x), from the
two observers' choice probabilities, which has no sampling noise. Images cluster within a
participant pair (the same two models made them), so the inference is at the pair level
(:func:`pair_level`): per pair, the manipulated images' mean minus the control images', tested
across pairs with an exact sign-flip permutation test and the Wilcoxon signed-rank test. The
image-level Fisher test of the success counts is kept as a description.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.stats
import torch
from statsmodels.stats.proportion import proportion_confint

from varemotion.alignment.models import IndividualModels
from varemotion.behavior.simulation import choice_probabilities, draw_choices
from varemotion.data.splits import images_to_float
from varemotion.models.evaluation import predict_proba
from varemotion.sampling.filters import keep_controversial
from varemotion.sampling.pairs import sample_pairs
from varemotion.sampling.sets import to_uint8

log = logging.getLogger(__name__)

OUTCOMES = ("success", "bias", "failure")
CONDITIONS = ("manipulated", "control")
OUTCOME_COLUMNS = ["condition", "pair", "subject_a", "subject_b", "stimulus_id", "target_i", "target_j",
                   "response_a", "response_b", "outcome", "expected_success"]
PAIR_COLUMNS = ["pair", "subject_a", "subject_b", "condition", "n", "success_share", "expected_success"]
SUMMARY_COLUMNS = ["condition", "outcome", "count", "n", "share", "ci_low", "ci_high"]


def most_different_pairs(subjects: Sequence[str], shifts: np.ndarray, n_pairs: int) -> list[tuple[str, str]]:
    """Up to ``n_pairs`` disjoint pairs, greedily the two subjects whose models differ most.

    ``shifts`` (P, K) is each individual model's mean logit shift from the group model, centred
    over emotions: the pairs whose learned biases are furthest apart (Euclidean) come first, as
    they are the ones a controversial image can most plausibly split.
    """
    if len(subjects) < 2:
        raise ValueError(f"manipulation needs two participants with individual models, got {len(subjects)}")
    distance = np.linalg.norm(shifts[:, None, :] - shifts[None, :, :], axis=-1)
    free, pairs = np.ones(len(subjects), dtype=bool), []
    while len(pairs) < n_pairs and free.sum() >= 2:
        masked = np.where(free[:, None] & free[None, :], distance, -np.inf)
        np.fill_diagonal(masked, -np.inf)
        a, b = np.unravel_index(np.argmax(masked), masked.shape)
        pairs.append((str(subjects[a]), str(subjects[b])))
        free[[a, b]] = False
    return pairs


def pair_outcomes(response_a, response_b, target_i, target_j) -> np.ndarray:
    """success (a → i and b → j), bias (a and b agree) or failure (anything else), per image."""
    a, b = np.asarray(response_a, dtype=object), np.asarray(response_b, dtype=object)
    success = (a == np.asarray(target_i, dtype=object)) & (b == np.asarray(target_j, dtype=object))
    return np.where(success, "success", np.where(a == b, "bias", "failure"))


def manipulation_stimuli(prior, models: IndividualModels, pairs: Sequence[tuple[str, str]], n_per_pair: int,
                         min_prob: float, sampler: dict, max_batch: int, seed: int, device) -> tuple[np.ndarray, pd.DataFrame]:
    """Controversial samples per pair of individual models, filtered; uint8 images and one row per kept image."""
    emotions = list(models.group.config.emotions)
    images, rows = [], []
    for index, (a, b) in enumerate(pairs):
        guides = (models.classifier(a).to(device), models.classifier(b).to(device))
        samples = sample_pairs(prior, guides, None, n_per_pair, max_batch=max_batch, seed=seed + 100_000 * index,
                               device=device, **sampler)
        quantised = images_to_float(to_uint8(samples.images))
        p_a, p_b = (torch.from_numpy(predict_proba(g, quantised, device)) for g in guides)
        i, j = samples.pairs[:, 0], samples.pairs[:, 1]
        keep = keep_controversial(p_a, p_b, i, j, min_prob).numpy()
        for n in np.flatnonzero(keep):
            rows.append({"pair": index, "subject_a": a, "subject_b": b,
                         "stimulus_id": f"manipulation-{index:03d}-{int(samples.seeds[n]):06d}",
                         "target_i": emotions[int(i[n])], "target_j": emotions[int(j[n])],
                         "p_a_i": float(p_a[n, i[n]]), "p_b_j": float(p_b[n, j[n]])})
        images.append(to_uint8(samples.images)[keep])
    columns = ["pair", "subject_a", "subject_b", "stimulus_id", "target_i", "target_j", "p_a_i", "p_b_j"]
    return np.concatenate(images), pd.DataFrame(rows, columns=columns)


def observer_probabilities(logits: np.ndarray, observers: pd.DataFrame, subjects: Sequence[str],
                           emotions: Sequence[str]) -> np.ndarray:
    """The choice probabilities (N, K) of the simulated observer named in ``subjects`` for each image."""
    table = observers.set_index(observers["subject_id"].astype(str)).loc[list(subjects)].reset_index(drop=True)
    return choice_probabilities(logits, table, emotions)


def control_rows(manifest: pd.DataFrame, stimuli: pd.DataFrame, seed: int) -> pd.DataFrame:
    """For each pair, as many group-level controversial stimuli as it has manipulation stimuli.

    When the stimulus set has no controversial images, the uncertainty images (also guided
    towards a pair i, j) take their place.
    """
    pool = manifest[manifest["kind"] == "controversial"]
    if pool.empty:
        log.warning("no controversial stimuli: the manipulation's control draws from the uncertainty stimuli")
        pool = manifest[manifest["kind"] == "uncertainty"]
    if pool.empty and len(stimuli):
        raise ValueError("the stimulus set has no guided images to serve as the manipulation's control")
    rng = np.random.default_rng(seed)
    rows = []
    for (index, a, b), group in stimuli.groupby(["pair", "subject_a", "subject_b"], sort=True):
        chosen = rng.choice(len(pool), size=len(group), replace=len(group) > len(pool))
        picked = pool.iloc[chosen]
        rows.append(pd.DataFrame({"pair": index, "subject_a": a, "subject_b": b,
                                  "stimulus_id": picked["stimulus_id"].to_numpy(),
                                  "target_i": picked["target_i"].to_numpy(), "target_j": picked["target_j"].to_numpy()}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=OUTCOME_COLUMNS[1:7])


def answer(rows: pd.DataFrame, logits: pd.DataFrame, observers: pd.DataFrame, condition: str,
           rng: np.random.Generator) -> pd.DataFrame:
    """Both observers of each row answer its image; adds responses and the outcome."""
    if rows.empty:
        return pd.DataFrame(columns=OUTCOME_COLUMNS)
    emotions = [str(c) for c in logits.columns]
    g = logits.loc[rows["stimulus_id"].astype(str)].to_numpy()
    table = rows.copy()
    table.insert(0, "condition", condition)
    names = np.asarray(emotions, dtype=object)
    p_a, p_b = (observer_probabilities(g, observers, rows[c], emotions) for c in ("subject_a", "subject_b"))
    table["response_a"] = names[draw_choices(p_a, rng)]
    table["response_b"] = names[draw_choices(p_b, rng)]
    table["outcome"] = pair_outcomes(table["response_a"], table["response_b"], table["target_i"], table["target_j"])
    i, j = (pd.Index(emotions).get_indexer(rows[c].astype(str)) for c in ("target_i", "target_j"))
    table["expected_success"] = p_a[np.arange(len(rows)), i] * p_b[np.arange(len(rows)), j]
    return table[OUTCOME_COLUMNS]


def pair_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per participant pair and condition: images, share of sampled successes, mean expected success."""
    if outcomes.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    table = outcomes.assign(success=(outcomes["outcome"] == "success").astype(float))
    grouped = table.groupby(["pair", "subject_a", "subject_b", "condition"], sort=True)
    return grouped.agg(n=("success", "size"), success_share=("success", "mean"),
                       expected_success=("expected_success", "mean")).reset_index()[PAIR_COLUMNS]


def _sign_flip(differences: np.ndarray) -> float:
    if len(differences) < 2 or not (differences != 0).any():
        return np.nan
    test = scipy.stats.permutation_test((differences,), np.mean, permutation_type="samples",
                                        alternative="greater", n_resamples=np.inf)
    return float(test.pvalue)


def pair_level(pairs: pd.DataFrame) -> dict:
    """Manipulated minus control per pair, for expected and sampled success; one-sided tests across pairs."""
    wide = pairs.pivot_table(index="pair", columns="condition", values=["expected_success", "success_share"])
    result = {"n_pairs": 0}
    if wide.empty or not {"manipulated", "control"} <= set(wide.columns.get_level_values(1)):
        return result
    result["n_pairs"] = len(wide.dropna())
    for value in ("expected_success", "success_share"):
        d = (wide[(value, "manipulated")] - wide[(value, "control")]).dropna().to_numpy(dtype=float)
        wilcoxon = scipy.stats.wilcoxon(d, alternative="greater").pvalue if (d != 0).any() else np.nan
        result[value] = {"mean_difference": float(d.mean()) if len(d) else np.nan,
                         "p_sign_flip": _sign_flip(d), "p_wilcoxon": float(wilcoxon)}
    return result


def outcome_summary(outcomes: pd.DataFrame, confidence: float = 0.95) -> tuple[pd.DataFrame, dict]:
    """Share of each outcome per condition with Wilson CIs, and Fisher's exact test of the success rates."""
    rows, counts = [], {}
    for condition in CONDITIONS:
        part = outcomes[outcomes["condition"] == condition]
        n = len(part)
        for outcome in OUTCOMES:
            k = int((part["outcome"] == outcome).sum())
            low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson") if n else (np.nan, np.nan)
            rows.append({"condition": condition, "outcome": outcome, "count": k, "n": n,
                         "share": k / n if n else np.nan, "ci_low": low, "ci_high": high})
        on_target = (part["response_a"] == part["target_i"]).sum() + (part["response_b"] == part["target_j"]).sum()
        counts[condition] = {"n": n, "success": int((part["outcome"] == "success").sum()),
                             "targeted_share": float(on_target / (2 * n)) if n else np.nan,
                             "expected_success": float(part["expected_success"].mean()) if n else np.nan}
    summary = {"conditions": counts, "pair_level": pair_level(pair_table(outcomes)),
               "fisher_success": {"odds_ratio": np.nan, "p": np.nan}}
    m, c = counts["manipulated"], counts["control"]
    if m["n"] and c["n"]:
        test = scipy.stats.fisher_exact([[m["success"], m["n"] - m["success"]], [c["success"], c["n"] - c["success"]]])
        summary["fisher_success"] = {"odds_ratio": float(test.statistic), "p": float(test.pvalue)}
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS), summary
