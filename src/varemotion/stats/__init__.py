"""Statistics: human response entropy per image against the classifiers' softmax entropy.

- :mod:`.images`: the per-image table (human counts, shares, entropy, majority, guidance outcome,
  classifier probabilities and entropies);
- :mod:`.outcomes`: guidance outcome (success, bias, failure) and its proportions per group;
- :mod:`.correlation`: model–human entropy correlation with bootstrap CI and permutation p;
- :mod:`.groups`: boundary vs control images (Mann–Whitney U, rank-biserial r, bootstrap CI);
- :mod:`.agreement`: images whose disagreement exceeds observers' slips (binomial tests, BH);
- :mod:`.mixed`: trial-level mixed model of agreement against model entropy;
- :mod:`.summary`: the headline numbers as a JSON-serialisable dictionary.
"""

from .agreement import (
    AgreementResult,
    catch_error_rate,
    differing_from_majority,
    significant_disagreement,
)
from .correlation import CorrelationResult, correlation_table, entropy_correlation
from .groups import (
    EntropyByKind,
    GroupComparison,
    compare_entropy,
    entropy_by_kind,
    rank_biserial,
)
from .images import (
    emotions_of,
    human_count_column,
    human_probability_column,
    per_image_columns,
    per_image_table,
    read_per_image,
)
from .mixed import (
    MixedModelResult,
    agreement_frame,
    fit_agreement_model,
    fit_mixed_lpm,
    leave_one_out_majority,
)
from .outcomes import (
    DEFAULT_THRESHOLDS,
    OUTCOMES,
    OutcomeThresholds,
    classify_outcome,
    outcome_proportions,
)
from .summary import headline_summary, jsonable

__all__ = [
    "DEFAULT_THRESHOLDS",
    "OUTCOMES",
    "AgreementResult",
    "CorrelationResult",
    "EntropyByKind",
    "GroupComparison",
    "MixedModelResult",
    "OutcomeThresholds",
    "agreement_frame",
    "catch_error_rate",
    "classify_outcome",
    "compare_entropy",
    "correlation_table",
    "differing_from_majority",
    "emotions_of",
    "entropy_by_kind",
    "entropy_correlation",
    "fit_agreement_model",
    "fit_mixed_lpm",
    "headline_summary",
    "human_count_column",
    "human_probability_column",
    "jsonable",
    "leave_one_out_majority",
    "outcome_proportions",
    "per_image_columns",
    "per_image_table",
    "read_per_image",
    "rank_biserial",
    "significant_disagreement",
]
