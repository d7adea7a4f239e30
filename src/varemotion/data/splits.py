"""The on-disk data set format: one compressed, pickle-free ``.npz`` per split.

Arrays in a split file:

- ``images``: uint8 (N, H, W) grey or (N, H, W, C)
- ``labels``: int64 (N,), indexes into ``emotions``
- ``soft_labels`` (optional): float32 (N, K), rows summing to 1
- ``ids``: (N,) unicode strings, unique, stable identifiers (e.g. FER+ image names)
- ``emotions``: (K,) unicode strings
- any extra named arrays a source adds (``Split.extras``), never of object dtype
"""

from __future__ import annotations

import logging
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from varemotion.atomic import write_atomically

from .errors import DataError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

REQUIRED_ARRAYS = ("images", "labels", "ids", "emotions")
OPTIONAL_ARRAYS = ("soft_labels",)
SPLIT_NAMES = ("train", "val", "test")


@dataclass
class Split:
    """One data split in memory; ``emotions`` is kept as a tuple of names."""

    images: np.ndarray
    labels: np.ndarray
    ids: np.ndarray
    emotions: tuple[str, ...]
    soft_labels: np.ndarray | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.emotions = tuple(str(e) for e in np.asarray(self.emotions).ravel())
        self.ids = np.asarray(self.ids)
        if self.ids.dtype.kind in "OS":
            self.ids = self.ids.astype(str)
        self.labels = np.asarray(self.labels)
        if self.labels.dtype.kind in "iu":
            self.labels = self.labels.astype(np.int64, copy=False)
        if self.soft_labels is not None and np.asarray(self.soft_labels).dtype.kind == "f":
            self.soft_labels = np.asarray(self.soft_labels, dtype=np.float32)

    @property
    def n(self) -> int:
        """Number of images."""
        return int(self.images.shape[0])

    @property
    def num_classes(self) -> int:
        """Number of emotion classes K."""
        return len(self.emotions)

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W) of every image."""
        return int(self.images.shape[1]), int(self.images.shape[2])

    @property
    def channels(self) -> int:
        """1 for grey images, else C."""
        return 1 if self.images.ndim == 3 else int(self.images.shape[3])

    def images_float(self) -> "torch.Tensor":
        """All images as a float32 tensor (N, C, H, W) in [0, 1]."""
        return images_to_float(self.images)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array as it is stored on disk."""
        out = {"images": self.images, "labels": self.labels, "ids": self.ids,
               "emotions": np.asarray(self.emotions, dtype=str)}
        if self.soft_labels is not None:
            out["soft_labels"] = self.soft_labels
        out.update(self.extras)
        return out

    def validate(self, source: str | os.PathLike[str] | None = None) -> None:
        """Raise DataError (naming ``source`` and the array) if arrays disagree in shape or dtype."""
        for problem in _problems(self):
            raise DataError(source, problem)


def _problems(split: Split):
    """Yield a description of each inconsistency (the first is reported)."""
    images, k = split.images, len(split.emotions)
    n = images.shape[0] if images.ndim else 0
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        yield f"array 'images' is {images.dtype} {images.shape}, expected uint8 (N, H, W) or (N, H, W, C)"
    if k == 0 or len(set(split.emotions)) != k:
        yield f"array 'emotions' must hold distinct names, got {list(split.emotions)}"
    if split.labels.dtype != np.int64 or split.labels.shape != (n,):
        yield f"array 'labels' is {split.labels.dtype} {split.labels.shape}, expected int64 ({n},)"
    elif n and (split.labels.min() < 0 or split.labels.max() >= k):
        i = int(np.flatnonzero((split.labels < 0) | (split.labels >= k))[0])
        yield f"array 'labels' holds {split.labels[i]} at position {i}, outside 0..{k - 1} (one per emotion)"
    if split.ids.dtype.kind != "U" or split.ids.shape != (n,):
        yield f"array 'ids' is {split.ids.dtype} {split.ids.shape}, expected unicode strings ({n},)"
    elif len(np.unique(split.ids)) != n:
        yield "array 'ids' has duplicate identifiers"
    soft = split.soft_labels
    if soft is not None:
        if soft.dtype != np.float32 or soft.shape != (n, k):
            yield f"array 'soft_labels' is {soft.dtype} {soft.shape}, expected float32 ({n}, {k})"
        elif n and (soft.min() < 0 or not np.allclose(soft.sum(axis=1), 1.0, atol=1e-4)):
            yield "array 'soft_labels' has rows that are negative or do not sum to 1"
    for name, array in split.extras.items():
        if name in REQUIRED_ARRAYS + OPTIONAL_ARRAYS:
            yield f"extra array {name!r} clashes with a standard array name"
        elif not isinstance(array, np.ndarray) or array.dtype.kind == "O":
            yield f"extra array {name!r} must be a numpy array of a non-object dtype"


