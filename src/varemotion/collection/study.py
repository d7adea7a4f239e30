"""The exported experiment as the collection server sees it, and the checks of what browsers post.

Every check raises :class:`Refusal` with the HTTP status and a message for the page, before
anything is written: a post that is refused leaves the database as it was.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from varemotion.experiment.jspsych_export import answer_labels, read_timeline

MAX_ID_CHARS = 200
PROLIFIC_KEYS = ("prolific_pid", "study_id", "session_id")
SESSION_KEYS = ("participant", *PROLIFIC_KEYS)
TRIAL_KEYS = ("subject_id", "trial_index", "stimulus_id", "catch_id", "expected_response", "is_train", "response",
              "rt")


class Refusal(Exception):
    """A request the server refuses: ``status`` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Study:
    """The design of an exported experiment: participants, their trials by index, the buttons."""

    folder: Path
    design: dict
    trials: dict[str, dict[int, dict]] = field(repr=False)
    stimuli: frozenset[str] = field(repr=False)

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> "Study":
        """The experiment in ``folder``: an export (holding ``jspsych/``) or its ``jspsych/`` folder."""
        folder = Path(folder)
        page = folder / "jspsych" if (folder / "jspsych" / "timeline.js").is_file() else folder
        if not (page / "timeline.js").is_file():
            raise FileNotFoundError(f"{folder} holds no exported experiment: no timeline.js in it or in"
                                    f" {folder / 'jspsych'} (build it with `snakemake experiment`)")
        design = read_timeline(page / "timeline.js")
        trials = {p["subject_id"]: {t["design_trial_index"]: t for t in p["trials"]} for p in design["participants"]}
        stimuli = frozenset(t.get("stimulus_id") or t.get("catch_id") for p in trials.values() for t in p.values())
        return cls(page, design, trials, stimuli)

    @property
    def subject_ids(self) -> list[str]:
        return [p["subject_id"] for p in self.design["participants"]]

    def settings(self) -> dict:
        """What the database records of the study (see varemotion.collection.store)."""
        settings = {key: self.design[key] for key in ("design_id", "title", "emotions", "button_labels")}
        if self.design.get("non_emotion_answers"):
            settings["non_emotion_answers"] = self.design["non_emotion_answers"]
        return settings

    def session_request(self, body: object) -> tuple[str | None, dict]:
        """The participant and Prolific ids of a session request (``participant`` must be in the design)."""
        body = _object(body, SESSION_KEYS)
        values = {key: _text(body, key) for key in SESSION_KEYS if body.get(key) is not None}
        participant = values.pop("participant", None)
        if participant is None and "prolific_pid" not in values:
            raise Refusal(422, "a session needs a participant or a prolific_pid")
        if participant is not None and participant not in self.trials:
            raise Refusal(404, f"unknown participant {participant!r}: the design has {len(self.trials)}"
                               f" participants ({', '.join(self.subject_ids[:3])}, …)")
        return participant, values

    def trial(self, body: object) -> dict:
        """The trial to store for a posted answer, with the design's stimulus, catch and training values."""
        body = _object(body, TRIAL_KEYS)
        subject = _text(body, "subject_id")
        if subject not in self.trials:
            raise Refusal(404, f"unknown participant {subject!r}: not a participant of the design")
        index = _whole(body, "trial_index")
        trial = self.trials[subject].get(index)
        if trial is None:
            raise Refusal(422, f"participant {subject!r} has no trial {index} in the design")
        self._check_face(body, trial, subject, index)
        for key in ("is_train", "expected_response"):
            if key in body and body[key] != trial.get(key):
                raise Refusal(422, f"{key} of trial {index} of {subject!r} is {trial.get(key)!r} in the design,"
                                   f" not {body[key]!r}")
        response = _whole(body, "response")
        labels = answer_labels(self.design)
        if not 0 <= response < len(labels):
            raise Refusal(422, f"response {response} is not a button: expected 0 to {len(labels) - 1}")
        return {"subject_id": subject, "trial_index": index, "stimulus_id": trial.get("stimulus_id"),
                "catch_id": trial.get("catch_id"), "expected_response": trial.get("expected_response"),
                "is_train": int(bool(trial["is_train"])), "response": response, "response_label": labels[response],
                "rt_ms": _reaction_time(body)}

    def _check_face(self, body: dict, trial: dict, subject: str, index: int) -> None:
        key = "catch_id" if trial["is_catch"] else "stimulus_id"
        other = "stimulus_id" if key == "catch_id" else "catch_id"
        if body.get(other) is not None:
            raise Refusal(422, f"trial {index} of {subject!r} is a {'catch' if key == 'catch_id' else 'stimulus'}"
                               f" trial: it has a {key}, not a {other}")
        face = _text(body, key)
        if face not in self.stimuli:
            raise Refusal(422, f"unknown stimulus {face!r}: not a face of this experiment")
        if face != trial[key]:
            raise Refusal(422, f"trial {index} of {subject!r} shows {trial[key]!r}, not {face!r}")


def _object(body: object, keys: tuple[str, ...]) -> dict:
    if not isinstance(body, dict):
        raise Refusal(400, f"the body must be a JSON object with the keys {list(keys)}")
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise Refusal(422, f"unknown key {unknown[0]!r} (expected keys among {list(keys)})")
    return body


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS:
        raise Refusal(422, f"{key} must be non-blank text of at most {MAX_ID_CHARS} characters, got {value!r}")
    return value.strip()


def _whole(body: dict, key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal(422, f"{key} must be a whole number, got {value!r}")
    return value


def _reaction_time(body: dict) -> float | None:
    value = body.get("rt")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise Refusal(422, f"rt must be a number of milliseconds ≥ 0, got {value!r}")
    return float(value)
