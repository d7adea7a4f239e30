"""The exported page against the real collection server on 127.0.0.1, in headless Chromium.

A session lands in the database trial by trial; the server is killed mid-session and restarted,
and the page's retries deliver every trial once; a reload resumes at the first unanswered
trial; the database's export equals the clicked trials; bad posts are refused, writing nothing.
"""

from __future__ import annotations

import random
import time

import pandas as pd
import pytest

from collection_helpers import (
    CHROMEDRIVER,
    CHROMIUM,
    EMOTIONS,
    STIMULI,
    Server,
    answer,
    begin,
    export_study,
    needs_npm,
    parse_timeline,
    start_browser,
    wait_until,
)
from varemotion.behavior import read_jspsych
from varemotion.collection.export import export_trials
from varemotion.collection.store import read_snapshot


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    needs_npm()
    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.is_file():
            pytest.skip(f"{program} is not installed (Debian: apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium")
    return export_study(tmp_path_factory.mktemp("collection"))


def design_trials(study, subject):
    data = parse_timeline((study / "jspsych" / "timeline.js").read_text())
    return next(p["trials"] for p in data["participants"] if p["subject_id"] == subject)


def stored(database) -> pd.DataFrame:
    return read_snapshot(database).trials if database.exists() else pd.DataFrame(columns=["trial_index"])


def expected_rows(subject, trials, clicked) -> pd.DataFrame:
    return pd.DataFrame({"subject_id": subject, "trial_index": [t["design_trial_index"] for t in trials],
                         "stimulus_id": [t.get("stimulus_id") for t in trials],
                         "catch_id": [t.get("catch_id") for t in trials],
                         "is_train": [int(t["is_train"]) for t in trials], "response": clicked})


def check_database(database, subject, trials, clicked) -> pd.DataFrame:
    rows = stored(database)
    rows = rows[rows["subject_id"] == subject].sort_values("trial_index").reset_index(drop=True)
    got = rows[["subject_id", "trial_index", "stimulus_id", "catch_id", "is_train", "response"]]
    want = expected_rows(subject, trials, clicked)
    assert got.astype(object).where(got.notna(), None).values.tolist() == \
        want.astype(object).where(want.notna(), None).values.tolist()
    assert (rows["rt_ms"] > 0).all()
    return rows


def test_a_session_lands_trial_by_trial_and_exports_as_clicked(study, tmp_path):
    database = tmp_path / "ratings.sqlite"
    server = Server(study, database).start()
    trials = design_trials(study, "P1")
    driver = start_browser(tmp_path, tmp_path)
    try:
        begin(driver, server.url + "/?participant=P1", "Start")
        counts = []
        clicked = answer(driver, trials, random.Random(3), after_each=lambda n: counts.append(
            wait_until(lambda: len(stored(database)) == n and n, 10, f"trial {n} in the database")))
        assert counts == list(range(1, len(trials) + 1))
        wait_until(lambda: "completed=yes" in driver.current_url, 15, "the redirect to the completion URL")
    finally:
        driver.quit()
        server.stop()
    check_database(database, "P1", trials, clicked)
    files = export_trials(database, jspsych=tmp_path / "data.csv", trials=tmp_path / "trials.csv")
    table = read_jspsych(files["jspsych"], EMOTIONS, STIMULI)
    rated = [(t, c) for t, c in zip(trials, clicked) if not t["is_catch"]]
    expected = pd.DataFrame({"subject_id": "P1", "stimulus_id": [t["stimulus_id"] for t, _ in rated],
                             "response": [EMOTIONS[c] for _, c in rated], "is_train": [t["is_train"] for t, _ in rated]})
    pd.testing.assert_frame_equal(table[["subject_id", "stimulus_id", "response", "is_train"]], expected)
    canonical = pd.read_csv(files["trials"], keep_default_na=False)
    assert canonical["stimulus_id"].tolist() == expected["stimulus_id"].tolist()
    assert canonical["response"].tolist() == expected["response"].tolist()


