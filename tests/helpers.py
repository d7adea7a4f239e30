"""Builders shared by the test modules: configs, data sets, classifiers, priors, ratings and tables."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import torch
import yaml
from PIL import Image

from conftest import REPO, snakemake
from varemotion.data import DataError, Split
from varemotion.diffusion import build_prior, save_prior
from varemotion.emotions import BASIC_EMOTIONS
from varemotion.manifest import MANIFEST_COLUMNS
from varemotion.models import Classifier, ClassifierConfig, TrainingData, save_classifier


# ---------------------------------------------------------------- The workflow

# Small enough to run end to end in about a minute on 2 cores.
TINY_CONFIG = {
    "data": {"synthetic": {"n_train": 210, "n_val": 70, "n_test": 70, "image_size": 32}},
    "classifiers": {
        "resnet": {"arch": "resnet10t", "kwargs": {"channels": [8, 16, 16, 16], "stem_width": 8}},
        "cspdarknet": {"arch": "cs3darknet_focus_s"},
    },
    "train": {"epochs": 1, "batch_size": 35},
    "prior": {
        "kind": "renderer",
        "settings": {"width": 32, "depth": 2},
        "train": {"steps": 200, "batch_size": 128, "lr": 0.003, "checkpoint_every": 100},
        "quality": {"n_samples": 20},
    },
    "sampling": {"num_inference_steps": 4, "time_travel": 2, "n_per_pair": 1},
    # Barely trained guides rarely reach the usual thresholds, and their gradients push faces off
    # the renderer's manifold; these keep some boundary images (realism is still scored and reported).
    "filters": {"uncertainty_min_prob": 0.0, "controversial_min_prob": 0.0, "realism": False},
    "realism": {"renderer": {"steps": 40}, "two_sample": {"folds": 2, "steps": 20, "batch_size": 16}},
    "behavior": {
        "design": {"n_participants": 30, "trials_per_participant": 20, "min_ratings_per_stimulus": 2, "catch_every": 10},
        "catch": {"per_emotion": 1},
        "observers": {"frontend": {"train": {"epochs": 1}}, "swapped_frontend": {"train": {"epochs": 1}}},
        "power": {"participants": [6, 12], "trials_per_participant": [20], "n_simulations": 2, "n_resamples": 99},
    },
    "stats": {"min_ratings": 2, "n_resamples": 199},
    "alignment": {
        "classifiers": ["resnet"],
        "group": {"epochs": 1, "samples_per_epoch": 64, "batch_size": 32},
        "individual": {"epochs": 2, "samples_per_epoch": 32, "batch_size": 16, "min_train_trials": 10},
        "manipulation": {"n_pairs": 1, "n_per_pair": 1},
    },
    "xai": {
        "n_per_emotion": 2,
        "lime": {"n_segments": 8, "n_samples": 40},
        "extremal": {"areas": [0.1, 0.2], "iterations": 10},
        "people": {"n_per_emotion": 1, "n_subjects": 4, "n_clicks": 3},
    },
    "figures": {"dpi": 60, "faces_per_class": 3},
}


#: A tiny latent prior, for the tests of what only a prior on pixels has (an autoencoder stage).
LATENT_TINY_PRIOR = {
    "kind": "latent",
    "settings": {"block_out_channels": [16, 32], "ae_block_out_channels": [8, 16, 16]},
    "train": {"steps": 12, "ae_steps": 12, "checkpoint_every": 5},
    "quality": {"n_samples": 20},
}


def schema_defaults(*keys: str) -> dict:
    """The defaults the config schema gives the section at `keys` (e.g. "alignment", "group"), nested sections filled."""
    from varemotion.config import load_schema

    node = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
    for key in keys:
        node = node["properties"][key]
    return _defaults(node)


def _defaults(node: dict):
    if node.get("type") == "object" and "properties" in node:
        return {key: _defaults(child) for key, child in node["properties"].items()}
    return node.get("default")


def from_schema(settings_class, *keys: str, **values):
    """`settings_class` built from the schema's defaults of the section at `keys`, with `values` changed."""
    fields = {field.name for field in dataclasses.fields(settings_class)}
    defaults = {key: value for key, value in schema_defaults(*keys).items() if key in fields}
    return settings_class(**{**defaults, **values})


#: The config section of the simulated observers' population, for from_schema(ObserverPopulation, *POPULATION).
POPULATION = ("behavior", "observers", "population")


