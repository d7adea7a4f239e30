"""The power analysis: grid cells, infeasible designs, the study's own filter, power and false-positive rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.special

from helpers import POPULATION, from_schema
from varemotion.behavior.simulation import ObserverPopulation
from varemotion.entropy import entropy_bits
from varemotion.stats.power import PAIRED_TEST, POWER_COLUMNS, PowerSettings, power_analysis
from varemotion.stats.study import StatsSettings
from varemotion.stimuli import MANIFEST_COLUMNS, probability_column

EMOTIONS = ["anger", "happiness", "sadness"]
LOOSE = from_schema(StatsSettings, "stats", min_ratings=2)
PEOPLE = from_schema(ObserverPopulation, *POPULATION)


def grid(**values) -> PowerSettings:
    """Power settings of the schema with the design's default share of training trials."""
    return from_schema(PowerSettings, "behavior", "power", train_fraction=0.8, **values)


def study(n_boundary=40, n_control=40, seed=0):
    """Boundary faces split between two emotions; controls clearly one emotion (for front-end and model).

    Boundary image n and control image n share the noise seed n.
    """
    rng = np.random.default_rng(seed)
    ids = [f"b{i:02d}" for i in range(n_boundary)] + [f"c{i:02d}" for i in range(n_control)]
    kinds = ["uncertainty"] * n_boundary + ["control"] * n_control
    gap = np.concatenate([rng.uniform(0, 1, n_boundary), rng.uniform(4, 6, n_control)])
    logits = np.zeros((len(ids), 3))
    logits[:, 0] = gap
    model = scipy.special.softmax(logits + rng.normal(0, 0.2, logits.shape), axis=1)
    manifest = pd.DataFrame({c: "" for c in MANIFEST_COLUMNS}, index=range(len(ids)))
    manifest["stimulus_id"], manifest["kind"] = ids, kinds
    manifest["seed"] = np.r_[np.arange(n_boundary), np.arange(n_control)]
    manifest.loc[:n_boundary - 1, ["guide_a", "target_i", "target_j"]] = ["net", "anger", "happiness"]
    for k, emotion in enumerate(EMOTIONS):
        manifest[probability_column("net", emotion)] = model[:, k]
    manifest["net_entropy"] = entropy_bits(model)
    return manifest, pd.DataFrame(logits, index=ids, columns=EMOTIONS)


def test_power_rises_with_ratings_and_null_observers_stay_near_alpha():
    manifest, logits = study()
    settings = grid(participants=(4, 40), trials_per_participant=(10, 40), n_simulations=6, n_resamples=99)
    table = power_analysis(manifest, logits, ["net"], PEOPLE, settings, LOOSE)
    assert table.columns.tolist() == POWER_COLUMNS
    assert len(table) == 2 * 2 * 3 and set(table["test"]) == {"boundary_vs_control", PAIRED_TEST, "correlation_net"}
    infeasible = table[~table["feasible"]]
    # 4 × 10 = 40 trials cannot cover 80 stimuli: no numbers for that cell.
    assert set(zip(infeasible["n_participants"], infeasible["trials_per_participant"])) == {(4, 10)}
    assert infeasible["power"].isna().all()
    big = table[(table["n_participants"] == 40) & (table["trials_per_participant"] == 40)]
    assert (big["power"] == 1.0).all() and (big["median_effect"] > 0.3).all()
    assert (big["power_ci_low"] < 1.0).all() and (big["ratings_per_image"] == 20).all()
    assert (big["median_images"] == 80).all() and (big["share_too_few"] == 0).all()
    assert (table.loc[table["feasible"], "false_positive_rate"] <= 0.5).all()


def test_power_applies_the_studys_rating_filter():
    """Guards against power computed on images that the main analysis would drop (too few ratings)."""
    manifest, logits = study()
    settings = grid(participants=(8,), trials_per_participant=(40,), n_simulations=3, n_resamples=99)
    strict = power_analysis(manifest, logits, ["net"], PEOPLE, settings, from_schema(StatsSettings, "stats", min_ratings=10))
    loose = power_analysis(manifest, logits, ["net"], PEOPLE, settings, LOOSE)
    # 8 × 40 trials give each of the 80 images 4 ratings: none reaches 10.
    assert (strict["power"] == 0).all() and (strict["share_too_few"] == 1).all()
    assert (strict["median_images"] == 0).all() and strict["note"].str.contains("too few images").all()
    assert (loose.set_index("test").loc["boundary_vs_control", "power"]) > 0.5
    assert (loose["note"].fillna("") == "").all()


def test_extra_tests_run_on_every_simulated_study():
    manifest, logits = study()
    seen = []

    def extra(trials):
        seen.append(len(trials))
        return {"extra": (0.01, 1.0, 0.5)}

    settings = grid(participants=(20,), trials_per_participant=(40,), n_simulations=2, n_resamples=99)
    table = power_analysis(manifest, logits, ["net"], PEOPLE, settings, LOOSE, extra_tests=extra)
    row = table.set_index("test").loc["extra"]
    assert row["power"] == 1.0 and row["false_positive_rate"] == 1.0 and seen == [800] * 4


def test_power_is_low_when_images_do_not_matter():
    manifest, logits = study()
    flat = pd.DataFrame(0.0, index=logits.index, columns=EMOTIONS)
    settings = grid(participants=(20,), trials_per_participant=(40,), n_simulations=8, n_resamples=99)
    table = power_analysis(manifest, flat, ["net"], PEOPLE, settings, LOOSE)
    assert (table["power"] <= 0.5).all()


def test_logits_must_cover_every_stimulus():
    manifest, logits = study()
    settings = grid(participants=(20,), trials_per_participant=(40,), n_simulations=1)
    with pytest.raises(ValueError, match="no row for stimuli \\['c03'\\]"):
        power_analysis(manifest, logits.drop(index="c03"), ["net"], PEOPLE, settings, LOOSE)
