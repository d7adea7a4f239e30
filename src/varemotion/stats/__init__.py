"""Statistics: human response entropy per image against the classifiers' softmax entropy.

- :mod:`.images`: the per-image table (human counts, shares, entropy, majority, guidance outcome,
  classifier probabilities and entropies);
- :mod:`.outcomes`: guidance outcome (success, bias, failure) and its proportions per group;
- :mod:`.model_side`: model-side measures beyond one classifier (ensemble entropy, guide disagreement);
- :mod:`.clusters`: images sharing a noise seed (cluster bootstrap, paired differences);
- :mod:`.correlation`: model–human entropy correlation with bootstrap CI and permutation p;
- :mod:`.within`: the correlation within each kind, by guide role and with the kind partialled out;
- :mod:`.groups`: boundary vs control images (Mann–Whitney U, rank-biserial r, bootstrap CI, paired by seed);
- :mod:`.agreement`: images whose disagreement exceeds observers' slips (binomial tests, BH);
- :mod:`.mixed`: trial-level mixed model of agreement against model entropy;
- :mod:`.summary`: the headline numbers as a JSON-serialisable dictionary.
"""

from .agreement import (
    AgreementResult,
    SlipRate,
    catch_error_rate,
    differing_from_majority,
    significant_disagreement,
    slip_rate_from_catch,
)
from .clusters import cluster_bootstrap, paired_comparison, seed_clusters, seed_pairs
from .correlation import CorrelationResult, correlation_table, entropy_correlation, partial_correlation
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
    fit_image_level,
    fit_mixed_lpm,
    leave_one_out_credit,
)
from .outcomes import (
    DEFAULT_THRESHOLDS,
    OUTCOMES,
    OutcomeThresholds,
    classify_outcome,
    outcome_proportions,
)
from .summary import headline_summary, jsonable
from .within import within_kind_table

__all__ = [
    "DEFAULT_THRESHOLDS",
    "OUTCOMES",
    "AgreementResult",
    "CorrelationResult",
    "EntropyByKind",
    "GroupComparison",
    "MixedModelResult",
    "OutcomeThresholds",
    "SlipRate",
    "agreement_frame",
    "catch_error_rate",
    "classify_outcome",
    "cluster_bootstrap",
    "compare_entropy",
    "correlation_table",
    "differing_from_majority",
    "emotions_of",
    "entropy_by_kind",
    "entropy_correlation",
    "fit_agreement_model",
    "fit_image_level",
    "fit_mixed_lpm",
    "headline_summary",
    "human_count_column",
    "human_probability_column",
    "jsonable",
    "leave_one_out_credit",
    "outcome_proportions",
    "paired_comparison",
    "partial_correlation",
    "per_image_columns",
    "per_image_table",
    "read_per_image",
    "rank_biserial",
    "seed_clusters",
    "seed_pairs",
    "significant_disagreement",
    "slip_rate_from_catch",
    "within_kind_table",
]
