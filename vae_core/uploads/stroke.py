"""The stroke width of an upload, fitted to the model.

Pens, pencils and drawing apps write strokes of other widths than MNIST's, and
the preprocessing (vae_core.uploads.preprocess) can only bring a stroke near
MNIST's typical width. So an upload of handwriting is tried three ways: as
prepared, one pixel thicker (grey dilation, 2x2) and one pixel thinner (grey
erosion, 2x2), and the model keeps the one it explains best: the lowest
negative ELBO, -log p(x | z = mu) + KL(q(z|x) || N(0, I)) (Kingma & Welling
2014), with the reconstruction at the posterior mean. The encoder is the
model's own: only its input changes, so the map is what it was.

Measured by `bench/upload_fidelity.py`: README, "Uploads".
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from vae_core.analysis import explore
from vae_core.models.latent_model import LatentModel

STROKES = ("as prepared", "thicker", "thinner")
_EPS = 1e-6  # pixel means are clipped to [EPS, 1 - EPS]: a decoder's 0 or 1 would make log p infinite


def stroke_variants(x: np.ndarray) -> np.ndarray:
    """Prepared inputs (N, 28, 28) in [0, 1] -> (N, 3, 28, 28): as prepared, thicker, thinner (STROKES)."""
    x = np.asarray(x, np.float32)
    size = (1, 2, 2)  # per image: nothing across images
    return np.stack([x, ndi.grey_dilation(x, size=size), ndi.grey_erosion(x, size=size)], axis=1)


def negative_elbo(model: LatentModel, x: np.ndarray) -> np.ndarray:
    """Inputs (N, 28, 28) in [0, 1] -> (N,) nats: Bernoulli -log p(x | z = mu) + KL (0 for an autoencoder)."""
    mu, sigma = explore.encode(model, x)
    p = np.clip(explore.decode(model, mu), _EPS, 1 - _EPS).reshape(len(x), -1)
    flat = np.asarray(x, np.float64).reshape(len(x), -1)
    recon = -(flat * np.log(p) + (1 - flat) * np.log1p(-p)).sum(axis=1)
    return recon + (explore.kl_per_point(mu, sigma) if model.info.is_vae else 0.0)


def fit_strokes(model: LatentModel, x: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Prepared inputs (N, 28, 28) -> (the variant of each the model explains best (N, 28, 28), its STROKES name)."""
    variants = stroke_variants(x)
    n, k = variants.shape[:2]
    best = negative_elbo(model, variants.reshape(n * k, *variants.shape[2:])).reshape(n, k).argmin(axis=1)
    return variants[np.arange(n), best], [STROKES[i] for i in best]
