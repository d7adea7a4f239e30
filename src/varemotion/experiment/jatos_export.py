"""The experiment as a JATOS study archive (``.jzip``), for labs that host their studies with JATOS.

A JZIP is a ZIP file holding the study assets folder and a ``.jas`` file, the study properties
as JSON (JATOS's study archive format, ``"version": "3"``)::

    varemotion_<design_id>.jas      study properties: one component (index.html), one batch
    varemotion_<design_id>/         the study assets: the jsPsych page of the exported experiment,
                                    whose index.html loads jatos.js and whose collection.js says
                                    "jatos", so that every trial is appended to the result data

Each answered trial becomes one JSON line of the component's result data
(``jatos.appendResultData``); :func:`varemotion.behavior.read_jatos` reads JATOS's result
exports back. The UUIDs derive from the design id, so importing a new export of the same design
updates the study in JATOS instead of adding a second one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path

from varemotion.atomic import umask, write_atomically

from .folders import write_text
from .jspsych_export import read_timeline
from .page import COLLECTION_SCRIPT, collection_script, index_html

JAS_VERSION = "3"
JATOS_SCRIPT = "jatos.js"
COMPONENT_FILE = "index.html"
#: Every kind of study link except MTurk's, so that the lab chooses how to recruit.
WORKER_TYPES = ["Jatos", "PersonalSingle", "PersonalMultiple", "GeneralSingle", "GeneralMultiple"]


def _uuid(design_id: str, part: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"varemotion:{design_id}:{part}"))


def study_properties(data: dict, dir_name: str) -> dict:
    """The ``.jas`` content for the design ``data`` (see :func:`varemotion.experiment.timeline_data`)."""
    design_id = data["design_id"]
    n_trials = sum(len(p["trials"]) for p in data["participants"])
    return {"version": JAS_VERSION, "data": {
        "uuid": _uuid(design_id, "study"),
        "title": data["title"],
        "description": f"Rating experiment of varemotion: {len(data['participants'])} participants,"
                       f" {n_trials} trials; each trial is one JSON line of the result data.",
        "groupStudy": False,
        "linearStudy": False,
        "allowPreview": False,
        "dirName": dir_name,
        "comments": f"design id {design_id}",
        "jsonData": None,
        "endRedirectUrl": data.get("completion_url", ""),
        "studyEntryMsg": None,
        "componentList": [{"uuid": _uuid(design_id, "component"), "title": "Rating trials",
                           "htmlFilePath": COMPONENT_FILE, "reloadable": True, "active": True,
                           "comments": "Reloading resumes at the first unanswered trial.", "jsonData": None}],
        "batchList": [{"uuid": _uuid(design_id, "batch"), "title": "Default", "active": True,
                       "maxActiveMembers": None, "maxTotalMembers": None, "maxTotalWorkers": None,
                       "allowedWorkerTypes": WORKER_TYPES, "comments": None, "jsonData": None}],
    }}


def _zip_folder(handle, folder: Path, dir_name: str, jas: dict) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{dir_name}.jas", json.dumps(jas, indent=2) + "\n")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{dir_name}/{path.relative_to(folder).as_posix()}")


def build_jatos_archive(jspsych_dir: str | os.PathLike[str], out_file: str | os.PathLike[str]) -> Path:
    """Write a JATOS study archive of the exported jsPsych page in ``jspsych_dir`` to ``out_file``.

    The archive is written through a temporary file, so ``out_file`` is complete or unchanged.
    """
    jspsych_dir = Path(jspsych_dir)
    data = read_timeline(jspsych_dir / "timeline.js")
    dir_name = f"varemotion_{data['design_id']}"
    with tempfile.TemporaryDirectory(prefix="varemotion-jatos-") as tmp:
        assets = Path(tmp) / dir_name
        shutil.copytree(jspsych_dir, assets)
        write_text(assets / COLLECTION_SCRIPT, collection_script({"mode": "jatos"}))
        write_text(assets / COMPONENT_FILE, index_html(data["title"], first_scripts=(JATOS_SCRIPT,)))
        path = write_atomically(out_file, lambda handle: _zip_folder(handle, assets, dir_name,
                                                                     study_properties(data, dir_name)))
    os.chmod(path, 0o666 & ~umask())
    return path
