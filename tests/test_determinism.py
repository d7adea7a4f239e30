"""Fresh runs give identical results, also with jobs side by side, and jobs never share temporary files."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO, snakemake
from helpers import TINY_CONFIG, write_config

# What a run of the study writes that a second run must reproduce.
TARGETS = [
    "results/stats/study/summary.json",
    "results/stats/null/summary.json",
    "results/stimuli/manifest.csv",
    "results/behavior/trials.csv",
]
COMPARED_FILES = ["results/stimuli/manifest.csv", "results/stimuli/acceptance.csv", "results/behavior/trials.csv"]

TEMPORARY_NAME = re.compile(r"(^|/)(tmp|temp)(/|$)|\.(tmp|temp|part|partial)$", re.IGNORECASE)
MKTEMP = "tempfile.mktemp (a name that is not reserved)"
TEMPFILE_CALLS = {
    "mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory", "TemporaryFile", "SpooledTemporaryFile",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, Path]:
    """The tiny study run twice from scratch: with 2 cores (jobs side by side) and with 1."""
    folders = {}
    for cores in (2, 1):
        folder = tmp_path_factory.mktemp(f"cores{cores}")
        config = write_config(folder, TINY_CONFIG)
        result = snakemake("--cores", str(cores), "--configfile", str(config),
                           "--directory", str(folder), *TARGETS, cwd=folder, timeout=900)
        assert result.returncode == 0, result.stderr[-3000:]
        folders[cores] = folder
    return folders


def relative_files(folder: Path, pattern: str) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.glob(pattern))


@pytest.mark.slow
def test_statistics_and_stimulus_tables_are_byte_identical(runs):
    stats = [relative_files(run, "results/stats/*/*.*") for run in (runs[1], runs[2])]
    assert stats[0] == stats[1] and len(stats[0]) == 2 * 11  # study and null: eleven files each
    differing = [name for name in stats[0] + COMPARED_FILES
                 if (runs[1] / name).read_bytes() != (runs[2] / name).read_bytes()]
    assert differing == []


@pytest.mark.slow
def test_stimulus_images_and_weights_are_identical(runs):
    # .npz files are zip archives stamped with the time of writing: their arrays are compared.
    with np.load(runs[1] / "results/stimuli/images.npz") as one, np.load(runs[2] / "results/stimuli/images.npz") as two:
        assert sorted(one.files) == sorted(two.files)
        for name in one.files:
            np.testing.assert_array_equal(one[name], two[name], err_msg=name)
    weights = relative_files(runs[1], "results/models/*/weights.pt")
    assert weights == relative_files(runs[2], "results/models/*/weights.pt")
    assert len(weights) == len(TINY_CONFIG["classifiers"])
    for name in [*weights, "results/prior/weights.pt"]:
        one, two = (torch.load(run / name, map_location="cpu", weights_only=True) for run in (runs[1], runs[2]))
        assert one.keys() == two.keys()
        assert [key for key in one if not torch.equal(one[key], two[key])] == [], name


def string_constants_naming_temporary_files(source: str) -> list[str]:
    """String constants that look like a fixed temporary path, outside the arguments of `tempfile` calls."""
    tree = ast.parse(source)
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in TEMPFILE_CALLS:
            allowed.update(id(inner) for argument in [*node.args, *node.keywords] for inner in ast.walk(argument))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in allowed:
            if TEMPORARY_NAME.search(node.value) or node.value.startswith(("/tmp", "/var/tmp")):
                found.append(node.value)
        if isinstance(node, ast.Attribute) and node.attr == "mktemp":
            found.append(MKTEMP)
    return found


def test_no_code_writes_to_a_fixed_temporary_path():
    sources = [*(REPO / "src" / "varemotion").rglob("*.py"), *(REPO / "workflow" / "scripts").glob("*.py")]
    assert len(sources) > 50
    found = {str(path.relative_to(REPO)): names for path in sources
             if (names := string_constants_naming_temporary_files(path.read_text()))}
    assert found == {}
    rules = [REPO / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]
    assert [str(path.relative_to(REPO)) for path in rules if re.search(r"/tmp\b|\.tmp\b", path.read_text())] == []


def test_the_scan_finds_fixed_temporary_paths():
    assert string_constants_naming_temporary_files('np.save("/tmp/x.npy", a)') == ["/tmp/x.npy"]
    assert string_constants_naming_temporary_files('path.with_suffix(".tmp")') == [".tmp"]
    assert string_constants_naming_temporary_files('f"{out}.part"') == [".part"]
    assert string_constants_naming_temporary_files("tempfile.mktemp()") == [MKTEMP]
    assert string_constants_naming_temporary_files('tempfile.mkstemp(dir=d, suffix=".tmp")') == []


# One writer: half its payload, meet the other writer, list the temporary files, meet again, finish.
WRITER = """
import json, sys, time
from pathlib import Path
from varemotion.atomic import write_atomically

path, meeting, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
payload = n.encode() * 3_000_000
seen = []

def meet(step):
    (meeting / f"{step}-{n}").touch()
    deadline = time.monotonic() + 60
    while len(list(meeting.glob(f"{step}-*"))) < 2:
        if time.monotonic() > deadline:
            raise TimeoutError(step)
        time.sleep(0.01)

def write(handle):
    handle.write(payload[:len(payload) // 2])
    handle.flush()
    meet("writing")
    seen.extend(sorted(p.name for p in path.parent.iterdir()))
    meet("listed")
    handle.write(payload[len(payload) // 2:])

write_atomically(path, write)
print(json.dumps(seen))
"""


def test_two_processes_writing_one_file_use_their_own_temporary_files(tmp_path):
    path, meeting = tmp_path / "out" / "table.csv", tmp_path / "meeting"
    meeting.mkdir()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(meeting), n], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for n in "AB"]
    outputs = [writer.communicate(timeout=120) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], [err for _, err in outputs]
    seen = [json.loads(out) for out, _ in outputs]
    assert seen[0] == seen[1] and len(seen[0]) == 2
    assert all(name.startswith(".table.csv.") and name.endswith(".tmp") for name in seen[0])
    assert path.read_bytes() in (b"A" * 3_000_000, b"B" * 3_000_000)
    assert [p.name for p in path.parent.iterdir()] == ["table.csv"]
