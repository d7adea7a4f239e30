"""Time reading a rated face set from outside: 1,000 images converted and scored by the default two classifiers.

    python benchmarks/external_scoring.py [--images 1000] [--threads 2] [--models results/models]

The images are renderer faces saved as files of mixed modes and sizes (RGB 96×96, RGBA cut-outs
on transparency 120×120, grey 64×80), listed in a stimulus table. The timed call is the
workflow's ``stimulus_set`` job for ``stimuli.source: folder``
(:func:`varemotion.external.run_external_stimulus_set`): check the table, convert every image
(grey, centre square, resize to 48×48), score it with both classifiers, write images.npz, the
manifest, acceptance.csv and one PNG per stimulus. The classifiers are the default config's
architectures with random weights (scoring costs the same), or trained ones from ``--models``
(``<name>/weights.pt``). The last line printed is ``seconds=<wall time> images_per_s=<rate>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from varemotion.config import workflow_config
from varemotion.external import run_external_stimulus_set
from varemotion.faces.generate import generate_faces
from varemotion.models import Classifier, ClassifierConfig, save_classifier

REPO = Path(__file__).resolve().parents[1]


def write_images(folder: Path, n: int) -> None:
    """n renderer faces as files of three modes and sizes, and the stimulus table."""
    faces = generate_faces(n, seed=0, size=96)["images"]
    rows = ["stimulus_id,file,mode"]
    for i, face in enumerate(faces):
        mode = ("rgb", "rgba", "grey")[i % 3]
        if mode == "rgb":
            image = Image.fromarray(face).convert("RGB")
        elif mode == "rgba":
            image = Image.fromarray(face).resize((120, 120)).convert("RGBA")
            alpha = np.zeros((120, 120), dtype=np.uint8)
            alpha[10:110, 20:100] = 255
            image.putalpha(Image.fromarray(alpha))
        else:
            image = Image.fromarray(face).resize((64, 80))
        image.save(folder / f"face{i:04d}.png")
        rows.append(f"face{i:04d},face{i:04d}.png,{mode}")
    (folder.parent / "stimuli.csv").write_text("\n".join(rows) + "\n")


def classifiers(folder: Path, trained: Path | None) -> dict[str, str]:
    """The default config's classifiers: trained weights from ``trained``, else random ones saved in ``folder``."""
    config = workflow_config(REPO)
    paths = {}
    for name, spec in config["classifiers"].items():
        if trained is not None:
            paths[name] = str(trained / name / "weights.pt")
            continue
        model = Classifier(ClassifierConfig(arch=spec["arch"], emotions=list(config["data"]["emotions"]),
                                            image_size=[48, 48], kwargs=spec["kwargs"]))
        save_classifier(model, folder / name / "weights.pt", folder / name / "config.json")
        paths[name] = str(folder / name / "weights.pt")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", type=Path, default=None, help="a folder of trained classifiers (results/models)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "images").mkdir()
        write_images(tmp / "images", args.images)
        models = classifiers(tmp / "models", args.models)
        output = {"images": tmp / "out" / "images.npz", "manifest": tmp / "out" / "manifest.csv",
                  "acceptance": tmp / "out" / "acceptance.csv", "png": tmp / "out" / "png"}
        start = time.perf_counter()
        stimuli = run_external_stimulus_set(models, tmp / "images", tmp / "stimuli.csv", None, output)
        seconds = time.perf_counter() - start
    print(f"images={len(stimuli.manifest)} classifiers={','.join(models)} threads={args.threads}")
    print(f"seconds={seconds:.2f} images_per_s={len(stimuli.manifest) / seconds:.1f}")


if __name__ == "__main__":
    main()
