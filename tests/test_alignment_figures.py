"""Figures of the alignment stage, drawn from small hand-made tables."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer

from varemotion.figures.alignment import (
    ACCURACY_COLUMNS,
    BIAS_COLUMNS,
    MANIPULATION_COLUMNS,
    PARTICIPANT_COLUMNS,
    accuracy_figure,
    bias_recovery_figure,
    manipulation_figure,
    participants_figure,
)
from varemotion.figures.statistics import format_p
from varemotion.figures.style import save_figure

EVALUATIONS = ("held_out_trials", "participant_mean", "original_test", "entropy_low", "entropy_middle",
               "entropy_high")
MODELS = ("base", "group", "group_soft", "individual")
EMOTIONS = ("anger", "happiness", "sadness")


def _accuracy(skip: set[tuple[str, str]] = frozenset(), models=MODELS) -> pd.DataFrame:
    rows = []
    for i, evaluation in enumerate(EVALUATIONS):
        for j, model in enumerate(models):
            if (evaluation, model) in skip:
                continue
            accuracy = 0.3 + 0.1 * j + 0.02 * i
            rows.append({"evaluation": evaluation, "model": model, "accuracy": accuracy, "ci_low": accuracy - 0.05,
                         "ci_high": accuracy + 0.05, "n": 240})
    return pd.DataFrame(rows)


def _participants() -> pd.DataFrame:
    return pd.DataFrame({
        "subject_id": [f"S{k}" for k in range(6)],
        "n_train": 40, "n_held_out": 10,
        "acc_base": [0.3, 0.4, 0.5, 0.6, 0.5, 0.2],
        "acc_group": [0.5, 0.6, 0.4, 0.6, 0.7, 0.3],  # 4 above the diagonal, 1 on it
        "acc_group_soft": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        "acc_individual": [0.6, np.nan, 0.3, 0.8, np.nan, 0.4],  # 3 of 4 above
    })


def _bias() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [{"subject_id": f"S{s}", "emotion": emotion, "planted": planted, "learned": 0.8 * planted + noise}
            for s in range(4) for emotion, planted, noise in zip(EMOTIONS, rng.normal(size=3), rng.normal(0, 0.1, 3))]
    return pd.DataFrame(rows)


def _manipulation() -> pd.DataFrame:
    rows = []
    for condition, counts in (("manipulated", (7, 3, 2)), ("control", (4, 4, 4))):
        for outcome, count in zip(("success", "bias", "failure"), counts):
            rows.append({"condition": condition, "outcome": outcome, "count": count, "n": 12, "share": count / 12,
                         "ci_low": max(count / 12 - 0.2, 0), "ci_high": min(count / 12 + 0.2, 1)})
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _offsets(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections)


def test_the_module_needs_no_torch():
    check = "import sys, varemotion.figures.alignment; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False, timeout=120).returncode == 0


def test_accuracy_draws_a_bar_per_row_in_the_fixed_order():
    table = _accuracy().sample(frac=1, random_state=0)  # row order must not matter
    figure = accuracy_figure(table, chance=1 / 8)
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 1
    ax = figure.axes[0]
    assert len(ax.patches) == len(table)
    ticks = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert ticks == ["held-out trials", "per participant", "original test set", "low entropy", "middle entropy",
                     "high entropy"]
    assert all("n = 240" in t.get_text() for t in ax.get_xticklabels())
    assert _legend(ax) == ["base", "group", "group (soft labels)", "individual", "chance"]
    assert ax.get_ylim() == (0, 1) and ax.get_ylabel() == "accuracy (responses predicted)"
    assert any(line.get_linestyle() == "--" and line.get_ydata()[0] == pytest.approx(1 / 8) for line in ax.lines)
    heights = sorted(round(p.get_height(), 9) for p in ax.patches)
    assert heights == sorted(round(a, 9) for a in table["accuracy"])


def test_accuracy_skips_missing_bars_and_centres_the_rest():
    skip = {("original_test", "individual"), ("entropy_high", "group_soft"), ("entropy_high", "individual")}
    table = _accuracy(skip)
    table.loc[0, ["ci_low", "ci_high"]] = np.nan  # no whisker for this bar
    ax = accuracy_figure(table).axes[0]
    assert len(ax.patches) == len(EVALUATIONS) * len(MODELS) - len(skip)
    assert sum(c.errorbar is not None for c in ax.containers if isinstance(c, BarContainer)) == len(table) - 1
    widths = {round(p.get_width(), 9) for p in ax.patches}
    assert len(widths) == 1  # one bar width throughout
    centres = np.array([p.get_x() + p.get_width() / 2 for p in ax.patches])
    for position, expected in ((2, 3), (5, 2)):  # bars of a short group stay centred on its tick
        members = centres[np.abs(centres - position) < 0.45]
        assert len(members) == expected and members.mean() == pytest.approx(position)
    assert "chance" not in _legend(ax)


def test_accuracy_without_a_soft_label_model_or_an_evaluation():
    table = _accuracy(models=("base", "group", "individual"))
    table = table[table["evaluation"] != "participant_mean"]
    ax = accuracy_figure(table).axes[0]
    assert _legend(ax) == ["base", "group", "individual"]
    assert len(ax.patches) == len(table) and len(ax.get_xticklabels()) == len(EVALUATIONS) - 1
    assert "per participant" not in " ".join(t.get_text() for t in ax.get_xticklabels())


def test_participants_count_points_above_the_diagonal_and_give_the_wilcoxon_p():
    tests = {"group_vs_base": {"statistic": 1.0, "p": 0.0123, "n": 6, "n_improved": 4},
             "individual_vs_group": {"statistic": 2.0, "p": 0.0004, "n": 4, "n_improved": 3}}
    figure = participants_figure(_participants(), tests)
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 2
    left, right = figure.axes
    assert _offsets(left) == 6 and _offsets(right) == 4
    assert "4 of 6 above the diagonal; 1 on it" in left.get_title()
    assert "3 of 4 above the diagonal" in right.get_title()
    assert f"Wilcoxon {format_p(0.0123)}" in left.get_title()
    assert "Wilcoxon p < 0.001" in right.get_title()
    for ax in (left, right):
        assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)
        assert ax.get_xlabel() and ax.get_ylabel()
    assert (left.get_xlabel(), left.get_ylabel()) == ("base model accuracy", "group model accuracy")
    assert (right.get_xlabel(), right.get_ylabel()) == ("group model accuracy", "individual model accuracy")


def test_participants_without_tests_or_individual_models():
    participants = _participants().drop(columns="acc_group_soft").assign(acc_individual=np.nan)
    left, right = participants_figure(participants).axes
    assert "Wilcoxon" not in left.get_title() + right.get_title()
    assert "0 of 0 above the diagonal" in right.get_title()
    assert "no individual models" in [t.get_text() for t in right.texts]


def test_bias_recovery_colours_each_emotion_and_fits_a_line():
    bias = _bias()
    recovery = {"r": 0.8712, "ci_low": 0.701, "ci_high": 0.9549, "p": 0.0002, "n": 12}
    ax = bias_recovery_figure(bias, recovery).axes[0]
    assert _offsets(ax) == len(bias) and len(ax.collections) == len(EMOTIONS)
    assert len({tuple(c.get_facecolor()[0]) for c in ax.collections}) == len(EMOTIONS)
    assert _legend(ax)[:3] == list(EMOTIONS) and "least squares" in _legend(ax)[3]
    assert "r = 0.87 [0.70, 0.95]" in ax.get_title() and "p < 0.001" in ax.get_title()
    assert ax.get_xlabel() == "planted effective bias τ·b (logit)"
    assert ax.get_ylabel() == "learned logit shift vs group model"
    fit = next(line for line in ax.lines if line.get_label().startswith("least squares"))
    slope = np.diff(fit.get_ydata()) / np.diff(fit.get_xdata())
    assert slope[0] == pytest.approx(np.polyfit(bias["planted"], bias["learned"], 1)[0])
    assert "r =" not in bias_recovery_figure(bias).axes[0].get_title()


def test_manipulation_bars_in_outcome_order_with_counts():
    summary = _manipulation().sample(frac=1, random_state=1)
    ax = manipulation_figure(summary).axes[0]
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_xticklabels()] == ["success", "bias", "failure"]
    assert _legend(ax) == ["individual models (manipulated)", "group-level set (control)"]
    texts = [t.get_text() for t in ax.texts]
    assert sorted(texts) == sorted(["7/12", "3/12", "2/12", "4/12", "4/12", "4/12"])
    assert ax.get_ylabel() == "share of stimuli"
    partial = manipulation_figure(_manipulation().iloc[:4]).axes[0]  # no control bias or failure
    assert len(partial.patches) == 4 and len(partial.get_xticklabels()) == 3


@pytest.mark.parametrize(("function", "table", "columns"), [
    (accuracy_figure, _accuracy(), ACCURACY_COLUMNS),
    (participants_figure, _participants(), PARTICIPANT_COLUMNS),
    (bias_recovery_figure, _bias(), BIAS_COLUMNS),
    (manipulation_figure, _manipulation(), MANIPULATION_COLUMNS),
])
def test_missing_columns_are_named(function, table, columns):
    for column in columns:
        with pytest.raises(ValueError, match=rf"lacks column\(s\) {column} \("):
            function(table.drop(columns=column))


def test_empty_tables_draw_a_note(tmp_path):
    figures = {
        "accuracy": accuracy_figure(pd.DataFrame(columns=ACCURACY_COLUMNS), chance=0.125),
        "participants": participants_figure(pd.DataFrame(columns=PARTICIPANT_COLUMNS)),
        "bias": bias_recovery_figure(pd.DataFrame(columns=BIAS_COLUMNS)),
        "manipulation": manipulation_figure(pd.DataFrame(columns=MANIPULATION_COLUMNS)),
    }
    for name, figure in figures.items():
        notes = [t.get_text() for ax in figure.axes for t in ax.texts]
        assert any(note.startswith("no ") for note in notes), name
        assert not any(ax.patches for ax in figure.axes)
        save_figure(figure, tmp_path / f"{name}.png", tmp_path / f"{name}.pdf", dpi=60)
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_figures_save_as_png_and_pdf(tmp_path):
    figures = {
        "accuracy": accuracy_figure(_accuracy(), chance=1 / 8),
        "participants": participants_figure(_participants(), {"group_vs_base": {"p": 0.03}}),
        "bias": bias_recovery_figure(_bias(), {"r": 0.9, "ci_low": 0.8, "ci_high": 0.95, "p": 0.001, "n": 12}),
        "manipulation": manipulation_figure(_manipulation()),
    }
    for name, figure in figures.items():
        save_figure(figure, tmp_path / f"{name}.png", tmp_path / f"{name}.pdf", dpi=60)
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000
