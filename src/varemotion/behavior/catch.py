"""Catch faces: clear examples of each emotion, shown between stimuli as attention checks.

A catch face is a held-out (test split) image of a known emotion. Faces whose label every
classifier predicts come first, ranked by the smallest probability any classifier gives the label:
the faces on which all models agree most firmly. Only when too few faces of an emotion are
predicted correctly by every classifier (weak classifiers) are the next best faces used; the
table's ``all_agree`` column says which. An attentive participant should answer the label.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from varemotion.atomic import write_atomically, write_csv
from varemotion.data.splits import Split
from varemotion.models.evaluation import predict_proba
from varemotion.stimuli import write_png_folder

CATCH_COLUMNS = ["catch_id", "expected_response", "source_id", "min_probability", "all_agree"]


@dataclass
class CatchSet:
    """Catch images (uint8, table order) and their table (:data:`CATCH_COLUMNS`)."""

    images: np.ndarray
    table: pd.DataFrame


def select_catch_faces(labels: np.ndarray, probabilities: dict[str, np.ndarray], emotions, per_emotion: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices of the ``per_emotion`` clearest faces of each emotion, their min probability and agreement.

    Raises ValueError naming the emotion when the split has fewer faces of it than asked for.
    """
    if not probabilities:
        raise ValueError("catch faces need at least one classifier")
    labels = np.asarray(labels)
    stacked = np.stack([np.asarray(p) for p in probabilities.values()])  # (classifiers, N, K)
    agreed = (stacked.argmax(axis=2) == labels[None, :]).all(axis=0)
    label_probability = np.take_along_axis(stacked, labels[None, :, None], axis=2)[..., 0].min(axis=0)
    rows = []
    for k, emotion in enumerate(emotions):
        candidates = np.flatnonzero(labels == k)
        if len(candidates) < per_emotion:
            raise ValueError(f"the test split has {len(candidates)} faces of {emotion!r}, but {per_emotion} catch "
                             "faces were asked for: lower behavior.catch.per_emotion")
        order = np.lexsort((-label_probability[candidates], ~agreed[candidates]))
        rows.append(candidates[order[:per_emotion]])
    rows = np.concatenate(rows)
    return rows, label_probability[rows], agreed[rows]


def build_catch_set(split: Split, classifiers: dict, per_emotion: int, device: torch.device | None = None) -> CatchSet:
    """Choose the catch faces of a (test) split with the given classifiers."""
    device = device or torch.device("cpu")
    images = split.images_float()
    probabilities = {name: predict_proba(model, images, device) for name, model in classifiers.items()}
    rows, scores, agreed = select_catch_faces(split.labels, probabilities, split.emotions, per_emotion)
    expected = [split.emotions[int(k)] for k in split.labels[rows]]
    counters: dict[str, int] = {}
    ids = []
    for emotion in expected:
        counters[emotion] = counters.get(emotion, 0) + 1
        ids.append(f"catch-{emotion}-{counters[emotion]:02d}")
    table = pd.DataFrame({"catch_id": ids, "expected_response": expected,
                          "source_id": split.ids[rows].astype(str), "min_probability": scores,
                          "all_agree": agreed})
    return CatchSet(images=split.images[rows], table=table[CATCH_COLUMNS])


def write_catch_set(catch: CatchSet, images_path, table_path, png_dir) -> None:
    """Write the catch images (.npz with images and stimulus_ids), their table and PNG folder."""
    def write_tables():
        write_atomically(images_path, lambda h: np.savez_compressed(
            h, images=catch.images, stimulus_ids=catch.table["catch_id"].to_numpy(dtype=str)))
        write_csv(table_path, catch.table)

    write_png_folder(catch.table["catch_id"], catch.images, png_dir, before_move=write_tables)


def read_catch_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The catch table written by :func:`write_catch_set`."""
    return pd.read_csv(path, dtype={"catch_id": str, "expected_response": str, "source_id": str},
                       keep_default_na=False)
