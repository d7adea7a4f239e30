"""The landmark rule's detector measured: detection rate on the FER+ test split, error on synthetic faces, time.

    python benchmarks/landmarks.py [FERPLUS_ROOT] [--synthetic 1000] [--size 192]

Runs FaceMesh as the landmark rule does (`varemotion.landmarks.detect`) on every FER+ test face:
on the plain resized face only, on the padded canvas only, and on both in turn (the rule's
default), and reports each detection rate; every face FaceMesh misses gets the mean shape, so
the rate with the fallback is that of faces with points. On `--synthetic` faces of the default
renderer settings (48×48) it reports the normalised mean error (NME, inter-ocular distances) of
the detected points and of the mean shape against the renderer's own landmarks, and for FER+ the
mean shape's error against FaceMesh's points on half of the detected faces (the mean taken over
the other half). Run it under `taskset -c 0` for the time on one core (the CPU time is printed
too, for busy machines). The last line reads
`ferplus_detected=<rate> ferplus_with_fallback=<rate> synthetic_nme=<nme> s_per_1000=<seconds>`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

from varemotion.data import load_ferplus
from varemotion.data.ferplus import FERPLUS_EMOTIONS
from varemotion.faces import generate_faces
from varemotion.landmarks.accuracy import normalised_mean_error
from varemotion.config import workflow_config
from varemotion.landmarks.detect import DetectorSettings, detect_landmarks, mean_shape

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "data" / "ferplus"


def detector(**changes) -> DetectorSettings:
    """The workflow's landmark settings (config and schema defaults), with `changes`."""
    return DetectorSettings(**{**workflow_config(REPO)["landmarks"], **changes})


def nme_against(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per face, the mean distance between two (N, 68, 2) point sets over the reference's outer-eye distance."""
    iod = np.linalg.norm(reference[:, 36] - reference[:, 45], axis=1)
    return np.linalg.norm(points - reference, axis=2).mean(axis=1) / iod


def ferplus_rates(root: Path, size: int) -> tuple[dict, float, float]:
    test = load_ferplus(root, emotions=FERPLUS_EMOTIONS)["test"]
    rates = {}
    for name, paddings in (("plain", (0.0,)), ("padded", (0.25,)), ("padded_then_plain", (0.25, 0.0))):
        start, cpu = time.perf_counter(), time.process_time()
        found = detect_landmarks(test.images, detector(size=size, paddings=paddings))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rates[name] = float(found.detected.mean())
        print(f"FER+ test split ({test.n} faces), FaceMesh {name}: detected {rates[name]:.4f}, "
              f"with the fallback {float((found.method != 'none').mean()):.4f}, {1000 * seconds / test.n:.1f} s "
              f"({1000 * cpu / test.n:.1f} s of CPU) per 1,000", flush=True)
    rng = np.random.default_rng(0)
    detected = rng.permutation(np.flatnonzero(found.detected))
    half = len(detected) // 2
    error = nme_against(np.broadcast_to(mean_shape(found.points[detected[:half]]), (len(detected) - half, 68, 2)),
                        found.points[detected[half:]])
    print(f"FER+ mean shape against FaceMesh on {len(error)} detected faces: NME median {np.median(error):.3f}, "
          f"mean {error.mean():.3f}")
    return rates, float((found.method != "none").mean()), 1000 * seconds / test.n


def synthetic_error(n: int, size: int) -> float:
    faces = generate_faces(n, seed=7, size=48)
    found = detect_landmarks(faces["images"], detector(size=size))
    per_face, _ = normalised_mean_error(found.points, faces["identity"], faces["au"], 48)
    detected = per_face[found.detected]
    fallback = per_face[found.method == "mean_shape"]
    print(f"synthetic faces ({n}): detected {found.detected.mean():.3f}, NME of detected points mean "
          f"{detected.mean():.4f} median {np.median(detected):.4f}; of the mean shape {np.nanmean(fallback):.4f}")
    return float(detected.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=DEFAULT_ROOT, type=Path)
    parser.add_argument("--synthetic", type=int, default=1000, help="synthetic faces for the NME")
    parser.add_argument("--size", type=int, default=192, help="side FaceMesh sees, in pixels")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    nme = synthetic_error(args.synthetic, args.size)
    rates, with_fallback, per_1000 = ferplus_rates(args.root, args.size)
    print(f"ferplus_detected={rates['padded_then_plain']:.4f} ferplus_with_fallback={with_fallback:.4f} "
          f"synthetic_nme={nme:.4f} s_per_1000={per_1000:.1f}")


if __name__ == "__main__":
    main()
