"""Trial-level mixed model: do people agree less with each other on images a classifier finds ambiguous?

Outcome: ``match``, the credit a trial's response gets from the image's majority among the *other*
ratings of that image (leave-one-out majority): 1 when the response is the only most chosen
emotion, 1/m when it is one of m emotions tied for most chosen, 0 otherwise. Counting the trial's
own response in the majority would inflate agreement, most on images with few ratings (with two
ratings, a trial always matches a majority that includes itself); breaking ties by emotion order
would favour the emotions listed first. Images with fewer than 2 ratings have no such majority
and are dropped.

Predictor: the classifier's softmax entropy of the image, standardised across the images in the
model (mean 0, SD 1), so the slope is the change in P(match) per SD of model entropy.

Model: a linear probability model fitted by :class:`statsmodels.regression.mixed_linear_model.MixedLM`
(REML). Entropy varies between images, not within them, so the trials of one image share
whatever the image adds beyond its entropy: with participant intercepts alone the slope's
standard error treats every trial as independent evidence about the image and is several times
too small (pseudo-replication). By default the model has crossed random intercepts for
participants and images and, when that fit converges, an uncorrelated random slope of entropy per
participant (all trials in one group, each effect a variance component). statsmodels builds
those components as sparse matrices (``use_sparse``, from :data:`SPARSE_FROM` trials), which makes the fit of the default run's
12,500 trials, 50 participants and 359 images take about 20 s (30 s with the slope) on one core,
against 75 s with dense ones.

An image-level model (:func:`fit_image_level`: each image's mean credit against its entropy,
weighted least squares with HC3 standard errors, 0.03 s) gives the same slope with a similar
standard error (0.0134 against 0.0119 on the default run, where participant intercepts alone give
0.0041). It is reported beside the mixed model as a check; the mixed model is the main one because
it also estimates the participants' variation (intercepts and slopes) and uses every trial.

MixedLM gives frequentist standard errors, Wald z tests, p-values and confidence intervals;
statsmodels' logistic alternative, BinomialBayesMixedGLM, is fitted by variational Bayes and
reports posterior means and SDs without p-values. With agreement rates well away from 0 and 1, the
linear model is close to the logistic one over the observed range and its slope reads directly
in percentage points. Its residuals are heteroscedastic (bounded outcome), which the standard
errors ignore; check the agreement rates and the fitted values when they approach 0 or 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

from varemotion.behavior.weights import first_rows, weight_matrix
from varemotion.manifest import entropy_column
from varemotion.stats.images import emotions_of

COEFFICIENT_COLUMNS = ["term", "estimate", "se", "z", "p", "ci_low", "ci_high"]
FRAME_COLUMNS = ["subject_id", "stimulus_id", "match", "entropy", "entropy_z"]
OPTIMIZERS = ("lbfgs", "bfgs", "powell", "nm")
CROSSED_OPTIMIZERS = ("lbfgs", "bfgs")
#: Trials from which the variance components are sparse matrices: measured, sparse takes 20 s
#: instead of 75 s for 12,500 trials, but 1.4 s instead of 0.5 s for 600.
SPARSE_FROM = 2000


@dataclass(frozen=True)
class MixedModelResult:
    """Fixed effects (:data:`COEFFICIENT_COLUMNS`), variance components, sizes, convergence and summary text.

    ``image_level`` holds the fixed effects of :func:`fit_image_level` on the same data, where computed.
    """

    coefficients: pd.DataFrame
    subject_variance: float
    stimulus_variance: float | None
    slope_variance: float | None
    residual_variance: float
    n_trials: int
    n_subjects: int
    n_stimuli: int
    converged: bool
    optimizer: str
    summary: str
    warnings: list[str] = field(default_factory=list)
    image_level: pd.DataFrame | None = None

    def estimate(self, term: str) -> float:
        """The estimate of one fixed-effect term."""
        return float(self.coefficients.set_index("term").at[term, "estimate"])


def leave_one_out_credit(trials: pd.DataFrame, emotions: Sequence[str]) -> pd.Series:
    """Each trial's credit from the majority of the other ratings of its image (NaN without others).

    1/m when the response is among the m emotions most chosen by the others, else 0. A trial shared
    among emotions (:mod:`varemotion.behavior.weights`) gets the credit of each of its responses
    times its weight, the others being the image's ratings without the whole trial. Indexed by each
    trial's first row of ``trials`` (every row, without weights).
    """
    emotions = list(emotions)
    bad = sorted(set(trials["response"].astype(str)) - set(emotions))
    if bad:
        raise ValueError(f"responses {bad} are not among the emotions {emotions}")
    rows = first_rows(trials)
    matrix = weight_matrix(trials, emotions)
    stimuli, stimulus_index = np.unique(trials["stimulus_id"].astype(str).to_numpy()[rows], return_inverse=True)
    counts = np.zeros((len(stimuli), len(emotions)))
    np.add.at(counts, stimulus_index, matrix)
    others = counts[stimulus_index] - matrix
    top = np.isclose(others, others.max(axis=1, keepdims=True), rtol=0.0, atol=1e-9)
    credit = (matrix * top).sum(axis=1) / top.sum(axis=1)
    credit[others.sum(axis=1) < 1e-9] = np.nan
    return pd.Series(credit, index=trials.index[rows], name="credit")


def agreement_frame(
    trials: pd.DataFrame, per_image: pd.DataFrame, classifier: str, emotions: Sequence[str] | None = None,
    *, require_enough_ratings: bool = True,
) -> pd.DataFrame:
    """The trial-level data of the agreement model (:data:`FRAME_COLUMNS`).

    Keeps trials of images with at least 2 ratings (and enough ratings, when
    ``require_enough_ratings``); the entropy is standardised across those images.
    """
    emotions = list(emotions) if emotions is not None else list(emotions_of(per_image))
    credit = leave_one_out_credit(trials, emotions)
    trials = trials.loc[credit.index]
    images = per_image[per_image["n_ratings"] >= 2]
    if require_enough_ratings:
        images = images[images["enough_ratings"].astype(bool)]
    entropy = pd.Series(images[entropy_column(classifier)].astype(float).to_numpy(),
                        index=images["stimulus_id"].astype(str).to_numpy())
    stimuli = trials["stimulus_id"].astype(str)
    kept = stimuli.isin(entropy.index).to_numpy() & credit.notna().to_numpy()
    if entropy.std(ddof=1) == 0 or not np.isfinite(entropy.std(ddof=1)):
        raise ValueError(f"{classifier}'s entropy does not vary across the {len(entropy)} usable images")
    frame = pd.DataFrame({
        "subject_id": trials["subject_id"].astype(str).to_numpy()[kept],
        "stimulus_id": stimuli.to_numpy()[kept],
        "match": credit.to_numpy()[kept],
    })
    frame["entropy"] = entropy.loc[frame["stimulus_id"]].to_numpy()
    frame["entropy_z"] = (frame["entropy"] - entropy.mean()) / entropy.std(ddof=1)
    return frame[FRAME_COLUMNS]


def _model(formula: str, data: pd.DataFrame, predictor: str, stimulus_intercepts: bool, slopes: bool):
    if stimulus_intercepts:
        components = {"subject": "0 + C(subject_id)", "stimulus": "0 + C(stimulus_id)"}
        if slopes:
            components["slope"] = f"0 + C(subject_id):{predictor}"
        return MixedLM.from_formula(formula, data.assign(_all=1), groups="_all", re_formula="0",
                                    vc_formula=components, use_sparse=len(data) > SPARSE_FROM)
    return MixedLM.from_formula(formula, data, groups="subject_id", re_formula=f"1 + {predictor}" if slopes else "1")


def _variances(model, result, stimulus_intercepts: bool, slopes: bool) -> dict:
    if stimulus_intercepts:
        components = dict(zip(model.exog_vc.names, np.asarray(result.vcomp, dtype=float)))
        return {"subject_variance": components["subject"], "stimulus_variance": components["stimulus"],
                "slope_variance": components.get("slope")}
    cov = np.asarray(result.cov_re, dtype=float)
    return {"subject_variance": cov[0, 0], "stimulus_variance": None, "slope_variance": cov[1, 1] if slopes else None}


def _coefficients(result, confidence: float) -> pd.DataFrame:
    names = list(result.fe_params.index)
    interval = result.conf_int(alpha=1.0 - confidence).loc[names]
    return pd.DataFrame({
        "term": names, "estimate": result.fe_params.to_numpy(), "se": result.bse_fe.to_numpy(),
        "z": result.tvalues.loc[names].to_numpy(), "p": result.pvalues.loc[names].to_numpy(),
        "ci_low": interval.iloc[:, 0].to_numpy(), "ci_high": interval.iloc[:, 1].to_numpy(),
    })[COEFFICIENT_COLUMNS]


def _slope_start(base_model, base, model) -> MixedLMParams:
    """Start values of the model with slopes: the fit without them, and a small slope variance."""
    components = dict(zip(base_model.exog_vc.names, np.asarray(base.vcomp, dtype=float)))
    slope = 0.1 * components["subject"] + 1e-4
    return MixedLMParams.from_components(fe_params=base.fe_params.to_numpy(), cov_re=np.zeros((0, 0)),
                                         vcomp=np.array([components.get(n, slope) for n in model.exog_vc.names]))


def _fit_with_slopes(formula, data, predictor, stimulus_intercepts, subject_slopes, optimizers):
    """(model, result, optimizer, slopes, notes): the model with slopes where it converges, else without."""
    base_model = _model(formula, data, predictor, stimulus_intercepts, False)
    if not subject_slopes:
        return base_model, *_fit(base_model, optimizers), False, []
    if stimulus_intercepts:  # start from the fit without slopes: the crossed fits are slow from scratch
        base, base_optimizer = _fit(base_model, optimizers)
        model = _model(formula, data, predictor, True, True)
        start = _slope_start(base_model, base, model) if _usable(base) else None
        result, optimizer = _fit(model, optimizers, start)
    else:
        model = _model(formula, data, predictor, False, True)
        result, optimizer = _fit(model, optimizers)
    if _usable(result):
        return model, result, optimizer, True, []
    if not stimulus_intercepts:
        base, base_optimizer = _fit(base_model, optimizers)
    return (base_model, base, base_optimizer, False,
            ["the by-participant slope was dropped: the model with it did not converge"])


def fit_mixed_lpm(
    frame: pd.DataFrame, outcome: str = "match", predictors: Sequence[str] = ("entropy_z",), *,
    stimulus_intercepts: bool = True, subject_slopes: bool = True, confidence: float = 0.95,
    optimizers: Sequence[str] | None = None,
) -> MixedModelResult:
    """Fit ``outcome ~ predictors`` by REML with participant (and image) random intercepts.

    ``subject_slopes`` adds an uncorrelated random slope of the first predictor per participant;
    when no optimiser makes that fit converge, the model without it is returned (with a warning
    in the result). The optimisers (default :data:`OPTIMIZERS`, the gradient-based ones only
    with image intercepts, where the others take minutes) are tried in turn until one converges
    to a finite likelihood with finite standard errors (statsmodels' optimisers fail on different
    data); without one, the fit with the highest finite likelihood is returned with ``converged``
    false.
    """
    formula = f"{outcome} ~ " + " + ".join(predictors)
    data = frame.reset_index(drop=True)
    if optimizers is None:
        optimizers = CROSSED_OPTIMIZERS if stimulus_intercepts else OPTIMIZERS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, result, optimizer, slopes, notes = _fit_with_slopes(formula, data, predictors[0], stimulus_intercepts,
                                                                   subject_slopes, optimizers)
    variances = {k: None if v is None else float(v)
                 for k, v in _variances(model, result, stimulus_intercepts, slopes).items()}
    return MixedModelResult(
        coefficients=_coefficients(result, confidence), **variances, residual_variance=float(result.scale),
        n_trials=len(data), n_subjects=int(data["subject_id"].nunique()),
        n_stimuli=int(data["stimulus_id"].nunique()), converged=_usable(result), optimizer=optimizer,
        summary=str(result.summary()), warnings=notes + sorted({str(w.message) for w in caught}),
    )


def _usable(result) -> bool:
    return bool(result.converged) and np.isfinite(result.llf) and bool(np.isfinite(result.bse_fe).all())


def _fit(model, optimizers: Sequence[str], start_params=None):
    """The first usable REML fit among ``optimizers``, else the one with the highest finite likelihood."""
    best = None
    for name in optimizers:
        try:
            result = model.fit(reml=True, method=[name], start_params=start_params)
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


def fit_image_level(frame: pd.DataFrame, outcome: str = "match", predictor: str = "entropy_z",
                    confidence: float = 0.95) -> pd.DataFrame:
    """Each image's mean ``outcome`` against its ``predictor``: WLS (weights: trials) with HC3 errors.

    Returns the fixed effects in the :data:`COEFFICIENT_COLUMNS` layout.
    """
    images = frame.groupby("stimulus_id", sort=True).agg(**{outcome: (outcome, "mean"), "n": (outcome, "size"),
                                                            predictor: (predictor, "first")})
    result = smf.wls(f"{outcome} ~ {predictor}", images, weights=images["n"]).fit(cov_type="HC3")
    interval = result.conf_int(alpha=1.0 - confidence)
    return pd.DataFrame({
        "term": list(result.params.index), "estimate": result.params.to_numpy(), "se": result.bse.to_numpy(),
        "z": result.tvalues.to_numpy(), "p": result.pvalues.to_numpy(),
        "ci_low": interval.iloc[:, 0].to_numpy(), "ci_high": interval.iloc[:, 1].to_numpy(),
    })[COEFFICIENT_COLUMNS]


def fit_agreement_model(
    trials: pd.DataFrame, per_image: pd.DataFrame, classifier: str, emotions: Sequence[str] | None = None,
    *, stimulus_intercepts: bool = True, subject_slopes: bool = True, require_enough_ratings: bool = True,
    confidence: float = 0.95, optimizers: Sequence[str] | None = None,
) -> MixedModelResult:
    """P(response matches the leave-one-out majority) against standardised model entropy (module docstring)."""
    frame = agreement_frame(trials, per_image, classifier, emotions, require_enough_ratings=require_enough_ratings)
    if frame["subject_id"].nunique() < 2:
        raise ValueError("the agreement model needs trials from at least 2 participants")
    result = fit_mixed_lpm(frame, stimulus_intercepts=stimulus_intercepts, subject_slopes=subject_slopes,
                           confidence=confidence, optimizers=optimizers)
    return replace(result, image_level=fit_image_level(frame, confidence=confidence))
