"""Uploads people make land where they belong: real files of handwriting that is not MNIST's.

tests/fixtures/uploads holds 30 files from the generator of bench/upload_fidelity.py's set
(`python -m bench.upload_set --out tests/fixtures/uploads --per-style 10 --seed 7 --longest 320`):
ten scans, ten canvas exports and ten phone photos, one of each digit, with labels.csv giving the
digit and the box its ink really fills. tests/fixtures/uploads_once_refused holds four phone photos
of clear digits (shrunk to 640 px) that the preprocessing used to call blank.
Measured on these files: none refused, the map's vote right for 9, 9 and 6 of 10, every
detected box overlapping the true one by >= 0.70 (intersection over union; median 0.98).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from vae_core.analysis import explore
from vae_core.storage import settings
from vae_core.storage.checkpoint import load_checkpoint
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.store import cache_path_for
from vae_core.uploads.preprocess import MNIST_SLANT, _slant, load_image, prepare, preprocess

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
ONCE_REFUSED = sorted((Path(__file__).parent / "fixtures" / "uploads_once_refused").glob("*.jpg"))
with open(UPLOADS / "labels.csv", newline="") as f:
    ROWS = list(csv.DictReader(f))


def label_of(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def overlap(a, b) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


@pytest.fixture(scope="module")
def default_model():
    """The shipped default VAE and its test means and labels."""
    path = settings.REPO / "models" / "mnist_vae_z2.pt"
    model, _ = load_checkpoint(path)
    return model, load_latent_cache(cache_path_for(path))


def vote(default_model, x: np.ndarray) -> np.ndarray:
    """The map's vote (the Encode page's): the commonest digit among the 15 test means nearest each mu."""
    model, cache = default_model
    return explore.majority_labels(cache.mu, cache.labels, explore.encode(model, x)[0], 15)[0]


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_no_legible_digit_is_refused_and_the_box_is_where_the_ink_is(row):
    image = load_image(UPLOADS / row["file"])
    assert (image.width, image.height) == (int(row["width"]), int(row["height"]))
    prepared = prepare(image)  # raises ImageDecodeError if refused
    assert prepared.x.shape == (28, 28) and prepared.x.max() == pytest.approx(1)
    true_box = [int(v) for v in row["box"].split()]
    assert overlap(prepared.box, true_box) >= 0.6, (prepared.box, true_box)


def test_most_uploads_land_among_their_own_digit(default_model):
    x = np.stack([preprocess(UPLOADS / r["file"]) for r in ROWS])
    right = vote(default_model, x) == np.array([int(r["label"]) for r in ROWS])
    styles = np.array([r["style"] for r in ROWS])
    assert right.mean() >= 0.7, right.mean()  # measured 24 of 30
    for style in ("scan", "canvas", "photo"):
        assert right[styles == style].mean() >= 0.5, style


@pytest.mark.parametrize("path", ONCE_REFUSED, ids=[p.name for p in ONCE_REFUSED])
def test_clear_digits_once_called_blank_are_read(path):
    # Pen on paper under a vignette, a colour cast or a shadow's edge: the old global test saw no ink.
    assert preprocess(path).sum() > 40


def test_ink_mass_and_slant_come_out_like_mnist(default_model, data_root):
    from vae_core.data.datasets import read_images

    mnist = read_images(data_root, "mnist", train=False).astype(np.float32) / 255
    x = np.stack([preprocess(UPLOADS / r["file"]) for r in ROWS])
    # Ink mass: the uploads' median within MNIST's quartiles (measured 103 against MNIST's 80-125).
    q1, q3 = np.percentile(mnist.sum(axis=(1, 2)), [25, 75])
    assert q1 < np.median(x.sum(axis=(1, 2))) < q3
    # Slant: sheared to MNIST's median, unless the person asks for their own.
    slants = np.array([_slant(d)[0] for d in x])
    assert np.abs(slants - MNIST_SLANT).max() < 0.05, slants  # measured 0.006
    own = np.array([_slant(preprocess(UPLOADS / r["file"], deslant=False))[0] for r in ROWS])
    assert np.abs(own - MNIST_SLANT).max() > 0.2  # measured 0.44: slanted hands are kept when asked