def images_to_float(images: np.ndarray) -> "torch.Tensor":
    """uint8 images (N, H, W) or (N, H, W, C) as a float32 tensor (N, C, H, W) in [0, 1]."""
    import torch

    tensor = torch.from_numpy(np.ascontiguousarray(images))
    tensor = tensor.unsqueeze(1) if tensor.ndim == 3 else tensor.permute(0, 3, 1, 2)
    return tensor.float().div_(255.0).contiguous()


def save_split(path: str | os.PathLike[str], split: Split) -> Path:
    """Validate and write one split atomically as a compressed, pickle-free .npz."""
    path = Path(path)
    split.validate(path)
    return write_atomically(path, lambda handle: np.savez_compressed(handle, **split.arrays()))


def load_split(path: str | os.PathLike[str]) -> Split:
    """Read a split written by save_split; any missing, corrupt or inconsistent file raises DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "split file does not exist")
    arrays: dict[str, np.ndarray] = {}
    name = None
    try:
        with np.load(path, allow_pickle=False) as archive:
            for name in archive.files:
                arrays[name] = archive[name]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError) as exc:
        what = f"array {name!r} cannot be read" if name else "is not a readable .npz archive"
        expected = f"a split file written by save_split, with arrays {', '.join(REQUIRED_ARRAYS)}"
        raise DataError(path, f"{what} (truncated or corrupt file? {exc})", expected=expected) from None
    for name in REQUIRED_ARRAYS:
        if name not in arrays:
            raise DataError(path, f"array {name!r} is missing", expected=f"arrays {', '.join(REQUIRED_ARRAYS)}")
    split = Split(
        images=arrays.pop("images"), labels=arrays.pop("labels"), ids=arrays.pop("ids"),
        emotions=tuple(arrays.pop("emotions").tolist()), soft_labels=arrays.pop("soft_labels", None),
        extras=arrays,
    )
    split.validate(path)
    return split


def split_paths(
    directory_or_paths: str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]], names
) -> dict[str, Path]:
    """``<directory>/<name>.npz`` for each split name, or the given name → path mapping."""
    if isinstance(directory_or_paths, Mapping):
        missing = [n for n in names if n not in directory_or_paths]
        if missing:
            raise ValueError(f"no output path given for split(s) {missing}")
        return {n: Path(directory_or_paths[n]) for n in names}
    return {n: Path(directory_or_paths) / f"{n}.npz" for n in names}


def check_splits(splits: Mapping[str, Split], paths: Mapping[str, Path] | None = None) -> None:
    """Check a set of splits belongs together: each valid and non-empty, same emotions and image shape."""
    if not splits:
        raise ValueError("no splits given")
    first_name, first = next(iter(splits.items()))
    seen: dict[str, str] = {}
    for name, split in splits.items():
        where = paths[name] if paths else f"split {name!r}"
        if split.n == 0:
            raise DataError(where, f"split {name!r} is empty (no images)")
        split.validate(where)
        if split.emotions != first.emotions:
            raise DataError(where, f"split {name!r} has emotions {list(split.emotions)}, "
                                   f"but split {first_name!r} has {list(first.emotions)}")
        if split.images.shape[1:] != first.images.shape[1:]:
            raise DataError(where, f"split {name!r} has images of shape {split.images.shape[1:]}, "
                                   f"but split {first_name!r} has {first.images.shape[1:]}")
        for image_id in split.ids.tolist():
            if seen.setdefault(image_id, name) != name:
                raise DataError(where, f"id {image_id!r} is in both split {seen[image_id]!r} and {name!r}")


def save_splits(
    directory_or_paths: str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]],
    splits: Mapping[str, Split],
) -> dict[str, Path]:
    """Validate all splits together, then write each one; a bad input writes nothing."""
    paths = split_paths(directory_or_paths, list(splits))
    check_splits(splits, paths)
    for name, split in splits.items():
        save_split(paths[name], split)
        log.info("wrote %s: %d images", paths[name], split.n)
    return paths


def load_splits(
    directory_or_paths: str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]],
    names=SPLIT_NAMES,
) -> dict[str, Split]:
    """Read the named splits (default train/val/test) written by save_splits."""
    paths = split_paths(directory_or_paths, list(names))
    return {name: load_split(path) for name, path in paths.items()}


@dataclass
class LoadReport:
    """What a loader read and dropped, for logs and provenance."""

    source: str
    rows_read: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, count: int) -> None:
        """Count ``count`` rows dropped for ``reason`` (zero counts are kept out)."""
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    def __str__(self) -> str:
        lines = [f"{self.source}: {self.rows_read} rows read"]
        lines += [f"  dropped {count}: {reason}" for reason, count in self.dropped.items()]
        lines.append("  kept " + ", ".join(f"{name} {count}" for name, count in self.counts.items()))
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


class SplitSet(dict):
    """``dict[str, Split]`` (train/val/test) that also carries the loader's ``report``."""

    def __init__(self, splits: Mapping[str, Split], report: LoadReport) -> None:
        check_splits(splits)
        super().__init__(splits)
        self.report = report
        report.counts = {name: split.n for name, split in splits.items()}
        log.info("%s", report)
