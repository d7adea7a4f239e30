"""The workflow on real faces: landmarks, the explainability stage and the cross-data-set evaluation on an
image folder (FER+ test faces when ../shared has them, else synthetic faces written as PNG files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import shared_dir, snakemake
from helpers import LATENT_TINY_PRIOR, TINY_CONFIG, write_config
from varemotion.emotions import BASIC_EMOTIONS
from varemotion.faces import generate_faces

PER_EMOTION = 20
TARGETS = ["results/xai/global/summary.json", "results/xai/people/summary.json", "results/figures/xai_iou.png",
           "results/figures/landmarks_imagefolder.png", "results/figures/cross_dataset_synthetic.png"]


def real_looking_folder(root: Path) -> str:
    """One sub-folder per emotion of 48×48 faces; which kind of faces it holds."""
    ferplus = shared_dir() / "data" / "ferplus"
    if (ferplus / "fer2013new.csv").exists():
        votes = pd.read_csv(ferplus / "fer2013new.csv")
        votes = votes[(votes["Usage"] == "PrivateTest") & votes["Image name"].notna()]
        majority = votes[list(BASIC_EMOTIONS)].to_numpy().argmax(axis=1)
        for k, emotion in enumerate(BASIC_EMOTIONS):
            (root / emotion).mkdir(parents=True)
            for name in votes["Image name"].to_numpy()[majority == k][:PER_EMOTION]:
                shutil.copy(ferplus / "FER2013Test" / name, root / emotion / name)
        return "ferplus"
    faces = generate_faces(PER_EMOTION * len(BASIC_EMOTIONS), seed=4, size=48)
    for i, (image, label) in enumerate(zip(faces["images"], faces["labels"])):
        (root / BASIC_EMOTIONS[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / BASIC_EMOTIONS[label] / f"face{i:03d}.png")
    return "synthetic"


@pytest.mark.slow
def test_explainability_stage_on_an_image_folder_of_real_faces(tmp_path):
    pytest.importorskip("mediapipe", reason="the landmark rule needs mediapipe (pip install -e '.[facemesh]')")
    kind = real_looking_folder(tmp_path / "faces")
    config = {
        **TINY_CONFIG,
        "data": {"source": "imagefolder", "synthetic": {"n_test": 35, "image_size": 32},
                 "imagefolder": {"root": str(tmp_path / "faces"), "val_fraction": 0.25, "test_fraction": 0.35}},
        "prior": LATENT_TINY_PRIOR,  # not trained for these targets; the renderer prior fits synthetic faces only
        "cross_dataset": {"sources": ["synthetic"]},
        "xai": {**TINY_CONFIG["xai"], "methods": ["gradcam", "lime"]},
    }
    result = snakemake("--cores", "2", "--configfile", str(write_config(tmp_path, config)), "--directory",
                       str(tmp_path), *TARGETS, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    results = tmp_path / "results"
    for target in TARGETS:
        assert (tmp_path / target).stat().st_size > 200
    summary = json.loads((results / "landmarks" / "imagefolder" / "summary.json").read_text())
    assert summary["detection_rate"] >= (0.85 if kind == "ferplus" else 0.6)
    assert summary["n_faces"] == summary["n_detected"] + len(pd.read_csv(results / "landmarks" / "imagefolder" / "undetected.csv"))
    landmarks = pd.read_csv(results / "landmarks" / "imagefolder" / "landmarks.csv")
    undetected = set(landmarks.loc[~landmarks["detected"], "image_id"])
    scores = pd.read_csv(results / "xai" / "global" / "scores.csv")
    assert set(scores["method"]) == {"gradcam", "lime"} and scores["iou"].between(0, 1).all()
    assert "neutral" not in set(scores["emotion"])
    for name in TINY_CONFIG["classifiers"]:
        with np.load(results / "xai" / "maps" / name / "global.npz") as maps:
            assert not undetected & set(maps["ids"])
    with np.load(results / "xai" / "people" / "images.npz") as faces:
        assert not undetected & set(faces["ids"]) and faces["region_masks"].any()
    if undetected:
        assert "faces left out" in (results / "logs" / "xai" / "global_maps.log").read_text()
    cross = pd.read_csv(results / "cross_dataset" / "synthetic" / "metrics.csv")
    assert set(cross["classifier"]) == set(TINY_CONFIG["classifiers"]) and (cross["n_images"] == 35).all()
