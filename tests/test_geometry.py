"""The decoder's magnification factor (vae_core.analysis.geometry) against a finite-difference Jacobian in float64,
and what it says about the shipped model: the decoder stretches space between the clusters, not inside them."""
import base64

import numpy as np
import pytest
import torch

from vae_core.analysis.geometry import magnification
from vae_core.analysis.projection import projection_for
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import load_checkpoint
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.settings import REPO
from vae_core.storage.store import cache_path_for


def finite_difference(model: VAE, projection, u: np.ndarray, h: float = 1e-5) -> float:
    """sqrt(det(J^T J)) with J by central differences, all in float64, written apart from the code under test."""
    double = VAE(model.config).double()
    double.load_state_dict({k: v.double() for k, v in model.state_dict().items()})

    def image(point: np.ndarray) -> np.ndarray:
        z = projection.center.astype(np.float64) + point @ projection.axes.astype(np.float64)
        with torch.no_grad():
            return torch.sigmoid(double.decode_logits(torch.as_tensor(z)[None]))[0].numpy()

    columns = [(image(u + h * e) - image(u - h * e)) / (2 * h) for e in np.eye(2)]
    jac = np.stack(columns, axis=1)  # (784, 2)
    return float(np.sqrt(np.linalg.det(jac.T @ jac)))


@pytest.mark.parametrize("latent_dim", [2, 5])
def test_the_factor_matches_finite_differences(latent_dim):
    torch.manual_seed(latent_dim)
    model = VAE(VAEConfig(latent_dim=latent_dim, hidden_dims=(32, 16))).eval()
    means = np.random.default_rng(0).normal(size=(200, latent_dim)).astype(np.float32)
    projection = projection_for(means)  # identity for 2-D, the principal plane for 5-D
    points = np.random.default_rng(1).normal(size=(7, 2)).astype(np.float32)
    stretch = magnification(model, projection, points)
    assert stretch.shape == (7,)
    for u, value in zip(points, stretch, strict=True):
        assert value == pytest.approx(finite_difference(model, projection, u.astype(np.float64)), rel=1e-3)


def test_the_shipped_decoder_stretches_space_between_clusters_not_inside_them():
    path = REPO / "models" / "mnist_vae_z2.pt"
    model = load_checkpoint(path)[0]
    cache = load_latent_cache(cache_path_for(path))
    projection = projection_for(cache.mu)
    centres = np.stack([cache.mu[cache.labels == d].mean(axis=0) for d in (0, 1)])  # two clusters far apart
    inside = magnification(model, projection, centres)
    between = magnification(model, projection, centres.mean(axis=0, keepdims=True))
    assert between[0] > 2 * inside.max(), (between, inside)


def plotly_array(value) -> np.ndarray:
    """An array from a Plotly figure's JSON: a list, or Plotly's typed array {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.asarray(value)


@pytest.mark.parametrize("spacing", ["linear", "gaussian"])
def test_the_manifold_page_colours_each_tile_by_the_stretch_at_its_z(spacing):
    import explorer_ui as ui
    from tests.test_pages import assert_ok, plotly_specs, run_page
    from vae_core.analysis import explore

    at = run_page("pages/2_Manifold.py", n=6, r=2, spacing=spacing)
    at.toggle(key="mf_stretch").set_value(True).run()
    assert_ok(at)
    heat = [t for t in plotly_specs(at)[0]["data"] if t["type"] == "heatmap"]
    assert len(heat) == 1
    m = ui.load(ui.DEFAULT_MODEL)
    grid = explore.latent_grid(6, 2, spacing)
    top_left, bottom_right = grid[0], grid[-1]  # tile (row 0, col 0) is the top left: largest z2, smallest z1
    shown = 10 ** plotly_array(heat[0]["z"])  # drawn on a log scale
    assert shown.shape == (6, 6)
    assert shown[0, 0] == pytest.approx(magnification(m.model, m.projection, top_left[None])[0], rel=1e-4)
    assert shown[5, 5] == pytest.approx(magnification(m.model, m.projection, bottom_right[None])[0], rel=1e-4)
    y = plotly_array(heat[0]["y"])
    assert y[0] > y[-1], "row 0 is drawn at the top"
    assert any("Stretch from" in c.value for c in at.caption)


@pytest.mark.slow
def test_an_imported_model_has_no_stretch_toggle(imported_models, monkeypatch):
    from tests.test_pages import assert_ok, run_page

    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(imported_models["conv"][1].folder))
    at = run_page("pages/2_Manifold.py", model="conv_z2")
    assert_ok(at)
    assert not [t for t in at.toggle if t.key == "mf_stretch"]
