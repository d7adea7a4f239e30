"""Run the whole study on FER+ with config/ferplus_cpu.yaml and report the time of every stage.

    python benchmarks/ferplus_cpu.py [FERPLUS_ROOT] [--workdir DIR] [--cores 2] [--summarise-only]
    python benchmarks/ferplus_cpu.py FERPLUS_ROOT --config config/paper.yaml --cores 16 --gpus 1

Runs `snakemake --cores N --configfile config/ferplus_cpu.yaml` in a fresh working folder
(default: a new temporary one), then prints, per stage (the rule files of workflow/rules), the
number of jobs, the summed job time and the stage's span from its first start to its last end,
from the start and end times Snakemake records for every job in `.snakemake/metadata`; then the
seconds of the `benchmark:` files per folder of results/benchmarks/ (the GPU rules, cached
between workflows, cannot have one). Then the headline numbers: test accuracy of each classifier, the prior's
quality report, the filter pass rate, and ρ(model entropy, human entropy) before and after
fine-tuning on the trials and on the FER+ votes. The last line reads
`wall_s=<seconds> jobs=<n> stages=<name:seconds,...>`. With `--summarise-only` it reports on an
existing working folder without running anything; `--config` runs another config on FER+ (e.g.
config/paper.yaml) and `--gpus N` gives the run `--resources gpu=N`.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "data" / "ferplus"


def rule_stages() -> dict[str, str]:
    """Rule name → stage (the rule file that defines it)."""
    stages = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for name in re.findall(r"(?m)^\s*rule (\w+):", path.read_text()):
            stages[name] = path.stem
    return stages


def job_times(workdir: Path) -> list[dict]:
    """One record per finished job (rule, start, end, seconds), from Snakemake's metadata."""
    jobs = {}
    metadata = workdir / ".snakemake" / "metadata"
    for record_path in metadata.iterdir() if metadata.is_dir() else []:
        record = json.loads(record_path.read_text())
        if record.get("incomplete") or record.get("starttime") is None:
            continue
        job = jobs.setdefault((record["rule"], record["job_hash"]),
                              {"rule": record["rule"], "start": record["starttime"], "end": record["endtime"]})
        job["start"], job["end"] = min(job["start"], record["starttime"]), max(job["end"], record["endtime"])
    for job in jobs.values():
        job["seconds"] = job["end"] - job["start"]
    return sorted(jobs.values(), key=lambda job: job["start"])


def benchmark_table(results: Path) -> dict[str, tuple[int, float]]:
    """Benchmark folder → (files, summed seconds) of the `benchmark:` files Snakemake wrote."""
    table = defaultdict(lambda: (0, 0.0))
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        with open(path) as handle:
            seconds = float(next(csv.DictReader(handle, delimiter="\t"))["s"])
        files, total = table[path.parent.name]
        table[path.parent.name] = (files + 1, total + seconds)
    return dict(table)


def stage_table(jobs: list[dict]) -> list[dict]:
    stages = rule_stages()
    grouped = defaultdict(list)
    for job in jobs:
        grouped[stages.get(job["rule"], "other")].append(job)
    rows = []
    for stage, members in grouped.items():
        rows.append({"stage": stage, "jobs": len(members), "job_s": sum(j["seconds"] for j in members),
                     "span_s": max(j["end"] for j in members) - min(j["start"] for j in members)})
    return sorted(rows, key=lambda row: -row["job_s"])


def headline_numbers(results: Path) -> dict:
    numbers = {}
    for metrics in sorted((results / "models").glob("*/metrics.json")):
        numbers[f"accuracy_{metrics.parent.name}"] = json.loads(metrics.read_text())["test"]["accuracy"]
    quality = results / "prior" / "quality.json"
    if quality.exists():
        numbers.update({f"prior_{k}": v for k, v in json.loads(quality.read_text()).items() if isinstance(v, (int, float))})
    acceptance = results / "stimuli" / "acceptance.csv"
    if acceptance.exists():
        with open(acceptance) as handle:
            rows = list(csv.DictReader(handle))
        for kind in sorted({row["kind"] for row in rows}):
            sampled = sum(int(r["n_sampled"]) for r in rows if r["kind"] == kind)
            accepted = sum(int(r["n_accepted"]) for r in rows if r["kind"] == kind)
            numbers[f"pass_rate_{kind}"] = accepted / max(1, sampled)
        numbers["stimuli"] = sum(int(r["n_accepted"]) for r in rows)
    for summary in sorted((results / "alignment").glob("*/evaluation/summary.json")):
        for model, value in json.loads(summary.read_text())["entropy_correlation"].items():
            numbers[f"rho_trials_{summary.parents[1].name}_{model}"] = value["rho"]
    for table in sorted((results / "alignment").glob("*/votes/correlations.csv")):
        with open(table) as handle:
            for row in csv.DictReader(handle):
                numbers[f"rho_votes_{table.parents[1].name}_{row['classifier']}"] = float(row["r"])
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=DEFAULT_ROOT, type=Path)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "ferplus_cpu.yaml")
    parser.add_argument("--gpus", type=int, default=0)
    parser.add_argument("--summarise-only", action="store_true")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="varemotion-ferplus-cpu-"))
    wall = None
    if not args.summarise_only:
        if not (args.root / "fer2013new.csv").exists():
            sys.exit(f"no FER+ copy at {args.root}: give the folder holding fer2013new.csv")
        workdir.mkdir(parents=True, exist_ok=True)
        paths = workdir / "paths.yaml"
        paths.write_text(json.dumps({"data": {"ferplus": {"root": str(args.root.resolve())}}}) + "\n")
        command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", str(args.cores),
                   "--resources", f"gpu={args.gpus}", "--directory", str(workdir),
                   "--configfile", str(args.config.resolve()), str(paths)]
        print("running:", " ".join(command), flush=True)
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=REPO)
        wall = time.perf_counter() - started
    jobs = job_times(workdir)
    if wall is None and jobs:
        wall = max(j["end"] for j in jobs) - min(j["start"] for j in jobs)
    print(f"{'stage':<12} {'jobs':>5} {'job s':>9} {'span s':>9}")
    stages = stage_table(jobs)
    for row in stages:
        print(f"{row['stage']:<12} {row['jobs']:>5} {row['job_s']:>9.0f} {row['span_s']:>9.0f}")
    print(f"{'benchmarks/':<12} {'files':>5} {'s':>9}")
    for folder, (files, seconds) in benchmark_table(workdir / "results").items():
        print(f"{folder:<12} {files:>5} {seconds:>9.0f}")
    for name, value in headline_numbers(workdir / "results").items():
        print(f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}")
    print(f"wall_s={wall:.0f} jobs={len(jobs)} stages=" + ",".join(f"{r['stage']}:{r['job_s']:.0f}" for r in stages))


if __name__ == "__main__":
    main()
