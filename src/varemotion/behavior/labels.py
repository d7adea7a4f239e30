"""Responses as users record them (emotion names or 0-based indices) turned into emotion names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .trials import check_emotions, did_you_mean, error_at, position, text_values


def _label_kinds(text: pd.Series, names: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    is_name = text.str.lower().isin(names).to_numpy()
    is_index = text.str.fullmatch(r"[+-]?\d+(\.0*)?").fillna(False).to_numpy(dtype=bool) & ~is_name
    return is_name, is_index


def parse_responses(table: pd.DataFrame, column: str, emotions, buttons=None, index_kind: str = "index"
                    ) -> pd.Series:
    """The responses in ``table[column]`` as emotion names; blank cells stay blank.

    A response is an emotion name (any case; surrounding spaces ignored) or a 0-based index into
    ``buttons`` (default: ``emotions``). One table uses one kind of label: names and indices mixed
    raise DataError, as do unknown names and indices out of range.
    """
    emotions = check_emotions(emotions)
    buttons = emotions if buttons is None else tuple(buttons)
    names = {e.lower(): e for e in emotions}
    text = text_values(table[column])
    blank = (text == "").to_numpy()
    is_name, is_index = _label_kinds(text, names)
    legend = ", ".join(f"{k}={b}" for k, b in enumerate(buttons))
    expected = f"an emotion name ({', '.join(emotions)}) or a 0-based {index_kind} ({legend})"
    bad = np.flatnonzero(~(is_name | is_index | blank))
    if bad.size:
        i = int(bad[0])
        raise error_at(table, i, f"is not an emotion{did_you_mean(text.iat[i].lower(), names)}",
                       column=column, value=text.iat[i], expected=expected)
    _check_one_kind(table, column, text, is_name, is_index, index_kind)
    indices = pd.to_numeric(text.where(is_index, None), errors="coerce").to_numpy()
    out_of_range = np.flatnonzero(is_index & ((indices < 0) | (indices >= len(buttons))))
    if out_of_range.size:
        i = int(out_of_range[0])
        raise error_at(table, i, f"is out of range: the {index_kind} must be 0 to {len(buttons) - 1}"
                                 f" for {len(buttons)} {'buttons' if index_kind != 'index' else 'emotions'}",
                       column=column, value=text.iat[i], expected=legend)
    result = np.where(is_name, text.str.lower().map(names).fillna("").to_numpy(dtype=object), "").astype(object)
    result[is_index] = [buttons[int(k)] for k in indices[is_index]]
    return pd.Series(result, index=table.index, dtype=object)


def _check_one_kind(table, column, text, is_name, is_index, index_kind) -> None:
    """Raise DataError at the first response whose kind (name or index) differs from the first one's."""
    labelled = np.flatnonzero(is_name | is_index)
    if not labelled.size:
        return
    first = int(labelled[0])
    other = is_index if is_name[first] else is_name
    if not other.any():
        return
    i = int(np.argmax(other))
    kinds = ("an emotion name", f"a 0-based {index_kind}")
    this, that = kinds if is_name[i] else kinds[::-1]
    raise error_at(table, i, f"is {this}, but {position(table, first)} gives {that} ({text.iat[first]!r})",
                   column=column, value=text.iat[i],
                   expected="one kind of label per file: every value an emotion name"
                            f" or every one a 0-based {index_kind}")
