"""Checks of an experiment's inputs (design, emotions, button labels, images) before anything is written.

Every check raises ValueError naming the problem (TypeError for an argument of the wrong type),
so that an export either writes everything or nothing. Ids of participants and images become
file names (``<subject_id>.csv``, ``stimuli/<id>.png``), so they are restricted to letters,
digits and ``_ . + -``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from varemotion.behavior.design import DESIGN_COLUMNS

#: Ids usable as file names and in URLs on every system: a letter or digit, then letters, digits, _ . + -.
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def check_emotions(emotions: Sequence[str]) -> tuple[str, ...]:
    """The emotions as a tuple of distinct, non-blank names."""
    if isinstance(emotions, str):
        raise TypeError(f"emotions must be a list of names, got the string {emotions!r}")
    names = tuple(emotions)
    if not names:
        raise ValueError("emotions is empty: give the emotion names, one per response button")
    if not all(isinstance(e, str) and e.strip() for e in names):
        raise ValueError(f"emotions must be non-blank names, got {list(names)}")
    names = tuple(e.strip() for e in names)
    lowered = [e.lower() for e in names]
    if len(set(lowered)) != len(lowered):
        raise ValueError(f"emotions must be distinct (not differing only in case), got {list(names)}")
    return names


def check_labels(emotions: tuple[str, ...], button_labels: Sequence[str] | None) -> tuple[str, ...]:
    """The button labels: capitalised emotion names, or ``button_labels`` (one per emotion, distinct)."""
    if button_labels is None:
        return tuple(e[:1].upper() + e[1:] for e in emotions)
    labels = tuple(button_labels)
    if len(labels) != len(emotions):
        raise ValueError(f"button_labels has {len(labels)} labels for {len(emotions)} emotions {list(emotions)}")
    if not all(isinstance(label, str) and label.strip() for label in labels):
        raise ValueError(f"button_labels must be non-blank text, got {list(labels)}")
    labels = tuple(label.strip() for label in labels)
    if len(set(labels)) != len(labels):
        raise ValueError(f"button_labels must be distinct, got {list(labels)}")
    return labels


def _flags(values: pd.Series, column: str) -> np.ndarray:
    """A column of true/false values (bools, 0/1, or the words true/false/yes/no) as bool."""
    out = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
            out[i] = bool(value)
            continue
        word = str(value).strip().lower() if isinstance(value, str) else None
        if word not in _TRUE + _FALSE:
            raise ValueError(f"design column {column!r} must hold true/false, got {value!r} in row {i}")
        out[i] = word in _TRUE
    return out


def _ids(values: pd.Series, column: str) -> np.ndarray:
    ids = values.astype(object).where(values.notna(), "").astype(str).str.strip().to_numpy(dtype=object)
    bad = [i for i in dict.fromkeys(ids) if not SAFE_ID.fullmatch(i)]
    if bad:
        raise ValueError(f"design column {column!r} has ids unusable as file names: {bad[:5]} "
                         "(use letters, digits and _ . + -, starting with a letter or digit)")
    return ids


def _trial_indices(values: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if np.isnan(numbers).any() or not np.all(numbers == np.round(numbers)):
        raise ValueError("design column 'trial_index' must hold whole numbers")
    return numbers.astype(np.int64)


def _expected(values: pd.Series, is_catch: np.ndarray, emotions: tuple[str, ...]) -> np.ndarray:
    """Each catch trial's expected emotion, spelled as in ``emotions``; None on stimulus trials."""
    names = {e.lower(): e for e in emotions}
    out = np.full(len(values), None, dtype=object)
    for i in np.flatnonzero(is_catch):
        value = values.iat[i]
        name = names.get(value.strip().lower()) if isinstance(value, str) else None
        if name is None:
            raise ValueError(f"catch trial in design row {i} expects {value!r}, which is not one of the "
                             f"emotions {list(emotions)}")
        out[i] = name
    return out


def check_design(design: pd.DataFrame, emotions: tuple[str, ...]) -> pd.DataFrame:
    """The design with typed columns, in participant order (first appearance) and trial order.

    Catch trials get ``is_train`` false and their expected emotion spelled as in ``emotions``.
    """
    if not isinstance(design, pd.DataFrame):
        raise TypeError(f"design must be a pandas DataFrame, got {type(design).__name__}")
    missing = [c for c in DESIGN_COLUMNS if c not in design.columns]
    if missing:
        raise ValueError(f"design lacks the columns {missing} (a design has {DESIGN_COLUMNS})")
    if design.empty:
        raise ValueError("design has no trials")
    is_catch = _flags(design["is_catch"], "is_catch")
    table = pd.DataFrame({
        "subject_id": _ids(design["subject_id"], "subject_id"),
        "trial_index": _trial_indices(design["trial_index"]),
        "stimulus_id": _ids(design["stimulus_id"], "stimulus_id"),
        "is_catch": is_catch,
        "expected_response": _expected(design["expected_response"], is_catch, emotions),
        "is_train": _flags(design["is_train"], "is_train") & ~is_catch,
    }, columns=DESIGN_COLUMNS)
    repeated = table.duplicated(["subject_id", "trial_index"])
    if repeated.any():
        row = table[repeated].iloc[0]
        raise ValueError(f"design repeats trial_index {row['trial_index']} for participant {row['subject_id']!r}")
    order = {s: n for n, s in enumerate(dict.fromkeys(table["subject_id"]))}
    table = table.assign(_order=table["subject_id"].map(order))
    return table.sort_values(["_order", "trial_index"], kind="stable").drop(columns="_order").reset_index(drop=True)


def check_images(ids, images: Mapping[str, str | os.PathLike[str]]) -> dict[str, Path]:
    """The PNG file of each id in ``ids``, checked to exist and to be a PNG."""
    if not isinstance(images, Mapping):
        raise TypeError(f"images must map ids to PNG paths, got {type(images).__name__}")
    given = {str(key).strip(): value for key, value in images.items()}
    wanted = list(dict.fromkeys(ids))
    lacking = [i for i in wanted if i not in given]
    if lacking:
        raise ValueError(f"images has no PNG for {len(lacking)} ids of the design, e.g. {lacking[:5]}")
    paths = {i: Path(given[i]) for i in wanted}
    for i, path in paths.items():
        if not path.is_file():
            raise ValueError(f"image of {i!r} is missing: no file {path}")
        with path.open("rb") as handle:
            if handle.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
                raise ValueError(f"image of {i!r} is not a PNG file: {path}")
    return paths
