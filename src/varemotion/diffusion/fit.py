"""Train a prior on a data set's training split and write it."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from varemotion.atomic import write_csv
from varemotion.data import DataError, load_split
from varemotion.device import select_device
from varemotion.diffusion import build_prior, save_prior
from varemotion.diffusion.training import PriorTrainConfig, train_prior

log = logging.getLogger(__name__)


def fit_prior(
    train_path: str | Path,
    kind: str,
    settings: dict,
    train: dict,
    outputs: dict[str, str | Path],
    checkpoint_path: str | Path | None = None,
    gpus: int = 0,
    progress: bool = True,
) -> None:
    """Train a `kind` prior on the split at `train_path`; write its EMA weights, config and history.

    `outputs` names the `weights`, `config` and `history` files; `train` holds `PriorTrainConfig`
    fields, whose `seed` also seeds the initial weights.
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
    save_prior(prior.cpu(), outputs["weights"], outputs["config"])
    table = pd.DataFrame(history, columns=["stage", "step", "loss"])
    write_csv(outputs["history"], table, float_format=None)
    if checkpoint_path:
        Path(checkpoint_path).unlink(missing_ok=True)  # a forced rerun should train afresh


def _renderer_parameters(split, path) -> tuple[torch.Tensor, torch.Tensor]:
    missing = [name for name in ("au", "identity") if name not in split.extras]
    if missing:
        raise DataError(path, f"has no arrays {missing}: the renderer prior learns from the synthetic faces' "
                              "action units and identities", expected="a split written by the synthetic data set")
    return torch.as_tensor(split.extras["au"]), torch.as_tensor(split.extras["identity"])
