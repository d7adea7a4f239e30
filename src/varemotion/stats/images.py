"""The per-image table: human response counts, shares and entropy next to the classifiers' view.

One row per stimulus of the manifest, in manifest order (columns :func:`per_image_columns`):

- the manifest's stimulus_id, kind, guide_a, guide_b, target_i, target_j and seed (the image's
  starting noise; blank where the manifest has none);
- n_ratings and enough_ratings (n_ratings ≥ ``min_ratings``);
- ``human_n_<emotion>`` counts and ``human_p_<emotion>`` shares of the ratings (NaN without ratings);
  a trial shared among emotions (:mod:`varemotion.behavior.weights`) counts each by its weight, so
  counts may be fractional;
- ``human_n_unclear`` and ``human_n_not_a_face``: the non-emotion answers. With ``non_emotion``
  'exclude' (the default) they are left out of n_ratings, the shares and the entropy; with
  'include' they count in n_ratings and the shares' denominator, and each is one more response
  category of the entropy;
- human_entropy_plugin: the entropy (bits) of the response shares, which is biased low for few
  ratings; human_entropy_miller_madow: the same with the Miller–Madow bias correction
  (:func:`varemotion.entropy.count_entropy_bits`); human_entropy: the one chosen by ``estimator``,
  the one every test uses;
- majority_response: the most chosen emotion, ties to the first in emotion order ('' without ratings);
- outcome: the guidance outcome of guided images (uncertainty and controversial; see
  :mod:`varemotion.stats.outcomes`; '' for other kinds and unrated images);
- every classifier's ``<clf>_p_<emotion>`` and ``<clf>_entropy`` columns, copied from the manifest;
- ensemble_entropy and guide_disagreement (:mod:`varemotion.stats.model_side`);
- last, the metadata columns a stimulus table brought into the manifest
  (:func:`varemotion.manifest.metadata_columns`), as they are.

Other columns of the manifest (the sampler settings, the realism scores) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from varemotion.behavior.answers import NON_EMOTION_ANSWERS
from varemotion.behavior.weights import trial_weights
from varemotion.entropy import ESTIMATORS, count_entropy_bits, entropy_bits
from varemotion.manifest import entropy_column, is_guided, metadata_columns, probability_column
from varemotion.stats.model_side import MODEL_SIDE_COLUMNS, model_side_measures
from varemotion.stats.outcomes import (
    DEFAULT_THRESHOLDS,
    OutcomeThresholds,
    classify_outcome,
)

IMAGE_COLUMNS = ["stimulus_id", "kind", "guide_a", "guide_b", "target_i", "target_j"]
#: The per-image column of each entropy estimator.
ENTROPY_COLUMNS = {estimator: f"human_entropy_{estimator}" for estimator in ESTIMATORS}
#: How the per-image table treats non-emotion answers (``stats.non_emotion_answers``).
NON_EMOTION_MODES = ("exclude", "include")
_SHOWN_IDS = 5


def human_count_column(emotion: str) -> str:
    return f"human_n_{emotion}"


def human_probability_column(emotion: str) -> str:
    return f"human_p_{emotion}"


def per_image_columns(emotions: Sequence[str], classifiers: Sequence[str]) -> list[str]:
    """The per-image table's columns, in order."""
    columns = IMAGE_COLUMNS + ["seed", "n_ratings", "enough_ratings"]
    columns += [human_count_column(e) for e in emotions] + [human_probability_column(e) for e in emotions]
    columns += [human_count_column(a) for a in NON_EMOTION_ANSWERS]
    columns += ["human_entropy", *ENTROPY_COLUMNS.values(), "majority_response", "outcome"]
    for name in classifiers:
        columns += [probability_column(name, e) for e in emotions] + [entropy_column(name)]
    return columns + MODEL_SIDE_COLUMNS


def emotions_of(per_image: pd.DataFrame) -> tuple[str, ...]:
    """The emotions of a per-image table, in its column order (from its ``human_n_`` columns)."""
    prefix = human_count_column("")
    emotions = tuple(c[len(prefix):] for c in per_image.columns
                     if c.startswith(prefix) and c[len(prefix):] not in NON_EMOTION_ANSWERS)
    if not emotions:
        raise ValueError(f"the table has no {prefix}<emotion> columns: is it a per-image table?")
    return emotions


