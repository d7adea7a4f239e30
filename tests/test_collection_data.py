"""The collection database as ratings: snapshots while the server writes, exports, bad databases, the workflow."""

from __future__ import annotations

import sqlite3
import threading

import pandas as pd
import pytest
import yaml

from collection_helpers import EMOTIONS, STIMULI, Server, manifest, small_design
from conftest import snakemake
from varemotion.behavior.holdout import HOLDOUT_COLUMNS, write_holdout
from varemotion.behavior.ratings import read_ratings
from varemotion.behavior.sqlite import read_sqlite
from varemotion.collection.cli import main as cli_main
from varemotion.collection.export import export_trials
from varemotion.collection.store import TrialStore, read_snapshot
from varemotion.collection.study import Study
from varemotion.data import DataError
from varemotion.experiment.jspsych_export import timeline_data, timeline_script


@pytest.fixture
def study(tmp_path) -> Study:
    """The design of small_design(), as the server reads it (no page files needed)."""
    folder = tmp_path / "experiment" / "jspsych"
    folder.mkdir(parents=True)
    (folder / "timeline.js").write_text(timeline_script(timeline_data(small_design(), EMOTIONS)))
    return Study.load(folder.parent)


def answer_all(store: TrialStore, study: Study, subject: str, limit: int | None = None) -> list[dict]:
    store.start_session(study.subject_ids, participant=subject)
    answers = []
    for n, (index, trial) in enumerate(sorted(study.trials[subject].items())[:limit]):
        face = {"catch_id": trial["catch_id"]} if trial["is_catch"] else {"stimulus_id": trial["stimulus_id"]}
        body = {"subject_id": subject, "trial_index": index, "response": n % len(EMOTIONS), "rt": 400.0 + n, **face}
        store.add_trial(study.trial(body))
        answers.append(body)
    return answers


def test_snapshots_are_consistent_while_trials_arrive(study, tmp_path):
    database = tmp_path / "ratings.sqlite"
    store = TrialStore(database, study.settings())
    store.start_session(study.subject_ids, participant="P1")

    def write():
        # Every trial arrives several times: repeats are the retries of a flaky connection.
        for index in range(12 * 5):
            trial = study.trials["P1"][index % 12]
            store.add_trial({**study.trial({"subject_id": "P1", "trial_index": trial["design_trial_index"],
                                            "response": 0, "rt": 1.0,
                                            ("catch_id" if trial["is_catch"] else "stimulus_id"):
                                                trial.get("catch_id") or trial.get("stimulus_id")})})

    writer = threading.Thread(target=write)
    writer.start()
    snapshots = 0
    try:
        while writer.is_alive() or snapshots < 3:
            snapshot = read_snapshot(database)
            assert snapshot.trials["trial_index"].is_unique
            assert snapshot.study["design_id"] == study.design["design_id"]
            snapshots += 1
    finally:
        writer.join()
        store.close()
    assert len(read_snapshot(database).trials) == 12


def test_export_and_reader_match_the_answers(study, tmp_path):
    database = tmp_path / "ratings.sqlite"
    store = TrialStore(database, study.settings())
    answers = answer_all(store, study, "P1") + answer_all(store, study, "P2", limit=5)
    store.close()
    before = database.read_bytes()
    trials, catch = read_ratings([str(database)], "sqlite", EMOTIONS, STIMULI)
    rated = [a for a in answers if "stimulus_id" in a]
    assert trials[["subject_id", "stimulus_id", "response"]].values.tolist() == [
        [a["subject_id"], a["stimulus_id"], EMOTIONS[a["response"]]] for a in rated]
    assert trials["rt_ms"].tolist() == [a["rt"] for a in rated]
    assert catch["catch_id"].tolist() == [a["catch_id"] for a in answers if "catch_id" in a]
    files = export_trials(database, jspsych=tmp_path / "all.csv", trials=tmp_path / "trials.csv")
    pd.testing.assert_frame_equal(pd.read_csv(files["trials"], keep_default_na=False).drop(columns="rt_ms"),
                                  trials.drop(columns="rt_ms").astype({"is_train": bool}), check_dtype=False)
    assert len(pd.read_csv(files["jspsych"])) == len(answers)
    assert database.read_bytes() == before


