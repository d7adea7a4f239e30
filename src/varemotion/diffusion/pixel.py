"""A diffusion prior that runs directly on the pixels (ε-prediction, images scaled to [-1, 1])."""

from __future__ import annotations

import torch
from diffusers import DDPMScheduler, UNet2DModel
from torch import nn

PIXEL_DEFAULTS = {
    "block_out_channels": [32, 64, 64],
    "layers_per_block": 1,
    "attention": False,
    "norm_num_groups": 8,
    "beta_schedule": "squaredcos_cap_v2",
    "num_train_timesteps": 1000,
}


def build_unet(channels: int, size: int, settings: dict) -> UNet2DModel:
    """A diffusers UNet2DModel; attention (if any) only at the lowest resolution."""
    widths = tuple(settings["block_out_channels"])
    attention = settings.get("attention", False)
    down = ["DownBlock2D"] * len(widths)
    up = ["UpBlock2D"] * len(widths)
    if attention:
        down[-1], up[0] = "AttnDownBlock2D", "AttnUpBlock2D"
    return UNet2DModel(
        sample_size=size,
        in_channels=channels,
        out_channels=channels,
        block_out_channels=widths,
        layers_per_block=settings["layers_per_block"],
        down_block_types=tuple(down),
        up_block_types=tuple(up),
        norm_num_groups=settings["norm_num_groups"],
        attention_head_dim=settings.get("attention_head_dim", 32),
        add_attention=attention,
    )


def build_scheduler(settings: dict, clip_sample: bool) -> DDPMScheduler:
    """The DDPM scheduler shared by training and sampling (ε-prediction)."""
    return DDPMScheduler(
        num_train_timesteps=settings["num_train_timesteps"],
        beta_schedule=settings["beta_schedule"],
        prediction_type="epsilon",
        clip_sample=clip_sample,
    )


class UNetPrior(nn.Module):
    """What every prior of the package shares: a diffusers UNet `denoiser` predicting ε."""

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t, device=x_t.device).expand(x_t.shape[0])
        return self.denoiser(x_t, t).sample


class PixelPrior(UNetPrior):
    """UNet denoiser on images (C, H, W) in [-1, 1]; `decode` maps x0 back to [0, 1]."""

    kind = "pixel"

    def __init__(self, image_shape: tuple[int, int, int], **settings):
        super().__init__()
        self.settings = {**PIXEL_DEFAULTS, **settings}
        self.image_shape = tuple(image_shape)
        channels, height, width = self.image_shape
        if height != width:
            raise ValueError(f"pixel prior needs square images, got {height}x{width}")
        self.denoiser = build_unet(channels, height, self.settings)
        self.scheduler = build_scheduler(self.settings, clip_sample=True)
        self.sample_shape = self.image_shape

    @property
    def autoencoder(self) -> None:
        return None

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] → the diffusion space ([-1, 1])."""
        return images * 2 - 1

    def decode(self, x0: torch.Tensor) -> torch.Tensor:
        return ((x0 + 1) / 2).clamp(0, 1)
