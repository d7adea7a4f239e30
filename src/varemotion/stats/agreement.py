"""Which images do people genuinely disagree on, beyond the slips of attentive observers?

Human entropy above zero is not by itself evidence of ambiguity: an attentive observer looking at
an unambiguous face still clicks the wrong emotion now and then. An image's entropy counts as
*significantly above zero* when its ratings disagree more than such slips explain:

- H0: each rating differs from the image's answer with probability at most ``error_rate`` (the
  slip rate: estimated from the catch trials, faces with a known answer, by
  :func:`slip_rate_from_catch`, or a config value such as 0.05);
- k = the number of ratings that differ from the majority response, n = the number of ratings;
  one-sided exact binomial test (:func:`scipy.stats.binomtest`, alternative 'greater') of
  k out of n against ``error_rate``. The majority is the answer that fits the data best, so k
  never exceeds the count of ratings that differ from the true answer, and the test keeps its
  level under H0 (it is conservative);
- Benjamini–Hochberg false discovery rate control across images
  (:func:`statsmodels.stats.multitest.multipletests`, 'fdr_bh'): an image is significant when its
  q-value is at most ``alpha``.

The result is the per-image table and the share of significant images, overall and per kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats
from statsmodels.stats.multitest import multipletests

from varemotion.stats.images import emotions_of, human_count_column

AGREEMENT_COLUMNS = ["stimulus_id", "kind", "n_ratings", "n_differing", "p_value", "q_value", "significant"]
SHARE_COLUMNS = ["kind", "n_images", "n_significant", "share"]


@dataclass(frozen=True)
class AgreementResult:
    """Per-image tests (:data:`AGREEMENT_COLUMNS`), the overall share of significant images and shares per kind."""

    images: pd.DataFrame
    shares: pd.DataFrame
    share: float
    n_images: int
    n_significant: int
    error_rate: float
    alpha: float


def catch_error_rate(expected, observed) -> float:
    """The share of catch trials answered with something other than the expected emotion."""
    expected = pd.Series(expected, dtype=object).astype(str).to_numpy()
    observed = pd.Series(observed, dtype=object).astype(str).to_numpy()
    if expected.shape != observed.shape or expected.size == 0:
        raise ValueError("give one observed response per catch trial, and at least one catch trial")
    return float(np.mean(expected != observed))


@dataclass(frozen=True)
class SlipRate:
    """The slip rate used by the test, and where it comes from (``catch`` trials or the ``config``)."""

    rate: float
    source: str
    n_catch: int = 0
    n_errors: int = 0


def slip_rate_from_catch(catch: pd.DataFrame, subjects=None) -> SlipRate:
    """The share of wrong catch answers, as the Jeffreys estimate (k + ½) / (n + 1), never 0 or 1.

    ``catch`` has expected_response and response columns (one row per catch trial); with
    ``subjects``, only their catch trials count (e.g. those left in the trial table).
    """
    if subjects is not None:
        catch = catch[catch["subject_id"].astype(str).isin({str(s) for s in subjects})]
    if catch.empty:
        raise ValueError("there are no catch trials to estimate the slip rate from; set stats.error_rate")
    n = len(catch)
    errors = round(catch_error_rate(catch["expected_response"], catch["response"]) * n)
    return SlipRate(rate=(errors + 0.5) / (n + 1), source="catch", n_catch=n, n_errors=errors)


def differing_from_majority(per_image: pd.DataFrame) -> np.ndarray:
    """For each image, the number of ratings that differ from its majority response.

    Non-emotion answers differ from it where n_ratings counts them (``stats.non_emotion_answers: include``).
    Counts of trials shared among emotions (:mod:`varemotion.behavior.weights`) are fractional; the
    exact binomial test needs whole numbers, so the difference is rounded to the nearest one.
    """
    counts = per_image[[human_count_column(e) for e in emotions_of(per_image)]].to_numpy(dtype=float)
    return _whole(per_image["n_ratings"].to_numpy(dtype=float) - counts.max(axis=1))


def _whole(values: np.ndarray) -> np.ndarray:
    return np.rint(values).astype(np.int64)


def significant_disagreement(
    per_image: pd.DataFrame, error_rate: float, alpha: float = 0.05, *, require_enough_ratings: bool = True,
) -> AgreementResult:
    """Test each rated image's disagreement against the slip rate, with Benjamini–Hochberg across images."""
    if not 0.0 < float(error_rate) < 1.0:
        raise ValueError(f"error_rate must be in (0, 1), got {error_rate!r}")
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    images = per_image[per_image["n_ratings"] > 0]
    if require_enough_ratings:
        images = images[images["enough_ratings"].astype(bool)]
    if images.empty:
        raise ValueError("no rated images to test")
    n = _whole(images["n_ratings"].to_numpy(dtype=float))
    k = differing_from_majority(images)
    p = np.array([scipy.stats.binomtest(int(a), int(b), error_rate, alternative="greater").pvalue
                  for a, b in zip(k, n)])
    significant, q, _, _ = multipletests(p, alpha=alpha, method="fdr_bh")
    table = pd.DataFrame({"stimulus_id": images["stimulus_id"].to_numpy(), "kind": images["kind"].to_numpy(),
                          "n_ratings": n, "n_differing": k, "p_value": p, "q_value": q,
                          "significant": significant.astype(bool)})
    grouped = table.groupby("kind", sort=True)["significant"]
    shares = pd.DataFrame({"n_images": grouped.size(), "n_significant": grouped.sum().astype(int),
                           "share": grouped.mean()}).rename_axis("kind").reset_index()[SHARE_COLUMNS]
    return AgreementResult(images=table, shares=shares, share=float(significant.mean()), n_images=len(table),
                           n_significant=int(significant.sum()), error_rate=float(error_rate), alpha=float(alpha))
