"""Is the model–human entropy correlation more than boundary versus control?

Boundary images are ambiguous to both models and people and controls are clear to both, so a
correlation pooled over kinds restates the difference between the kinds. :func:`within_kind_table`
gives the Spearman correlation

- within each kind, for each classifier as a whole and separately on the images it guided
  (``role`` guide) and on those it did not (non_guide): a guide's entropy on its own boundary
  images is set by the sampler, a non-guide's is not;
- over all images with the kind partialled out (``kind`` partial;
  :func:`~varemotion.stats.correlation.partial_correlation`);
- for the model-side measures that do not depend on one classifier
  (:mod:`varemotion.stats.model_side`): the ensemble entropy per kind and with the kind
  partialled out, and on controversial images the guides' disagreement.

Intervals resample images that share a seed together. A subset with fewer than 3 images, or
whose values do not vary, gets a row with its n and no numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from varemotion.manifest import entropy_column

from .clusters import seed_clusters
from .correlation import entropy_correlation, partial_correlation, rated_images

WITHIN_COLUMNS = ["measure", "kind", "role", "method", "n", "r", "ci_low", "ci_high", "p_permutation",
                  "n_clusters", "resampled"]
PARTIAL = "partial"
_RESULT_FIELDS = WITHIN_COLUMNS[4:]


def _row(measure: str, kind: str, role: str, images: pd.DataFrame, column: str, resampling: dict) -> dict:
    row = {"measure": measure, "kind": kind, "role": role, "method": "spearman", "n": len(images)}
    x, y = images[column].to_numpy(dtype=float), images["human_entropy"].to_numpy(dtype=float)
    keep = np.isfinite(x)
    images, x, y = images[keep], x[keep], y[keep]
    row["n"] = len(images)
    try:
        if kind == PARTIAL:
            result = partial_correlation(x, y, images["kind"], clusters=seed_clusters(images), **resampling)
        else:
            result = entropy_correlation(x, y, clusters=seed_clusters(images), **resampling)
    except ValueError:
        return row
    return row | {field: getattr(result, field) for field in _RESULT_FIELDS}


def _roles(images: pd.DataFrame, classifier: str) -> dict[str, pd.DataFrame]:
    guided = (images["guide_a"].astype(str) == classifier) | (images["guide_b"].astype(str) == classifier)
    if (images["kind"].astype(str) == "control").all():
        return {"all": images}
    return {"all": images, "guide": images[guided], "non_guide": images[~guided]}


def within_kind_table(per_image: pd.DataFrame, classifiers: Sequence[str], *, n_resamples: int = 9999,
                      confidence: float = 0.95, seed: int | None = None,
                      require_enough_ratings: bool = True) -> pd.DataFrame:
    """One row per measure × kind × role (columns :data:`WITHIN_COLUMNS`; see the module docstring)."""
    images = rated_images(per_image, require_enough_ratings)
    resampling = {"n_resamples": n_resamples, "confidence": confidence, "seed": seed}
    kinds = sorted(images["kind"].astype(str).unique())
    rows = []
    for measure, column in [(name, entropy_column(name)) for name in classifiers] + [("ensemble", "ensemble_entropy")]:
        for kind in kinds:
            of_kind = images[images["kind"].astype(str) == kind]
            roles = _roles(of_kind, measure) if measure in classifiers else {"all": of_kind}
            rows += [_row(measure, kind, role, part, column, resampling) for role, part in roles.items()]
        rows.append(_row(measure, PARTIAL, "all", images, column, resampling))
    controversial = images[images["kind"].astype(str) == "controversial"]
    if len(controversial):
        rows.append(_row("guide_disagreement", "controversial", "all", controversial, "guide_disagreement",
                         resampling))
    return pd.DataFrame(rows).reindex(columns=WITHIN_COLUMNS)
