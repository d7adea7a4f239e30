"""A rated face set from outside: a folder of images and a stimulus table read into the stimulus set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from helpers import save_classifier_in, tree_hashes
from varemotion.data import DataError, load_imagefolder
from varemotion.data.images import read_image
from varemotion.external import run_external_stimulus_set
from varemotion.manifest import manifest_columns
from varemotion.models import Classifier, ClassifierConfig
from varemotion.stats.images import per_image_table
from varemotion.stimuli import read_manifest, read_stimulus_images

EMOTIONS = ["neutral", "happiness", "sadness"]
SIZE = 24
TABLE = """stimulus_id,file,identity,from,to,intensity
face-rgba,cutout.png,id1,neutral,happiness,50
face-rgb,wide.jpg,id1,neutral,happiness,100
face-grey,sub/grey.png,id2,neutral,sadness,25
face-tall,tall.bmp,id2,neutral,sadness,75
"""


def classifiers(folder: Path) -> dict[str, str]:
    """Two tiny classifiers of different families saved under ``folder``, by name."""
    paths = {}
    for name, arch, kwargs in (("resnet", "resnet10t", {"channels": [8, 16, 16, 16], "stem_width": 8}),
                               ("csp", "cs3darknet_focus_s", {})):
        torch.manual_seed(0)
        model = Classifier(ClassifierConfig(arch=arch, emotions=EMOTIONS, image_size=[SIZE, SIZE], kwargs=kwargs))
        paths[name] = str(save_classifier_in(model, folder / name))
    return paths


def face_folder(root: Path) -> Path:
    """Images of every mode and shape: an RGBA cut-out, wide RGB, grey in a sub-folder, a tall palette BMP."""
    images = root / "images"
    (images / "sub").mkdir(parents=True)
    cutout = np.zeros((40, 40, 4), dtype=np.uint8)
    cutout[..., :3] = 255  # white where transparent: must become black
    cutout[10:30, 10:30] = (200, 100, 50, 255)
    Image.fromarray(cutout, "RGBA").save(images / "cutout.png")
    wide = np.zeros((30, 60, 3), dtype=np.uint8)
    wide[:, 15:45] = (30, 160, 90)  # the centre square; the sides are cropped away
    Image.fromarray(wide).save(images / "wide.jpg", quality=95)
    Image.fromarray(np.tile(np.arange(0, 250, 5, dtype=np.uint8), (50, 1))).save(images / "sub" / "grey.png")
    Image.fromarray(np.full((70, 35, 3), 120, dtype=np.uint8)).convert("P").save(images / "tall.bmp")
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(images / "unlisted.png")
    (root / "stimuli.csv").write_text(TABLE)
    return images


def outputs(results: Path) -> dict[str, Path]:
    stimuli = results / "stimuli"
    return {"images": stimuli / "images.npz", "manifest": stimuli / "manifest.csv",
            "acceptance": stimuli / "acceptance.csv", "png": stimuli / "png"}


def test_folder_and_table_become_a_stimulus_set_with_the_generated_columns(tmp_path):
    images = face_folder(tmp_path / "inputs")
    models = classifiers(tmp_path / "models")
    before = tree_hashes(tmp_path / "inputs")
    stimuli = run_external_stimulus_set(models, images, tmp_path / "inputs" / "stimuli.csv", None,
                                        outputs(tmp_path / "results"))
    assert tree_hashes(tmp_path / "inputs") == before
    manifest = read_manifest(tmp_path / "results" / "stimuli" / "manifest.csv")
    assert list(manifest.columns) == manifest_columns(["resnet", "csp"], EMOTIONS) + ["identity", "from", "to",
                                                                                        "intensity"]
    assert manifest["stimulus_id"].tolist() == ["face-rgba", "face-rgb", "face-grey", "face-tall"]
    assert (manifest["kind"] == "external").all() and manifest["intensity"].tolist() == [50, 100, 25, 75]
    for name in ("resnet", "csp"):
        assert np.allclose(manifest[[f"{name}_p_{e}" for e in EMOTIONS]].sum(axis=1), 1, atol=1e-5)
        assert (manifest[f"{name}_entropy"] > 0).all()
    ids, saved = read_stimulus_images(tmp_path / "results" / "stimuli" / "images.npz")
    assert ids.tolist() == manifest["stimulus_id"].tolist() and saved.shape == (4, SIZE, SIZE)
    assert saved.dtype == np.uint8 and np.array_equal(saved, stimuli.images)
    assert saved[0, 0, 0] == 0 and saved[0, SIZE // 2, SIZE // 2] > 100  # the cut-out sits on black
    assert abs(int(saved[1, SIZE // 2, 1]) - int(saved[1, SIZE // 2, SIZE // 2])) < 8  # wide: only its centre
    assert sorted(p.name for p in (tmp_path / "results" / "stimuli" / "png").iterdir()) == sorted(
        f"{i}.png" for i in ids)
    acceptance = pd.read_csv(tmp_path / "results" / "stimuli" / "acceptance.csv", keep_default_na=False)
    assert acceptance[["kind", "n_sampled", "n_accepted"]].values.tolist() == [["external", 4, 4]]


def test_images_are_converted_as_the_classifiers_training_faces(tmp_path):
    """An image folder loaded as training data and the same image read as a stimulus give the same pixels."""
    images = face_folder(tmp_path / "inputs")
    for split in ("train", "val", "test"):
        (tmp_path / "faces" / split / "happy").mkdir(parents=True)
        Image.open(images / "wide.jpg").save(tmp_path / "faces" / split / "happy" / "wide.png")
    training = load_imagefolder(tmp_path / "faces", emotions=("happiness",), image_size=SIZE)["train"].images[0]
    Image.open(images / "wide.jpg").save(tmp_path / "wide.png")
    assert np.array_equal(read_image(tmp_path / "wide.png", SIZE), training)


def test_crop_box_and_table_kinds_seeds_and_targets_reach_the_per_image_table(tmp_path):
    images = face_folder(tmp_path / "inputs")
    table = tmp_path / "inputs" / "stimuli.tsv"
    table.write_text("stimulus_id\tfile\tkind\ttarget_i\tseed\tlevel\n"
                     "a\twide.jpg\tcontrol\t\t3\t1\nb\tcutout.png\tmorph\thappiness\t3\t2\nc\tsub/grey.png\t\t\t\t3\n")
    run_external_stimulus_set(classifiers(tmp_path / "models"), images, table, [16, 2, 38, 24],
                              outputs(tmp_path / "results"))
    manifest = read_manifest(tmp_path / "results" / "stimuli" / "manifest.csv")
    assert manifest["kind"].tolist() == ["control", "morph", "external"]
    assert manifest["seed"].astype(str).tolist() == ["3", "3", ""]
    assert manifest["target_i"].tolist() == ["", "happiness", ""]
    trials = pd.DataFrame({"subject_id": ["s1", "s2", "s1"], "stimulus_id": ["a", "a", "b"],
                           "response": ["happiness", "neutral", "sadness"], "rt_ms": np.nan, "is_train": True})
    per_image = per_image_table(trials, manifest, EMOTIONS, ["resnet", "csp"])
    assert per_image.columns[-1] == "level" and per_image["level"].tolist() == [1, 2, 3]
    assert per_image["outcome"].tolist() == ["", "", ""]  # no generated boundary kind, no guidance outcome
    _, saved = read_stimulus_images(tmp_path / "results" / "stimuli" / "images.npz")
    assert saved[0].std() < 4  # the box holds only the uniform centre of the wide image


def replace_line(line: int, text: str):
    def edit(root: Path) -> None:
        lines = (root / "stimuli.csv").read_text().splitlines()
        lines[line - 1] = text
        (root / "stimuli.csv").write_text("\n".join(lines) + "\n")
    return edit


def rewrite(text: str):
    return lambda root: (root / "stimuli.csv").write_text(text)


BAD_TABLES = [
    ("missing-file-column", replace_line(1, "stimulus_id,image,identity,from,to,intensity"),
     ("stimuli.csv, line 1, column 'file': column is missing from the header",)),
    ("blank-id", replace_line(3, ",wide.jpg,id1,neutral,happiness,100"),
     ("stimuli.csv, line 3, column 'stimulus_id': value '' is blank",)),
    ("id-that-cannot-name-a-file", replace_line(3, "face/rgb,wide.jpg,id1,neutral,happiness,100"),
     ("line 3, column 'stimulus_id': value 'face/rgb' cannot name a stimulus",)),
    ("duplicate-id", replace_line(3, "face-rgba,wide.jpg,id1,neutral,happiness,100"),
     ("line 3, column 'stimulus_id': value 'face-rgba' is listed twice: here and at line 2",)),
    ("file-not-in-the-folder", replace_line(4, "face-grey,sub/gray.png,id2,neutral,sadness,25"),
     ("line 4, column 'file': value 'sub/gray.png' is not a file in",)),
    ("file-outside-the-folder", replace_line(4, "face-grey,../stimuli.csv,id2,neutral,sadness,25"),
     ("line 4, column 'file': value '../stimuli.csv' is not inside the image folder",)),
    ("same-file-twice", replace_line(4, "face-grey,cutout.png,id2,neutral,sadness,25"),
     ("line 4, column 'file': value", "is listed twice: here and at line 2")),
    ("kind-with-a-space", rewrite("stimulus_id,file,kind\na,wide.jpg,morph\nb,cutout.png,two words\n"),
     ("stimuli.csv, line 3, column 'kind': value 'two words' is not valid here",)),
    ("target-that-is-no-emotion", rewrite("stimulus_id,file,target_i\na,wide.jpg,joy\n"),
     ("stimuli.csv, line 2, column 'target_i': value 'joy' is not valid here", "one of the emotions")),
    ("seed-that-is-no-whole-number", rewrite("stimulus_id,file,seed\na,wide.jpg,1.5\n"),
     ("stimuli.csv, line 2, column 'seed': value '1.5' is not valid here", "a whole number")),
    ("metadata-named-like-a-per-image-column", replace_line(1, "stimulus_id,file,identity,from,to,n_ratings"),
     ("stimuli.csv, line 1, column 'n_ratings': is a column name the stimulus manifest or the per-image table",)),
    ("corrupt-image", lambda root: (root / "images" / "wide.jpg").write_bytes(b"\xff\xd8\xff" + bytes(20)),
     ("images/wide.jpg: cannot be read as an image",)),
]


@pytest.mark.parametrize("edit, fragments", [case[1:] for case in BAD_TABLES], ids=[case[0] for case in BAD_TABLES])
def test_bad_stimulus_table_is_located_and_nothing_is_written(tmp_path, edit, fragments):
    face_folder(tmp_path / "inputs")
    edit(tmp_path / "inputs")
    models = classifiers(tmp_path / "models")
    before = tree_hashes(tmp_path / "inputs")
    with pytest.raises(DataError) as caught:
        run_external_stimulus_set(models, tmp_path / "inputs" / "images", tmp_path / "inputs" / "stimuli.csv", None,
                                  outputs(tmp_path / "results"))
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)
    assert not (tmp_path / "results").exists() or not [p for p in (tmp_path / "results").rglob("*") if p.is_file()]
    assert tree_hashes(tmp_path / "inputs") == before


def test_crop_box_outside_an_image_is_located(tmp_path):
    images = face_folder(tmp_path / "inputs")
    with pytest.raises(DataError, match=r"cutout.png: the crop box \[0, 0, 50, 30\] does not lie within the 40×40"):
        run_external_stimulus_set(classifiers(tmp_path / "models"), images, tmp_path / "inputs" / "stimuli.csv",
                                  [0, 0, 50, 30], outputs(tmp_path / "results"))
    assert not (tmp_path / "results" / "stimuli" / "manifest.csv").exists()
