"""The power analysis: grid cells, infeasible designs, power and false-positive rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from varemotion.behavior.simulation import ObserverPopulation
from varemotion.stats.power import POWER_COLUMNS, PowerSettings, power_analysis

EMOTIONS = ["anger", "happiness", "sadness"]


def study(n_boundary=40, n_control=40, seed=0):
    """Boundary faces split between two emotions; controls clearly one emotion (for front-end and model)."""
    rng = np.random.default_rng(seed)
    ids = [f"b{i:02d}" for i in range(n_boundary)] + [f"c{i:02d}" for i in range(n_control)]
    kinds = ["uncertainty"] * n_boundary + ["control"] * n_control
    gap = np.concatenate([rng.uniform(0, 1, n_boundary), rng.uniform(4, 6, n_control)])
    logits = np.zeros((len(ids), 3))
    logits[:, 0] = gap
    model_entropy = 1.0 / (1.0 + gap) + rng.normal(0, 0.05, len(ids))
    manifest = pd.DataFrame({"stimulus_id": ids, "kind": kinds, "net_entropy": np.clip(model_entropy, 0, None)})
    return manifest, pd.DataFrame(logits, index=ids, columns=EMOTIONS)


def test_power_rises_with_ratings_and_null_observers_stay_near_alpha():
    manifest, logits = study()
    settings = PowerSettings(participants=(4, 40), trials_per_participant=(10, 40), n_simulations=6, n_resamples=99)
    table = power_analysis(manifest, logits, ["net"], ObserverPopulation(), settings)
    assert table.columns.tolist() == POWER_COLUMNS
    assert len(table) == 2 * 2 * 2 and set(table["test"]) == {"boundary_vs_control", "correlation_net"}
    infeasible = table[~table["feasible"]]
    # 4 × 10 = 40 trials cannot cover 80 stimuli: no numbers for that cell.
    assert set(zip(infeasible["n_participants"], infeasible["trials_per_participant"])) == {(4, 10)}
    assert infeasible["power"].isna().all()
    big = table[(table["n_participants"] == 40) & (table["trials_per_participant"] == 40)]
    assert (big["power"] == 1.0).all() and (big["median_effect"] > 0.3).all()
    assert (big["power_ci_low"] < 1.0).all() and (big["ratings_per_image"] == 20).all()
    assert (table.loc[table["feasible"], "false_positive_rate"] <= 0.5).all()


def test_power_is_low_when_images_do_not_matter():
    manifest, logits = study()
    flat = pd.DataFrame(0.0, index=logits.index, columns=EMOTIONS)
    settings = PowerSettings(participants=(20,), trials_per_participant=(40,), n_simulations=8, n_resamples=99)
    table = power_analysis(manifest, flat, ["net"], ObserverPopulation(), settings)
    assert (table["power"] <= 0.5).all()


def test_logits_must_cover_every_stimulus():
    manifest, logits = study()
    settings = PowerSettings(participants=(20,), trials_per_participant=(40,), n_simulations=1)
    with pytest.raises(ValueError, match="no row for stimuli \\['c03'\\]"):
        power_analysis(manifest, logits.drop(index="c03"), ["net"], ObserverPopulation(), settings)
