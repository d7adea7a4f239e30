"""Reading users' text files: UTF-8 checks and delimited tables that keep each row's editor line.

Every problem raises :class:`DataError` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
from pathlib import Path

import pandas as pd

from varemotion.data import DataError

from .trials import ORIGIN_COLUMNS, ORIGIN_FILE, ORIGIN_POSITION, ORIGIN_UNIT

#: Leading bytes of binary formats a user may pass by mistake, and what to call them.
BINARY_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx or OpenDocument .ods workbook is one)",
    b"\x1f\x8b": "gzip-compressed data",
    b"\x93NUMPY": "a NumPy array",
}
DELIMITER_NAMES = {",": "commas", "\t": "tabs", ";": "semicolons", "|": "vertical bars"}
SUFFIX_DELIMITERS = {".csv": ",", ".tsv": "\t"}


def read_text(path: str | os.PathLike[str], expected: str) -> str:
    """The file's text, decoded as UTF-8 (a byte-order mark is dropped); anything else raises DataError."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "file does not exist", expected=expected)
    if not path.is_file():
        raise DataError(path, "is not a file", expected=expected)
    data = path.read_bytes()
    if not data:
        raise DataError(path, "is empty (0 bytes)", expected=expected)
    for signature, kind in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise DataError(path, f"is {kind}, not a text file", expected=expected)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(path, "is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8", row=1,
                        expected="UTF-8 text: save the file again with the UTF-8 encoding")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DataError(path, "holds NUL bytes: it is binary data, not a text file", row=line, expected=expected)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _encoding_error(path, data, error) from None
    if not text.strip():
        raise DataError(path, "holds only white space", expected=expected)
    return text


def _encoding_error(path: Path, data: bytes, error: UnicodeDecodeError) -> DataError:
    start = data.rfind(b"\n", 0, error.start) + 1
    line = data[:start].count(b"\n") + 1
    column = len(data[start:error.start].decode("utf-8", errors="replace")) + 1
    return DataError(path, f"byte 0x{data[error.start]:02x} at character {column} of the line is not UTF-8;"
                           " the file may be Latin-1 or Windows-1252 text", row=line,
                     expected="UTF-8 text: save the file again with the UTF-8 encoding")


def looks_like_json(text: str) -> bool:
    """Whether the text is a JSON document (an object or a list)."""
    if text.lstrip()[:1] not in ("[", "{"):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def choose_delimiter(path: Path, text: str) -> str:
    """Comma for .csv, tab for .tsv, otherwise sniffed from the first lines (comma if unclear)."""
    if path.suffix.lower() in SUFFIX_DELIMITERS:
        return SUFFIX_DELIMITERS[path.suffix.lower()]
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITER_NAMES)).delimiter
    except csv.Error:
        return "\t" if "\t" in sample.partition("\n")[0] else ","


def read_table(path: str | os.PathLike[str], expected: str, text: str | None = None) -> pd.DataFrame:
    """Read a CSV or TSV table as stripped text, one row per non-blank line, with origin columns.

    The delimiter comes from the suffix (.csv, .tsv) or is sniffed. Wholly blank rows are
    skipped but counted, so each row's origin is the line an editor shows (header = line 1).
    ``text`` is the file's text when the caller has already read it with :func:`read_text`.
    """
    path = Path(path)
    text = read_text(path, expected) if text is None else text
    if looks_like_json(text):
        raise DataError(path, "is JSON, not a CSV or TSV table", expected=expected)
    delimiter = choose_delimiter(path, text)
    header, records, lines = _records(path, text, delimiter)
    if not records:
        raise DataError(path, "has a header but no rows below it", row=1, expected=expected)
    table = pd.DataFrame(records, columns=header, dtype=object).apply(lambda values: values.str.strip())
    table[ORIGIN_FILE] = str(path)
    table[ORIGIN_POSITION] = lines
    table[ORIGIN_UNIT] = "line"
    return table


def _records(path: Path, text: str, delimiter: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the non-blank records and each record's first line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, lines, header, line = [], [], None, 1
    try:
        for record in reader:
            if header is None:
                header = _header(path, record)
            elif any(field.strip() for field in record):
                if len(record) != len(header):
                    raise DataError(path, f"has {len(record)} fields but the header has {len(header)}", row=line,
                                    expected=f"one value per header column, separated by {DELIMITER_NAMES[delimiter]};"
                                             " quote values that contain the separator")
                records.append(record)
                lines.append(line)
            line = reader.line_num + 1
    except csv.Error as error:
        raise DataError(path, f"cannot be parsed as a table ({error})", row=reader.line_num) from None
    return header, records, lines


def _header(path: Path, record: list[str]) -> list[str]:
    names = [name.strip() for name in record]
    if not any(names):
        raise DataError(path, "is blank", row=1, expected="a header line naming the columns")
    seen = set()
    for name in names:
        if name and name in seen:
            raise DataError(path, "appears twice in the header", row=1, column=name, expected="distinct column names")
        seen.add(name)
    return [name or f"(column {k + 1})" for k, name in enumerate(names)]


def resolve_column_map(column_map: dict | None, defaults: dict[str, str]) -> dict[str, str]:
    """Canonical name → the user's column name: ``defaults`` updated by ``column_map``.

    A key that is not one of ``defaults`` or two keys naming the same column raise ValueError.
    """
    names = dict(defaults)
    for key, value in (column_map or {}).items():
        if key not in defaults:
            close = difflib.get_close_matches(str(key), list(defaults), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"column_map: {key!r} is not a column this format reads{hint}"
                             f" (expected keys among {list(defaults)})")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"column_map: {key!r} must map to a column name, got {value!r}")
        names[key] = value.strip()
    mapped = [value for key, value in names.items() if key in (column_map or {})]
    for value in mapped:
        keys = [key for key, other in names.items() if other == value]
        if len(keys) > 1:
            raise ValueError(f"column_map: {keys} all read the column {value!r} (expected one column each)")
    return names


def require_columns(table: pd.DataFrame, path, wanted: list[str], names: dict[str, str]) -> None:
    """Raise DataError for the first canonical column in ``wanted`` whose user column is missing."""
    found = [c for c in table.columns if c not in ORIGIN_COLUMNS]
    for canonical in wanted:
        column = names[canonical]
        if column in table.columns:
            continue
        problem = "column is missing from the header"
        if column != canonical:
            problem += f" (column_map reads {canonical!r} from it)"
        taken = {names[c] for c in wanted}  # columns that are found as what they are
        close = difflib.get_close_matches(column, [c for c in found if c not in taken], n=1)
        if close:
            problem += f"; did you mean {close[0]!r}?"
        elif len(found) == 1:
            others = [d for d in DELIMITER_NAMES if d in found[0]]
            if others:
                problem += (f"; the header is the one column {found[0]!r}: is the file separated by"
                            f" {DELIMITER_NAMES[others[0]]}? Name it .tsv or .txt, or save it with commas")
        raise DataError(path, problem, row=1, column=column,
                        expected=f"columns {[names[c] for c in wanted]}, found {found}")
