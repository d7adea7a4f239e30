"""Diffusion priors: the Prior interface, serialisation, resumable training and quality report."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers import PRIOR_SHAPE as SHAPE, TINY_TRAIN, blobs, from_schema, save_prior_in, tiny_prior
from varemotion.diffusion import Prior, load_prior
from varemotion.sampling.quality import quality_report, unguided_samples
from varemotion.diffusion.training import PriorTrainConfig, denoising_loss, train_prior


@pytest.mark.parametrize("kind", ["pixel", "latent"])
def test_prior_interface_and_shapes(kind):
    prior = tiny_prior(kind)
    assert isinstance(prior, Prior)
    expected = SHAPE if kind == "pixel" else (2, 8, 8)
    assert prior.sample_shape == expected
    x_t = torch.randn(3, *expected, requires_grad=True)
    eps = prior.denoise(x_t, torch.tensor(500))
    assert eps.shape == x_t.shape
    eps.square().sum().backward()
    assert x_t.grad is not None and x_t.grad.abs().sum() > 0

    x0 = (0.5 * torch.randn(3, *expected)).requires_grad_()
    images = prior.decode(x0)
    assert images.shape == (3, *SHAPE)
    assert images.min() >= 0 and images.max() <= 1
    images.sum().backward()
    assert x0.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", ["pixel", "latent"])
def test_save_and_load_round_trip(kind, tmp_path):
    prior = tiny_prior(kind).eval()
    if kind == "latent":
        prior.latent_scale.fill_(0.7)  # a buffer set by training must survive the round trip
    loaded = load_prior(save_prior_in(prior, tmp_path))
    assert type(loaded) is type(prior)
    x = torch.randn(2, *prior.sample_shape)
    assert torch.equal(prior.denoise(x, torch.tensor(10)), loaded.denoise(x, torch.tensor(10)))
    assert torch.equal(prior.decode(x), loaded.decode(x))
    a, b = (unguided_samples(p, 3, {"num_inference_steps": 3, "time_travel": 1}, 2, seed=1) for p in (prior, loaded))
    assert a.shape == (3, *SHAPE) and torch.equal(a, b)


@pytest.mark.parametrize("kind", ["pixel", "latent"])
def test_resumed_training_ends_with_the_same_weights(kind, tmp_path, monkeypatch):
    from varemotion.diffusion import training

    images = blobs(24, seed=0)
    config = from_schema(PriorTrainConfig, "prior", "train", **TINY_TRAIN)
    cpu = torch.device("cpu")
    straight = tiny_prior(kind)
    train_prior(straight, images, config, cpu, progress=False)

    class Killed(Exception):
        pass

    def save_then_die(path, payload):
        real_save(path, payload)
        raise Killed  # the job dies right after its first checkpoint

    real_save = training.save_checkpoint
    checkpoint = tmp_path / "ckpt.pt"
    monkeypatch.setattr(training, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        train_prior(tiny_prior(kind), images, config, cpu, checkpoint, progress=False)
    monkeypatch.setattr(training, "save_checkpoint", real_save)
    assert torch.load(checkpoint, weights_only=True)["step"] == 2

    resumed = tiny_prior(kind, seed=123)  # another init: everything must come from the checkpoint
    history = train_prior(resumed, images, config, cpu, checkpoint, progress=False)
    assert len(history) == config.steps + (config.ae_steps if kind == "latent" else 0)
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_a_few_steps_lower_the_denoising_loss():
    images = blobs(64, seed=1)
    prior = tiny_prior("pixel")

    def loss() -> float:
        with torch.no_grad():
            return denoising_loss(prior, prior.encode(images), torch.Generator().manual_seed(0)).item()

    before = loss()
    config = from_schema(PriorTrainConfig, "prior", "train", steps=40, batch_size=32, lr=3e-3, warmup_steps=1, ema_decay=0.0, min_snr=False)
    train_prior(prior, images, config, torch.device("cpu"), progress=False)
    assert loss() < 0.8 * before


def test_autoencoder_stage_learns_to_reconstruct():
    images = blobs(64, seed=2)
    prior = tiny_prior("latent")

    def error() -> float:
        with torch.no_grad():
            return (prior.decode(prior.encode(images)) - images).abs().mean().item()

    before = error()
    config = from_schema(PriorTrainConfig, "prior", "train", ae_steps=40, ae_batch_size=32, ae_lr=3e-3, steps=1, batch_size=8, warmup_steps=1)
    train_prior(prior, images, config, torch.device("cpu"), progress=False)
    assert prior.latent_scale.item() != 1.0
    assert error() < 0.7 * before


def test_quality_report_tells_constant_images_from_real_ones():
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 3))
    real, same, heldout = blobs(300, seed=4), blobs(300, seed=5), blobs(300, seed=6)
    fast = {"folds": 3, "steps": 60}
    alike = quality_report(same, heldout, classifier, two_sample={**fast, "seed": 0})
    assert alike["n_samples"] == alike["n_real"] == 300
    assert 1 / 3 <= alike["mean_max_probability"] <= 1
    assert 0.35 <= alike["two_sample_accuracy"] <= 0.65
    constant = quality_report(torch.full_like(real, 0.3), heldout, classifier, two_sample={**fast, "seed": 0})
    assert constant["two_sample_accuracy"] >= 0.95


def test_quality_report_measures_how_far_the_class_shares_are_from_the_data():
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 16, 3))
    with torch.no_grad():
        classifier[1].weight.zero_()
        classifier[1].bias.copy_(torch.tensor([5.0, 0.0, 0.0]))  # every sample is class 0
    labels = np.repeat([0, 1, 2], 100)  # the data: a third each
    report = quality_report(blobs(30, seed=7), blobs(30, seed=8), classifier, real_labels=labels,
                            two_sample={"folds": 2, "steps": 5, "seed": 0})
    assert report["predicted_class_fraction"] == [1.0, 0.0, 0.0]
    assert report["data_class_fraction"] == pytest.approx([1 / 3] * 3)
    assert report["class_share_distance"] == pytest.approx(2 / 3)
