"""Figure of the power analysis: power and CI width of each main test over the design grid."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

from varemotion.figures.style import new_figure

TEST_TITLES = {"boundary_vs_control": "boundary > control (Mann–Whitney)",
               "boundary_vs_control_paired": "boundary > control, paired by seed (Wilcoxon)",
               "individual_vs_group": "individual > group (Wilcoxon)"}
WIDTH_LABELS = {"boundary_vs_control": "CI width of mean entropy difference (bits)",
                "boundary_vs_control_paired": "CI width of mean paired difference (bits)",
                "individual_vs_group": "(no interval)"}


def _title(test: str) -> str:
    if test in TEST_TITLES:
        return TEST_TITLES[test]
    return f"ρ({test.removeprefix('correlation_')} entropy, human entropy)"


def power_figure(table: pd.DataFrame, alpha: float, target_power: float = 0.8):
    """One column per test: power (top, Wilson 95 % bars) and median CI width (bottom) against participants."""
    tests = list(dict.fromkeys(table["test"]))
    feasible = table[table["feasible"].astype(bool)]
    fig, axes = new_figure(2, len(tests), figsize=(3.3 * len(tests), 5.6), sharex=True, squeeze=False)
    for column, test in enumerate(tests):
        top, bottom = axes[0, column], axes[1, column]
        rows = feasible[feasible["test"] == test]
        for n_trials, line in rows.groupby("trials_per_participant"):
            line = line.sort_values("n_participants")
            errors = [line["power"] - line["power_ci_low"], line["power_ci_high"] - line["power"]]
            top.errorbar(line["n_participants"], line["power"], yerr=errors, marker="o", ms=3, capsize=2,
                         label=f"{n_trials} trials each")
            bottom.plot(line["n_participants"], line["median_ci_width"], marker="o", ms=3)
        top.axhline(target_power, color="grey", ls="--", lw=0.8)
        top.axhline(alpha, color="grey", ls=":", lw=0.8)
        top.set_ylim(-0.03, 1.03)
        top.set_title(_title(test))
        top.set_ylabel(f"power (α = {alpha:g})" if column == 0 else "")
        bottom.set_ylabel(WIDTH_LABELS.get(test, "CI width of ρ"))
        bottom.set_xlabel("participants")
        bottom.set_xscale("log")
        counts = sorted(int(n) for n in table["n_participants"].unique())
        bottom.xaxis.set_major_locator(FixedLocator(counts))
        bottom.xaxis.set_major_formatter(lambda value, _: f"{value:g}")
        bottom.xaxis.set_minor_locator(NullLocator())
        bottom.xaxis.set_minor_formatter(NullFormatter())
    axes[0, 0].legend(fontsize=7, frameon=False)
    n_sims = int(table["n_simulations"].max())
    fig.suptitle(f"Power of the main tests over {n_sims} simulated studies per design (dashed: power "
                 f"{target_power:g}, dotted: α)", fontsize=9)
    fig.tight_layout()
    return fig
