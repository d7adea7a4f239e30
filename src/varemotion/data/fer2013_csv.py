"""Loader for the original Kaggle ``fer2013.csv`` (columns ``emotion, pixels, Usage``).

Each row is one 48×48 grey face: ``pixels`` holds 2304 space-separated integers 0–255 and
``emotion`` a code 0–6. Ids are the FER+ image names of the same faces (``fer%07d.png`` of the
0-based data row), so the two sources can be cross-referenced.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..emotions import BASIC_EMOTIONS
from .errors import DataError
from .images import resize_array
from .splits import LoadReport, Split, SplitSet

#: Our emotion name for each fer2013 code 0–6 (Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral).
FER2013_CODES = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
#: split name → Usage value
USAGES = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}
COLUMNS = ("emotion", "pixels", "Usage")
SIDE = 48


def read_csv_table(path: Path, columns, expected_file: str) -> pd.DataFrame:
    """Read a CSV as stripped strings, check ``columns`` are present, add each row's editor ``line``.

    Blank lines are skipped but still counted, so ``line`` is what an editor shows.
    """
    if not path.is_file():
        raise DataError(path, "file does not exist", expected=expected_file)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(path, f"cannot be parsed as CSV ({exc})", expected=expected_file) from None
    # Some copies write ' pixels' and ' Usage' with a leading space.
    table.columns = [str(c).strip() for c in table.columns]
    for column in columns:
        if column not in table.columns:
            raise DataError(path, "column is missing from the header", row=1, column=column,
                            expected=f"columns {', '.join(columns)}")
    table = table.fillna("").apply(lambda values: values.str.strip())
    table["line"] = np.arange(len(table)) + 2  # header is line 1
    blank = (table[list(columns)] == "").all(axis=1)
    return table[~blank]


def _codes(path: Path, table: pd.DataFrame) -> np.ndarray:
    """The emotion codes as int64, each checked to be 0–6."""
    codes = pd.to_numeric(table["emotion"], errors="coerce")
    bad = codes.isna() | ~codes.isin(range(len(FER2013_CODES)))
    if bad.any():
        row = table[bad].iloc[0]
        raise DataError(path, "is not an emotion code", row=int(row["line"]), column="emotion",
                        value=row["emotion"], expected="an integer 0–6: " +
                        ", ".join(f"{i}={name}" for i, name in enumerate(FER2013_CODES)))
    return codes.to_numpy(dtype=np.int64)


def _check_usage(path: Path, table: pd.DataFrame) -> None:
    bad = ~table["Usage"].isin(USAGES.values())
    if bad.any():
        row = table[bad].iloc[0]
        raise DataError(path, "is not a known Usage", row=int(row["line"]), column="Usage",
                        value=row["Usage"], expected=", ".join(USAGES.values()))


def _row_pixels(path: Path, text: str, line: int) -> np.ndarray:
    """Parse one pixel string, or raise DataError saying what is wrong with it."""
    tokens = text.split()
    try:
        values = np.array(tokens, dtype=np.int64) if len(tokens) == SIDE * SIDE else None
    except ValueError:
        values = None
    if values is None or values.min() < 0 or values.max() > 255:
        raise DataError(path, f"is not a list of {SIDE * SIDE} integers 0–255 but of {len(tokens)} values",
                        row=line, column="pixels", value=text,
                        expected=f"{SIDE}×{SIDE} grey pixels, space-separated")
    return values


def _pixels(path: Path, table: pd.DataFrame, chunk: int = 2048) -> np.ndarray:
    """Parse every row's pixel string into a uint8 (N, 48, 48) array."""
    texts, lines = table["pixels"].tolist(), table["line"].tolist()
    out = np.empty((len(texts), SIDE * SIDE), dtype=np.uint8)
    for start in range(0, len(texts), chunk):
        part = texts[start:start + chunk]
        try:  # fast path: numpy's C text parser on a chunk of rows
            values = np.loadtxt(io.StringIO("\n".join(part)), dtype=np.int32, ndmin=2, comments=None)
            ok = values.shape == (len(part), SIDE * SIDE) and values.min() >= 0 and values.max() <= 255
        except (ValueError, OverflowError):
            ok = False
        if not ok:  # find and report the first bad row
            values = np.stack([_row_pixels(path, t, n) for t, n in zip(part, lines[start:start + chunk])])
        out[start:start + len(part)] = values
    return out.reshape(-1, SIDE, SIDE)


def load_fer2013_csv(
    path: str | os.PathLike[str], emotions=BASIC_EMOTIONS, image_size: int = SIDE
) -> SplitSet:
    """Load fer2013.csv as train/val/test splits (Usage Training/PublicTest/PrivateTest), hard labels.

    Rows whose emotion is not in ``emotions`` are dropped. Images are resized (Lanczos) when
    ``image_size`` is not 48. The returned dict's ``report`` says what was read and dropped.
    """
    emotions = tuple(emotions)
    if not emotions or len(set(emotions)) != len(emotions) or not set(emotions) <= set(FER2013_CODES):
        raise ValueError(f"emotions must be distinct names from {list(FER2013_CODES)}, got {list(emotions)}")
    path = Path(path)
    table = read_csv_table(path, COLUMNS, "the Kaggle fer2013.csv")
    codes = _codes(path, table)
    _check_usage(path, table)
    report = LoadReport(source=str(path), rows_read=len(table))
    names = np.asarray(FER2013_CODES)[codes]
    keep = np.isin(names, emotions)
    for name in sorted(set(names[~keep].tolist())):
        report.drop(f"rows of emotion {name!r} (not chosen)", int((names == name).sum()))
    ids = np.char.mod("fer%07d.png", np.arange(len(table)))
    index = {name: i for i, name in enumerate(emotions)}

    splits = {}
    for split_name, usage in USAGES.items():
        mask = keep & (table["Usage"] == usage).to_numpy()
        if not mask.any():
            raise DataError(path, f"split {split_name!r} is empty: no rows with Usage == {usage!r}"
                                  f" and an emotion in {list(emotions)}", column="Usage")
        splits[split_name] = Split(
            images=resize_array(_pixels(path, table[mask]), image_size),
            labels=np.array([index[name] for name in names[mask]], dtype=np.int64),
            ids=ids[mask].astype(str),
            emotions=emotions,
        )
    return SplitSet(splits, report)
