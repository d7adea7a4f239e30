"""Sample sets on disk, the filtered stimulus set and its manifest, and the pair-grid figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from varemotion.data import DataError
from varemotion.figures.stimuli import pair_grid_figure, pair_scores
from varemotion.sampling.sets import SampleSet, load_sample_set, save_sample_set
from varemotion.entropy import entropy_bits
from varemotion.stimuli import (
    MANIFEST_COLUMNS,
    assemble_stimuli,
    read_manifest,
    write_stimuli,
)

EMOTIONS = ("anger", "happiness", "sadness")
THRESHOLDS = {"uncertainty_min_prob": 0.4, "controversial_min_prob": 0.9}
SETTINGS = {"scheduler": "ddpm", "num_inference_steps": 50, "guidance_scale": 0.1, "guidance_stop": 1.0, "guidance_goal": 1.0, "time_travel": 5,
            "renoise": "sqrt_beta"}


class TableClassifier(nn.Module):
    """Returns the log of row `v` of a probability table for an image whose first pixel is v/255."""

    def __init__(self, table):
        super().__init__()
        self.register_buffer("log_table", torch.tensor(table, dtype=torch.float64).clamp(min=1e-9).log().float())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.log_table[(images[:, 0, 0, 0] * 255).round().long()]


def make_set(kind, guides, i, j, seeds=None) -> SampleSet:
    n = len(i)
    images = np.full((n, 8, 8), 200, dtype=np.uint8)
    images[:, 0, 0] = np.arange(n)  # the row of the classifiers' tables
    return SampleSet(
        kind=kind, guides=tuple(guides), emotions=EMOTIONS, images=images,
        i=np.asarray(i, dtype=np.int64), j=np.asarray(j, dtype=np.int64),
        seeds=np.asarray(range(n) if seeds is None else seeds, dtype=np.int64), settings=dict(SETTINGS),
    )


def classifiers():
    a = [[0.45, 0.45, 0.10], [0.60, 0.30, 0.10], [0.05, 0.50, 0.45], [0.95, 0.03, 0.02]]
    b = [[0.10, 0.80, 0.10], [0.02, 0.96, 0.02], [0.30, 0.30, 0.40], [0.03, 0.95, 0.02]]
    return {"netA": TableClassifier(a), "netB": TableClassifier(b)}


def test_sample_set_round_trip_and_bad_sets_are_named(tmp_path):
    original = make_set("controversial", ["netA", "netB"], [0, 1], [1, 2])
    path = save_sample_set(tmp_path / "set.npz", original)
    loaded = load_sample_set(path)
    assert loaded.kind == "controversial" and loaded.guides == ("netA", "netB") and loaded.emotions == EMOTIONS
    assert np.array_equal(loaded.images, original.images) and loaded.settings == SETTINGS
    assert loaded.images_float().shape == (2, 1, 8, 8)
    with pytest.raises(DataError, match="needs 1 guides"):
        save_sample_set(tmp_path / "bad.npz", make_set("uncertainty", ["netA", "netB"], [0], [1]))
    with pytest.raises(DataError, match="targets outside 0..2"):
        save_sample_set(tmp_path / "bad.npz", make_set("uncertainty", ["netA"], [0], [3]))
    assert not (tmp_path / "bad.npz").exists()
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="junk.npz"):
        load_sample_set(tmp_path / "junk.npz")


def test_assemble_filters_each_kind_and_fills_the_manifest(tmp_path):
    sets = [
        make_set("uncertainty", ["netA"], [0, 0, 1, 0], [1, 1, 2, 2]),  # rows 0 and 2 pass
        make_set("controversial", ["netA", "netB"], [0, 0, 0, 0], [1, 1, 1, 1]),  # only row 3 passes
        make_set("control", [], [-1] * 4, [-1] * 4),
    ]
    stimuli = assemble_stimuli(sets, classifiers(), THRESHOLDS)
    manifest = stimuli.manifest
    assert list(manifest.columns[: len(MANIFEST_COLUMNS)]) == MANIFEST_COLUMNS
    assert manifest["stimulus_id"].tolist() == [
        "uncertainty-netA-00000", "uncertainty-netA-00002", "controversial-netA-netB-00003",
        "control-00000", "control-00001", "control-00002", "control-00003",
    ]
    assert stimuli.acceptance["n_accepted"].tolist() == [2, 1, 4]
    assert stimuli.acceptance["accepted_fraction"].tolist() == [0.5, 0.25, 1.0]
    first = manifest.iloc[0]
    assert (first["target_i"], first["target_j"], first["guide_b"]) == ("anger", "happiness", "")
    assert first["netA_p_anger"] == pytest.approx(0.45, abs=1e-6)
    assert first["netA_entropy"] == pytest.approx(entropy_bits([[0.45, 0.45, 0.10]])[0], abs=1e-5)
    assert manifest.iloc[-1]["target_i"] == "" and manifest.iloc[-1]["guidance_scale"] == 0.1
    assert len(stimuli.images) == len(manifest)
    assert np.array_equal(stimuli.images[2], sets[1].images[3])

    paths = [tmp_path / "out" / name for name in ("images.npz", "manifest.csv", "acceptance.csv", "png")]
    write_stimuli(stimuli, *paths)
    again = read_manifest(paths[1])
    assert again["stimulus_id"].tolist() == manifest["stimulus_id"].tolist()
    assert np.allclose(again["netB_p_happiness"], manifest["netB_p_happiness"], atol=1e-6)
    assert len(list(paths[3].glob("*.png"))) == len(manifest)
    with np.load(paths[0]) as data:
        assert np.array_equal(data["images"], stimuli.images)


def test_entropy_is_in_bits():
    assert entropy_bits([[0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25] * 4]).tolist() == [1.0, 0.0, 2.0]


def good_manifest(tmp_path) -> pd.DataFrame:
    stimuli = assemble_stimuli([make_set("control", [], [-1, -1], [-1, -1])], classifiers(), THRESHOLDS)
    return stimuli.manifest


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.drop(columns=["seed"]), "missing columns \\['seed'\\]"),
        (lambda m: m.assign(kind=["uncertainty", "two words"]), "line 3, column 'kind': value 'two words'"),
        (lambda m: m.assign(stimulus_id=["s1", "s1"]), "line 3, column 'stimulus_id': value 's1'"),
        (lambda m: m.assign(netA_p_anger=[0.2, 1.5]), "line 3, column 'netA_p_anger': value '1.5'"),
        (lambda m: m.assign(netA_entropy=["x", 0.1]), "line 2, column 'netA_entropy': value 'x'"),
    ],
)
def test_bad_manifest_names_line_column_and_value(tmp_path, edit, message):
    path = tmp_path / "manifest.csv"
    edit(good_manifest(tmp_path)).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        read_manifest(path)


def test_pair_grid_shows_one_face_per_ordered_pair():
    sample_set = make_set("uncertainty", ["netA"], [0, 0, 1, 0], [1, 1, 2, 2])
    probs = {name: model(sample_set.images_float()).softmax(-1).numpy() for name, model in classifiers().items()}
    scores = pair_scores(sample_set, probs)
    assert np.allclose(scores[0], [0.45, 0.45], atol=1e-6)
    figure = pair_grid_figure(sample_set, np.array([False, True, True, False]), scores, title="t")
    axes = np.asarray(figure.axes).reshape(3, 3)
    assert len(axes[0, 1].images) == 1 and len(axes[1, 0].images) == 0 and len(axes[0, 0].images) == 0
    assert axes[0, 1].get_xlabel() == "0.60 / 0.30"  # the pair's first kept image, row 1
