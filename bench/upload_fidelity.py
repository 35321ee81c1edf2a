"""Do uploads land where they belong? Per style of upload, as a table.

    python -m bench.upload_fidelity [--set bench/out/upload_set] [--per-style 200] [--model mnist_vae_z2]
    python -m bench.upload_fidelity --set bench/out/upload_set --set2 bench/out/upload_set2   # both generators
    python -m bench.upload_fidelity --set2 bench/out/upload_set2 \
        --upload-encoder tests/fixtures/upload_encoder/mnist_vae_z2.upload_encoder.pt   # a file elsewhere

A second table gives, per set and style, refused, the map's vote accuracy and its ratio to MNIST test's own
rate with each encoder: the model's own; for an MNIST model the same with the stroke width fitted as the app
fits it (vae_core.uploads.stroke); with the model's upload encoder (models/NAME.upload_encoder.pt,
vae_core.uploads.upload_encoder) when it has one; for a 2-D VAE the mean of the exact posterior p(z|x) from the
decoder on a grid (vae_core.analysis.exact_posterior, the Encode page's blue lines). Then MNIST test through each:
the vote (leave one out; the exact posterior on every EXACT_EVERY-th digit, against the own encoder's vote on the
same digits) and the mean distance |mu - mu_own| / sigma_own. Last, the ceiling: the app's MNIST classifier (a
CNN, models/classifiers/) on each set, and its ratio to its accuracy on MNIST test. `--set2` is generator 2's
set (bench.handwriting2, generated with `--generator 2` when missing): report it, never tune on it.

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
from functools import partial
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from tqdm import tqdm

from bench.upload_set import STYLES, generate
from vae_core.analysis import explore
from vae_core.analysis.classifier import class_probabilities, classifier_path, load_classifier
from vae_core.analysis.exact_posterior import exact_posteriors
from vae_core.data.datasets import read_images, read_labels
from vae_core.storage import settings, store
from vae_core.storage.checkpoint import file_sha256
from vae_core.storage.latents import load_latent_cache
from vae_core.uploads.preprocess import ImageDecodeError, preprocess
from vae_core.uploads.stroke import fit_strokes
from vae_core.uploads.upload_encoder import encode_uploads, load_upload_encoder, read_upload_encoder

K = 15
EXACT = "exact posterior"
EXACT_FITTED = "exact posterior, stroke fitted"
EXACT_EVERY = 10  # MNIST test digits through the exact posterior: 1,000 of 10,000 (about 30 s)


def stroke_width_and_mass(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (N, 28, 28) in [0, 1] -> (stroke width in px (N,), ink mass (N,))."""
    mask = x > 0.5
    inner = ndi.binary_erosion(mask, np.ones((1, 3, 3), bool))  # per image: no structure across images
    boundary = (mask & ~inner).sum(axis=(1, 2))
    return 2 * mask.sum(axis=(1, 2)) / np.maximum(boundary, 1), x.sum(axis=(1, 2))


def leave_one_out_vote(mu: np.ndarray, labels: np.ndarray, chunk: int = 500, query: np.ndarray | None = None) -> np.ndarray:
    """The K-nearest vote of every test mean (N, D) among the other test means -> predicted labels (N,).
    `query` (N, D): vote for these points instead (digit i's from another encoder), still without mean i."""
    query = mu if query is None else query
    sq = (mu**2).sum(axis=1)
    out = np.empty(len(mu), np.int64)
    for i in range(0, len(mu), chunk):
        d = sq[None, :] - 2 * query[i:i + chunk] @ mu.T
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


