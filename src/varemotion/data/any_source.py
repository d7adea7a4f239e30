"""The test split of any configured data source with every emotion that source has (for scoring
classifiers trained on another data set)."""

from __future__ import annotations

from varemotion.data.fer2013_csv import FER2013_CODES, load_fer2013_csv
from varemotion.data.ferplus import FERPLUS_EMOTIONS, load_ferplus
from varemotion.data.imagefolder import load_imagefolder
from varemotion.data.splits import Split
from varemotion.data.synthetic import build_synthetic_split
from varemotion.emotions import BASIC_EMOTIONS, KNOWN_EMOTIONS

#: Every emotion each source can have, in its label order.
SOURCE_EMOTIONS = {"synthetic": BASIC_EMOTIONS, "ferplus": FERPLUS_EMOTIONS, "fer2013_csv": FER2013_CODES,
                   "imagefolder": KNOWN_EMOTIONS}


def load_test_split(source: str, settings: dict) -> Split:
    """The test split of `source` from its `data.<source>` config section, with all of its emotions
    (an image folder: those it has a folder for; an emotion without images stays in the label list)."""
    emotions = SOURCE_EMOTIONS[source]
    if source == "synthetic":
        return build_synthetic_split(settings, list(emotions), "test")
    if source == "ferplus":
        return load_ferplus(settings["root"], emotions=emotions)["test"]
    if source == "fer2013_csv":
        return load_fer2013_csv(settings["path"], emotions=emotions)["test"]
    if source == "imagefolder":
        return load_imagefolder(settings["root"], emotions=emotions, image_size=settings["image_size"],
                                val_fraction=settings["val_fraction"], test_fraction=settings["test_fraction"],
                                seed=settings["seed"], group_pattern=settings["group_pattern"])["test"]
    raise ValueError(f"unknown data source {source!r}; expected one of {sorted(SOURCE_EMOTIONS)}")
