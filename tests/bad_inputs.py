"""Writing the bad inputs of test_bad_input.py: configs, data sets, rating and click files, and weights."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from helpers import (
    FER2013_ROWS,
    FERPLUS_ROWS,
    RATING_EMOTIONS as EMOTIONS,
    STIMULI,
    TINY_RESNET,
    make_fer2013,
    make_ferplus,
    make_imagefolder,
    make_split,
    save_classifier_in,
    write_config,
)
from varemotion.data import save_splits
from varemotion.models import Classifier, ClassifierConfig

SPLITS = ("train", "val", "test")


def config_file(settings: dict) -> Callable[[Path], None]:
    return lambda inputs: write_config(inputs, settings)


def ferplus_with(rows=FERPLUS_ROWS, change=None) -> Callable[[Path], None]:
    def build(inputs: Path) -> None:
        root = make_ferplus(inputs / "ferplus", rows=rows)
        if change:
            change(root)
    return build


def corrupt_png(root: Path) -> None:
    (root / "FER2013Valid" / "fer0000005.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(30))


def imagefolder_with(change) -> Callable[[Path], None]:
    def build(inputs: Path) -> None:
        root = inputs / "faces"
        for split in SPLITS:
            make_imagefolder(root / split, folders=("happy", "sad"), per_class=2, size=(24, 24))
        change(root)
    return build


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def empty_class_folder(root: Path) -> None:
    (root / "test" / "fear").mkdir()
    (root / "test" / "fear" / "notes.txt").write_text("")


def fer2013_with_row(line: int, row: str) -> Callable[[Path], None]:
    rows = list(FER2013_ROWS)
    rows[line - 2] = row
    return lambda inputs: make_fer2013(inputs / "fer2013.csv", rows)


def truncated_split(inputs: Path) -> None:
    splits_and_weights()(inputs)
    truncate(inputs / "splits" / "train.npz")


def split_with_label(inputs: Path) -> None:
    splits_and_weights()(inputs)
    arrays = make_split(n=6, seed=0).arrays()
    arrays["labels"][2] = 7
    np.savez(inputs / "splits" / "train.npz", **arrays)


def tiny_classifier(arch: str = "resnet10t", emotions=EMOTIONS) -> Classifier:
    torch.manual_seed(0)
    kwargs = TINY_RESNET if arch == "resnet10t" else {}
    return Classifier(ClassifierConfig(arch=arch, emotions=list(emotions), image_size=[8, 6], kwargs=kwargs))


def splits_and_weights(write_weights=None) -> Callable[[Path], None]:
    def build(inputs: Path) -> None:
        save_splits(inputs / "splits", {s: make_split(n=6, seed=i) for i, s in enumerate(SPLITS)})
        if write_weights:
            write_weights(inputs / "weights.pt")
    return build


def code_running_pickle(path: Path) -> None:
    torch.save({"conv1.0.weight": RunsCode(path.parent.parent / "results" / "ran")}, path)


class RunsCode:
    """Unpickling this runs a shell command that leaves a file under results/, where no file may appear."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"mkdir -p {self.marker.parent} && touch {self.marker}",))


def frontend_from(saved: Classifier) -> Callable[[Path], None]:
    """A front-end folder whose config.json is a 3-emotion resnet10t but whose weights are `saved`'s."""
    def build(inputs: Path) -> None:
        save_classifier_in(tiny_classifier(), inputs / "frontend")
        torch.save(saved.state_dict(), inputs / "frontend" / "weights.pt")
        np.savez(inputs / "stimuli.npz", stimulus_ids=np.array(STIMULI), images=np.zeros((3, 8, 6), np.uint8))
    return build


def text_file(name: str, text: str) -> Callable[[Path], None]:
    return lambda inputs: (inputs / name).write_bytes(text.encode())


TRIALS = "subject_id,stimulus_id,response,rt_ms\np1,uncertainty-a-00001,happiness,512\n"
CLICKS = "subject_id,stimulus_id,click,x,y,radius,response\n"
TWOAFC = "subject_id,stimulus_id,target,foil,response\n"


def people_files(clicks: str, twoafc: str) -> Callable[[Path], None]:
    def build(inputs: Path) -> None:
        np.savez(inputs / "faces.npz", ids=np.array(STIMULI), labels=np.arange(3), emotions=np.array(EMOTIONS),
                 images=np.zeros((3, 20, 32), np.uint8))
        (inputs / "clicks.csv").write_text(clicks)
        (inputs / "twoafc.csv").write_text(twoafc)
    return build


GOOD_CLICKS = CLICKS + "p1,uncertainty-a-00001,1,4,5,2,neutral\n"
GOOD_TWOAFC = TWOAFC + "p1,uncertainty-a-00001,neutral,sadness,neutral\n"
