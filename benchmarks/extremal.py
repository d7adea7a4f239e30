"""Extremal Perturbation of 16 faces: one batched optimisation vs one image at a time.

    python benchmarks/extremal.py [--images 16] [--iterations 300] [--weights DIR/weights.pt] [--threads 2]

Renders `--images` synthetic 48x48 faces and explains each face's own label with a small timm
ResNet (resnet10t, channels 32-64-128-256; random weights unless `--weights` names a classifier
saved by `save_classifier`), with the default three areas (0.05, 0.1, 0.2) and the same number of
iterations both ways: (a) all images × all areas in one call of `extremal_perturbation` (one
optimisation of images × areas masks); (b) a loop over the images, each image's three areas
optimised alone in its own call. Prints images/s of each, their largest mask difference, and
`ratio=<batched images/s / loop images/s>` as the last line. `--single-areas` also times a loop
over every image and area alone (one mask per optimisation) and prints its ratio before that line.

Before the ratio, it times the classifier's own forward and backward pass (weights frozen, as in
the optimisation) on the loop's batch (3 masks) and on the batched one (images × 3 masks). A
batched iteration cannot take less than the latter, so `loop seconds / (iterations × t(48))`
bounds the ratio that batching this network can reach on the machine, however little the rest of
an iteration costs.

`--torchray` also times TorchRay's `extremal_perturbation` (the paper's reference code; archived,
CC BY-NC, so never a dependency: `pip install torchray` to use it here) one image at a time with
the same areas, iterations and the same step and σ scaled to the image, and prints the mean
correlation of its masks with the batched ones (TorchRay also jitters the image and blurs at
several levels, so the masks differ in detail).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

from varemotion.emotions import BASIC_EMOTIONS
from varemotion.faces import generate_faces
from varemotion.models.classifier import Classifier, ClassifierConfig, load_classifier
from varemotion.models.modes import eval_mode
from varemotion.xai.extremal import extremal_perturbation

CHANNELS = {"channels": [32, 64, 128, 256], "stem_width": 16}
AREAS = (0.05, 0.1, 0.2)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def network_seconds(classifier, images: torch.Tensor, repeats: int = 30) -> float:
    """Median seconds of one forward and backward pass to the input, the classifier's weights frozen."""
    times = []
    with eval_mode(classifier, freeze=True):
        for _ in range(repeats + 3):  # the first three warm up
            shown = images.clone().requires_grad_(True)
            started = time.perf_counter()
            classifier(shown)[:, 0].sum().backward()
            times.append(time.perf_counter() - started)
    return statistics.median(times[3:])


def torchray_reference(classifier, images: torch.Tensor, targets: torch.Tensor, iterations: int,
                       masks: torch.Tensor) -> None:
    """Time TorchRay's one-image Extremal Perturbation and compare its masks with `masks` (N, A, H, W)."""
    try:
        from torchray.attribution.extremal_perturbation import extremal_perturbation as torchray_extremal
    except ImportError as error:
        raise SystemExit("--torchray needs TorchRay: pip install torchray (reference only)") from error
    side = min(images.shape[-2:])
    settings = {"areas": list(AREAS), "max_iter": iterations, "step": max(1, round(side * 7 / 224)),
                "sigma": side * 21 / 224}
    started = time.perf_counter()
    with eval_mode(classifier, freeze=True), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.meshgrid")  # TorchRay's own call, not ours
        reference = torch.stack([torchray_extremal(classifier, images[i : i + 1], int(targets[i]), **settings)[0][:, 0]
                                 for i in range(len(images))])
    seconds = time.perf_counter() - started
    pairs = torch.stack([reference.flatten(2), masks.flatten(2)], dim=2).flatten(0, 1)  # (N·A, 2, H·W)
    correlation = torch.stack([torch.corrcoef(pair)[0, 1] for pair in pairs]).nanmean().item()
    print(f"TorchRay, one image at a time: {seconds:.1f} s, {len(images) / seconds:.3f} images/s; "
          f"mean correlation of its masks with the batched ones {correlation:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--weights", default=None, help="a saved classifier's weights.pt (config.json beside it)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--single-areas", action="store_true", help="also time one image and one area at a time")
    parser.add_argument("--torchray", action="store_true", help="also time TorchRay's implementation (installed apart)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.weights:
        classifier = load_classifier(args.weights)
    else:
        torch.manual_seed(0)
        classifier = Classifier(ClassifierConfig(arch="resnet10t", emotions=list(BASIC_EMOTIONS), kwargs=CHANNELS))
    classifier.eval()
    faces = generate_faces(args.images, seed=0, size=48, emotions=classifier.config.emotions)
    images = torch.as_tensor(faces["images"]).float().div(255).unsqueeze(1)
    targets = torch.as_tensor(faces["labels"])
    extremal_perturbation(classifier, images[:2], targets[:2], iterations=2)  # warm-up

    batched, batched_s = timed(extremal_perturbation, classifier, images, targets, areas=AREAS,
                              iterations=args.iterations)
    print(f"batched: {args.images} images x 3 areas in one optimisation, {args.iterations} iterations, "
          f"{batched_s:.1f} s, {args.images / batched_s:.3f} images/s")
    started = time.perf_counter()
    looped = torch.cat([extremal_perturbation(classifier, images[i : i + 1], targets[i : i + 1], areas=AREAS,
                                              iterations=args.iterations) for i in range(args.images)])
    loop_s = time.perf_counter() - started
    print(f"one image at a time: {args.images} optimisations of 1 image x 3 areas, {args.iterations} iterations, "
          f"{loop_s:.1f} s, {args.images / loop_s:.3f} images/s")
    print(f"largest |batched - loop| mask difference: {(batched - looped).abs().max().item():.2e}")
    if args.single_areas:
        started = time.perf_counter()
        for i in range(args.images):
            for area in AREAS:
                extremal_perturbation(classifier, images[i : i + 1], targets[i : i + 1], areas=(area,),
                                      iterations=args.iterations)
        single_s = time.perf_counter() - started
        print(f"one image and one area at a time: {args.images * len(AREAS)} optimisations, {single_s:.1f} s, "
              f"{args.images / single_s:.3f} images/s, ratio_single_areas={single_s / batched_s:.2f}")
    if args.torchray:
        torchray_reference(classifier, images, targets, args.iterations, batched)
    small = network_seconds(classifier, images[:1].repeat_interleave(len(AREAS), 0))
    large = network_seconds(classifier, images.repeat_interleave(len(AREAS), 0))
    print(f"network forward+backward: {len(AREAS)} masks {small * 1e3:.2f} ms, {args.images * len(AREAS)} masks "
          f"{large * 1e3:.2f} ms; with nothing else in a batched iteration, ratio <= "
          f"{loop_s / (args.iterations * large):.2f} here")
    print(f"ratio={loop_s / batched_s:.2f}")


if __name__ == "__main__":
    main()
