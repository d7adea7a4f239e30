"""Train a small classifier on a FER+ copy on the CPU; report test accuracy and the real-vote correlation.

    python benchmarks/ferplus_classifier.py [FERPLUS_ROOT] [--epochs 12] [--arch resnet10t] [--vote-epochs 2]

Besides accuracy against the majority vote, it reports Spearman ρ between the classifier's
softmax entropy and the entropy of the 10 crowd votes over the test faces (the workflow's
`ferplus_vote_statistics`). With `--vote-epochs N` the trained model is then fine-tuned for N
epochs on the training faces' vote distributions (`varemotion.alignment.votes`, as the workflow's
`ferplus_vote_finetune`) and a second line reports both models. The line after training reads
`test_accuracy=<fraction> vote_entropy_rho=<ρ> rho_ci=<low>,<high> train_seconds=<s> total_seconds=<s>`;
the fine-tuning line `finetuned_accuracy=<fraction> rho_before=<ρ> rho_after=<ρ> rho_after_ci=<low>,<high>`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import torch

from varemotion.alignment.votes import finetune_on_votes, vote_alignment
from varemotion.config import workflow_config
from varemotion.data import load_ferplus, load_split, save_splits
from varemotion.models import fit_classifier, load_classifier, predict_proba
from varemotion.models.training import TrainConfig
from varemotion.stats import correlation_table
from varemotion.stats.votes import vote_entropy_table

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ferplus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=DEFAULT_ROOT, type=Path)
    parser.add_argument("--arch", default="resnet10t")
    parser.add_argument("--kwargs", default='{"channels": [32, 64, 128, 256], "stem_width": 16}')
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--labels", choices=["hard", "soft"], default="hard")
    parser.add_argument("--vote-epochs", type=int, default=0, help="then fine-tune on the vote distributions")
    parser.add_argument("--vote-lr", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="keep weights and metrics here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)

    config = workflow_config(Path(__file__).resolve().parents[1])  # the settings a run would use
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        paths = save_splits(Path(tmp) / "data", load_ferplus(args.root))
        metrics = fit_classifier(
            paths,
            arch=args.arch,
            kwargs=json.loads(args.kwargs),
            outputs={"weights": out / "model" / "weights.pt", "config": out / "model" / "config.json",
                     "metrics": out / "metrics.json"},
            train={**config["train"], "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                   "labels": args.labels},
            progress=False,
        )
        split = load_split(paths["test"])
        model = load_classifier(out / "model" / "weights.pt")
        votes = vote_entropy_table(split, {"model": predict_proba(model, split.images_float(), torch.device("cpu"))})
        rho = correlation_table(votes, ["model"], ["spearman"], n_resamples=1999, seed=0).iloc[0]
        if args.vote_epochs:
            tuned = finetune_on_votes(model, load_split(paths["train"]), TrainConfig(**{
                **config["train"], "epochs": args.vote_epochs, "batch_size": args.batch_size, "lr": args.vote_lr,
                "warmup_epochs": 0.1}), torch.device("cpu"))
            stats = {**config["stats"], "n_resamples": 1999, "seed": 0}
            vote_rho, vote_metrics = vote_alignment({"base": model, "finetuned": tuned}, split, stats,
                                                    torch.device("cpu"))
    test = metrics["test"]
    print(json.dumps({"arch": args.arch, "parameters": metrics["parameters"], "epochs": args.epochs,
                      "labels": args.labels, "macro_f1": test["macro_f1"],
                      "per_class_recall": test["per_class_recall"]}))
    print(
        f"test_accuracy={test['accuracy']:.4f} vote_entropy_rho={rho['r']:.3f} "
        f"rho_ci={rho['ci_low']:.3f},{rho['ci_high']:.3f} train_seconds={metrics['train_seconds']:.0f} "
        f"total_seconds={time.perf_counter() - started:.0f}"
    )
    if args.vote_epochs:
        after = vote_rho.set_index("classifier")
        print(json.dumps(vote_metrics))
        print(
            f"finetuned_accuracy={vote_metrics['finetuned']['accuracy']:.4f} rho_before={after.at['base', 'r']:.3f} "
            f"rho_after={after.at['finetuned', 'r']:.3f} "
            f"rho_after_ci={after.at['finetuned', 'ci_low']:.3f},{after.at['finetuned', 'ci_high']:.3f}"
        )


if __name__ == "__main__":
    main()
