"""Shortest paths under the decoder's pulled-back metric (vae_core.analysis.geodesic) against decoders whose answer is
known by hand: a linear decoder's shortest path is the straight line and its length ||W (b - a)||; a bump in the
image across the line makes the path go around it; and on the shipped model the path is shorter than the line."""
import re

import numpy as np
import pytest

from vae_core.analysis.geodesic import even_steps, pixel_length, shortest_path, step_lengths


def linear_decoder(dim: int, seed: int = 0):
    """g(z) = z W + c with a random (dim, 30) W: the pulled-back metric is W W^T everywhere, a flat space."""
    rng = np.random.default_rng(seed)
    weights, offset = rng.normal(size=(dim, 30)), rng.normal(size=30)
    return (lambda z: np.asarray(z, np.float64) @ weights + offset), weights


@pytest.mark.parametrize("dim", [2, 5])
def test_a_linear_decoder_gives_the_straight_line_and_its_closed_form_length(dim):
    images_of, weights = linear_decoder(dim)
    rng = np.random.default_rng(dim)
    start, end = rng.normal(size=dim).astype(np.float32), rng.normal(size=dim).astype(np.float32)
    path = shortest_path(images_of, start, end)
    step = end.astype(np.float64) - start
    along = (path - start) @ step / (step @ step)  # position along the segment, 0 at start and 1 at end
    off_line = path - start - along[:, None] * step
    assert np.abs(off_line).max() < 1e-5
    assert np.all(np.diff(along) > 0) and along[0] == 0 and along[-1] == pytest.approx(1)
    assert pixel_length(images_of, path) == pytest.approx(np.linalg.norm(step @ weights), rel=1e-5)


def test_a_bump_across_the_line_sends_the_path_around_it():
    """g(z) = (z1, z2, 8 exp(-|z - (1, 0)|^2 / 0.1)): a steep hill of image change on the line from (0, 0) to (2, 0)."""

    def images_of(z):
        z = np.asarray(z, np.float64)
        bump = 8 * np.exp(-((z - [1.0, 0.0]) ** 2).sum(axis=1) / 0.1)
        return np.column_stack([z, bump])

    start, end = np.zeros(2, np.float32), np.array([2.0, 0.0], np.float32)
    path = shortest_path(images_of, start, end)
    straight = pixel_length(images_of, np.stack([start, end]), per_segment=400)
    assert np.abs(path[:, 1]).max() > 0.4  # the hill's flanks fall to 8 e^-1.6 = 1.6 by |z2| = 0.4
    assert pixel_length(images_of, path) < 0.5 * straight  # the hill adds about 16 to a straight length of 2


def test_even_steps_split_the_image_change_equally():
    """g(z) = (z1^3, z2) from (0, 0) to (2, 0): equal image steps are at z1 = cbrt of evenly spaced values in [0, 8]."""
    images_of = lambda z: np.column_stack([np.asarray(z, np.float64)[:, 0] ** 3, np.asarray(z)[:, 1]])  # noqa: E731
    path = np.column_stack([np.linspace(0, 2, 65), np.zeros(65)])
    frames = even_steps(images_of, path, 9)
    np.testing.assert_allclose(frames[:, 0], np.cbrt(np.linspace(0, 8, 9)), atol=2e-3)
    np.testing.assert_allclose(step_lengths(images_of, frames), 1.0, atol=2e-3)


def test_equal_ends_give_a_path_of_no_length():
    images_of, _ = linear_decoder(2)
    point = np.array([0.3, -0.2], np.float32)
    path = shortest_path(images_of, point, point)
    assert pixel_length(images_of, path) == 0.0


def test_on_the_shipped_model_the_path_between_clusters_is_shorter_than_the_line():
    import explorer_ui as ui
    from vae_core.analysis.explore import image_function, lerp

    m = ui.load(ui.DEFAULT_MODEL)
    images_of = image_function(m.model)
    four, one = (int(np.flatnonzero(m.cache.labels == d)[0]) for d in (4, 1))
    path = shortest_path(images_of, m.mu[four], m.mu[one])
    straight = pixel_length(images_of, lerp(m.mu[four], m.mu[one], 400), per_segment=1)
    assert pixel_length(images_of, path) < 0.95 * straight


def test_the_interpolate_page_draws_the_geodesic_and_reports_lengths_it_measured():
    import torch

    import explorer_ui as ui
    from tests.test_pages import assert_ok, plotly_specs, run_page

    at = run_page("pages/4_Interpolate.py", a=4, b=2, steps=9)
    assert_ok(at)
    names = [t.get("name") for t in plotly_specs(at)[0]["data"]]
    assert {"linear", "spherical", "geodesic"} <= set(names), names
    table = at.table[0].value.set_index("path")["length in pixel space"].astype(float)
    m = ui.load(ui.DEFAULT_MODEL)
    z = torch.linspace(0, 1, 401)[:, None] * torch.as_tensor(m.mu[2] - m.mu[4]) + torch.as_tensor(m.mu[4])
    with torch.no_grad():  # the straight line's length, with the model's own layers and 400 segments
        images = torch.sigmoid(m.model.decode_logits(z)).double()
    straight = float((images[1:] - images[:-1]).norm(dim=1).sum())
    assert table["linear"] == pytest.approx(straight, rel=5e-3)
    shortest = table["geodesic"]
    assert shortest <= table["linear"]
    caption = next(c.value for c in at.caption if "Length in pixel space" in c.value)
    shown = re.search(r"The geodesic is (\d+\.\d+) here, (\d+) % shorter", caption)
    assert float(shown[1]) == pytest.approx(shortest, abs=0.005)
    assert int(shown[2]) == round(100 * (1 - shortest / straight))
    assert re.search(r"an even strip of 9 frames: 12 %", caption)


def test_the_interpolate_map_shows_the_stretch_the_geodesic_avoids():
    import explorer_ui as ui
    from tests.test_geometry import plotly_array
    from tests.test_pages import assert_ok, plotly_specs, run_page
    from vae_core.analysis.geometry import magnification

    at = run_page("pages/4_Interpolate.py", a=4, b=2)
    at.toggle(key="ip_stretch").set_value(True).run()
    assert_ok(at)
    heat = next(t for t in plotly_specs(at)[0]["data"] if t["type"] == "heatmap")
    xs, ys, logs = plotly_array(heat["x"]), plotly_array(heat["y"]), plotly_array(heat["z"])
    m = ui.load(ui.DEFAULT_MODEL)
    corners = np.array([[xs[0], ys[0]], [xs[-1], ys[-1]], [xs[20], ys[30]]], np.float32)
    expected = magnification(m.model, m.projection, corners)
    np.testing.assert_allclose(10 ** logs[[0, -1, 30], [0, -1, 20]], expected, rtol=1e-4)
    caption = next(c.value for c in at.caption if c.value.startswith("Stretch from"))
    straight, shortest = (float(v) for v in re.search(r"crosses stretch up to (\d+\.\d), the geodesic up to "
                                                      r"(\d+\.\d)", caption).groups())
    assert shortest < straight
