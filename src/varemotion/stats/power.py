"""Power analysis: how many participants and trials the study's main tests need.

For every cell of a grid (participants × stimulus trials per participant) the study is simulated
``n_simulations`` times on the real stimulus set: a fresh design spreads the trials evenly over
the stimuli (no catch trials), fresh observers answer, and each simulated study goes through the
statistics stage's own steps (:func:`~varemotion.stats.study.image_table` and
:func:`~varemotion.stats.study.main_tests`), with the ``stats`` settings of the run: the images
with fewer than ``stats.min_ratings`` ratings are left out and the entropy estimator is the same.
The tests:

- ``boundary_vs_control`` (sets with control and other kinds): human entropy of boundary (guided)
  images above that of controls (one-sided Mann–Whitney U); the interval is the bootstrap CI of
  the difference in mean entropy (bits), resampling images that share a noise seed together;
- ``boundary_vs_control_paired``: the same, paired by noise seed (one-sided Wilcoxon signed-rank
  test of the per-seed differences);
- ``correlation_<classifier>``: Spearman correlation of the classifier's entropy with human
  entropy (two-sided permutation test); the interval is the bootstrap CI of ρ;
- tests that the caller adds (``extra_tests``, e.g. the alignment stage's individual-vs-group test).

Power is the share of simulations with p < α (with a Wilson 95 % interval); the effect and the CI
width are medians over simulations. The same cells are simulated with null observers, who ignore
the image, so each row also gives the test's false-positive rate, which should be near α. A
simulated study in which the rating filter leaves too few images for a test counts as not
significant; ``share_too_few`` says how often that happened, ``median_images`` how many images the
filter kept, and ``note`` says so in words. Cells where the design is impossible (more trials than
stimuli, or fewer trials in all than stimuli) are kept with ``feasible`` false and no numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from varemotion.behavior.design import DesignSettings, design_trials
from varemotion.behavior.simulated_study import simulate_study
from varemotion.behavior.simulation import ObserverPopulation
from varemotion.manifest import has_boundary_and_control

from .correlation import rated_images
from .study import StatsSettings, image_table, main_tests

POWER_COLUMNS = ["test", "n_participants", "trials_per_participant", "ratings_per_image", "feasible",
                 "n_simulations", "power", "power_ci_low", "power_ci_high", "median_effect", "median_ci_width",
                 "false_positive_rate", "median_images", "share_too_few", "note"]
BOUNDARY_TEST = "boundary_vs_control"
PAIRED_TEST = "boundary_vs_control_paired"
#: What a test gives for one simulated study: p (NaN when too few images), effect and CI width.
Outcome = tuple[float, float, float]
ExtraTests = Callable[[pd.DataFrame], dict[str, Outcome]]


@dataclass(frozen=True)
class PowerSettings:
    """The grid, the number of simulated studies per cell, α, bootstrap/permutation resamples and the seed
    (the ``behavior.power`` section), and the design's share of training trials (``behavior.design``)."""

    participants: tuple[int, ...]
    trials_per_participant: tuple[int, ...]
    n_simulations: int
    alpha: float
    n_resamples: int
    seed: int
    train_fraction: float


def correlation_test(classifier: str) -> str:
    return f"correlation_{classifier}"


def study_tests(trials: pd.DataFrame, manifest: pd.DataFrame, emotions, classifiers, stats: StatsSettings,
                boundary: bool = True) -> tuple[dict[str, Outcome], int]:
    """The main tests of one (simulated) trial table as the statistics stage runs them, and the images kept.

    Without ``boundary`` (a set without boundary and control kinds) only the correlations.
    """
    per_image = image_table(trials, manifest, emotions, classifiers, stats)
    tests = main_tests(per_image, classifiers, stats, methods=("spearman",))
    comparisons = tests.by_kind.comparisons.set_index("kind")
    missing = (np.nan, np.nan, np.nan)
    results = {BOUNDARY_TEST: missing, PAIRED_TEST: missing} if boundary else {}
    if boundary and "guided" in comparisons.index:
        c = comparisons.loc["guided"]
        results = {BOUNDARY_TEST: (c["p_greater"], c["mean_difference"], c["ci_high"] - c["ci_low"]),
                   PAIRED_TEST: (c["p_paired_greater"], c["paired_mean_difference"],
                                 c["paired_ci_high"] - c["paired_ci_low"])}
    for row in tests.correlations.itertuples():
        results[correlation_test(row.classifier)] = (row.p_permutation, row.r, row.ci_high - row.ci_low)
    return results, len(rated_images(per_image))


