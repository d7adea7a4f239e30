"""The jsPsych experiment: a self-contained folder that runs offline in a browser.

Layout of the folder that :func:`build_jspsych_experiment` writes::

    index.html        open as index.html?participant=P001 (without it: a list of participants)
    experiment.js, delivery.js, transports.js
                      the page logic (see varemotion.experiment.page)
    collection.js     where the answers go: window.VAREMOTION_COLLECTION = {"mode": "offline"}
    timeline.js       the design: window.VAREMOTION_DESIGN = {...}
    lib/              jsPsych and its plugins, installed with npm from the pinned package-lock.json
    stimuli/<id>.png  every face of the design (stimuli and catch faces)

The design is a script, not a JSON file, because browsers refuse ``fetch`` of local files opened
through ``file://``. The data jsPsych saves (CSV) is read back with
:func:`varemotion.behavior.read_jspsych`: rating trials carry ``stimulus_id``, catch trials carry
``catch_id`` and ``expected_response`` instead and are therefore skipped by that reader.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from varemotion.atomic import replace_directory
from varemotion.behavior.answers import NON_EMOTION_LABELS, check_non_emotion_answers

from .checks import check_design, check_emotions, check_images, check_labels
from .folders import copy_file, write_text
from .page import (
    COLLECTION_SCRIPT,
    LIB_SCRIPTS,
    LIB_STYLESHEET,
    PAGE_SCRIPTS,
    collection_script,
    index_html,
    page_script,
)

DEFAULT_TITLE = "Facial expressions"
DEFAULT_PROMPT = "Which emotion does this face show?"
TIMELINE_PREFIX = "window.VAREMOTION_DESIGN = "
IMAGE_DIR = "stimuli"
NPM_COMMAND = ("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
PACKAGE_FILES = ("package.json", "package-lock.json")

#: Browser build in node_modules → its name in the experiment's lib/ folder.
BROWSER_FILES = {
    "jspsych/dist/index.browser.min.js": LIB_SCRIPTS[0],
    "@jspsych/plugin-html-button-response/dist/index.browser.min.js": LIB_SCRIPTS[1],
    "@jspsych/plugin-image-button-response/dist/index.browser.min.js": LIB_SCRIPTS[2],
    "@jspsych/plugin-preload/dist/index.browser.min.js": LIB_SCRIPTS[3],
    "jspsych/css/jspsych.css": LIB_STYLESHEET,
}
LICENSES_FILE = "LICENSES.txt"
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)


def _package_files(package_dir: str | os.PathLike[str]) -> list[Path]:
    files = [Path(package_dir) / name for name in PACKAGE_FILES]
    for path in files:
        if not path.is_file():
            raise FileNotFoundError(f"no {path.name} in {package_dir}: the jsPsych package folder needs "
                                    f"{' and '.join(PACKAGE_FILES)}")
    return files


def _npm_ci(folder: Path) -> None:
    """Run ``npm ci`` in ``folder``; RuntimeError with npm's own message when it cannot."""
    command = " ".join(NPM_COMMAND)
    npm = shutil.which(NPM_COMMAND[0])
    if npm is None:
        raise RuntimeError(f"`{command}` cannot run: npm is not installed (install Node.js, which includes npm)")
    env = {**os.environ, "npm_config_update_notifier": "false"}
    try:
        done = subprocess.run([npm, *NPM_COMMAND[1:]], cwd=folder, capture_output=True, text=True,
                              timeout=600, env=env, check=False)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"`{command}` did not finish in {error.timeout:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"`{command}` failed (exit status {done.returncode}):\n"
                           f"{_npm_message(done.stderr or done.stdout)}")


