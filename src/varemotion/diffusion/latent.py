"""A latent diffusion prior: a small AutoencoderKL plus a UNet denoiser on its scaled latents."""

from __future__ import annotations

import torch
from diffusers import AutoencoderKL

from varemotion.diffusion.pixel import PIXEL_DEFAULTS, UNetPrior, build_scheduler, build_unet

#: The denoiser on the latents is the pixel prior's UNet; the autoencoder adds its own settings.
LATENT_DEFAULTS = {
    **PIXEL_DEFAULTS,
    # autoencoder: two downsamplings, 48×48×1 → 12×12×4
    "ae_block_out_channels": [16, 32, 32],
    "ae_layers_per_block": 1,
    "latent_channels": 4,
}


def build_autoencoder(channels: int, size: int, settings: dict) -> AutoencoderKL:
    """A small AutoencoderKL without mid-block attention (cheap on a CPU)."""
    widths = tuple(settings["ae_block_out_channels"])
    return AutoencoderKL(
        in_channels=channels,
        out_channels=channels,
        down_block_types=("DownEncoderBlock2D",) * len(widths),
        up_block_types=("UpDecoderBlock2D",) * len(widths),
        block_out_channels=widths,
        layers_per_block=settings["ae_layers_per_block"],
        latent_channels=settings["latent_channels"],
        norm_num_groups=settings["norm_num_groups"],
        sample_size=size,
        mid_block_add_attention=False,
    )


class LatentPrior(UNetPrior):
    """Diffusion on VAE latents scaled to unit variance; `decode` runs the VAE decoder."""

    kind = "latent"

    def __init__(self, image_shape: tuple[int, int, int], **settings):
        super().__init__()
        self.settings = {**LATENT_DEFAULTS, **settings}
        self.image_shape = tuple(image_shape)
        channels, height, width = self.image_shape
        factor = 2 ** (len(self.settings["ae_block_out_channels"]) - 1)
        if height != width or height % factor:
            raise ValueError(f"latent prior needs square images with a side divisible by {factor}")
        self.autoencoder = build_autoencoder(channels, height, self.settings)
        latent_size = height // factor
        self.sample_shape = (self.settings["latent_channels"], latent_size, latent_size)
        self.denoiser = build_unet(self.settings["latent_channels"], latent_size, self.settings)
        self.scheduler = build_scheduler(self.settings, clip_sample=False)
        # Set from the data after the autoencoder is trained; saved with the weights.
        self.register_buffer("latent_scale", torch.ones(()))

    def encode_distribution(self, images: torch.Tensor):
        """The VAE's posterior for images in [0, 1] (unscaled latents)."""
        return self.autoencoder.encode(images * 2 - 1).latent_dist

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] → scaled latents (the posterior mean), the diffusion space."""
        return self.encode_distribution(images).mean * self.latent_scale

    def decode(self, x0: torch.Tensor) -> torch.Tensor:
        images = self.autoencoder.decode(x0 / self.latent_scale).sample
        return ((images + 1) / 2).clamp(0, 1)
