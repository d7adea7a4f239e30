"""Guidance objectives: small functions of classifier logits that return one loss per sample.

Both losses are cross-entropies, so they are related exactly: for one classifier f,
CE(f, i) + CE(f, j) = -log p_i - log p_j = 2 · softCE(f, 0.5·e_i + 0.5·e_j).
Controversial guidance with A = B is therefore twice uncertainty guidance, with no constant.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def _targets(index: torch.Tensor | int, logits: torch.Tensor) -> torch.Tensor:
    """Class indices as a long tensor (N,) on the logits' device; an int applies to every sample."""
    index = torch.as_tensor(index, dtype=torch.long, device=logits.device)
    return index.reshape(-1).expand(logits.shape[0])


def uncertainty_loss(logits: torch.Tensor, i: torch.Tensor | int, j: torch.Tensor | int) -> torch.Tensor:
    """Soft cross-entropy between softmax(logits) and q = 0.5·e_i + 0.5·e_j, per sample (N,).

    Its minimum over the simplex, log 2, is reached at p_i = p_j = 0.5.
    """
    log_p = F.log_softmax(logits, dim=-1)
    i, j = _targets(i, logits), _targets(j, logits)
    return -0.5 * (log_p.gather(1, i[:, None]) + log_p.gather(1, j[:, None])).squeeze(1)


def controversial_loss(
    logits_a: torch.Tensor, logits_b: torch.Tensor, i: torch.Tensor | int, j: torch.Tensor | int
) -> torch.Tensor:
    """CE(f_A, i) + CE(f_B, j) per sample (N,): A should say i while B says j."""
    ce_a = F.cross_entropy(logits_a, _targets(i, logits_a), reduction="none")
    ce_b = F.cross_entropy(logits_b, _targets(j, logits_b), reduction="none")
    return ce_a + ce_b


@dataclass
class Objective:
    """One guidance term: uncertainty with one guide, controversial with two (A says i, B says j).

    `i` and `j` hold one target class per sample (N,), so one batch can mix many pairs.
    Calling the objective on images in [0, 1] returns `weight` times its loss per sample (N,);
    each guide adapts the images to its own input (see :class:`varemotion.models.Classifier`).
    """

    guides: tuple[nn.Module, ...]
    i: torch.Tensor
    j: torch.Tensor
    weight: float = 1.0

    def __post_init__(self) -> None:
        self.guides = tuple(self.guides)
        if len(self.guides) not in (1, 2):
            raise ValueError(
                f"an objective takes one guide (uncertainty) or two (controversial), got {len(self.guides)}"
            )
        self.i = torch.as_tensor(self.i, dtype=torch.long).reshape(-1)
        self.j = torch.as_tensor(self.j, dtype=torch.long).reshape(-1)
        if self.i.shape != self.j.shape:
            raise ValueError(f"targets i and j differ in length: {len(self.i)} vs {len(self.j)}")

    @property
    def kind(self) -> str:
        return "uncertainty" if len(self.guides) == 1 else "controversial"

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return self.evaluate(images)[0]

    def evaluate(self, images: torch.Tensor, goal: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """`weight` times the loss per sample (N,), and whether each sample has reached `goal` (N,) bool.

        A sample reaches the goal when every guide gives the one class it is pulled towards at
        least probability `goal`: A → i and B → j (controversial), or the guide → i when i = j
        (an uncertainty objective on one class, as class-guided controls use). Uncertainty between
        two classes has its optimum inside the simplex and never reaches a goal; nor does any
        sample when `goal` ≥ 1.
        """
        logits = [guide(images) for guide in self.guides]
        if self.kind == "uncertainty":
            loss = uncertainty_loss(logits[0], self.i, self.j)
            targets = [_targets(self.i, logits[0])]
            one_class = _targets(self.i, logits[0]) == _targets(self.j, logits[0])
        else:
            loss = controversial_loss(logits[0], logits[1], self.i, self.j)
            targets = [_targets(self.i, logits[0]), _targets(self.j, logits[1])]
            one_class = torch.ones_like(targets[0], dtype=torch.bool)
        reached = one_class & (goal < 1)
        for guide_logits, target in zip(logits, targets):
            p = guide_logits.detach().softmax(-1).gather(1, target[:, None])[:, 0]
            reached = reached & (p >= goal)
        return self.weight * loss, reached


def uncertainty(guide: nn.Module, i, j, weight: float = 1.0) -> Objective:
    """Uncertainty guidance: push `guide` to split its belief evenly between classes i and j."""
    return Objective((guide,), i, j, weight)


def controversial(guide_a: nn.Module, guide_b: nn.Module, i, j, weight: float = 1.0) -> Objective:
    """Controversial guidance: push `guide_a` towards class i and `guide_b` towards class j."""
    return Objective((guide_a, guide_b), i, j, weight)
