"""Responses as users record them (emotion names or 0-based indices) turned into emotion names.

Non-emotion answers ("unclear", "not a face"; :mod:`varemotion.behavior.answers`) are kept under
their names: given by name in any file, or as the indices after the emotion buttons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .answers import NON_EMOTION_ANSWERS, answer_key, check_non_emotion_answers
from .trials import check_emotions, did_you_mean, error_at, position, text_values


def _label_kinds(text: pd.Series, names: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    is_name = text.str.lower().isin(names).to_numpy()
    is_index = text.str.fullmatch(r"[+-]?\d+(\.0*)?").fillna(False).to_numpy(dtype=bool) & ~is_name
    return is_name, is_index


def parse_responses(table: pd.DataFrame, column: str, emotions, buttons=None, index_kind: str = "index",
                    non_emotion_answers=()) -> pd.Series:
    """The responses in ``table[column]`` as emotion names or non-emotion answers; blank cells stay blank.

    A response is an emotion name (any case; surrounding spaces ignored), a non-emotion answer
    ('unclear', 'not_a_face' or 'Not a face') or a 0-based index into ``buttons`` (default:
    ``emotions``) followed by ``non_emotion_answers`` (the extra buttons shown, in order). One
    table uses one kind of emotion label: names and indices mixed raise DataError, as do unknown
    names and indices out of range.
    """
    emotions = check_emotions(emotions)
    buttons = (emotions if buttons is None else tuple(buttons)) + check_non_emotion_answers(non_emotion_answers)
    names = {e.lower(): e for e in emotions}
    text = text_values(table[column])
    blank = (text == "").to_numpy()
    is_other = text.map(answer_key).isin(NON_EMOTION_ANSWERS).to_numpy() & ~text.str.lower().isin(names).to_numpy()
    is_name, is_index = _label_kinds(text, names)
    legend = ", ".join(f"{k}={b}" for k, b in enumerate(buttons))
    expected = (f"an emotion name ({', '.join(emotions)}), {' or '.join(NON_EMOTION_ANSWERS)},"
                f" or a 0-based {index_kind} ({legend})")
    bad = np.flatnonzero(~(is_name | is_index | is_other | blank))
    if bad.size:
        i = int(bad[0])
        hint = did_you_mean(text.iat[i].lower(), [*names, *NON_EMOTION_ANSWERS])
        raise error_at(table, i, f"is not an emotion{hint}",
                       column=column, value=text.iat[i], expected=expected)
    _check_one_kind(table, column, text, is_name, is_index, index_kind)
    indices = pd.to_numeric(text.where(is_index, None), errors="coerce").to_numpy()
    out_of_range = np.flatnonzero(is_index & ((indices < 0) | (indices >= len(buttons))))
    if out_of_range.size:
        i = int(out_of_range[0])
        raise error_at(table, i, f"is out of range: the {index_kind} must be 0 to {len(buttons) - 1}"
                                 f" for {len(buttons)} {_counted(index_kind, len(buttons), len(emotions))}",
                       column=column, value=text.iat[i], expected=legend)
    result = np.where(is_name, text.str.lower().map(names).fillna("").to_numpy(dtype=object), "").astype(object)
    result[is_index] = [buttons[int(k)] for k in indices[is_index]]
    result[is_other] = text[is_other].map(answer_key).to_numpy(dtype=object)
    return pd.Series(result, index=table.index, dtype=object)


def _counted(index_kind: str, n_buttons: int, n_emotions: int) -> str:
    if index_kind != "index":
        return "buttons"
    return "emotions" if n_buttons == n_emotions else "answers"


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
