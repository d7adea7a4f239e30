"""Bad input of every kind stops with one located message, writes nothing and leaves the user's files alone.

Each case builds one bad input under ``inputs/`` and runs the package call the workflow's job
runs on it (see workflow/scripts/), asked to write under ``results/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from snakemake.exceptions import WorkflowError

from bad_inputs import (CLICKS, EMOTIONS, GOOD_CLICKS, GOOD_TWOAFC, SPLITS, STIMULI, TINY_RESNET, TRIALS, TWOAFC,
                        code_running_pickle, config_file, corrupt_png, empty_class_folder, fer2013_with_row,
                        ferplus_with, frontend_from, imagefolder_with, people_files, split_with_label,
                        splits_and_weights, text_file, tiny_classifier, truncate, truncated_split)
from conftest import REPO, snakemake
from helpers import (
    FERPLUS_ROWS,
    fer2013_row,
    ferplus_data_job,
    make_ferplus,
    schema_defaults,
    tree_hashes,
    vote_row,
    write_config,
)
from varemotion.behavior import ingest, write_trials
from varemotion.behavior.frontend import frontend_logits, write_logits
from varemotion.checkpoints import UnsafeCheckpointError
from varemotion.config import ConfigError, check_config, load_schema, workflow_config
from varemotion.data import DataError, load_fer2013_csv, load_ferplus, load_imagefolder, save_splits
from varemotion.models import fit_classifier, load_classifier
from varemotion.stimuli import read_stimulus_images
from varemotion.xai.people_stage import run_people_data

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
WEIGHTS_EXPECTED = "expected a state dict of tensors written by torch.save(model.state_dict(), path)"


@dataclass(frozen=True)
class Case:
    """One bad input: how to write it under `inputs`, the job that reads it, and what the user must be told."""

    id: str
    category: str
    build: Callable[[Path], object]
    call: Callable[[Path, Path], object]
    error: type[Exception]
    fragments: tuple[str, ...]  # "{inputs}" stands for the inputs folder
    outputs: tuple[str, ...] = ()  # what the job was asked to write, under results/


# The jobs, as workflow/scripts/*.py run them.

def config_job(inputs: Path, results: Path) -> None:
    """The Snakefile's first step: the user's config merged, validated by the schema, then checked."""
    check_config(workflow_config(REPO, inputs / "config.yaml"), load_schema(SCHEMA))


def dataset_job(loader, source: str, name: str, **options) -> Callable[[Path, Path], None]:
    """workflow/scripts/<source>_dataset.py: the user's copy read, then train/val/test written."""
    def call(inputs: Path, results: Path) -> None:
        save_splits({s: results / "data" / source / f"{s}.npz" for s in SPLITS}, loader(inputs / name, **options))
    return call


def train_job(inputs: Path, results: Path) -> None:
    """workflow/scripts/train_classifier.py, with the user's `classifiers.net.weights` when there is one."""
    weights = inputs / "weights.pt"
    fit_classifier({s: inputs / "splits" / f"{s}.npz" for s in SPLITS}, arch="resnet10t", kwargs=TINY_RESNET,
                   outputs={key: results / "models" / "net" / f"{key}.{ext}"
                            for key, ext in (("weights", "pt"), ("config", "json"), ("metrics", "json"))},
                   train={**schema_defaults("train"), "epochs": 1, "batch_size": 4}, weights=weights if weights.exists() else None)


def observer_logits_job(inputs: Path, results: Path) -> None:
    """workflow/scripts/observer_logits.py: a saved classifier loaded, its logits for the stimuli written."""
    frontend = load_classifier(inputs / "frontend" / "weights.pt")
    table = frontend_logits(frontend, *read_stimulus_images(inputs / "stimuli.npz"))
    write_logits(table, results / "behavior" / "observer_logits.csv")


def ratings_job(format: str) -> Callable[[Path, Path], None]:
    """workflow/scripts/ingest_ratings.py: the user's rating files read, checked and written as the trial table."""
    def call(inputs: Path, results: Path) -> None:
        trials = ingest(sorted(inputs.iterdir()), format, EMOTIONS, STIMULI)
        write_trials(trials, results / "behavior" / "ratings" / "trials.csv")
    return call