def response_counts(trials: pd.DataFrame, stimulus_ids: Sequence[str], emotions: Sequence[str]) -> np.ndarray:
    """(stimuli × emotions) counts of each response; ValueError for unknown stimuli or responses.

    Non-emotion answers (``unclear``, ``not_a_face``) are not counted here (:func:`non_emotion_counts`).
    """
    stimulus_ids = pd.Index(stimulus_ids, dtype=object)
    stimuli = trials["stimulus_id"].astype(str)
    unknown = sorted(set(stimuli) - set(stimulus_ids))
    if unknown:
        shown = ", ".join(repr(s) for s in unknown[:_SHOWN_IDS])
        more = f" and {len(unknown) - _SHOWN_IDS} more" if len(unknown) > _SHOWN_IDS else ""
        raise ValueError(f"trials rate {len(unknown)} stimuli that are not in the manifest: {shown}{more}")
    responses = trials["response"].astype(str)
    bad = sorted(set(responses) - set(emotions) - set(NON_EMOTION_ANSWERS))
    if bad:
        raise ValueError(f"responses {bad[:_SHOWN_IDS]} are not among the emotions {list(emotions)}")
    return _counts(stimulus_ids, stimuli, responses, emotions, trial_weights(trials))


def non_emotion_counts(trials: pd.DataFrame, stimulus_ids: Sequence[str]) -> np.ndarray:
    """(stimuli × non-emotion answers) counts of the answers ``unclear`` and ``not_a_face``."""
    stimulus_ids = pd.Index(stimulus_ids, dtype=object)
    return _counts(stimulus_ids, trials["stimulus_id"].astype(str), trials["response"].astype(str), NON_EMOTION_ANSWERS,
                   trial_weights(trials))


def _counts(stimulus_ids: pd.Index, stimuli: pd.Series, responses: pd.Series, categories,
            weights: np.ndarray | None = None) -> np.ndarray:
    """(stimuli × categories) counts (sums of ``weights``, when given); other responses are skipped."""
    columns = pd.Index(list(categories), dtype=object).get_indexer(responses)
    kept = columns >= 0
    rows = stimulus_ids.get_indexer(stimuli)
    if weights is None:
        counts = np.zeros((len(stimulus_ids), len(categories)), dtype=np.int64)
        np.add.at(counts, (rows[kept], columns[kept]), 1)
        return counts
    counts = np.zeros((len(stimulus_ids), len(categories)))
    np.add.at(counts, (rows[kept], columns[kept]), weights[kept])
    return counts