def write_config(directory: Path, config: dict) -> Path:
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def ferplus_data_job(root: Path, work: Path) -> tuple[subprocess.CompletedProcess, str]:
    """Run only the FER+ data job on the layout at `root`, in a new folder `work`: its result and log text."""
    work.mkdir()
    config = write_config(work, {"data": {"source": "ferplus", "ferplus": {"root": str(root)}}})
    result = snakemake("--cores", "1", "--configfile", str(config), "--directory", str(work),
                       "results/data/ferplus/train.npz")
    return result, (work / "results" / "logs" / "data" / "ferplus.log").read_text()


def in_process_config(tmp_path: Path, config: dict) -> dict:
    """The config as the workflow would see it: embedded default, the user's file merged, schema defaults."""
    from varemotion.config import workflow_config

    return workflow_config(REPO, write_config(tmp_path, config))


# ---------------------------------------------------------------- Data sets

FERPLUS_HEADER = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"
FOLDERS = {"Training": "FER2013Train", "PublicTest": "FER2013Valid", "PrivateTest": "FER2013Test"}


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under root, to prove loaders leave the user's files alone."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_png(path: Path, value: int, size=(48, 48), mode="L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    colour = value if mode == "L" else (value, 255 - value, value // 2)
    Image.new(mode, size, colour).save(path)


def vote_row(usage, name, **votes) -> str:
    counts = [votes.get(c, 0) for c in FERPLUS_HEADER.split(",")[2:]]
    return ",".join([usage, name] + [str(v) for v in counts])


# Each named face gets its own grey level, so an image can be traced back to its name.
FERPLUS_ROWS = [
    vote_row("PrivateTest", "fer0000009.png", sadness=10),
    vote_row("Training", "fer0000001.png", happiness=7, neutral=3),
    vote_row("Training", "", NF=10),                                   # no image: dropped
    vote_row("PublicTest", "fer0000005.png", surprise=6, fear=4),
    vote_row("Training", "fer0000000.png", neutral=4, sadness=4, anger=2),  # tie → neutral
    vote_row("Training", "fer0000002.png", NF=6, neutral=4),           # not a face: dropped
    vote_row("Training", "fer0000003.png", anger=5, disgust=5),         # duplicated name: dropped
    vote_row("Training", "fer0000003.png", anger=9, unknown=1),
    vote_row("Training", "fer0000004.png", contempt=8, unknown=2),     # no chosen votes: dropped
    vote_row("PublicTest", "fer0000006.png", fear=3, unknown=7),
    vote_row("PrivateTest", "fer0000008.png", disgust=9, anger=1),
    vote_row("Training", "fer0000007.png", anger=10),
]


def grey_of(name: str) -> int:
    return 20 * int(name[3:10]) + 10


def make_ferplus(root: Path, rows=FERPLUS_ROWS, header=FERPLUS_HEADER) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "fer2013new.csv").write_text("\n".join([header] + rows) + "\n")
    for row in rows:
        usage, name = row.split(",")[:2]
        if name:
            write_png(root / FOLDERS[usage] / name, grey_of(name))
    return root


def fer2013_row(code, usage, value=100, count=48 * 48) -> str:
    return f"{code},{' '.join([str(value)] * count)},{usage}"


FER2013_ROWS = [fer2013_row(3, "Training", 10), fer2013_row(0, "Training", 20), fer2013_row(1, "Training", 30),
                fer2013_row(6, "PublicTest", 40), fer2013_row(4, "PublicTest", 50),
                fer2013_row(5, "PrivateTest", 60), fer2013_row(2, "PrivateTest", 70)]


def make_fer2013(path: Path, rows=FER2013_ROWS, header="emotion,pixels,Usage") -> Path:
    path.write_text("\n".join([header] + rows) + "\n")
    return path


def make_imagefolder(root: Path, folders=("Happy", "sad", "ANGRY", "neutral"), per_class=10, size=(60, 40)):
    for k, folder in enumerate(folders):
        for i in range(per_class):
            suffix = (".png", ".jpg", ".bmp")[i % 3]
            write_png(root / folder / f"img{i:02d}{suffix}", 50 * k + i, size=size, mode="RGB")
    return root


def make_split(n=5, k=3, rgb=False, seed=0) -> Split:
    rng = np.random.default_rng(seed)
    shape = (n, 8, 6, 3) if rgb else (n, 8, 6)
    soft = rng.random((n, k)).astype(np.float32)
    return Split(
        images=rng.integers(0, 256, shape, dtype=np.uint8),
        labels=rng.integers(0, k, n),
        ids=[f"s{seed}-{i}" for i in range(n)],
        emotions=BASIC_EMOTIONS[:k],
        soft_labels=soft / soft.sum(axis=1, keepdims=True),
        extras={"au": rng.random((n, 4)).astype(np.float32), "au_names": np.array(["AU1", "AU2", "AU4", "AU6"])},
    )


