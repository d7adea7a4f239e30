"""Realistic accepted boundary images per second: the project's sampler against a straightforward reference.

    python benchmarks/sampler.py [--guide resnet] [--ref-pairs 14] [--reference-settings] [--configfile my.yaml]

Run from the repository root after the default workflow has written results/prior,
results/models and results/data (synthetic faces). Both samplers use the same prior, guide,
probability threshold and realism threshold (the renderer-fit residual of the workflow's realism
measure, set from the reference half of the real test faces):

- ours: `sample_pairs` with the workflow's sampling settings, every ordered emotion pair
  (`sampling.n_per_pair` images each) in batches of up to `sampling.max_batch`;
- reference: the predecessor study's procedure written out plainly, one image of one pair at a
  time, DDPM 50 steps × 5 time-travel repeats, γ = 0.1 (over the first `--ref-pairs` pairs).

An image counts when it passes the probability filter (`accept`: the share of samples that do)
and the realism filter (`real`: the share of those accepted that also do). Last line:
`ratio=<ours/reference realistic accepted images per second> ratio_kind=<estimate|lower_bound>
ours_accept=<…> ref_accept=<…> ours_real=<…> ref_real=<…>`; when no reference image counts, the
reference's rate is replaced by its 95 % upper bound (3 of its n images, the rule of three) and the
ratio is a lower bound.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from varemotion.config import workflow_config
from varemotion.diffusion import load_prior
from varemotion.models import load_classifier
from varemotion.data import load_split
from varemotion.realism.measures import RealismSettings
from varemotion.realism.scores import realism_scores, realism_threshold, realistic
from varemotion.realism.stage import real_part
from varemotion.sampling import all_ordered_pairs, keep_uncertainty, sample_pairs
from varemotion.sampling.sets import to_uint8

REPO = Path(__file__).resolve().parents[1]


def reference_sample(prior, guide, i: int, j: int, seed: int, steps=50, repeats=5, gamma=0.1) -> torch.Tensor:
    """One uncertainty-guided image, as a plain per-image loop (the predecessor study's recipe)."""
    scheduler = DDPMScheduler.from_config(prior.scheduler.config)
    scheduler.set_timesteps(steps)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn((1, *prior.sample_shape), generator=generator)
    timesteps = scheduler.timesteps
    for k, t in enumerate(timesteps):
        alpha_bar = float(scheduler.alphas_cumprod[t])
        previous = int(t) - scheduler.config.num_train_timesteps // steps
        alpha_bar_prev = float(scheduler.alphas_cumprod[previous]) if previous >= 0 else 1.0
        for r in range(repeats if k < len(timesteps) - 1 else 1):
            x = x.detach().requires_grad_(True)
            eps = prior.denoise(x, t)
            x0 = (x - math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha_bar)
            log_p = F.log_softmax(guide(prior.decode(x0)), dim=-1)
            loss = -0.5 * (log_p[0, i] + log_p[0, j])
            (grad,) = torch.autograd.grad(loss, x)
            x_prev = scheduler.step(eps.detach(), t, x.detach(), generator=generator).prev_sample
            grad = grad * math.sqrt(grad.numel()) * math.sqrt(1 - alpha_bar) / grad.norm().clamp(min=1e-12)
            x_prev = x_prev - gamma * grad
            if r < repeats - 1:  # time travel: back to level t with √β noise
                alpha = alpha_bar / alpha_bar_prev
                x = math.sqrt(alpha) * x_prev + math.sqrt(1 - alpha) * torch.randn(x_prev.shape, generator=generator)
        x = x_prev
    with torch.no_grad():
        return prior.decode(x.detach()).clamp(0, 1)


def accepted_and_real(guide, images, pairs, min_prob, settings, threshold) -> tuple[float, float]:
    """Share of the images that pass the probability filter, and share of those that are also realistic."""
    quantised = to_uint8(images)
    with torch.no_grad():
        probs = guide(torch.as_tensor(quantised, dtype=torch.float32)[:, None] / 255).softmax(-1)
    accepted = keep_uncertainty(probs, pairs[:, 0], pairs[:, 1], min_prob).numpy()
    real = realistic(realism_scores(quantised, settings), settings.measure, threshold)
    return float(accepted.mean()), float(real[accepted].mean()) if accepted.any() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guide", default=None, help="classifier name (default: the first configured)")
    parser.add_argument("--ref-pairs", type=int, default=14, help="pairs the reference samples (one image each)")
    parser.add_argument("--configfile", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--reference-settings", action="store_true",
        help="run ours with the reference's settings (DDPM 50 × 5, γ 0.1): the gain of batching alone",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = workflow_config(REPO, args.configfile)
    name = args.guide or next(iter(config["classifiers"]))
    prior = load_prior("results/prior/weights.pt")
    guide = load_classifier(f"results/models/{name}/weights.pt")
    min_prob = config["filters"]["uncertainty_min_prob"]
    realism = config["realism"]
    settings = RealismSettings(measure="renderer", renderer_steps=realism["renderer"]["steps"],
                               renderer_lr=realism["renderer"]["lr"], reference_quantile=realism["reference_quantile"])
    test = load_split("results/data/synthetic/test.npz").images
    threshold = realism_threshold(realism_scores(real_part(test, "reference", realism["n_real"]), settings), settings)
    print(f"realism threshold: renderer residual <= {threshold:.4f}")
    sampling = config["sampling"]
    options = {k: sampling[k] for k in ("scheduler", "num_inference_steps", "guidance_scale", "guidance_stop", "guidance_goal", "time_travel", "renoise")}
    if args.reference_settings:
        options |= {"scheduler": "ddpm", "num_inference_steps": 50, "guidance_scale": 0.1, "time_travel": 5}
    print(f"ours: {options}, n_per_pair={sampling['n_per_pair']}, max_batch={sampling['max_batch']}")

    started = time.perf_counter()
    ours = sample_pairs(prior, guide, n_per_pair=sampling["n_per_pair"], max_batch=sampling["max_batch"], **options)
    ours_s = time.perf_counter() - started
    ours_accept, ours_real = accepted_and_real(guide, ours.images, ours.pairs, min_prob, settings, threshold)
    ours_rate = ours_accept * ours_real * len(ours.images) / ours_s
    print(f"ours: {len(ours.images)} images in {ours_s:.1f} s, accepted {ours_accept:.3f}, of which realistic "
          f"{ours_real:.3f}: {ours_rate:.4f} realistic accepted/s")

    pairs = torch.tensor(all_ordered_pairs(len(guide.config.emotions))[: args.ref_pairs])
    started = time.perf_counter()
    images = torch.cat([reference_sample(prior, guide, int(i), int(j), seed=n) for n, (i, j) in enumerate(pairs)])
    ref_s = time.perf_counter() - started
    ref_accept, ref_real = accepted_and_real(guide, images, pairs, min_prob, settings, threshold)
    ref_rate = ref_accept * ref_real * len(images) / ref_s
    print(f"reference: {len(images)} images in {ref_s:.1f} s, accepted {ref_accept:.3f}, of which realistic "
          f"{ref_real:.3f}: {ref_rate:.4f} realistic accepted/s")
    kind = "estimate"
    if ref_rate == 0:
        # None of the reference's images counts: its share of realistic accepted images is below
        # 3/n with 95 % confidence (the rule of three), so the ratio is at least this much.
        ref_rate, kind = 3 / ref_s, "lower_bound"
        print(f"reference: no realistic accepted image; 95 % upper bound {ref_rate:.4f} realistic accepted/s")
    print(f"ratio={ours_rate / ref_rate:.2f} ratio_kind={kind} ours_accept={ours_accept:.3f} "
          f"ref_accept={ref_accept:.3f} ours_real={ours_real:.3f} ref_real={ref_real:.3f}")


if __name__ == "__main__":
    main()
