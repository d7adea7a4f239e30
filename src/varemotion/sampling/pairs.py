"""Guided sampling over every ordered pair of emotions, in batches, resumable after a stop."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from varemotion.checkpoints import config_fingerprint, load_checkpoint, save_checkpoint
from varemotion.diffusion.prior import Prior
from varemotion.sampling import guided
from varemotion.sampling.objectives import Objective

log = logging.getLogger(__name__)


@dataclass
class PairSamples:
    """Samples for ordered emotion pairs: image n targets `pairs[n] = (i, j)`, drawn from `seeds[n]`."""

    images: torch.Tensor
    pairs: torch.Tensor
    seeds: torch.Tensor
    guides: list[nn.Module]
    probabilities: list[torch.Tensor]
    settings: dict


def all_ordered_pairs(num_classes: int) -> list[tuple[int, int]]:
    """Every (i, j) with i ≠ j, in row-major order."""
    return [(i, j) for i in range(num_classes) for j in range(num_classes) if i != j]


def weights_fingerprint(*modules: nn.Module) -> str:
    """A short hash of the modules' parameters and buffers (a changed model invalidates a checkpoint).

    Objects that are not `nn.Module`s (e.g. an analytic prior) contribute their type name only.
    """
    digest = hashlib.sha256()
    for module in modules:
        digest.update(type(module).__name__.encode())
        if not isinstance(module, nn.Module):
            continue
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def _objectives(guides: tuple[nn.Module, ...], i: torch.Tensor, j: torch.Tensor, separate: bool) -> list[Objective]:
    """The guidance objectives of a batch with class pairs (i, j): one per guide if `separate`."""
    if separate:
        return [Objective((guide,), i, j) for guide in guides]
    return [Objective(guides, i, j)] if guides else []


def sample_pairs(
    prior: Prior,
    guides: nn.Module | tuple[nn.Module, ...],
    pairs: list[tuple[int, int]] | None = None,
    n_per_pair: int = 1,
    *,
    max_batch: int = 64,
    seed: int = 0,
    device: torch.device | str = "cpu",
    checkpoint_path: str | Path | None = None,
    progress: bool = False,
    separate_guides: bool = False,
    **sampler_options,
) -> PairSamples:
    """Guided samples for every pair: uncertainty with one guide, controversial with (A, B).

    All pairs share one list of images, cut into batches of at most `max_batch`; image n is drawn
    with its own generator seeded `seed + n`, so it does not depend on how the list is cut. With
    `guides=()` the samples are unguided controls (targets are recorded but not used).
    With `separate_guides`, each guide gets its own uncertainty objective for the pair, so pairs
    (i, i) pull every guide towards class i (class-guided controls).
    `sampler_options` go to `guided_sample` (scheduler, steps, guidance_scale, time_travel, ...).
    With `checkpoint_path`, finished batches are saved there and skipped when the run restarts.
    """
    guides = (guides,) if isinstance(guides, nn.Module) else tuple(guides)
    if pairs is None:
        sizes = {len(g.config.emotions) for g in guides}
        if len(sizes) != 1:
            raise ValueError(f"guides disagree on the number of emotions: {sorted(sizes)}")
        pairs = all_ordered_pairs(sizes.pop())
    targets = torch.tensor(pairs, dtype=torch.long).reshape(-1, 2).repeat_interleave(n_per_pair, dim=0)
    seeds = seed + torch.arange(len(targets))
    fingerprint = state = None
    if checkpoint_path:
        fingerprint = config_fingerprint({
            "pairs": targets.tolist(), "seed": seed, "max_batch": max_batch, "options": sampler_options,
            "separate_guides": separate_guides,
            "weights": weights_fingerprint(prior, *guides),
        })
        state = load_checkpoint(checkpoint_path, fingerprint)
    chunks = state["chunks"] if state else []
    if chunks:
        log.info("resumed from %s after %d of %d images", checkpoint_path, sum(len(c[0]) for c in chunks), len(targets))
    starts = range(0, len(targets), max_batch)
    for start in tqdm(starts[len(chunks):], disable=not progress, desc="batches", initial=len(chunks), total=len(starts)):
        part = slice(start, start + max_batch)
        objectives = _objectives(guides, targets[part, 0], targets[part, 1], separate_guides)
        generators = [torch.Generator().manual_seed(int(s)) for s in seeds[part]]
        out = guided.guided_sample(
            prior, objectives, len(generators), generator=generators, device=device, **sampler_options
        )
        chunks.append((out.images.cpu(), [p.cpu() for p in out.probabilities], out.settings))
        if checkpoint_path:
            save_checkpoint(checkpoint_path, {"fingerprint": fingerprint, "chunks": chunks})
    settings = dict(chunks[0][2], n_per_pair=n_per_pair, max_batch=max_batch, seed=seed)
    return PairSamples(
        images=torch.cat([c[0] for c in chunks]),
        pairs=targets,
        seeds=seeds,
        guides=list(guides),
        probabilities=[torch.cat([c[1][k] for c in chunks]) for k in range(len(guides))],
        settings=settings,
    )

