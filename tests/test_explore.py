"""vae_core.analysis.explore: the math behind the app's pages (fast, no Streamlit, no dataset)."""
import math

import numpy as np
import pytest
import torch
from scipy.special import ndtr
from torch.distributions import Normal, kl_divergence

from vae_core.analysis import explore
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE


@pytest.fixture(scope="module")
def vae() -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(kind="vae", latent_dim=2, hidden_dims=(32,))).eval()


@pytest.fixture(scope="module")
def ae() -> VAE:
    torch.manual_seed(0)
    return VAE(VAEConfig(kind="ae", latent_dim=3, hidden_dims=(32,))).eval()


def test_decode_shapes_and_range(vae):
    imgs = explore.decode(vae, np.zeros((5, 2)))
    assert imgs.shape == (5, 28, 28) and imgs.dtype == np.float32
    assert imgs.min() >= 0 and imgs.max() <= 1
    assert explore.decode(vae, [0.5, -1.0]).shape == (1, 28, 28)
    np.testing.assert_array_equal(explore.decode(vae, [0.5, -1.0])[0], explore.decode(vae, [[0.5, -1.0]])[0])
    with pytest.raises(ValueError, match="dims"):
        explore.decode(vae, np.zeros((1, 3)))


def test_decode_runs_under_inference_mode(vae, monkeypatch):
    """The decoder runs with autograd off: its output tensors are inference tensors, and no graph is kept."""
    seen = []
    original = vae.decode

    def spy(z):
        out = original(z)
        seen.append((torch.is_inference_mode_enabled(), out.requires_grad))
        return out

    monkeypatch.setattr(vae, "decode", spy)
    images = explore.decode(vae, np.zeros((2, 2), np.float32))
    assert isinstance(images, np.ndarray) and images.shape == (2, 28, 28)
    assert seen and all(mode and not grad for mode, grad in seen)


def test_encode_is_deterministic_and_ae_sigma_is_zero(vae, ae):
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    mu, sigma = explore.encode(vae, x)
    mu2, sigma2 = explore.encode(vae, x)
    assert mu.shape == sigma.shape == (4, 2)
    np.testing.assert_array_equal(mu, mu2)
    np.testing.assert_array_equal(sigma, sigma2)
    assert (sigma > 0).all()
    assert explore.encode(vae, x[0])[0].shape == (1, 2)
    mu_ae, sigma_ae = explore.encode(ae, x)
    assert mu_ae.shape == (4, 3) and (sigma_ae == 0).all()


def test_kl_per_point():
    mu = np.array([[0.0, 0.0], [1.0, -2.0]])
    sigma = np.array([[1.0, 1.0], [0.5, 2.0]])
    kl = explore.kl_per_point(mu, sigma)
    expected = kl_divergence(Normal(torch.as_tensor(mu), torch.as_tensor(sigma)), Normal(0.0, 1.0)).sum(dim=1)
    np.testing.assert_allclose(kl, expected.numpy(), rtol=1e-6)  # torch.distributions, not the formula again
    assert kl[0] == pytest.approx(0.0, abs=1e-9)
    assert np.isinf(explore.kl_per_point(mu, np.zeros_like(mu))).all()  # point masses


def test_sample_posterior_is_the_reparameterization():
    mu, sigma = np.array([1.0, -2.0]), np.array([0.1, 0.5])
    z, eps = explore.sample_posterior(mu, sigma, 16, seed=3)
    assert z.shape == eps.shape == (16, 2)
    np.testing.assert_allclose(z, mu + sigma * eps, rtol=1e-6)
    z_again, _ = explore.sample_posterior(mu, sigma, 16, seed=3)
    np.testing.assert_array_equal(z, z_again)
    assert not np.allclose(z, explore.sample_posterior(mu, sigma, 16, seed=4)[0])
    big, _ = explore.sample_posterior(mu, sigma, 20000, seed=0)
    np.testing.assert_allclose(big.mean(0), mu, atol=0.02)
    np.testing.assert_allclose(big.std(0), sigma, rtol=0.03)
    zero, _ = explore.sample_posterior(mu, np.zeros(2), 4, seed=0)
    np.testing.assert_allclose(zero, np.tile(mu, (4, 1)))


def test_prior_samples():
    z = explore.prior_samples(20000, 3, seed=1)
    assert z.shape == (20000, 3)
    np.testing.assert_array_equal(z, explore.prior_samples(20000, 3, seed=1))
    assert not np.allclose(z, explore.prior_samples(20000, 3, seed=2))
    np.testing.assert_allclose(z.mean(0), 0, atol=0.03)
    np.testing.assert_allclose(z.std(0), 1, atol=0.03)


@pytest.mark.parametrize("spacing", ["linear", "gaussian"])
@pytest.mark.parametrize("n", [2, 7, 20])
def test_grid_axis_symmetric_increasing(n, spacing):
    axis = explore.grid_axis(n, 2.5, spacing)
    assert axis.shape == (n,)
    np.testing.assert_allclose(axis, -axis[::-1], atol=1e-12)
    assert axis[0] == pytest.approx(-2.5) and axis[-1] == pytest.approx(2.5)
    assert np.all(np.diff(axis) > 0)