# ---------------------------------------------------------------- Classifiers

MODEL_EMOTIONS = ["neutral", "happiness", "sadness"]
TINY_RESNET = {"channels": [8, 16, 16, 16], "stem_width": 8}


def tiny_classifier(seed: int = 0, arch: str = "resnet10t", emotions=MODEL_EMOTIONS, size: int = 24,
                    kwargs: dict = TINY_RESNET) -> Classifier:
    """A small classifier of (size × size) grey images, its weights seeded."""
    torch.manual_seed(seed)
    config = ClassifierConfig(arch=arch, emotions=list(emotions), image_size=[size, size], kwargs=kwargs)
    return Classifier(config)


def save_classifier_in(classifier: Classifier, directory: Path) -> Path:
    """The classifier saved as the workflow lays it out (`weights.pt`, `config.json` in `directory`): its weights' path."""
    save_classifier(classifier, directory / "weights.pt", directory / "config.json")
    return directory / "weights.pt"


def bright_dark_data(n: int = 96, seed: int = 0) -> TrainingData:
    """Class k has a bright band in the k-th third of the image: learnable in a few steps."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    images = 0.2 + 0.05 * torch.randn(n, 1, 24, 24, generator=generator)
    for k in range(3):
        images[labels == k, :, :, 8 * k : 8 * k + 8] += 0.6
    return TrainingData(images=images.clamp(0, 1), labels=labels)


ALIGNMENT_EMOTIONS = ["anger", "happiness", "sadness"]


def alignment_classifier(seed: int = 0) -> Classifier:
    """The alignment tests' classifier: 16 × 16 images of ALIGNMENT_EMOTIONS."""
    return tiny_classifier(seed, emotions=ALIGNMENT_EMOTIONS, size=16, kwargs={"channels": [8, 8, 8, 8], "stem_width": 4})


def trial_table(n_subjects=4, n_images=20, n_train=15, always=None, seed=0) -> pd.DataFrame:
    """Every subject rates every image; ``always`` maps a subject to the one emotion they always answer."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        subject = f"s{s}"
        for i in range(n_images):
            response = (always or {}).get(subject) or ALIGNMENT_EMOTIONS[rng.integers(len(ALIGNMENT_EMOTIONS))]
            rows.append({"subject_id": subject, "stimulus_id": f"x{i}", "response": response, "is_train": i < n_train})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- Priors

PRIOR_SHAPE = (1, 16, 16)
TINY_PRIORS = {
    "pixel": {"block_out_channels": [8, 16], "norm_num_groups": 4},
    "latent": {"ae_block_out_channels": [8, 8], "latent_channels": 2, "block_out_channels": [8, 16],
               "norm_num_groups": 4},
}
TINY_TRAIN = {"steps": 4, "batch_size": 8, "ae_steps": 3, "ae_batch_size": 8, "warmup_steps": 1, "checkpoint_every": 2,
              "seed": 3}


def save_prior_in(prior, directory: Path) -> Path:
    """The prior saved as the workflow lays it out (`weights.pt`, `config.json` in `directory`): its weights' path."""
    save_prior(prior, directory / "weights.pt", directory / "config.json")
    return directory / "weights.pt"


def tiny_prior(kind: str, seed: int = 0):
    torch.manual_seed(seed)
    return build_prior(kind, PRIOR_SHAPE, **TINY_PRIORS[kind])


def blobs(n: int, seed: int) -> torch.Tensor:
    """Grey images with one bright Gaussian blob at a random place: a simple image distribution."""
    generator = torch.Generator().manual_seed(seed)
    centre = 4 + 8 * torch.rand(n, 2, 1, 1, generator=generator)
    grid = torch.arange(16.0)
    d2 = (grid.view(1, 16, 1) - centre[:, 0]) ** 2 + (grid.view(1, 1, 16) - centre[:, 1]) ** 2
    images = 0.2 + 0.6 * torch.exp(-d2 / 8) + 0.03 * torch.randn(n, 16, 16, generator=generator)
    return images.clamp(0, 1).unsqueeze(1)


# ---------------------------------------------------------------- Ratings

