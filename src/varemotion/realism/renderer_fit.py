"""Analysis by synthesis: fit the face renderer's action units and identity to images.

Every image gets the AU activations and identity parameters (pose included) whose noise-free
rendering is closest to it in mean squared error. Parameters are kept inside their ranges by a
sigmoid and optimised with Adam from a neutral, centred face. The residual, the root mean square
of image − rendering, says how far an image lies from the renderer's faces: a rendered test face
leaves only its pixel noise (about the renderer's `noise_std`), while a pattern that is not a
face leaves much more, whatever a classifier makes of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from varemotion.faces.action_units import AU_NAMES
from varemotion.faces.identity import IDENTITY_SPEC, neutral_identity
from varemotion.faces.render import render

#: Starting AU activation of the fit (sigmoid of the starting logit): nearly neutral.
_START_AU_LOGIT = -2.0


@dataclass(frozen=True)
class RendererFit:
    """The fitted AUs (N, n_au), identities (N, n_identity), residual RMS (N,) and renderings (N, 1, H, W)."""

    au: np.ndarray
    identity: np.ndarray
    residual: np.ndarray
    renderings: np.ndarray


def _bounds() -> tuple[torch.Tensor, torch.Tensor]:
    low = torch.tensor([spec[1] for spec in IDENTITY_SPEC])
    high = torch.tensor([spec[2] for spec in IDENTITY_SPEC])
    return low, high


def _fit_batch(images: torch.Tensor, steps: int, lr: float) -> tuple[torch.Tensor, ...]:
    low, high = _bounds()
    n, size = images.shape[0], images.shape[-1]
    start = ((neutral_identity(n) - low) / (high - low)).clamp(0.02, 0.98)
    z_identity = torch.logit(start).requires_grad_(True)
    z_au = torch.full((n, len(AU_NAMES)), _START_AU_LOGIT, requires_grad=True)
    optimizer = torch.optim.Adam([z_identity, z_au], lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps, eta_min=lr * 0.1)
    for _ in range(steps):
        identity = low + (high - low) * torch.sigmoid(z_identity)
        rendering = render(torch.sigmoid(z_au), identity, size=size, noise_std=0.0)
        loss = (rendering - images).pow(2).mean(dim=(1, 2, 3)).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        au, identity = torch.sigmoid(z_au), low + (high - low) * torch.sigmoid(z_identity)
        rendering = render(au, identity, size=size, noise_std=0.0)
        residual = (rendering - images).pow(2).mean(dim=(1, 2, 3)).sqrt()
    return au, identity, residual, rendering


def fit_renderer(images: torch.Tensor, steps: int = 150, lr: float = 0.08, batch_size: int = 256) -> RendererFit:
    """Fit AUs and identity to grey square images (N, 1, H, W) in [0, 1]; see the module docstring.

    Images are fitted in batches of `batch_size`, each image on its own (the loss is a sum of
    per-image terms), so the result does not depend on the batching.
    """
    images = torch.as_tensor(images, dtype=torch.float32)
    if images.ndim != 4 or images.shape[1] != 1 or images.shape[-1] != images.shape[-2]:
        raise ValueError(f"the renderer fit needs grey square images (N, 1, H, W), got {tuple(images.shape)}")
    parts = [_fit_batch(batch, steps, lr) for batch in images.split(batch_size)]
    au, identity, residual, renderings = (torch.cat([p[k] for p in parts]).numpy() for k in range(4))
    return RendererFit(au=au, identity=identity, residual=residual, renderings=renderings)