def response_shares(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's response shares and their entropy in bits; NaN for rows without ratings."""
    n = counts.sum(axis=1)
    rated = n > 0
    shares = np.full(counts.shape, np.nan)
    shares[rated] = counts[rated] / n[rated, None]
    entropy = np.full(len(n), np.nan)
    entropy[rated] = entropy_bits(shares[rated])
    return shares, entropy


def majority(counts: np.ndarray, emotions: Sequence[str]) -> np.ndarray:
    """The most frequent emotion of each row of counts (ties: first in order); '' for rows of zeros."""
    names = np.asarray(list(emotions), dtype=object)[np.argmax(counts, axis=1)]
    names[counts.sum(axis=1) == 0] = ""
    return names


def per_image_table(
    trials: pd.DataFrame, manifest: pd.DataFrame, emotions: Sequence[str], classifiers: Sequence[str],
    min_ratings: int = 1, outcome_thresholds: OutcomeThresholds = DEFAULT_THRESHOLDS, estimator: str = "plugin",
    non_emotion: str = "exclude",
) -> pd.DataFrame:
    """One row per manifest stimulus with human counts, shares, entropy, majority and outcome.

    ``trials`` is a canonical trial table; ``non_emotion`` ('exclude' or 'include') says how its
    non-emotion answers enter the counts and the entropy (module docstring). Raises ValueError for trials of stimuli that are not
    in the manifest (naming them), responses that are not among ``emotions``, targets that are
    not among them, or classifier columns missing from the manifest.
    """
    emotions = list(emotions)
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if non_emotion not in NON_EMOTION_MODES:
        raise ValueError(f"non_emotion must be one of {NON_EMOTION_MODES}, got {non_emotion!r}")
    _check_manifest(manifest, emotions, classifiers)
    stimulus_ids = manifest["stimulus_id"].astype(str).to_numpy()
    counts = response_counts(trials, stimulus_ids, emotions)
    others = non_emotion_counts(trials, stimulus_ids)
    categories = np.hstack([counts, others]) if non_emotion == "include" else counts
    n = categories.sum(axis=1)
    if n.dtype.kind == "f":
        n = np.round(n, 9)  # weights of a trial sum to 1 up to rounding
    shares = response_shares(categories)[0][:, :len(emotions)]
    table = pd.DataFrame({c: manifest[c].to_numpy() for c in IMAGE_COLUMNS})
    table["stimulus_id"] = stimulus_ids
    table["seed"] = manifest["seed"].to_numpy() if "seed" in manifest.columns else ""
    table["n_ratings"] = n
    table["enough_ratings"] = n >= int(min_ratings)
    for k, emotion in enumerate(emotions):
        table[human_count_column(emotion)] = counts[:, k]
    for k, emotion in enumerate(emotions):
        table[human_probability_column(emotion)] = shares[:, k]
    for k, answer in enumerate(NON_EMOTION_ANSWERS):
        table[human_count_column(answer)] = others[:, k]
    for name, column in ENTROPY_COLUMNS.items():
        table[column] = count_entropy_bits(categories, name)
    table["human_entropy"] = table[ENTROPY_COLUMNS[estimator]]
    table["majority_response"] = majority(counts, emotions)
    table["outcome"] = _outcomes(table, emotions, shares, outcome_thresholds)
    model_columns = [c for name in classifiers
                     for c in [probability_column(name, e) for e in emotions] + [entropy_column(name)]]
    model = manifest[model_columns].apply(pd.to_numeric).reset_index(drop=True)
    measures = model_side_measures(manifest, classifiers, emotions)
    metadata = manifest[metadata_columns(manifest.columns)].reset_index(drop=True)
    columns = per_image_columns(emotions, classifiers) + list(metadata.columns)
    return pd.concat([table, model, measures, metadata], axis=1)[columns]


def _check_manifest(manifest: pd.DataFrame, emotions: list[str], classifiers: Sequence[str]) -> None:
    missing = [c for c in IMAGE_COLUMNS if c not in manifest.columns]
    for name in classifiers:
        missing += [c for c in [probability_column(name, e) for e in emotions] + [entropy_column(name)]
                    if c not in manifest.columns]
    if missing:
        raise ValueError(f"the manifest lacks the columns {missing}")
    guided = is_guided(manifest["kind"].astype(str))
    targets = set(manifest.loc[guided, "target_i"].astype(str)) | set(manifest.loc[guided, "target_j"].astype(str))
    unknown = sorted(targets - set(emotions))
    if unknown:
        raise ValueError(f"guided stimuli have targets {unknown} that are not among the emotions {emotions}")


def _outcomes(table: pd.DataFrame, emotions: list[str], shares: np.ndarray,
              thresholds: OutcomeThresholds) -> np.ndarray:
    outcome = np.full(len(table), "", dtype=object)
    guided = is_guided(table["kind"].astype(str))
    if not guided.any():
        return outcome
    order = pd.Index(emotions, dtype=object)
    rows = np.flatnonzero(guided)
    i = order.get_indexer(table["target_i"].astype(str).to_numpy()[rows])
    j = order.get_indexer(table["target_j"].astype(str).to_numpy()[rows])
    outcome[rows] = classify_outcome(shares[rows, i], shares[rows, j], thresholds)
    return outcome


def read_per_image(path) -> pd.DataFrame:
    """A per-image table written as CSV, with blank text cells (outcome, guides, targets) as ''."""
    table = pd.read_csv(path, dtype={"stimulus_id": str})
    text = ["kind", "guide_a", "guide_b", "target_i", "target_j", "majority_response", "outcome"]
    for column in [c for c in text if c in table.columns]:
        table[column] = table[column].fillna("").astype(str)
    return table
