"""The GPU paths: bf16 mixed precision in training, and CUDA training and sampling (where a GPU is).

On a machine without CUDA the mixed-precision code is exercised with CPU autocast, and the CUDA
tests are skipped.
"""

from __future__ import annotations

import contextlib

import pytest
import torch

from helpers import TINY_TRAIN, blobs, bright_dark_data, from_schema, tiny_classifier, tiny_prior
from varemotion.device import mixed_precision, select_device
from varemotion.diffusion.training import PriorTrainConfig, train_prior
from varemotion.models.training import TrainConfig, train_classifier
from varemotion.sampling.pairs import sample_pairs

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def cpu_bf16(device: torch.device) -> contextlib.AbstractContextManager:
    return torch.autocast(device_type="cpu", dtype=torch.bfloat16)


def test_mixed_precision_is_off_on_the_cpu_so_cpu_runs_stay_exact():
    a, b = torch.randn(8, 8), torch.randn(8, 8)
    with mixed_precision(torch.device("cpu")):
        assert (a @ b).dtype == torch.float32
    assert select_device(0) == torch.device("cpu")


@pytest.mark.parametrize(("assigned", "level"), [("", "INFO"), ("0", "WARNING")])
def test_a_granted_gpu_missing_warns_only_when_the_scheduler_assigned_one(assigned, level, monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", assigned)
    with caplog.at_level("INFO", logger="varemotion.device"):
        assert select_device(1) == torch.device("cpu")
    cpu_notes = [record for record in caplog.records if "running on the CPU" in record.getMessage()]
    assert [record.levelname for record in cpu_notes] == [level]


@pytest.mark.parametrize("kind", ["pixel", "latent"])
def test_prior_training_runs_under_bf16_autocast_with_float32_weights(kind, monkeypatch):
    from varemotion.diffusion import training

    monkeypatch.setattr(training, "mixed_precision", cpu_bf16)
    prior = tiny_prior(kind)
    before = {name: p.detach().clone() for name, p in prior.named_parameters()}
    history = train_prior(prior, blobs(24, seed=0), from_schema(PriorTrainConfig, "prior", "train", **TINY_TRAIN), torch.device("cpu"), progress=False)
    assert all(torch.isfinite(torch.tensor(row["loss"])) for row in history)
    assert all(p.dtype == torch.float32 for p in prior.parameters())
    assert any(not torch.equal(before[name], p) for name, p in prior.named_parameters())


def test_classifier_training_runs_under_bf16_autocast_and_still_learns(monkeypatch):
    from varemotion.models import training

    monkeypatch.setattr(training, "mixed_precision", cpu_bf16)
    classifier, data = tiny_classifier(), bright_dark_data()
    config = from_schema(TrainConfig, "train", epochs=6, batch_size=32, lr=5e-3, augment=False, warmup_epochs=0)
    history = train_classifier(classifier, data, config, torch.device("cpu"), progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    assert all(p.dtype == torch.float32 for p in classifier.parameters())


@CUDA
def test_prior_and_classifier_train_on_cuda_and_come_back_as_float32():
    cuda = select_device(1)
    prior = tiny_prior("latent")
    train_prior(prior, blobs(24, seed=0), from_schema(PriorTrainConfig, "prior", "train", **TINY_TRAIN), cuda, progress=False)
    assert all(p.device.type == "cuda" and p.dtype == torch.float32 for p in prior.parameters())
    classifier, data = tiny_classifier(), bright_dark_data()
    history = train_classifier(classifier, data, from_schema(TrainConfig, "train", epochs=3, batch_size=32, augment=False), cuda, progress=False)
    assert history[-1]["loss"] < history[0]["loss"]


@CUDA
def test_guided_sampling_on_cuda_gives_the_cpu_format_and_nearly_the_cpu_images():
    prior, guide = tiny_prior("pixel").eval(), tiny_classifier().eval()
    options = {"num_inference_steps": 4, "time_travel": 1, "scheduler": "ddim"}
    on_cpu = sample_pairs(prior, guide, pairs=[(0, 1), (1, 0)], seed=3, device="cpu", **options)
    on_gpu = sample_pairs(prior.to("cuda"), guide.to("cuda"), pairs=[(0, 1), (1, 0)], seed=3, device="cuda", **options)
    assert on_gpu.images.device.type == "cpu" and on_gpu.images.shape == on_cpu.images.shape
    assert on_gpu.images.dtype == on_cpu.images.dtype
    assert torch.allclose(on_gpu.images, on_cpu.images, atol=1e-2)
