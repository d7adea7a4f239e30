"""Graded ambiguity: human and model entropy along a numeric property of the stimuli (morph intensity, say).

The property is a numeric metadata column of the stimulus table, named by ``stats.graded_by``
(carried into the per-image table). Over the images with enough ratings and a value in that column:

- per level and per measure (``human``: the response entropy the statistics use; each
  classifier's softmax entropy): the number of images, the mean entropy in bits and a BCa bootstrap
  interval of the mean, images sharing a seed resampled together
  (:func:`~varemotion.stats.clusters.cluster_bootstrap`; NaN bounds for a level of one cluster);
- per measure, the trend: Spearman ρ between the level and the entropy, with a bootstrap interval
  (clusters resampled together) and a permutation p
  (:func:`~varemotion.stats.correlation.entropy_correlation`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from varemotion.manifest import entropy_column

from .clusters import cluster_bootstrap, seed_clusters, weighted_mean
from .correlation import entropy_correlation, rated_images
from .images import emotions_of, per_image_columns

GRADED_COLUMNS = ["measure", "level", "n_images", "mean", "ci_low", "ci_high"]
TREND_COLUMNS = ["measure", "n", "rho", "ci_low", "ci_high", "p_permutation", "n_clusters"]
HUMAN = "human"


def metadata_of(per_image: pd.DataFrame, classifiers: Sequence[str]) -> list[str]:
    """The per-image table's metadata columns: those the stimulus table brought along."""
    known = set(per_image_columns(emotions_of(per_image), list(classifiers)))
    return [c for c in per_image.columns if c not in known]


def graded_levels(per_image: pd.DataFrame, column: str, classifiers: Sequence[str]) -> pd.Series:
    """The column's values as numbers (NaN where blank); ValueError unless it is numeric metadata."""
    metadata = metadata_of(per_image, classifiers)
    if column not in metadata:
        raise ValueError(f"stats.graded_by: {column!r} is not a column of the stimulus table; its metadata columns "
                         f"are {metadata}")
    values = per_image[column]
    numbers = pd.to_numeric(values, errors="coerce")
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    bad = numbers.isna() & (text != "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"stats.graded_by: column {column!r} is not numeric: stimulus "
                         f"{per_image['stimulus_id'].iat[i]!r} has {text.iat[i]!r}")
    if numbers.notna().sum() == 0:
        raise ValueError(f"stats.graded_by: column {column!r} has no values")
    return numbers.astype(float)


def _measures(classifiers: Sequence[str]) -> dict[str, str]:
    return {HUMAN: "human_entropy"} | {name: entropy_column(name) for name in classifiers}


def graded_entropy(per_image: pd.DataFrame, column: str, classifiers: Sequence[str], *, n_resamples: int = 9999,
                   confidence: float = 0.95, seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-level table (:data:`GRADED_COLUMNS`) and the trend table (:data:`TREND_COLUMNS`)."""
    levels = graded_levels(per_image, column, classifiers)
    images = rated_images(per_image)
    levels = levels.loc[images.index]
    images, levels = images[levels.notna()], levels[levels.notna()].to_numpy()
    clusters = seed_clusters(images)
    rows, trend = [], []
    for measure, values in _measures(classifiers).items():
        entropy = images[values].to_numpy(dtype=float)
        for level in np.unique(levels):
            at = levels == level
            low, high = cluster_bootstrap(lambda w, v=entropy[at]: weighted_mean(v, w), clusters[at], n_resamples,
                                          confidence, seed)
            rows.append({"measure": measure, "level": level, "n_images": int(at.sum()),
                         "mean": float(entropy[at].mean()), "ci_low": low, "ci_high": high})
        row = {"measure": measure, "n": len(entropy)}
        try:
            result = entropy_correlation(levels, entropy, "spearman", n_resamples, confidence, seed, clusters)
            row |= {"rho": result.r, "ci_low": result.ci_low, "ci_high": result.ci_high,
                    "p_permutation": result.p_permutation, "n_clusters": result.n_clusters}
        except ValueError:  # fewer than 3 images, or one level only
            pass
        trend.append(row)
    return (pd.DataFrame(rows).reindex(columns=GRADED_COLUMNS), pd.DataFrame(trend).reindex(columns=TREND_COLUMNS))


def run_graded(per_image_path, column: str, classifiers: Sequence[str], resampling: dict, output) -> pd.DataFrame:
    """Read a per-image table, write the per-level table and the trend table (``output``: table, trend)."""
    from varemotion.atomic import write_csv

    from .images import read_per_image

    table, trend = graded_entropy(read_per_image(per_image_path), column, classifiers, **resampling)
    write_csv(output["table"], table)
    write_csv(output["trend"], trend)
    return table
