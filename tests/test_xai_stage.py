"""The explainability stage from files to files: synthetic faces, real faces with landmarks, people's files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from conftest import shared_dir
from helpers import POPULATION, frontal_face68, save_classifier_in, schema_defaults
from varemotion.data.errors import DataError
from varemotion.data.splits import Split, save_split
from varemotion.emotions import BASIC_EMOTIONS
from varemotion.faces import AU_NAMES, IDENTITY_NAMES, generate_faces
from varemotion.models.classifier import Classifier, ClassifierConfig
from varemotion.xai.geometry import geometry_of, mean_template
from varemotion.xai.methods import METHODS
from varemotion.xai.people_stage import run_attention_comparison, run_people_data, run_people_images
from varemotion.xai.regions import EKMAN_REGIONS
from varemotion.xai.stage import run_global_maps, run_saliency

EMOTIONS = list(BASIC_EMOTIONS)
SETTINGS = {"methods": list(METHODS), "lime": {"n_segments": 8, "n_samples": 20},
            "extremal": {"areas": [0.1, 0.2], "iterations": 3}, "batch_size": 8, "seed": 0}
PEOPLE = {"source": "simulated", "n_per_emotion": 2, "n_subjects": 3, "n_clicks": 2, "radius": 0.1,
          "relevance": 0.7, "noise_sd": 0.03, "clicks": None, "twoafc": None, "column_map": {}}


def synthetic_test_split(n=28, size=32, masks=True) -> Split:
    faces = generate_faces(n, seed=5, size=size, emotions=EMOTIONS, with_masks=masks)
    extras = {"au": faces["au"], "identity": faces["identity"], "au_names": np.array(AU_NAMES),
              "identity_names": np.array(IDENTITY_NAMES)}
    if masks:
        extras["au_masks"] = faces["au_masks"]
    return Split(images=faces["images"], labels=faces["labels"], ids=np.array([f"face{i:03d}" for i in range(n)]),
                 emotions=tuple(EMOTIONS), extras=extras)


def tiny_classifier(directory, size=32):
    torch.manual_seed(0)
    classifier = Classifier(ClassifierConfig(arch="resnet10t", emotions=EMOTIONS, image_size=[size, size],
                                             kwargs={"channels": [8, 8, 8, 8], "stem_width": 4, "output_stride": 8}))
    return save_classifier_in(classifier, directory)


@pytest.fixture
def synthetic(tmp_path):
    test = tmp_path / "test.npz"
    save_split(test, synthetic_test_split())
    return test, tiny_classifier(tmp_path / "model")


def global_outputs(tmp_path):
    names = {"maps": "maps.npz", "template": "template.npz", "scores": "scores.csv",
             "correlations": "correlations.csv", "summary": "summary.json"}
    return {key: tmp_path / "global" / name for key, name in names.items()}


def test_global_maps_of_synthetic_faces_are_scored_for_every_method_and_expression(synthetic, tmp_path):
    test, weights = synthetic
    run_saliency(weights, test, None, tmp_path / "a.npz", "global", 2, SETTINGS)
    run_saliency(weights, test, None, tmp_path / "b.npz", "global", 2, SETTINGS)
    with np.load(tmp_path / "a.npz") as maps:
        assert maps["maps_lime"].shape == (len(maps["ids"]), 32, 32)
        assert np.array_equal(maps["targets"], maps["probabilities"].argmax(axis=1))
        assert all(np.bincount(maps["targets"], minlength=7) <= 2)
    out = global_outputs(tmp_path)
    run_global_maps({"a": tmp_path / "a.npz", "b": tmp_path / "b.npz"}, test, None, out, SETTINGS["methods"],
                    {"a": False, "b": True}, 112, False)
    scores = pd.read_csv(out["scores"])
    assert set(scores["method"]) == set(SETTINGS["methods"]) and "neutral" not in set(scores["emotion"])
    assert scores["iou"].between(0, 1).all() and (scores["n_images"] >= 1).all()
    assert set(scores.loc[scores["classifier"] == "b", "pretrained"]) == {True}
    correlations = pd.read_csv(out["correlations"])
    assert np.allclose(correlations["correlation"], 1.0)  # the same network twice
    summary = json.loads(out["summary"].read_text())
    assert set(summary["mean_iou"]) == set(SETTINGS["methods"])
    assert {row["pretrained"] for row in summary["per_pretrained"]} == {True, False}


def test_simulated_people_compared_with_models(synthetic, tmp_path):
    test, weights = synthetic
    images, clicks, twoafc = tmp_path / "people.npz", tmp_path / "clicks.csv", tmp_path / "twoafc.csv"
    run_people_images(test, None, images, PEOPLE, 0, 112, False)
    with np.load(images) as faces:
        assert np.bincount(faces["labels"], minlength=7).max() <= 2
        region, face = faces["region_masks"], faces["face_masks"]
        assert (region <= face).mean() > 0.95 and face.any(axis=(1, 2)).all()
    frontend = tiny_classifier(tmp_path / "frontend")
    run_people_data(images, frontend, {"clicks": clicks, "twoafc": twoafc}, PEOPLE, schema_defaults(*POPULATION), 0)
    run_saliency(weights, test, images, tmp_path / "maps.npz", "people", 0, SETTINGS)
    out = {"attention": tmp_path / "attention.npz", "similarity": tmp_path / "similarity.csv",
           "twoafc_accuracy": tmp_path / "accuracy.csv", "summary": tmp_path / "summary.json"}
    resampling = {"n_resamples": 99, "confidence": 0.95, "seed": 0}
    run_attention_comparison({"net": tmp_path / "maps.npz"}, images, clicks, twoafc, out, SETTINGS["methods"],
                             resampling)
    accuracy = pd.read_csv(out["twoafc_accuracy"]).set_index(["who", "rule"])
    n_faces = len(np.load(images)["ids"])
    assert accuracy.loc[("people", "observed"), "n"] == accuracy.loc[("net", "sample"), "n"] == 3 * n_faces
    assert accuracy.loc[("net", "argmax"), "n_stimuli"] == n_faces
    assert np.isfinite(accuracy.loc[("net", "sample"), "expected"])
    similarity = pd.read_csv(out["similarity"])
    assert len(similarity) == n_faces * 4 and set(similarity["method"]) == set(SETTINGS["methods"])
    assert {"spearman_shuffled", "n_shuffled"} <= set(similarity.columns)
    summary = json.loads(out["summary"].read_text())
    assert {row["who"] for row in summary["twoafc"]} == {"people", "net"}
    assert all("spearman_excess" in row for row in summary["similarity"])


def test_peoples_own_files_are_read_and_a_bad_row_writes_nothing(synthetic, tmp_path):
    test, weights = synthetic
    clicks = pd.DataFrame({"participant": ["p1", "p1", "p2"], "stimulus_id": ["face003", "face003", "face007"],
                           "click": [1, 2, 1], "x": [10.0, 20.0, 5.0], "y": [12.0, 3.0, 30.0],
                           "radius": [4.0, 4.0, 4.0], "response": ["anger", "anger", "fear"]})
    trials = pd.DataFrame({"participant": ["p1", "p2"], "stimulus_id": ["face003", "face009"],
                           "target": ["anger", "happiness"], "foil": ["fear", "sadness"],
                           "response": ["anger", "sadness"]})
    clicks.to_csv(tmp_path / "my_clicks.csv", index=False)
    trials.to_csv(tmp_path / "my_2afc.csv", index=False)
    people = {**PEOPLE, "source": "data", "column_map": {"subject_id": "participant"}}
    files = {"clicks": tmp_path / "my_clicks.csv", "twoafc": tmp_path / "my_2afc.csv"}
    images = tmp_path / "people.npz"
    run_people_images(test, None, images, people, 0, 112, False, files)
    assert np.load(images)["ids"].tolist() == ["face003", "face007", "face009"]
    run_people_data(images, None, {"clicks": tmp_path / "clicks.csv", "twoafc": tmp_path / "twoafc.csv"}, people, {}, 0,
                    files=files)
    assert pd.read_csv(tmp_path / "clicks.csv")["subject_id"].tolist() == ["p1", "p1", "p2"]

    clicks.loc[1, "x"] = 99.0
    clicks.to_csv(tmp_path / "my_clicks.csv", index=False)
    before = (tmp_path / "my_clicks.csv").read_bytes()
    with pytest.raises(DataError, match=r"my_clicks.csv, line 3, column 'x': value '99.0'"):
        run_people_data(images, None, {"clicks": tmp_path / "clicks2.csv", "twoafc": tmp_path / "twoafc2.csv"}, people,
                        {}, 0, files=files)
    assert not (tmp_path / "clicks2.csv").exists() and not (tmp_path / "twoafc2.csv").exists()
    assert (tmp_path / "my_clicks.csv").read_bytes() == before


def test_real_faces_without_landmarks_are_refused_by_name(tmp_path):
    split = synthetic_test_split(n=7, masks=False)
    with pytest.raises(ValueError, match="xai.landmarks"):
        geometry_of(split)


def test_real_faces_use_the_landmarks_mean_shape_and_ekman_regions(tmp_path):
    """FER+ faces with the global-map study's template landmarks fitted to the 48×48 crop."""
    root = shared_dir() / "data"
    if not (root / "ekman_masks" / "template_points.json").exists() or not (root / "ferplus" / "FER2013Test").is_dir():
        pytest.skip("no ../shared data")
    names = sorted(p.name for p in (root / "ferplus" / "FER2013Test").glob("*.png"))[:21]
    images = np.stack([np.asarray(Image.open(root / "ferplus" / "FER2013Test" / n).convert("L")) for n in names])
    points = np.asarray(json.loads((root / "ekman_masks" / "template_points.json").read_text())["points"][:68], float)
    rng = np.random.default_rng(0)
    landmarks = points * (48 / 224) + rng.normal(0, 0.5, (len(names), 68, 2))
    table = pd.DataFrame(
        {"image_id": names, **{f"x{k + 1}": landmarks[:, k, 0] for k in range(68)},
         **{f"y{k + 1}": landmarks[:, k, 1] for k in range(68)}})
    table.to_csv(tmp_path / "landmarks.csv", index=False)
    split = Split(images=images, labels=np.arange(len(names)) % 7, ids=np.array(names), emotions=tuple(EMOTIONS))
    save_split(tmp_path / "test.npz", split)
    geometry = geometry_of(split, tmp_path / "landmarks.csv", 112)
    assert geometry.template_shape[1] == 112 and set(geometry.truth) == set(EKMAN_REGIONS)
    template, _ = mean_template(landmarks, 112)
    assert np.allclose(geometry.template, template)
    weights = tiny_classifier(tmp_path / "model", size=48)
    run_saliency(weights, tmp_path / "test.npz", None, tmp_path / "maps.npz", "global", 3,
                 {**SETTINGS, "methods": ["gradcam"]})
    out = global_outputs(tmp_path)
    run_global_maps({"net": tmp_path / "maps.npz"}, tmp_path / "test.npz", tmp_path / "landmarks.csv", out,
                    ["gradcam"], {"net": False}, 112, False)
    scores = pd.read_csv(out["scores"])
    assert set(scores["emotion"]) <= set(EKMAN_REGIONS) and scores["iou"].between(0, 1).all()
    with np.load(out["template"]) as saved:
        assert saved["image"].shape == geometry.template_shape and saved["image"].max() > 0.2


