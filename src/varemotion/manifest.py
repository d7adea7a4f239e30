"""Columns of the stimulus manifest, in a module light enough for the statistics stage (no torch)."""

from __future__ import annotations

#: Manifest columns before the per-classifier probability and entropy columns.
MANIFEST_COLUMNS = [
    "stimulus_id", "kind", "guide_a", "guide_b", "target_i", "target_j", "seed",
    "scheduler", "num_inference_steps", "guidance_scale", "guidance_stop", "guidance_goal", "time_travel", "renoise",
]
SETTINGS_COLUMNS = MANIFEST_COLUMNS[7:]
#: Realism scores of each stimulus (see varemotion.realism.scores), the manifest's last columns.
REALISM_SCORES = ("residual", "facemesh_detected", "face_score")
REALISM_COLUMNS = [f"realism_{name}" for name in REALISM_SCORES]
#: Kinds of stimulus (and of sample set).
KINDS = ("uncertainty", "controversial", "control")


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