def people_job(inputs: Path, results: Path) -> None:
    """workflow/scripts/xai_people_data.py with xai.people.source: data."""
    files = {"clicks": inputs / "clicks.csv", "twoafc": inputs / "twoafc.csv"}
    out = results / "xai" / "people"
    run_people_data(inputs / "faces.npz", None, {name: out / f"{name}.csv" for name in files}, {"column_map": {}},
                    {}, seed=0, files=files)


DATA_OUT = {source: tuple(f"data/{source}/{s}.npz" for s in SPLITS)
            for source in ("ferplus", "fer2013_csv", "imagefolder")}
MODEL_OUT = ("models/net/weights.pt", "models/net/config.json", "models/net/metrics.json")
RATINGS_OUT = ("behavior/ratings/trials.csv",)
PEOPLE_OUT = ("xai/people/clicks.csv", "xai/people/twoafc.csv")


CASES = [
    Case("config-wrong-type", "config", config_file({"train": {"batch_size": "64"}}), config_job, WorkflowError,
         ("'64' is not of type 'integer'", "On instance['train']['batch_size']")),
    Case("config-unknown-key", "config", config_file({"train": {"epohcs": 3}}), config_job, WorkflowError,
         ("Additional properties are not allowed ('epohcs' was unexpected)", "On instance['train']")),
    Case("config-missing-required-key", "config", config_file({"classifiers": {"net": {"kwargs": {"stem_width": 8}}}}),
         config_job, WorkflowError, ("'arch' is a required property", "On instance['classifiers']['net']")),
    Case("config-classifier-name-with-a-dash", "config",
         config_file({"classifiers": {"res-net": {"arch": "resnet10t"}}}), config_job, WorkflowError,
         ("'res-net' does not match '^[A-Za-z][A-Za-z0-9]*$'", "On instance['classifiers']")),
    Case("config-emotion-that-is-no-emotion", "config", config_file({"data": {"emotions": ["happiness", "joy"]}}),
         config_job, WorkflowError,
         ("'joy' is not one of ['neutral', 'happiness',", "On instance['data']['emotions'][1]")),
    Case("config-unknown-timm-architecture", "config", config_file({"classifiers": {"net": {"arch": "resnet_9000"}}}),
         config_job, ConfigError, ("classifiers.net.arch: 'resnet_9000' is not a timm architecture",
                                   "expected a name listed by timm.list_models()")),
    Case("config-emotion-not-in-the-synthetic-set", "config", config_file({"data": {"emotions": ["fear", "contempt"]}}),
         config_job, ConfigError, ("data.emotions: ['contempt'] cannot be drawn by the synthetic face renderer",
                                   "expected a subset of ['neutral', 'happiness'")),
    Case("config-button-order-lacks-emotions", "config",
         config_file({"behavior": {"ratings": {"choices": ["happiness", "sadness"]}}}), config_job, ConfigError,
         ("behavior.ratings.choices: ['happiness', 'sadness'] must list the emotions ['neutral',",
          "in the order of the response buttons")),

    Case("ferplus-corrupted-png", "data set", ferplus_with(change=corrupt_png),
         dataset_job(load_ferplus, "ferplus", "ferplus"), DataError,
         ("{inputs}/ferplus/FER2013Valid/fer0000005.png: cannot be read as an image",
          "expected a complete PNG, JPEG or BMP image"), DATA_OUT["ferplus"]),
    Case("ferplus-missing-image-folder", "data set", ferplus_with(change=lambda root: shutil.rmtree(root / "FER2013Test")),
         dataset_job(load_ferplus, "ferplus", "ferplus"), DataError,
         ("{inputs}/ferplus/FER2013Test: image folder does not exist",
          "expected the PNGs of the rows with Usage == 'PrivateTest'"), DATA_OUT["ferplus"]),
    Case("ferplus-negative-vote", "data set",
         ferplus_with([*FERPLUS_ROWS[:9], vote_row("PublicTest", "fer0000006.png", fear=-3), *FERPLUS_ROWS[10:]]),
         dataset_job(load_ferplus, "ferplus", "ferplus"), DataError,
         ("{inputs}/ferplus/fer2013new.csv, line 11, column 'fear': value '-3' is not a vote count",
          "expected a whole number ≥ 0"), DATA_OUT["ferplus"]),
    Case("ferplus-split-empty-after-choosing-emotions", "data set", ferplus_with(),
         dataset_job(load_ferplus, "ferplus", "ferplus", emotions=("happiness", "surprise")), DataError,
         ("{inputs}/ferplus/fer2013new.csv, column 'Usage': split 'test' is empty",
          "expected rows with Usage == 'PrivateTest' that have votes for at least one of the emotions"
          " ['happiness', 'surprise']"), DATA_OUT["ferplus"]),
    Case("fer2013-one-pixel-too-many", "data set",
         fer2013_with_row(5, fer2013_row(6, "PublicTest", count=2305)),
         dataset_job(load_fer2013_csv, "fer2013_csv", "fer2013.csv"), DataError,
         ("{inputs}/fer2013.csv, line 5, column 'pixels': value '100 100", "but of 2305 values",
          "expected 48×48 grey pixels, space-separated"), DATA_OUT["fer2013_csv"]),
    Case("fer2013-empty-file", "data set", text_file("fer2013.csv", ""),
         dataset_job(load_fer2013_csv, "fer2013_csv", "fer2013.csv"), DataError,
         ("{inputs}/fer2013.csv: cannot be parsed as CSV", "expected the Kaggle fer2013.csv"), DATA_OUT["fer2013_csv"]),
    Case("imagefolder-truncated-image", "data set",
         imagefolder_with(lambda root: truncate(root / "val" / "sad" / "img01.jpg")),
         dataset_job(load_imagefolder, "imagefolder", "faces"), DataError,
         ("{inputs}/faces/val/sad/img01.jpg: cannot be read as an image", "expected a complete PNG"),
         DATA_OUT["imagefolder"]),
    Case("imagefolder-class-folder-without-images", "data set",
         imagefolder_with(empty_class_folder),
         dataset_job(load_imagefolder, "imagefolder", "faces"), DataError,
         ("{inputs}/faces/test/fear: class folder has no images", "expected files ending in .png, .jpg"),
         DATA_OUT["imagefolder"]),
    Case("imagefolder-split-empty-after-choosing-emotions", "data set",
         imagefolder_with(lambda root: shutil.rmtree(root / "val" / "happy")),
         dataset_job(load_imagefolder, "imagefolder", "faces", emotions=("happiness", "anger")), DataError,
         ("{inputs}/faces: split 'val' is empty: no images of ['happiness', 'anger']",
          "expected more images per class"),
         DATA_OUT["imagefolder"]),
    Case("split-npz-truncated", "data set", truncated_split, train_job, DataError,
         ("{inputs}/splits/train.npz: is not a readable .npz archive (truncated or corrupt file?",
          "expected a split file written by save_split"), MODEL_OUT),
    Case("split-npz-label-of-no-emotion", "data set", split_with_label, train_job, DataError,
         ("{inputs}/splits/train.npz: array 'labels' holds 7 at position 2, outside 0..2 (one per emotion)",),
         MODEL_OUT),

    Case("ratings-stimulus-not-in-the-manifest", "ratings",
         text_file("trials.csv", TRIALS + "p1,uncertainty-a-00009,sadness,430\n"), ratings_job("table"), DataError,
         ("{inputs}/trials.csv, line 3, column 'stimulus_id': value 'uncertainty-a-00009' is not a stimulus of the set",
          "expected an id of the stimulus manifest (3 stimuli"), RATINGS_OUT),
    Case("ratings-response-not-among-the-emotions", "ratings",
         text_file("trials.csv", TRIALS + "p1,uncertainty-a-00002,contempt,430\n"), ratings_job("table"), DataError,
         ("{inputs}/trials.csv, line 3, column 'response': value 'contempt' is not an emotion",
          "expected an emotion name (neutral, happiness, sadness)"), RATINGS_OUT),
    Case("ratings-missing-column", "ratings", text_file("trials.csv", TRIALS.replace("response", "answer")),
         ratings_job("table"), DataError,
         ("{inputs}/trials.csv, line 1, column 'response': column is missing from the header",
          "expected columns ['subject_id', 'stimulus_id', 'response'], found"), RATINGS_OUT),
    Case("ratings-train-flag-not-true-or-false", "ratings",
         text_file("trials.tsv", "subject_id\tstimulus_id\tresponse\tis_train\np1\tuncertainty-a-00001\t1\tyes\n"
                                 "p1\tuncertainty-a-00002\t2\tmaybe\n"), ratings_job("table"), DataError,
         ("{inputs}/trials.tsv, line 3, column 'is_train': value 'maybe' is not true or false",
          "expected true/false, yes/no or 1/0"), RATINGS_OUT),
    Case("ratings-jspsych-file-that-is-not-json", "ratings",
         text_file("p1.json", '[\n{"subject_id": "p1", "stimulus_id": "uncertainty-a-00001", "response": 1},\n'
                              '{"subject_id": "p1", "stim'),
         ratings_job("jspsych"), DataError,
         ("{inputs}/p1.json, line 3: is not valid JSON", "expected jsPsych data: a JSON list of trial objects"),
         RATINGS_OUT),

    Case("clicks-header-only", "click data", people_files(CLICKS, GOOD_TWOAFC), people_job, DataError,
         ("{inputs}/clicks.csv, line 1: has a header but no rows below it", "expected a CSV or TSV table"), PEOPLE_OUT),
    Case("clicks-separated-by-semicolons", "click data", people_files(GOOD_CLICKS.replace(",", ";"), GOOD_TWOAFC),
         people_job, DataError,
         ("{inputs}/clicks.csv, line 1, column 'subject_id': column is missing from the header",
          "is the file separated by semicolons?", "expected columns"), PEOPLE_OUT),
    Case("clicks-row-with-an-extra-field", "click data",
         people_files(GOOD_CLICKS + "p1,uncertainty-a-00001,2,7,5,2,neutral,oops\n", GOOD_TWOAFC),
         people_job, DataError,
         ("{inputs}/clicks.csv, line 3: has 8 fields but the header has 7", "expected one value per header column"),
         PEOPLE_OUT),
    Case("twoafc-response-index-out-of-range", "2AFC",
         people_files(GOOD_CLICKS, TWOAFC + "p1,uncertainty-a-00002,1,2,3\n"), people_job, DataError,
         ("{inputs}/twoafc.csv, line 2, column 'response': value '3' is out of range",
          "expected 0=neutral, 1=happiness, 2=sadness"),
         PEOPLE_OUT),
    Case("twoafc-names-and-indices-mixed", "2AFC",
         people_files(GOOD_CLICKS, GOOD_TWOAFC + "p2,uncertainty-a-00001,0,sadness,neutral\n"), people_job, DataError,
         ("{inputs}/twoafc.csv, line 3, column 'target': value '0' is a 0-based index,",
          "but line 2 gives an emotion name ('neutral')",
          "expected one kind of label per file"), PEOPLE_OUT),

    Case("weights-truncated", "weights",
         splits_and_weights(lambda path: (torch.save(tiny_classifier().net.state_dict(), path), truncate(path))),
         train_job, DataError, ("{inputs}/weights.pt: is not a readable PyTorch weights file; truncated or corrupt?",
                                WEIGHTS_EXPECTED), MODEL_OUT),
    Case("weights-of-another-architecture", "weights",
         splits_and_weights(lambda path: torch.save(tiny_classifier("cs3darknet_focus_s").net.state_dict(), path)),
         train_job, DataError, ("{inputs}/weights.pt: no parameter matches architecture 'resnet10t'",
                                "the file has e.g. stem.conv1.conv.weight", "expected weights of 'resnet10t'"),
         MODEL_OUT),
    Case("weights-that-are-a-list", "weights",
         splits_and_weights(lambda path: torch.save(list(tiny_classifier().net.state_dict().values()), path)),
         train_job, DataError, ("{inputs}/weights.pt: holds a list, not a mapping of parameter names to tensors",
                                WEIGHTS_EXPECTED), MODEL_OUT),
    Case("weights-pickle-that-runs-code", "weights",
         splits_and_weights(code_running_pickle),
         train_job, UnsafeCheckpointError,
         ("{inputs}/weights.pt: refused to load: unpickling it would call", f"'{os.system.__module__}.system'",
          "which torch.load(weights_only=True) blocks", WEIGHTS_EXPECTED), MODEL_OUT),
    Case("saved-classifier-weights-of-another-architecture", "weights",
         frontend_from(tiny_classifier("cs3darknet_focus_s")), observer_logits_job, DataError,
         ("{inputs}/frontend/weights.pt: does not fit the classifier of {inputs}/frontend/config.json",
          "parameters missing (e.g. 'net.conv1.0.weight')", "unexpected (e.g. 'net.stem.conv1.conv.weight')",
          "expected the weights saved with that config (architecture 'resnet10t', 3 emotions)"),
         ("behavior/observer_logits.csv",)),
    Case("saved-classifier-weights-for-other-emotions", "weights",
         frontend_from(tiny_classifier(emotions=EMOTIONS[:2])), observer_logits_job, DataError,
         ("{inputs}/frontend/weights.pt: does not fit", "'net.fc.weight': (2, 16) in the file, (3, 16) expected"),
         ("behavior/observer_logits.csv",)),
]


