"""How separable the synthetic expression classes are: test accuracy of the default classifiers.

    python benchmarks/synthetic_accuracy.py [--epochs N] [--classifier NAME] [--configfile my.yaml]

Generates the synthetic data set of the workflow's config and trains the configured classifier
with the workflow's own trainer. The renderer's defaults are chosen so that classes overlap:
a classifier should reach roughly 85–95 %, not 100 %. Last line: `test_accuracy=<fraction>`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from varemotion.config import workflow_config
from varemotion.data import save_splits
from varemotion.data.synthetic import build_synthetic_splits
from varemotion.models import fit_classifier

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifier", default=None, help="name in the config (default: the first)")
    parser.add_argument("--epochs", type=int, default=None, help="override train.epochs")
    parser.add_argument("--configfile", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = workflow_config(REPO, args.configfile)
    name = args.classifier or next(iter(config["classifiers"]))
    spec = config["classifiers"][name]
    train = {**config["train"], **spec["train"]}
    if args.epochs:
        train["epochs"] = args.epochs

    started = time.perf_counter()
    splits = build_synthetic_splits(config["data"]["synthetic"], config["data"]["emotions"])
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        metrics = fit_classifier(
            save_splits(Path(tmp) / "data", splits),
            arch=spec["arch"],
            kwargs=spec["kwargs"],
            train=train,
            outputs={"weights": Path(tmp) / "weights.pt", "config": Path(tmp) / "config.json",
                     "metrics": Path(tmp) / "metrics.json"},
            progress=False,
        )
    for epoch in metrics["history"]:
        print(f"epoch {epoch['epoch']}: loss {epoch['loss']:.3f}")
    print(f"classifier={name} arch={spec['arch']} epochs={train['epochs']} "
          f"generate_s={generated:.0f} train_s={metrics['train_seconds']:.0f} "
          f"val_accuracy={metrics['val']['accuracy']:.4f}")
    print(f"test_accuracy={metrics['test']['accuracy']:.4f}")


if __name__ == "__main__":
    main()
