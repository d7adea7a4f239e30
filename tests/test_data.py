"""Tests for varemotion.data: the split format and the FER+, fer2013.csv and image-folder loaders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import (
    FER2013_ROWS,
    FERPLUS_HEADER,
    FERPLUS_ROWS,
    fer2013_row,
    grey_of,
    make_fer2013,
    make_ferplus,
    make_imagefolder,
    make_split,
    tree_hashes,
)
from varemotion.data import (
    DataError,
    load_fer2013_csv,
    load_ferplus,
    load_imagefolder,
    load_split,
    load_splits,
    save_split,
    save_splits,
)
from varemotion.emotions import BASIC_EMOTIONS, KNOWN_EMOTIONS


@pytest.fixture
def ferplus(tmp_path) -> Path:
    return make_ferplus(tmp_path / "ferplus")


def test_ferplus_joins_by_name_and_applies_drop_rules(ferplus):
    before = tree_hashes(ferplus)
    splits = load_ferplus(ferplus)
    assert tree_hashes(ferplus) == before
    assert set(splits) == {"train", "val", "test"}
    train = splits["train"]
    assert sorted(train.ids.tolist()) == ["fer0000000.png", "fer0000001.png", "fer0000007.png"]
    for split in splits.values():
        assert split.images.dtype == np.uint8 and split.images.shape[1:] == (48, 48)
        assert split.ids.dtype.kind == "U" and split.emotions == BASIC_EMOTIONS
        np.testing.assert_allclose(split.soft_labels.sum(axis=1), 1.0, rtol=1e-6)
        for image, image_id in zip(split.images, split.ids):
            assert np.all(image == grey_of(image_id))  # image follows its name, not its row
    label = {i: BASIC_EMOTIONS[lab] for s in splits.values() for i, lab in zip(s.ids, s.labels)}
    assert label == {"fer0000000.png": "neutral", "fer0000001.png": "happiness", "fer0000007.png": "anger",
                     "fer0000005.png": "surprise", "fer0000006.png": "fear",
                     "fer0000009.png": "sadness", "fer0000008.png": "disgust"}
    soft = dict(zip(train.ids, train.soft_labels))["fer0000000.png"]
    np.testing.assert_allclose(soft, [0.4, 0, 0, 0.4, 0.2, 0, 0])
    # unknown votes are excluded from the distribution
    np.testing.assert_allclose(splits["val"].soft_labels[splits["val"].ids == "fer0000006.png"][0],
                               [0, 0, 0, 0, 0, 0, 1])
    assert splits["train"].extras["votes"].shape == (3, 10)
    report = splits.report
    assert report.rows_read == 12 and report.counts == {"train": 3, "val": 2, "test": 2}
    text = str(report)
    assert "1 names" in text and "dropped 2" in text and "NF" in text


def test_ferplus_eight_emotions_keeps_contempt(ferplus):
    splits = load_ferplus(ferplus, emotions=KNOWN_EMOTIONS)
    assert "fer0000004.png" in splits["train"].ids
    assert splits["train"].num_classes == 8


def test_ferplus_resizes(ferplus):
    assert load_ferplus(ferplus, image_size=32)["test"].images.shape == (2, 32, 32)


def _assert_names(error: DataError, *parts) -> None:
    message = str(error)
    for part in parts:
        assert part in message, (part, message)


def test_ferplus_bad_inputs(tmp_path):
    with pytest.raises(DataError) as info:
        load_ferplus(tmp_path / "nowhere")
    _assert_names(info.value, "fer2013new.csv", "does not exist")

    root = make_ferplus(tmp_path / "nocol", header=FERPLUS_HEADER.replace(",NF", ",nf"))
    with pytest.raises(DataError) as info:
        load_ferplus(root)
    _assert_names(info.value, "fer2013new.csv", "line 1", "'NF'")

    rows = FERPLUS_ROWS[:3] + [FERPLUS_ROWS[3].replace("PublicTest", "Public")] + FERPLUS_ROWS[4:]
    with pytest.raises(DataError) as info:
        load_ferplus(_ferplus_with(tmp_path / "usage", rows))
    _assert_names(info.value, "fer2013new.csv", "line 5", "'Usage'", "'Public'")

    rows = list(FERPLUS_ROWS)
    rows[1] = rows[1].replace(",7,", ",x7,")
    with pytest.raises(DataError) as info:
        load_ferplus(_ferplus_with(tmp_path / "votes", rows))
    _assert_names(info.value, "line 3", "'happiness'", "'x7'")

    root = make_ferplus(tmp_path / "nofile")
    (root / "FER2013Valid" / "fer0000005.png").unlink()
    with pytest.raises(DataError) as info:
        load_ferplus(root)
    _assert_names(info.value, "fer2013new.csv", "line 5", "'Image name'", "fer0000005.png")

    root = make_ferplus(tmp_path / "corrupt")
    (root / "FER2013Test" / "fer0000008.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError) as info:
        load_ferplus(root)
    _assert_names(info.value, "fer0000008.png", "cannot be read")

    root = make_ferplus(tmp_path / "empty", rows=[r for r in FERPLUS_ROWS if not r.startswith("PrivateTest")])
    with pytest.raises(DataError) as info:
        load_ferplus(root)
    _assert_names(info.value, "fer2013new.csv", "'test' is empty", "PrivateTest")


def _ferplus_with(root: Path, rows) -> Path:
    """A FER+ folder whose csv has ``rows`` but images for the good rows."""
    make_ferplus(root)
    (root / "fer2013new.csv").write_text("\n".join([FERPLUS_HEADER] + rows) + "\n")
    return root


# ---------------------------------------------------------------- fer2013.csv


def test_fer2013_csv_happy_path(tmp_path):
    path = make_fer2013(tmp_path / "fer2013.csv")
    before = tree_hashes(tmp_path)
    splits = load_fer2013_csv(path)
    assert tree_hashes(tmp_path) == before
    train = splits["train"]
    assert [BASIC_EMOTIONS[i] for i in train.labels] == ["happiness", "anger", "disgust"]
    assert train.ids.tolist() == ["fer0000000.png", "fer0000001.png", "fer0000002.png"]
    assert train.images.shape == (3, 48, 48) and train.images[1].max() == 20
    assert [BASIC_EMOTIONS[i] for i in splits["val"].labels] == ["neutral", "sadness"]
    assert [BASIC_EMOTIONS[i] for i in splits["test"].labels] == ["surprise", "fear"]
    assert splits["test"].ids.tolist() == ["fer0000005.png", "fer0000006.png"]

    subset = load_fer2013_csv(path, emotions=("happiness", "anger", "sadness", "fear"), image_size=24)
    assert subset["train"].n == 2 and subset["train"].images.shape[1:] == (24, 24)
    assert "disgust" in str(subset.report)


@pytest.mark.parametrize("line, bad_row, column, value", [
    (3, fer2013_row(0, "Training").replace(" 100 ", " 1x0 ", 1), "pixels", "1x0"),
    (3, fer2013_row(0, "Training", count=48 * 47), "pixels", "100 100"),
    (3, fer2013_row(0, "Training", value=256), "pixels", "256"),
    (4, fer2013_row(7, "PublicTest"), "emotion", "7"),
    (4, fer2013_row("x", "PublicTest"), "emotion", "x"),
    (5, fer2013_row(1, "Valid"), "Usage", "Valid"),
])
def test_fer2013_csv_bad_values(tmp_path, line, bad_row, column, value):
    rows = list(FER2013_ROWS)
    rows[line - 2] = bad_row
    path = make_fer2013(tmp_path / "fer2013.csv", rows)
    with pytest.raises(DataError) as info:
        load_fer2013_csv(path)
    _assert_names(info.value, "fer2013.csv", f"line {line}", f"column '{column}'", value)
    assert info.value.row == line and info.value.column == column


def test_fer2013_csv_bad_files(tmp_path):
    with pytest.raises(DataError, match="fer2013.csv.*does not exist"):
        load_fer2013_csv(tmp_path / "fer2013.csv")
    path = make_fer2013(tmp_path / "nopix.csv", header="emotion,pix,Usage")
    with pytest.raises(DataError) as info:
        load_fer2013_csv(path)
    _assert_names(info.value, "nopix.csv", "line 1", "'pixels'")
    rows = FER2013_ROWS[:2] + [""] + [FER2013_ROWS[2].replace(",Training", ",Train")] + FER2013_ROWS[3:]
    with pytest.raises(DataError) as info:  # a blank line still counts as a line
        load_fer2013_csv(make_fer2013(tmp_path / "blank.csv", rows))
    _assert_names(info.value, "blank.csv", "line 5", "'Usage'", "'Train'")
    path = make_fer2013(tmp_path / "notest.csv", [r for r in FER2013_ROWS if "PrivateTest" not in r])
    with pytest.raises(DataError) as info:
        load_fer2013_csv(path)
    _assert_names(info.value, "notest.csv", "'test' is empty", "Usage == 'PrivateTest'")


# ---------------------------------------------------------------- image folders


def test_imagefolder_flat_layout(tmp_path):
    root = make_imagefolder(tmp_path / "faces")
    (root / "notes.txt").write_text("ignored")
    before = tree_hashes(root)
    splits = load_imagefolder(root, image_size=32, seed=1)
    assert tree_hashes(root) == before
    assert {name: s.n for name, s in splits.items()} == {"train": 32, "val": 4, "test": 4}
    for split in splits.values():
        assert split.images.shape[1:] == (32, 32) and split.images.dtype == np.uint8
        counts = np.bincount(split.labels, minlength=7)  # stratified: every class equally often
        assert counts[[BASIC_EMOTIONS.index(e) for e in ("happiness", "sadness", "anger", "neutral")]].tolist() \
            == [split.n // 4] * 4
    all_ids = np.concatenate([s.ids for s in splits.values()])
    assert len(set(all_ids)) == 40 and "Happy/img00.png" in all_ids
    again = load_imagefolder(root, image_size=32, seed=1)
    assert again["test"].ids.tolist() == splits["test"].ids.tolist()
    assert load_imagefolder(root, image_size=32, seed=2)["test"].ids.tolist() != splits["test"].ids.tolist()
    rgb = load_imagefolder(root, image_size=16, grey=False)
    assert rgb["train"].images.shape[1:] == (16, 16, 3)


def test_imagefolder_presplit_layout(tmp_path):
    root = tmp_path / "raf"
    for split, n in (("train", 6), ("val", 2), ("Test", 3)):
        make_imagefolder(root / split, folders=("happy", "Surprised", "fearful"), per_class=n, size=(24, 24))
    splits = load_imagefolder(root, emotions=("happiness", "surprise"), image_size=24)
    assert {name: s.n for name, s in splits.items()} == {"train": 12, "val": 4, "test": 6}
    assert splits["test"].ids[0].startswith("Test/")
    assert "fear" in str(splits.report)


def test_imagefolder_bad_inputs(tmp_path):
    root = make_imagefolder(tmp_path / "a", folders=("happy", "joy"))
    with pytest.raises(DataError) as info:
        load_imagefolder(root)
    _assert_names(info.value, "joy", "not named after an emotion", "happiness", "sad")

    root = make_imagefolder(tmp_path / "b", folders=("happy", "sad"))
    (root / "disgust").mkdir()
    with pytest.raises(DataError) as info:
        load_imagefolder(root)
    _assert_names(info.value, "disgust", "no images")

    root = make_imagefolder(tmp_path / "c", folders=("happy", "sad"))
    (root / "sad" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataError) as info:
        load_imagefolder(root)
    _assert_names(info.value, "broken.jpg", "cannot be read")

    with pytest.raises(DataError, match="does not exist"):
        load_imagefolder(tmp_path / "missing")


# ---------------------------------------------------------------- split format


def test_split_round_trip_preserves_every_array(tmp_path):
    split = make_split(rgb=True)
    path = save_split(tmp_path / "out" / "train.npz", split)
    assert [p.name for p in path.parent.iterdir()] == ["train.npz"]  # no temporary file left
    with np.load(path, allow_pickle=False) as archive:
        assert archive["ids"].dtype.kind == "U" and archive["emotions"].dtype.kind == "U"
    loaded = load_split(path)
    for name, array in split.arrays().items():
        got = loaded.arrays()[name]
        assert got.dtype == array.dtype and np.array_equal(got, array), name
    assert loaded.emotions == split.emotions and set(loaded.extras) == {"au", "au_names"}
    assert loaded.n == 5 and loaded.num_classes == 3 and loaded.image_size == (8, 6)
    images = loaded.images_float()
    assert images.shape == (5, 3, 8, 6) and images.dtype.is_floating_point
    assert 0 <= images.min() and images.max() <= 1
    assert make_split().images_float().shape == (5, 1, 8, 6)


def test_load_split_bad_files(tmp_path):
    with pytest.raises(DataError, match="nothing.npz.*does not exist"):
        load_split(tmp_path / "nothing.npz")
    path = save_split(tmp_path / "train.npz", make_split(n=200))
    data = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated.npz"):
        load_split(truncated)
    split = make_split()
    arrays = split.arrays()
    del arrays["labels"]
    np.savez(tmp_path / "nolabels.npz", **arrays)
    with pytest.raises(DataError, match="nolabels.npz.*'labels' is missing"):
        load_split(tmp_path / "nolabels.npz")
    arrays = split.arrays()
    arrays["labels"] = arrays["labels"][:3]
    np.savez(tmp_path / "short.npz", **arrays)
    with pytest.raises(DataError, match="short.npz.*'labels'"):
        load_split(tmp_path / "short.npz")


def test_save_splits_writes_nothing_on_bad_input(tmp_path):
    good = {"train": make_split(seed=0), "val": make_split(seed=1), "test": make_split(seed=2)}
    empty = make_split(n=0, seed=2)
    with pytest.raises(DataError, match="'test' is empty"):
        save_splits(tmp_path / "a", {**good, "test": empty})
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    other = make_split(seed=2, k=4)
    with pytest.raises(DataError, match="emotions"):
        save_splits(tmp_path / "b", {**good, "test": other})
    assert not (tmp_path / "b").exists()
    paths = save_splits(tmp_path / "c", good)
    assert sorted(p.name for p in paths.values()) == ["test.npz", "train.npz", "val.npz"]
    assert load_splits(tmp_path / "c")["val"].ids.tolist() == good["val"].ids.tolist()


def test_ferplus_save_and_reload(ferplus, tmp_path):
    splits = load_ferplus(ferplus)
    save_splits(tmp_path / "out", splits)
    loaded = load_splits(tmp_path / "out")
    assert np.array_equal(loaded["train"].soft_labels, splits["train"].soft_labels)


# ---------------------------------------------------------------- the real FER+ copy

def test_real_ferplus(ferplus_root):
    splits = load_ferplus(ferplus_root, emotions=KNOWN_EMOTIONS)
    report = splits.report
    # 35,887 rows: 173 without a name, 8 sharing 4 names, leaving 35,706 faces of the 35,710 names
    assert report.rows_read == 35887
    assert report.dropped["rows without an image name (no image)"] == 173
    assert sum(v for k, v in report.dropped.items() if k.startswith("rows sharing")) == 8
    assert report.counts == {"train": 28553, "val": 3578, "test": 3572}  # 3 NF-majority faces dropped
    soft = np.concatenate([s.soft_labels for s in splits.values()]).astype(np.float64)
    logs = np.log2(np.where(soft > 0, soft, 1.0))
    entropy = -(soft * logs).sum(axis=1)
    assert abs(entropy.mean() - 0.75) < 0.05
    assert abs((soft.max(axis=1) <= 0.5).mean() - 0.15) < 0.02
    assert splits["train"].images.shape == (28553, 48, 48)
