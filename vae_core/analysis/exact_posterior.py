"""The exact posterior p(z|x) of a 2-D VAE, from its decoder on a grid: what the encoder's q(z|x) approximates.

Bayes: p(z|x) = p(x|z) N(z; 0, I) / p(x). With two latent dimensions the normaliser p(x) is a sum over a
grid, so the posterior needs no encoder at all: evaluate log p(x|z) + log N(z; 0, I) (the decoder's Bernoulli
log-likelihood and the prior) on a coarse grid over the prior's reach, then again on a fine grid around where
the coarse one put the mass. The encoder's q(z|x) = N(mu, sigma^2) is trained to be close to this (the ELBO's
gap is KL(q || p), Kingma & Welling 2014); where the two differ is the amortisation gap, and where p(z|x) has
two modes a single Gaussian cannot follow it.

Measured on uploads by `bench/upload_fidelity.py` (README, "Uploads").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vae_core.models.latent_model import LatentModel

REACH = 4.5  # the coarse grid spans [-REACH, REACH]^2: the prior's density beyond is below e^-10 of its peak
COARSE_STEPS = 91  # 0.1 apart
FINE_STEPS = 49
MIN_HALF_WIDTH = 0.2  # the fine grid's half-width at least two coarse steps: a posterior narrower than one coarse
# cell (sigma 0.03 for the default model) sits somewhere inside the cell the coarse grid picked
HPD_MASS = (0.393, 0.865)  # the mass inside a 2-D Gaussian's 1- and 2-sigma ellipses: lines drawn at these compare


@dataclass(frozen=True)
class ExactPosterior:
    """p(z|x) on the fine grid: `density` (F, F) sums to 1, rows along `ys` (F,), columns along `xs` (F,)."""

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


def _grid(center: np.ndarray, half: float, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Axes (steps,) each and the codes (steps^2, 2), row-major along y."""
    xs = np.linspace(center[0] - half, center[0] + half, steps)
    ys = np.linspace(center[1] - half, center[1] + half, steps)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def _moments(log_weights: np.ndarray, zs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalised weights (N, G), means (N, 2) and covariances (N, 2, 2) of log-weights (N, G) on codes (G, 2)."""
    w = np.exp(log_weights - log_weights.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    mean = w @ zs
    centred = zs[None] - mean[:, None]
    return w, mean, np.einsum("ng,ngi,ngj->nij", w, centred, centred)


def exact_posteriors(model: LatentModel, x: np.ndarray) -> list[ExactPosterior]:
    """Inputs (N, 28, 28) in [0, 1] -> p(z|x) of each, for a model with a 2-D latent."""
    if model.info.latent_dim != 2:
        raise ValueError(f"the exact posterior is computed on a 2-D grid; this model has {model.info.latent_dim} dims")
    x = np.asarray(x, np.float32).reshape(-1, model.info.image_size, model.info.image_size)
    _, _, coarse = _grid(np.zeros(2), REACH, COARSE_STEPS)
    _, means, covs = _moments(log_joint(model, x, coarse), coarse)
    found = []
    for image, mean, cov in zip(x, means, covs, strict=True):
        half = max(4 * float(np.sqrt(np.linalg.eigvalsh(cov).max())), MIN_HALF_WIDTH)
        xs, ys, fine = _grid(mean, half, FINE_STEPS)
        w, fine_mean, fine_cov = _moments(log_joint(model, image[None], fine), fine)
        found.append(ExactPosterior(fine_mean[0], fine_cov[0], xs, ys, w[0].reshape(FINE_STEPS, FINE_STEPS)))
    return found
