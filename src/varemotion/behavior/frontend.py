"""The simulated observers' perceptual front-end: a classifier's logits for every face they see.

The front-end is its own classifier, separate from the ones that guided the sampler (another
architecture and seed, and on the synthetic source other faces), so that simulated people do not
share the guides' decision boundaries by construction. Its logits g(x) for the stimuli and the
catch faces are computed once and stored as a table, one row per image id, one column per emotion.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import torch

from varemotion.atomic import write_csv
from varemotion.data import DataError
from varemotion.data.splits import images_to_float
from varemotion.models.evaluation import predict_logits

ID_COLUMN = "stimulus_id"


def frontend_logits(classifier, ids, images: np.ndarray, device: torch.device | None = None) -> pd.DataFrame:
    """The classifier's logits for uint8 images (N, H, W[, C]), one row per id."""
    logits = predict_logits(classifier, images_to_float(images), device or torch.device("cpu"))
    table = pd.DataFrame(logits.astype(np.float64), columns=list(classifier.config.emotions))
    table.insert(0, ID_COLUMN, np.asarray(ids, dtype=str))
    return table


def write_logits(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a logits table (CSV, full float precision)."""
    write_csv(path, table, float_format="%.9g")


def read_logits(path: str | os.PathLike[str], emotions) -> pd.DataFrame:
    """A logits table indexed by image id with one float column per emotion, in ``emotions`` order."""
    table = pd.read_csv(path, dtype={ID_COLUMN: str}, keep_default_na=False)
    missing = [c for c in [ID_COLUMN, *emotions] if c not in table.columns]
    if missing:
        raise DataError(path, f"missing columns {missing}", expected=f"columns {[ID_COLUMN, *emotions]}")
    values = table[list(emotions)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        column = values.columns[values.iloc[row].isna()][0]
        raise DataError(path, "logit is not a number", row=row + 2, column=column,
                        value=table.at[row, column], expected="a finite number")
    return values.set_axis(pd.Index(table[ID_COLUMN], name=ID_COLUMN))
