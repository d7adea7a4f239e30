"""Loader for FER+ (FER2013 faces with 10 crowd votes each, Barsoum et al. 2016).

Layout under ``root``: ``fer2013new.csv`` plus the PNG folders ``FER2013Train/``,
``FER2013Valid/`` and ``FER2013Test/``. Images are joined to votes by image name, never by row.

Label rules:

- rows without an image name, and every row of a name that occurs more than once, are dropped;
- a face is dropped when its NF (not a face) count is larger than every other column, i.e. when
  NF is the argmax of all ten vote columns, as in the FER+ reference code;
- a face is dropped when it has fewer than ``min_votes`` votes for the chosen emotions;
- soft label = the votes for the chosen emotions, renormalised ('unknown', 'NF' and emotions not
  chosen are excluded);
- hard label = the chosen emotion with most votes; a tie goes to the emotion listed first in
  ``emotions`` (numpy argmax, as in the FER+ reference code).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..emotions import BASIC_EMOTIONS
from .errors import DataError
from .fer2013_csv import read_csv_table
from .images import read_images
from .splits import LoadReport, Split, SplitSet

CSV_NAME = "fer2013new.csv"
NAME_COLUMN = "Image name"
USAGE_COLUMN = "Usage"
#: The vote columns of fer2013new.csv, in file order.
VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
                "contempt", "unknown", "NF")
FERPLUS_EMOTIONS = VOTE_COLUMNS[:8]
#: split name → (Usage value, image folder)
SPLITS = {"train": ("Training", "FER2013Train"), "val": ("PublicTest", "FER2013Valid"),
          "test": ("PrivateTest", "FER2013Test")}


def _check_values(csv_path: Path, table: pd.DataFrame) -> np.ndarray:
    """Check Usage and vote values; return the votes as int64 (rows, 10)."""
    usages = {usage for usage, _ in SPLITS.values()}
    bad = ~table[USAGE_COLUMN].isin(usages)
    if bad.any():
        row = table[bad].iloc[0]
        raise DataError(csv_path, "is not a known Usage", row=int(row["line"]), column=USAGE_COLUMN,
                        value=row[USAGE_COLUMN], expected=", ".join(sorted(usages)))
    votes = np.empty((len(table), len(VOTE_COLUMNS)), dtype=np.int64)
    for j, column in enumerate(VOTE_COLUMNS):
        numbers = pd.to_numeric(table[column], errors="coerce")
        bad = numbers.isna() | (numbers < 0) | (numbers % 1 != 0)
        if bad.any():
            row = table[bad].iloc[0]
            raise DataError(csv_path, "is not a vote count", row=int(row["line"]), column=column,
                            value=row[column], expected="a whole number ≥ 0")
        votes[:, j] = numbers.to_numpy(dtype=np.int64)
    return votes


def _select_faces(table, votes, emotions, min_votes, report):
    """Apply the drop rules; return the kept rows' boolean mask."""
    named = table[NAME_COLUMN] != ""
    report.drop("rows without an image name (no image)", (~named).sum())
    repeated = named & table[NAME_COLUMN].duplicated(keep=False)
    if repeated.any():
        names = table.loc[repeated, NAME_COLUMN].nunique()
        report.drop(f"rows sharing an image name with another row ({names} names; ambiguous votes)",
                    repeated.sum())
    keep = (named & ~repeated).to_numpy().copy()

    nf = VOTE_COLUMNS.index("NF")
    not_face = votes[:, nf] > np.delete(votes, nf, axis=1).max(axis=1)
    report.drop("faces with most votes for NF (not a face)", (keep & not_face).sum())
    keep = keep & ~not_face

    chosen = votes[:, [VOTE_COLUMNS.index(e) for e in emotions]].sum(axis=1)
    too_few = chosen < min_votes
    reason = "no votes" if min_votes == 1 else f"fewer than {min_votes} votes"
    report.drop(f"faces with {reason} for the chosen emotions", (keep & too_few).sum())
    return keep & ~too_few


def _split_images(root: Path, csv_path: Path, rows: pd.DataFrame, name: str, image_size: int):
    """Read the PNGs of one split's rows from its folder, checking each file exists first."""
    usage, folder = SPLITS[name]
    directory = root / folder
    if not directory.is_dir():
        raise DataError(directory, "image folder does not exist",
                        expected=f"the PNGs of the rows with Usage == {usage!r}")
    present = set(os.listdir(directory))
    missing = ~rows[NAME_COLUMN].isin(present)
    if missing.any():
        row = rows[missing].iloc[0]
        raise DataError(csv_path, f"has no image file in {directory} ({missing.sum()} such rows)",
                        row=int(row["line"]), column=NAME_COLUMN, value=row[NAME_COLUMN])
    paths = [str(directory / image_name) for image_name in rows[NAME_COLUMN]]
    return read_images(paths, image_size, grey=True)


def _check_emotions(emotions) -> tuple[str, ...]:
    emotions = tuple(emotions)
    unknown = [e for e in emotions if e not in FERPLUS_EMOTIONS]
    if unknown or not emotions or len(set(emotions)) != len(emotions):
        raise ValueError(f"emotions must be distinct names from {list(FERPLUS_EMOTIONS)}, got {list(emotions)}")
    return emotions


def load_ferplus(
    root: str | os.PathLike[str],
    emotions=BASIC_EMOTIONS,
    image_size: int = 48,
    min_votes: int = 1,
) -> SplitSet:
    """Load FER+ as train/val/test splits with hard and soft labels (see the module docstring).

    Each split's ``extras`` keep the raw counts of all ten columns: ``votes`` (N, 10) int16,
    in the order of ``vote_columns`` (10,). The returned dict's ``report`` says what was read
    and dropped.
    """
    emotions = _check_emotions(emotions)
    if min_votes < 1:
        raise ValueError(f"min_votes must be at least 1, got {min_votes}")
    root = Path(root)
    csv_path = root / CSV_NAME
    table = read_csv_table(csv_path, (USAGE_COLUMN, NAME_COLUMN) + VOTE_COLUMNS,
                           f"the FER+ layout: {CSV_NAME} next to FER2013Train/, FER2013Valid/, FER2013Test/")
    votes = _check_values(csv_path, table)
    report = LoadReport(source=str(root), rows_read=len(table))
    keep = _select_faces(table, votes, emotions, min_votes, report)

    columns = [VOTE_COLUMNS.index(e) for e in emotions]
    splits = {}
    for name, (usage, _) in SPLITS.items():
        mask = keep & (table[USAGE_COLUMN] == usage).to_numpy()
        if not mask.any():
            raise DataError(csv_path, f"split {name!r} is empty: no usable rows with {USAGE_COLUMN} == {usage!r}",
                            column=USAGE_COLUMN, expected=f"rows with {USAGE_COLUMN} == {usage!r} that have votes"
                                                          f" for at least one of the emotions {list(emotions)}")
        chosen = votes[mask][:, columns].astype(np.float64)
        splits[name] = Split(
            images=_split_images(root, csv_path, table[mask], name, image_size),
            labels=chosen.argmax(axis=1),
            ids=table.loc[mask, NAME_COLUMN].to_numpy(dtype=str),
            emotions=emotions,
            soft_labels=(chosen / chosen.sum(axis=1, keepdims=True)).astype(np.float32),
            extras={"votes": votes[mask].astype(np.int16),
                    "vote_columns": np.asarray(VOTE_COLUMNS, dtype=str)},
        )
    return SplitSet(splits, report)
