"""Quality of the shipped models on the MNIST test set, as a table.

    python bench/quality.py [--data-root DIR] [--iw-samples 1000] [--limit N]

Each row comes from `vae_core.evaluate.evaluate`, the same code as the
`python -m vae_core.evaluate` command; training time is the one the checkpoint
recorded when it was trained.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from vae_core import settings
from vae_core.evaluate import evaluate

COLUMNS = ("model", "test_neg_elbo", "recon", "kl", "iw_nll", "knn_accuracy", "train time (s)", "parameters")


def _cell(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}" if value <= 1 else f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=str(settings.data_root()))
    parser.add_argument("--models", nargs="+", type=Path, default=sorted(settings.models_dir().glob("*.pt")))
    parser.add_argument("--iw-samples", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for checkpoint in args.models:
        r = evaluate(checkpoint, args.data_root, args.limit, args.iw_samples)
        row = (checkpoint.stem, r["test_neg_elbo"], r["test_recon"], r["test_kl"], r["iw_nll"],
               r["knn_accuracy"], r["train_seconds"], r["parameters"])
        print("| " + " | ".join(_cell(v) for v in row) + " |", flush=True)
    print(f"\nnats per test image; n_test = {r['n_test']}; iw_nll with K = {args.iw_samples} importance samples; "
          "knn_accuracy: 15-NN digit accuracy of test means against training means")


if __name__ == "__main__":
    main()
