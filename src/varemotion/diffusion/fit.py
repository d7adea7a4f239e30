"""Train a prior on a data set's training split, and report the quality of its samples."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from varemotion.data import DataError, load_split
from varemotion.device import select_device
from varemotion.diffusion import build_prior, load_prior, sample, save_prior
from varemotion.diffusion.quality import quality_report
from varemotion.diffusion.training import PriorTrainConfig, train_prior
from varemotion.models import load_classifier

log = logging.getLogger(__name__)


def fit_prior(
    train_path: str | Path,
    kind: str,
    settings: dict,
    train: dict,
    out_dir: str | Path,
    history_path: str | Path,
    checkpoint_path: str | Path | None = None,
    gpus: int = 0,
    progress: bool = True,
) -> None:
    """Train a `kind` prior on the split at `train_path`; write its EMA weights, config and history.

    `train` holds `PriorTrainConfig` fields; its `seed` also seeds the initial weights.
    """
    device = select_device(gpus)
    split = load_split(train_path)
    images = split.images_float()
    config = PriorTrainConfig(**train)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        prior = build_prior(kind, tuple(images.shape[1:]), **settings)
    if kind == "renderer":
        images = prior.encode_parameters(*_renderer_parameters(split, train_path))
    count = lambda module: 0 if module is None else sum(p.numel() for p in module.parameters())
    log.info("%s prior: denoiser %d parameters, autoencoder %d", kind, count(prior.denoiser), count(prior.autoencoder))
    started = time.perf_counter()
    history = train_prior(prior, images, config, device, checkpoint_path=checkpoint_path, progress=progress)
    log.info("trained in %.0f s: %s", time.perf_counter() - started, json.dumps(asdict(config)))
    save_prior(prior.cpu(), out_dir)
    pd.DataFrame(history, columns=["stage", "step", "loss"]).to_csv(history_path, index=False)
    if checkpoint_path:
        Path(checkpoint_path).unlink(missing_ok=True)  # a forced rerun should train afresh


def _renderer_parameters(split, path) -> tuple[torch.Tensor, torch.Tensor]:
    missing = [name for name in ("au", "identity") if name not in split.extras]
    if missing:
        raise DataError(path, f"has no arrays {missing}: the renderer prior learns from the synthetic faces' "
                              "action units and identities", expected="a split written by the synthetic data set")
    return torch.as_tensor(split.extras["au"]), torch.as_tensor(split.extras["identity"])


def prior_quality(
    prior_dir: str | Path,
    heldout_path: str | Path,
    classifier_path: str | Path,
    n_samples: int,
    num_inference_steps: int = 50,
    seed: int = 0,
    gpus: int = 0,
    two_sample: dict | None = None,
) -> tuple[dict, torch.Tensor]:
    """Draw `n_samples` unguided samples; return the quality report and the samples (8-bit, as saved).

    `two_sample` holds the options of the report's two-sample test against held-out test faces.
    """
    device = select_device(gpus)
    prior = load_prior(prior_dir).to(device)
    generator = torch.Generator(device).manual_seed(seed)
    started = time.perf_counter()
    samples = sample(prior, n_samples, generator, num_inference_steps=num_inference_steps)
    seconds = time.perf_counter() - started
    samples = (samples.clamp(0, 1) * 255).round() / 255
    heldout = load_split(heldout_path)
    report = quality_report(samples, heldout.images_float()[:n_samples], load_classifier(classifier_path),
                            real_labels=heldout.labels, seed=seed, device=device, two_sample=two_sample)
    report |= {"classifier": Path(classifier_path).parent.name, "num_inference_steps": num_inference_steps,
               "sampling_images_per_second": round(n_samples / seconds, 2)}
    log.info("quality: %s", json.dumps(report))
    return report, samples
