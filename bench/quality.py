"""Quality of the shipped models on their test sets, as a table, and the classifiers' accuracy.

    python bench/quality.py [--data-root DIR] [--iw-samples 1000] [--limit N] [--binarized-k 5000] [--binarized-limit N]

Each row comes from `vae_core.analysis.evaluate.evaluate`, the same code as the
`latent-explorer evaluate` command; training time is the one the checkpoint
recorded when it was trained. "prior named" is the share of 4,000 decoded prior
samples z ~ N(0, I) the dataset's classifier names with probability >= 0.9, and
"spread" the entropy of their classes (3.32 bits when all ten are equally common). "binarized nll" is
-log p(x) of a fixed stochastic binarization of the test set with K importance samples, the protocol of
Davidson et al. 2018 (K = 5,000; their 2-D Gaussian VAE: 135.73 nats, hyperspherical: 132.50).
"""
from __future__ import annotations

import argparse

from vae_core.analysis.classifier import classifier_path, load_classifier
from vae_core.analysis.evaluate import evaluate
from vae_core.data.datasets import DATASETS
from vae_core.storage import settings, store

COLUMNS = ("model", "β", "test_neg_elbo", "recon", "kl", "iw_nll", "binarized nll (K, n)", "knn_accuracy", "prior named",
           "spread (bits)", "train time (s)", "parameters")


def _cell(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}" if value < 1 else f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=str(settings.data_root()))
    parser.add_argument("--models", nargs="+", default=store.list_models(), help="model names in the models folder")
    parser.add_argument("--iw-samples", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--binarized-k", type=int, default=5000)
    parser.add_argument("--binarized-limit", type=int, default=None)
    args = parser.parse_args()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for name in args.models:
        r = evaluate(store.model_files(name).main, args.data_root, args.limit, args.iw_samples,
                     binarized_k=args.binarized_k, binarized_limit=args.binarized_limit)
        binary = (None if r["binarized_iw_nll"] is None
                  else f"{r['binarized_iw_nll']:.2f} ({r['binarized_k']}, {r['binarized_n']})")
        row = (name, r["beta"], r["test_neg_elbo"], r["test_recon"], r["test_kl"], r["iw_nll"], binary, r["knn_accuracy"],
               r["prior_confident_share"], r["prior_class_entropy_bits"], r["train_seconds"], r["parameters"])
        print("| " + " | ".join(_cell(v) for v in row) + " |", flush=True)
    print(f"\nnats per test image; n_test = {r['n_test']}; iw_nll with K = {args.iw_samples} importance samples; "
          "knn_accuracy: 15-NN digit accuracy of test means against training means")
    print("\n| classifier | test accuracy | train time (s) |\n|---|---|---|")
    for dataset in DATASETS:
        path = classifier_path(dataset)
        if path.is_file():
            _, metrics = load_classifier(path)
            print(f"| {path.name} | {_cell(metrics.get('test_accuracy'))} | {_cell(metrics.get('train_seconds'))} |")


if __name__ == "__main__":
    main()
