"""Unconditional diffusion priors over face images (diffusers), their training and quality."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from diffusers.utils.torch_utils import randn_tensor

from varemotion.checkpoints import load_state_dict
from varemotion.diffusion.latent import LatentPrior
from varemotion.diffusion.pixel import PixelPrior
from varemotion.diffusion.prior import Prior
from varemotion.diffusion.renderer import RendererPrior

WEIGHTS_FILE = "weights.pt"
CONFIG_FILE = "config.json"
PRIOR_KINDS = {"pixel": PixelPrior, "latent": LatentPrior, "renderer": RendererPrior}
AnyPrior = PixelPrior | LatentPrior | RendererPrior


def build_prior(kind: str, image_shape: tuple[int, int, int], **settings) -> AnyPrior:
    """A fresh prior of `kind` ("pixel", "latent" or "renderer") for images of shape (C, H, W)."""
    if kind not in PRIOR_KINDS:
        raise ValueError(f"unknown prior kind {kind!r}; expected one of {sorted(PRIOR_KINDS)}")
    return PRIOR_KINDS[kind](tuple(image_shape), **settings)


def save_prior(prior: AnyPrior, directory: str | Path) -> None:
    """Write `weights.pt` (state dict; the EMA weights after `train_prior`) and `config.json`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    torch.save(prior.state_dict(), directory / WEIGHTS_FILE)
    config = {"kind": prior.kind, "image_shape": list(prior.image_shape), "settings": prior.settings}
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")


def load_prior(directory: str | Path) -> AnyPrior:
    """Load a prior written by `save_prior` (weights only, never pickled code), in eval mode."""
    directory = Path(directory)
    config = json.loads((directory / CONFIG_FILE).read_text())
    prior = build_prior(config["kind"], tuple(config["image_shape"]), **config["settings"])
    prior.load_state_dict(load_state_dict(directory / WEIGHTS_FILE))
    return prior.eval()


@torch.no_grad()
def sample(
    prior: AnyPrior,
    n: int,
    generator: torch.Generator,
    num_inference_steps: int = 50,
    batch_size: int = 256,
) -> torch.Tensor:
    """`n` unguided ancestral samples as images (n, C, H, W) in [0, 1], on the CPU."""
    device = next(prior.parameters()).device
    scheduler = prior.scheduler
    scheduler.set_timesteps(num_inference_steps)
    chunks = []
    for start in range(0, n, batch_size):
        size = min(batch_size, n - start)
        x = randn_tensor((size, *prior.sample_shape), generator=generator, device=device)
        for t in scheduler.timesteps:
            x = scheduler.step(prior.denoise(x, t.to(device)), t, x, generator=generator).prev_sample
        chunks.append(prior.decode(x).float().cpu())
    return torch.cat(chunks)


__all__ = ["LatentPrior", "PixelPrior", "Prior", "RendererPrior", "build_prior", "load_prior", "sample", "save_prior"]
