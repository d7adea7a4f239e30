"""Train the default latent prior on the synthetic faces, sample it and print its quality report.

    python benchmarks/prior.py [--threads 2] [--ae-steps N] [--steps N] [--samples 500]

Run from the repository root after the default workflow has written results/data/synthetic and
results/models/resnet. On a 2-core machine shared with another job, use --threads 1 (two threads
competing with a busy core were 5x slower).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torchvision.utils import save_image

from varemotion.config import workflow_config
from varemotion.data import load_split
from varemotion.diffusion import build_prior
from varemotion.diffusion.training import PriorTrainConfig, train_prior
from varemotion.models import load_classifier, predict_proba
from varemotion.sampling.quality import quality_report, unguided_samples

REPO = Path(__file__).resolve().parents[1]
DATA = "results/data/synthetic"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", default="latent")
    parser.add_argument("--settings", default="{}", help="JSON prior settings")
    defaults = workflow_config(REPO)["prior"]["train"]  # the workflow's settings, from the config and schema
    parser.add_argument("--ae-steps", type=int, default=defaults["ae_steps"])
    parser.add_argument("--steps", type=int, default=defaults["steps"])
    parser.add_argument("--kl-weight", type=float, default=defaults["kl_weight"])
    parser.add_argument("--ae-lr", type=float, default=PriorTrainConfig.ae_lr)  # not a config key
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--grid", default="/tmp/prior_samples.png")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    train = load_split(f"{DATA}/train.npz").images_float()
    heldout = load_split(f"{DATA}/test.npz").images_float()
    torch.manual_seed(0)  # the initial weights
    prior = build_prior(args.kind, tuple(train.shape[1:]), **json.loads(args.settings))
    count = lambda m: 0 if m is None else sum(p.numel() for p in m.parameters())
    print(f"parameters: denoiser={count(prior.denoiser)} autoencoder={count(prior.autoencoder)}")
    config = PriorTrainConfig(**{**workflow_config(REPO)["prior"]["train"], "ae_steps": args.ae_steps,
                                 "steps": args.steps, "kl_weight": args.kl_weight, "ae_lr": args.ae_lr})
    started = time.perf_counter()
    history = train_prior(prior, train, config, device, progress=False)
    train_s = time.perf_counter() - started
    for stage in ("autoencoder", "denoiser"):
        losses = [h["loss"] for h in history if h["stage"] == stage]
        if losses:
            print(f"{stage}: steps={len(losses)} first={losses[0]:.4f} last50={sum(losses[-50:]) / len(losses[-50:]):.4f}")
    started = time.perf_counter()
    samples = unguided_samples(prior, args.samples, {"scheduler": "ddpm", "num_inference_steps": 50, "time_travel": 1},
                               max_batch=256, seed=0, device=device)
    sample_s = time.perf_counter() - started
    save_image(samples[:64], args.grid, nrow=8)
    started = time.perf_counter()
    report = quality_report(samples, heldout[: args.samples], load_classifier("results/models/resnet/weights.pt"),
                            two_sample={"seed": 0})
    report["c2st_seconds"] = round(time.perf_counter() - started, 1)
    report["sampling_images_per_s"] = round(args.samples / sample_s, 2)
    print(json.dumps(report))
    if prior.autoencoder is not None:  # is the autoencoder or the denoiser the bottleneck?
        with torch.no_grad():
            recon = prior.decode(prior.encode(heldout[: args.samples]))
        probs = predict_proba(load_classifier("results/models/resnet/weights.pt"), recon, torch.device("cpu"))
        print(f"autoencoder: heldout L1={(recon - heldout[: args.samples]).abs().mean():.4f} "
              f"mean_max_prob={probs.max(axis=1).mean():.3f}")
    print(f"mean_max_prob={report['mean_max_probability']:.3f} c2st_acc={report['two_sample_accuracy']:.3f} train_s={train_s:.0f}")


if __name__ == "__main__":
    main()
