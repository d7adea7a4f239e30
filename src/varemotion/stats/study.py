"""The statistics stage in one call: a trial table and the stimulus manifest → every table of results.

:func:`study_statistics` builds the per-image table and runs the tests of the study; each result
is a table written as CSV by :func:`write_study_statistics`, with a JSON summary of the headline
numbers. Settings come from the workflow's ``stats`` config section (:class:`StatsSettings`).
:func:`image_table` and :func:`main_tests` are the steps that the power analysis repeats on each
simulated study, so that it tests what the study tests, on the images the study keeps.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from varemotion.atomic import jsonable, write_atomically, write_csv, write_json
from varemotion.behavior.answers import emotion_trials
from varemotion.manifest import has_boundary_and_control

from .agreement import SlipRate, significant_disagreement, slip_rate_from_catch
from .correlation import METHODS, correlation_table
from .groups import EntropyByKind, entropy_by_kind
from .images import per_image_table
from .mixed import COEFFICIENT_COLUMNS, MixedModelResult, fit_agreement_model
from .non_emotion import non_emotion_summary, non_emotion_table
from .outcomes import OutcomeThresholds, outcome_proportions
from .summary import headline_summary
from .within import within_kind_table

#: The tables of the stage, each written as one CSV output of the same name.
TABLES = ("per_image", "correlations", "correlations_within", "entropy_by_kind", "comparisons", "outcomes",
          "agreement", "mixed_model", "non_emotion_answers")


@dataclass(frozen=True)
class StatsSettings:
    """The ``stats`` config section (the workflow schema gives each value's meaning and default)."""

    min_ratings: int
    entropy_estimator: str
    outcome_sum_min: float
    outcome_each_min: float
    n_resamples: int
    confidence: float
    alpha: float
    error_rate: float | None
    non_emotion_answers: str
    model_classifier: str
    stimulus_intercepts: bool
    subject_slopes: bool
    seed: int

    @property
    def resampling(self) -> dict:
        return {"n_resamples": self.n_resamples, "confidence": self.confidence, "seed": self.seed}


@dataclass
class StudyStatistics:
    """Every result table, the mixed model's text summary and the headline numbers."""

    tables: dict[str, pd.DataFrame]
    model_summary: str
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MainTests:
    """Boundary vs control (per kind, unpaired and paired by seed) and the pooled entropy correlations."""

    by_kind: EntropyByKind
    correlations: pd.DataFrame


def image_table(trials: pd.DataFrame, manifest: pd.DataFrame, emotions, classifiers,
                settings: StatsSettings) -> pd.DataFrame:
    """The per-image table with the settings' rating filter, outcome thresholds and entropy estimator."""
    thresholds = OutcomeThresholds(settings.outcome_sum_min, settings.outcome_each_min)
    return per_image_table(trials, manifest, emotions, classifiers, settings.min_ratings, thresholds,
                           settings.entropy_estimator, settings.non_emotion_answers)


def main_tests(per_image: pd.DataFrame, classifiers, settings: StatsSettings, methods: Sequence[str] = METHODS,
               ) -> MainTests:
    """The study's two main tests on the images with enough ratings."""
    return MainTests(by_kind=entropy_by_kind(per_image, **settings.resampling),
                     correlations=correlation_table(per_image, classifiers, methods, **settings.resampling))


def slip_rate(settings: StatsSettings, catch: pd.DataFrame | None, trials: pd.DataFrame) -> SlipRate:
    """The configured slip rate, else the one the catch trials of the trial table's participants show."""
    if settings.error_rate is not None:
        return SlipRate(rate=float(settings.error_rate), source="config")
    if catch is None:
        raise ValueError("stats.error_rate is null (estimate it from catch trials) but no catch trials were given")
    return slip_rate_from_catch(catch, trials["subject_id"].unique())


def _model_table(model: MixedModelResult, classifier: str) -> pd.DataFrame:
    tables = [model.coefficients.assign(model="mixed")]
    if model.image_level is not None:
        tables.append(model.image_level.assign(model="image_level"))
    return pd.concat(tables, ignore_index=True).assign(classifier=classifier)[["model", *COEFFICIENT_COLUMNS,
                                                                                "classifier"]]


def study_statistics(trials: pd.DataFrame, manifest: pd.DataFrame, emotions, classifiers,
                     settings: StatsSettings, catch: pd.DataFrame | None = None) -> StudyStatistics:
    """Run the statistics stage on a canonical trial table (see the module docstring).

    ``catch`` holds the catch trials' expected and given answers, from which the slip rate is
    estimated unless the settings give one. The mixed model sees the emotion answers only.
    """
    per_image = image_table(trials, manifest, emotions, classifiers, settings)
    tests = main_tests(per_image, classifiers, settings)
    within = within_kind_table(per_image, classifiers, **settings.resampling)
    outcomes = outcome_proportions(per_image, confidence=settings.confidence)
    slips = slip_rate(settings, catch, trials)
    agreement = significant_disagreement(per_image, slips.rate, settings.alpha)
    model_classifier = settings.model_classifier or classifiers[0]
    model = fit_agreement_model(emotion_trials(trials), per_image, model_classifier, emotions,
                                stimulus_intercepts=settings.stimulus_intercepts,
                                subject_slopes=settings.subject_slopes, confidence=settings.confidence)
    tables = {
        "per_image": per_image, "correlations": tests.correlations, "correlations_within": within,
        "entropy_by_kind": tests.by_kind.summary, "comparisons": tests.by_kind.comparisons, "outcomes": outcomes,
        "agreement": agreement.images, "mixed_model": _model_table(model, model_classifier),
        "non_emotion_answers": non_emotion_table(trials, manifest, settings.confidence),
    }
    summary = headline_summary(per_image, correlations=tests.correlations, by_kind=tests.by_kind, outcomes=outcomes,
                               agreement=agreement, models={model_classifier: model})
    summary |= {"correlations_within": within, "slip_rate": asdict(slips),
                "entropy_estimator": settings.entropy_estimator, "min_ratings": settings.min_ratings,
                "non_emotion_answers": {"mode": settings.non_emotion_answers,
                                        **non_emotion_summary(tables["non_emotion_answers"])}}
    if not has_boundary_and_control(manifest["kind"]):
        summary["notes"] = [f"the boundary-versus-control tests are skipped: the stimulus set has no control kind "
                            f"beside other kinds (kinds: {', '.join(sorted(set(manifest['kind'].astype(str))))})"]
    return StudyStatistics(tables=tables, model_summary=model.summary, summary=jsonable(summary))


def write_study_statistics(statistics: StudyStatistics, outputs: Mapping[str, str | os.PathLike[str]]) -> None:
    """Write each table of :data:`TABLES` as CSV to the output of its name, the mixed model's text
    to ``outputs["mixed_model_text"]`` and the headline numbers to ``outputs["summary"]`` (JSON)."""
    for name in TABLES:
        table = statistics.tables[name]
        write_csv(outputs[name], table)
    write_atomically(outputs["mixed_model_text"], lambda h: h.write(statistics.model_summary.encode()))
    write_json(outputs["summary"], statistics.summary)
