"""Do uploads land where they belong? Per style of upload, as a table.

    python -m bench.upload_fidelity [--set bench/out/upload_set] [--per-style 200] [--model mnist_vae_z2]

Runs every image of the set from `bench.upload_set` (generated first if the
folder has no labels.csv) through the app's own preprocessing
(`vae_core.uploads.preprocess.preprocess`, bytes in, 28x28 out, timed), encodes it
and takes the map's vote: the most common digit among the 15 test means
nearest its posterior mean, as the Encode page does. MNIST's own test digits
get the same vote, each without itself, which is the bar the ratio is taken
against. Stroke width (2 x area / boundary of the pixels > 0.5) and ink mass
(sum of the 28x28 input) are compared with MNIST's test set.
"""
from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from tqdm import tqdm

from bench.upload_set import STYLES, generate
from vae_core.analysis import explore
from vae_core.data.datasets import read_images
from vae_core.storage import settings, store
from vae_core.storage.latents import load_latent_cache
from vae_core.uploads.preprocess import ImageDecodeError, preprocess

K = 15


def stroke_width_and_mass(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (N, 28, 28) in [0, 1] -> (stroke width in px (N,), ink mass (N,))."""
    mask = x > 0.5
    inner = ndi.binary_erosion(mask, np.ones((1, 3, 3), bool))  # per image: no structure across images
    boundary = (mask & ~inner).sum(axis=(1, 2))
    return 2 * mask.sum(axis=(1, 2)) / np.maximum(boundary, 1), x.sum(axis=(1, 2))


def leave_one_out_vote(mu: np.ndarray, labels: np.ndarray, chunk: int = 500) -> np.ndarray:
    """The K-nearest vote of every test mean (N, D) among the other test means -> predicted labels (N,)."""
    sq = (mu**2).sum(axis=1)
    out = np.empty(len(mu), np.int64)
    for i in range(0, len(mu), chunk):
        d = sq[None, :] - 2 * mu[i:i + chunk] @ mu.T
        d[np.arange(len(d)), np.arange(i, i + len(d))] = np.inf  # not itself
        near = labels[np.argpartition(d, K - 1, axis=1)[:, :K]]
        out[i:i + chunk] = (near[:, :, None] == np.arange(10)).sum(axis=1).argmax(1)
    return out


def run_set(folder: Path, rows: list[dict]) -> dict[str, list]:
    """Preprocess every file of the set: per row, the 28x28 input (or None if refused), its message, seconds."""
    inputs, messages, seconds = [], [], []
    for row in tqdm(rows, desc="preprocessing", unit="image"):
        data = (folder / row["file"]).read_bytes()
        start = time.perf_counter()
        try:
            x, message = preprocess(data), ""
        except ImageDecodeError as exc:
            x, message = None, str(exc)
        seconds.append(time.perf_counter() - start)
        inputs.append(x)
        messages.append(message)
    return dict(inputs=inputs, messages=messages, seconds=np.array(seconds))


def _q(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=Path("bench/out/upload_set"))
    parser.add_argument("--per-style", type=int, default=200, help="images per style when the set is generated")
    parser.add_argument("--model", default="mnist_vae_z2")
    parser.add_argument("--data-root", type=Path, default=settings.data_root())
    args = parser.parse_args()
    if not (args.set / "labels.csv").exists():
        generate(args.set, args.per_style)
    with open(args.set / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))

    files = store.model_files(args.model)
    model, _ = store.load_model(files)
    cache = load_latent_cache(files.cache())
    mnist_x = read_images(args.data_root, "mnist", train=False).astype(np.float32) / 255
    mnist_acc = float((leave_one_out_vote(cache.mu, cache.labels) == cache.labels).mean())
    mnist_width, mnist_mass = stroke_width_and_mass(mnist_x)

    result = run_set(args.set, rows)
    styles = np.array([r["style"] for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    accepted = np.array([x is not None for x in result["inputs"]])
    x = np.stack([xi for xi in result["inputs"] if xi is not None])
    votes = np.full(len(rows), -1)
    votes[accepted] = explore.majority_labels(cache.mu, cache.labels, explore.encode(model, x)[0], K)[0]
    width = np.full(len(rows), np.nan)
    mass = np.full(len(rows), np.nan)
    width[accepted], mass[accepted] = stroke_width_and_mass(x)

    print(f"model {args.model}; MNIST test's own {K}-NN map vote (leave one out): {mnist_acc:.3f}")
    print("| style | images | refused | map vote accuracy | ratio to MNIST | stroke width median (IQR) px "
          "| ink mass median (IQR) | time median, p95 (ms) |")
    print("|---|---|---|---|---|---|---|---|")

    def line(name, sel):
        ok = sel & accepted
        acc = float((votes[sel] == labels[sel]).mean())  # a refusal counts as a miss
        w, m, t = width[ok], mass[ok], result["seconds"][sel] * 1000
        print(f"| {name} | {sel.sum()} | {(sel & ~accepted).sum()} | {acc:.3f} | {acc / mnist_acc:.3f} "
              f"| {_q(w, 50):.2f} ({_q(w, 25):.2f}-{_q(w, 75):.2f}) | {_q(m, 50):.0f} ({_q(m, 25):.0f}-{_q(m, 75):.0f}) "
              f"| {_q(t, 50):.0f}, {_q(t, 95):.0f} |")

    for style in STYLES:
        line(style, styles == style)
    line("all", np.ones(len(rows), bool))
    print(f"| MNIST test | {len(mnist_x)} | - | {mnist_acc:.3f} | 1.00 | {_q(mnist_width, 50):.2f} "
          f"({_q(mnist_width, 25):.2f}-{_q(mnist_width, 75):.2f}) | {_q(mnist_mass, 50):.0f} "
          f"({_q(mnist_mass, 25):.0f}-{_q(mnist_mass, 75):.0f}) | - |")
    big = np.array([{int(r["width"]), int(r["height"])} == {4000, 3000} for r in rows])
    if big.any():
        t = result["seconds"][big] * 1000
        print(f"\n4000x3000 photos: {big.sum()}, preprocessing median {_q(t, 50):.0f} ms, p95 {_q(t, 95):.0f} ms "
              f"(target p95 <= 150 ms)")
    hands = np.array([r["hand"] for r in rows])
    print("\nby hand: " + ", ".join(f"{h} {float((votes[hands == h] == labels[hands == h]).mean()):.2f} "
                                    f"(n={int((hands == h).sum())})" for h in sorted(set(hands))))
    for row, message in zip(rows, result["messages"], strict=True):
        if message:
            print(f"refused {row['file']}: {message}")


if __name__ == "__main__":
    main()
