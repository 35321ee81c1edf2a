"""The model math behind the Latent Explorer pages: pure numpy/torch, no UI.

Conventions: latent codes are float32 numpy arrays of shape (N, D) (a single
code may be passed as (D,)); images are float32 arrays (N, 28, 28) in [0, 1]
with ink high. Every call into the model runs under `torch.inference_mode()`. torch and scipy are
imported by the functions that use them: the map's first view uses the numpy half without them.
Plots show the first two latent dimensions; grids over a D > 2 space vary
those two and hold the others at `base` (default 0, the prior mean).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from vae_core.models.latent_model import LatentModel

Extent = tuple[float, float, float, float]  # (x_min, x_max, y_min, y_max)


def _as_codes(z) -> torch.Tensor:
    """(D,) or (N, D) array-like -> float32 tensor (N, D)."""
    import torch

    t = torch.as_tensor(np.asarray(z, dtype=np.float32))
    return t.reshape(1, -1) if t.ndim == 1 else t


def decode(model: LatentModel, z, batch_size: int = 1024) -> np.ndarray:
    """Latent codes (N, D) or (D,) -> decoded pixel means (N, 28, 28) float32 in [0, 1]."""
    import torch

    codes = _as_codes(z)
    if codes.shape[1] != model.info.latent_dim:
        raise ValueError(f"z has {codes.shape[1]} dims, the model expects {model.info.latent_dim}")
    with torch.inference_mode():
        out = [model.decode(codes[i : i + batch_size]) for i in range(0, len(codes), batch_size)]
    size = model.info.image_size
    return torch.cat(out).reshape(-1, size, size).numpy().astype(np.float32)


def image_function(model: LatentModel):
    """The decoder as a function of codes (N, D) to flattened pixel means (N, P), for vae_core.analysis.geodesic."""
    return lambda z: decode(model, z).reshape(len(z), -1)


def encode(model: LatentModel, images) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28), (N, 1, 28, 28) or one (28, 28) in [0, 1] -> (mu, sigma), each (N, D).

    The encoder is deterministic: the same image always gives the same mu and
    sigma. A plain autoencoder has sigma = 0.
    """
    import torch

    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    size = model.info.image_size
    x = x.reshape(-1, 1, size, size)
    with torch.inference_mode():
        mu, logvar = model.encode(x)
    return mu.numpy().astype(np.float32), torch.exp(0.5 * logvar).numpy().astype(np.float32)


