"""Figures of the statistics stage: human response entropy against classifier entropy, by kind and outcome.

Each function takes the per-image table (:func:`varemotion.stats.per_image_table`) and statistics
computed beforehand (correlations, group comparisons, outcome proportions), draws them and returns
the matplotlib Figure; nothing here recomputes a bootstrap or touches files. Only images with
enough ratings and a human entropy are drawn, as in the statistics themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from varemotion.figures.style import PALETTE, new_figure
from varemotion.stats.graded import HUMAN
from varemotion.stats.images import emotions_of
from varemotion.stats.outcomes import OUTCOMES

#: Stimulus kinds in drawing order, with fixed colours (controls drawn in black).
KIND_ORDER = ("control", "uncertainty", "controversial")
KIND_COLOURS = {"control": PALETTE[7], "uncertainty": PALETTE[0], "controversial": PALETTE[1]}
#: Guidance outcomes with fixed colours and line styles (line styles repeat the colour's message).
OUTCOME_COLOURS = {"success": PALETTE[2], "bias": PALETTE[4], "failure": PALETTE[3]}
OUTCOME_LINESTYLES = {"success": "-", "bias": "--", "failure": ":"}
_SPARE_COLOURS = (PALETTE[5], PALETTE[6], PALETTE[2], PALETTE[4])
_JITTER_SEED = 0


def format_p(p: float) -> str:
    """A p-value for a label: 'p = 0.012', 'p < 0.001' below 0.001, 'p = n/a' when missing."""
    if p is None or not np.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def max_entropy_bits(per_image: pd.DataFrame) -> float:
    """The largest possible entropy (bits): log2 of the number of emotions of the table."""
    return float(np.log2(len(emotions_of(per_image))))


def rated_images(per_image: pd.DataFrame) -> pd.DataFrame:
    """The images with a human entropy and enough ratings."""
    images = per_image[per_image["human_entropy"].notna()]
    return images[images["enough_ratings"].astype(bool)]


def kinds_in_order(kinds: Sequence[str]) -> list[str]:
    """The kinds present, the known ones first in :data:`KIND_ORDER`, the rest alphabetically."""
    present = set(kinds)
    return [k for k in KIND_ORDER if k in present] + sorted(present - set(KIND_ORDER))


def kind_colour(kind: str) -> str:
    """The fixed colour of a kind (a spare palette colour for kinds outside :data:`KIND_ORDER`)."""
    if kind in KIND_COLOURS:
        return KIND_COLOURS[kind]
    return _SPARE_COLOURS[sum(map(ord, kind)) % len(_SPARE_COLOURS)]


def _percent(confidence: float) -> str:
    return f"{100 * confidence:g} %"


def _as_dict(statistics) -> dict:
    """Fields of a GroupComparison-like object, a mapping or a pandas row."""
    if hasattr(statistics, "to_dict"):
        return dict(statistics.to_dict())
    if isinstance(statistics, Mapping):
        return dict(statistics)
    raise TypeError(f"expected a GroupComparison, a mapping or a pandas row, got {type(statistics).__name__}")


def _spearman_row(correlations: pd.DataFrame, classifier: str) -> dict | None:
    rows = correlations[(correlations["classifier"] == classifier) & (correlations["method"] == "spearman")]
    return None if rows.empty else rows.iloc[0].to_dict()


def correlation_label(row: Mapping | None, confidence: float = 0.95) -> str:
    """'Spearman ρ = 0.45, 95 % CI [0.36, 0.53], p = …, n = …' from a correlation-table row."""
    if row is None:
        return "Spearman ρ not computed"
    return (f"Spearman ρ = {row['r']:.2f}, {_percent(confidence)} CI [{row['ci_low']:.2f}, {row['ci_high']:.2f}]\n"
            f"permutation {format_p(row['p_permutation'])}, n = {int(row['n'])}")


def entropy_scatter_figure(per_image: pd.DataFrame, correlations: pd.DataFrame, classifiers: Sequence[str],
                           confidence: float = 0.95):
    """One panel per classifier: its softmax entropy against human entropy, points coloured by kind.

    ``correlations`` is a :func:`varemotion.stats.correlation_table`; each panel's title gives the
    classifier's Spearman ρ with its bootstrap CI and permutation p. ``confidence`` only labels the CI.
    """
    classifiers = list(classifiers)
    if not classifiers:
        raise ValueError("entropy_scatter_figure needs at least one classifier")
    images = rated_images(per_image)
    top = max_entropy_bits(per_image)
    limits = (-0.04 * top, 1.04 * top)
    fig, axes = new_figure(1, len(classifiers), figsize=(3.6 * len(classifiers), 3.9), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], classifiers):
        for kind in kinds_in_order(images["kind"].astype(str)):
            members = images[images["kind"].astype(str) == kind]
            ax.scatter(members[f"{name}_entropy"], members["human_entropy"], s=12, alpha=0.55, linewidths=0,
                       color=kind_colour(kind), label=f"{kind} (n = {len(members)})")
        ax.plot(limits, limits, color="grey", lw=0.7, ls=":", zorder=0)
        ax.set_xlim(limits)
        ax.set_ylim(limits)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel(f"{name} softmax entropy (bits)")
        ax.set_title(f"{name}\n{correlation_label(_spearman_row(correlations, name), confidence)}", fontsize=9)
    axes[0, 0].set_ylabel("human response entropy (bits)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, markerscale=1.6,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"Human vs classifier entropy per image (dotted: equal entropy; maximum {top:.2f} bits)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


def _kind_comparisons(by_kind) -> dict[str, dict]:
    """{kind: comparison fields} from an EntropyByKind, its comparisons table, or None."""
    if by_kind is None:
        return {}
    table = getattr(by_kind, "comparisons", by_kind)
    return {str(row["kind"]): row for row in table.to_dict("records")}


def comparison_label(comparison, confidence: float = 0.95) -> str:
    """The one-sided Mann–Whitney p and rank-biserial r, the mean difference and its CI and, where
    the comparison has one, the test paired by noise seed."""
    if comparison is None:
        return "no test: the stimulus set needs at least 2 boundary and 2 control images with enough ratings"
    c = _as_dict(comparison)
    label = (f"boundary (n = {int(c['n_boundary'])}) > control (n = {int(c['n_control'])}): Mann–Whitney one-sided "
             f"{format_p(c['p_greater'])}, rank-biserial r = {c['rank_biserial']:.2f}\n"
             f"mean difference {c['mean_difference']:.2f} bits, {_percent(confidence)} CI "
             f"[{c['ci_low']:.2f}, {c['ci_high']:.2f}]; medians {c['median_boundary']:.2f} vs "
             f"{c['median_control']:.2f} bits")
    if pd.notna(c.get("p_paired_greater", np.nan)):
        label += (f"\npaired by noise seed ({int(c['n_pairs'])} seeds): mean difference "
                  f"{c['paired_mean_difference']:.2f} bits [{c['paired_ci_low']:.2f}, {c['paired_ci_high']:.2f}], "
                  f"Wilcoxon one-sided {format_p(c['p_paired_greater'])}")
    return label


def _kind_tick(kind: str, n: int, row: Mapping | None) -> str:
    label = f"{kind}\nn = {n}"
    if row is not None:
        label += f"\nvs control:\none-sided {format_p(row['p_greater'])}\nr = {row['rank_biserial']:.2f}"
    return label


def boundary_control_figure(per_image: pd.DataFrame, comparison, by_kind=None, confidence: float = 0.95):
    """Human entropy per kind (boxes and jittered images), annotated with the boundary-vs-control test.

    ``comparison`` is the all-guided vs control :class:`varemotion.stats.GroupComparison` (or a
    mapping / pandas row with its fields; None when there was none to make); ``by_kind``, optional, is an
    :class:`varemotion.stats.EntropyByKind` or its comparisons table, whose per-kind one-sided p and
    rank-biserial r label each guided kind. ``confidence`` only labels the CI.
    """
    images = rated_images(per_image)
    kinds = kinds_in_order(images["kind"].astype(str))
    per_kind = _kind_comparisons(by_kind)
    values = [images.loc[images["kind"].astype(str) == k, "human_entropy"].to_numpy(float) for k in kinds]
    top = max_entropy_bits(per_image)
    fig, ax = new_figure(figsize=(max(6.4, 1.7 * len(kinds) + 1.5), 4.8))
    positions = np.arange(len(kinds))
    if kinds:
        ax.boxplot(values, positions=positions, widths=0.55, showfliers=False, patch_artist=True, zorder=1,
                   boxprops={"facecolor": "white", "edgecolor": "0.3"}, whiskerprops={"color": "0.3"},
                   capprops={"color": "0.3"}, medianprops={"color": "black", "linewidth": 1.6})
    rng = np.random.default_rng(_JITTER_SEED)
    for position, kind, kind_values in zip(positions, kinds, values):
        x = position + rng.uniform(-0.2, 0.2, len(kind_values))
        ax.scatter(x, kind_values, s=10, alpha=0.5, linewidths=0, color=kind_colour(kind), zorder=2)
    if "control" in kinds:
        ax.axhline(np.median(values[kinds.index("control")]), color="0.4", ls="--", lw=0.8, zorder=0,
                   label="control median")
    ax.axhline(top, color="grey", ls=":", lw=0.8, zorder=0, label=f"maximum ({top:.2f} bits)")
    ax.set_xticks(positions, [_kind_tick(k, len(v), per_kind.get(k)) for k, v in zip(kinds, values)])
    ax.set_xlim(-0.6, len(kinds) - 0.4)
    ax.set_ylim(-0.05 * top, 1.1 * top)
    ax.set_ylabel("human response entropy (bits)")
    ax.legend(loc="upper left", fontsize=7, frameon=False, ncol=2)
    ax.set_title(f"Human entropy on boundary vs control images\n{comparison_label(comparison, confidence)}",
                 fontsize=9)
    fig.tight_layout()
    return fig


def _outcome_groups(proportions: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(tick label, rows) per bar group: all guided images first, then each guide within its kind.

    Control groups are left out: controls have no outcome (they appear only when the table's blank
    outcomes were read as the text 'nan').
    """
    groups = []
    overall = proportions[proportions["grouping"] == "overall"]
    if not overall.empty:
        groups.append((f"all guided\nn = {int(overall['n'].iloc[0])}", overall))
    guides = proportions[proportions["grouping"] == "guide"]
    for kind in [k for k in kinds_in_order(guides["kind"].astype(str)) if k != "control"]:
        of_kind = guides[guides["kind"].astype(str) == kind]
        for group in sorted(of_kind["group"].astype(str).unique()):
            rows = of_kind[of_kind["group"].astype(str) == group]
            guide = group.replace("-", "\nvs ")
            groups.append((f"{kind}\n{guide}\nn = {int(rows['n'].iloc[0])}", rows))
    return groups


