"""Realism measures: the renderer fit, the two-sample test, the filter and the measure's settings."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import from_schema
from varemotion.data import DataError
from varemotion.faces import generate_faces
from varemotion.models import Classifier, ClassifierConfig
from varemotion.models.training import TrainConfig, TrainingData, train_classifier
from varemotion.realism.measures import RealismSettings, resolve_measure
from varemotion.realism.renderer_fit import fit_renderer
from varemotion.realism.scores import SCORE_COLUMNS, read_scores, realism_scores, realism_threshold, realistic, write_scores
from varemotion.realism.two_sample import equalise_noise, gaussian_smooth, noise_level, two_sample_test
from varemotion.sampling import keep_uncertainty
from varemotion.sampling.sets import SampleSet
from varemotion.stimuli import SetRealism, assemble_stimuli

EMOTIONS = ["neutral", "happiness", "surprise"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def faces() -> dict:
    return generate_faces(96, seed=11, emotions=EMOTIONS)


def floats(images: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(images, dtype=torch.float32)[:, None] / 255


def to_uint8(images: torch.Tensor) -> np.ndarray:
    return (images[:, 0].clamp(0, 1) * 255).round().to(torch.uint8).numpy()


@pytest.fixture(scope="module")
def guide() -> Classifier:
    """A small classifier trained on rendered faces (well above chance, far from perfect)."""
    torch.manual_seed(0)
    config = ClassifierConfig(arch="resnet10t", emotions=EMOTIONS, image_size=[48, 48],
                              kwargs={"channels": [8, 16, 16, 16], "stem_width": 8})
    classifier = Classifier(config)
    data = generate_faces(600, seed=21, emotions=EMOTIONS)
    train_classifier(classifier, TrainingData(floats(data["images"]), torch.as_tensor(data["labels"])),
                     from_schema(TrainConfig, "train", epochs=12, batch_size=64, lr=3e-3), torch.device("cpu"), progress=False)
    return classifier.eval()


def adversarial_patterns(classifier: Classifier, n: int, i: int = 1, j: int = 2, steps: int = 150) -> torch.Tensor:
    """Plain gradient ascent from grey noise on log p_i + log p_j: images the guide puts on its i–j boundary."""
    generator = torch.Generator().manual_seed(5)
    x = (0.5 + 0.1 * torch.randn(n, 1, 48, 48, generator=generator)).requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=0.05)
    for _ in range(steps):
        log_p = classifier(x.clamp(0, 1)).log_softmax(-1)
        loss = -(log_p[:, i] + log_p[:, j]).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return x.detach().clamp(0, 1)


def test_renderer_fit_recovers_the_action_units_of_rendered_faces(faces):
    fit = fit_renderer(floats(faces["images"][:32]))
    error = np.abs(fit.au - faces["au"][:32])
    assert error.mean() < 0.1, error.mean(axis=0)
    assert error.mean(axis=0).max() < 0.2
    # what is left is the renderer's pixel noise (σ = 0.03) and 8-bit rounding
    assert 0.027 < np.median(fit.residual) < 0.034
    assert fit.renderings.shape == (32, 1, 48, 48)


def test_renderer_fit_does_not_depend_on_the_batching(faces):
    images = floats(faces["images"][:6])
    together = fit_renderer(images, steps=40).residual
    apart = fit_renderer(images, steps=40, batch_size=4).residual
    np.testing.assert_allclose(together, apart, rtol=1e-4)


def test_renderer_residual_separates_real_faces_from_noise_and_adversarial_patterns(faces, guide):
    settings = RealismSettings(measure="renderer")
    reference = realism_scores(faces["images"][:64], settings)
    threshold = realism_threshold(reference, settings)
    real = realism_scores(faces["images"][64:96], settings)
    noise = realism_scores(to_uint8(torch.rand(8, 1, 48, 48, generator=torch.Generator().manual_seed(1))), settings)
    patterns = realism_scores(to_uint8(adversarial_patterns(guide, 8)), settings)
    assert realistic(real, "renderer", threshold).mean() >= 0.85  # the 0.99 quantile of 64 reference faces
    assert not realistic(noise, "renderer", threshold).any()
    assert not realistic(patterns, "renderer", threshold).any()
    assert patterns["residual"].min() > 2 * threshold


def test_realism_filter_drops_an_adversarial_pattern_that_passes_the_probability_filter(faces, guide):
    classifier = guide
    patterns = adversarial_patterns(classifier, 4)
    with torch.no_grad():
        probs = classifier(floats(to_uint8(patterns))).softmax(-1)
    assert keep_uncertainty(probs, 1, 2, 0.4).all(), probs
    images = np.concatenate([faces["images"][:4], to_uint8(patterns)])
    sample_set = SampleSet(kind="uncertainty", guides=("guide",), emotions=tuple(EMOTIONS), images=images,
                           i=np.ones(8, dtype=np.int64), j=np.full(8, 2, dtype=np.int64),
                           seeds=np.arange(8, dtype=np.int64))
    settings = RealismSettings(measure="renderer")
    threshold = realism_threshold(realism_scores(faces["images"][8:40], settings), settings)
    scores = realism_scores(images, settings)
    passed = realistic(scores, "renderer", threshold)
    stimuli = assemble_stimuli([sample_set], {"guide": classifier}, {"uncertainty_min_prob": 0.4},
                               [SetRealism(scores, passed)])
    kept = set(stimuli.manifest["seed"])
    assert not kept & {4, 5, 6, 7}
    row = stimuli.acceptance.iloc[0]
    assert row["n_rejected_realism"] >= 4
    assert row["n_accepted"] == row["n_pass_probability"] - row["n_rejected_realism"]
    assert stimuli.manifest["realism_residual"].le(threshold).all()


def test_two_sample_test_cannot_tell_two_halves_of_real_faces_apart(faces):
    images = floats(faces["images"])
    result = two_sample_test(images[:48], images[48:], seed=0, folds=3, steps=60)
    assert 0.35 <= result.accuracy <= 0.65
    assert result.p_value > 0.01


def test_two_sample_test_tells_noise_from_real_faces(faces):
    images = floats(faces["images"])
    noise = torch.rand(48, 1, 48, 48, generator=torch.Generator().manual_seed(2))
    result = two_sample_test(noise, images[:48], seed=0, folds=3, steps=60)
    assert result.accuracy > 0.9 and result.p_value < 1e-6


def test_noise_level_measures_added_pixel_noise(faces):
    clean = floats(generate_faces(16, seed=4, emotions=EMOTIONS, noise_std=0.0)["images"])
    assert noise_level(clean).max() < 0.01
    assert noise_level(floats(faces["images"][:16])).sub(0.03).abs().max() < 0.004
    raised = equalise_noise(clean, 0.05, torch.Generator().manual_seed(0))
    assert noise_level(raised).sub(0.05).abs().max() < 0.005


@pytest.mark.slow
def test_two_sample_test_ignores_pixel_noise_but_not_blur():
    """The same kind of faces with and without the renderer's noise are one distribution of faces."""
    clean = floats(generate_faces(200, seed=13, emotions=EMOTIONS, noise_std=0.0)["images"])
    noisy = floats(generate_faces(200, seed=14, emotions=EMOTIONS)["images"])
    assert two_sample_test(clean, noisy, seed=0).accuracy < 0.62
    assert two_sample_test(gaussian_smooth(clean, 1.5), noisy, seed=0).accuracy > 0.85


