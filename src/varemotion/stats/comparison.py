"""The headline numbers of several analyses side by side (e.g. the study and the swapped front-end).

The simulated participants see the faces through a front-end classifier of a family that guided
no image; whatever of their agreement with the guides' boundaries survives swapping it for a
front-end of yet another family does not come from one front-end's quirks.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

COMPARISON_COLUMNS = ["quantity", "analysis", "estimate", "ci_low", "ci_high", "p"]


def _rows(summary: dict) -> list[dict]:
    rows = []
    for row in summary.get("entropy_by_kind", {}).get("comparisons", []):
        if row["kind"] == "guided":
            rows.append({"quantity": "boundary - control entropy (bits)", "estimate": row["mean_difference"],
                         "ci_low": row["ci_low"], "ci_high": row["ci_high"], "p": row["p_greater"]})
            rows.append({"quantity": "boundary - control entropy, paired by seed (bits)",
                         "estimate": row["paired_mean_difference"], "ci_low": row["paired_ci_low"],
                         "ci_high": row["paired_ci_high"], "p": row["p_paired_greater"]})
    for row in summary.get("correlations", []):
        if row["method"] == "spearman":
            rows.append({"quantity": f"rho({row['classifier']} entropy, human entropy)", "estimate": row["r"],
                         "ci_low": row["ci_low"], "ci_high": row["ci_high"], "p": row["p_permutation"]})
    for name, model in summary.get("agreement_models", {}).items():
        for row in model["coefficients"]:
            if row["term"] != "Intercept":
                rows.append({"quantity": f"mixed-model slope of {name} entropy (per SD)", "estimate": row["estimate"],
                             "ci_low": row["ci_low"], "ci_high": row["ci_high"], "p": row["p"]})
    return rows


def compare_analyses(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """One row per headline quantity and analysis (columns :data:`COMPARISON_COLUMNS`), from summary.json contents."""
    rows = [row | {"analysis": name} for name, summary in summaries.items() for row in _rows(summary)]
    table = pd.DataFrame(rows).reindex(columns=COMPARISON_COLUMNS)
    order = list(dict.fromkeys(table["quantity"]))
    return table.sort_values("quantity", key=lambda q: q.map(order.index), kind="stable").reset_index(drop=True)
