"""PsychoPy conditions files: one CSV per participant for a Builder loop, plus the list of buttons.

``<subject_id>.csv`` has one row per trial in design order with the columns
:data:`CONDITION_COLUMNS`. ``image`` is the face's path relative to the experiment folder (the
folder of the ``.psyexp`` file, against which PsychoPy resolves relative paths). ``stimulus_id``
is blank on catch trials, whose face id is in ``catch_id`` and whose correct answer is in
``expected_response``. ``emotions.csv`` lists the response buttons in order (``index``, 0-based
as jsPsych counts, ``emotion``, ``label``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from varemotion.behavior.answers import NON_EMOTION_LABELS, check_non_emotion_answers

from .checks import check_design, check_emotions, check_images, check_labels
from .folders import copy_file, write_text

CONDITION_COLUMNS = ["trial_index", "image", "stimulus_id", "catch_id", "expected_response", "is_catch", "is_train"]
EMOTION_COLUMNS = ["index", "emotion", "label"]
EMOTIONS_FILE = "emotions.csv"


def _image_dir(image_dir: str) -> PurePosixPath:
    folder = PurePosixPath(str(image_dir).replace("\\", "/"))
    if not str(image_dir).strip() or folder.is_absolute():
        raise ValueError(f"image_dir must be a relative folder such as 'stimuli', got {image_dir!r}")
    return folder


def _csv(table: pd.DataFrame) -> str:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def conditions_table(design: pd.DataFrame, emotions: Sequence[str], image_dir: str = "stimuli") -> pd.DataFrame:
    """All participants' conditions rows (columns ``subject_id`` and :data:`CONDITION_COLUMNS`), in order."""
    table = check_design(design, check_emotions(emotions))
    folder = _image_dir(image_dir)
    catch = table["is_catch"].to_numpy()
    ids = table["stimulus_id"].to_numpy(dtype=object)
    return pd.DataFrame({
        "subject_id": table["subject_id"],
        "trial_index": table["trial_index"],
        "image": [str(folder / f"{i}.png") for i in ids],
        "stimulus_id": np.where(catch, "", ids),
        "catch_id": np.where(catch, ids, ""),
        "expected_response": table["expected_response"].where(catch, "").astype(object),
        "is_catch": catch,
        "is_train": table["is_train"].to_numpy(),
    })


def check_subject_names(subjects) -> None:
    """Raise ValueError when a participant's conditions file would be emotions.csv."""
    if EMOTIONS_FILE.removesuffix(".csv") in set(subjects):
        raise ValueError(f"a participant may not be called 'emotions': {EMOTIONS_FILE} lists the buttons")


def write_psychopy_conditions(design: pd.DataFrame, emotions: Sequence[str], out_dir: str | os.PathLike[str],
                              image_dir: str = "stimuli", *, images: Mapping[str, str | os.PathLike[str]] | None = None,
                              button_labels: Sequence[str] | None = None,
                              non_emotion_answers: Sequence[str] = ()) -> list[Path]:
    """Write ``out_dir/<subject_id>.csv`` for each participant and ``out_dir/emotions.csv``.

    ``image_dir`` is the faces' folder relative to the experiment folder. With ``images`` (id → PNG
    file) the faces are also copied to ``out_dir/image_dir/<id>.png``, which makes ``out_dir`` the
    experiment folder. Inputs are checked before anything is written (ValueError); each file is
    written through a temporary file, so it is complete or left as it was. Files already in
    ``out_dir`` are kept. Returns the conditions files, in participant order, then emotions.csv.
    emotions.csv ends with a row per ``non_emotion_answers`` entry ('unclear', 'not_a_face').
    """
    emotions = check_emotions(emotions)
    labels = check_labels(emotions, button_labels)
    table = conditions_table(design, emotions, image_dir)
    check_subject_names(table["subject_id"])
    out_dir = Path(out_dir)
    if images is not None:
        folder = _image_dir(image_dir)
        if ".." in folder.parts:
            raise ValueError(f"image_dir {image_dir!r} leaves out_dir: to copy images, give a folder inside it")
        ids = np.where(table["is_catch"], table["catch_id"], table["stimulus_id"])
        for face, source in check_images(ids, images).items():
            copy_file(source, out_dir / folder / f"{face}.png")
    written = [write_text(out_dir / f"{subject}.csv", _csv(rows[CONDITION_COLUMNS]))
               for subject, rows in table.groupby("subject_id", sort=False)]
    others = check_non_emotion_answers(non_emotion_answers)
    answers = (*emotions, *others)
    buttons = pd.DataFrame({"index": range(len(answers)), "emotion": answers,
                            "label": [*labels, *(NON_EMOTION_LABELS[a] for a in others)]}, columns=EMOTION_COLUMNS)
    written.append(write_text(out_dir / EMOTIONS_FILE, _csv(buttons)))
    return written
