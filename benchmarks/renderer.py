"""Throughput of the synthetic-face renderer: generate_faces at 48x48 on 2 CPU threads.

Usage: python benchmarks/renderer.py [--n 10000] [--repeats 5] [--size 48] [--threads 2]
Prints one line per repeat and `faces_per_s=<median>` as its last line.
"""

import argparse
import statistics
import time

import torch

from varemotion.faces import generate_faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generate_faces(1024, seed=0, size=args.size)  # warm-up
    rates = []
    for rep in range(args.repeats):
        start = time.perf_counter()
        generate_faces(args.n, seed=rep, size=args.size)
        rates.append(args.n / (time.perf_counter() - start))
        print(f"repeat {rep}: {rates[-1]:.0f} faces/s")
    print(f"faces_per_s={statistics.median(rates):.0f}")


if __name__ == "__main__":
    main()