@pytest.mark.slow
def test_two_sample_test_detects_each_kind_of_off_manifold_image(guide):
    real = floats(generate_faces(400, seed=12, emotions=EMOTIONS)["images"])
    bad = {
        "blurred": gaussian_smooth(real[:200], 2.0),
        "noise": torch.rand(200, 1, 48, 48, generator=torch.Generator().manual_seed(3)),
        "adversarial": adversarial_patterns(guide, 200),
    }
    for name, images in bad.items():
        result = two_sample_test(images, real[200:], seed=0)
        assert result.accuracy > 0.85, (name, result)
    assert two_sample_test(real[:200], real[200:], seed=0).accuracy < 0.62


def test_auto_measure_follows_the_data_source(monkeypatch, caplog):
    import varemotion.realism.measures as measures

    monkeypatch.setattr(measures, "facemesh_available", lambda: False)
    assert resolve_measure("auto", "synthetic", "auto") == ("renderer", False)
    with caplog.at_level(logging.WARNING):
        assert resolve_measure("auto", "ferplus", "auto") == ("none", False)
    assert "realism filter is off" in caplog.text
    with pytest.raises(ValueError, match="needs synthetic faces"):
        resolve_measure("renderer", "ferplus", False)
    with pytest.raises(ValueError, match="mediapipe is not installed"):
        resolve_measure("auto", "ferplus", True)
    monkeypatch.setattr(measures, "facemesh_available", lambda: True)
    assert resolve_measure("auto", "imagefolder", "auto") == ("facemesh", True)


def test_score_table_with_a_row_missing_is_refused(tmp_path):
    table = pd.DataFrame({"image": np.arange(3)}).reindex(columns=SCORE_COLUMNS)
    path = tmp_path / "scores.csv"
    write_scores(table, path)
    assert len(read_scores(path, 3)) == 3
    with pytest.raises(DataError, match="3 rows for 4 images"):
        read_scores(path, 4)
