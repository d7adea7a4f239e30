"""How often people answered "unclear" or "not a face", per stimulus kind.

FER+ records such votes (unknown, NF) beside the emotions; a stimulus kind that people often
call no face at all says the synthesis left the face manifold. One row per kind and non-emotion
answer (:data:`NON_EMOTION_COLUMNS`): the kind's rating trials, the answer's count and share, and
a Wilson interval of the share. Trials shared among responses count by their weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from varemotion.behavior.answers import NON_EMOTION_ANSWERS
from varemotion.behavior.weights import trial_weights

NON_EMOTION_COLUMNS = ["kind", "answer", "n_trials", "n_answers", "share", "ci_low", "ci_high"]


def non_emotion_table(trials: pd.DataFrame, manifest: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Count and share of each non-emotion answer among each stimulus kind's trials (kinds in sorted order)."""
    kinds = pd.Series(manifest["kind"].astype(str).to_numpy(), index=manifest["stimulus_id"].astype(str).to_numpy())
    trial_kinds = kinds.reindex(trials["stimulus_id"].astype(str).to_numpy())
    if trial_kinds.isna().any():
        raise ValueError("trials rate stimuli that are not in the manifest")
    responses = trials["response"].astype(str).to_numpy()
    weights = trial_weights(trials)
    weights = np.ones(len(trials)) if weights is None else weights
    rows = []
    for kind in sorted(set(kinds)):
        in_kind = (trial_kinds == kind).to_numpy()
        n = _count(weights[in_kind].sum())
        for answer in NON_EMOTION_ANSWERS:
            k = _count(weights[in_kind][responses[in_kind] == answer].sum())
            low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson") if n else (np.nan, np.nan)
            rows.append({"kind": kind, "answer": answer, "n_trials": n, "n_answers": k,
                         "share": k / n if n else np.nan, "ci_low": float(low), "ci_high": float(high)})
    return pd.DataFrame(rows, columns=NON_EMOTION_COLUMNS)


def _count(total: float) -> int | float:
    """A sum of trial weights: whole (int) unless trials are shared among responses."""
    total = round(float(total), 9)
    return int(total) if total.is_integer() else total


def non_emotion_summary(table: pd.DataFrame) -> dict:
    """The shares for summary.json: overall and per kind, for each non-emotion answer."""
    summary = {}
    for answer, rows in table.groupby("answer", sort=False):
        n = int(rows["n_trials"].sum())
        summary[answer] = {"share": float(rows["n_answers"].sum() / n) if n else None,
                           "by_kind": {r.kind: (None if np.isnan(r.share) else float(r.share))
                                       for r in rows.itertuples()}}
    return summary
