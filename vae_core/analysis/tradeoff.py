"""Numbers behind the reconstruction-vs-KL trade-off: where two clusters meet, and how blurred a decoded image is.

The decoder outputs Bernoulli means p(x|z), one probability per pixel. Where the
KL term makes the posteriors of different digits overlap, one z stands for
several digits, and the best a mean can do is their average: grey strokes,
the blur of VAE samples (the reconstruction term alone would keep the codes
apart; Kingma & Welling 2014, eq. 10, weigh the two).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Recipe:
    """Everything but beta that shapes a trained VAE: compare models across beta only when these agree,
    or the comparison measures the other differences too (a 1-epoch run beside 150-epoch ones)."""

    dataset: str
    hidden_dims: tuple[int, ...]
    latent_dim: int
    epochs: int | None
    batch_size: int | None
    lr: float | None

    @classmethod
    def of(cls, config, metrics: dict) -> Recipe:
        """From a native checkpoint's VAEConfig and metrics (missing training settings stay None)."""
        number = lambda key: metrics.get(key) if isinstance(metrics.get(key), int | float) else None  # noqa: E731
        return cls(config.dataset, tuple(config.hidden_dims), config.latent_dim, number("epochs"),
                   number("batch_size"), number("lr"))

    def describe(self) -> str:
        """E.g. "MLP 512-256, 150 epochs, batch 256, lr 0.002"."""
        parts = [f"MLP {'-'.join(map(str, self.hidden_dims))}"]
        if self.epochs is not None:
            parts.append(f"{self.epochs:g} epoch{'s' if self.epochs != 1 else ''}")
        if self.batch_size is not None:
            parts.append(f"batch {self.batch_size:g}")
        if self.lr is not None:
            parts.append(f"lr {self.lr:g}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Between:
    """A z on the border between two classes, and the nearest test digit of each class to it.

    z: (D,); index_a, index_b: test-set indices of those digits.
    """

    z: np.ndarray
    index_a: int
    index_b: int


def class_centre(mu: np.ndarray, labels: np.ndarray, label: int) -> np.ndarray:
    """The per-dimension median of the test means of one class: (N, D), (N,) -> (D,)."""
    members = mu[labels == label]
    if len(members) == 0:
        raise ValueError(f"no test means with label {label}")
    return np.median(members, axis=0)


def between_clusters(mu: np.ndarray, labels: np.ndarray, a: int, b: int, steps: int = 201) -> Between:
    """The z on the segment between the centres of classes a and b that is as far from the nearest
    test mean of class a as from the nearest of class b: the border of the two clusters, and those
    two nearest digits. mu: (N, D), labels: (N,)."""
    start, end = class_centre(mu, labels, a), class_centre(mu, labels, b)
    path = start + np.linspace(0.0, 1.0, steps)[:, None] * (end - start)  # (steps, D)
    members = [np.flatnonzero(labels == c) for c in (a, b)]
    # distances (steps, members) from each point of the path to every test mean of each class
    distances = [np.linalg.norm(path[:, None, :] - mu[rows][None], axis=2) for rows in members]
    gap = np.abs(distances[0].min(axis=1) - distances[1].min(axis=1))
    k = int(np.argmin(gap))
    nearest = [int(rows[np.argmin(d[k])]) for rows, d in zip(members, distances, strict=True)]
    return Between(path[k].astype(np.float32), *nearest)


def bernoulli_sample(probabilities: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each pixel drawn on (1) with its own probability, independently: the likelihood's own sample.
    (…, 28, 28) float in [0, 1] -> same shape, values 0.0 or 1.0."""
    rng = np.random.default_rng(seed)
    return (rng.random(probabilities.shape) < probabilities).astype(np.float32)


def grey_ink_share(images: np.ndarray, lo: float = 0.2, hi: float = 0.8) -> float:
    """Of the pixels with any ink (> lo), the share that is grey (< hi), over images (…, 28, 28).

    MNIST's own digits are mostly solid strokes with thin anti-aliased edges;
    a blurred decoding has wide grey margins, so this share rises with blur.
    """
    images = np.asarray(images, dtype=np.float32)
    ink = images > lo
    return float((ink & (images < hi)).sum() / max(int(ink.sum()), 1))
