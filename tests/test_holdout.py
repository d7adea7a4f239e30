"""Held-out stimuli: drawn by noise seed, never trained on in the design, and the rule for ratings without is_train."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from varemotion.behavior import DesignSettings, design_trials, ingest
from varemotion.behavior.holdout import assign_train, holdout_stimuli, read_holdout, write_holdout
from varemotion.behavior.ingest import TrainRule
from varemotion.data import DataError


def manifest(n_seeds=20, kinds=("uncertainty", "controversial", "control")) -> pd.DataFrame:
    rows = [{"stimulus_id": f"{kind}-{seed:03d}", "kind": kind, "seed": seed} for kind in kinds for seed in range(n_seeds)]
    return pd.DataFrame(rows)


def test_holdout_takes_whole_seed_clusters():
    table = manifest()
    held = holdout_stimuli(table, 0.25, seed=0)
    assert len(held) == 15 and held["seed"].nunique() == 5  # 5 of 20 seeds, with all 3 kinds of each
    assert (held.groupby("seed")["kind"].nunique() == 3).all()
    assert held.equals(holdout_stimuli(table, 0.25, seed=0)) and not held.equals(holdout_stimuli(table, 0.25, seed=1))
    assert holdout_stimuli(table, 0.0, seed=0).empty
    with pytest.raises(ValueError, match="holdout_stimuli"):
        holdout_stimuli(table, 1.0, seed=0)


def test_holdout_table_round_trip_and_a_missing_column(tmp_path):
    held = holdout_stimuli(manifest(), 0.2, seed=0)
    write_holdout(held, tmp_path / "holdout.csv")
    assert read_holdout(tmp_path / "holdout.csv")["stimulus_id"].tolist() == held["stimulus_id"].tolist()
    (tmp_path / "bad.csv").write_text("id\nx\n")
    with pytest.raises(DataError, match="stimulus_id"):
        read_holdout(tmp_path / "bad.csv")


def test_no_participant_trains_on_a_held_out_stimulus():
    """Guards item 3: the 'after alignment' evaluation needs stimuli nobody trained on."""
    table = manifest()
    held = set(holdout_stimuli(table, 0.2, seed=0)["stimulus_id"])
    settings = DesignSettings(n_participants=12, trials_per_participant=40, min_ratings_per_stimulus=8,
                              holdout_stimuli=0.2, catch_every=0, train_fraction=0.8, seed=0)
    design = design_trials(table["stimulus_id"], settings, holdout=held)
    on_held = design["stimulus_id"].isin(held)
    assert on_held.any() and not design.loc[on_held, "is_train"].any()
    per_participant = design[~on_held].groupby("subject_id")["is_train"].agg(["sum", "size"])
    assert (per_participant["sum"] == np.minimum(32, per_participant["size"])).all()  # round(0.8 × 40)


def test_without_held_out_stimuli_the_design_is_unchanged():
    ids = manifest()["stimulus_id"]
    settings = DesignSettings(n_participants=12, trials_per_participant=40, min_ratings_per_stimulus=8, catch_every=0,
                              train_fraction=0.8, holdout_stimuli=0.0, seed=0)
    design = design_trials(ids, settings)
    assert (design.groupby("subject_id")["is_train"].sum() == 32).all()
    pd.testing.assert_frame_equal(design, design_trials(ids, settings, holdout=()))
    with pytest.raises(ValueError, match="not among the stimulus_ids"):
        design_trials(ids, settings, holdout={"ghost"})


def test_ratings_without_is_train_get_the_designs_rule(tmp_path):
    """Guards against ingested tables without is_train silently becoming all training trials."""
    stimuli = manifest(n_seeds=10)["stimulus_id"].tolist()
    rows = [f"p{s},{stimulus},happiness" for s in range(3) for stimulus in stimuli]
    path = tmp_path / "ratings.csv"
    path.write_text("subject_id,stimulus_id,response\n" + "\n".join(rows) + "\n")
    held = frozenset(stimuli[:3])
    trials = ingest([path], "table", ["neutral", "happiness"], stimuli, train_rule=TrainRule(held, 0.5, 0))
    assert not trials.loc[trials["stimulus_id"].isin(held), "is_train"].any()
    assert (trials.groupby("subject_id")["is_train"].sum() == 15).all()  # round(0.5 × 30) of the 27 others
    assert ingest([path], "table", ["neutral", "happiness"], stimuli)["is_train"].all()  # no rule: as before
    flagged = tmp_path / "flagged.csv"
    flagged.write_text("subject_id,stimulus_id,response,is_train\n" + "\n".join(r + ",false" for r in rows) + "\n")
    given = ingest([flagged], "table", ["neutral", "happiness"], stimuli, train_rule=TrainRule(held, 0.5, 0))
    assert not given["is_train"].any()  # the file's own flags are kept


def test_assign_train_is_deterministic_and_per_subject():
    trials = pd.DataFrame({"subject_id": np.repeat(["a", "b"], [10, 4]), "stimulus_id": [f"s{i}" for i in range(14)]})
    flags = assign_train(trials, {"s0"}, 0.5, seed=3)
    assert flags.tolist() == assign_train(trials, {"s0"}, 0.5, seed=3).tolist()
    assert flags[:10].sum() == 5 and flags[10:].sum() == 2 and not flags[0]


def test_jatos_ratings_without_is_train_get_the_designs_rule(tmp_path):
    """The workflow's reader hands the rule on to every format, JATOS exports included."""
    import json

    from varemotion.behavior.ratings import read_ratings

    stimuli = manifest(n_seeds=4)["stimulus_id"].tolist()
    lines = [json.dumps({"subject_id": f"p{s}", "trial_index": i, "stimulus_id": stimulus, "response": 1, "rt": 5})
             for s in range(2) for i, stimulus in enumerate(stimuli)]
    path = tmp_path / "data.txt"
    path.write_text("\n".join(lines) + "\n")
    held = frozenset(stimuli[:3])
    trials, answers = read_ratings([path], "jatos", ["neutral", "happiness"], stimuli, train_rule=TrainRule(held, 0.5, 0))
    assert not trials.loc[trials["stimulus_id"].isin(held), "is_train"].any()
    assert (trials.groupby("subject_id")["is_train"].sum() == 6).all() and answers.empty
