"""How well the Train page's estimate (vae_core.training.budget) predicts real runs on this machine.

    python -m bench.train_cost [--data-root DIR]      # from the repository root; needs MNIST

Runs one epoch of a few settings with the app's training thread count (cores - 1) and prints one
table: the estimate, the measured time (median of 3 runs) and their ratio. A server refuses runs
whose estimate exceeds LATENT_EXPLORER_MAX_RUN_MINUTES, so the ratio is what that limit means.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from vae_core.storage.settings import data_root
from vae_core.training.budget import estimate_seconds
from vae_core.training.train import TrainSettings, fit

CASES = [TrainSettings(hidden_dims=(256, 128), epochs=1, train_share=0.5),
         TrainSettings(hidden_dims=(512, 256), epochs=1, train_share=0.5),
         TrainSettings(hidden_dims=(256, 128), epochs=1, batch_size=32, train_share=0.25),
         TrainSettings(hidden_dims=(1024, 1024), epochs=1, train_share=0.25),
         TrainSettings(hidden_dims=(2048, 2048), latent_dim=16, epochs=1, train_share=0.05)]


def measure(settings: TrainSettings, root, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fit(settings, root, progress=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=str(data_root()))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))  # as the app's training thread
    fit(TrainSettings(epochs=1, limit=256), args.data_root, progress=False)  # warm-up: first reads, allocator
    print("| hidden | latent | batch | share | parameters | estimate (s) | measured median (s) | measured / estimate |")
    print("|---|---|---|---|---|---|---|---|")
    for s in CASES:
        estimate, measured = estimate_seconds(s), measure(s, args.data_root, args.repeats)
        print(f"| {'x'.join(map(str, s.hidden_dims))} | {s.latent_dim} | {s.batch_size} | {s.train_share:g} | "
              f"{s.config().parameter_count:,} | {estimate:.1f} | {measured:.1f} | {measured / estimate:.2f} |")


if __name__ == "__main__":
    main()