def _outcome_bars(ax, proportions: pd.DataFrame, confidence: float) -> None:
    groups = _outcome_groups(proportions)
    width = 0.8 / len(OUTCOMES)
    for k, outcome in enumerate(OUTCOMES):
        rows = [g[g["outcome"] == outcome].iloc[0] if (g["outcome"] == outcome).any() else None for _, g in groups]
        x = np.arange(len(groups)) + (k - (len(OUTCOMES) - 1) / 2) * width
        share = np.array([np.nan if r is None else r["proportion"] for r in rows], dtype=float)
        low = np.array([np.nan if r is None else r["ci_low"] for r in rows], dtype=float)
        high = np.array([np.nan if r is None else r["ci_high"] for r in rows], dtype=float)
        errors = np.clip([share - low, high - share], 0, None)  # Wilson bounds may miss 0 or 1 by rounding
        ax.bar(x, share, width=width, color=OUTCOME_COLOURS[outcome], label=outcome, yerr=errors,
               error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.2"})
    ax.set_xticks(np.arange(len(groups)), [label for label, _ in groups], fontsize=8, va="top")
    if len(groups) > 1 and groups[0][0].startswith("all guided"):
        ax.axvline(0.5, color="0.6", lw=0.6)
    ax.set_ylim(0, 1.16)  # headroom for the legend above shares of 1
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("share of guided images")
    ax.set_title(f"Guidance outcome per guide ({_percent(confidence)} Wilson CI)")
    ax.legend(fontsize=7, frameon=False, loc="upper center", ncol=len(OUTCOMES))
    if not groups:
        ax.text(0.5, 0.5, "no guided images with ratings", transform=ax.transAxes, ha="center", va="center")


def _outcome_histograms(ax, images: pd.DataFrame, top: float) -> None:
    bins = np.linspace(0.0, top, 15)
    outcome = images["outcome"].fillna("").astype(str)
    controls = images.loc[images["kind"].astype(str) == "control", "human_entropy"]
    highest = 0.0
    if len(controls):
        highest = ax.hist(controls, bins=bins, color="0.85", label=f"control, no outcome (n = {len(controls)})")[0].max()
    for name in OUTCOMES:
        values = images.loc[outcome == name, "human_entropy"]
        if len(values):
            counts = ax.hist(values, bins=bins, histtype="step", linewidth=1.6, color=OUTCOME_COLOURS[name],
                             linestyle=OUTCOME_LINESTYLES[name], label=f"{name} (n = {len(values)})")[0]
            highest = max(highest, counts.max())
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.45 * highest if highest else 1.0)  # headroom for the legend
    ax.set_xlabel("human response entropy (bits)")
    ax.set_ylabel("images")
    ax.set_title("Human entropy by guidance outcome")
    if highest:
        ax.legend(fontsize=7, frameon=False, loc="upper right")


