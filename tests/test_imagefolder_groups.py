"""Image folders split by subject or sequence (`data.imagefolder.group_pattern`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import write_png
from varemotion.data import DataError, load_imagefolder

CK_PATTERN = r"^(S\d+)_"
EMOTIONS = ("happiness", "sadness", "surprise", "anger")


def make_ck_folder(root: Path, subjects: int = 30, frames: int = 4) -> Path:
    """CK+-style names S<subject>_<sequence>_<frame>.png: every subject posed two emotions, several frames each."""
    for s in range(subjects):
        for q, emotion in enumerate((EMOTIONS[s % 4], EMOTIONS[(s + 1) % 4])):
            for f in range(frames):
                write_png(root / emotion / f"S{s:03d}_{q:03d}_{f:08d}.png", (7 * s + f) % 256, size=(24, 24))
    return root


def subjects_of(split) -> set[str]:
    return {re.match(CK_PATTERN, Path(i).name).group(1) for i in split.ids}


def test_no_subject_crosses_splits_with_a_group_pattern(tmp_path):
    root = make_ck_folder(tmp_path / "ck")
    splits = load_imagefolder(root, emotions=EMOTIONS, image_size=16, val_fraction=0.15, test_fraction=0.2, seed=3,
                              group_pattern=CK_PATTERN)
    groups = {name: subjects_of(split) for name, split in splits.items()}
    assert not groups["train"] & groups["test"] and not groups["train"] & groups["val"] and not groups["val"] & groups["test"]
    assert sum(len(g) for g in groups.values()) == 30
    total = sum(split.n for split in splits.values())
    assert 0.1 <= splits["test"].n / total <= 0.3 and 0.05 <= splits["val"].n / total <= 0.25
    for split in splits.values():  # every emotion in every split (the groups are chosen by emotion)
        assert set(split.labels.tolist()) == set(range(len(EMOTIONS)))
    again = load_imagefolder(root, emotions=EMOTIONS, image_size=16, val_fraction=0.15, test_fraction=0.2, seed=3,
                             group_pattern=CK_PATTERN)
    assert again["test"].ids.tolist() == splits["test"].ids.tolist()


def test_without_a_group_pattern_subjects_leak_into_the_test_split(tmp_path):
    root = make_ck_folder(tmp_path / "ck")
    splits = load_imagefolder(root, emotions=EMOTIONS, image_size=16, val_fraction=0.15, test_fraction=0.2, seed=3)
    assert subjects_of(splits["train"]) & subjects_of(splits["test"])


def test_a_file_name_outside_the_pattern_is_named(tmp_path):
    root = make_ck_folder(tmp_path / "ck", subjects=8)
    write_png(root / "anger" / "subject9.png", 10, size=(24, 24))
    with pytest.raises(DataError) as info:
        load_imagefolder(root, emotions=EMOTIONS, group_pattern=CK_PATTERN)
    message = str(info.value)
    assert "subject9.png" in message and "group_pattern" in message and CK_PATTERN in message


def test_given_splits_that_share_a_subject_are_noted(tmp_path):
    root = tmp_path / "presplit"
    make_ck_folder(root / "train", subjects=6)
    make_ck_folder(root / "test", subjects=3)  # S000..S002 are in both
    splits = load_imagefolder(root, emotions=EMOTIONS, image_size=16, group_pattern=CK_PATTERN)
    assert "3 group(s) have images in more than one split" in str(splits.report)
    assert not subjects_of(splits["train"]) & subjects_of(splits["val"])
