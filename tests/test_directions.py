"""Directions in the latent space (vae_core.analysis.directions) against hand-computed cases and a numeric scan."""
import numpy as np
import pytest

from vae_core.analysis.directions import along, class_direction, prior_interval, prior_radius


def test_the_direction_is_the_difference_of_the_class_means():
    mu = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0], [3.0, 5.0]], np.float32)
    labels = np.array([1, 1, 7, 7])
    np.testing.assert_allclose(class_direction(mu, labels, 1, 7), [1.0, 4.0])  # (2, 4) - (1, 0)
    np.testing.assert_allclose(along(np.array([0.0, 1.0]), np.array([1.0, 4.0]), np.array([0, 0.5, 2])),
                               [[0, 1], [0.5, 3], [2, 9]])


def test_the_prior_radius_holds_its_mass():
    assert prior_radius(2, 0.99) == pytest.approx(np.sqrt(-2 * np.log(0.01)))  # 2-D: P(|z| > r) = exp(-r^2 / 2)
    samples = np.random.default_rng(0).standard_normal((200_000, 16))
    inside = (np.linalg.norm(samples, axis=1) <= prior_radius(16, 0.99)).mean()
    assert inside == pytest.approx(0.99, abs=0.002)


def test_the_interval_is_where_a_scan_finds_the_walk_inside_the_ball():
    start, direction = np.array([0.5, -1.0]), np.array([1.2, 0.7])
    low, high = prior_interval(start, direction)
    ts = np.linspace(-10, 10, 200_001)
    inside = np.linalg.norm(start + ts[:, None] * direction, axis=1) <= prior_radius(2)
    assert low == pytest.approx(ts[inside].min(), abs=1e-3) and high == pytest.approx(ts[inside].max(), abs=1e-3)
    assert prior_interval(np.array([10.0, 0.0]), np.array([0.0, 1.0])) is None  # a line that misses the ball
    assert prior_interval(start, np.zeros(2)) == (-np.inf, np.inf)  # no move: inside wherever it starts


def test_the_interpolate_page_walks_from_the_start_digit_along_a_class_direction(data_root):
    import re

    import explorer_ui as ui
    from tests.test_pages import assert_ok, run_page

    at = run_page("pages/4_Interpolate.py", a=3, b=2, **{"from": 1, "to": 7, "t": 1.5})
    assert_ok(at)
    assert (at.selectbox(key="ip_from").value, at.selectbox(key="ip_to").value, at.slider(key="ip_t").value) == (1, 7, 1.5)
    m = ui.load(ui.DEFAULT_MODEL)
    step = m.mu[m.cache.labels == 7].mean(axis=0) - m.mu[m.cache.labels == 1].mean(axis=0)  # numpy, by hand
    z = m.mu[3] + 1.5 * step
    text = re.sub(r"\\(.)", r"\1", " ".join(c.value for c in at.caption))
    shown = re.search(r"At t = 1.5, ‖z‖ = (\d+\.\d+): (inside|outside) the ball ‖z‖ ≤ (\d+\.\d+) .* for t from "
                      r"(-?\d+\.\d+) to (-?\d+\.\d+)", text)
    assert shown, text
    assert float(shown[1]) == pytest.approx(np.linalg.norm(z), abs=0.01) and float(shown[3]) == pytest.approx(3.03, abs=0.01)
    ts = np.linspace(-20, 20, 400_001)
    inside = np.linalg.norm(m.mu[3] + ts[:, None] * step, axis=1) <= 3.0349
    assert float(shown[4]) == pytest.approx(ts[inside].min(), abs=0.01)
    assert float(shown[5]) == pytest.approx(ts[inside].max(), abs=0.01)
    assert at.query_params["from"] == "1" and at.query_params["to"] == "7" and at.query_params["t"] == "1.5"
    at.selectbox(key="ip_to").select(1).run()
    assert any("Pick two different classes" in i.value for i in at.info)
