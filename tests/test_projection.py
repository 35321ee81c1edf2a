"""The plane the 2-D views draw: identity for a 2-D model, principal components above, and ellipses on it."""
import numpy as np
import pytest

from vae_core.analysis.projection import projection_for


@pytest.mark.parametrize("k", [1.0, 2.0])
def test_a_2d_posterior_ellipse_is_axis_aligned_with_radii_k_sigma(k):
    projection = projection_for(np.random.default_rng(0).normal(size=(50, 2)))
    mu, sigma = np.array([1.0, -2.0]), np.array([0.3, 0.05])
    e = projection.ellipse(mu, sigma, k, n=400)
    assert projection.is_identity and e.shape == (400, 2)
    np.testing.assert_allclose(np.abs(e - mu).max(axis=0), k * sigma, rtol=1e-4)
    np.testing.assert_allclose((((e - mu) / sigma) ** 2).sum(axis=1), k**2, rtol=1e-4)
    np.testing.assert_allclose(e[0], e[-1], atol=1e-6)


def test_principal_plane_of_8d_means():
    rng = np.random.default_rng(1)
    # Means spread mostly along two known directions of an 8-D space.
    directions = np.linalg.qr(rng.normal(size=(8, 2)))[0].T
    mu = 3.0 + rng.normal(size=(4000, 2)) * [5.0, 2.0] @ directions + rng.normal(size=(4000, 8)) * 0.1
    projection = projection_for(mu)
    np.testing.assert_allclose(projection.axes @ projection.axes.T, np.eye(2), atol=1e-9)
    np.testing.assert_allclose(np.abs(projection.axes @ directions.T), np.eye(2), atol=0.02)
    assert projection.explained[0] > projection.explained[1] > 0.1 and projection.explained.sum() < 1
    assert projection.titles[0].startswith("PC1 (") and "% of the variance" in projection.titles[1]
    plane = projection.to_plane(mu)
    np.testing.assert_allclose(plane.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(projection.to_plane(projection.lift(plane)), plane, atol=1e-4)


def test_projected_ellipse_matches_sampled_covariance():
    rng = np.random.default_rng(2)
    projection = projection_for(rng.normal(size=(500, 6)) * [3, 2, 1, 1, 0.5, 0.2])
    mu, sigma = rng.normal(size=6), rng.uniform(0.1, 1.0, size=6)
    samples = projection.to_plane(mu + sigma * rng.normal(size=(200_000, 6)))
    outline = projection.ellipse(mu, sigma, 1.0, n=2000) - projection.to_plane(mu)
    # A 1-sigma ellipse of covariance C holds the points x with x^T C^-1 x = 1.
    inverse = np.linalg.inv(np.cov(samples.T))
    np.testing.assert_allclose(np.einsum("ni,ij,nj->n", outline, inverse, outline), 1.0, rtol=0.02)
