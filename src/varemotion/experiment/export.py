"""One call that writes the whole experiment: the jsPsych version, the PsychoPy version and a README.

Layout of ``out_dir``::

    README.txt
    jspsych/           the browser experiment (see varemotion.experiment.jspsych_export)
    jatos/study.jzip   the same page as a JATOS study archive (see varemotion.experiment.jatos_export)
    psychopy/          <subject_id>.csv conditions files, emotions.csv and stimuli/<id>.png

The PsychoPy folder has its own copy of the faces, so it can be copied to a lab computer on its
own; its conditions files name the faces as ``stimuli/<id>.png``, relative to that folder, where
the experimenter saves the ``.psyexp`` file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from varemotion.atomic import replace_directory

from .checks import check_images
from .folders import write_text
from .jatos_export import build_jatos_archive
from .jspsych_export import (
    DEFAULT_PROMPT,
    DEFAULT_TITLE,
    answer_labels,
    build_jspsych_experiment,
    face_ids,
    timeline_data,
)
from .psychopy_export import (
    EMOTIONS_FILE,
    check_subject_names,
    write_psychopy_conditions,
)

JATOS_ARCHIVE = "study.jzip"
README = """{title}
{underline}

This folder holds one rating experiment in three versions: {n_participants} participants
({first} … {last}), {n_trials} trials in all. On each trial a face is shown with one
button per emotion (and, where configured, "Unclear" / "Not a face" buttons after them);
the participant clicks the emotion the face shows. The buttons: {labels}.

Online, with the collection server (every trial is stored as it is answered)
  1. Run: varemotion serve {folder_name} --database ratings.sqlite
     (it listens on http://127.0.0.1:8000; --host 0.0.0.0 --port 80 to serve others, best
     behind a web server with HTTPS).
  2. Send each participant the address /?participant={first}, or recruit on Prolific with the
     address /?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}&STUDY_ID={{{{%STUDY_ID%}}}}&SESSION_ID={{{{%SESSION_ID%}}}}:
     the server gives each new Prolific participant the next free participant of the design.
  3. Read the answers with behavior.ratings.format "sqlite" and the database as the path, or
     export them: varemotion export-ratings ratings.sqlite --trials trials.csv --jspsych data.csv

JATOS
  Import jatos/study.jzip in JATOS (Import study). Each trial is appended to the result data
  as one JSON line; export the results (Export results: as a JATOS results archive, or data
  only) and read them with behavior.ratings.format "jatos".

jsPsych (in a web browser, no internet connection needed)
  1. Open jspsych/index.html in a browser (Chrome, Firefox, Edge or Safari). The page lists the
     participants; click one, or open jspsych/index.html?participant={first} directly.
  2. The participant clicks Start and answers every trial.
  3. At the end the browser saves the answers as varemotion_<participant>.csv (usually in the
     Downloads folder). A button on the last screen saves them again if needed.
  4. Read the files with varemotion.behavior.read_jspsych (or ingest, format "jspsych").
  The folder can also be put on a web server as it is.

PsychoPy (Builder)
  1. Save your .psyexp experiment in the psychopy folder.
  2. Add a loop around the trial routine with loopType "sequential" and the conditions file
     psychopy/{first}.csv (one file per participant, rows in trial order).
  3. Show $image in an Image component and one button per row of psychopy/{emotions_file}
     (column label), in that order. Columns: trial_index, image, stimulus_id (blank on catch
     trials), catch_id, expected_response (the correct answer on catch trials), is_catch, is_train.
  4. Save the clicked emotion and stimulus_id with each trial; catch trials (is_catch) are
     attention checks, not ratings.
"""


def _readme(data: dict, folder_name: str) -> str:
    subjects = [p["subject_id"] for p in data["participants"]]
    return README.format(title=data["title"], underline="=" * len(data["title"]), n_participants=len(subjects),
                         first=subjects[0], last=subjects[-1], labels=", ".join(answer_labels(data)),
                         n_trials=sum(len(p["trials"]) for p in data["participants"]), emotions_file=EMOTIONS_FILE,
                         folder_name=folder_name)


def export_experiment(design: pd.DataFrame, images: Mapping[str, str | os.PathLike[str]], emotions: Sequence[str],
                      out_dir: str | os.PathLike[str], package_dir: str | os.PathLike[str], *,
                      title: str = DEFAULT_TITLE, button_labels: Sequence[str] | None = None,
                      prompt: str = DEFAULT_PROMPT, image_height: int | None = None,
                      completion_url: str = "", non_emotion_answers: Sequence[str] = ()) -> Path:
    """Write ``out_dir/jspsych``, ``out_dir/jatos``, ``out_dir/psychopy`` and ``out_dir/README.txt``.

    Keyword arguments are those of :func:`build_jspsych_experiment`; ``button_labels`` also fill
    the label column of psychopy/emotions.csv. ``out_dir`` is built aside and replaces any
    existing folder of that name as a whole; nothing is written when anything fails.
    """
    options = {"title": title, "button_labels": button_labels, "prompt": prompt, "image_height": image_height,
               "completion_url": completion_url, "non_emotion_answers": tuple(non_emotion_answers)}
    data = timeline_data(design, emotions, **options)
    check_subject_names(p["subject_id"] for p in data["participants"])
    check_images(face_ids(data), images)

    def build(folder: Path) -> None:
        build_jspsych_experiment(design, images, emotions, folder / "jspsych", package_dir, **options)
        build_jatos_archive(folder / "jspsych", folder / "jatos" / JATOS_ARCHIVE)
        write_psychopy_conditions(design, emotions, folder / "psychopy", images=images, button_labels=button_labels,
                                  non_emotion_answers=options["non_emotion_answers"])
        write_text(folder / "README.txt", _readme(data, os.fspath(out_dir)))

    return replace_directory(out_dir, build)
