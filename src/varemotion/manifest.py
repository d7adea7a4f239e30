"""Columns of the stimulus manifest, in a module light enough for the statistics stage (no torch).

A manifest has the leading columns, every classifier's probability and entropy columns and the
realism scores; a stimulus set read from a folder (:mod:`varemotion.external`) adds the user's
metadata columns after the realism scores (:func:`metadata_columns`).
"""

from __future__ import annotations

import numpy as np

#: Manifest columns before the per-classifier probability and entropy columns.
MANIFEST_COLUMNS = [
    "stimulus_id", "kind", "guide_a", "guide_b", "target_i", "target_j", "seed",
    "scheduler", "num_inference_steps", "guidance_scale", "guidance_stop", "guidance_goal", "time_travel", "renoise",
]
SETTINGS_COLUMNS = MANIFEST_COLUMNS[7:]
#: Realism scores of each stimulus (see varemotion.realism.scores), the manifest's last columns.
REALISM_SCORES = ("residual", "facemesh_detected", "face_score")
REALISM_COLUMNS = [f"realism_{name}" for name in REALISM_SCORES]
#: Kinds of stimulus (and of sample set) that the workflow generates.
KINDS = ("uncertainty", "controversial", "control")
#: The generated kinds on a decision boundary, which have target emotions and a guidance outcome.
BOUNDARY_KINDS = ("uncertainty", "controversial")
CONTROL_KIND = "control"
#: The kind of a stimulus read from a folder whose table has no kind column.
EXTERNAL_KIND = "external"


def probability_column(classifier: str, emotion: str) -> str:
    """The column of a classifier's probability of one emotion."""
    return f"{classifier}_p_{emotion}"


def entropy_column(classifier: str) -> str:
    """The column of a classifier's softmax entropy (bits)."""
    return f"{classifier}_entropy"


def manifest_columns(classifiers: list[str], emotions: list[str]) -> list[str]:
    """All manifest columns, in order: the leading ones, every classifier's, the realism scores."""
    columns = list(MANIFEST_COLUMNS)
    for name in classifiers:
        columns += [probability_column(name, e) for e in emotions] + [entropy_column(name)]
    return columns + REALISM_COLUMNS


def metadata_columns(columns) -> list[str]:
    """The columns after the realism scores: metadata a stimulus table brought along (none without them)."""
    columns = list(columns)
    if REALISM_COLUMNS[-1] not in columns:
        return []
    return columns[columns.index(REALISM_COLUMNS[-1]) + 1:]


def is_guided(kinds) -> np.ndarray:
    """Whether each kind is a generated boundary kind (uncertainty or controversial)."""
    return np.isin(np.asarray(kinds, dtype=str), BOUNDARY_KINDS)


def has_boundary_and_control(kinds) -> bool:
    """Whether a set has both boundary and control stimuli, which the boundary-versus-control tests compare."""
    present = set(map(str, kinds))
    return CONTROL_KIND in present and bool(present - {CONTROL_KIND})