def test_gaussian_axis_has_equal_probability_steps_and_denser_centre():
    axis = explore.grid_axis(11, 2.0, "gaussian")
    steps = np.diff(ndtr(axis))
    np.testing.assert_allclose(steps, steps[0], rtol=1e-9)
    gaps = np.diff(axis)
    assert gaps[len(gaps) // 2] < gaps[0]  # centre finer than the tails
    assert explore.grid_axis(1, 2.0, "gaussian").tolist() == [0.0]
    with pytest.raises(ValueError):
        explore.grid_axis(5, 1.0, "cubic")
    with pytest.raises(ValueError):
        explore.grid_axis(5, 0.0)


def test_latent_grid_is_in_image_order():
    z = explore.latent_grid(4, 1.5, "linear")
    assert z.shape == (16, 2)
    grid = z.reshape(4, 4, 2)
    assert grid[0, 0, 0] == pytest.approx(-1.5) and grid[0, 0, 1] == pytest.approx(1.5)  # top left
    assert grid[-1, -1, 0] == pytest.approx(1.5) and grid[-1, -1, 1] == pytest.approx(-1.5)  # bottom right
    assert np.all(np.diff(grid[0, :, 0]) > 0) and np.all(np.diff(grid[:, 0, 1]) < 0)


def test_mosaic_layout():
    imgs = np.stack([np.full((2, 3), k, np.float32) for k in range(6)])
    out = explore.mosaic(imgs, 2, 3, pad=1, fill=-1)
    assert out.shape == (2 * 2 + 1, 3 * 3 + 2)
    assert out[0, 0] == 0 and out[0, 4] == 1 and out[3, 0] == 3 and out[-1, -1] == 5
    assert out[2, 0] == -1 and out[0, 3] == -1  # the gaps
    with pytest.raises(ValueError):
        explore.mosaic(imgs, 2, 2)


def test_lerp():
    path = explore.lerp([0, 0], [2, 4], 5)
    assert path.shape == (5, 2)
    np.testing.assert_allclose(path[0], [0, 0])
    np.testing.assert_allclose(path[-1], [2, 4])
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile([0.5, 1.0], (4, 1)), atol=1e-6)


@pytest.mark.parametrize("z0,z1", [([3.0, 0.0], [0.0, 1.0]), ([1.0, 2.0, -1.0], [-2.0, 0.5, 3.0]),
                                   ([2.0, 0.0], [-1.0, 0.0]), ([1.0, 1.0], [2.0, 2.0])])
def test_slerp_endpoints_and_linear_norm(z0, z1):
    steps = 9
    path = explore.slerp(z0, z1, steps)
    assert path.shape == (steps, len(z0))
    np.testing.assert_allclose(path[0], z0, atol=1e-5)
    np.testing.assert_allclose(path[-1], z1, atol=1e-5)
    norms = np.linalg.norm(path, axis=1)
    np.testing.assert_allclose(norms, np.linspace(np.linalg.norm(z0), np.linalg.norm(z1), steps), rtol=1e-5)


def test_slerp_keeps_equal_norms_and_constant_angular_speed():
    z0, z1 = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    path = explore.slerp(z0, z1, 7)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 2.0, rtol=1e-6)
    angles = np.arctan2(path[:, 1], path[:, 0])
    np.testing.assert_allclose(np.diff(angles), math.pi / 2 / 6, rtol=1e-5)
    mid_lerp = explore.lerp(z0, z1, 7)[3]
    assert np.linalg.norm(mid_lerp) < np.linalg.norm(path[3])  # lerp cuts the corner, slerp does not


def test_slerp_through_origin_falls_back_to_lerp():
    np.testing.assert_allclose(explore.slerp([0, 0], [1, 1], 3), explore.lerp([0, 0], [1, 1], 3))


def test_map_extent_and_ranges_contain_the_points():
    mu = np.random.default_rng(0).normal(size=(500, 3)) * [1, 3, 5]
    x0, x1, y0, y1 = explore.map_extent(mu, margin=0.1)
    assert x0 < mu[:, 0].min() and x1 > mu[:, 0].max() and y0 < mu[:, 1].min() and y1 > mu[:, 1].max()
    ranges = explore.latent_ranges(mu)
    assert ranges.shape == (3, 2)
    assert np.all(ranges[:, 0] < mu.min(0)) and np.all(ranges[:, 1] > mu.max(0))


def test_slider_ranges_are_symmetric_about_the_prior_mean():
    """z = 0 sits mid-slider in every dimension, even when the means lie on one side of it."""
    mu = np.array([[2.0, -7.0], [2.5, -5.0], [3.0, -6.0]])
    ranges = explore.latent_ranges(mu, margin=0.1, step=0.01)
    np.testing.assert_allclose(ranges, [[-3.1, 3.1], [-7.2, 7.2]])  # 3 + 0.1 * 1; 7 + 0.1 * 2
    tight = explore.latent_ranges(np.array([[0.1, -0.2], [0.2, 0.3]]))
    np.testing.assert_allclose(tight, [[-3.0, 3.0], [-3.0, 3.0]])  # the prior's 3 sigma stay in reach


