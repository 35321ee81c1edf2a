"""The plane every 2-D view of the latent space draws: z itself for a 2-D model,
the first two principal components of the test means for a larger one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Projection:
    """plane = (z - center) @ axes.T and z = center + plane @ axes.

    center: (D,); axes: (2, D) orthonormal rows; explained: (2,) share of the
    test means' variance along each axis; titles: the axes' names.
    """

    center: np.ndarray
    axes: np.ndarray
    explained: np.ndarray
    titles: tuple[str, str]

    @property
    def dim(self) -> int:
        return len(self.center)

    @property
    def is_identity(self) -> bool:
        """Whether the plane is z itself (a 2-D latent space)."""
        return self.dim == 2

    def to_plane(self, z) -> np.ndarray:
        """(N, D) or (D,) -> (N, 2) or (2,) plane coordinates."""
        z = np.asarray(z, dtype=np.float64)
        return ((z - self.center) @ self.axes.T).astype(np.float32)

    def lift(self, xy) -> np.ndarray:
        """(N, 2) or (2,) plane coordinates -> the z's on the plane, (N, D) or (D,)."""
        return (self.center + np.asarray(xy, dtype=np.float64) @ self.axes).astype(np.float32)

    def ellipse(self, mu, sigma, k: float = 1.0, n: int = 100) -> np.ndarray:
        """Outline of the k-sigma ellipse of N(mu, diag sigma^2) on the plane: (n, 2), first point = last.

        Its covariance there is A diag(sigma^2) A^T (A = axes): axis-aligned with
        semi-axes k * sigma[0], k * sigma[1] for a 2-D model, turned in general.
        """
        sigma = np.asarray(sigma, dtype=np.float64)
        covariance = (self.axes * sigma**2) @ self.axes.T
        values, vectors = np.linalg.eigh(covariance)
        theta = np.linspace(0.0, 2 * np.pi, n)
        circle = np.stack([np.cos(theta), np.sin(theta)], axis=1)
        return (self.to_plane(mu) + k * (circle * np.sqrt(np.clip(values, 0, None))) @ vectors.T).astype(np.float32)

    def to_dict(self) -> dict:
        """The projection as plain lists, for the browser."""
        return {"center": self.center.tolist(), "axes": self.axes.tolist(), "titles": list(self.titles)}


def projection_for(mu: np.ndarray) -> Projection:
    """The identity for (N, 2) means; for (N, D > 2) the plane through their mean spanned by
    their first two principal components (signs fixed so the largest loading is positive)."""
    mu = np.asarray(mu, dtype=np.float64)
    dim = mu.shape[1]
    if dim == 2:
        variance = mu.var(axis=0)
        return Projection(np.zeros(2), np.eye(2), variance / max(variance.sum(), 1e-12), ("z₁", "z₂"))
    center = mu.mean(axis=0)
    _, singular, vt = np.linalg.svd(mu - center, full_matrices=False)
    axes = vt[:2] * np.sign(vt[:2][np.arange(2), np.abs(vt[:2]).argmax(axis=1)])[:, None]
    explained = singular[:2] ** 2 / max(float((singular**2).sum()), 1e-12)
    titles = tuple(f"PC{k + 1} ({100 * share:.0f} % of the variance)" for k, share in enumerate(explained))
    return Projection(center, axes, explained, titles)
