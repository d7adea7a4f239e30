"""Perceptual boundary sampling: a diffusion prior guided by classifier objectives.

`guided_sample` is perceptual boundary sampling written out as one loop, in the manner of a
diffusers pipeline's `__call__`; `varemotion.sampling.pairs` runs it over every ordered pair of
emotions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from diffusers import DDIMScheduler, DDPMScheduler
from diffusers.utils.torch_utils import randn_tensor
from torch import nn
from tqdm.auto import tqdm

from varemotion.diffusion.prior import Prior
from varemotion.sampling.objectives import Objective

RENOISE_MODES = ("sqrt_beta", "beta")
SCHEDULERS = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler}

Generators = torch.Generator | list[torch.Generator]


@dataclass
class GuidedSamples:
    """What a guided run returns.

    `probabilities[k]` holds softmax outputs (N, K) of `guides[k]` on the final images;
    `settings` records everything that shaped the run, for the outputs' metadata.
    """

    images: torch.Tensor
    latents: torch.Tensor
    guides: list[nn.Module]
    probabilities: list[torch.Tensor]
    settings: dict


def guided_sample(
    prior: Prior,
    objectives: list[Objective],
    batch_size: int,
    *,
    num_inference_steps: int = 50,
    guidance_scale: float = 0.1,
    time_travel: int = 5,
    renoise: str = "sqrt_beta",
    scheduler: str = "ddpm",
    guidance_stop: float = 1.0,
    guidance_goal: float = 1.0,
    generator: Generators | None = None,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> GuidedSamples:
    """Sample `batch_size` images from `prior`, each step pulled down the sum of `objectives`.

    At each timestep t, repeated `time_travel` times (not at the last step):
    ε = denoise(x_t, t); x̂0 = (x_t − σ_t ε)/√ᾱ_t; loss = Σ objectives(decode(x̂0));
    g = ∂loss/∂x_t; x_{t−1} = scheduler.step(ε, t, x_t) − γ·√d·σ_t·g/‖g‖; then, unless this was
    the last repeat, x_t is re-noised from x_{t−1} (see `renoise_to`).
    `scheduler` is "ddpm" (ancestral) or "ddim" (deterministic, η = 0), both built from the
    prior's training schedule. `generator` is one generator, or one per sample so that each image
    depends only on its own seed (independent of batching). `guidance_scale=0` gives unguided
    samples from the same noise. `guidance_stop` < 1 guides only the steps k with
    k / num_inference_steps < guidance_stop; the last ones run the prior alone.
    `guidance_goal` < 1 pauses a sample's guidance at every step where its x̂0 already reaches
    the goal of each objective (see `Objective.evaluate`): the normalised step would otherwise
    keep its full length after the guides agree, and push the image past what the goal needs.
    """
    _check_options(objectives, batch_size, time_travel, renoise, scheduler)
    generator = torch.Generator().manual_seed(0) if generator is None else generator
    scheduler_name, scheduler = scheduler, SCHEDULERS[scheduler].from_config(prior.scheduler.config)
    scheduler.set_timesteps(num_inference_steps)
    guides = _unique_guides(objectives)
    for guide in guides:
        guide.eval()  # batch norm in training mode would mix samples and update its statistics
    guided = guidance_scale != 0 and len(objectives) > 0

    shape = (batch_size, *prior.sample_shape)
    x = randn_tensor(shape, generator=generator, device=torch.device(device)) * scheduler.init_noise_sigma
    timesteps = scheduler.timesteps
    for k, t in enumerate(tqdm(timesteps, disable=not progress, desc="guided sampling")):
        alpha_bar = alpha_bar_at(scheduler, int(t))
        repeats = time_travel if k < len(timesteps) - 1 else 1
        guided_step = guided and k / len(timesteps) < guidance_stop
        for r in range(repeats):
            if guided_step:
                eps, grad = guidance_gradient(prior, objectives, x, t, alpha_bar, guidance_goal)
            else:
                with torch.no_grad():
                    eps, grad = prior.denoise(x, t.to(x.device)), None
            x_prev = scheduler.step(eps, t, x, generator=generator).prev_sample.detach()
            if grad is not None:
                x_prev = x_prev - guidance_scale * normalise_guidance(grad, math.sqrt(1 - alpha_bar))
            if r < repeats - 1:
                x = renoise_to(scheduler, x_prev, int(t), renoise, generator)
        x = x_prev

    with torch.no_grad():
        images = prior.decode(x).clamp(0, 1)
        probabilities = [g(images).softmax(-1) for g in guides]
    kinds = [objective.kind for objective in objectives]
    settings = {"scheduler": scheduler_name, "num_inference_steps": num_inference_steps}
    settings |= {"guidance_scale": guidance_scale, "time_travel": time_travel, "renoise": renoise,
                 "guidance_stop": guidance_stop, "guidance_goal": guidance_goal}
    return GuidedSamples(images, x, guides, probabilities, settings | {"objectives": kinds})


def _check_options(objectives, batch_size: int, time_travel: int, renoise: str, scheduler: str) -> None:
    if scheduler not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {sorted(SCHEDULERS)}, got {scheduler!r}")
    if renoise not in RENOISE_MODES:
        raise ValueError(f"renoise must be one of {RENOISE_MODES}, got {renoise!r}")
    if time_travel < 1:
        raise ValueError(f"time_travel must be at least 1, got {time_travel}")
    for objective in objectives:
        if len(objective.i) not in (1, batch_size):
            raise ValueError(f"an objective has {len(objective.i)} targets for a batch of {batch_size}")


def guidance_gradient(
    prior: Prior, objectives: list[Objective], x_t: torch.Tensor, t: torch.Tensor, alpha_bar: float,
    goal: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """ε at (x_t, t), and the gradient of the summed objectives on decode(x̂0(x_t)) w.r.t. x_t.

    The gradient is zero for samples whose x̂0 reaches `goal` in every objective.
    x̂0 uses the ε-prediction formula rather than the scheduler's `pred_original_sample`, which
    DDPM/DDIM clip to [−1, 1] by default and so would zero the gradient of saturated pixels.
    """
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        eps = prior.denoise(x, t.to(x.device))
        x0 = (x - math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha_bar)
        images = prior.decode(x0)
        losses, reached = zip(*(objective.evaluate(images, goal) for objective in objectives))
        (grad,) = torch.autograd.grad(sum(losses).sum(), x)
    paused = torch.stack(reached).all(dim=0)
    grad = torch.where(paused.view(-1, *([1] * (grad.ndim - 1))), torch.zeros_like(grad), grad)
    return eps.detach(), grad


def normalise_guidance(grad: torch.Tensor, sigma: float) -> torch.Tensor:
    """Rescale each sample's gradient to norm √d·σ_t (d = elements per sample).

    A zero gradient (e.g. every pixel clamped by the decoder) stays zero instead of becoming NaN.
    """
    flat = grad.flatten(1)
    norm = flat.norm(dim=1)
    scale = torch.where(norm > 0, math.sqrt(flat.shape[1]) * sigma / norm, torch.zeros_like(norm))
    return grad * scale.view(-1, *([1] * (grad.ndim - 1)))


def renoise_to(scheduler, x_prev: torch.Tensor, t: int, mode: str, generator: Generators) -> torch.Tensor:
    """Time travel: draw x_t ~ q(x_t | x_prev), from the level of t's previous timestep back to t.

    Inference timesteps skip training steps (DDPM with 50 of 1000 steps, DDIM), so the one-step
    α_t is the ratio ᾱ_t / ᾱ_prev over the whole skipped stretch and β_t = 1 − α_t; with
    consecutive timesteps these are the scheduler's own α_t, β_t. The noise std is √β_t
    (`mode="sqrt_beta"`, correct) or β_t (`mode="beta"`, the predecessor study's code).
    """
    alpha = alpha_bar_at(scheduler, t) / alpha_bar_at(scheduler, previous_timestep(scheduler, t))
    beta = 1.0 - alpha
    std = math.sqrt(beta) if mode == "sqrt_beta" else beta
    noise = randn_tensor(x_prev.shape, generator=generator, device=x_prev.device, dtype=x_prev.dtype)
    return math.sqrt(alpha) * x_prev + std * noise


def previous_timestep(scheduler, t: int) -> int:
    """The timestep that `scheduler.step` moves t to (negative after the last one)."""
    if hasattr(scheduler, "previous_timestep"):
        return int(scheduler.previous_timestep(t))
    return t - scheduler.config.num_train_timesteps // scheduler.num_inference_steps


def alpha_bar_at(scheduler, t: int) -> float:
    """ᾱ_t, with the scheduler's own convention for the level after the last step."""
    if t >= 0:
        return float(scheduler.alphas_cumprod[t])
    return float(getattr(scheduler, "final_alpha_cumprod", 1.0))


def _unique_guides(objectives: list[Objective]) -> list[nn.Module]:
    guides: list[nn.Module] = []
    for objective in objectives:
        guides += [g for g in objective.guides if not any(g is h for h in guides)]
    return guides