def test_aggregate_density_normalised_and_peaked_at_the_data():
    rng = np.random.default_rng(0)
    mu = rng.normal(loc=[1.0, -1.0], scale=0.3, size=(5000, 2))
    extent = (-4.0, 4.0, -4.0, 4.0)
    xs, ys = explore.density_grid(extent, 80)
    dens = explore.aggregate_density(mu, extent, 80)
    assert dens.shape == (80, 80)
    cell = (8 / 80) ** 2
    assert dens.sum() * cell == pytest.approx(1.0)
    iy, ix = np.unravel_index(dens.argmax(), dens.shape)
    assert abs(xs[ix] - 1.0) < 0.3 and abs(ys[iy] + 1.0) < 0.3


def test_nearest_means():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(300, 2)).astype(np.float32)
    z = rng.normal(size=(50, 2)).astype(np.float32)
    brute = np.argmin(((z[:, None] - mu[None]) ** 2).sum(-1), axis=1)
    idx = explore.nearest_means(mu, z[0], 5)
    assert idx[0] == brute[0] and len(idx) == 5
    d = np.linalg.norm(mu[idx] - z[0], axis=1)
    assert np.all(np.diff(d) >= 0)


def test_moments_and_fraction_within():
    mu = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0], [10.0, 0.0]])
    assert explore.fraction_within(mu, 1.0) == 0.5
    assert explore.fraction_within(mu, 5.0) == 0.75
    mean, std = explore.moments(mu)
    np.testing.assert_allclose(mean, mu.mean(0))
    np.testing.assert_allclose(std, mu.std(0))


def test_gaussian_grid_stays_finite_for_a_wide_radius():
    axis = explore.grid_axis(20, 70.0, "gaussian")
    assert np.isfinite(axis).all()
    assert axis[0] == pytest.approx(-70.0) and axis[-1] == pytest.approx(70.0)
    assert np.allclose(axis, -axis[::-1]) and (np.diff(axis) > 0).all()


def test_slerp_between_opposite_points_turns_at_constant_speed():
    path = explore.slerp([2.0, 0.0], [-2.0, 0.0], 5)
    angles = np.degrees(np.arctan2(path[:, 1], path[:, 0]))
    assert np.allclose(np.abs(angles), [0, 45, 90, 135, 180], atol=1e-3)
    assert np.allclose(np.linalg.norm(path, axis=1), 2.0, atol=1e-5)


def test_the_nearest_means_vote_and_their_counts_agree():
    mu_all = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0]])
    labels = np.array([3, 3, 1, 1])
    assert explore.neighbour_counts(mu_all, labels, np.array([0.0, 0.0]), k=3).tolist() == [0, 1, 0, 2] + [0] * 6
    assert explore.neighbour_counts(mu_all, labels, np.array([5.0, 5.0]), k=1)[1] == 1
    top, votes = explore.majority_labels(mu_all, labels, np.array([[0.0, 0.0], [5.0, 5.0]]), k=3)
    assert top.tolist() == [3, 1] and votes.tolist() == [2, 2]  # the second: 1 (5, 5) and 1 (0, 0.1) of 3


def test_kl_of_a_point_mass_is_infinite():
    assert np.isinf(explore.kl_per_point(np.zeros((1, 2)), np.zeros((1, 2)))).all()


@pytest.mark.parametrize(("plane", "is_vae", "expected_default"), [
    (np.random.default_rng(0).normal(0, 1, (1000, 2)), True, 2.5),  # at the prior's scale: +-2.5
    (np.random.default_rng(0).uniform(-2, 2, (1000, 2)), True, 2.5),  # +-2.5 even where the means end sooner
    (np.random.default_rng(0).uniform(-6600, 6600, (1000, 2)), True, None),  # far from it: its own spread
    (np.random.default_rng(0).uniform(-0.1, 0.1, (1000, 2)), True, None),
    (np.zeros((10, 2)), False, None),  # every mean at the origin
])
def test_the_manifold_range_follows_the_means(plane, is_vae, expected_default):
    default, largest, step = explore.manifold_range(plane, is_vae)
    assert 0 < step <= default <= largest and largest >= np.abs(plane).max()
    spread = np.quantile(np.abs(plane), 0.99)
    if expected_default is not None:
        assert default == expected_default
    elif spread > 0:
        assert abs(default - spread) <= step


def test_misplaced_means_are_those_whose_neighbours_vote_for_another_label():
    """Against scipy's k-d tree and Counter: each mean's 15 nearest other means, a strict majority elsewhere."""
    from collections import Counter

    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    mu = rng.normal(size=(600, 2)) + 2.5 * np.eye(3)[labels][:, :2] - 1.2 * (labels == 2)[:, None]  # overlapping clusters
    _, near = cKDTree(mu).query(mu, k=16)
    expected = [r for r in range(600) if max(Counter(labels[near[r, 1:]].tolist()).values())
                > Counter(labels[near[r, 1:]].tolist())[labels[r]]]
    found = explore.misplaced(mu.astype(np.float32), labels)
    assert 20 < len(expected) < 300 and found.tolist() == expected
