"""Power analysis: how many participants and trials the study's main tests need.

For every cell of a grid (participants × stimulus trials per participant) the study is simulated
``n_simulations`` times on the real stimulus set: a fresh design spreads the trials evenly over
the stimuli (no catch trials), fresh observers answer, and the statistics stage's two main tests
are run on the simulated ratings:

- ``boundary_vs_control``: human entropy of boundary (guided) images above that of controls
  (one-sided Mann–Whitney U, :func:`~varemotion.stats.groups.compare_entropy`); the interval is
  the bootstrap CI of the difference in mean entropy (bits);
- ``correlation_<classifier>``: Spearman correlation of the classifier's entropy with human
  entropy (two-sided permutation test, :func:`~varemotion.stats.correlation.entropy_correlation`);
  the interval is the bootstrap CI of ρ.

Power is the share of simulations with p < α (with a Wilson 95 % interval); the CI width is the
median over simulations. The same cells are simulated with null observers, who ignore the image,
so each row also gives the test's false-positive rate, which should be near α. Cells where the
design is impossible (more trials than stimuli, or fewer trials in all than stimuli) are kept with
``feasible`` false and no numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from varemotion.behavior.design import DesignSettings, design_trials
from varemotion.behavior.simulated_study import simulate_study
from varemotion.behavior.simulation import ObserverPopulation
from varemotion.manifest import entropy_column

from .correlation import entropy_correlation
from .groups import compare_entropy
from .images import response_counts, response_shares

POWER_COLUMNS = ["test", "n_participants", "trials_per_participant", "ratings_per_image", "feasible",
                 "n_simulations", "power", "power_ci_low", "power_ci_high", "median_effect", "median_ci_width",
                 "false_positive_rate"]
BOUNDARY_TEST = "boundary_vs_control"


@dataclass(frozen=True)
class PowerSettings:
    """The grid, the number of simulated studies per cell, α, bootstrap/permutation resamples and the seed."""

    participants: tuple[int, ...]
    trials_per_participant: tuple[int, ...]
    n_simulations: int = 20
    alpha: float = 0.05
    n_resamples: int = 199
    seed: int = 0


def correlation_test(classifier: str) -> str:
    return f"correlation_{classifier}"


def _human_entropy(trials: pd.DataFrame, stimulus_ids, emotions) -> np.ndarray:
    return response_shares(response_counts(trials, stimulus_ids, emotions))[1]


def _run_tests(human: np.ndarray, manifest: pd.DataFrame, classifiers, settings: PowerSettings, seed: int) -> dict:
    """{test: (p, effect, ci_width)} for one simulated study; degenerate data count as not significant."""
    results = {}
    boundary = (manifest["kind"] != "control").to_numpy()
    try:
        compared = compare_entropy(human[boundary], human[~boundary], n_resamples=settings.n_resamples, seed=seed)
        results[BOUNDARY_TEST] = (compared.p_greater, compared.mean_difference, compared.ci_high - compared.ci_low)
    except ValueError:
        results[BOUNDARY_TEST] = (1.0, np.nan, np.nan)
    for name in classifiers:
        model = manifest[entropy_column(name)].to_numpy(dtype=float)
        try:
            rho = entropy_correlation(model, human, n_resamples=settings.n_resamples, seed=seed)
            results[correlation_test(name)] = (rho.p_permutation, rho.r, rho.ci_high - rho.ci_low)
        except ValueError:
            results[correlation_test(name)] = (1.0, np.nan, np.nan)
    return results


def _cell(manifest, logits, classifiers, population, settings, n_part, n_trials) -> list[dict]:
    n_stimuli = len(manifest)
    tests = [BOUNDARY_TEST] + [correlation_test(c) for c in classifiers]
    base = {"n_participants": n_part, "trials_per_participant": n_trials,
            "ratings_per_image": n_part * n_trials / n_stimuli, "n_simulations": settings.n_simulations}
    if n_trials > n_stimuli or n_part * n_trials < n_stimuli:
        return [{"test": t, **base, "feasible": False} for t in tests]
    runs = {t: [] for t in tests}
    null_p = {t: [] for t in tests}
    emotions = list(logits.columns)
    stimulus_ids = manifest["stimulus_id"].astype(str).to_numpy()
    for s in range(settings.n_simulations):
        seed = int(np.random.SeedSequence([settings.seed, n_part, n_trials, s]).generate_state(1)[0])
        design = design_trials(stimulus_ids, DesignSettings(n_part, n_trials, n_part * n_trials // n_stimuli,
                                                            seed=seed))
        for null, store in ((False, runs), (True, null_p)):
            trials = simulate_study(design, logits, population, seed, null=null).trials
            for test, result in _run_tests(_human_entropy(trials, stimulus_ids, emotions), manifest, classifiers,
                                           settings, seed).items():
                store[test].append(result if not null else result[0])
    rows = []
    for test in tests:
        p, effect, width = (np.asarray(v, dtype=float) for v in zip(*runs[test]))
        hits = int((p < settings.alpha).sum())
        low, high = proportion_confint(hits, len(p), alpha=0.05, method="wilson")
        rows.append({"test": test, **base, "feasible": True, "power": hits / len(p), "power_ci_low": low,
                     "power_ci_high": high, "median_effect": float(np.nanmedian(effect)) if np.isfinite(effect).any()
                     else np.nan, "median_ci_width": float(np.nanmedian(width)) if np.isfinite(width).any() else np.nan,
                     "false_positive_rate": float(np.mean(np.asarray(null_p[test]) < settings.alpha))})
    return rows


def power_analysis(manifest: pd.DataFrame, logits: pd.DataFrame, classifiers, population: ObserverPopulation,
                   settings: PowerSettings) -> pd.DataFrame:
    """The power table (:data:`POWER_COLUMNS`), one row per test and grid cell.

    ``manifest`` is the stimulus manifest (kind and ``<classifier>_entropy`` columns); ``logits``
    the observer front-end's logits indexed by stimulus id (extra rows, e.g. catch faces, are
    ignored).
    """
    if settings.n_simulations < 1:
        raise ValueError(f"n_simulations must be at least 1, got {settings.n_simulations}")
    missing = sorted(set(manifest["stimulus_id"].astype(str)) - set(logits.index))
    if missing:
        raise ValueError(f"the logits table has no row for stimuli {missing[:5]}")
    logits = logits.loc[manifest["stimulus_id"].astype(str)]
    rows = [row for n_part in settings.participants for n_trials in settings.trials_per_participant
            for row in _cell(manifest, logits, classifiers, population, settings, n_part, n_trials)]
    return pd.DataFrame(rows).reindex(columns=POWER_COLUMNS)
