"""Shared by the experiment and collection tests: a small design and its faces, an exported experiment, the
real server as a process, a manifest, and a headless browser that answers the pages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from varemotion.behavior import DesignSettings, design_trials
from varemotion.emotions import BASIC_EMOTIONS
from varemotion.experiment import export_experiment
from varemotion.manifest import MANIFEST_COLUMNS

REPO = Path(__file__).resolve().parents[1]
COMPLETION = "stimuli/S00.png?completed=yes"
PACKAGE_DIR = REPO / "resources" / "jspsych"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
EMOTIONS = list(BASIC_EMOTIONS)
STIMULI = [f"S{i:02d}" for i in range(12)]
CATCH = {"C1": "happiness", "C2": "anger"}


def small_design() -> pd.DataFrame:
    """2 participants × (10 stimulus trials + 2 catch trials)."""
    settings = DesignSettings(n_participants=2, trials_per_participant=10, min_ratings_per_stimulus=1,
                              catch_every=5, train_fraction=0.8, seed=3, holdout_stimuli=0.0)
    return design_trials(STIMULI, settings, catch_ids=list(CATCH), catch_labels=CATCH)


def make_images(folder: Path) -> dict[str, Path]:
    """One small PNG of a distinct colour per stimulus and catch id."""
    folder.mkdir(parents=True, exist_ok=True)
    images = {}
    for n, face in enumerate(STIMULI + list(CATCH)):
        path = folder / f"{face}.png"
        Image.new("RGB", (24, 24), (20 * n % 256, 90, 255 - 15 * n)).save(path)
        images[face] = path
    return images


def needs_npm() -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the jsPsych experiment installs jsPsych with npm ci")


def parse_timeline(text: str) -> dict:
    prefix = "window.VAREMOTION_DESIGN = "
    assert text.startswith(prefix) and text.rstrip().endswith(";")
    return json.loads(text[len(prefix):].rstrip().rstrip(";"))


def start_browser(tmp_path: Path, downloads: Path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER), log_output=os.devnull),
                              options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def wait_until(condition, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not come true in {timeout} s")


def begin(driver, url: str, label: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    button = WebDriverWait(driver, 20, poll_frequency=0.02).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "#jspsych-html-button-response-btngroup button")))
    assert button.text == label
    button.click()


def answer(driver, trials, rng, after_each=None) -> list[int]:
    """Click a random button on each of ``trials`` (checking its face); the buttons clicked."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 20, poll_frequency=0.02)
    clicked = []
    for trial in trials:
        face = wait.until(ec.presence_of_element_located((By.ID, "jspsych-image-button-response-stimulus")))
        assert face.get_attribute("src").endswith("/" + trial["image"])
        buttons = driver.find_elements(By.CSS_SELECTOR, "#jspsych-image-button-response-btngroup button")
        clicked.append(rng.randrange(len(buttons)))
        buttons[clicked[-1]].click()
        wait.until(ec.staleness_of(face))
        if after_each is not None:
            after_each(len(clicked))
    return clicked


def export_study(root: Path, completion_url: str = COMPLETION) -> Path:
    """The experiment of small_design() (2 participants × 12 trials), exported under root."""
    images = make_images(root / "faces")
    return export_experiment(small_design(), images, EMOTIONS, root / "export", PACKAGE_DIR, title="Test study",
                             completion_url=completion_url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`varemotion serve` run as its own process on 127.0.0.1, started, killed and restarted at will."""

    def __init__(self, experiment: Path, database: Path, *extra: str) -> None:
        self.experiment, self.database, self.extra = experiment, database, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "Server":
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
        command = [sys.executable, "-m", "varemotion.collection.cli", "serve", str(self.experiment),
                   "--database", str(self.database), "--port", str(self.port), *self.extra]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped: {self.process.stdout.read()}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start in time")

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def post(self, path: str, body: bytes | dict, content_type: str = "application/json") -> tuple[int, dict]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def manifest(path: Path) -> Path:
    """A stimulus manifest of the small design's stimuli (the columns the readers need)."""
    table = pd.DataFrame({c: "" for c in MANIFEST_COLUMNS}, index=range(len(STIMULI)))
    table["stimulus_id"], table["kind"] = STIMULI, "control"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path


__all__ = ["CATCH", "COMPLETION", "EMOTIONS", "STIMULI", "Server", "export_study", "free_port", "manifest"]
