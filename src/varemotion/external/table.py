"""The stimulus table of a rated face set from outside: one row per image of a folder.

A CSV or TSV table with a header line:

- ``stimulus_id`` (required): the id the ratings use; letters, digits, ``.``, ``_`` and ``-``
  (it names the stimulus's PNG), unique;
- ``file`` (required): the image's path relative to the folder (sub-folders allowed), unique;
- optional columns that keep their meaning in the stimulus manifest: ``kind`` (blank or absent:
  ``external``; ``control`` and the generated kinds take part in the boundary-versus-control
  tests), ``guide_a``, ``guide_b``, ``target_i`` and ``target_j`` (emotions, or blank), and
  ``seed``: a whole number shared by images that are not independent (the same face, or the same
  starting noise), which the statistics resample together and the held-out stimuli keep together;
- any other column (morph ``from``, ``to``, ``intensity``, an identity, …) is metadata: carried
  into the manifest and the per-image table as it is, numbers as numbers. Its name must not be
  one the manifest or the per-image table already uses.

:func:`read_stimulus_table` checks everything and raises :class:`~varemotion.data.DataError` at
the file, line, column and value of the first problem.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from varemotion.behavior.textfiles import read_table, require_columns
from varemotion.behavior.trials import ORIGIN_COLUMNS, error_at, first_row, position, raise_first, text_values
from varemotion.data import DataError
from varemotion.data.images import IMAGE_SUFFIXES
from varemotion.manifest import EXTERNAL_KIND
from varemotion.stimuli import KIND_PATTERN

REQUIRED_COLUMNS = ["stimulus_id", "file"]
#: Optional columns with the meaning the manifest gives them.
KNOWN_COLUMNS = ["kind", "guide_a", "guide_b", "target_i", "target_j", "seed"]
ID_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
TABLE_EXPECTED = ("a CSV or TSV table with a header line and one image per line: columns stimulus_id and file, then"
                  " optional kind, guide_a, guide_b, target_i, target_j, seed and any metadata columns")


@dataclass(frozen=True)
class StimulusTable:
    """The checked table: ``rows`` (stimulus_id, path and the known columns) and ``metadata`` (row-aligned)."""

    rows: pd.DataFrame
    metadata: pd.DataFrame
    path: str


def _check_ids(table: pd.DataFrame, ids: pd.Series) -> None:
    raise_first(table, ids == "", "is blank", column="stimulus_id", values=ids, expected="an id on every row")
    raise_first(table, ~ids.map(lambda s: bool(ID_PATTERN.fullmatch(s))), "cannot name a stimulus",
                column="stimulus_id", values=ids,
                expected="letters, digits, '.', '_' and '-' (the id names the stimulus's PNG file)")
    _check_unique(table, ids, "stimulus_id", "one row per stimulus")


def _check_unique(table: pd.DataFrame, values: pd.Series, column: str, expected: str) -> None:
    later = first_row(values.duplicated())
    if later is not None:
        earlier = first_row(values == values.iat[later])
        raise error_at(table, later, f"is listed twice: here and at {position(table, earlier)}", column=column,
                       value=values.iat[later], expected=expected)


def _image_paths(table: pd.DataFrame, folder: Path) -> list[Path]:
    files = text_values(table["file"])
    root = folder.resolve()
    paths = []
    for i, name in enumerate(files):
        path = (folder / name).resolve()
        problem = None
        if name == "":
            problem = "is blank"
        elif root not in path.parents:
            problem = "is not inside the image folder"
        elif not path.is_file():
            problem = f"is not a file in {folder}"
        elif path.suffix.lower() not in IMAGE_SUFFIXES:
            problem = "is not an image file"
        if problem:
            raise error_at(table, i, problem, column="file", value=name,
                           expected=f"the path of a {', '.join(sorted(IMAGE_SUFFIXES))} image relative to {folder}")
        paths.append(path)
    _check_unique(table, pd.Series([str(p) for p in paths]), "file", "one row per image")
    return paths


def _known(table: pd.DataFrame, emotions) -> dict[str, pd.Series]:
    """The optional known columns, checked (blank where the table has none)."""
    values = {c: text_values(table[c]) if c in table.columns else pd.Series("", index=table.index)
              for c in KNOWN_COLUMNS}
    values["kind"] = values["kind"].where(values["kind"] != "", EXTERNAL_KIND)
    checks = {
        "kind": (lambda v: bool(KIND_PATTERN.fullmatch(v)), "a kind name: letters, digits, _ and -"),
        "target_i": (lambda v: v in ("", *emotions), f"blank or one of the emotions {list(emotions)}"),
        "target_j": (lambda v: v in ("", *emotions), f"blank or one of the emotions {list(emotions)}"),
        "seed": (lambda v: v == "" or v.isdigit(), "blank or a whole number ≥ 0"),
    }
    for column, (valid, expected) in checks.items():
        raise_first(table, ~values[column].map(valid), "is not valid here", column=column, values=values[column],
                    expected=expected)
    values["seed"] = pd.to_numeric(values["seed"].where(values["seed"] != "", None)).astype("Int64")
    return values


def _metadata(table: pd.DataFrame, path, reserved) -> pd.DataFrame:
    """The metadata columns, numbers as numbers; a reserved name raises DataError."""
    names = [c for c in table.columns if c not in REQUIRED_COLUMNS + KNOWN_COLUMNS + list(ORIGIN_COLUMNS)]
    clash = [c for c in names if c in set(reserved)]
    if clash:
        raise DataError(path, "is a column name the stimulus manifest or the per-image table already uses", row=1,
                        column=clash[0], expected="another name for this metadata column")
    columns = {}
    for name in names:
        text = text_values(table[name])
        numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
        numeric = (text == "").all() or not (numbers.isna() & (text != "")).any()
        columns[name] = numbers if numeric and not (text == "").all() else text
    return pd.DataFrame(columns, index=table.index).reset_index(drop=True)


def read_stimulus_table(path: str | os.PathLike[str], folder: str | os.PathLike[str], emotions, reserved=()
                        ) -> StimulusTable:
    """Read and check a stimulus table against its image folder (see the module docstring).

    ``reserved`` are the column names that metadata may not take (the manifest's and the
    per-image table's own).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "image folder does not exist", expected="a folder holding the images the table lists")
    table = read_table(path, TABLE_EXPECTED)
    require_columns(table, path, REQUIRED_COLUMNS, {c: c for c in REQUIRED_COLUMNS})
    ids = text_values(table["stimulus_id"])
    _check_ids(table, ids)
    paths = _image_paths(table, folder)
    known = _known(table, tuple(emotions))
    rows = pd.DataFrame({"stimulus_id": ids, "path": [str(p) for p in paths], **known}).reset_index(drop=True)
    return StimulusTable(rows=rows, metadata=_metadata(table, path, reserved), path=str(path))
