"""The JATOS study archive (checked against JATOS's documented JZIP format) and JATOS result exports.

The page of the archive runs in headless Chromium with a stand-in for jatos.js that keeps what
``jatos.appendResultData`` is given; those data, packed as JATOS exports them, are read back.
"""

from __future__ import annotations

import json
import random
import threading
import zipfile

import pandas as pd
import pytest

from collection_helpers import (
    CHROMEDRIVER,
    CHROMIUM,
    COMPLETION,
    EMOTIONS,
    STIMULI,
    answer,
    begin,
    export_study,
    free_port,
    needs_npm,
    start_browser,
    wait_until,
)
from varemotion.behavior import read_jatos
from varemotion.behavior.ratings import read_ratings
from varemotion.data import DataError

# The fields JATOS's documentation of the JAS file (study archive format, version 3) requires.
JAS_REQUIRED = {"version", "data"}
STUDY_REQUIRED = {"uuid", "title", "dirName", "componentList"}
COMPONENT_REQUIRED = {"uuid", "title", "htmlFilePath"}
BATCH_REQUIRED = {"uuid", "title", "allowedWorkerTypes"}
JATOS_WORKER_TYPES = {"Jatos", "PersonalSingle", "PersonalMultiple", "GeneralSingle", "GeneralMultiple", "MTurk",
                      "MTurkSandbox"}
STAND_IN = """window.jatos = {
  studyResultId: 7, workerId: 42,
  urlQueryParameters: Object.fromEntries(new URLSearchParams(window.location.search)),
  onLoad: function (callback) { window.setTimeout(callback, 0); },
  appendResultData: function (text) {
    return fetch("/append", {method: "POST", body: text}).then(function (r) { if (!r.ok) { throw r.status; } });
  },
  endStudy: function () { fetch("/end", {method: "POST"}); }
};
"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    needs_npm()
    return export_study(tmp_path_factory.mktemp("jatos")) / "jatos" / "study.jzip"


def test_archive_has_the_documented_layout(archive):
    with zipfile.ZipFile(archive) as jzip:
        names = jzip.namelist()
        jas_files = [n for n in names if n.endswith(".jas")]
        assert len(jas_files) == 1 and "/" not in jas_files[0]
        jas = json.loads(jzip.read(jas_files[0]))
        page = jzip.read(f"{jas['data']['dirName']}/index.html").decode()
        collection = jzip.read(f"{jas['data']['dirName']}/collection.js").decode()
    assert JAS_REQUIRED <= set(jas) and jas["version"] == "3"
    study = jas["data"]
    assert STUDY_REQUIRED <= set(study) and jas_files[0] == f"{study['dirName']}.jas"
    assert study["endRedirectUrl"] == COMPLETION and study["groupStudy"] is False
    assert {n.split("/")[0] for n in names} == {study["dirName"], jas_files[0]}
    (component,) = study["componentList"]
    assert COMPONENT_REQUIRED <= set(component) and component["reloadable"] is True
    assert f"{study['dirName']}/{component['htmlFilePath']}" in names
    for batch in study["batchList"]:
        assert BATCH_REQUIRED <= set(batch) and set(batch["allowedWorkerTypes"]) <= JATOS_WORKER_TYPES
    assert f"{study['dirName']}/timeline.js" in names and f"{study['dirName']}/lib/jspsych.js" in names
    assert len([n for n in names if "/stimuli/" in n]) == len(STIMULI) + 2
    assert page.index('src="jatos.js"') < page.index('src="lib/jspsych.js"')
    assert '"mode": "jatos"' in collection


def serve_assets(folder, appended: list[str], ended: list[bool]):
    """The archive's assets and the stand-in's two endpoints, on 127.0.0.1 (uvicorn in a thread)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    async def append(request):
        appended.append((await request.body()).decode())
        return Response(status_code=200)

    async def end(request):
        ended.append(True)
        return Response(status_code=200)

    app = Starlette(routes=[Route("/append", append, methods=["POST"]), Route("/end", end, methods=["POST"]),
                            Mount("/", StaticFiles(directory=folder, html=True))])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10, "the asset server")
    return server, thread