def _simulated_trials(manifest, logits, population, settings, n_part, n_trials, s) -> tuple[pd.DataFrame, ...]:
    """One simulated study's trials with attentive and with null observers (same design and seed)."""
    stimulus_ids = manifest["stimulus_id"].astype(str).to_numpy()
    seed = int(np.random.SeedSequence([settings.seed, n_part, n_trials, s]).generate_state(1)[0])
    # The simulated studies have no catch trials and hold no stimuli out: their tests need neither.
    design = design_trials(stimulus_ids, DesignSettings(n_part, n_trials, n_part * n_trials // len(stimulus_ids),
                                                        catch_every=0, train_fraction=settings.train_fraction,
                                                        holdout_stimuli=0.0, seed=seed))
    return tuple(simulate_study(design, logits, population, seed, null=null).trials for null in (False, True))


def _note(share_too_few: float, median_images: float, min_ratings: int) -> str:
    if share_too_few == 0:
        return ""
    return (f"in {share_too_few:.0%} of the simulated studies too few images had {min_ratings} ratings for the test"
            f" (median {median_images:g} images kept)")


def _row(test: str, base: dict, runs: list[Outcome], null_p: list[float], images: list[int], settings, stats) -> dict:
    p, effect, width = (np.asarray(v, dtype=float) for v in zip(*runs))
    hits = int((p < settings.alpha).sum())  # NaN p (too few images) is never below α
    low, high = proportion_confint(hits, len(p), alpha=0.05, method="wilson")
    too_few = float(np.isnan(p).mean())
    return {"test": test, **base, "feasible": True, "power": hits / len(p), "power_ci_low": low,
            "power_ci_high": high,
            "median_effect": float(np.nanmedian(effect)) if np.isfinite(effect).any() else np.nan,
            "median_ci_width": float(np.nanmedian(width)) if np.isfinite(width).any() else np.nan,
            "false_positive_rate": float(np.mean(np.asarray(null_p, dtype=float) < settings.alpha)),
            "median_images": float(np.median(images)), "share_too_few": too_few,
            "note": _note(too_few, float(np.median(images)), stats.min_ratings)}


def _cell(manifest, logits, classifiers, population, settings, stats, extra_tests, n_part, n_trials) -> list[dict]:
    n_stimuli = len(manifest)
    base = {"n_participants": n_part, "trials_per_participant": n_trials,
            "ratings_per_image": n_part * n_trials / n_stimuli, "n_simulations": settings.n_simulations}
    boundary = [BOUNDARY_TEST, PAIRED_TEST] if has_boundary_and_control(manifest["kind"]) else []
    tests = boundary + [correlation_test(c) for c in classifiers]
    if n_trials > n_stimuli or n_part * n_trials < n_stimuli:
        return [{"test": t, **base, "feasible": False, "note": "the design is impossible"} for t in tests]
    runs, null_p, images = {}, {}, []
    emotions = list(logits.columns)
    for s in range(settings.n_simulations):
        for null, trials in zip((False, True), _simulated_trials(manifest, logits, population, settings, n_part,
                                                                 n_trials, s)):
            results, kept = study_tests(trials, manifest, emotions, classifiers, stats, boundary=bool(boundary))
            results |= extra_tests(trials) if extra_tests else {}
            for test, outcome in results.items():
                if null:
                    null_p.setdefault(test, []).append(outcome[0])
                else:
                    runs.setdefault(test, []).append(outcome)
            if not null:
                images.append(kept)
    return [_row(test, base, runs[test], null_p[test], images, settings, stats) for test in runs]


def power_analysis(manifest: pd.DataFrame, logits: pd.DataFrame, classifiers, population: ObserverPopulation,
                   settings: PowerSettings, stats: StatsSettings,
                   extra_tests: ExtraTests | None = None) -> pd.DataFrame:
    """The power table (:data:`POWER_COLUMNS`), one row per test and grid cell.

    ``manifest`` is the stimulus manifest; ``logits`` the observer front-end's logits indexed by
    stimulus id (extra rows, e.g. catch faces, are ignored); ``stats`` the statistics stage's
    settings (their resamples and seed replaced by the power analysis's); ``extra_tests`` maps a
    simulated trial table to further {test: (p, effect, CI width)}.
    """
    if settings.n_simulations < 1:
        raise ValueError(f"n_simulations must be at least 1, got {settings.n_simulations}")
    missing = sorted(set(manifest["stimulus_id"].astype(str)) - set(logits.index))
    if missing:
        raise ValueError(f"the logits table has no row for stimuli {missing[:5]}")
    stats = replace(stats, n_resamples=settings.n_resamples, seed=settings.seed)
    logits = logits.loc[manifest["stimulus_id"].astype(str)]
    rows = [row for n_part in settings.participants for n_trials in settings.trials_per_participant
            for row in _cell(manifest, logits, classifiers, population, settings, stats, extra_tests, n_part, n_trials)]
    return pd.DataFrame(rows).reindex(columns=POWER_COLUMNS)