def test_the_matrix_covers_every_kind_of_input():
    assert len(CASES) >= 24 and len({case.id for case in CASES}) == len(CASES)
    assert {case.category for case in CASES} == {"config", "data set", "ratings", "click data", "2AFC", "weights"}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_named_and_nothing_is_written(tmp_path, case):
    """The project's error; a message with file, place, value and expectation; no output; the input unchanged."""
    inputs, results = tmp_path / "inputs", tmp_path / "results"
    inputs.mkdir()
    case.build(inputs)
    before = tree_hashes(inputs)
    with pytest.raises(case.error) as caught:
        case.call(inputs, results)
    message = str(caught.value)
    print(message)  # shown with -s: what the user reads
    for fragment in case.fragments:
        fragment = fragment.replace("{inputs}", str(inputs))
        assert fragment in message, f"{fragment!r} not in {message!r}"
    for output in case.outputs:
        assert not (results / output).exists(), output
    assert not [p for p in results.rglob("*") if not p.is_dir()]  # no output, no staged temporary file
    assert tree_hashes(inputs) == before


def test_every_torch_load_refuses_code():
    calls = [(path.name, arguments) for folder in ("src", "workflow/scripts") for path in (REPO / folder).rglob("*.py")
             for arguments in re.findall(r"torch\.load\(([^)]*)\)", path.read_text())]
    assert calls and all("weights_only=True" in arguments for _, arguments in calls), calls


@pytest.mark.slow  # with the next test, about 20 s of Snakemake start-up
def test_bad_config_stops_a_real_run_before_any_job(tmp_path):
    config = write_config(tmp_path, {"data": {"emotions": ["happiness", "sadness", "contempt"]}})
    before = config.read_bytes()
    result = snakemake("--dry-run", "--cores", "1", "--configfile", str(config), "--directory", str(tmp_path))
    assert result.returncode != 0
    assert "invalid config: data.emotions: ['contempt'] cannot be drawn by the synthetic face renderer; " \
           "expected a subset of" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()
    assert config.read_bytes() == before


@pytest.mark.slow
def test_corrupted_png_fails_the_first_job_that_reads_it(tmp_path):
    root = make_ferplus(tmp_path / "ferplus")
    corrupt_png(root)
    before = tree_hashes(root)
    work = tmp_path / "run"
    result, log = ferplus_data_job(root, work)
    assert result.returncode != 0
    assert f"{root}/FER2013Valid/fer0000005.png: cannot be read as an image" in log
    assert "expected a complete PNG, JPEG or BMP image" in log
    assert not [p for p in (work / "results" / "data").rglob("*") if not p.is_dir()]
    assert tree_hashes(root) == before
