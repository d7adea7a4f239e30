"""Which guided samples to keep, and how guidance turned out for each image.

Probabilities are compared in float64 with a tolerance `tol`: an inclusive threshold (≥) accepts
values down to threshold − tol and a strict one (>) needs more than threshold + tol, so that a
hand-written 0.7 + 0.1 counts as 0.8 and a float32 0.4 does not count as more than 0.4.
"""

from __future__ import annotations

import numpy as np
import torch

OUTCOMES = ("success", "bias", "failure")
TOL = 1e-6


def _probabilities(probs) -> torch.Tensor:
    probs = probs if torch.is_tensor(probs) else torch.as_tensor(np.asarray(probs))
    return probs.detach().to("cpu", torch.float64).reshape(-1, probs.shape[-1])


def _pair(probs: torch.Tensor, i, j) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Targets i, j as (N,) indices and the probabilities p_i, p_j."""
    n = probs.shape[0]
    i = torch.as_tensor(i, dtype=torch.long).reshape(-1).expand(n)
    j = torch.as_tensor(j, dtype=torch.long).reshape(-1).expand(n)
    return i, j, probs.gather(1, i[:, None])[:, 0], probs.gather(1, j[:, None])[:, 0]


def keep_uncertainty(probs, i, j, min_prob: float = 0.4, tol: float = TOL) -> torch.Tensor:
    """Uncertainty samples whose top-2 classes are {i, j}, each with probability > `min_prob`."""
    probs = _probabilities(probs)
    i, j, p_i, p_j = _pair(probs, i, j)
    top2 = probs.topk(2, dim=1).indices
    top_is_pair = ((top2[:, 0] == i) & (top2[:, 1] == j)) | ((top2[:, 0] == j) & (top2[:, 1] == i))
    return top_is_pair & (p_i > min_prob + tol) & (p_j > min_prob + tol)


def keep_controversial(probs_a, probs_b, i, j, min_prob: float = 0.9, tol: float = TOL) -> torch.Tensor:
    """Controversial samples where A's argmax is i and B's is j, each with probability > `min_prob`."""
    probs_a, probs_b = _probabilities(probs_a), _probabilities(probs_b)
    i, _, p_a, _ = _pair(probs_a, i, j)
    _, j, _, p_b = _pair(probs_b, i, j)
    argmax_ok = (probs_a.argmax(1) == i) & (probs_b.argmax(1) == j)
    return argmax_ok & (p_a > min_prob + tol) & (p_b > min_prob + tol)


def guidance_outcome(
    probs, i, j, min_sum: float = 0.8, min_each: float = 0.1, tol: float = TOL
) -> np.ndarray:
    """Per image: "success" (p_i + p_j ≥ min_sum and min(p_i, p_j) ≥ min_each),
    "bias" (sum ≥ min_sum but min < min_each) or "failure" (sum < min_sum)."""
    _, _, p_i, p_j = _pair(_probabilities(probs), i, j)
    on_pair = (p_i + p_j >= min_sum - tol).numpy()
    balanced = (torch.minimum(p_i, p_j) >= min_each - tol).numpy()
    return np.where(on_pair, np.where(balanced, "success", "bias"), "failure")
