"""vae_core.analysis.exact_posterior: p(z|x) of a 2-D VAE from its decoder on a grid, against a brute-force
oracle written with torch's own BCE and torch.distributions' Normal on a dense grid."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal

from vae_core.analysis import explore
from vae_core.analysis.exact_posterior import HPD_MASS, exact_posteriors
from vae_core.data.datasets import read_images
from vae_core.storage.checkpoint import load_checkpoint
from vae_core.storage.settings import REPO
from vae_core.uploads.preprocess import preprocess

FIXTURES = REPO / "tests" / "fixtures"
MODEL = REPO / "models" / "mnist_vae_z2.pt"
needs_model = pytest.mark.skipif(not MODEL.is_file(), reason="the shipped default model is not in models/")


@pytest.fixture(scope="module")
def model():
    return load_checkpoint(MODEL)[0]


def oracle(model, x: np.ndarray, center: np.ndarray, half: float = 0.5, steps: int = 251):
    """Posterior mean and covariance on a dense grid (step 0.004) around `center`: log p(x|z) by torch's BCE on
    the decoder's probabilities, log N(z; 0, I) by torch.distributions."""
    axis = torch.linspace(-half, half, steps, dtype=torch.float64)
    zs = torch.cartesian_prod(axis + center[0], axis + center[1])
    target = torch.as_tensor(x, dtype=torch.float32).reshape(1, -1).expand(len(zs), -1)
    with torch.inference_mode():
        probabilities = model.decode(zs.float()).reshape(len(zs), -1).double().clamp(1e-12, 1 - 1e-12)
        log_p = -F.binary_cross_entropy(probabilities, target.double(), reduction="none").sum(1)
        log_p += Normal(0.0, 1.0).log_prob(zs).sum(1)
    w = torch.softmax(log_p, 0)
    mean = w @ zs
    centred = zs - mean
    return mean.numpy(), (centred.T * w) @ centred


@needs_model
@pytest.mark.parametrize("fixture", ["mnist0_white_on_black.png", "mnist7_white_on_black.png"])
def test_the_grid_posterior_matches_a_dense_oracle(model, fixture):
    x = preprocess((FIXTURES / fixture).read_bytes())
    [found] = exact_posteriors(model, x[None])
    mu, sigma = explore.encode(model, x)
    mean, cov = oracle(model, x, mu[0])
    assert np.abs(found.mean - mean).max() < 0.001  # well inside the posterior's own spread (sigma ~ 0.03)
    assert np.allclose(found.std, np.sqrt(np.diag(cov.numpy())), rtol=0.1)
    assert found.density.shape == (len(found.ys), len(found.xs)) and found.density.sum() == pytest.approx(1.0)
    # q(z|x) approximates it: the same scale, and nearby (in the map's units)
    assert 0.5 < float(np.median(found.std / sigma[0])) < 2 and np.abs(found.mean - mu[0]).max() < 0.3


def dense_oracle(model, x: np.ndarray, step: float = 0.1, fine: float = 0.005):
    """Mean and std on one uniform grid `fine` apart over the box of every coarse cell (`step` apart) within 40
    nats of the best, plus a coarse cell's margin: no cell is picked or skipped inside that box."""
    def log_joint(zs):
        target = torch.as_tensor(x, dtype=torch.float64).reshape(1, -1).expand(len(zs), -1)
        with torch.inference_mode():
            p = model.decode(zs.float()).reshape(len(zs), -1).double().clamp(1e-12, 1 - 1e-12)
            return -F.binary_cross_entropy(p, target, reduction="none").sum(1) + Normal(0.0, 1.0).log_prob(zs).sum(1)

    axis = torch.arange(-4.5, 4.5 + 1e-9, step, dtype=torch.float64)
    coarse = torch.cartesian_prod(axis, axis)
    near = coarse[log_joint(coarse) >= log_joint(coarse).max() - 40]
    low, high = near.min(0).values - step, near.max(0).values + step
    zs = torch.cartesian_prod(torch.arange(low[0], high[0], fine, dtype=torch.float64),
                              torch.arange(low[1], high[1], fine, dtype=torch.float64))
    w = torch.softmax(torch.cat([log_joint(chunk) for chunk in zs.split(65536)]), 0)
    mean = w @ zs
    return mean.numpy(), torch.sqrt(w @ (zs - mean) ** 2).numpy()


@pytest.mark.slow
@needs_model
def test_a_posterior_with_two_modes_keeps_both(model, data_root):
    """MNIST test digit #8000 (a 5): the default model's p(z|x) has mass in places far apart. A grid around one
    place alone put its mean 2.5 away and its std 100x too small."""
    x = read_images(data_root, "mnist", train=False)[8000].astype(np.float32) / 255
    [found] = exact_posteriors(model, x[None])
    mean, std = dense_oracle(model, x)
    assert std.max() > 0.2  # spread over more than one mode: what this test is about
    assert np.abs(found.mean - mean).max() < 0.02 and np.allclose(found.std, std, rtol=0.1)


@needs_model
def test_the_contour_levels_hold_their_mass(model):
    [found] = exact_posteriors(model, preprocess((FIXTURES / "mnist3_white_on_black.png").read_bytes())[None])
    inner, outer = (found.level(mass) for mass in HPD_MASS)
    assert inner > outer > 0  # the 39 % region lies inside the 86 % one
    for mass, level in zip(HPD_MASS, (inner, outer), strict=True):
        assert found.density[found.density >= level].sum() == pytest.approx(mass, abs=0.05)
    distance, in_sigma = found.offset_from(found.mean + [0.03, -0.04], np.array([0.01, 0.02]))
    assert distance == pytest.approx(0.05) and in_sigma == pytest.approx(3.0)  # the larger of 3 and 2 sigma


def test_only_a_2d_latent_has_a_grid():
    model = load_checkpoint(REPO / "models" / "mnist_vae_z16.pt")[0] if (REPO / "models" / "mnist_vae_z16.pt").is_file() \
        else pytest.skip("the shipped z16 model is not in models/")
    with pytest.raises(ValueError, match="2-D grid"):
        exact_posteriors(model, np.zeros((1, 28, 28), np.float32))
