"""Trial-level mixed model: do people agree less with each other on images a classifier finds ambiguous?

Outcome: ``match`` = 1 when a trial's response equals the image's majority among the *other*
ratings of that image (leave-one-out majority, ties to the first emotion in order). Counting the
trial's own response in the majority would inflate agreement, most on images with few ratings
(with two ratings, a trial always matches a majority that includes itself). Images with fewer
than 2 ratings have no such majority and are dropped.

Predictor: the classifier's softmax entropy of the image, standardised across the images in the
model (mean 0, SD 1), so the slope is the change in P(match) per SD of model entropy.

Model: a linear probability model fitted by :class:`statsmodels.regression.mixed_linear_model.MixedLM`
(REML), with a random intercept per participant and, optionally, a crossed random intercept per
image. MixedLM gives frequentist standard errors, Wald z tests, p-values and confidence intervals;
statsmodels' logistic alternative, BinomialBayesMixedGLM, is fitted by variational Bayes and
reports posterior means and SDs without p-values. With agreement rates well away from 0 and 1, the
linear model is close to the logistic one over the observed range and its slope reads directly
in percentage points. Its residuals are heteroscedastic (binary outcome), which the standard
errors ignore; check the agreement rates and the fitted values when they approach 0 or 1.

Entropy varies between images, not within them, so trials of one image share whatever the image
adds beyond its entropy. ``stimulus_intercepts=True`` models that with a crossed image intercept
(all trials in one group, participants and images as variance components), which gives honest
standard errors for the slope but is slower (dense design of participants + images columns).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from varemotion.manifest import entropy_column
from varemotion.stats.images import emotions_of

COEFFICIENT_COLUMNS = ["term", "estimate", "se", "z", "p", "ci_low", "ci_high"]
FRAME_COLUMNS = ["subject_id", "stimulus_id", "match", "entropy", "entropy_z"]
OPTIMIZERS = ("lbfgs", "bfgs", "powell", "nm")


@dataclass(frozen=True)
class MixedModelResult:
    """Fixed effects (:data:`COEFFICIENT_COLUMNS`), variance components, sizes, convergence and summary text."""

    coefficients: pd.DataFrame
    subject_variance: float
    stimulus_variance: float | None
    residual_variance: float
    n_trials: int
    n_subjects: int
    n_stimuli: int
    converged: bool
    optimizer: str
    summary: str
    warnings: list[str] = field(default_factory=list)

    def estimate(self, term: str) -> float:
        """The estimate of one fixed-effect term."""
        return float(self.coefficients.set_index("term").at[term, "estimate"])


def leave_one_out_majority(trials: pd.DataFrame, emotions: Sequence[str]) -> pd.Series:
    """For each trial, the most chosen emotion among the other ratings of its image ('' with none).

    Ties go to the first emotion in ``emotions``. The result is aligned with ``trials``' index.
    """
    emotions = list(emotions)
    stimuli, stimulus_index = np.unique(trials["stimulus_id"].astype(str).to_numpy(), return_inverse=True)
    response_index = pd.Index(emotions, dtype=object).get_indexer(trials["response"].astype(str))
    if (response_index < 0).any():
        bad = sorted(set(trials["response"].astype(str)) - set(emotions))
        raise ValueError(f"responses {bad} are not among the emotions {emotions}")
    counts = np.zeros((len(stimuli), len(emotions)), dtype=np.int64)
    np.add.at(counts, (stimulus_index, response_index), 1)
    others = counts[stimulus_index]
    others[np.arange(len(others)), response_index] -= 1
    names = np.asarray(emotions, dtype=object)[np.argmax(others, axis=1)]
    names[others.sum(axis=1) == 0] = ""
    return pd.Series(names, index=trials.index, name="loo_majority")


def agreement_frame(
    trials: pd.DataFrame, per_image: pd.DataFrame, classifier: str, emotions: Sequence[str] | None = None,
    *, require_enough_ratings: bool = True,
) -> pd.DataFrame:
    """The trial-level data of the agreement model (:data:`FRAME_COLUMNS`).

    Keeps trials of images with at least 2 ratings (and enough ratings, when
    ``require_enough_ratings``); the entropy is standardised across those images.
    """
    emotions = list(emotions) if emotions is not None else list(emotions_of(per_image))
    majority = leave_one_out_majority(trials, emotions)
    images = per_image[per_image["n_ratings"] >= 2]
    if require_enough_ratings:
        images = images[images["enough_ratings"].astype(bool)]
    entropy = pd.Series(images[entropy_column(classifier)].astype(float).to_numpy(),
                        index=images["stimulus_id"].astype(str).to_numpy())
    stimuli = trials["stimulus_id"].astype(str)
    kept = stimuli.isin(entropy.index).to_numpy() & (majority != "").to_numpy()
    if entropy.std(ddof=1) == 0 or not np.isfinite(entropy.std(ddof=1)):
        raise ValueError(f"{classifier}'s entropy does not vary across the {len(entropy)} usable images")
    frame = pd.DataFrame({
        "subject_id": trials["subject_id"].astype(str).to_numpy()[kept],
        "stimulus_id": stimuli.to_numpy()[kept],
        "match": (trials["response"].astype(str) == majority).to_numpy()[kept].astype(float),
    })
    frame["entropy"] = entropy.loc[frame["stimulus_id"]].to_numpy()
    frame["entropy_z"] = (frame["entropy"] - entropy.mean()) / entropy.std(ddof=1)
    return frame[FRAME_COLUMNS]


def fit_mixed_lpm(
    frame: pd.DataFrame, outcome: str = "match", predictors: Sequence[str] = ("entropy_z",), *,
    stimulus_intercepts: bool = False, confidence: float = 0.95, optimizers: Sequence[str] = OPTIMIZERS,
) -> MixedModelResult:
    """Fit ``outcome ~ predictors`` by REML with participant (and optionally image) random intercepts.

    The optimisers are tried in turn until one converges to a finite likelihood with finite
    standard errors (statsmodels' optimisers fail on different data); without one, the fit with
    the highest finite likelihood is returned with ``converged`` false.
    """
    formula = f"{outcome} ~ " + " + ".join(predictors)
    data = frame.reset_index(drop=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if stimulus_intercepts:
            data = data.assign(_all=1)
            model = smf.mixedlm(formula, data, groups="_all", re_formula="0",
                                vc_formula={"subject": "0 + C(subject_id)", "stimulus": "0 + C(stimulus_id)"})
        else:
            model = smf.mixedlm(formula, data, groups="subject_id")
        result, optimizer = _fit(model, optimizers)
    names = list(result.fe_params.index)
    interval = result.conf_int(alpha=1.0 - confidence).loc[names]
    coefficients = pd.DataFrame({
        "term": names, "estimate": result.fe_params.to_numpy(), "se": result.bse_fe.to_numpy(),
        "z": result.tvalues.loc[names].to_numpy(), "p": result.pvalues.loc[names].to_numpy(),
        "ci_low": interval.iloc[:, 0].to_numpy(), "ci_high": interval.iloc[:, 1].to_numpy(),
    })[COEFFICIENT_COLUMNS]
    if stimulus_intercepts:
        components = dict(zip(model.exog_vc.names, np.asarray(result.vcomp, dtype=float)))
        subject_variance, stimulus_variance = components["subject"], components["stimulus"]
    else:
        subject_variance, stimulus_variance = float(result.cov_re.iloc[0, 0]), None
    return MixedModelResult(
        coefficients=coefficients, subject_variance=float(subject_variance),
        stimulus_variance=None if stimulus_variance is None else float(stimulus_variance),
        residual_variance=float(result.scale), n_trials=len(data), n_subjects=int(data["subject_id"].nunique()),
        n_stimuli=int(data["stimulus_id"].nunique()), converged=_usable(result), optimizer=optimizer,
        summary=str(result.summary()), warnings=sorted({str(w.message) for w in caught}),
    )


def _usable(result) -> bool:
    return bool(result.converged) and np.isfinite(result.llf) and bool(np.isfinite(result.bse_fe).all())


def _fit(model, optimizers: Sequence[str]):
    """The first usable REML fit among ``optimizers``, else the one with the highest finite likelihood."""
    best = None
    for name in optimizers:
        try:
            result = model.fit(reml=True, method=[name])
        except (np.linalg.LinAlgError, ValueError) as error:
            warnings.warn(f"MixedLM fit with {name} failed: {error}")
            continue
        if _usable(result):
            return result, name
        if np.isfinite(result.llf) and (best is None or result.llf > best[0].llf):
            best = (result, name)
    if best is None:
        raise RuntimeError(f"MixedLM could not be fitted with any of {list(optimizers)}")
    return best


def fit_agreement_model(
    trials: pd.DataFrame, per_image: pd.DataFrame, classifier: str, emotions: Sequence[str] | None = None,
    *, stimulus_intercepts: bool = False, require_enough_ratings: bool = True, confidence: float = 0.95,
    optimizers: Sequence[str] = OPTIMIZERS,
) -> MixedModelResult:
    """P(response matches the leave-one-out majority) against standardised model entropy, participants random."""
    frame = agreement_frame(trials, per_image, classifier, emotions, require_enough_ratings=require_enough_ratings)
    if frame["subject_id"].nunique() < 2:
        raise ValueError("the agreement model needs trials from at least 2 participants")
    return fit_mixed_lpm(frame, stimulus_intercepts=stimulus_intercepts, confidence=confidence,
                         optimizers=optimizers)
