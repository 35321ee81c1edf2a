"""The exact posterior p(z|x) of a 2-D VAE, from its decoder on a grid: what the encoder's q(z|x) approximates.

Bayes: p(z|x) = p(x|z) N(z; 0, I) / p(x). With two latent dimensions the normaliser p(x) is a sum over a
grid, so the posterior needs no encoder at all: evaluate log p(x|z) + log N(z; 0, I) (the decoder's Bernoulli
log-likelihood and the prior) on a coarse grid over the prior's reach, then split every coarse cell within
KEEP_NATS of the best into a finer grid and evaluate again there, all of them normalised together: a
posterior with two modes keeps both, one narrower than a coarse cell is resolved.

The encoder's q(z|x) = N(mu, sigma^2) is trained to be close to this (the ELBO's gap is KL(q || p), Kingma &
Welling 2014); where the two differ is the amortisation gap, and where p(z|x) has two modes a single Gaussian
cannot follow it.

Measured on uploads by `bench/upload_fidelity.py` (README, "Uploads").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vae_core.models.latent_model import LatentModel

REACH = 4.5  # the coarse grid spans [-REACH, REACH]^2: the prior's density beyond is below e^-10 of its peak
COARSE_STEPS = 91  # 0.1 apart
KEEP_NATS = 25.0  # coarse cells this far below the best hold under e^-25 of its mass each: not refined
FINE_BUDGET = 16384  # fine points per image at most: few kept cells are split finer than many
MAX_SPLIT = 20  # a kept cell is split into at most 20 x 20 (0.005 apart): posteriors of sigma ~0.01-0.03
DISPLAY_STEPS = 120  # the density kept for drawing: at most this many cells a side (pooled from the fine grid)
HPD_MASS = (0.393, 0.865)  # the mass inside a 2-D Gaussian's 1- and 2-sigma ellipses: lines drawn at these compare


@dataclass(frozen=True)
class ExactPosterior:
    """p(z|x): its mean and covariance from the fine grid; `density` (H, W) sums to 1, the fine grid's mass pooled
    onto at most DISPLAY_STEPS cells a side for drawing, rows along `ys` (H,), columns along `xs` (W,)."""

    mean: np.ndarray  # (2,)
    cov: np.ndarray  # (2, 2)
    xs: np.ndarray
    ys: np.ndarray
    density: np.ndarray

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def offset_from(self, mu: np.ndarray, sigma: np.ndarray) -> tuple[float, float]:
        """How far the encoder's mean mu (2,) lies from this posterior's mean: (distance, the largest of its two
        coordinates' gaps in units of the encoder's sigma (2,))."""
        gap = np.abs(np.asarray(mu, np.float64) - self.mean)
        return float(np.hypot(*gap)), float((gap / np.asarray(sigma, np.float64)).max())

    def level(self, mass: float) -> float:
        """The density at which the highest-density region holds `mass` of the posterior (a contour level)."""
        ranked = np.sort(self.density.ravel())[::-1]
        return float(ranked[min(np.searchsorted(np.cumsum(ranked), mass), len(ranked) - 1)])


def log_joint(model: LatentModel, x: np.ndarray, zs: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Inputs (N, 28, 28) in [0, 1], codes (G, 2) -> (N, G) float64: log p(x|z) + log N(z; 0, I), up to a constant.
    The likelihood is the decoder's Bernoulli, as in training: sum x log s(l) + (1 - x) log s(-l), l the logits."""
    import torch
    import torch.nn.functional as F

    flat = torch.as_tensor(np.asarray(x, np.float64).reshape(len(x), -1))
    out = np.empty((len(x), len(zs)))
    with torch.inference_mode():
        for i in range(0, len(zs), batch_size):
            logits = model.decode_logits(torch.as_tensor(zs[i:i + batch_size], dtype=torch.float32)).double()
            out[:, i:i + batch_size] = (flat @ F.logsigmoid(logits).T + (1 - flat) @ F.logsigmoid(-logits).T).numpy()
    return out - 0.5 * (np.asarray(zs, np.float64) ** 2).sum(axis=1)


def _moments(log_weights: np.ndarray, zs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalised weights (G,), mean (2,) and covariance (2, 2) of log-weights (G,) on codes (G, 2)."""
    w = np.exp(log_weights - log_weights.max())
    w /= w.sum()
    mean = w @ zs
    centred = zs - mean
    return w, mean, (centred.T * w) @ centred


def _refine(model: LatentModel, image: np.ndarray, coarse_log: np.ndarray, axis: np.ndarray) -> ExactPosterior:
    """p(z|x) of one input (28, 28) from its coarse log-joint (S, S), rows along y, on the grid `axis` (S,)."""
    step = float(axis[1] - axis[0])
    rows, cols = np.nonzero(coarse_log >= coarse_log.max() - KEEP_NATS)
    k = int(np.clip(np.sqrt(FINE_BUDGET / len(rows)), 1, MAX_SPLIT))
    within = (np.arange(k) + 0.5) / k * step - step / 2  # (k,) fine points across one cell
    shape = (len(rows), k, k)  # kept cell, fine row, fine column
    fine_x = np.broadcast_to(axis[cols][:, None, None] + within[None, None, :], shape)
    fine_y = np.broadcast_to(axis[rows][:, None, None] + within[None, :, None], shape)
    codes = np.stack([fine_x.ravel(), fine_y.ravel()], axis=1)
    w, mean, cov = _moments(log_joint(model, image[None], codes)[0], codes)
    # pooled for drawing: fine cell (i, j) of the kept cells' bounding box -> display cell (i // pool, j // pool)
    top, left = rows.min(), cols.min()
    height, width = (rows.max() - top + 1) * k, (cols.max() - left + 1) * k
    pool = -(-max(height, width) // DISPLAY_STEPS)
    fine_i = np.broadcast_to((rows - top)[:, None, None] * k + np.arange(k)[None, :, None], shape).ravel()
    fine_j = np.broadcast_to((cols - left)[:, None, None] * k + np.arange(k)[None, None, :], shape).ravel()
    density = np.zeros((-(-height // pool), -(-width // pool)))
    np.add.at(density, (fine_i // pool, fine_j // pool), w)
    cell = pool * step / k
    xs = axis[left] - step / 2 + (np.arange(density.shape[1]) + 0.5) * cell
    ys = axis[top] - step / 2 + (np.arange(density.shape[0]) + 0.5) * cell
    return ExactPosterior(mean, cov, xs, ys, density)


def exact_posteriors(model: LatentModel, x: np.ndarray) -> list[ExactPosterior]:
    """Inputs (N, 28, 28) in [0, 1] -> p(z|x) of each, for a model with a 2-D latent."""
    if model.info.latent_dim != 2:
        raise ValueError(f"the exact posterior is computed on a 2-D grid; this model has {model.info.latent_dim} dims")
    x = np.asarray(x, np.float32).reshape(-1, model.info.image_size, model.info.image_size)
    axis = np.linspace(-REACH, REACH, COARSE_STEPS)
    grid_x, grid_y = np.meshgrid(axis, axis)  # rows along y
    coarse = log_joint(model, x, np.stack([grid_x.ravel(), grid_y.ravel()], axis=1))
    return [_refine(model, image, row.reshape(COARSE_STEPS, COARSE_STEPS), axis) for image, row in zip(x, coarse, strict=True)]
