"""Training epochs that mix several pools of items (own trials, everyone's trials, original data) at fixed ratios."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mixture_counts(n: int, ratios: Sequence[float]) -> np.ndarray:
    """Split ``n`` draws among pools in proportion to ``ratios`` (largest remainder, so they sum to ``n``)."""
    ratios = np.asarray(ratios, dtype=float)
    if n < 0 or ratios.ndim != 1 or not len(ratios) or (ratios < 0).any() or ratios.sum() <= 0:
        raise ValueError(f"need n ≥ 0 and non-negative ratios with a positive sum, got n={n}, ratios={ratios.tolist()}")
    exact = n * ratios / ratios.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = n - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def draw_evenly(pool: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` items of ``pool`` in random order, each drawn as evenly as possible (back-to-back permutations)."""
    if count and not len(pool):
        raise ValueError("cannot draw from an empty pool")
    rounds = -(-count // len(pool)) if len(pool) else 0
    return np.concatenate([rng.permutation(pool) for _ in range(rounds)] or [pool[:0]])[:count]


def mixed_epoch(pools: Sequence[np.ndarray], ratios: Sequence[float], n: int, rng: np.random.Generator) -> np.ndarray:
    """One epoch of ``n`` item indices: pool k gives its share of ``ratios``, all shuffled together.

    Empty pools are left out and the others keep their relative ratios (e.g. a data set without
    original images trains on human trials alone).
    """
    pools = [np.asarray(p, dtype=np.int64) for p in pools]
    ratios = np.where([len(p) > 0 for p in pools], np.asarray(ratios, dtype=float), 0.0)
    counts = mixture_counts(n, ratios)
    items = np.concatenate([draw_evenly(p, c, rng) for p, c in zip(pools, counts)])
    return rng.permutation(items)
