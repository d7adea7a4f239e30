"""Figures of the alignment stage: base, group, soft-label group and individual classifiers fine-tuned on ratings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from varemotion.figures.statistics import format_p
from varemotion.figures.style import PALETTE, new_figure

#: Evaluations in drawing order, with their tick labels.
EVALUATION_ORDER = ("holdout_stimuli", "held_out_trials", "participant_mean", "original_test", "entropy_low",
                    "entropy_middle", "entropy_high")
EVALUATION_LABELS = {"holdout_stimuli": "held-out stimuli", "held_out_trials": "held-out trials",
                     "participant_mean": "per participant",
                     "original_test": "original test set", "entropy_low": "low entropy",
                     "entropy_middle": "middle entropy", "entropy_high": "high entropy"}
#: Models in drawing order, with legend labels and fixed colours (the base model in black).
MODEL_ORDER = ("base", "group", "group_soft", "individual")
MODEL_LABELS = {"base": "base", "group": "group", "group_soft": "group (soft labels)", "individual": "individual"}
MODEL_COLOURS = {"base": PALETTE[7], "group": PALETTE[0], "group_soft": PALETTE[5], "individual": PALETTE[1]}
#: Conditions of the manipulation check: the individual models' stimuli against the group-level set.
CONDITION_ORDER = ("manipulated", "control")
CONDITION_LABELS = {"manipulated": "individual models (manipulated)", "control": "group-level set (control)"}
CONDITION_COLOURS = {"manipulated": PALETTE[1], "control": PALETTE[0]}
OUTCOME_ORDER = ("success", "bias", "failure")

ACCURACY_COLUMNS = ("evaluation", "model", "accuracy", "ci_low", "ci_high", "n")
PARTICIPANT_COLUMNS = ("acc_base", "acc_group", "acc_individual")
BIAS_COLUMNS = ("subject_id", "emotion", "planted", "learned")
MANIPULATION_COLUMNS = ("condition", "outcome", "count", "n", "share", "ci_low", "ci_high")
_ERROR_KW = {"elinewidth": 0.8, "capsize": 2, "ecolor": "0.5"}


def _require(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise ValueError naming the columns the table lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"the {name} table lacks column(s) {', '.join(missing)} (needs {', '.join(columns)})")


def _in_order(values: Iterable, known: Sequence[str]) -> list[str]:
    """The values present, the known ones first in their order, the rest alphabetically."""
    present = {str(v) for v in values}
    return [k for k in known if k in present] + sorted(present - set(known))


def _colour(name: str, fixed: Mapping[str, str]) -> str:
    return fixed.get(name, PALETTE[sum(map(ord, name)) % len(PALETTE)])


def _label(name: str, fixed: Mapping[str, str]) -> str:
    return fixed.get(name, name.replace("_", " "))


def _no_data(ax, note: str = "no data") -> None:
    ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", color="0.4")


def _grouped_bars(ax, rows: pd.DataFrame, by: str, within: str, value: str, orders, labels, colours):
    """One bar per row with its CI whisker, grouped by ``by``; models absent from a group leave no gap.

    Returns the drawn (bar, row) pairs, the groups in tick order, and legend handles and labels.
    """
    rows = rows.assign(**{by: rows[by].astype(str), within: rows[within].astype(str)})
    rows = rows[np.isfinite(pd.to_numeric(rows[value], errors="coerce").astype(float))]
    groups = _in_order(rows[by], orders[0])
    members = _in_order(rows[within], orders[1])
    width = 0.8 / max([rows.loc[rows[by] == g, within].nunique() for g in groups] + [1])
    drawn, handles = [], {}
    for position, group in enumerate(groups):
        of_group = rows[rows[by] == group]
        present = [m for m in members if (of_group[within] == m).any()]
        for k, member in enumerate(present):
            row = of_group[of_group[within] == member].iloc[0]
            share, low, high = float(row[value]), row["ci_low"], row["ci_high"]
            error = None
            if pd.notna(low) and pd.notna(high):  # Wilson bounds may miss the value by rounding
                error = np.clip([[share - float(low)], [float(high) - share]], 0, None)
            bar = ax.bar(position + (k - (len(present) - 1) / 2) * width, share, width=width,
                         color=_colour(member, colours), yerr=error, error_kw=_ERROR_KW)
            handles.setdefault(member, bar[0])
            drawn.append((bar[0], row))
    legend = [m for m in members if m in handles]
    return drawn, groups, [handles[m] for m in legend], [_label(m, labels) for m in legend]


def _outside_legend(ax, handles: list, labels: list[str]) -> None:
    if handles:
        ax.legend(handles, labels, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def accuracy_figure(accuracy: pd.DataFrame, chance: float | None = None):
    """Accuracy of each model per evaluation as grouped bars with CI whiskers, and an optional chance line."""
    _require(accuracy, ACCURACY_COLUMNS, "accuracy")
    n_groups = accuracy["evaluation"].nunique()
    fig, ax = new_figure(figsize=(max(5.0, 1.3 * n_groups + 2.6), 3.8))
    drawn, groups, handles, labels = _grouped_bars(ax, accuracy, "evaluation", "model", "accuracy",
                                                   (EVALUATION_ORDER, MODEL_ORDER), MODEL_LABELS, MODEL_COLOURS)
    ticks = []
    for group in groups:
        n = sorted({int(row["n"]) for _, row in drawn if row["evaluation"] == group and pd.notna(row["n"])})
        counts = "" if not n else f"\nn = {n[0]}" if len(n) == 1 else f"\nn = {n[0]}–{n[-1]}"
        ticks.append(_label(group, EVALUATION_LABELS) + counts)
    ax.set_xticks(np.arange(len(groups)), ticks, fontsize=8)
    ax.set_xlim(-0.6, max(len(groups), 1) - 0.4)
    if chance is not None:
        handles.append(ax.axhline(chance, color="0.4", ls="--", lw=0.8, zorder=0))
        labels.append("chance")
    _outside_legend(ax, handles, labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (responses predicted)")
    ax.set_title("Accuracy of the fine-tuned classifiers per evaluation (whiskers: CI)")
    if not drawn:
        _no_data(ax)
    fig.tight_layout()
    return fig


def _test_label(tests: Mapping | None, key: str) -> str:
    result = (tests or {}).get(key)
    return "" if result is None else f"\nWilcoxon {format_p(result.get('p'))}"


def _diagonal_panel(ax, x: pd.Series, y: pd.Series, title: str, empty: str) -> None:
    """Own held-out accuracy of one model against another, with the identity line and the count above it."""
    keep = x.notna() & y.notna()
    x, y = x[keep].astype(float), y[keep].astype(float)
    ax.plot((0, 1), (0, 1), color="grey", lw=0.7, ls=":", zorder=0)
    ax.scatter(x, y, s=16, alpha=0.7, linewidths=0, color=PALETTE[0], zorder=2)
    above, on = int((y > x).sum()), int((y == x).sum())
    ties = f"; {on} on it" if on else ""
    ax.set_title(f"{title}\n{above} of {len(x)} above the diagonal{ties}", fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal", adjustable="box")
    if not len(x):
        _no_data(ax, empty)


def participants_figure(participants: pd.DataFrame, tests: dict | None = None):
    """Each participant's own held-out accuracy: group vs base model (left) and individual vs group (right).

    ``tests``, optional, holds Wilcoxon signed-rank results under 'group_vs_base' and
    'individual_vs_group'; their p-values label the panels. Where the table has accuracies on the
    held-out stimuli (``acc_base_holdout``, ``acc_group_holdout``), the left panel shows those:
    the group model trained on other people's trials of every other stimulus.
    """
    _require(participants, PARTICIPANT_COLUMNS, "participants")
    fig, (left, right) = new_figure(1, 2, figsize=(7.6, 4.2))
    holdout = {"acc_base_holdout", "acc_group_holdout"} <= set(participants.columns)
    suffix, where = ("_holdout", " (held-out stimuli)") if holdout else ("", "")
    _diagonal_panel(left, participants[f"acc_base{suffix}"], participants[f"acc_group{suffix}"],
                    f"group vs base model{where}" + _test_label(tests, "group_vs_base"), "no participants")
    left.set_xlabel("base model accuracy")
    left.set_ylabel("group model accuracy")
    _diagonal_panel(right, participants["acc_group"], participants["acc_individual"],
                    "individual vs group model" + _test_label(tests, "individual_vs_group"), "no individual models")
    right.set_xlabel("group model accuracy")
    right.set_ylabel("individual model accuracy")
    fig.suptitle("Accuracy on each participant's own held-out trials (dotted: equal accuracy)", fontsize=10)
    fig.tight_layout()
    return fig


def recovery_label(recovery: Mapping | None) -> str:
    """'r = 0.83 [0.71, 0.90], p < 0.001, n = 40' from a recovery result, or a note when there is none."""
    if recovery is None:
        return "recovery not computed"
    label = f"r = {recovery['r']:.2f}"
    low, high = recovery.get("ci_low"), recovery.get("ci_high")
    if low is not None and high is not None and np.isfinite(low) and np.isfinite(high):
        label += f" [{low:.2f}, {high:.2f}]"
    if "p" in recovery:
        label += f", {format_p(recovery['p'])}"
    if recovery.get("n") is not None and np.isfinite(recovery["n"]):
        label += f", n = {int(recovery['n'])}"
    return label


def bias_recovery_figure(bias: pd.DataFrame, recovery: dict | None = None):
    """Planted against learned logit shifts of simulated participants, one colour per emotion, with a fitted line."""
    _require(bias, BIAS_COLUMNS, "bias")
    rows = bias[bias["planted"].notna() & bias["learned"].notna()]
    fig, ax = new_figure(figsize=(5.2, 4.4))
    for k, emotion in enumerate(dict.fromkeys(rows["emotion"].astype(str))):
        of_emotion = rows[rows["emotion"].astype(str) == emotion]
        ax.scatter(of_emotion["planted"], of_emotion["learned"], s=16, alpha=0.75, linewidths=0,
                   color=PALETTE[k % len(PALETTE)], label=emotion, zorder=2)
    x, y = rows["planted"].to_numpy(float), rows["learned"].to_numpy(float)
    if len(x) >= 2 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        ends = np.array([x.min(), x.max()])
        ax.plot(ends, intercept + slope * ends, color="0.2", lw=1.0, label=f"least squares (slope {slope:.2f})")
    ax.axhline(0, color="grey", lw=0.5, zorder=0)
    ax.axvline(0, color="grey", lw=0.5, zorder=0)
    ax.set_xlabel("planted effective bias τ·b (logit)")
    ax.set_ylabel("learned logit shift vs group model")
    ax.set_title(f"Recovery of planted biases\n{recovery_label(recovery)}", fontsize=9)
    if len(x):
        _outside_legend(ax, *ax.get_legend_handles_labels())
    else:
        _no_data(ax)
    fig.tight_layout()
    return fig


def manipulation_figure(summary: pd.DataFrame):
    """Share of each guidance outcome for individual models' stimuli and the group-level control set."""
    _require(summary, MANIPULATION_COLUMNS, "manipulation")
    fig, ax = new_figure(figsize=(6.4, 3.8))
    drawn, groups, handles, labels = _grouped_bars(ax, summary, "outcome", "condition", "share",
                                                   (OUTCOME_ORDER, CONDITION_ORDER), CONDITION_LABELS,
                                                   CONDITION_COLOURS)
    _outside_legend(ax, handles, labels)
    for bar, row in drawn:
        top = float(row["ci_high"]) if pd.notna(row["ci_high"]) else float(row["share"])
        counts = f"{int(row['count'])}/{int(row['n'])}" if pd.notna(row["count"]) and pd.notna(row["n"]) else ""
        ax.text(bar.get_x() + bar.get_width() / 2, max(top, bar.get_height()) + 0.015, counts, ha="center",
                va="bottom", fontsize=7)
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set_xlim(-0.6, max(len(groups), 1) - 0.4)
    ax.set_ylim(0, 1.1)  # headroom for the counts above shares of 1
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("share of stimuli")
    ax.set_title("Guidance outcome: individual models vs group-level set (whiskers: Wilson CI)")
    if not drawn:
        _no_data(ax)
    fig.tight_layout()
    return fig
