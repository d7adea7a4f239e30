"""Reader for JATOS result exports of the experiment's JATOS study (``behavior.ratings.format: jatos``).

The study (``jatos/study.jzip`` of the export) appends each answered trial to its result data as
one JSON object on a line of its own. JATOS exports those data in two ways, both read here:

- a JATOS results archive (``.jrzip``, a ZIP file): every ``study_result_<id>/comp-result_<id>/data.txt``
  in it is read, in name order, without unpacking the archive;
- the data-only text export (or one ``data.txt``): the result data one after another.

Records are read like jsPsych data (button index ``response``, ``rt``, ``is_train``,
``stimulus_id`` or ``catch_id`` with ``expected_response``). A trial that the page sent twice
(a retry after a lost answer) is kept once when both copies agree. Errors name the file (and
the archive member), the line and the field.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pandas as pd

from varemotion.data import DataError

from .jspsych import JSPSYCH_FIELDS, parse_rating_records, records_frame
from .textfiles import read_text, resolve_column_map
from .trials import validate_trials

JATOS_EXPECTED = ("a JATOS result export of the experiment's JATOS study: a results archive (.jrzip) or the"
                  " data-only text export, one JSON trial object per line")
DATA_MEMBER = re.compile(r"(^|/)study_result_\d+/comp-result_\d+/data\.txt$")
#: Fields that tell two copies of one trial apart.
TRIAL_KEY = ("subject_id", "trial_index")


def _archive_texts(path: Path) -> list[tuple[str, str]]:
    """(place, text) of every component result's data in a JATOS results archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(name for name in archive.namelist() if DATA_MEMBER.search(name))
            texts = [(f"{path} ({name})", archive.read(name).decode("utf-8-sig")) for name in members]
    except zipfile.BadZipFile as error:
        raise DataError(path, f"is not a readable ZIP archive ({error})", expected=JATOS_EXPECTED) from None
    except UnicodeDecodeError as error:
        raise DataError(path, f"holds result data that is not UTF-8 text ({error.reason})",
                        expected=JATOS_EXPECTED) from None
    if not members:
        raise DataError(path, "holds no study_result_*/comp-result_*/data.txt: it is not a JATOS results archive",
                        expected=JATOS_EXPECTED)
    return texts


def _lines(place: str, text: str) -> list[tuple[int, dict]]:
    """(line number, object) of every non-blank line of one result data text."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(place, f"is not a JSON object: {error.msg}", row=number, value=line.strip(),
                            expected=JATOS_EXPECTED) from None
        if not isinstance(item, dict):
            raise DataError(place, "is JSON but not an object", row=number, value=line.strip(),
                            expected=JATOS_EXPECTED)
        items.append((number, item))
    return items


def jatos_records(path: str | os.PathLike[str], fields) -> pd.DataFrame:
    """The trial records of a JATOS export as text, with origin columns (file or member, line)."""
    path = Path(path)
    is_zip = path.is_file() and path.read_bytes()[:4] == b"PK\x03\x04"
    texts = _archive_texts(path) if is_zip else [(str(path), read_text(path, JATOS_EXPECTED))]
    places, numbers, items = [], [], []
    for place, text in texts:
        for number, item in _lines(place, text):
            places.append(place)
            numbers.append(number)
            items.append(item)
    if not items:
        raise DataError(path, "holds no trial records", expected=JATOS_EXPECTED)
    records = records_frame(items, [*fields, *TRIAL_KEY, "catch_id", "expected_response"], places, numbers, "line")
    return _without_repeats(records)


def _without_repeats(records: pd.DataFrame) -> pd.DataFrame:
    """Drop later copies of a trial that are identical to an earlier one (a retried append)."""
    if not set(TRIAL_KEY) <= set(records.columns):
        return records
    content = [c for c in records.columns if not c.startswith("_")]
    return records[~records.duplicated(content, keep="first")].reset_index(drop=True)


def parse_jatos(path, emotions, subject_id=None, choices=None, column_map=None, non_emotion_answers=()
                ) -> tuple[pd.DataFrame, dict]:
    """The rating trials of a JATOS export, with origin columns, and the field each column came from."""
    fields = resolve_column_map(column_map, JSPSYCH_FIELDS)
    records = jatos_records(path, fields.values())
    return parse_rating_records(records, Path(path), emotions, fields, is_json=True, subject_id=subject_id,
                                choices=choices, column_map=column_map, non_emotion_answers=non_emotion_answers)


def read_jatos(path: str | os.PathLike[str], emotions, stimulus_ids, subject_id: str | None = None,
               choices=None, column_map: dict | None = None, non_emotion_answers=()) -> pd.DataFrame:
    """Read a JATOS result export of the experiment as the canonical trial table (catch trials left out)."""
    trials, fields = parse_jatos(path, emotions, subject_id, choices, column_map, non_emotion_answers)
    return validate_trials(trials, emotions, stimulus_ids, path, column_names=fields)
