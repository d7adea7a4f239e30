"""Figures of where models look, drawn from small made-up maps and tables."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from varemotion.figures.style import save_figure
from varemotion.figures.xai import (
    IOU_COLUMNS,
    SIMILARITY_COLUMNS,
    TWOAFC_ACCURACY_COLUMNS,
    attention_figure,
    dendrogram_figure,
    global_maps_figure,
    iou_figure,
    similarity_figure,
    twoafc_figure,
)
from varemotion.figures.explainability import xai_figure
from varemotion.xai.global_maps import score_global_maps

SHAPE = (18, 14)
EMOTIONS = ("anger", "happiness", "fear")
CENTRES = {"anger": (4, 7), "happiness": (14, 7), "fear": (7, 3)}
CLASSIFIERS = ("net_a", "net_b", "net_c")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _blob(centre, sd=2.0) -> np.ndarray:
    y, x = np.mgrid[:SHAPE[0], :SHAPE[1]]
    return np.exp(-((y - centre[0]) ** 2 + (x - centre[1]) ** 2) / (2 * sd**2))


def _maps(classifiers=CLASSIFIERS, methods=("lime", "gradcam")) -> dict:
    rng = np.random.default_rng(0)
    return {(c, m, e): _blob(CENTRES[e]) + rng.uniform(0, 0.1, SHAPE) + 0.3 * k * _blob((9, 10))
            for k, c in enumerate(classifiers) for m in methods for e in EMOTIONS}


def _truth() -> dict:
    return {e: _blob(CENTRES[e], 2.5) > 0.5 for e in ("anger", "happiness")}  # fear has no true mask


def _titles(figure) -> list[str]:
    return [ax.get_title() for ax in figure.axes]


def _texts(figure) -> list[str]:
    return [t.get_text() for ax in figure.axes for t in ax.texts]


def test_the_module_needs_no_torch():
    check = "import sys, varemotion.figures.xai; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False, timeout=120).returncode == 0


def test_global_maps_grid_has_a_row_per_classifier_and_the_iou_in_each_title():
    maps, truth = _maps(), _truth()
    template = np.dstack([_blob((9, 7), 5)] * 3)  # a colour template is shown in grey
    scores = score_global_maps(maps, truth)
    scores["iou"] = np.linspace(0.1, 0.9, len(scores)).round(2)  # the titles show the table's IoU
    figure = global_maps_figure(maps, "lime", template_image=template, truth=truth, scores=scores)
    assert isinstance(figure, matplotlib.figure.Figure)
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) == len(CLASSIFIERS) * len(EMOTIONS)
    assert [ax.get_ylabel() for ax in panels[::len(EMOTIONS)]] == list(CLASSIFIERS)
    assert all(len(ax.images) == 2 for ax in panels)  # template and map
    titles = [ax.get_title() for ax in panels]
    assert [t.split("\n")[0] for t in titles[:3]] == ["happiness", "anger", "fear"]
    iou = scores.set_index(["classifier", "method", "emotion"]).loc[("net_b", "lime", "anger"), "iou"]
    assert titles[len(EMOTIONS) + 1] == f"IoU {iou:.2f}"
    without_scores = [ax.get_title() for ax in global_maps_figure(maps, "lime", truth=truth).axes if ax.images]
    assert [t.split("\n")[-1] for t in without_scores[:2]] == ["IoU n/a", "IoU n/a"]
    assert all("IoU" not in t for t in titles[2::len(EMOTIONS)])  # no true regions of fear
    assert sum(len(ax.collections) for ax in panels[:2]) == 4  # Otsu and truth outlines
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["Otsu mask of the global map", "true facial regions"]
    assert "LIME" in figure.get_suptitle()


def test_an_unknown_figure_name_is_refused():
    for name in ("xai_global_maps_smoothgrad", "xai_dendrograms_", "xai_maps"):
        with pytest.raises(ValueError, match=f"unknown explainability figure '{name}'"):
            xai_figure(name, {})


def test_global_maps_figure_notes_missing_maps_and_checks_the_template():
    maps = _maps()
    del maps[("net_c", "lime", "fear")]
    figure = global_maps_figure(maps, "lime")
    assert "no map" in _texts(figure)
    with pytest.raises(ValueError, match=r"template image has shape \(5, 5\) but the global maps \(18, 14\)"):
        global_maps_figure(maps, "lime", template_image=np.zeros((5, 5)))
    assert "no global maps of CAM" in _texts(global_maps_figure(maps, "cam"))


def _scores() -> pd.DataFrame:
    rows = [{"classifier": c, "method": m, "emotion": e, "iou": 0.1 + 0.1 * i + 0.05 * j + 0.2 * (m == "cam")}
            for i, c in enumerate(CLASSIFIERS) for m in ("gradcam", "cam") for j, e in enumerate(EMOTIONS)]
    return pd.DataFrame(rows)


def test_iou_figure_draws_mean_bars_classifier_dots_and_the_method_means():
    scores = _scores()
    ax = iou_figure(scores).axes[0]
    assert len(ax.patches) == 2 * len(EMOTIONS)
    heights = sorted(round(p.get_height(), 9) for p in ax.patches)
    expected = scores.groupby(["method", "emotion"])["iou"].mean()
    assert heights == sorted(round(v, 9) for v in expected)
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(scores)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"CAM (mean IoU {scores[scores.method == 'cam'].iou.mean():.2f})",
                      f"Grad-CAM (mean IoU {scores[scores.method == 'gradcam'].iou.mean():.2f})", "one classifier"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["happiness", "anger", "fear"]
    assert ax.get_ylim() == (0, 1) and ax.get_ylabel()


def test_dendrogram_figure_clusters_classifiers_per_emotion():
    pretrained = {"net_a": True, "net_b": False, "net_c": False}
    figure = dendrogram_figure(_maps(), "lime", pretrained)
    assert _titles(figure)[:3] == ["happiness", "anger", "fear"]
    for ax in figure.axes[:3]:
        labels = {t.get_text(): t.get_color() for t in ax.get_yticklabels()}
        assert set(labels) == set(CLASSIFIERS)
        assert labels["net_b"] == labels["net_c"] != labels["net_a"]
        assert len(ax.collections) == 1 and ax.get_xlabel() == "1 − correlation"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["pre-trained", "from scratch"]


def test_dendrogram_figure_with_one_classifier_draws_a_note():
    figure = dendrogram_figure(_maps(classifiers=("net_a",)), "lime")
    notes = _texts(figure)
    assert len(notes) == len(EMOTIONS)
    assert all(note.startswith("one classifier (net_a)") for note in notes)
    flat = _maps(classifiers=("net_a", "net_b"))
    flat[("net_b", "lime", "anger")] = np.zeros(SHAPE)
    assert any("undefined" in note for note in _texts(dendrogram_figure(flat, "lime")))


def test_attention_figure_shows_image_people_and_each_model_map():
    rng = np.random.default_rng(1)
    images = rng.random((5, 3, *SHAPE))  # channel-first colour images are shown in grey
    human = np.stack([_blob(CENTRES[e]) for e in (*EMOTIONS, "anger", "fear")])
    models = {("net_a", "cam"): human[::-1].copy(), ("net_b", "extremal"): human}
    figure = attention_figure(images, human, models, ids=[f"s{k}" for k in range(5)], n=3)
    panels = [ax for ax in figure.axes if ax.images]
    assert len(panels) == 3 * 4
    assert [ax.get_title() for ax in panels[:4]] == ["image", "people", "net_a\nCAM", "net_b\nExtremal Perturbation"]
    assert [ax.get_ylabel() for ax in panels[::4]] == ["s0", "s1", "s2"]
    np.testing.assert_allclose(panels[5].images[1].get_array(), human[1])
    with pytest.raises(ValueError, match="net_a/cam maps have shape"):
        attention_figure(images, human, {("net_a", "cam"): human[:, :4]}, ids=list(range(5)))


def _twoafc() -> pd.DataFrame:
    table = pd.DataFrame({"who": ["net_a", "people", "net_b"], "n": [100, 400, 100], "correct": [70, 340, 55]})
    table["accuracy"] = table["correct"] / table["n"]
    return table.assign(ci_low=table["accuracy"] - 0.05, ci_high=table["accuracy"] + 0.05)


def test_twoafc_figure_puts_people_first_with_counts_and_chance():
    ax = twoafc_figure(_twoafc()).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["people", "net_a", "net_b"]
    assert [round(p.get_height(), 9) for p in ax.patches] == [85.0, 70.0, 55.0]
    assert [t.get_text() for t in ax.texts] == ["340/400", "70/100", "55/100"]
    assert any(line.get_linestyle() == "--" and line.get_ydata()[0] == 50 for line in ax.lines)
    assert ax.get_ylabel() == "percent correct"
    with pytest.raises(ValueError, match="more than one row for net_a"):
        twoafc_figure(pd.concat([_twoafc(), _twoafc().iloc[:1]]))


def _similarity() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = [{"classifier": c, "method": m, "stimulus_id": s, "spearman": rng.uniform(-0.2, 0.8),
             "auc": rng.uniform(0.4, 0.9)} for c in CLASSIFIERS[:2] for m in ("extremal", "cam") for s in range(6)]
    return pd.DataFrame(rows)


def test_similarity_figure_draws_means_of_spearman_and_auc():
    table = _similarity()
    left, right = similarity_figure(table).axes
    for ax, value in ((left, "spearman"), (right, "auc")):
        assert [t.get_text() for t in ax.get_xticklabels()] == ["CAM", "Extremal Perturbation"]
        heights = sorted(round(p.get_height(), 9) for p in ax.patches)
        assert heights == sorted(round(v, 9) for v in table.groupby(["classifier", "method"])[value].mean())
        dots = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert sum(len(c.get_offsets()) for c in dots) == len(table)
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["net_a", "net_b"]
    assert left.get_ylim() == (-1, 1) and right.get_ylim() == (0, 1)


@pytest.mark.parametrize(("function", "table", "columns"), [
    (iou_figure, _scores(), IOU_COLUMNS),
    (twoafc_figure, _twoafc(), TWOAFC_ACCURACY_COLUMNS),
    (similarity_figure, _similarity(), SIMILARITY_COLUMNS),
])
def test_missing_columns_are_named(function, table, columns):
    for column in columns:
        with pytest.raises(ValueError, match=rf"lacks column\(s\) {column} \("):
            function(table.drop(columns=column))


def test_empty_tables_draw_a_note():
    for function, columns in ((iou_figure, IOU_COLUMNS), (twoafc_figure, TWOAFC_ACCURACY_COLUMNS),
                              (similarity_figure, SIMILARITY_COLUMNS)):
        figure = function(pd.DataFrame(columns=columns))
        assert "no data" in _texts(figure), function.__name__
        assert not any(ax.patches for ax in figure.axes)


def test_figures_save_as_png_and_pdf(tmp_path):
    maps = _maps()
    figures = {"global": global_maps_figure(maps, "gradcam", truth=_truth()), "iou": iou_figure(_scores()),
               "dendrogram": dendrogram_figure(maps, "gradcam"), "twoafc": twoafc_figure(_twoafc()),
               "similarity": similarity_figure(_similarity())}
    for name, figure in figures.items():
        save_figure(figure, tmp_path / f"{name}.png", tmp_path / f"{name}.pdf", dpi=50)
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


def test_twoafc_figure_draws_the_models_under_one_decision_rule():
    both = pd.concat([_twoafc().assign(rule="sample"),
                      _twoafc().assign(rule="argmax", correct=[90, 340, 80]).query("who != 'people'")])
    both["accuracy"] = both["correct"] / both["n"]
    assert [round(p.get_height(), 9) for p in twoafc_figure(both).axes[0].patches] == [85.0, 70.0, 55.0]
    assert [round(p.get_height(), 9) for p in twoafc_figure(both, "argmax").axes[0].patches] == [85.0, 90.0, 80.0]