def _npm_message(output: str, max_lines: int = 15) -> str:
    """npm's error lines without blank lines and without the usage text it appends to some errors."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip() not in ("", "npm error", "npm ERR!")]
    errors = [line for line in lines if line.startswith(("npm error", "npm ERR!"))] or lines
    usage = next((n for n, line in enumerate(errors) if line.endswith(" Usage:")), len(errors))
    log = [line for line in errors[usage:] if "complete log" in line]
    return "\n".join(errors[:min(usage, max_lines)] + log)


def _package_name(source: str) -> str:
    """The npm package a path in node_modules belongs to: 'jspsych' or '@jspsych/plugin-preload'."""
    parts = source.split("/")
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


def _licenses(modules: Path) -> str:
    """One line per installed package of the experiment: name, version and licence."""
    lines = ["The files of this folder come from these npm packages:", ""]
    for folder in sorted({_package_name(source) for source in BROWSER_FILES}):
        meta = json.loads((modules / folder / "package.json").read_text(encoding="utf-8"))
        lines.append(f"{meta['name']} {meta['version']} (licence: {meta.get('license', 'see the package')})")
    return "\n".join(lines) + "\n"


def install_jspsych(package_dir: str | os.PathLike[str], dest_dir: str | os.PathLike[str]) -> list[Path]:
    """Install the pinned jsPsych packages with ``npm ci`` and copy their browser builds to ``dest_dir``.

    ``package_dir`` holds package.json and package-lock.json. Source-map comments are removed so
    that the page never refers to the network. Returns the files written (scripts, stylesheet and
    a list of the packages' licences). RuntimeError when npm is missing or fails.
    """
    files = _package_files(package_dir)
    dest_dir = Path(dest_dir)
    written = []
    with tempfile.TemporaryDirectory(prefix="varemotion-jspsych-") as tmp:
        for path in files:
            shutil.copyfile(path, Path(tmp) / path.name)
        _npm_ci(Path(tmp))
        modules = Path(tmp) / "node_modules"
        for source, name in BROWSER_FILES.items():
            path = modules / source
            if not path.is_file():
                raise RuntimeError(f"`{' '.join(NPM_COMMAND)}` installed no {source}: check the package versions "
                                   f"in {package_dir}")
            text = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8")).rstrip() + "\n"
            written.append(write_text(dest_dir / name, text))
        written.append(write_text(dest_dir / LICENSES_FILE, _licenses(modules)))
    return written


def _trial(row) -> dict:
    trial = {"design_trial_index": int(row.trial_index), "image": f"{IMAGE_DIR}/{row.stimulus_id}.png",
             "is_catch": bool(row.is_catch)}
    if row.is_catch:
        return trial | {"catch_id": row.stimulus_id, "expected_response": row.expected_response, "is_train": False}
    return trial | {"stimulus_id": row.stimulus_id, "is_train": bool(row.is_train)}


def timeline_data(design: pd.DataFrame, emotions: Sequence[str], *, title: str = DEFAULT_TITLE,
                  button_labels: Sequence[str] | None = None, prompt: str = DEFAULT_PROMPT,
                  image_height: int | None = None, completion_url: str = "",
                  non_emotion_answers: Sequence[str] = ()) -> dict:
    """What ``timeline.js`` holds: the emotions, button labels and each participant's trials in order.

    ``non_emotion_answers`` ('unclear', 'not_a_face') get buttons after the emotions'
    (``non_emotion_labels``); the page records button index len(emotions) + k for the k-th.
    ``design_id`` is a hash of the emotions, buttons and trials: it tells databases and browser
    storage of one experiment from those of another. ``completion_url`` is where the page sends
    a participant whose answers have all reached the server ('' for nowhere).
    """
    emotions = check_emotions(emotions)
    labels = check_labels(emotions, button_labels)
    others = check_non_emotion_answers(non_emotion_answers)
    table = check_design(design, emotions)
    if image_height is not None and (isinstance(image_height, bool) or not isinstance(image_height, int)
                                     or image_height < 1):
        raise ValueError(f"image_height must be a positive whole number of pixels or None, got {image_height!r}")
    if not isinstance(completion_url, str):
        raise ValueError(f"completion_url must be text (a URL, or '' for none), got {completion_url!r}")
    participants = [{"subject_id": subject, "trials": [_trial(row) for row in rows.itertuples()]}
                    for subject, rows in table.groupby("subject_id", sort=False)]
    content = {"emotions": list(emotions), "button_labels": list(labels), "participants": participants}
    if others:
        content |= {"non_emotion_answers": list(others), "non_emotion_labels": [NON_EMOTION_LABELS[a] for a in others]}
    design_id = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return {"title": str(title), "prompt": str(prompt), "image_height": image_height, "design_id": design_id,
            "completion_url": completion_url.strip(), **content}


def answer_labels(data: Mapping) -> list[str]:
    """Every button of :func:`timeline_data`'s result in order: the emotions', then the non-emotion answers'."""
    return [*data["button_labels"], *data.get("non_emotion_labels", ())]


def face_ids(data: Mapping) -> list[str]:
    """The id of every face shown in :func:`timeline_data`'s result (stimuli and catch faces), once each."""
    trials = [t for p in data["participants"] for t in p["trials"]]
    return list(dict.fromkeys(t["catch_id"] if t["is_catch"] else t["stimulus_id"] for t in trials))


def timeline_script(data: Mapping) -> str:
    """The text of ``timeline.js`` for :func:`timeline_data`'s result."""
    return TIMELINE_PREFIX + json.dumps(data, indent=1, ensure_ascii=True) + ";\n"


def read_timeline(path: str | os.PathLike[str]) -> dict:
    """The design in an exported ``timeline.js`` (the inverse of :func:`timeline_script`)."""
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text.startswith(TIMELINE_PREFIX) or not text.endswith(";"):
        raise ValueError(f"{path} is not a timeline.js written by the experiment export")
    data = json.loads(text[len(TIMELINE_PREFIX):-1])
    if "design_id" not in data:
        raise ValueError(f"{path} comes from an older export without a design id: export the experiment again")
    return data


def write_page_files(folder: Path, data: Mapping, paths: Mapping[str, Path], package_dir, collection: dict,
                     first_scripts: tuple[str, ...] = ()) -> None:
    """Write the experiment page for ``data`` into ``folder``, with answers going where ``collection`` says."""
    install_jspsych(package_dir, folder / "lib")
    for stimulus_id, path in paths.items():
        copy_file(path, folder / IMAGE_DIR / f"{stimulus_id}.png")
    write_text(folder / "timeline.js", timeline_script(data))
    write_text(folder / COLLECTION_SCRIPT, collection_script(collection))
    for name in PAGE_SCRIPTS:
        write_text(folder / name, page_script(name))
    write_text(folder / "index.html", index_html(data["title"], first_scripts))


def build_jspsych_experiment(design: pd.DataFrame, images: Mapping[str, str | os.PathLike[str]],
                             emotions: Sequence[str], out_dir: str | os.PathLike[str],
                             package_dir: str | os.PathLike[str], *, title: str = DEFAULT_TITLE,
                             button_labels: Sequence[str] | None = None, prompt: str = DEFAULT_PROMPT,
                             image_height: int | None = None, completion_url: str = "",
                             non_emotion_answers: Sequence[str] = ()) -> Path:
    """Write the jsPsych experiment for ``design`` to ``out_dir`` (layout: see the module docstring).

    ``images`` maps every stimulus and catch id of the design to a PNG file. Buttons show
    ``button_labels`` (default: the capitalised emotions) in the same order on every trial, then
    those of ``non_emotion_answers``.
    The folder is built aside and then replaces ``out_dir`` as a whole; inputs are checked first
    (ValueError naming the problem) and nothing is written when anything fails.
    """
    data = timeline_data(design, emotions, title=title, button_labels=button_labels, prompt=prompt,
                         image_height=image_height, completion_url=completion_url,
                         non_emotion_answers=non_emotion_answers)
    paths = check_images(face_ids(data), images)
    _package_files(package_dir)
    return replace_directory(out_dir, lambda folder: write_page_files(folder, data, paths, package_dir,
                                                                      {"mode": "offline"}))