def test_faces_without_a_detection_are_left_out_with_a_log_line(tmp_path, caplog):
    split = synthetic_test_split(n=14, masks=False)
    save_split(tmp_path / "test.npz", split)
    points = np.broadcast_to(frontal_face68() * 0.3, (14, 68, 2))
    table = pd.DataFrame({"image_id": split.ids, "detected": ["true"] * 14,
                          **{f"x{k + 1}": points[:, k, 0] for k in range(68)},
                          **{f"y{k + 1}": points[:, k, 1] for k in range(68)}}).astype(object)
    table.loc[[1, 3], "detected"] = "false"  # fallback points
    table.loc[5, [c for c in table.columns if c[0] in "xy"]] = ""  # no points at all
    table.to_csv(tmp_path / "landmarks.csv", index=False)
    left_out = {split.ids[i] for i in (1, 3, 5)}
    weights = tiny_classifier(tmp_path / "model")
    with caplog.at_level("INFO"):
        run_saliency(weights, tmp_path / "test.npz", None, tmp_path / "maps.npz", "global", 14,
                     {**SETTINGS, "methods": ["gradcam"]}, landmarks_path=tmp_path / "landmarks.csv")
    assert "3 of 14 faces left out: 1 without landmarks, 2 with landmarks from a fallback" in caplog.text
    with np.load(tmp_path / "maps.npz") as maps:
        assert len(maps["ids"]) == 11 and not left_out & set(maps["ids"])
    run_global_maps({"net": tmp_path / "maps.npz"}, tmp_path / "test.npz", tmp_path / "landmarks.csv",
                    global_outputs(tmp_path), ["gradcam"], {"net": False}, 64, False)
    assert pd.read_csv(global_outputs(tmp_path)["scores"])["n_images"].sum() <= 11
    people = {**PEOPLE, "n_per_emotion": 2}
    run_people_images(tmp_path / "test.npz", tmp_path / "landmarks.csv", tmp_path / "people.npz", people, 0, 64, False)
    with np.load(tmp_path / "people.npz") as faces:
        assert not left_out & set(faces["ids"]) and faces["face_masks"].any(axis=(1, 2)).all()
    run_people_images(tmp_path / "test.npz", tmp_path / "landmarks.csv", tmp_path / "people.npz",
                      {**people, "n_per_emotion": 14}, 0, 64, True)
    with np.load(tmp_path / "people.npz") as faces:
        assert set(faces["ids"]) == set(split.ids) - {split.ids[5]}
