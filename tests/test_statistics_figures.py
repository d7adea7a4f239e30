"""Figures of the statistics stage, drawn from a small synthetic study and the real statistics."""

from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import scipy.stats

from varemotion.figures.statistics import (
    boundary_control_figure,
    entropy_scatter_figure,
    format_p,
    outcome_figure,
)
from varemotion.figures.style import save_figure
from varemotion.stats import (
    GroupComparison,
    correlation_table,
    entropy_by_kind,
    outcome_proportions,
    per_image_table,
)

EMOTIONS = ("anger", "happiness", "sadness", "neutral")
CLASSIFIERS = ("m1", "m2")
GUIDES = {"control": [("", "")], "uncertainty": [("m1", ""), ("m2", "")],
          "controversial": [("m1", "m2"), ("m2", "m1")]}
N_RATINGS = 12
N_RESAMPLES = 99


def _synthetic_study(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A manifest of 12 images per kind and trials whose responses follow each image's probabilities."""
    rng = np.random.default_rng(seed)
    manifest, trials = [], []
    for kind, guides in GUIDES.items():
        for n in range(12):
            guide_a, guide_b = guides[n % len(guides)]
            i, j = rng.choice(len(EMOTIONS), size=2, replace=False)
            probs = rng.dirichlet(np.full(len(EMOTIONS), 0.3 if kind == "control" else 1.5))
            row = {"stimulus_id": f"{kind}-{n:02d}", "kind": kind, "guide_a": guide_a, "guide_b": guide_b,
                   "target_i": "" if kind == "control" else EMOTIONS[i],
                   "target_j": "" if kind == "control" else EMOTIONS[j]}
            for name in CLASSIFIERS:
                model = rng.dirichlet(probs * 20 + 0.05)
                row |= {f"{name}_p_{e}": p for e, p in zip(EMOTIONS, model)}
                row[f"{name}_entropy"] = float(scipy.stats.entropy(model, base=2))
            manifest.append(row)
            n_ratings = 3 if n == 0 else N_RATINGS  # the first image of each kind has too few ratings
            responses = rng.choice(EMOTIONS, size=n_ratings, p=probs)
            trials += [{"subject_id": f"S{k}", "stimulus_id": row["stimulus_id"], "response": r}
                       for k, r in enumerate(responses)]
    return pd.DataFrame(manifest), pd.DataFrame(trials)


@pytest.fixture(scope="module")
def study():
    manifest, trials = _synthetic_study()
    per_image = per_image_table(trials, manifest, EMOTIONS, CLASSIFIERS, min_ratings=N_RATINGS)
    by_kind = entropy_by_kind(per_image, n_resamples=N_RESAMPLES, seed=1)
    return {
        "per_image": per_image,
        "correlations": correlation_table(per_image, CLASSIFIERS, n_resamples=N_RESAMPLES, seed=1),
        "by_kind": by_kind,
        "comparison": by_kind.comparisons.set_index("kind").loc["guided"],
        "proportions": outcome_proportions(per_image),
    }


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(figure) -> str:
    """Every title, label, tick label, legend entry and text of a figure, joined."""
    parts = [figure._suptitle.get_text() if figure._suptitle else ""]
    for ax in figure.axes:
        parts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        parts += [t.get_text() for t in ax.get_xticklabels() + ax.texts]
        if ax.get_legend():
            parts += [t.get_text() for t in ax.get_legend().get_texts()]
    for legend in figure.legends:
        parts += [t.get_text() for t in legend.get_texts()]
    return "\n".join(parts)


def test_format_p():
    assert format_p(0.0123) == "p = 0.012"
    assert format_p(0.0004) == "p < 0.001"
    assert format_p(float("nan")) == "p = n/a"


def test_entropy_scatter_has_a_panel_per_classifier_with_its_spearman_rho(study):
    figure = entropy_scatter_figure(study["per_image"], study["correlations"], CLASSIFIERS)
    assert isinstance(figure, matplotlib.figure.Figure)
    assert len(figure.axes) == len(CLASSIFIERS)
    spearman = study["correlations"].set_index(["classifier", "method"])
    for ax, name in zip(figure.axes, CLASSIFIERS):
        row = spearman.loc[(name, "spearman")]
        title = ax.get_title()
        assert name in title and f"ρ = {row['r']:.2f}" in title
        assert f"[{row['ci_low']:.2f}, {row['ci_high']:.2f}]" in title
        assert format_p(row["p_permutation"]) in title and f"n = {int(row['n'])}" in title
        assert "bits" in ax.get_xlabel()
        # Only images with enough ratings are drawn: one per kind has too few.
        assert sum(len(c.get_offsets()) for c in ax.collections) == study["per_image"]["enough_ratings"].sum()
    assert "bits" in figure.axes[0].get_ylabel()
    legend = " ".join(t.get_text() for t in figure.legends[0].get_texts())
    assert all(kind in legend for kind in GUIDES)


def test_entropy_scatter_says_when_a_correlation_is_missing(study):
    correlations = study["correlations"][study["correlations"]["classifier"] == "m1"]
    figure = entropy_scatter_figure(study["per_image"], correlations, CLASSIFIERS)
    assert "not computed" in figure.axes[1].get_title()


def test_boundary_control_is_annotated_with_the_test_and_each_kind(study):
    comparison = study["comparison"]
    figure = boundary_control_figure(study["per_image"], comparison, study["by_kind"])
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 1
    ax = figure.axes[0]
    title = ax.get_title()
    assert f"one-sided {format_p(comparison['p_greater'])}" in title
    assert f"rank-biserial r = {comparison['rank_biserial']:.2f}" in title
    assert f"mean difference {comparison['mean_difference']:.2f} bits" in title
    assert f"[{comparison['ci_low']:.2f}, {comparison['ci_high']:.2f}]" in title
    assert "bits" in ax.get_ylabel()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert [t.split("\n")[0] for t in ticks] == ["control", "uncertainty", "controversial"]
    rows = study["by_kind"].comparisons.set_index("kind")
    assert f"r = {rows.at['uncertainty', 'rank_biserial']:.2f}" in ticks[1]
    assert "vs control" not in ticks[0]


def test_boundary_control_takes_a_dataclass_a_dict_or_a_row(study):
    fields = study["comparison"].to_dict()
    own = {name: fields[name] for name in GroupComparison.__dataclass_fields__}
    titles = {boundary_control_figure(study["per_image"], c).axes[0].get_title()
              for c in (GroupComparison(**own), own, study["comparison"][list(own)])}
    assert len(titles) == 1
    with pytest.raises(TypeError):
        boundary_control_figure(study["per_image"], 0.5)


def test_outcome_figure_draws_shares_with_wilson_bars_and_entropy_by_outcome(study):
    proportions = study["proportions"]
    figure = outcome_figure(study["per_image"], proportions)
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 2
    bars, histograms = figure.axes
    drawn = proportions[proportions["grouping"].isin(["overall", "guide"])]
    n_groups = drawn.groupby(["grouping", "kind", "group"]).ngroups
    assert len(bars.get_xticklabels()) == n_groups
    assert len(bars.patches) == 3 * n_groups
    heights = sorted(round(p.get_height(), 9) for p in bars.patches)
    assert heights == sorted(round(p, 9) for p in drawn["proportion"])
    assert "Wilson" in bars.get_title()
    assert "bits" in histograms.get_xlabel()
    text = _texts(figure)
    assert all(outcome in text for outcome in ("success", "bias", "failure"))


def test_outcome_figure_leaves_out_controls_when_blank_outcomes_were_read_as_nan(study, tmp_path):
    path = tmp_path / "per_image.csv"
    study["per_image"].to_csv(path, index=False)
    per_image = pd.read_csv(path)  # blank outcomes come back as NaN, then 'nan' as text
    figure = outcome_figure(per_image, outcome_proportions(per_image))
    assert not any(t.get_text().startswith("control") for t in figure.axes[0].get_xticklabels())


def test_figures_save_as_png_and_pdf(study, tmp_path):
    figures = {
        "scatter": entropy_scatter_figure(study["per_image"], study["correlations"], CLASSIFIERS),
        "boundary": boundary_control_figure(study["per_image"], study["comparison"], study["by_kind"]),
        "outcome": outcome_figure(study["per_image"], study["proportions"]),
    }
    for name, figure in figures.items():
        save_figure(figure, tmp_path / f"{name}.png", tmp_path / f"{name}.pdf", dpi=60)
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000