@pytest.mark.slow
def test_killed_server_loses_nothing_and_a_reload_resumes(study, tmp_path):
    database = tmp_path / "ratings.sqlite"
    server = Server(study, database).start()
    url = server.url + "/?PROLIFIC_PID=5f0a1b2c&STUDY_ID=study-9&SESSION_ID=sess-4"
    trials = design_trials(study, "P1")
    rng = random.Random(11)
    driver = start_browser(tmp_path, tmp_path)
    try:
        begin(driver, url, "Start")
        clicked = answer(driver, trials[:4], rng)
        wait_until(lambda: len(stored(database)) == 4, 10, "the first four trials")
        server.kill()
        clicked += answer(driver, trials[4:8], rng)  # the server is down: the page keeps these
        time.sleep(1.0)
        assert len(stored(database)) == 4
        server.start()
        wait_until(lambda: len(stored(database)) == 8, 40, "the retried trials")
        server.kill()
        clicked += answer(driver, trials[8:10], rng)  # kept in localStorage, unsent
        server.start()
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        driver.get(url)  # a reload resumes after the trials answered here, sent or not
        button = WebDriverWait(driver, 40, poll_frequency=0.05).until(
            ec.element_to_be_clickable((By.CSS_SELECTOR, "#jspsych-html-button-response-btngroup button")))
        assert button.text == "Continue" and "answered 10 of 12" in driver.page_source
        button.click()
        clicked += answer(driver, trials[10:], rng)
        wait_until(lambda: len(stored(database)) == 12, 20, "every trial")
    finally:
        driver.quit()
        server.stop()
    rows = check_database(database, "P1", trials, clicked)
    assert rows["trial_index"].is_unique and len(rows) == len(trials)
    people = read_snapshot(database).participants
    assert people[["subject_id", "prolific_pid", "study_id", "session_id"]].values.tolist() == [
        ["P1", "5f0a1b2c", "study-9", "sess-4"]]


def test_bad_posts_are_refused_and_nothing_is_written(study, tmp_path):
    database = tmp_path / "ratings.sqlite"
    server = Server(study, database, "--max-body", "2048").start()
    try:
        trial = design_trials(study, "P2")[0]
        good = {"subject_id": "P2", "trial_index": trial["design_trial_index"], "response": 1, "rt": 700.0,
                ("catch_id" if trial["is_catch"] else "stimulus_id"): trial.get("catch_id") or trial["stimulus_id"]}
        assert server.post("/api/sessions", {"participant": "P2"})[0] == 200
        before = len(stored(database))
        cases = [
            ({**good, "subject_id": "P7"}, 404, "unknown participant 'P7'"),
            ({**good, "stimulus_id": "S99", "catch_id": None} if not trial["is_catch"] else
             {**good, "catch_id": "C9"}, 422, "unknown stimulus"),
            (b'{"subject_id": "P2", "trial_index": ', 400, "malformed JSON"),
            ({**good, "padding": "x" * 4000}, 413, "larger than the limit of 2048 bytes"),
            (b"subject_id=P2", 415, "must be JSON"),
            ({**good, "response": 7}, 422, "not a button"),
            ({**good, "rt": -3}, 422, "rt must be"),
        ]
        for body, status, message in cases:
            kind = "text/plain" if status == 415 else "application/json"
            code, answer_body = server.post("/api/trials", body, kind)
            assert (code, message in answer_body["error"]) == (status, True), (body, code, answer_body)
        assert server.post("/api/sessions", {"participant": "P8"})[0] == 404
        assert len(stored(database)) == before == 0
        assert server.post("/api/trials", good) == (201, {"stored": True})
        assert server.post("/api/trials", good) == (200, {"stored": False})
        code, body = server.post("/api/trials", {**good, "response": 2})
        assert code == 409 and "another answer" in body["error"]
        assert len(stored(database)) == 1
    finally:
        server.stop()
