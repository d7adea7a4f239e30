"""The experiment export: input checks, PsychoPy conditions, timeline.js, and a real browser round trip."""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from collection_helpers import (
    CATCH,
    CHROMEDRIVER,
    CHROMIUM,
    EMOTIONS,
    PACKAGE_DIR,
    STIMULI,
    make_images,
    needs_npm,
    parse_timeline,
    small_design,
    start_browser,
)
from varemotion.atomic import replace_directory
from varemotion.behavior import read_jspsych
from varemotion.experiment import (
    CONDITION_COLUMNS,
    build_jspsych_experiment,
    export_experiment,
    install_jspsych,
    timeline_data,
    timeline_script,
    write_psychopy_conditions,
)

REPO = Path(__file__).resolve().parents[1]
#: The exported experiment offers both non-emotion answers after the emotion buttons.
OTHERS = ["unclear", "not_a_face"]
ANSWERS = EMOTIONS + OTHERS


def get_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The whole experiment for small_design(), exported once for this module."""
    needs_npm()
    root = tmp_path_factory.mktemp("experiment")
    images = make_images(root / "faces")
    return export_experiment(small_design(), images, EMOTIONS, root / "export", PACKAGE_DIR, title="Test study",
                             non_emotion_answers=OTHERS)


# --- input checks -------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (lambda d: d.drop(columns=["is_catch"]), "lacks the columns"),
    (lambda d: d.iloc[0:0], "no trials"),
    (lambda d: d.assign(stimulus_id=d["stimulus_id"].replace("S03", "bad/id")), "unusable as file names"),
    (lambda d: d.assign(expected_response=d["expected_response"].replace("anger", "rage")), "not one of the emotions"),
    (lambda d: d.assign(trial_index=0), "repeats trial_index"),
])
def test_bad_design_is_refused_before_writing(tmp_path, change, message):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=message):
        build_jspsych_experiment(change(small_design()), make_images(tmp_path / "faces"), EMOTIONS, out, PACKAGE_DIR)
    assert not out.exists()


def test_missing_or_bad_images_and_emotions_are_refused(tmp_path):
    design, images = small_design(), make_images(tmp_path / "faces")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="no PNG for 1 ids.*C2"):
        build_jspsych_experiment(design, {k: v for k, v in images.items() if k != "C2"}, EMOTIONS, out, PACKAGE_DIR)
    images["S05"].unlink()
    with pytest.raises(ValueError, match="image of 'S05' is missing"):
        build_jspsych_experiment(design, images, EMOTIONS, out, PACKAGE_DIR)
    images["S05"].write_text("not an image")
    with pytest.raises(ValueError, match="image of 'S05' is not a PNG"):
        write_psychopy_conditions(design, EMOTIONS, out, images=images)
    with pytest.raises(ValueError, match="emotions is empty"):
        build_jspsych_experiment(design, images, [], out, PACKAGE_DIR)
    with pytest.raises(ValueError, match="button_labels has 2 labels for 7 emotions"):
        timeline_data(design, EMOTIONS, button_labels=["A", "B"])
    assert not out.exists()


def test_npm_missing_or_failing_is_a_clear_error(tmp_path, monkeypatch):
    broken = tmp_path / "package"
    shutil.copytree(PACKAGE_DIR, broken)
    meta = json.loads((broken / "package.json").read_text())
    meta["dependencies"]["jspsych"] = "8.2.0"
    (broken / "package.json").write_text(json.dumps(meta))
    old = tmp_path / "experiment"
    old.mkdir()
    (old / "keep.txt").write_text("old export")
    if shutil.which("npm") is not None:
        with pytest.raises(RuntimeError, match="npm ci --ignore-scripts --no-audit --no-fund` failed") as error:
            build_jspsych_experiment(small_design(), make_images(tmp_path / "faces"), EMOTIONS, old, broken)
        assert "in sync" in str(error.value) and "Usage:" not in str(error.value)
        assert [p.name for p in old.iterdir()] == ["keep.txt"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["experiment", "faces", "package"]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="npm is not installed"):
        install_jspsych(PACKAGE_DIR, tmp_path / "lib")


def test_replace_directory_swaps_whole_folders(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier export")

    def failing(folder: Path) -> None:
        (folder / "half.txt").write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_directory(out, failing)
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and [p.name for p in out.iterdir()] == ["stale.txt"]
    replace_directory(out, lambda folder: (folder / "new.txt").write_text("new"))
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and [p.name for p in out.iterdir()] == ["new.txt"]
    assert (out.stat().st_mode & 0o777) == 0o777 & ~get_umask()


# --- PsychoPy conditions and timeline.js ---------------------------------------------------------

def test_psychopy_conditions_follow_the_design(tmp_path):
    design = small_design()
    written = write_psychopy_conditions(design, EMOTIONS, tmp_path, button_labels=[e.upper() for e in EMOTIONS])
    assert [p.name for p in written] == ["P1.csv", "P2.csv", "emotions.csv"]
    for subject, rows in design.groupby("subject_id"):
        table = pd.read_csv(tmp_path / f"{subject}.csv", keep_default_na=False, dtype=str)
        assert list(table.columns) == CONDITION_COLUMNS
        rows = rows.sort_values("trial_index")
        catch = rows["is_catch"].to_numpy()
        assert table["trial_index"].tolist() == [str(i) for i in rows["trial_index"]]
        assert table["image"].tolist() == [f"stimuli/{i}.png" for i in rows["stimulus_id"]]
        assert table["stimulus_id"].tolist() == [("" if c else i) for c, i in zip(catch, rows["stimulus_id"])]
        assert table["catch_id"].tolist() == [(i if c else "") for c, i in zip(catch, rows["stimulus_id"])]
        expected = [CATCH[i] if c else "" for c, i in zip(catch, rows["stimulus_id"])]
        assert table["expected_response"].tolist() == expected
        assert table["is_catch"].tolist() == [str(c) for c in catch]
        assert table["is_train"].tolist() == [str(bool(t)) for t in rows["is_train"]]
    buttons = pd.read_csv(tmp_path / "emotions.csv")
    assert buttons.to_dict("list") == {"index": list(range(7)), "emotion": EMOTIONS,
                                       "label": [e.upper() for e in EMOTIONS]}


def check_timeline(data: dict, design: pd.DataFrame) -> None:
    assert data["emotions"] == EMOTIONS
    assert data["button_labels"] == [e.capitalize() for e in EMOTIONS]
    assert [p["subject_id"] for p in data["participants"]] == list(dict.fromkeys(design["subject_id"]))
    for participant in data["participants"]:
        rows = design[design["subject_id"] == participant["subject_id"]].sort_values("trial_index")
        assert len(participant["trials"]) == len(rows)
        for trial, row in zip(participant["trials"], rows.itertuples()):
            assert trial["design_trial_index"] == row.trial_index
            assert trial["image"] == f"stimuli/{row.stimulus_id}.png"
            assert trial["is_catch"] == row.is_catch
            if row.is_catch:
                assert "stimulus_id" not in trial and trial["is_train"] is False
                assert (trial["catch_id"], trial["expected_response"]) == (row.stimulus_id, row.expected_response)
            else:
                assert "catch_id" not in trial
                assert (trial["stimulus_id"], trial["is_train"]) == (row.stimulus_id, row.is_train)


def test_timeline_script_holds_the_design_in_order():
    design = small_design()
    shuffled = design.sample(frac=1.0, random_state=0)
    check_timeline(parse_timeline(timeline_script(timeline_data(shuffled, EMOTIONS))), design)


def test_export_layout_and_timeline_file(exported):
    design = small_design()
    jspsych = exported / "jspsych"
    check_timeline(parse_timeline((jspsych / "timeline.js").read_text()), design)
    faces = STIMULI + list(CATCH)
    assert sorted(p.name for p in (jspsych / "stimuli").iterdir()) == sorted(f"{f}.png" for f in faces)
    assert sorted(p.name for p in (exported / "psychopy" / "stimuli").iterdir()) == sorted(f"{f}.png" for f in faces)
    lib = sorted(p.name for p in (jspsych / "lib").iterdir())
    assert lib == ["LICENSES.txt", "jspsych.css", "jspsych.js", "plugin-html-button-response.js",
                   "plugin-image-button-response.js", "plugin-preload.js"]
    assert "sourceMappingURL" not in "".join((jspsych / "lib" / name).read_text() for name in lib)
    html = (jspsych / "index.html").read_text()
    assert "http://" not in html and "https://" not in html and "<title>Test study</title>" in html
    assert {"P1.csv", "P2.csv", "emotions.csv"} <= {p.name for p in (exported / "psychopy").iterdir()}
    assert "index.html?participant=P1" in (exported / "README.txt").read_text()
    assert "Disgust, Fear, Unclear, Not a face." in " ".join((exported / "README.txt").read_text().split())
    timeline = parse_timeline((jspsych / "timeline.js").read_text())
    assert timeline["non_emotion_answers"] == OTHERS and timeline["non_emotion_labels"] == ["Unclear", "Not a face"]
    assert "design.non_emotion_labels" in (jspsych / "experiment.js").read_text()
    buttons = pd.read_csv(exported / "psychopy" / "emotions.csv")
    assert buttons["emotion"].tolist() == ANSWERS and buttons["label"].tolist()[-2:] == ["Unclear", "Not a face"]
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]


# --- the browser round trip ----------------------------------------------------------------------


def requested_urls(driver) -> list[str]:
    """Every URL the pages requested so far, from Chromium's performance log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def wait_for_file(path: Path, timeout: float = 15.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_size and not list(path.parent.glob("*.crdownload")):
            return path
        time.sleep(0.05)
    raise AssertionError(f"no download {path.name}; the folder holds {[p.name for p in path.parent.iterdir()]}")


