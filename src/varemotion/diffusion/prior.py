"""The interface every image prior offers to the guided sampler."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class Prior(Protocol):
    """An unconditional diffusion prior over images, seen by the sampler through four members.

    - `scheduler`: a diffusers scheduler (DDPMScheduler or DDIMScheduler) whose
      `set_timesteps`, `step` (returning `prev_sample` and `pred_original_sample`) and
      `add_noise` drive the sampling loop, and whose `alphas_cumprod`/`betas` give σ_t and β_t;
    - `sample_shape`: the shape (C, H, W) of one sample x_t in the space the diffusion runs in
      (pixels for a pixel prior, latents for a latent prior);
    - `denoise(x_t, t)`: the model output the scheduler expects (ε-prediction), differentiable
      with respect to x_t;
    - `decode(x0)`: images in [0, 1], shape (N, C_img, H_img, W_img), differentiable with
      respect to x0 (the identity, clamped, for a pixel prior; the decoder for a latent prior).
    """

    scheduler: object
    sample_shape: tuple[int, int, int]

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor: ...

    def decode(self, x0: torch.Tensor) -> torch.Tensor: ...
