"""Light, batched augmentation of face images: small affine jitter, flips, tone changes."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment_batch(
    images: torch.Tensor,
    generator: torch.Generator,
    max_shift: float = 0.08,
    max_rotation_deg: float = 10.0,
    max_scale: float = 0.08,
    max_tone: float = 0.15,
) -> torch.Tensor:
    """Augment images (N, C, H, W) in [0, 1] with per-image random parameters.

    Each image gets its own shift (fraction of the side), rotation, scale, horizontal flip,
    brightness and contrast, all drawn from `generator` so that a seeded run repeats exactly.
    """
    n = images.shape[0]

    def uniform(scale: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * scale

    angle = uniform(math.radians(max_rotation_deg))
    scale = 1 + uniform(max_scale)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, uniform(max_shift) * 2], dim=1),
            torch.stack([sin * flip, cos, uniform(max_shift) * 2], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # Border padding repeats the edge (background) instead of inventing black corners.
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)
    brightness = uniform(max_tone).view(n, 1, 1, 1)
    contrast = (1 + uniform(max_tone)).view(n, 1, 1, 1)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    return ((out - mean) * contrast + mean + brightness).clamp(0, 1)
