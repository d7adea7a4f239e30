"""Two-alternative forced choice (2AFC): does a face show the target emotion or the foil, for people and models.

A trial shows one stimulus with two options, the target (the stimulus's true emotion) and a foil
(another emotion); the participant picks one. Simulated participants are the behaviour stage's
observers (:mod:`varemotion.behavior.simulation`): their K-way choice probabilities restricted to
the two options and renormalised, one option drawn from them. A model answers by the same rule
(``sample``: an option drawn from its own two-option probabilities) or with the option it finds
more probable (``argmax``), which favours it over people who sample; both are reported, and for
the sampling rule also its expected accuracy (the mean probability of the target, without draws).

Every face is shown to every participant, so a face's trials are not independent (a model's
argmax answers a face the same way each time): :func:`percent_correct`'s interval resamples the
faces, not the trials.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from varemotion.behavior.labels import parse_responses
from varemotion.behavior.simulation import SUBJECT_PREFIX, choice_probabilities, draw_choices
from varemotion.behavior.textfiles import read_table, require_columns, resolve_column_map
from varemotion.behavior.trials import (
    check_emotions,
    check_known_stimuli,
    check_stimulus_ids,
    error_at,
    raise_first,
    required_text,
    text_values,
)
from varemotion.stats.clusters import cluster_bootstrap, weighted_mean

TWOAFC_COLUMNS = ("subject_id", "stimulus_id", "target", "foil", "response")
DESIGN_COLUMNS = TWOAFC_COLUMNS[:4]
TWOAFC_EXPECTED = ("a CSV or TSV table with a header line and one trial per line: columns subject_id, stimulus_id,"
                   " target, foil, response")


def _emotions(table: pd.DataFrame, column: str, emotions, expected: str) -> pd.Series:
    names = parse_responses(table, column, emotions)
    raise_first(table, names == "", "is blank", column=column, values=text_values(table[column]), expected=expected)
    return names


def read_twoafc(path: str | os.PathLike[str], stimulus_ids, emotions, column_map: dict | None = None) -> pd.DataFrame:
    """Read a 2AFC table (CSV/TSV, one trial per line) into the TWOAFC_COLUMNS layout, checking every value.

    target, foil and response are emotions (names in any case, or 0-based indices into
    ``emotions``; one kind per column); the foil differs from the target and the response is one
    of the two. stimulus_id must be one of ``stimulus_ids``. Raises DataError naming the file,
    line, column and value of the first problem; the file is only read.
    """
    emotions, known = check_emotions(emotions), check_stimulus_ids(stimulus_ids)
    names = resolve_column_map(column_map, {c: c for c in TWOAFC_COLUMNS})
    table = read_table(path, TWOAFC_EXPECTED)
    require_columns(table, path, list(TWOAFC_COLUMNS), names)
    subjects = required_text(table, names["subject_id"], "the id of the subject who answered, on every row")
    stimuli = required_text(table, names["stimulus_id"], "the id of the shown stimulus, on every row")
    check_known_stimuli(table, stimuli, known, names["stimulus_id"])
    target = _emotions(table, names["target"], emotions, "the stimulus's true emotion, one of the two options")
    foil = _emotions(table, names["foil"], emotions, "the other option, an emotion other than the target")
    response = _emotions(table, names["response"], emotions, "the option chosen: the trial's target or foil")
    foil_text = text_values(table[names["foil"]])
    raise_first(table, target == foil, "is the same emotion as the target",
                column=names["foil"], values=foil_text, expected="a foil that differs from the trial's target")
    neither = ((response != target) & (response != foil)).to_numpy()
    if neither.any():
        i = int(np.argmax(neither))
        raise error_at(table, i, f"is neither the trial's target {target.iat[i]!r} nor its foil {foil.iat[i]!r}",
                       column=names["response"], value=text_values(table[names["response"]]).iat[i],
                       expected="the option chosen: the trial's target or foil")
    trials = pd.DataFrame({"subject_id": subjects, "stimulus_id": stimuli, "target": target, "foil": foil,
                           "response": response})
    return trials[list(TWOAFC_COLUMNS)].reset_index(drop=True)


def design_twoafc(stimulus_ids, labels, emotions, n_subjects: int, seed: int) -> pd.DataFrame:
    """Every subject × stimulus once: target the true emotion, foil uniform over the others; shuffled per subject.

    Columns DESIGN_COLUMNS (subject_id, stimulus_id, target, foil); subject ids 'sim001', … are
    those of :func:`~varemotion.behavior.simulation.sample_observers` with the same n. The stimulus
    ids are kept in ``design.attrs["stimulus_ids"]`` for :func:`simulate_twoafc`.
    """
    emotions = check_emotions(emotions)
    ids = np.asarray([str(s) for s in stimulus_ids], dtype=object)
    labels = np.asarray(labels, dtype=np.int64)
    k = len(emotions)
    if k < 2 or n_subjects < 1 or labels.shape != ids.shape or ((labels < 0) | (labels >= k)).any():
        raise ValueError(f"design_twoafc needs ≥ 2 emotions, n_subjects ≥ 1 and one label 0 to {k - 1} per"
                         f" stimulus; got {k} emotions, n_subjects={n_subjects}, {len(ids)} ids,"
                         f" labels of shape {labels.shape}")
    rng = np.random.default_rng(seed)
    width = max(3, len(str(n_subjects)))
    names = np.asarray(emotions, dtype=object)
    parts = []
    for s in range(n_subjects):
        order = rng.permutation(len(ids))
        foil = (labels[order] + rng.integers(1, k, len(ids))) % k
        parts.append(pd.DataFrame({"subject_id": f"{SUBJECT_PREFIX}{s + 1:0{width}d}", "stimulus_id": ids[order],
                                   "target": names[labels[order]], "foil": names[foil]}))
    design = pd.concat(parts, ignore_index=True)[list(DESIGN_COLUMNS)]
    design.attrs["stimulus_ids"] = list(ids)
    return design


def _indices(values: pd.Series, index: pd.Index, what: str) -> np.ndarray:
    found = index.get_indexer(values.astype(str))
    if (found < 0).any():
        raise ValueError(f"{what} {values.astype(str)[found < 0].iat[0]!r} is not among {list(index[:5])}…")
    return found


def _check_design(design: pd.DataFrame) -> None:
    missing = [c for c in DESIGN_COLUMNS if c not in design.columns]
    if missing:
        raise ValueError(f"design is missing columns {missing}; it needs {list(DESIGN_COLUMNS)}")


def simulate_twoafc(design: pd.DataFrame, logits, observers: pd.DataFrame, emotions, seed: int,
                    stimulus_ids=None) -> pd.DataFrame:
    """Each design row answered by its simulated participant; returns the TWOAFC_COLUMNS table.

    ``logits`` is (S, K): row i the perceptual front-end's logits for ``stimulus_ids[i]`` (default:
    ``design.attrs["stimulus_ids"]`` as set by :func:`design_twoafc`). ``observers`` is a
    :func:`~varemotion.behavior.simulation.sample_observers` table. The participant's
    :func:`~varemotion.behavior.simulation.choice_probabilities` are restricted to (target, foil),
    renormalised, and one option drawn with :func:`~varemotion.behavior.simulation.draw_choices`.
    """
    emotions = check_emotions(emotions)
    _check_design(design)
    stimulus_ids = design.attrs.get("stimulus_ids") if stimulus_ids is None else stimulus_ids
    if stimulus_ids is None:
        raise ValueError("simulate_twoafc needs stimulus_ids (the stimulus of each row of logits)")
    stimuli = pd.Index([str(s) for s in stimulus_ids])
    logits = np.asarray(logits, dtype=float)
    if logits.shape != (len(stimuli), len(emotions)) or not stimuli.is_unique:
        raise ValueError(f"logits have shape {logits.shape}, expected one row per distinct stimulus id and one"
                         f" column per emotion: {(len(stimuli), len(emotions))}")
    table = design.reset_index(drop=True)
    stimulus_rows = _indices(table["stimulus_id"], stimuli, "design stimulus")
    people = observers.reset_index(drop=True)
    observer_rows = _indices(table["subject_id"], pd.Index(people["subject_id"].astype(str)), "design subject")
    options = np.stack([_indices(table[c], pd.Index(emotions), f"design {c}") for c in ("target", "foil")], axis=1)
    p = choice_probabilities(logits[stimulus_rows], people.iloc[observer_rows], emotions)
    pair = np.take_along_axis(p, options, axis=1)
    chosen = draw_choices(pair / pair.sum(axis=1, keepdims=True), np.random.default_rng(seed))
    response = np.asarray(emotions, dtype=object)[options[np.arange(len(table)), chosen]]
    return table[list(DESIGN_COLUMNS)].assign(response=response)[list(TWOAFC_COLUMNS)]


RULES = ("sample", "argmax")
PEOPLE_RULE = "observed"
ACCURACY_COLUMNS = ["who", "rule", "n", "n_stimuli", "correct", "accuracy", "ci_low", "ci_high", "expected"]


def target_share(probabilities, trials: pd.DataFrame, stimulus_ids, emotions) -> np.ndarray:
    """Per trial, the model's probability of the target over the two options: p_target / (p_target + p_foil)."""
    emotions = check_emotions(emotions)
    _check_design(trials)
    stimuli = pd.Index([str(s) for s in stimulus_ids])
    p = np.asarray(probabilities, dtype=float)
    if p.shape != (len(stimuli), len(emotions)):
        raise ValueError(f"probabilities have shape {p.shape}, expected {(len(stimuli), len(emotions))}")
    rows = _indices(trials["stimulus_id"], stimuli, "trial stimulus")
    target = _indices(trials["target"], pd.Index(emotions), "trial target")
    foil = _indices(trials["foil"], pd.Index(emotions), "trial foil")
    p_target, p_foil = p[rows, target], p[rows, foil]
    total = p_target + p_foil
    return np.divide(p_target, total, out=np.full(len(rows), 0.5), where=total > 0)


