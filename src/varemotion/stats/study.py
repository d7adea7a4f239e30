"""The statistics stage in one call: a trial table and the stimulus manifest → every table of results.

:func:`study_statistics` builds the per-image table and runs the tests of the study; each result
is a table written as CSV by :func:`write_study_statistics`, with a JSON summary of the headline
numbers. Settings come from the workflow's ``stats`` config section (:class:`StatsSettings`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from varemotion.atomic import write_atomically

from .agreement import significant_disagreement
from .correlation import correlation_table
from .groups import entropy_by_kind
from .images import per_image_table
from .mixed import fit_agreement_model
from .outcomes import OutcomeThresholds, outcome_proportions
from .summary import headline_summary, jsonable

#: File name of each table in the output folder.
TABLE_FILES = {
    "per_image": "per_image.csv", "correlations": "correlations.csv", "entropy_by_kind": "entropy_by_kind.csv",
    "comparisons": "comparisons.csv", "outcomes": "outcomes.csv", "agreement": "agreement.csv",
    "mixed_model": "mixed_model.csv",
}


@dataclass(frozen=True)
class StatsSettings:
    """The ``stats`` config section (see the workflow schema for each value's meaning)."""

    min_ratings: int = 5
    outcome_sum_min: float = 0.8
    outcome_each_min: float = 0.1
    n_resamples: int = 9999
    confidence: float = 0.95
    alpha: float = 0.05
    error_rate: float = 0.05
    model_classifier: str = ""
    seed: int = 0


@dataclass
class StudyStatistics:
    """Every result table, the mixed model's text summary and the headline numbers."""

    tables: dict[str, pd.DataFrame]
    model_summary: str
    summary: dict = field(default_factory=dict)


def study_statistics(trials: pd.DataFrame, manifest: pd.DataFrame, emotions, classifiers,
                     settings: StatsSettings) -> StudyStatistics:
    """Run the statistics stage on a canonical trial table (see the module docstring)."""
    thresholds = OutcomeThresholds(settings.outcome_sum_min, settings.outcome_each_min)
    per_image = per_image_table(trials, manifest, emotions, classifiers, settings.min_ratings, thresholds)
    resampling = {"n_resamples": settings.n_resamples, "confidence": settings.confidence, "seed": settings.seed}
    correlations = correlation_table(per_image, classifiers, **resampling)
    by_kind = entropy_by_kind(per_image, **resampling)
    outcomes = outcome_proportions(per_image, confidence=settings.confidence)
    agreement = significant_disagreement(per_image, settings.error_rate, settings.alpha)
    model_classifier = settings.model_classifier or classifiers[0]
    model = fit_agreement_model(trials, per_image, model_classifier, emotions, confidence=settings.confidence)
    tables = {
        "per_image": per_image, "correlations": correlations, "entropy_by_kind": by_kind.summary,
        "comparisons": by_kind.comparisons, "outcomes": outcomes, "agreement": agreement.images,
        "mixed_model": model.coefficients.assign(classifier=model_classifier),
    }
    summary = headline_summary(per_image, correlations=correlations, by_kind=by_kind, outcomes=outcomes,
                               agreement=agreement, models={model_classifier: model})
    return StudyStatistics(tables=tables, model_summary=model.summary, summary=jsonable(summary))


def write_study_statistics(statistics: StudyStatistics, out_dir: str | os.PathLike[str]) -> None:
    """Write each table (CSV), ``mixed_model.txt`` and ``summary.json`` into ``out_dir``."""
    out_dir = Path(out_dir)
    for name, table in statistics.tables.items():
        write_atomically(out_dir / TABLE_FILES[name], lambda h, t=table: t.to_csv(h, index=False, float_format="%.6g"))
    write_atomically(out_dir / "mixed_model.txt", lambda h: h.write(statistics.model_summary.encode()))
    write_atomically(out_dir / "summary.json", lambda h: h.write(json.dumps(statistics.summary, indent=2).encode()))