def _read_set(folder: Path, per_style: int, generator: int) -> tuple[list[dict], dict]:
    """The set's rows (labels.csv; generated first when missing) and run_set's preprocessing of them."""
    if not (folder / "labels.csv").exists():
        generate(folder, per_style, generator=generator)
    with open(folder / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return rows, run_set(folder, rows)


def _encode_stroke_fitted(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) -> (mu, sigma) of the stroke width the model explains best, as the app encodes handwriting."""
    return explore.encode(model, fit_strokes(model, x)[0])


def _exact_means(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) -> (mean, std) of each exact posterior p(z|x), as an encoder's (mu, sigma)."""
    found = exact_posteriors(model, x)
    return np.stack([p.mean for p in found]), np.stack([p.std for p in found])


def ceiling(sets: dict, data_root: Path) -> None:
    """The app's MNIST classifier on each set and style, and its ratio to its own MNIST test accuracy."""
    path = classifier_path("mnist")
    if not path.is_file():
        print("\n(no MNIST classifier in models/classifiers/: no ceiling)")
        return
    classifier = load_classifier(path)[0]
    mnist_x = read_images(data_root, "mnist", train=False).astype(np.float32) / 255
    base = float((class_probabilities(classifier, mnist_x).argmax(1) == read_labels(data_root, "mnist", train=False)).mean())
    print(f"\nThe ceiling: the app's MNIST classifier (CNN), accuracy and its ratio to MNIST test's {base:.3f}")
    print("| set | " + " | ".join(f"{style}" for style in (*STYLES, "all")) + " |")
    print("|---|" + "---|" * (len(STYLES) + 1))
    for s, (rows, result) in sets.items():
        accepted = np.array([x is not None for x in result["inputs"]])
        predicted = np.full(len(rows), -1)
        predicted[accepted] = class_probabilities(classifier, np.stack([x for x in result["inputs"] if x is not None])).argmax(1)
        styles, labels = np.array([r["style"] for r in rows]), np.array([int(r["label"]) for r in rows])
        cells = [float((predicted[sel] == labels[sel]).mean()) for sel in
                 [styles == style for style in STYLES] + [np.ones(len(rows), bool)]]
        print(f"| {s} | " + " | ".join(f"{a:.3f} ({a / base:.3f})" for a in cells) + " |")


def mnist_rows(cache, encoders: dict, mnist_x: np.ndarray, mnist_acc: float) -> None:
    """MNIST test through each encoder: the vote of its mean for digit i among the map's other means, and how far
    its means lie from the model's own (the exact posterior on every EXACT_EVERY-th digit: a grid per digit)."""
    others = {e: enc(mnist_x)[0] for e, enc in encoders.items() if e not in ("own", EXACT, EXACT_FITTED)}
    accs = [float((leave_one_out_vote(cache.mu, cache.labels, query=mu) == cache.labels).mean()) for mu in others.values()]
    cells = [f"{mnist_acc:.3f} | 1.000", *(f"{a:.3f} | {a / mnist_acc:.3f}" for a in accs),
             *("(below) | -" for e in (EXACT, EXACT_FITTED) if e in encoders)]
    print(f"| MNIST test | - | {len(mnist_x)} | - | " + " | ".join(cells) + " |")
    sigma = np.exp(0.5 * cache.logvar)
    if EXACT in encoders:
        rows = np.arange(0, len(mnist_x), EXACT_EVERY)
        query = cache.mu.copy()
        query[rows] = encoders[EXACT](mnist_x[rows])[0]
        own_there, exact_there = (float((leave_one_out_vote(cache.mu, cache.labels, query=q)[rows] == cache.labels[rows])
                                        .mean()) for q in (cache.mu, query))
        gap = np.abs(query[rows] - cache.mu[rows])
        print(f"\nMNIST test, every {EXACT_EVERY}th digit ({len(rows)}): vote with the own encoder {own_there:.3f}, with "
              f"the {EXACT} {exact_there:.3f} (ratio {exact_there / own_there:.3f}); mean |E[z|x] - mu_own| = "
              f"{float(gap.mean()):.4f}, in units of sigma_own: {float((gap / sigma[rows]).mean()):.2f}")
    for e, mu in others.items():
        gap = np.abs(mu - cache.mu)
        in_sigma = f"{float((gap / sigma).mean()):.3f}" if (sigma > 0).all() else "- (an autoencoder has no sigma)"
        print(f"\nMNIST test, {e} against the model's own: mean |mu - mu_own| = {float(gap.mean()):.4f}, in units "
              f"of sigma_own: {in_sigma}; the map's means are the own encoder's")


def _votes(cache, encode, inputs: list) -> np.ndarray:
    """The map's vote (the Encode page's) per row, -1 for a refused upload; encode: (N, 28, 28) -> (mu, sigma)."""
    accepted = np.array([x is not None for x in inputs])
    votes = np.full(len(inputs), -1)
    if accepted.any():
        mu = encode(np.stack([x for x in inputs if x is not None]))[0]
        votes[accepted] = explore.majority_labels(cache.mu, cache.labels, mu, K)[0]
    return votes


def style_table(name: str, rows: list[dict], result: dict, cache, mnist_acc: float, mnist_width, mnist_mass,
                votes: np.ndarray) -> None:
    """The first table: per style, refused, vote, ratio, stroke width, ink mass and time (own encoder)."""
    styles = np.array([r["style"] for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    accepted = np.array([x is not None for x in result["inputs"]])
    x = np.stack([xi for xi in result["inputs"] if xi is not None])
    width = np.full(len(rows), np.nan)
    mass = np.full(len(rows), np.nan)
    width[accepted], mass[accepted] = stroke_width_and_mass(x)
    print(f"\n{name}: the model's own encoder")
    print("| style | images | refused | map vote accuracy | ratio to MNIST | stroke width median (IQR) px "
          "| ink mass median (IQR) | time median, p95 (ms) |")
    print("|---|---|---|---|---|---|---|---|")

    def line(label, sel):
        ok = sel & accepted
        acc = float((votes[sel] == labels[sel]).mean())  # a refusal counts as a miss
        w, m, t = width[ok], mass[ok], result["seconds"][sel] * 1000
        print(f"| {label} | {sel.sum()} | {(sel & ~accepted).sum()} | {acc:.3f} | {acc / mnist_acc:.3f} "
              f"| {_q(w, 50):.2f} ({_q(w, 25):.2f}-{_q(w, 75):.2f}) | {_q(m, 50):.0f} ({_q(m, 25):.0f}-{_q(m, 75):.0f}) "
              f"| {_q(t, 50):.0f}, {_q(t, 95):.0f} |")

    for style in STYLES:
        line(style, styles == style)
    line("all", np.ones(len(rows), bool))
    print(f"| MNIST test | {len(cache.mu)} | - | {mnist_acc:.3f} | 1.00 | {_q(mnist_width, 50):.2f} "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=Path("bench/out/upload_set"))
    parser.add_argument("--set2", type=Path, default=None, help="generator 2's set (bench.handwriting2): report only")
    parser.add_argument("--per-style", type=int, default=200, help="images per style when the set is generated")
    parser.add_argument("--model", nargs="+", default=["mnist_vae_z2"])
    parser.add_argument("--data-root", type=Path, default=settings.data_root())
    parser.add_argument("--upload-encoder", type=Path, default=None,
                        help="this upload encoder file instead of models/NAME.upload_encoder.pt (one model)")
    args = parser.parse_args()
    sets = {"set 1": _read_set(args.set, args.per_style, 1)}
    if args.set2 is not None:
        sets["set 2"] = _read_set(args.set2, args.per_style, 2)
    mnist_x = read_images(args.data_root, "mnist", train=False).astype(np.float32) / 255
    mnist_width, mnist_mass = stroke_width_and_mass(mnist_x)

    for name in args.model:
        files = store.model_files(name)
        model, _ = store.load_model(files)
        cache = load_latent_cache(files.cache())
        mnist_acc = float((leave_one_out_vote(cache.mu, cache.labels) == cache.labels).mean())
        upload = load_upload_encoder(files, strict=True) if args.upload_encoder is None else \
            read_upload_encoder(args.upload_encoder, file_sha256(files.main), model)[0]
        encoders = {"own": partial(explore.encode, model)}
        if model.info.dataset == "mnist":  # handwriting: the stroke width fitted as the app does (uploads.stroke)
            encoders["own, stroke fitted"] = partial(_encode_stroke_fitted, model)
        if upload is not None:
            encoders["upload"] = partial(encode_uploads, upload)
        if model.info.latent_dim == 2 and model.info.is_vae:
            encoders[EXACT] = partial(_exact_means, model)
            if model.info.dataset == "mnist":  # the Encode page's default: p(z|x) of the stroke-fitted input
                encoders[EXACT_FITTED] = lambda x, model=model: _exact_means(model, fit_strokes(model, x)[0])
        print(f"\n## model {name}; MNIST test's own {K}-NN map vote (leave one out): {mnist_acc:.3f}")
        votes = {(s, e): _votes(cache, enc, result["inputs"]) for s, (_, result) in sets.items()
                 for e, enc in encoders.items()}
        for s, (rows, result) in sets.items():
            style_table(f"{s} ({len(rows)} images)", rows, result, cache, mnist_acc, mnist_width, mnist_mass,
                        votes[(s, "own")])
        print(f"\n{name}: each encoder, per set and style (ratio: vote accuracy / MNIST test's own {mnist_acc:.3f})")
        print("| set | style | images | refused | " + " | ".join(f"{e}: vote | {e}: ratio" for e in encoders) + " |")
        print("|---|---|---|---|" + "---|---|" * len(encoders))
        for s, (rows, result) in sets.items():
            styles = np.array([r["style"] for r in rows])
            labels = np.array([int(r["label"]) for r in rows])
            refused = np.array([x is None for x in result["inputs"]])
            for style in (*STYLES, "all"):
                sel = styles == style if style != "all" else np.ones(len(rows), bool)
                cells = [float((votes[(s, e)][sel] == labels[sel]).mean()) for e in encoders]
                print(f"| {s} | {style} | {sel.sum()} | {(sel & refused).sum()} | "
                      + " | ".join(f"{a:.3f} | {a / mnist_acc:.3f}" for a in cells) + " |")
        mnist_rows(cache, encoders, mnist_x, mnist_acc)

    ceiling(sets, args.data_root)


if __name__ == "__main__":
    main()