def model_twoafc(probabilities, trials: pd.DataFrame, stimulus_ids, emotions, seed: int = 0,
                 rule: str = "sample") -> pd.Series:
    """A model's answer to each trial under ``rule`` (see the module docstring), as emotion names.

    ``probabilities`` is (S, K), row i for ``stimulus_ids[i]``. Under ``argmax`` exact ties are
    broken by a coin drawn from ``seed``, so a model indifferent between the options scores 50 %
    on average. Returns the responses indexed like ``trials``.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    share = target_share(probabilities, trials, stimulus_ids, emotions)
    draw = np.random.default_rng(seed).random(len(share))
    pick_target = draw < share if rule == "sample" else (share > 0.5) | ((share == 0.5) & (draw < 0.5))
    return pd.Series(np.where(pick_target, trials["target"].astype(str), trials["foil"].astype(str)),
                     index=trials.index, name="response")


def percent_correct(trials: pd.DataFrame, who: str, confidence: float = 0.95, rule: str = PEOPLE_RULE,
                    n_resamples: int = 1999, seed: int = 0, expected=None) -> dict:
    """:data:`ACCURACY_COLUMNS`: accuracy over trials answered with the target, its CI resampling the stimuli.

    ``expected`` (per-trial probabilities of a correct answer) gives the expected accuracy.
    """
    missing = [c for c in ("target", "response", "stimulus_id") if c not in trials.columns]
    if missing:
        raise ValueError(f"trials are missing columns {missing}")
    correct = (trials["response"].astype(str) == trials["target"].astype(str)).to_numpy(dtype=float)
    row = {"who": who, "rule": rule, "n": len(trials), "n_stimuli": int(trials["stimulus_id"].nunique()),
           "correct": int(correct.sum()), "accuracy": correct.mean() if len(trials) else np.nan,
           "ci_low": np.nan, "ci_high": np.nan,
           "expected": float(np.mean(expected)) if expected is not None and len(trials) else np.nan}
    if len(trials):
        clusters = pd.factorize(trials["stimulus_id"].astype(str))[0]
        row["ci_low"], row["ci_high"] = cluster_bootstrap(lambda w: weighted_mean(correct, w), clusters,
                                                          n_resamples, confidence, seed)
    return row
