"""Answers that name no emotion: "unclear" and "not a face" (the FER+ convention of unknown and NF votes).

The exported experiment can offer them as extra buttons after the emotion buttons
(``behavior.experiment.non_emotion_answers``). The trial table keeps them as responses under
their names; consumers that map responses to emotions leave them out (:func:`emotion_trials`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: The non-emotion answers, in the order their buttons follow the emotion buttons.
NON_EMOTION_ANSWERS = ("unclear", "not_a_face")
#: The label of each one's button.
NON_EMOTION_LABELS = {"unclear": "Unclear", "not_a_face": "Not a face"}


def answer_key(text: str) -> str:
    """A response as a non-emotion answer name would be spelled: 'Not a face' → 'not_a_face'."""
    return re.sub(r"[\s_-]+", "_", str(text).strip().lower())


def check_non_emotion_answers(answers) -> tuple[str, ...]:
    """The configured non-emotion answers as a tuple of distinct names (ValueError otherwise)."""
    if answers is None:
        return ()
    if isinstance(answers, str):
        raise TypeError(f"non_emotion_answers must be a list of names, got the string {answers!r}")
    names = tuple(answer_key(a) for a in answers)
    unknown = [a for a, n in zip(answers, names) if n not in NON_EMOTION_ANSWERS]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"non_emotion_answers must be distinct names among {list(NON_EMOTION_ANSWERS)},"
                         f" got {list(answers)}")
    return names


def is_non_emotion(responses: pd.Series) -> np.ndarray:
    """Whether each response of a trial table is a non-emotion answer."""
    return responses.isin(NON_EMOTION_ANSWERS).to_numpy(dtype=bool)


def emotion_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials whose response is an emotion (non-emotion answers left out), with a fresh index."""
    return trials[~is_non_emotion(trials["response"])].reset_index(drop=True)


def split_buttons(buttons) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A recorded button order split into its emotions and the non-emotion answers that follow them."""
    buttons = tuple(buttons)
    n = len(buttons)
    while n and answer_key(buttons[n - 1]) in NON_EMOTION_ANSWERS:
        n -= 1
    return buttons[:n], check_non_emotion_answers(buttons[n:])
