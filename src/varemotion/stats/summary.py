"""The headline numbers of the statistics stage, gathered into one JSON-serialisable dictionary."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from varemotion.atomic import jsonable
from varemotion.stats.agreement import AgreementResult
from varemotion.stats.groups import EntropyByKind
from varemotion.stats.mixed import MixedModelResult


def _images(per_image: pd.DataFrame) -> dict:
    rated = per_image[per_image["n_ratings"] > 0]
    return {
        "n_images": len(per_image),
        "n_rated": len(rated),
        "n_enough_ratings": int(per_image["enough_ratings"].sum()),
        "n_ratings": int(per_image["n_ratings"].sum()),
        "ratings_per_image_median": float(rated["n_ratings"].median()) if len(rated) else None,
        "images_per_kind": per_image["kind"].astype(str).value_counts().sort_index().to_dict(),
        "ratings_per_kind": rated.groupby(rated["kind"].astype(str))["n_ratings"].agg(["mean", "min", "max"])
        .to_dict(orient="index"),
    }


def _model(result: MixedModelResult) -> dict:
    return {
        "coefficients": result.coefficients, "subject_variance": result.subject_variance,
        "stimulus_variance": result.stimulus_variance, "slope_variance": result.slope_variance,
        "residual_variance": result.residual_variance, "image_level": result.image_level,
        "n_trials": result.n_trials, "n_subjects": result.n_subjects, "n_stimuli": result.n_stimuli,
        "converged": result.converged, "warnings": result.warnings,
    }


def headline_summary(
    per_image: pd.DataFrame, *, correlations: pd.DataFrame | None = None, by_kind: EntropyByKind | None = None,
    outcomes: pd.DataFrame | None = None, agreement: AgreementResult | None = None,
    models: Mapping[str, MixedModelResult] | None = None,
) -> dict:
    """The headline numbers as a dictionary of plain Python values (each given part under its own key).

    ``correlations`` from :func:`correlation_table`, ``by_kind`` from :func:`entropy_by_kind`,
    ``outcomes`` from :func:`outcome_proportions`, ``agreement`` from
    :func:`significant_disagreement`, ``models`` maps classifier names to :func:`fit_agreement_model` results.
    """
    summary: dict = {"images": _images(per_image)}
    if correlations is not None:
        summary["correlations"] = correlations
    if by_kind is not None:
        summary["entropy_by_kind"] = {"summary": by_kind.summary, "comparisons": by_kind.comparisons}
    if outcomes is not None:
        summary["outcomes"] = outcomes
    if agreement is not None:
        summary["significant_disagreement"] = {
            "share": agreement.share, "n_images": agreement.n_images, "n_significant": agreement.n_significant,
            "error_rate": agreement.error_rate, "alpha": agreement.alpha, "per_kind": agreement.shares,
        }
    if models is not None:
        summary["agreement_models"] = {name: _model(result) for name, result in models.items()}
    return jsonable(summary)
