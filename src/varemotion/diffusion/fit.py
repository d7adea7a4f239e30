"""Train a prior on a data set's training split, and report the quality of its samples."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from varemotion.data import load_split
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
    images = load_split(train_path).images_float()
    config = PriorTrainConfig(**train)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        prior = build_prior(kind, tuple(images.shape[1:]), **settings)
    count = lambda module: 0 if module is None else sum(p.numel() for p in module.parameters())
    log.info("%s prior: denoiser %d parameters, autoencoder %d", kind, count(prior.denoiser), count(prior.autoencoder))
    started = time.perf_counter()
    history = train_prior(prior, images, config, device, checkpoint_path=checkpoint_path, progress=progress)
    log.info("trained in %.0f s: %s", time.perf_counter() - started, json.dumps(asdict(config)))
    save_prior(prior.cpu(), out_dir)
    pd.DataFrame(history, columns=["stage", "step", "loss"]).to_csv(history_path, index=False)
    if checkpoint_path:
        Path(checkpoint_path).unlink(missing_ok=True)  # a forced rerun should train afresh


def prior_quality(
    prior_dir: str | Path,
    heldout_path: str | Path,
    classifier_path: str | Path,
    n_samples: int,
    num_inference_steps: int = 50,
    seed: int = 0,
    gpus: int = 0,
) -> tuple[dict, torch.Tensor]:
    """Draw `n_samples` unguided samples; return the quality report and the samples."""
    device = select_device(gpus)
    prior = load_prior(prior_dir).to(device)
    generator = torch.Generator(device).manual_seed(seed)
    started = time.perf_counter()
    samples = sample(prior, n_samples, generator, num_inference_steps=num_inference_steps)
    seconds = time.perf_counter() - started
    heldout = load_split(heldout_path).images_float()
    report = quality_report(samples, heldout[:n_samples], load_classifier(classifier_path), seed=seed, device=device)
    report |= {"classifier": Path(classifier_path).parent.name, "num_inference_steps": num_inference_steps,
               "sampling_images_per_second": round(n_samples / seconds, 2)}
    log.info("quality: %s", json.dumps(report))
    return report, samples