def test_a_second_design_is_refused_by_the_database(study, tmp_path):
    database = tmp_path / "ratings.sqlite"
    TrialStore(database, study.settings()).close()
    with pytest.raises(ValueError, match="holds trials of another experiment"):
        TrialStore(database, {**study.settings(), "design_id": "0000"})


def test_bad_databases_are_named_and_nothing_is_written(study, tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database at all, just some text that is long enough " * 20)
    with pytest.raises(DataError, match=r"notes.sqlite: cannot be read as a SQLite database"):
        read_sqlite(text, EMOTIONS, STIMULI)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE things (x)").connection.commit()
    with pytest.raises(DataError, match=r"other.sqlite: has no table 'participants'"):
        read_sqlite(other, EMOTIONS, STIMULI)
    database = tmp_path / "ratings.sqlite"
    store = TrialStore(database, study.settings())
    answer_all(store, study, "P1", limit=3)
    store.close()
    with pytest.raises(DataError, match=r"column 'emotions'.*not the study's"):
        read_sqlite(database, EMOTIONS[:6] + ["contempt"], STIMULI)
    with pytest.raises(DataError, match=r"ratings.sqlite, column 'stimulus_id': value 'S0.' in trials row id \d+ is not a stimulus"):
        read_sqlite(database, EMOTIONS, STIMULI[:1])
    out = tmp_path / "out"
    with pytest.raises(DataError):
        export_trials(text, trials=out / "trials.csv", jspsych=out / "all.csv")
    assert not out.exists()


def test_the_server_refuses_a_database_inside_the_experiment(study, tmp_path):
    with pytest.raises(SystemExit, match="inside the experiment folder"):
        cli_main(["serve", str(study.folder.parent), "--database", str(study.folder / "ratings.sqlite")])


@pytest.mark.slow
def test_the_workflow_ingests_the_database_while_the_server_runs(study, tmp_path):
    """behavior.ratings.format: sqlite builds the trial table from a snapshot of the server's database."""
    work = tmp_path / "work"
    manifest(work / "results" / "stimuli" / "manifest.csv")
    write_holdout(pd.DataFrame(columns=HOLDOUT_COLUMNS), work / "results" / "behavior" / "holdout.csv")
    database = tmp_path / "data" / "ratings.sqlite"
    server = Server(study.folder.parent, database).start()
    try:
        for subject in ("P1", "P2"):
            assert server.post("/api/sessions", {"participant": subject})[0] == 200
            for index, trial in sorted(study.trials[subject].items()):
                face = {"catch_id": trial["catch_id"]} if trial["is_catch"] else {"stimulus_id": trial["stimulus_id"]}
                body = {"subject_id": subject, "trial_index": index, "response": index % 7, "rt": 500.0, **face}
                assert server.post("/api/trials", body)[0] == 201
        config = work / "config.yaml"
        config.write_text(yaml.safe_dump({"behavior": {"source": "ratings", "ratings": {
            "paths": [str(database)], "format": "sqlite", "min_catch_accuracy": 0.0}}}))
        result = snakemake("results/behavior/trials.csv", "--cores", "1", "--configfile", str(config),
                           "--directory", str(work), "--allowed-rules", "ingest_ratings", "trial_table")
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        server.stop()
    trials = pd.read_csv(work / "results" / "behavior" / "trials.csv", keep_default_na=False)
    assert len(trials) == 20 and set(trials["subject_id"]) == {"P1", "P2"}
    participants = pd.read_csv(work / "results" / "behavior" / "ratings" / "participants.csv")
    assert participants["n_catch_trials"].tolist() == [2, 2]
