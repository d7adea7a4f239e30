"""The one error type every data loader raises for bad input files."""

from __future__ import annotations

import os

_MAX_VALUE_CHARS = 40


def _shorten(value: object) -> str:
    """Quote a bad value, cut to a readable length."""
    text = str(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1].rstrip() + " …"
    return repr(text)


class DataError(ValueError):
    """A problem with an input or split file, located as precisely as we can.

    ``row`` is the 1-based line number a user sees in an editor (header = line 1) for tables.
    The message reads, e.g.::

        fer2013.csv, line 17, column 'pixels': value '12 x 40 …' is not a list of 2304
        integers 0–255 (expected 48×48 grey pixels)
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.problem = problem
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected
        super().__init__(self._message())

    def _message(self) -> str:
        where = [self.path if self.path is not None else "<input>"]
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where) + ": "
        if self.value is not None:
            text += f"value {_shorten(self.value)} "
        text += self.problem
        if self.expected:
            text += f" (expected {self.expected})"
        return text

    def __reduce__(self):
        # Keyword-only arguments would break the default exception pickling (multiprocessing).
        kwargs = dict(row=self.row, column=self.column, value=self.value, expected=self.expected)
        return (_rebuild, (self.path, self.problem, kwargs))


def _rebuild(path, problem, kwargs) -> DataError:
    return DataError(path, problem, **kwargs)
