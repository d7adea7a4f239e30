"""Mask scores, map correlations and global maps, checked on small hand-made arrays."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.cluster.hierarchy

from varemotion.data.errors import DataError
from varemotion.xai.global_maps import (
    ALL,
    CORRELATION_COLUMNS,
    SCORE_COLUMNS,
    SUMMARY_COLUMNS,
    global_map,
    iou_summary,
    load_global_maps,
    network_correlations,
    save_global_maps,
    score_global_maps,
    select_by_prediction,
)
from varemotion.xai.metrics import (
    correlation_matrix,
    dendrogram_linkage,
    mask_scores,
    min_max,
    normalised_correlation,
    otsu_mask,
)


def _rectangle(shape, rows, columns) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[rows[0]:rows[1], columns[0]:columns[1]] = True
    return mask


def _blob(shape, centre, sd=2.0) -> np.ndarray:
    y, x = np.mgrid[:shape[0], :shape[1]]
    return np.exp(-((y - centre[0]) ** 2 + (x - centre[1]) ** 2) / (2 * sd**2))


def test_the_modules_need_no_torch():
    check = "import sys, varemotion.xai.metrics, varemotion.xai.global_maps; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False, timeout=120).returncode == 0


def test_mask_scores_of_two_overlapping_rectangles():
    predicted = _rectangle((10, 10), (0, 4), (0, 4))  # 16 pixels
    truth = _rectangle((10, 10), (2, 6), (2, 8))  # 24 pixels, 4 shared: TP 4, FP 12, FN 20
    scores = mask_scores(predicted, truth)
    assert scores == pytest.approx({"iou": 4 / 36, "f1": 8 / 40, "precision": 4 / 16, "recall": 4 / 24})
    swapped = mask_scores(truth, predicted)
    assert swapped["precision"] == pytest.approx(scores["recall"])
    assert swapped["iou"] == pytest.approx(scores["iou"])
    assert mask_scores(truth, truth) == {"iou": 1.0, "f1": 1.0, "precision": 1.0, "recall": 1.0}


def test_mask_scores_of_empty_masks_follow_the_documented_rules():
    empty, some = np.zeros((4, 4), dtype=bool), _rectangle((4, 4), (0, 2), (0, 2))
    nothing_predicted = mask_scores(empty, some)
    assert np.isnan(nothing_predicted["precision"])
    assert (nothing_predicted["iou"], nothing_predicted["f1"], nothing_predicted["recall"]) == (0.0, 0.0, 0.0)
    no_truth = mask_scores(some, empty)
    assert np.isnan(no_truth["recall"])
    assert (no_truth["iou"], no_truth["f1"], no_truth["precision"]) == (0.0, 0.0, 0.0)
    assert all(np.isnan(v) for v in mask_scores(empty, empty).values())


def test_mask_scores_reject_other_shapes_and_non_bool_masks():
    with pytest.raises(ValueError, match=r"shape \(4, 4\) but the true mask \(4, 5\)"):
        mask_scores(np.zeros((4, 4), bool), np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match="predicted mask must be a bool array, got dtype float64"):
        mask_scores(np.zeros((4, 4)), np.zeros((4, 4), bool))


def test_min_max_stretches_each_map_and_zeroes_constant_ones():
    maps = np.stack([np.arange(12.0).reshape(3, 4) * 2 + 5, np.full((3, 4), 7.0)])
    stretched = min_max(maps)
    assert stretched[0].min() == 0 and stretched[0].max() == 1
    assert stretched[0, 0, 1] == pytest.approx(1 / 11)
    assert not stretched[1].any()


def test_otsu_separates_the_two_modes_of_a_bimodal_map():
    rng = np.random.default_rng(0)
    pattern = _rectangle((20, 30), (3, 12), (5, 25)) | _rectangle((20, 30), (15, 19), (0, 4))
    values = np.where(pattern, rng.normal(0.8, 0.05, pattern.shape), rng.normal(0.2, 0.05, pattern.shape))
    np.testing.assert_array_equal(otsu_mask(values), pattern)
    assert otsu_mask(values).dtype == bool


def test_otsu_of_a_constant_map_is_empty_and_bad_maps_are_refused():
    assert not otsu_mask(np.full((5, 6), 0.3)).any()
    with pytest.raises(ValueError, match="non-finite"):
        otsu_mask(np.array([[0.0, np.nan], [1.0, 0.5]]))
    with pytest.raises(ValueError, match=r"2-D \(H, W\) array, got shape \(2, 2, 2\)"):
        otsu_mask(np.zeros((2, 2, 2)))


def test_normalised_correlation_of_scaled_negated_and_orthogonal_maps():
    rng = np.random.default_rng(1)
    a = rng.random((8, 6))
    assert normalised_correlation(a, 3.0 * a + 2.0) == pytest.approx(1.0)
    assert normalised_correlation(a, -a) == pytest.approx(-1.0)
    columns = np.tile((-1.0) ** np.arange(6), (8, 1))  # alternating columns
    rows = np.tile(((-1.0) ** np.arange(8))[:, None], (1, 6))  # alternating rows
    assert normalised_correlation(columns, rows) == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(normalised_correlation(a, np.ones_like(a)))
    with pytest.raises(ValueError, match="differ in shape"):
        normalised_correlation(a, a.T)


def test_correlation_matrix_is_the_pairwise_correlation():
    rng = np.random.default_rng(2)
    maps = {name: rng.random((5, 7)) for name in ("x", "y", "z")}
    matrix = correlation_matrix(maps)
    assert list(matrix.index) == list(matrix.columns) == ["x", "y", "z"]
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    np.testing.assert_allclose(matrix, matrix.T)
    assert matrix.loc["x", "z"] == pytest.approx(normalised_correlation(maps["x"], maps["z"]))
    with pytest.raises(ValueError, match="differ in shape"):
        correlation_matrix({"x": np.zeros((2, 2)), "y": np.zeros((2, 3))})


def test_dendrogram_groups_the_two_similar_pairs():
    rng = np.random.default_rng(3)
    first, second = _blob((24, 24), (6, 6)), _blob((24, 24), (18, 16))
    maps = {"a1": first, "b1": second, "a2": first + rng.normal(0, 0.02, first.shape),
            "b2": second + rng.normal(0, 0.02, first.shape), "a3": first.copy()}  # a3 identical to a1
    linkage = dendrogram_linkage(correlation_matrix(maps))
    assert linkage.shape == (4, 4)
    assert (linkage[:, 2] >= 0).all()
    clusters = scipy.cluster.hierarchy.fcluster(linkage, 2, criterion="maxclust")
    groups = {name: cluster for name, cluster in zip(maps, clusters)}
    assert groups["a1"] == groups["a2"] == groups["a3"] != groups["b1"] == groups["b2"]


def test_dendrogram_refuses_constant_maps_and_single_maps():
    maps = {"a": _blob((8, 8), (2, 2)), "flat": np.zeros((8, 8)), "b": _blob((8, 8), (5, 5))}
    with pytest.raises(ValueError, match="correlations of flat are undefined"):
        dendrogram_linkage(correlation_matrix(maps))
    with pytest.raises(ValueError, match="at least 2 maps"):
        dendrogram_linkage(correlation_matrix({"a": maps["a"]}))


def test_select_by_prediction_takes_the_most_confident_first_and_caps_at_n():
    probabilities = np.array([
        [0.6, 0.3, 0.1],  # 0 → a
        [0.1, 0.8, 0.1],  # 1 → b
        [0.9, 0.05, 0.05],  # 2 → a
        [0.5, 0.4, 0.1],  # 3 → a
        [0.2, 0.7, 0.1],  # 4 → b
        [0.7, 0.2, 0.1],  # 5 → a
    ])
    chosen = select_by_prediction(probabilities, 3, ["a", "b", "c"])
    assert list(chosen) == ["a", "b", "c"]
    np.testing.assert_array_equal(chosen["a"], [2, 5, 0])  # image 3 is the least confident of four
    np.testing.assert_array_equal(chosen["b"], [1, 4])
    assert chosen["c"].dtype == np.int64 and chosen["c"].size == 0
    assert select_by_prediction(probabilities, 0, ["a", "b", "c"])["a"].size == 0
    with pytest.raises(ValueError, match=r"\(N, 2\) for emotions \['a', 'b'\], got shape \(6, 3\)"):
        select_by_prediction(probabilities, 3, ["a", "b"])


def test_global_map_of_shifted_blobs_peaks_at_their_mean_position():
    shape, centre = (21, 25), (10, 12)
    shifted = [_blob(shape, (centre[0] + dy, centre[1] + dx)) for dy, dx in ((-2, 0), (2, 0), (0, -2), (0, 2))]
    result = global_map(np.stack(shifted))
    assert result.shape == shape and result.dtype == np.float32
    assert result.min() == 0.0 and result.max() == pytest.approx(1.0)
    assert np.unravel_index(result.argmax(), shape) == centre
    mean = np.mean(shifted, axis=0)
    np.testing.assert_allclose(result, (mean - mean.min()) / np.ptp(mean), atol=1e-6)
    assert not global_map(np.full((3, 4, 5), 0.5)).any()
    with pytest.raises(ValueError, match="non-empty"):
        global_map(np.zeros((0, 4, 5)))


def _global_maps() -> dict:
    shape = (16, 16)
    return {("net1", "lime", "anger"): _blob(shape, (4, 8)), ("net2", "lime", "anger"): _blob(shape, (5, 8)),
            ("net3", "lime", "anger"): _blob(shape, (12, 4)), ("net1", "lime", "neutral"): _blob(shape, (8, 8)),
            ("net1", "cam", "anger"): _blob(shape, (12, 12)), ("net2", "cam", "anger"): _blob(shape, (4, 4))}


def test_score_global_maps_thresholds_each_map_and_skips_emotions_without_truth():
    maps = _global_maps()
    truth = {"anger": _rectangle((16, 16), (2, 7), (5, 11))}
    counts = {key: 10 for key in maps}
    scores = score_global_maps(maps, truth, pretrained={"net1": True, "net2": False}, n_images=counts)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert len(scores) == 5 and "neutral" not in set(scores["emotion"])
    row = scores[(scores["classifier"] == "net3") & (scores["method"] == "lime")].iloc[0]
    expected = mask_scores(otsu_mask(maps[("net3", "lime", "anger")]), truth["anger"])
    assert row[list(expected)].to_dict() == pytest.approx(expected)
    assert row["pretrained"] is None and row["n_images"] == 10
    assert scores.set_index(["classifier", "method"]).loc[("net1", "lime"), "iou"] > 0.4
    assert scores["pretrained"].tolist()[:2] == [True, False]
    with pytest.raises(ValueError, match=r"true mask of anger has shape \(4, 4\)"):
        score_global_maps(maps, {"anger": np.zeros((4, 4), bool)})


def test_network_correlations_pair_every_classifier_of_a_method():
    maps = _global_maps()
    table = network_correlations(maps, "lime")
    assert list(table.columns) == list(CORRELATION_COLUMNS)
    assert table[["emotion", "a", "b"]].values.tolist() == [["anger", "net1", "net2"], ["anger", "net1", "net3"],
                                                            ["anger", "net2", "net3"]]
    expected = normalised_correlation(maps[("net1", "lime", "anger")], maps[("net3", "lime", "anger")])
    assert table["correlation"].iloc[1] == pytest.approx(expected)
    assert table["correlation"].iloc[0] > table["correlation"].iloc[1]
    assert len(network_correlations(maps, "cam")) == 1
    assert network_correlations(maps, "extremal").empty


def test_iou_summary_averages_per_method_classifier_emotion_and_pretraining():
    scores = pd.DataFrame({
        "classifier": ["n1", "n1", "n2", "n2", "n1"], "method": ["lime", "lime", "lime", "lime", "cam"],
        "emotion": ["anger", "fear", "anger", "fear", "anger"], "pretrained": [True, True, False, False, True],
        "n_images": [5, 5, 5, 5, 5], "iou": [0.2, 0.4, 0.6, np.nan, 0.1], "f1": 0.5, "precision": 0.5, "recall": 0.5,
    })
    summary = iou_summary(scores)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    indexed = summary.set_index(["level", "method", "classifier", "emotion"])
    assert indexed.loc[("method", "lime", ALL, ALL), "iou"] == pytest.approx(0.4)
    assert indexed.loc[("method", "lime", ALL, ALL), "n_maps"] == 4
    assert indexed.loc[("classifier", "lime", "n1", ALL), "iou"] == pytest.approx(0.3)
    assert indexed.loc[("classifier", "lime", "n2", ALL), "iou"] == pytest.approx(0.6)
    assert indexed.loc[("emotion", "lime", ALL, "fear"), "iou"] == pytest.approx(0.4)
    assert indexed.loc[("method", "cam", ALL, ALL), "iou"] == pytest.approx(0.1)
    pretraining = summary[summary["level"] == "pretrained"].set_index(["method", "pretrained"])["iou"]
    assert pretraining.to_dict() == pytest.approx({("lime", True): 0.3, ("lime", False): 0.6, ("cam", True): 0.1})
    unknown = iou_summary(scores.assign(pretrained=None))
    assert "pretrained" not in set(unknown["level"])
    with pytest.raises(ValueError, match=r"lacks column\(s\) iou"):
        iou_summary(scores.drop(columns="iou"))


def test_global_maps_save_and_load_round_trip(tmp_path):
    maps = _global_maps()
    counts = {key: k + 1 for k, key in enumerate(maps)}
    path = save_global_maps(tmp_path / "maps" / "global.npz", maps, counts)
    assert path == tmp_path / "maps" / "global.npz" and not list(path.parent.glob(".*tmp"))
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["classifier", "emotion", "maps", "method", "n_images"]
        assert data["maps"].shape == (6, 16, 16) and data["maps"].dtype == np.float32
        assert data["classifier"].dtype.kind == "U"
    loaded, loaded_counts = load_global_maps(path)
    assert list(loaded) == list(maps) and loaded_counts == counts
    for key, values in maps.items():
        np.testing.assert_allclose(loaded[key], values, rtol=1e-6)


def test_saving_needs_counts_and_maps_of_one_shape(tmp_path):
    maps = _global_maps()
    with pytest.raises(ValueError, match="n_images lacks the count of 1 map"):
        save_global_maps(tmp_path / "g.npz", maps, {key: 1 for key in list(maps)[1:]})
    with pytest.raises(ValueError, match="one shape"):
        save_global_maps(tmp_path / "g.npz", {**maps, ("x", "lime", "fear"): np.zeros((3, 3))},
                         {key: 1 for key in [*maps, ("x", "lime", "fear")]})
    with pytest.raises(ValueError, match="no global maps"):
        save_global_maps(tmp_path / "g.npz", {}, {})
    assert not (tmp_path / "g.npz").exists()


def test_loading_a_bad_file_names_it(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_text("not a zip file")
    with pytest.raises(DataError, match="broken.npz: cannot be read"):
        load_global_maps(broken)
    partial = tmp_path / "partial.npz"
    np.savez(partial, maps=np.zeros((2, 3, 3)), classifier=np.array(["a", "b"]))
    with pytest.raises(DataError, match="partial.npz: lacks the array.s. method, emotion, n_images"):
        load_global_maps(partial)
    uneven = tmp_path / "uneven.npz"
    np.savez(uneven, maps=np.zeros((2, 3, 3)), classifier=np.array(["a", "b"]), method=np.array(["lime"]),
             emotion=np.array(["anger", "fear"]), n_images=np.array([1, 2]))
    with pytest.raises(DataError, match="column 'method': holds \\(1,\\) entries for 2 maps"):
        load_global_maps(uneven)