def outcome_figure(per_image: pd.DataFrame, proportions: pd.DataFrame, confidence: float = 0.95):
    """Left: outcome shares overall and per guide with Wilson CIs; right: human entropy histograms per outcome.

    ``proportions`` is a :func:`varemotion.stats.outcome_proportions` table; its 'overall' and
    'guide' rows are drawn. ``confidence`` only labels the CI.
    """
    fig, (left, right) = new_figure(1, 2, figsize=(10.5, 4.4), gridspec_kw={"width_ratios": (1.6, 1.0)})
    _outcome_bars(left, proportions[proportions["grouping"].isin(["overall", "guide"])], confidence)
    _outcome_histograms(right, rated_images(per_image), max_entropy_bits(per_image))
    fig.tight_layout()
    return fig


def _trend_label(trend: pd.DataFrame, measure: str) -> str:
    rows = trend[trend["measure"] == measure]
    if rows.empty or not np.isfinite(rows["rho"].iloc[0]):
        return measure
    row = rows.iloc[0]
    interval = f"[{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
    return f"{measure}: ρ = {row['rho']:.2f} {interval}, {format_p(row['p_permutation'])}"


def graded_figure(graded: pd.DataFrame, trend: pd.DataFrame, column: str, confidence: float = 0.95):
    """Mean human and model entropy per level of ``column``, with intervals; the legend gives each trend's ρ.

    ``graded`` and ``trend`` are the tables of :func:`varemotion.stats.graded.graded_entropy`.
    """
    measures = list(dict.fromkeys(graded["measure"]))
    fig, ax = new_figure(figsize=(6.4, 4.4))
    spread = 0.012 * (np.ptp(graded["level"]) or 1.0)
    for k, measure in enumerate(measures):
        rows = graded[graded["measure"] == measure].sort_values("level")
        x = rows["level"].to_numpy(float) + (k - (len(measures) - 1) / 2) * spread
        mean = rows["mean"].to_numpy(float)
        errors = np.clip([mean - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - mean], 0, None)
        human = measure == HUMAN
        ax.errorbar(x, mean, yerr=np.nan_to_num(errors), marker="o", ms=4 if human else 3, capsize=2,
                    lw=2.2 if human else 1.2, color="black" if human else PALETTE[k % len(PALETTE)],
                    ls="-" if human else "--", label=_trend_label(trend, measure))
    ax.set_xlabel(column)
    ax.set_ylabel("mean entropy (bits)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Human and model entropy along {column} ({_percent(confidence)} bootstrap CI;\n"
                 "legend: Spearman ρ of entropy with the level)", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
