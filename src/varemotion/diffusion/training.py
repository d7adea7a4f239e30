"""Training of a diffusion prior (autoencoder first for a latent prior), resumable bitwise."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers.training_utils import EMAModel, compute_snr
from tqdm.auto import tqdm

from varemotion.checkpoints import config_fingerprint, load_checkpoint, save_checkpoint
from varemotion.device import mixed_precision
from varemotion.schedules import warmup_cosine

log = logging.getLogger(__name__)
STAGES = ("autoencoder", "denoiser")
#: The learning rate warms up from and decays to this share of its peak (see varemotion.schedules).
LR_FLOOR = 0.1


@dataclass
class PriorTrainConfig:
    """Hyper-parameters of one prior training run, counted in optimisation steps.

    The first fields are the config's ``prior.train`` section (its schema gives their defaults);
    the others are fixed choices of the training loop.
    """

    steps: int
    batch_size: int
    lr: float
    ema_decay: float
    min_snr: bool
    ae_steps: int  # the autoencoder stage (latent priors only)
    ae_batch_size: int
    kl_weight: float
    checkpoint_every: int
    seed: int
    weight_decay: float = 0.01
    warmup_steps: int = 50
    grad_clip: float = 1.0
    snr_gamma: float = 5.0
    ae_lr: float = 2e-3


def step_generator(config: PriorTrainConfig, stage: str, step: int) -> torch.Generator:
    """The generator of one step's data, noise and timesteps, seeded by (seed, stage, step)."""
    return torch.Generator().manual_seed((config.seed * 1_000_003 + STAGES.index(stage)) * 10_000_019 + step)


def denoising_loss(prior, x0: torch.Tensor, generator: torch.Generator, min_snr_gamma: float | None = None):
    """ε-prediction MSE on clean diffusion-space samples x0, optionally min-SNR-γ weighted."""
    scheduler = prior.scheduler
    steps = scheduler.config.num_train_timesteps
    noise = torch.randn(x0.shape, generator=generator).to(x0.device)
    t = torch.randint(0, steps, (x0.shape[0],), generator=generator).to(x0.device)
    x_t = scheduler.add_noise(x0, noise, t)
    error = F.mse_loss(prior.denoise(x_t, t), noise, reduction="none").mean(dim=(1, 2, 3))
    if min_snr_gamma:
        snr = compute_snr(scheduler, t).clamp(min=1e-8)
        error = error * snr.clamp(max=min_snr_gamma) / snr
    return error.mean()


def autoencoder_loss(prior, images: torch.Tensor, generator: torch.Generator, kl_weight: float):
    """L1 reconstruction (in [-1, 1]) plus a small KL to the unit Gaussian."""
    posterior = prior.encode_distribution(images)
    recon = prior.autoencoder.decode(posterior.sample(generator)).sample
    return F.l1_loss(recon, images * 2 - 1) + kl_weight * posterior.kl().mean() / posterior.mean[0].numel()


@torch.no_grad()
def encode_all(prior, images: torch.Tensor, device: torch.device, batch_size: int = 500) -> torch.Tensor:
    """Diffusion-space versions (on the CPU) of all training images."""
    return torch.cat([prior.encode(b.to(device)).cpu() for b in images.split(batch_size)])


@torch.no_grad()
def set_latent_scale(prior, images: torch.Tensor, device: torch.device) -> None:
    """Scale latents to unit standard deviation (as Stable Diffusion's scaling factor does)."""
    prior.latent_scale.fill_(1.0)
    latents = encode_all(prior, images[:2000], device)
    prior.latent_scale.fill_(1.0 / latents.std().item())