def kl_per_point(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """KL(N(mu, diag sigma^2) || N(0, I)) in nats: (N, D), (N, D) -> (N,).

    A point mass (sigma = 0, the plain autoencoder) has infinite KL: returns inf.
    """
    import torch

    from vae_core.models.losses import kl_to_standard_normal

    mu_t = torch.as_tensor(np.atleast_2d(np.asarray(mu, dtype=np.float64)))
    sigma_t = torch.as_tensor(np.atleast_2d(np.asarray(sigma, dtype=np.float64)))
    with torch.inference_mode():  # log(0) = -inf in torch, so sigma = 0 gives KL = inf
        return kl_to_standard_normal(mu_t, torch.log(sigma_t.pow(2))).numpy()


def kl_per_dim(mu, sigma) -> np.ndarray:
    """Each dimension's share of KL(N(mu, diag sigma^2) || N(0, I)), in nats: (D,), (D,) -> (D,).
    The dimensions are independent, so the shares sum to the KL (Kingma & Welling 2014, appendix B)."""
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    with np.errstate(divide="ignore"):  # sigma = 0: an infinite share, as for the whole point
        return 0.5 * (mu**2 + sigma**2 - 1.0 - 2.0 * np.log(sigma))


def active_units(mu_all: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """Which latent dimensions carry information: the variance over the data of the posterior
    mean exceeds `threshold` (Burda et al. 2016). (N, D) -> (D,) bool; the rest collapsed to the prior."""
    return np.asarray(mu_all, np.float64).var(axis=0) > threshold


def sample_posterior(mu, sigma, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Reparameterisation trick: z = mu + sigma * eps with eps ~ N(0, I) drawn from `seed`.

    mu, sigma: (D,) -> (z (n, D), eps (n, D)). Same seed, same eps.
    """
    import torch

    mu_t, sigma_t = _as_codes(mu)[0], _as_codes(sigma)[0]
    gen = torch.Generator().manual_seed(int(seed))
    eps = torch.randn((n, mu_t.shape[0]), generator=gen)
    return (mu_t + sigma_t * eps).numpy(), eps.numpy()


def prior_samples(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """z ~ N(0, I): (n, dim) float32, reproducible from `seed`."""
    import torch

    return torch.randn((n, dim), generator=torch.Generator().manual_seed(int(seed))).numpy()


def grid_axis(n: int, radius: float, spacing: str = "linear") -> np.ndarray:
    """n coordinates in [-radius, radius], increasing: (n,).

    "linear": evenly spaced. "gaussian": evenly spaced in probability between
    Phi(-radius) and Phi(radius), mapped through the inverse normal CDF
    (Kingma & Welling 2014, fig. 4), so each tile covers equal prior mass.
    """
    if n < 1 or radius <= 0:
        raise ValueError("need n >= 1 and radius > 0")
    if spacing == "linear":
        return np.linspace(-radius, radius, n) if n > 1 else np.zeros(1)
    if spacing == "gaussian":
        if n == 1:
            return np.zeros(1)
        from scipy.special import log_ndtr, ndtri_exp

        # Lower half only, in log space: Phi(radius) rounds to 1 beyond ~8 and Phi(-radius)
        # underflows to 0 beyond ~38, either giving infinite z. The upper half mirrors it.
        s = np.abs(np.linspace(-1.0, 1.0, n))
        with np.errstate(divide="ignore"):  # log(0) at the centre / the ends is exact here
            log_p = np.logaddexp(np.log(0.5 * (1.0 - s)), log_ndtr(-radius) + np.log(s))
        return -np.sign(np.linspace(-1.0, 1.0, n)) * ndtri_exp(log_p)
    raise ValueError(f"spacing must be 'linear' or 'gaussian', got {spacing!r}")


def manifold_range(plane: np.ndarray, is_vae: bool) -> tuple[float, float, float]:
    """(default, largest, step) of the range a manifold grid spans, from the model's own test means (N, 2).

    A VAE whose means sit at the prior's scale gets +-2.5 (99 % of N(0, 1)'s mass); any other model
    (an autoencoder, a VAE imported with means at +-6,600 or +-0.1) gets the span of 99 % of its means.
    """
    spread = float(np.quantile(np.abs(plane), 0.99))
    at_prior_scale = is_vae and 1.0 <= spread <= 5.0
    largest = max(float(np.abs(plane).max()) * 1.1, 2.5 if at_prior_scale else 0.0)
    if not math.isfinite(largest) or largest <= 0:
        largest = 1.0  # every mean at the origin: any range shows the same image
    step = 0.1 if largest >= 2 else float(10 ** math.floor(math.log10(largest / 20)))
    largest = max(math.ceil(largest / step) * step, 5 * step)
    default = min(max(2.5 if at_prior_scale else spread, step), largest)
    return round(default, 6), round(largest, 6), step


def latent_grid(n: int, radius: float, spacing: str = "linear") -> np.ndarray:
    """An n x n grid over a plane: (n * n, 2) float32 (`Projection.lift` puts it into the latent space).

    Row-major in image order: row 0 is the top (largest second coordinate),
    column 0 the left (smallest first), so decoding and `mosaic(.., n, n)`
    gives a picture whose axes match the latent map.
    """
    axis = grid_axis(n, radius, spacing)
    xx, yy = np.meshgrid(axis, axis[::-1])
    return np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def mosaic(images: np.ndarray, nrows: int, ncols: int, pad: int = 0, fill: float = 1.0) -> np.ndarray:
    """Tile images (nrows * ncols, h, w) row-major into (nrows*h + (nrows-1)*pad, ...) float32."""
    images = np.asarray(images, dtype=np.float32)
    count, h, w = images.shape
    if count != nrows * ncols:
        raise ValueError(f"{count} images do not fill a {nrows} x {ncols} mosaic")
    out = np.full((nrows * h + (nrows - 1) * pad, ncols * w + (ncols - 1) * pad), fill, np.float32)
    for k, img in enumerate(images):
        r, c = divmod(k, ncols)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = img
    return out


def lerp(z0, z1, steps: int) -> np.ndarray:
    """Straight line from z0 to z1 (both (D,)) in `steps` points, endpoints included: (steps, D)."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    return ((1 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0, z1, steps: int) -> np.ndarray:
    """Spherical path from z0 to z1: (steps, D), endpoints included.

    The direction moves at constant angular speed along the great circle
    (Shoemake's slerp of the unit vectors) and the norm changes linearly, so
    the path swings around the origin instead of cutting through the
    low-density middle (White 2016, "Sampling Generative Networks").
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    r0, r1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if r0 < 1e-12 or r1 < 1e-12:
        return lerp(z0, z1, steps)
    u0, u1 = z0 / r0, z1 / r1
    omega = math.acos(float(np.clip(u0 @ u1, -1.0, 1.0)))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if omega < 1e-6:
        dirs = (1 - t) * u0 + t * u1
    elif math.pi - omega < 1e-6:  # antipodal: sin(omega) ~ 0, so walk any great circle through u0 directly
        helper = np.eye(len(u0))[int(np.argmin(np.abs(u0)))]
        v = helper - (helper @ u0) * u0
        dirs = np.cos(t * omega) * u0 + np.sin(t * omega) * v / np.linalg.norm(v)
    else:
        dirs = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return (((1 - t) * r0 + t * r1) * dirs).astype(np.float32)


def map_extent(mu: np.ndarray, margin: float = 0.08) -> Extent:
    """Range of points (N, >=2) in dims 0 and 1 (a map's plane), widened by `margin` of the span each side."""
    mu = np.asarray(mu)[:, :2]
    lo, hi = mu.min(axis=0), mu.max(axis=0)
    pad = margin * np.maximum(hi - lo, 1e-6)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def latent_ranges(mu: np.ndarray, margin: float = 0.08, step: float = 0.01, prior_reach: float = 3.0) -> np.ndarray:
    """Per-dimension slider range (-r, r) for means `mu` (N, D): (D, 2).

    Symmetric about 0, the prior's mean, so z = 0 sits mid-slider in every
    dimension; r covers the means widened by `margin` and the prior's
    `prior_reach` sigmas, rounded up to a multiple of `step` so slider values
    land on the grid.
    """
    lo, hi = mu.min(axis=0), mu.max(axis=0)
    reach = np.maximum(np.maximum(np.abs(lo), np.abs(hi)) + margin * np.maximum(hi - lo, 1e-6), prior_reach)
    reach = np.ceil(np.round(reach / step, 6)) * step
    return np.round(np.stack([-reach, reach], axis=1), 6).astype(np.float64)


def density_grid(extent: Extent, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres (xs (n,), ys (n,)) of an n x n grid over `extent`."""
    x0, x1, y0, y1 = extent
    dx, dy = (x1 - x0) / n, (y1 - y0) / n
    return x0 + dx * (np.arange(n) + 0.5), y0 + dy * (np.arange(n) + 0.5)


def aggregate_density(mu: np.ndarray, extent: Extent, n: int = 120, smooth: float = 1.5) -> np.ndarray:
    """Density of the aggregate posterior's means in dims 0, 1: (n, n), rows = y.

    A 2-D histogram of the means on `density_grid(extent, n)`, smoothed by a
    Gaussian of `smooth` cells (a KDE on a grid), normalised to integrate to 1
    over the extent. Means outside the extent are dropped.
    """
    from scipy import ndimage as ndi

    x0, x1, y0, y1 = extent
    hist, _, _ = np.histogram2d(mu[:, 1], mu[:, 0], bins=n, range=[[y0, y1], [x0, x1]])
    if smooth > 0:
        hist = ndi.gaussian_filter(hist, smooth, mode="constant")
    cell = (x1 - x0) * (y1 - y0) / n**2
    return hist / max(hist.sum() * cell, 1e-12)


def nearest_means(mu_all: np.ndarray, z, k: int = 15) -> np.ndarray:
    """Indices (k,) of the rows of mu_all (N, D) closest to z (D,), nearest first."""
    d = np.linalg.norm(np.asarray(mu_all) - np.asarray(z)[None, :], axis=1)
    k = min(k, len(d))
    idx = np.argpartition(d, k - 1)[:k]
    return idx[np.argsort(d[idx])]


def majority_labels(mu_all: np.ndarray, labels: np.ndarray, z: np.ndarray, k: int = 15, chunk: int = 256
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The vote of the k means nearest each code: mu_all (N, D), labels (N,), z (M, D) ->
    (most common label (M,), how many of the k carry it (M,)); a tie goes to the smaller label."""
    k = min(k, len(mu_all))
    top, votes = np.empty(len(z), np.int64), np.empty(len(z), np.int64)
    for rows, d in _distances(mu_all, z, chunk):
        near = labels[np.argpartition(d, k - 1, axis=1)[:, :k]]  # (chunk, k)
        counts = (near[:, :, None] == np.arange(int(labels.max()) + 1)).sum(axis=1)  # (chunk, n_labels)
        top[rows], votes[rows] = counts.argmax(1), counts.max(1)
    return top, votes


def misplaced(mu: np.ndarray, labels: np.ndarray, k: int = 15, chunk: int = 256) -> np.ndarray:
    """Rows of the means mu (N, D) whose k nearest other means vote for another label: more of them carry some
    other label than carry its own (a tie with its own is not misplaced). -> sorted row indices (M,)."""
    k = min(k, len(mu) - 1)
    n_labels = int(labels.max()) + 1
    found = []
    for rows, d in _distances(mu, mu, chunk):
        d[np.arange(d.shape[0]), np.arange(rows.start, rows.start + d.shape[0])] = np.inf  # not its own neighbour
        near = labels[np.argpartition(d, k - 1, axis=1)[:, :k]]  # (chunk, k)
        counts = (near[:, :, None] == np.arange(n_labels)).sum(axis=1)  # (chunk, n_labels)
        own = counts[np.arange(len(counts)), labels[rows]]
        found.append(rows.start + np.flatnonzero(counts.max(axis=1) > own))
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def _distances(mu_all: np.ndarray, z: np.ndarray, chunk: int):
    """For each chunk of codes z (M, D): (its slice, squared distances to mu_all (N, D) up to a per-row constant)."""
    mu_all = np.asarray(mu_all, np.float32)
    sq = (mu_all**2).sum(axis=1)
    for i in range(0, len(z), chunk):
        yield slice(i, i + chunk), sq[None, :] - 2 * np.asarray(z[i : i + chunk], np.float32) @ mu_all.T  # + |z|^2


def neighbour_counts(mu_all: np.ndarray, labels: np.ndarray, z, k: int = 15, n_labels: int = 10) -> np.ndarray:
    """How many of the k means (rows of mu_all (N, D)) nearest z (D,) carry each label: (n_labels,) ints."""
    return np.bincount(labels[nearest_means(mu_all, z, k)], minlength=n_labels)


def moments(mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per dim of the means (N, D): ((D,), (D,)). The prior has (0, 1)."""
    return mu.mean(axis=0), mu.std(axis=0)


def fraction_within(mu: np.ndarray, radius: float) -> float:
    """Share of points (N, 2), e.g. means on a map's plane relative to z = 0, within `radius` of 0
    (inside the prior's k-sigma circle drawn there)."""
    return float((np.linalg.norm(np.asarray(mu)[:, :2], axis=1) <= radius).mean())
