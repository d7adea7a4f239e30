"""One sampling job: a prior and its guides from disk → one sample set on disk."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from varemotion.data import load_split
from varemotion.device import select_device
from varemotion.diffusion import load_prior
from varemotion.models import load_classifier
from varemotion.sampling.pairs import all_ordered_pairs, sample_pairs
from varemotion.sampling.sets import check_guide_count, sample_set_from_pairs, save_sample_set

log = logging.getLogger(__name__)


def run_sample_set(
    kind: str,
    prior_weights: str | Path,
    guides: dict[str, str | Path],
    emotions_from: str | Path,
    out_path: str | Path,
    sampler: dict,
    n_per_pair: int,
    max_batch: int,
    seed: int,
    checkpoint_path: str | Path | None = None,
    gpus: int = 0,
    progress: bool = True,
) -> None:
    """Sample `n_per_pair` images for every ordered emotion pair and save them as a `SampleSet`.

    `guides` maps classifier names to weight files: one for "uncertainty", (A, B) in order for
    "controversial". For "control", no guides give unguided samples (one per ordered pair and
    seed, so control image n starts from the same noise as guided image n); with guides, every
    guide is pulled towards one class i (target e_i), n_per_pair × (K − 1) images per class, as
    many as one uncertainty set. `prior_weights` is the prior's weight file (its config beside it);
    `sampler` holds `guided_sample` options; `emotions_from` is a split whose emotions name the classes.
    """
    check_guide_count(kind, guides)
    device = select_device(gpus)
    emotions = list(load_split(emotions_from).emotions)
    prior = load_prior(prior_weights).to(device)
    models = [load_classifier(path).to(device) for path in guides.values()]
    for name, model in zip(guides, models):
        if list(model.config.emotions) != emotions:
            raise ValueError(f"classifier {name!r} predicts {model.config.emotions}, the data has {emotions}")
    options = dict(sampler)
    pairs, per_pair = all_ordered_pairs(len(emotions)), n_per_pair
    if kind == "control" and not models:
        options["guidance_scale"] = 0.0
    elif kind == "control":
        pairs, per_pair = [(i, i) for i in range(len(emotions))], n_per_pair * (len(emotions) - 1)
    started = time.perf_counter()
    samples = sample_pairs(
        prior, tuple(models), pairs, per_pair, max_batch=max_batch, seed=seed, device=device,
        checkpoint_path=checkpoint_path, progress=progress, separate_guides=kind == "control", **options,
    )
    seconds = time.perf_counter() - started
    log.info("%d %s samples in %.0f s (%.2f images/s)", len(samples.images), kind, seconds, len(samples.images) / seconds)
    save_sample_set(out_path, sample_set_from_pairs(samples, kind, list(guides), emotions))
    if checkpoint_path:
        Path(checkpoint_path).unlink(missing_ok=True)