def test_the_jatos_page_appends_every_trial_and_the_exports_read_back(archive, tmp_path):
    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.is_file():
            pytest.skip(f"{program} is not installed (Debian: apt-get install chromium chromium-driver)")
    with zipfile.ZipFile(archive) as jzip:
        jzip.extractall(tmp_path / "jatos")
    assets = next(p for p in (tmp_path / "jatos").iterdir() if p.is_dir())
    (assets / "jatos.js").write_text(STAND_IN)
    trials = next(p["trials"] for p in json.loads((assets / "timeline.js").read_text().split("=", 1)[1].rstrip()
                                                   .rstrip(";"))["participants"] if p["subject_id"] == "P2")
    appended, ended = [], []
    server, thread = serve_assets(assets, appended, ended)
    driver = start_browser(tmp_path, tmp_path)
    try:
        begin(driver, f"http://127.0.0.1:{server.config.port}/?participant=P2&PROLIFIC_PID=abc123", "Start")
        clicked = answer(driver, trials, random.Random(5))
        wait_until(lambda: ended, 15, "jatos.endStudy")
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(timeout=10)
    assert len(appended) == len(trials) and all(text.endswith("\n") for text in appended)
    results = tmp_path / "results.jrzip"
    with zipfile.ZipFile(results, "w") as jrzip:
        jrzip.writestr("metadata.json", "{}")
        jrzip.writestr("study_result_7/comp-result_9/data.txt", "".join(appended) + appended[0])  # one retried append
    table, catch = read_ratings([str(results)], "jatos", EMOTIONS, STIMULI)
    rated = [(t, c) for t, c in zip(trials, clicked) if not t["is_catch"]]
    assert table[["subject_id", "stimulus_id", "response"]].values.tolist() == [
        ["P2", t["stimulus_id"], EMOTIONS[c]] for t, c in rated]
    assert table["is_train"].tolist() == [t["is_train"] for t, _ in rated]
    assert catch["catch_id"].tolist() == [t["catch_id"] for t in trials if t["is_catch"]]
    record = json.loads(appended[0])
    assert (record["design_subject_id"], record["prolific_pid"], record["jatos_study_result_id"]) == ("P2", "abc123", "7")
    data_only = tmp_path / "data_only.txt"
    data_only.write_text("".join(appended))
    pd.testing.assert_frame_equal(read_jatos(data_only, EMOTIONS, STIMULI), table)


def test_bad_jatos_exports_are_named(tmp_path):
    text = tmp_path / "data.txt"
    text.write_text('{"subject_id": "A", "trial_index": 0, "stimulus_id": "S00", "response": 1, "rt": 5}\n'
                    '[1, 2]\n')
    with pytest.raises(DataError, match=r"data.txt, line 2: value '\[1, 2\]' is JSON but not an object"):
        read_jatos(text, EMOTIONS, STIMULI)
    text.write_text('{"subject_id": "A", "trial_index": 0, "stimulus_id": "S00", "response": 1, "rt": 5}\n'
                    '{"subject_id": "A", "trial_index": 0, "stimulus_id": "S00", "response": 4, "rt": 5}\n')
    with pytest.raises(DataError, match=r"line 2, column 'stimulus_id': value 'S00' is rated twice by subject 'A'"):
        read_jatos(text, EMOTIONS, STIMULI)
    empty = tmp_path / "results.jrzip"
    with zipfile.ZipFile(empty, "w") as jrzip:
        jrzip.writestr("metadata.json", "{}")
    with pytest.raises(DataError, match="holds no study_result_\\*/comp-result_\\*/data.txt"):
        read_jatos(empty, EMOTIONS, STIMULI)
