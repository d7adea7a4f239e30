"""Graded ambiguity: human and model entropy per level of a numeric column of the stimulus table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from varemotion.figures import save_figure
from varemotion.figures.statistics import graded_figure
from varemotion.stats.graded import graded_entropy, run_graded
from varemotion.stats.images import per_image_columns

EMOTIONS = ["neutral", "happiness"]
LEVELS = [0, 50, 100]


def per_image(n_per_level: int = 12, seed: int = 0) -> pd.DataFrame:
    """A per-image table whose human entropy falls with intensity, the model's rises, plus noise."""
    rng = np.random.default_rng(seed)
    levels = np.repeat(LEVELS, n_per_level)
    table = pd.DataFrame(0.0, index=range(len(levels)), columns=per_image_columns(EMOTIONS, ["net"]))
    table["stimulus_id"] = [f"m{i}" for i in range(len(levels))]
    table["kind"] = "external"
    table["seed"] = np.arange(len(levels)) % n_per_level  # one identity across the levels
    table["enough_ratings"] = True
    table["human_entropy"] = 1.0 - levels / 200 + rng.normal(0, 0.05, len(levels))
    table["net_entropy"] = 0.2 + levels / 400 + rng.normal(0, 0.05, len(levels))
    table["intensity"] = levels.astype(float)
    table["identity"] = [f"id{s}" for s in table["seed"]]
    return table


def test_means_per_level_and_the_trend_of_each_measure():
    table = per_image()
    graded, trend = graded_entropy(table, "intensity", ["net"], n_resamples=499, seed=0)
    assert graded["measure"].tolist() == ["human"] * 3 + ["net"] * 3 and graded["level"].tolist() == LEVELS * 2
    assert (graded["n_images"] == 12).all()
    human = graded[graded["measure"] == "human"]
    expected = table.groupby("intensity")["human_entropy"].mean().to_numpy()
    assert np.allclose(human["mean"], expected)
    assert (human["ci_low"] < human["mean"]).all() and (human["mean"] < human["ci_high"]).all()
    assert np.all(np.diff(human["mean"]) < 0) and np.all(np.diff(graded[graded["measure"] == "net"]["mean"]) > 0)
    rho = trend.set_index("measure")["rho"]
    assert rho["human"] < -0.8 and rho["net"] > 0.8
    assert trend.set_index("measure").loc["human", "ci_high"] < 0 and (trend["p_permutation"] < 0.01).all()
    assert (trend["n_clusters"] == 12).all()  # images of one identity are resampled together


def test_images_without_enough_ratings_or_a_level_are_left_out():
    table = per_image()
    table.loc[0, "enough_ratings"] = False
    table.loc[1, "intensity"] = np.nan
    graded, trend = graded_entropy(table, "intensity", ["net"], n_resamples=99)
    assert graded.loc[graded["level"] == 0, "n_images"].tolist() == [10, 10]
    assert trend["n"].tolist() == [34, 34]


@pytest.mark.parametrize("column, message", [
    ("level", r"stats.graded_by: 'level' is not a column of the stimulus table; its metadata columns are "
              r"\['intensity', 'identity'\]"),
    ("identity", "stats.graded_by: column 'identity' is not numeric: stimulus 'm0' has 'id0'"),
    ("net_entropy", "is not a column of the stimulus table"),
])
def test_a_column_that_is_not_numeric_metadata_is_refused(column, message):
    with pytest.raises(ValueError, match=message):
        graded_entropy(per_image(), column, ["net"], n_resamples=99)


def test_tables_and_figure_are_written(tmp_path):
    per_image().to_csv(tmp_path / "per_image.csv", index=False)
    output = {"table": tmp_path / "graded.csv", "trend": tmp_path / "graded_trend.csv"}
    run_graded(tmp_path / "per_image.csv", "intensity", ["net"], {"n_resamples": 99, "confidence": 0.9, "seed": 1},
               output)
    graded, trend = pd.read_csv(output["table"]), pd.read_csv(output["trend"])
    assert len(graded) == 6 and len(trend) == 2
    figure = graded_figure(graded, trend, "intensity", confidence=0.9)
    save_figure(figure, tmp_path / "g.png", tmp_path / "g.pdf", dpi=50)
    assert (tmp_path / "g.png").stat().st_size > 1000 and (tmp_path / "g.pdf").stat().st_size > 1000
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("human: ρ = -0.") and labels[1].startswith("net: ρ = 0.")
