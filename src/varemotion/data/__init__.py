"""Face data sets: the on-disk split format (.npz) and loaders for real face data.

Every loader returns a :class:`SplitSet` (a ``dict[str, Split]`` with keys train/val/test and a
``report`` of what was read and dropped) and raises :class:`DataError` for bad input files.
"""

from .errors import DataError
from .fer2013_csv import load_fer2013_csv
from .ferplus import load_ferplus
from .imagefolder import load_imagefolder
from .splits import (
    LoadReport,
    Split,
    SplitSet,
    check_splits,
    load_split,
    load_splits,
    save_split,
    save_splits,
)

__all__ = [
    "DataError",
    "LoadReport",
    "Split",
    "SplitSet",
    "check_splits",
    "load_fer2013_csv",
    "load_ferplus",
    "load_imagefolder",
    "load_split",
    "load_splits",
    "save_split",
    "save_splits",
]