RATING_EMOTIONS = ("neutral", "happiness", "sadness")
STIMULI = ["uncertainty-a-00001", "uncertainty-a-00002", "controversial-a-b-00003"]
S1, S2, S3 = STIMULI
VOTES_HEADER = "stimulus_id,neutral,happiness,sadness,contempt,NF"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def error_of(read, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        read(*args, RATING_EMOTIONS, STIMULI, **kwargs)
    print(info.value)  # shown with -s: the message a user sees
    return info.value


def assert_message(error: DataError, *parts: str) -> None:
    message = str(error)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def jspsych_records(subject="p1"):
    """What jsPsych.data.get().json() keeps for an instruction screen and three button trials."""
    base = {"trial_type": "html-button-response", "subject_id": subject}
    return [
        {"trial_type": "instructions", "subject_id": subject, "rt": 3012, "trial_index": 0},
        base | {"stimulus_id": S1, "response": 1, "rt": 532.7, "is_train": True, "trial_index": 1},
        base | {"stimulus_id": S2, "response": 2, "rt": 811, "is_train": True, "trial_index": 2},
        base | {"stimulus_id": S3, "response": 0, "rt": 640.2, "is_train": False, "trial_index": 3},
    ]


# ---------------------------------------------------------------- Statistics tables

STATS_EMOTIONS = ("anger", "happiness", "sadness", "neutral")
MANIFEST_SETTINGS = {"scheduler": "ddpm", "num_inference_steps": 50, "guidance_scale": 0.1, "guidance_stop": 1.0,
                     "guidance_goal": 1.0, "time_travel": 5, "renoise": "sqrt_beta"}


def statistics_outputs(directory: Path) -> dict[str, Path]:
    """The outputs of the statistics stage as the workflow names them, in `directory`."""
    from varemotion.stats.study import TABLES

    return {**{name: directory / f"{name}.csv" for name in TABLES}, "mixed_model_text": directory / "mixed_model.txt",
            "summary": directory / "summary.json"}


def manifest_row(stimulus_id, kind="uncertainty", guides=("m1", ""), targets=("anger", "happiness"),
                 probs=(0.25, 0.25, 0.25, 0.25), seed=None) -> dict:
    """One manifest row; without a seed, make_manifest gives each row a noise seed of its own."""
    if kind == "control":
        guides, targets = ("", ""), ("", "")
    row = {"stimulus_id": stimulus_id, "kind": kind, "guide_a": guides[0], "guide_b": guides[1],
           "target_i": targets[0], "target_j": targets[1], "seed": seed} | MANIFEST_SETTINGS
    probs = np.asarray(probs, dtype=float)
    row |= {f"m1_p_{e}": p for e, p in zip(STATS_EMOTIONS, probs)}
    row["m1_entropy"] = float(scipy.stats.entropy(probs, base=2))
    return row


def make_manifest(rows) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    assert list(table.columns[: len(MANIFEST_COLUMNS)]) == MANIFEST_COLUMNS
    table["seed"] = [k if seed is None else seed for k, seed in enumerate(table["seed"])]
    return table


def make_trials(ratings: dict[str, list[str]]) -> pd.DataFrame:
    """Trials from {stimulus_id: [response of subject S0, of S1, …]}."""
    rows = [{"subject_id": f"S{k}", "stimulus_id": stimulus, "response": response, "rt_ms": np.nan, "is_train": True}
            for stimulus, responses in ratings.items() for k, response in enumerate(responses)]
    return pd.DataFrame(rows)


def by_id(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("stimulus_id")


def frontal_face68() -> np.ndarray:
    """A crude frontal 68-point face (iBUG order) on a 100 x 120 canvas."""
    cx = 50.0
    angle = np.pi * (1 - np.arange(17) / 16)
    jaw = np.stack([cx + 40 * np.cos(angle), 45 + 55 * np.sin(angle)], 1)
    brow = [(-33, 32), (-27, 29), (-20, 28), (-14, 29), (-8, 31)]
    brows = [(cx + x, y) for x, y in brow] + [(cx - x, y) for x, y in brow[::-1]]
    nose = [(cx, y) for y in (42, 50, 58, 66)] + [(cx + x, 70 + abs(x) / 4) for x in (-8, -4, 0, 4, 8)]
    eye = [(-28, 44), (-23, 41), (-17, 41), (-12, 44), (-17, 47), (-23, 47)]
    eyes = [(cx + x, y) for x, y in eye] + [(cx - x, y) for x, y in
                                            [eye[3], eye[2], eye[1], eye[0], eye[5], eye[4]]]
    outer = [(-16, 84), (-10, 80), (-4, 79), (0, 80), (4, 79), (10, 80), (16, 84), (10, 89), (4, 91), (0, 91),
             (-4, 91), (-10, 89)]
    inner = [(-13, 84), (-4, 83), (0, 83), (4, 83), (13, 84), (4, 86), (0, 86), (-4, 86)]
    mouth = [(cx + x, y) for x, y in outer + inner]
    points = np.array([*jaw, *brows, *nose, *eyes, *mouth], dtype=float)
    assert points.shape == (68, 2)
    return points
