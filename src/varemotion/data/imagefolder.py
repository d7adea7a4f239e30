"""Loader for image folders with one sub-folder per emotion (RAF-DB, AffectNet, CK+ style).

Two layouts under ``root``:

- ``root/<emotion>/*.{png,jpg,jpeg,bmp}``: split into train/val/test at random, stratified by
  emotion, reproducibly from ``seed``;
- ``root/{train,val,test}/<emotion>/*``: the given splits; a missing val or test split is carved
  out of train as above.

With a ``group_pattern`` (a regular expression whose first group, searched in the file name,
names the subject or sequence: ``^(S\\d+)_`` for CK+), whole groups are carved out instead of
single images, so that every image of one group falls into the same split.

Folder names match emotion names case-insensitively, with common aliases (happy, sad, angry,
surprised, fearful, disgusted, …). Non-square images are centre-cropped, then resized.
Hidden entries and files without an image suffix are ignored.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..emotions import BASIC_EMOTIONS, KNOWN_EMOTIONS
from .errors import DataError
from .images import is_image_file, read_images
from .splits import LoadReport, Split, SplitSet

#: Folder name (lower case) → emotion, beyond the emotion names themselves.
ALIASES = {
    "happy": "happiness", "sad": "sadness", "angry": "anger", "surprised": "surprise",
    "fearful": "fear", "scared": "fear", "disgusted": "disgust", "contemptuous": "contempt",
    "neutrality": "neutral",
}
#: Folder name (lower case) → split, for the pre-split layout.
SPLIT_FOLDERS = {"train": "train", "training": "train", "val": "val", "valid": "val",
                 "validation": "val", "test": "test", "testing": "test"}


def _emotion_of(folder: Path) -> str:
    """The emotion a class folder stands for; anything else raises DataError."""
    key = folder.name.strip().lower()
    emotion = key if key in KNOWN_EMOTIONS else ALIASES.get(key)
    if emotion is None:
        names = sorted(set(KNOWN_EMOTIONS) | set(ALIASES))
        raise DataError(folder, "folder is not named after an emotion",
                        expected=f"a name, in any case, from {', '.join(names)}")
    return emotion


def _subfolders(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))


def _scan_classes(directory: Path, emotions, root: Path, report: LoadReport) -> list[tuple[Path, int]]:
    """(image path, label) for every image in ``directory/<emotion>/``, sorted by path."""
    found: dict[str, Path] = {}
    items = []
    for folder in _subfolders(directory):
        emotion = _emotion_of(folder)
        if emotion in found:
            raise DataError(folder, f"is a second folder for {emotion!r}", expected=f"only {found[emotion]}")
        found[emotion] = folder
        files = sorted(p for p in folder.iterdir() if is_image_file(p))
        if not files:
            raise DataError(folder, "class folder has no images",
                            expected="files ending in .png, .jpg, .jpeg or .bmp")
        if emotion not in emotions:
            report.drop(f"images of emotion {emotion!r} (not chosen)", len(files))
            continue
        items += [(p, emotions.index(emotion)) for p in files]
    if not found:
        raise DataError(directory, "has no emotion sub-folders", expected="one sub-folder per emotion")
    missing = [e for e in emotions if e not in found]
    if missing:
        report.notes.append(f"{directory.relative_to(root.parent)}: no folder for {missing}")
    return items


def _carve(items, fractions: dict[str, float], seed: int):
    """Stratified random split of ``items`` by the given fractions; the rest stays in 'train'."""
    rng = np.random.default_rng(seed)
    labels = np.array([label for _, label in items], dtype=np.int64)
    parts: dict[str, list] = {"train": [], **{name: [] for name in fractions}}
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        start = 0
        for name, fraction in fractions.items():
            count = int(round(fraction * len(members)))
            parts[name] += [items[i] for i in members[start:start + count]]
            start += count
        parts["train"] += [items[i] for i in members[start:]]
    return {name: sorted(part) for name, part in parts.items()}


def group_of(path: Path, pattern: re.Pattern) -> str:
    """The subject or sequence an image belongs to: the first group of `pattern` searched in its file name."""
    match = pattern.search(path.name)
    if match is None or not match.group(1):
        raise DataError(path, f"file name does not match data.imagefolder.group_pattern '{pattern.pattern}'",
                        value=path.name, expected="a name whose first group of the pattern names its subject or sequence")
    return match.group(1)


def _carve_groups(items, fractions: dict[str, float], seed: int, pattern: re.Pattern):
    """Like `_carve`, but whole groups go to one split: groups in random order, each to the held-out split
    below its size whose per-emotion shortfall it fills most, else to 'train'."""
    rng = np.random.default_rng(seed)
    labels = np.array([label for _, label in items], dtype=np.int64)
    groups: dict[str, list[int]] = {}
    for i, (path, _) in enumerate(items):
        groups.setdefault(group_of(path, pattern), []).append(i)
    names = sorted(groups)
    totals = np.bincount(labels, minlength=labels.max() + 1 if len(labels) else 0)
    filled = {name: np.zeros_like(totals) for name in fractions}
    parts: dict[str, list] = {"train": [], **{name: [] for name in fractions}}
    for g in rng.permutation(len(names)):
        members = groups[names[g]]
        counts = np.bincount(labels[members], minlength=len(totals))
        best, best_gain = "train", 0
        for name, fraction in fractions.items():
            if filled[name].sum() >= fraction * totals.sum():
                continue
            gain = np.minimum(counts, np.clip(fraction * totals - filled[name], 0, None)).sum()
            if gain > best_gain:
                best, best_gain = name, gain
        if best != "train":
            filled[best] += counts
        parts[best] += [items[i] for i in members]
    return {name: sorted(part) for name, part in parts.items()}


def _shared_groups(parts, pattern: re.Pattern) -> list[str]:
    """Groups with images in more than one of the given splits."""
    seen: dict[str, str] = {}
    shared = set()
    for name, part in parts.items():
        for path, _ in part:
            group = group_of(path, pattern)
            if seen.setdefault(group, name) != name:
                shared.add(group)
    return sorted(shared)


def _layout(root: Path) -> dict[str, Path] | None:
    """The split folders of a pre-split root, or None for a flat one."""
    folders = {}
    for folder in _subfolders(root):
        split = SPLIT_FOLDERS.get(folder.name.lower())
        if split is not None:
            if split in folders:
                raise DataError(folder, f"is a second folder for split {split!r}", expected=f"only {folders[split]}")
            folders[split] = folder
    if folders and "train" not in folders:
        raise DataError(root, "has split folders but no train folder", expected="train/, val/, test/")
    return folders or None


def load_imagefolder(
    root: str | os.PathLike[str],
    emotions=BASIC_EMOTIONS,
    image_size: int = 48,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    grey: bool = True,
    group_pattern: str | None = None,
) -> SplitSet:
    """Load an emotion-per-folder image set as train/val/test splits (see the module docstring).

    Ids are the image paths relative to ``root`` (posix). ``val_fraction``/``test_fraction``
    are used only for splits the folders do not give; with ``group_pattern`` they are carved
    by subject or sequence. Images are grey uint8 (N, S, S), or RGB (N, S, S, 3) when ``grey``
    is False.
    """
    emotions = tuple(emotions)
    if not emotions or len(set(emotions)) != len(emotions) or not set(emotions) <= set(KNOWN_EMOTIONS):
        raise ValueError(f"emotions must be distinct names from {list(KNOWN_EMOTIONS)}, got {list(emotions)}")
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "image folder does not exist", expected="one sub-folder per emotion")
    report = LoadReport(source=str(root))
    pattern = re.compile(group_pattern) if group_pattern else None

    def carve(items, fractions):
        return _carve(items, fractions, seed) if pattern is None else _carve_groups(items, fractions, seed, pattern)

    folders = _layout(root)
    if folders is None:
        parts = carve(_scan_classes(root, emotions, root, report), {"val": val_fraction, "test": test_fraction})
    else:
        parts = {name: _scan_classes(folder, emotions, root, report) for name, folder in folders.items()}
        wanted = {"val": val_fraction, "test": test_fraction}
        fractions = {name: fraction for name, fraction in wanted.items() if name not in folders}
        if fractions:
            parts.update(carve(parts.pop("train"), fractions))
    if pattern is not None:
        shared = _shared_groups(parts, pattern)
        if shared:
            report.notes.append(f"{len(shared)} group(s) have images in more than one split, e.g. {shared[:3]}")
    report.rows_read = sum(len(part) for part in parts.values()) + sum(report.dropped.values())

    splits = {}
    for name in ("train", "val", "test"):
        if not parts[name]:
            raise DataError(root, f"split {name!r} is empty: no images of {list(emotions)} fall into it",
                            expected="more images per class, or a larger fraction for this split")
        paths = [path for path, _ in parts[name]]
        splits[name] = Split(
            images=read_images(paths, image_size, grey),
            labels=np.array([label for _, label in parts[name]], dtype=np.int64),
            ids=np.array([p.relative_to(root).as_posix() for p in paths], dtype=str),
            emotions=emotions,
        )
    return SplitSet(splits, report)
