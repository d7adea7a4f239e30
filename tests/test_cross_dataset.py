"""Cross-data-set evaluation (varemotion.models.cross_dataset): emotions matched by name, the scores and files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from varemotion.data.splits import Split, save_split
from varemotion.figures.cross_dataset import run_cross_dataset_figure
from helpers import save_classifier_in
from varemotion.models.classifier import Classifier, ClassifierConfig
from varemotion.models.cross_dataset import cross_scores, fit_images, match_emotions, run_cross_dataset

FERPLUS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]


def test_emotions_are_matched_by_name_whatever_the_order_and_case():
    match = match_emotions(FERPLUS, ["Happiness", "anger", "neutral ", "sadness"])
    assert match.shared == ("neutral", "happiness", "sadness", "anger")
    assert match.classifier_only == ("surprise", "disgust", "fear", "contempt")
    assert match.dataset_only == ()
    match = match_emotions(["happiness", "sadness"], ["sadness", "fear", "happiness"])
    assert match.dataset_only == ("fear",) and match.classifier_only == ()


def test_a_data_set_without_one_of_the_classifiers_emotions():
    """The classifier knows contempt, the data set has none: contempt cannot be its answer, and how
    often it would have been is reported."""
    dataset = ["happiness", "anger", "neutral"]
    labels = np.array([0, 0, 1, 1, 2, 2])
    probabilities = np.full((6, 8), 0.01)
    # image 0: happiness; 1: contempt first, happiness second; 2: anger; 3: contempt, then neutral;
    # 4: neutral; 5: happiness (wrong)
    best = [(1, None), (7, 1), (4, None), (7, 0), (0, None), (1, None)]
    for i, (first, second) in enumerate(best):
        probabilities[i, first] = 0.6
        if second is not None:
            probabilities[i, second] = 0.3
    scores, confusion, match = cross_scores(probabilities, labels, FERPLUS, dataset)
    assert match.shared == ("neutral", "happiness", "anger") and "contempt" in match.classifier_only
    assert scores["n_images"] == 6 and scores["n_left_out"] == 0 and scores["n_shared_emotions"] == 3
    # restricted to the shared emotions: 0 right, 1 right (happiness), 2 right, 3 wrong (neutral), 4 right, 5 wrong
    assert scores["accuracy"] == pytest.approx(4 / 6)
    assert scores["accuracy_all_classes"] == pytest.approx(3 / 6)
    assert scores["share_absent_predictions"] == pytest.approx(2 / 6)
    assert confusion.sum() == 6 and confusion.shape == (3, 3)
    assert confusion[2, 0] == 1  # anger taken for neutral (contempt ruled out)


def test_images_of_emotions_the_classifier_lacks_are_left_out():
    probabilities = np.eye(3)[[0, 1, 2, 0]]
    scores, confusion, match = cross_scores(probabilities, np.array([0, 1, 2, 3]), ["happiness", "sadness", "fear"],
                                            ["happiness", "sadness", "fear", "contempt"])
    assert match.dataset_only == ("contempt",)
    assert scores["n_images"] == 3 and scores["n_left_out"] == 1 and scores["accuracy"] == 1.0
    assert scores["macro_f1"] == 1.0


def test_an_emotion_without_test_images_counts_as_missing():
    scores, _, match = cross_scores(np.eye(3)[[0, 1]], np.array([0, 1]), ["happiness", "sadness", "fear"],
                                    ["happiness", "sadness", "fear"])
    assert match.shared == ("happiness", "sadness") and match.classifier_only == ("fear",)


def test_images_are_fitted_to_the_classifiers_input():
    split = Split(images=np.zeros((2, 20, 20, 3), np.uint8), labels=np.array([0, 0]), ids=["a", "b"],
                  emotions=("happiness",))
    assert fit_images(split, (48, 48), 1).shape == (2, 1, 48, 48)


def test_run_writes_every_table_and_the_figure(tmp_path):
    torch.manual_seed(0)
    paths = []
    for name in ("a", "b"):
        classifier = Classifier(ClassifierConfig(arch="resnet10t", emotions=FERPLUS[:7], image_size=[32, 32],
                                                 kwargs={"channels": [8, 8, 8, 8], "stem_width": 4}))
        paths.append(save_classifier_in(classifier, tmp_path / name))
    rng = np.random.default_rng(0)
    split = Split(images=rng.integers(0, 255, (12, 40, 40), dtype=np.uint8), labels=np.arange(12) % 3,
                  ids=[f"x{i}" for i in range(12)], emotions=("happiness", "contempt", "anger"))
    save_split(tmp_path / "other.npz", split)
    out = {key: tmp_path / "cross" / f"{key}.{ext}" for key, ext in
           (("metrics", "csv"), ("confusion", "csv"), ("emotions", "csv"), ("summary", "json"))}
    run_cross_dataset(dict(zip(["a", "b"], paths)), tmp_path / "other.npz", out)
    metrics = pd.read_csv(out["metrics"])
    assert list(metrics["classifier"]) == ["a", "b"] and (metrics["n_images"] == 8).all()
    assert (metrics["n_left_out"] == 4).all() and metrics["accuracy"].between(0, 1).all()
    assert len(pd.read_csv(out["confusion"])) == 2 * 2 * 2
    emotions = pd.read_csv(out["emotions"]).set_index("emotion")
    assert not emotions.loc["contempt", "in_classifier"] and emotions.loc["contempt", "n_test_images"] == 4
    assert not emotions.loc["fear", "in_dataset"] and emotions.loc["anger", "scored"]
    summary = json.loads(out["summary"].read_text())
    assert summary["classifiers"]["a"]["missing_in_classifier"] == ["contempt"]
    run_cross_dataset_figure(out["metrics"], out["confusion"], out["emotions"], tmp_path / "f.png", tmp_path / "f.pdf", 60)
    assert (tmp_path / "f.png").stat().st_size > 1000
