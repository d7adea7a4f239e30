"""A diffusion prior over the face renderer's parameters, decoded by the renderer itself.

For synthetic faces the generative model is known: every face is `render(au, identity)`. This
prior learns the distribution of those parameters (14 action units and 20 identity parameters,
pose included) with a small denoiser, and its `decode` draws the face. Every sample is therefore
a face of the renderer, sharp at any step, and guidance moves action units and identity rather
than pixels, so a boundary face differs from its start in how the face is made, never by a
pattern laid over it. It needs the parameters of the training faces (`au`, `identity` in the
synthetic splits) and fits no other data source.

Each parameter is mapped linearly from its range to [-1, 1] (action units from [0, 1]); a
sample is (N, P, 1, 1) so that it keeps the (C, H, W) shape the sampler expects.
"""

from __future__ import annotations

import torch
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from torch import nn

from varemotion.diffusion.pixel import build_scheduler
from varemotion.faces.action_units import AU_NAMES
from varemotion.faces.identity import IDENTITY_SPEC
from varemotion.faces.render import render

RENDERER_DEFAULTS = {
    "width": 256,
    "depth": 4,
    "beta_schedule": "squaredcos_cap_v2",
    "num_train_timesteps": 1000,
}
N_PARAMETERS = len(AU_NAMES) + len(IDENTITY_SPEC)


class ParameterDenoiser(nn.Module):
    """ε-prediction for parameter vectors: an MLP of residual blocks, each told the timestep."""

    def __init__(self, n_parameters: int, width: int, depth: int):
        super().__init__()
        self.time_projection = Timesteps(128, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(128, width)
        self.inp = nn.Linear(n_parameters, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.SiLU(), nn.Linear(2 * width, width))
            for _ in range(depth)
        )
        self.time_to_block = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, n_parameters))
        nn.init.zeros_(self.out[1].weight)
        nn.init.zeros_(self.out[1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        embedding = self.time_embedding(self.time_projection(t).to(x.dtype))
        h = self.inp(x)
        for block, time_to_block in zip(self.blocks, self.time_to_block):
            h = h + block(h + time_to_block(embedding))
        return self.out(h)


class RendererPrior(nn.Module):
    """Diffusion on renderer parameters scaled to [-1, 1]; `decode` renders them (see the module docstring)."""

    kind = "renderer"
    autoencoder = None

    def __init__(self, image_shape: tuple[int, int, int], **settings):
        super().__init__()
        self.settings = {**RENDERER_DEFAULTS, **settings}
        self.image_shape = tuple(image_shape)
        channels, height, width = self.image_shape
        if channels != 1 or height != width:
            raise ValueError(f"the renderer prior draws grey square faces, not images of shape {self.image_shape}")
        self.sample_shape = (N_PARAMETERS, 1, 1)
        self.denoiser = ParameterDenoiser(N_PARAMETERS, self.settings["width"], self.settings["depth"])
        self.scheduler = build_scheduler(self.settings, clip_sample=False)
        low = torch.tensor([0.0] * len(AU_NAMES) + [spec[1] for spec in IDENTITY_SPEC])
        high = torch.tensor([1.0] * len(AU_NAMES) + [spec[2] for spec in IDENTITY_SPEC])
        self.register_buffer("low", low, persistent=False)
        self.register_buffer("high", high, persistent=False)

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t, device=x_t.device).expand(x_t.shape[0])
        return self.denoiser(x_t.flatten(1), t).view_as(x_t)

    def encode_parameters(self, au: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        """AU activations (N, 14) and identities (N, 20) → diffusion-space samples (N, P, 1, 1)."""
        values = torch.cat([torch.as_tensor(au), torch.as_tensor(identity)], dim=1).float()
        scaled = 2 * (values - self.low) / (self.high - self.low) - 1
        return scaled.view(-1, N_PARAMETERS, 1, 1)

    def parameters_of(self, x0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The AU activations and identities of diffusion-space samples (unclamped)."""
        values = self.low + (self.high - self.low) * (x0.flatten(1) + 1) / 2
        return values[:, : len(AU_NAMES)], values[:, len(AU_NAMES) :]

    def decode(self, x0: torch.Tensor) -> torch.Tensor:
        """Noise-free renderings (N, 1, H, W) in [0, 1]; the renderer clamps every parameter to its range."""
        au, identity = self.parameters_of(x0)
        return render(au, identity, size=self.image_shape[-1], noise_std=0.0)
