"""How good a prior's unguided samples are: classifier confidence and a classifier two-sample test."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from varemotion.models.evaluation import predict_proba


def discriminator(channels: int) -> nn.Module:
    """A small CNN that scores an image as generated (logit > 0) or real."""
    return nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.SiLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.SiLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.SiLU(), nn.AdaptiveAvgPool2d(4),
        nn.Flatten(), nn.Linear(64 * 16, 1),
    )


def two_sample_accuracy(
    generated: torch.Tensor, real: torch.Tensor, seed: int, epochs: int = 6, batch_size: int = 64
) -> float:
    """Held-out accuracy of a CNN telling generated from real images (0.5: indistinguishable).

    Both sets are cut to the same size, shuffled together and split in halves: the CNN trains
    on one half and is scored on the other.
    """
    generator = torch.Generator().manual_seed(seed)
    n = min(len(generated), len(real))
    pick = lambda x: x[torch.randperm(len(x), generator=generator)[:n]].float()
    images = torch.cat([pick(generated), pick(real)])
    labels = torch.cat([torch.ones(n), torch.zeros(n)])
    order = torch.randperm(2 * n, generator=generator)
    train, test = order[:n], order[n:]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = discriminator(images.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(epochs):
        for index in train[torch.randperm(n, generator=generator)].split(batch_size):
            loss = F.binary_cross_entropy_with_logits(model(images[index]).squeeze(1), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        predicted = torch.cat([model(images[i]).squeeze(1) > 0 for i in test.split(500)])
    return (predicted.float() == labels[test]).float().mean().item()


def quality_report(
    samples: torch.Tensor,
    real_heldout: torch.Tensor,
    classifier: nn.Module,
    seed: int = 0,
    device: torch.device | None = None,
) -> dict:
    """Mean max-softmax of `classifier` on the samples, and the two-sample-test accuracy."""
    probs = predict_proba(classifier, samples, device or torch.device("cpu"))
    counts = torch.bincount(torch.as_tensor(probs.argmax(axis=1)), minlength=probs.shape[1])
    return {
        "n_samples": len(samples),
        "n_real": len(real_heldout),
        "mean_max_probability": float(probs.max(axis=1).mean()),
        "predicted_class_fraction": (counts / counts.sum()).tolist(),
        "two_sample_accuracy": two_sample_accuracy(samples, real_heldout, seed),
    }