def train_prior(
    prior,
    images: torch.Tensor,
    config: PriorTrainConfig,
    device: torch.device,
    checkpoint_path: str | Path | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train `prior` in place on images (N, C, H, W) in [0, 1]; returns the per-step losses.

    For a renderer prior, `images` are the training faces' diffusion-space parameters instead
    (`RendererPrior.encode_parameters`), since an image does not give its parameters back.
    A latent prior trains its autoencoder first (`ae_steps`), then the denoiser (`steps`). The
    denoiser ends holding its EMA weights, which are what `save_prior` writes for sampling.
    Every step draws its batch, noise and timesteps from a generator seeded by (seed, stage,
    step), so a run resumed from a checkpoint ends bitwise equal to an uninterrupted one (CPU).
    """
    prior.to(device).train()
    fingerprint = config_fingerprint(
        {"train": asdict(config), "kind": prior.kind, "shape": list(prior.image_shape),
         "settings": prior.settings, "n": len(images)}
    )
    stages = [s for s in STAGES if s == "denoiser" or (prior.autoencoder is not None and config.ae_steps > 0)]
    state = load_checkpoint(checkpoint_path, fingerprint) if checkpoint_path else None
    history = []
    if state is not None:
        prior.load_state_dict(state["model"])
        history = state["history"]
        stages = stages[stages.index(state["stage"]):]
        log.info("resumed from %s at %s step %d", checkpoint_path, state["stage"], state["step"])

    def checkpoint(stage: str, step: int, optimizer=None, ema=None) -> None:
        if checkpoint_path:
            save_checkpoint(checkpoint_path, {
                "fingerprint": fingerprint, "stage": stage, "step": step, "model": prior.state_dict(),
                "optimizer": optimizer.state_dict() if optimizer else {},
                "ema": ema.state_dict() if ema else {}, "history": history,
            })

    for stage in stages:
        resume = state if state is not None and state["stage"] == stage and state["step"] > 0 else None
        _train_stage(prior, stage, images, config, device, resume, checkpoint, history, progress)
        if stage == "autoencoder":
            set_latent_scale(prior, images, device)
            checkpoint("denoiser", 0)
    prior.eval()
    return list(history)


def _train_stage(prior, stage, images, config, device, resume, checkpoint, history, progress) -> None:
    """Optimise the autoencoder or the denoiser for its number of steps (EMA for the denoiser)."""
    if stage == "autoencoder":
        module, total, peak, batch_size = prior.autoencoder, config.ae_steps, config.ae_lr, config.ae_batch_size
        data = images
    else:
        module, total, peak, batch_size = prior.denoiser, config.steps, config.lr, config.batch_size
        data = images if prior.kind == "renderer" else encode_all(prior, images, device)
    optimizer = torch.optim.AdamW(module.parameters(), lr=peak, weight_decay=config.weight_decay)
    scheduler = warmup_cosine(optimizer, total, config.warmup_steps, floor=LR_FLOOR)
    ema = None
    if stage == "denoiser":
        ema = EMAModel(module.parameters(), decay=config.ema_decay, use_ema_warmup=True, power=0.75)
    start = 0
    if resume is not None:
        optimizer.load_state_dict(resume["optimizer"])
        if ema is not None:
            ema.load_state_dict(resume["ema"])
        start = resume["step"]
    bar = tqdm(range(start, total), desc=stage, disable=not progress, initial=start, total=total)
    for step in bar:
        generator = step_generator(config, stage, step)
        batch = data[torch.randint(0, len(data), (batch_size,), generator=generator)].to(device)
        with mixed_precision(device):
            if stage == "autoencoder":
                loss = autoencoder_loss(prior, batch, generator, config.kl_weight)
            else:
                loss = denoising_loss(prior, batch, generator, config.snr_gamma if config.min_snr else None)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), config.grad_clip)
        optimizer.step()
        scheduler.step_update(step + 1)
        if ema is not None:
            ema.step(module.parameters())
        history.append({"stage": stage, "step": step + 1, "loss": loss.item()})
        bar.set_postfix(loss=f"{loss.item():.4f}")
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == total:
            checkpoint(stage, step + 1, optimizer, ema)
    if ema is not None:
        ema.copy_to(module.parameters())
