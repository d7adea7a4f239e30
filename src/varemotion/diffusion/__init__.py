"""Unconditional diffusion priors over face images (diffusers): building, saving and loading them."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from varemotion.atomic import write_atomically, write_json
from varemotion.checkpoints import load_state_dict
from varemotion.diffusion.latent import LatentPrior
from varemotion.diffusion.pixel import PixelPrior
from varemotion.diffusion.prior import Prior
from varemotion.diffusion.renderer import RendererPrior

CONFIG_FILE = "config.json"
PRIOR_KINDS = {"pixel": PixelPrior, "latent": LatentPrior, "renderer": RendererPrior}
AnyPrior = PixelPrior | LatentPrior | RendererPrior


def build_prior(kind: str, image_shape: tuple[int, int, int], **settings) -> AnyPrior:
    """A fresh prior of `kind` ("pixel", "latent" or "renderer") for images of shape (C, H, W)."""
    if kind not in PRIOR_KINDS:
        raise ValueError(f"unknown prior kind {kind!r}; expected one of {sorted(PRIOR_KINDS)}")
    return PRIOR_KINDS[kind](tuple(image_shape), **settings)


def save_prior(prior: AnyPrior, weights: str | Path, config: str | Path) -> None:
    """Write the state dict (the EMA weights after `train_prior`) to `weights` and the config to `config`."""
    write_atomically(weights, lambda handle: torch.save(prior.state_dict(), handle))
    write_json(config, {"kind": prior.kind, "image_shape": list(prior.image_shape), "settings": prior.settings})


def load_prior(weights: str | Path, config: str | Path | None = None) -> AnyPrior:
    """Load a prior written by `save_prior` (weights only, never pickled code), in eval mode.

    Without `config`, the `config.json` beside the weights is read, as the workflow writes it.
    """
    weights = Path(weights)
    settings = json.loads(Path(config or weights.with_name(CONFIG_FILE)).read_text())
    prior = build_prior(settings["kind"], tuple(settings["image_shape"]), **settings["settings"])
    prior.load_state_dict(load_state_dict(weights))
    return prior.eval()


__all__ = ["LatentPrior", "PixelPrior", "Prior", "RendererPrior", "build_prior", "load_prior", "save_prior"]
