"""Classifier two-sample test (C2ST): can a small CNN tell a set of images from real faces?

Both sets are cut to the same size n and their pixel noise is equalised first: each image gets
independent Gaussian noise that brings its estimated noise level (:func:`noise_level`) up to the
90th percentile of both sets' levels. Without this, a CNN tells the renderer's noisy faces from
the same faces drawn without noise almost perfectly, though noise does not make an image more or
less of a face; with it, blur, texture and shape still separate the sets. An optional Gaussian
smoothing of `smooth_px` pixels follows. A CNN is trained on k − 1 folds (with random
flips and shifts) and scored on the held-out fold, for every fold, so each image is predicted once
by a network that never saw it. The accuracy over all 2n predictions is the test statistic:
0.5 when the sets cannot be told apart, 1.0 when they always can; its p-value is the one-sided
binomial test against 0.5 and its interval the Wilson interval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import math

import scipy.stats
import torch
import torch.nn.functional as F
from statsmodels.stats.proportion import proportion_confint
from torch import nn


@dataclass(frozen=True)
class TwoSampleResult:
    """Held-out accuracy of the C2ST with its Wilson interval, one-sided p and the images per set."""

    accuracy: float
    ci_low: float
    ci_high: float
    p_value: float
    n_per_set: int

    def to_dict(self) -> dict:
        return asdict(self)


def critic(channels: int) -> nn.Module:
    """A small CNN that scores an image (logit > 0: the first set, ≤ 0: real).

    The first convolution has stride 2, so the network sees every pixel but pays for its
    wider layers at half resolution.
    """
    def block(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
        return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.SiLU()]

    return nn.Sequential(
        *block(channels, 16, stride=2), *block(16, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2),
        *block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 1),
    )


def gaussian_smooth(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W) images (reflect padding); σ ≤ 0 returns them unchanged."""
    if sigma <= 0:
        return images
    radius = max(1, int(round(3 * sigma)))
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype)
    kernel = torch.exp(-offsets ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    horizontal = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    vertical = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    out = F.conv2d(F.pad(images, (radius, radius, 0, 0), mode="reflect"), horizontal, groups=channels)
    return F.conv2d(F.pad(out, (0, 0, radius, radius), mode="reflect"), vertical, groups=channels)


def noise_level(images: torch.Tensor) -> torch.Tensor:
    """Each image's standard deviation of independent pixel noise, by Immerkær's (1996) Laplacian estimator."""
    kernel = torch.tensor([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]], dtype=images.dtype)
    channels = images.shape[1]
    response = F.conv2d(images, kernel.view(1, 1, 3, 3).repeat(channels, 1, 1, 1), groups=channels)
    return math.sqrt(math.pi / 2) / 6 * response.abs().mean(dim=(1, 2, 3))


def equalise_noise(images: torch.Tensor, target: float, generator: torch.Generator) -> torch.Tensor:
    """Add independent Gaussian noise to each image to bring its estimated noise level up to `target`."""
    level = noise_level(images)
    extra = (target ** 2 - level ** 2).clamp(min=0).sqrt().view(-1, 1, 1, 1)
    return images + extra * torch.randn(images.shape, generator=generator, dtype=images.dtype)


def _jitter(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and shifts of up to 2 pixels (edges repeated)."""
    n = len(images)
    flip = torch.rand(n, generator=generator) < 0.5
    images = torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=generator))
    padded = F.pad(images, (2, 2, 2, 2), mode="replicate")
    height, width = images.shape[-2:]
    return padded[..., 2 + dy : 2 + dy + height, 2 + dx : 2 + dx + width]


def _train_and_score(images, labels, train, test, seed: int, steps: int, batch_size: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = critic(images.shape[1])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    model.train()
    for _ in range(steps):
        index = train[torch.randint(0, len(train), (batch_size,), generator=generator)]
        logits = model(_jitter(images[index], generator)).squeeze(1)
        loss = F.binary_cross_entropy_with_logits(logits, labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        return torch.cat([model(images[part]).squeeze(1) > 0 for part in test.split(512)])


def two_sample_test(
    images: torch.Tensor, real: torch.Tensor, seed: int = 0, folds: int = 5, steps: int = 200,
    batch_size: int = 64, smooth_px: float = 0.0, confidence: float = 0.95,
) -> TwoSampleResult:
    """C2ST of `images` against `real` (both (N, C, H, W) in [0, 1]); see the module docstring."""
    n = min(len(images), len(real))
    if n < folds:
        raise ValueError(f"a {folds}-fold two-sample test needs at least {folds} images per set, got {n}")
    generator = torch.Generator().manual_seed(seed)
    pick = lambda x: x[torch.randperm(len(x), generator=generator)[:n]].float()
    data = torch.cat([pick(images), pick(real)])
    target = float(noise_level(data).quantile(0.9))
    data = gaussian_smooth(equalise_noise(data, target, generator), smooth_px)
    labels = torch.cat([torch.ones(n), torch.zeros(n)])
    # Folds stratified by set: fold k holds every folds-th image of each set.
    order = torch.cat([torch.randperm(n, generator=generator), n + torch.randperm(n, generator=generator)])
    fold_of = torch.cat([torch.arange(n) % folds, torch.arange(n) % folds])
    correct = 0
    for k in range(folds):
        test, train = order[fold_of == k], order[fold_of != k]
        predicted = _train_and_score(data, labels, train, test, seed * 1_000 + k, steps, batch_size)
        correct += int((predicted.float() == labels[test]).sum())
    total = 2 * n
    low, high = proportion_confint(correct, total, alpha=1 - confidence, method="wilson")
    p = float(scipy.stats.binomtest(correct, total, 0.5, alternative="greater").pvalue)
    return TwoSampleResult(accuracy=correct / total, ci_low=float(low), ci_high=float(high), p_value=p, n_per_set=n)