def page_text(driver, url: str, css: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    return WebDriverWait(driver, 10, poll_frequency=0.02).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))).text


def run_session(driver, url: str, trials: list[dict], rng: random.Random, forced: dict[int, int]) -> list[int]:
    """Click Start, then a random button on each trial (``forced``: trial → button); the buttons clicked."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 10, poll_frequency=0.02)
    driver.get(url)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#jspsych-html-button-response-btngroup button"))).click()
    clicked = []
    for trial in trials:
        face = wait.until(ec.presence_of_element_located((By.ID, "jspsych-image-button-response-stimulus")))
        assert face.get_attribute("src").endswith("/" + trial["image"])
        buttons = driver.find_elements(By.CSS_SELECTOR, "#jspsych-image-button-response-btngroup button")
        assert [b.text for b in buttons] == [e.capitalize() for e in EMOTIONS] + ["Unclear", "Not a face"]
        choice = forced.get(len(clicked), rng.randrange(len(buttons)))
        buttons[choice].click()
        clicked.append(choice)
        wait.until(ec.staleness_of(face))
    wait.until(ec.presence_of_element_located((By.ID, "varemotion-save-again")))
    return clicked


def test_browser_round_trip(exported, tmp_path):
    for program in (CHROMIUM, CHROMEDRIVER):
        if not program.is_file():
            pytest.skip(f"{program} is not installed (Debian: apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    index = (exported / "jspsych" / "index.html").as_uri()
    data = parse_timeline((exported / "jspsych" / "timeline.js").read_text())
    trials = data["participants"][0]["trials"]
    driver = start_browser(tmp_path, downloads)
    try:
        listed = page_text(driver, index, "#varemotion-participants").splitlines()
        assert listed == ["P1 (12 trials)", "P2 (12 trials)"]
        assert 'no participant "P9"' in page_text(driver, index + "?participant=P9", "#varemotion-error")
        rated = [n for n, t in enumerate(trials) if not t["is_catch"]]
        forced = {rated[0]: len(EMOTIONS) + 1, rated[1]: len(EMOTIONS)}  # not a face, unclear
        clicked = run_session(driver, index + "?participant=P1", trials, random.Random(7), forced)
        saved = wait_for_file(downloads / "varemotion_P1.csv")
        requested = requested_urls(driver)
    finally:
        driver.quit()

    assert any(url.endswith("/lib/jspsych.js") for url in requested)
    assert not [url for url in requested if url.startswith(("http:", "https:", "ws:", "wss:"))]
    table = read_jspsych(saved, EMOTIONS, STIMULI, non_emotion_answers=OTHERS)
    rated = [(t, c) for t, c in zip(trials, clicked) if not t["is_catch"]]
    assert table["response"].iloc[:2].tolist() == ["not_a_face", "unclear"]
    expected = pd.DataFrame({"subject_id": "P1", "stimulus_id": [t["stimulus_id"] for t, _ in rated],
                             "response": [ANSWERS[c] for _, c in rated],
                             "is_train": [t["is_train"] for t, _ in rated]})
    pd.testing.assert_frame_equal(table[["subject_id", "stimulus_id", "response", "is_train"]], expected,
                                  check_dtype=False)
    assert (table["rt_ms"] > 0).all()
    raw = pd.read_csv(saved, dtype=str, keep_default_na=False)
    catch = raw[raw["catch_id"] != ""]
    assert catch["catch_id"].tolist() == [t["catch_id"] for t in trials if t["is_catch"]]
    assert catch["expected_response"].tolist() == [t["expected_response"] for t in trials if t["is_catch"]]
    assert catch["response"].tolist() == [str(c) for t, c in zip(trials, clicked) if t["is_catch"]]
