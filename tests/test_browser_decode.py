"""The latent explorer component in a real browser: tests/harness_component.py
served by `streamlit run`, driven by Playwright in headless Chromium.

Checks that the map renders, that the JavaScript decoder equals torch's
model.decode within 1e-3 per pixel, that hovering updates the panel, and that
clicks, drags and slider releases reach Python, without re-sending the weights.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from latent_component.devserver import streamlit_server
from vae_core.checkpoint import load_checkpoint, save_checkpoint
from vae_core.config import VAEConfig
from vae_core.latents import cache_path_for, load_latent_cache
from vae_core.model import VAE

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SHIPPED = [p for p in (MODELS / "mnist_vae_z2.pt", MODELS / "mnist_ae_z2.pt") if p.is_file()]
READY = ".lex-root[data-ready='1']"


@pytest.fixture(scope="module")
def server():
    if not SHIPPED:
        pytest.skip("no shipped model in models/")
    with streamlit_server(ROOT / "tests" / "harness_component.py", cwd=ROOT) as url:
        yield url


class Session:
    """One browser tab on the harness, counting the bytes Streamlit sends over its websocket."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.received: list[int] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("websocket", lambda ws: ws.on("framereceived", lambda f: self.received.append(len(f))))
        self.page.goto(url)
        self.page.wait_for_selector(READY, timeout=60_000)

    def root_data(self, name: str) -> str | None:
        return self.page.locator(".lex-root").get_attribute(f"data-{name}")

    def event(self) -> dict | None:
        return json.loads(self.page.locator("#lex-event").inner_text())

    def wait_event(self, previous_t: float | None = None, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ev = self.event()
            if ev is not None and ev["t"] != previous_t:
                return ev
            time.sleep(0.1)
        raise AssertionError("no event reached Python")

    def hook(self, expression: str, *args):
        return self.page.evaluate(expression, list(args) if len(args) != 1 else args[0])

    def close(self):
        assert not self.errors, self.errors
        self.page.close()


@pytest.fixture
def session(server, browser):
    s = Session(browser, server)
    yield s
    s.close()


def _torch_decode(model, z: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model.decode(torch.from_numpy(z.astype(np.float32))).numpy().reshape(len(z), -1)


def _random_z(dim: int, mu: np.ndarray, n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(0)
    lo, hi = mu.min(0), mu.max(0)
    z = np.concatenate([rng.normal(0, 2, (n // 2, dim)), rng.uniform(lo - 1, hi + 1, (n - n // 2 - 4, dim)),
                        np.full((2, dim), 8.0), np.full((2, dim), -8.0)])
    return z.astype(np.float32)


def _assert_browser_matches_torch(s: Session, checkpoint: Path, n: int = 200) -> float:
    model, _ = load_checkpoint(checkpoint)
    z = _random_z(model.config.latent_dim, load_latent_cache(cache_path_for(checkpoint)).mu, n)
    got = np.array(s.hook("zs => window.__latentExplorer.decodeMany(zs, 'explorer')", z.tolist()))
    diff = float(np.abs(got - _torch_decode(model, z)).max())
    assert got.shape == (n, 784)
    assert diff < 1e-3, f"browser decode differs from torch by {diff} on {checkpoint.name}"
    print(f"{checkpoint.name}: max |browser - torch| = {diff:.2e} over {n} z x 784 pixels")
    return diff


def test_map_renders_with_legend_and_sliders(session):
    painted = session.page.locator(".lex-points").evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2])) n++;
                  return n; }""")
    assert painted > 5000, "the points layer looks empty"
    assert session.page.locator(".lex-chip").count() == 10
    assert session.page.locator(".lex-slider input").count() == 2
    assert session.page.locator(".lex-title").inner_text().startswith("mnist_vae_z2")


@pytest.mark.parametrize("checkpoint", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_browser_decode_equals_torch(server, browser, checkpoint):
    s = Session(browser, f"{server}/?checkpoint={checkpoint}")
    try:
        assert s.root_data("model-key")
        _assert_browser_matches_torch(s, checkpoint)
    finally:
        s.close()


def test_hover_decodes_and_updates_the_panel(session):
    model, _ = load_checkpoint(SHIPPED[0])
    box = session.page.locator(".lex-overlay").bounding_box()
    renders = int(session.root_data("renders"))
    for fx, fy in ((0.35, 0.4), (0.6, 0.55), (0.5, 0.3)):
        session.page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        assert int(session.root_data("renders")) > renders, "pointer move did not decode"
        renders = int(session.root_data("renders"))
        assert session.page.locator(".lex-cursor").is_visible()
        assert session.page.locator(".lex-mode").inner_text().lower() == "hover"
        z = np.array(json.loads(session.root_data("z")), np.float32)
        expected = _torch_decode(model, z[None])[0]
        shown = np.array(session.page.locator(".lex-digit").evaluate(
            "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))"))
        assert np.abs(shown - expected * 255).max() <= 1.0, "panel image is not decoder(z under the pointer)"
    session.page.mouse.move(2, 2)  # leave the map: back to the selected z, cursor image hidden
    assert not session.page.locator(".lex-cursor").is_visible()
    assert json.loads(session.root_data("z")) == [0.0, 0.0]


def _isolated_point(mu: np.ndarray) -> int:
    """A test point far from all others (so a click on it cannot pick a neighbour), near the middle."""
    d = np.sqrt(((mu[:, None, :2] - mu[None, :, :2]) ** 2).sum(-1) + np.eye(len(mu)) * 1e9).min(1)
    central = np.linalg.norm(mu[:, :2] - np.median(mu[:, :2], 0), axis=1) < np.percentile(
        np.linalg.norm(mu[:, :2] - np.median(mu[:, :2], 0), axis=1), 90)
    return int(np.argmax(np.where(central, d, 0)))


def test_click_drag_and_slider_events_reach_python(session):
    cache = load_latent_cache(cache_path_for(SHIPPED[0]))
    mu = cache.mu[:3000]  # the pairwise-distance search on a subset keeps this test fast
    k = _isolated_point(mu)
    at = session.hook("([x, y]) => window.__latentExplorer.toClient(x, y, 'explorer')", [float(mu[k, 0]), float(mu[k, 1])])
    loaded = sum(session.received)
    session.received.clear()

    session.page.mouse.click(at["x"], at["y"])
    ev = session.wait_event()
    assert ev["source"] == "click" and ev["index"] == k and ev["label"] == int(cache.labels[k])
    assert np.allclose(ev["z"], mu[k], atol=0.05), (ev["z"], mu[k])
    rerun_bytes = sum(session.received)
    assert loaded > 2_000_000 > 50 * rerun_bytes, f"first load {loaded} B, click rerun {rerun_bytes} B"

    # Empty space: the corner of the plot farthest from every test point.
    o = session.hook("() => window.__latentExplorer.toClient(0, 0, 'explorer')")
    u = session.hook("() => window.__latentExplorer.toClient(1, 1, 'explorer')")
    pts = np.array([o["x"], o["y"]]) + cache.mu[:, :2] * np.array([u["x"] - o["x"], u["y"] - o["y"]])
    box = session.page.locator(".lex-overlay").bounding_box()
    corners = [(box["x"] + x, box["y"] + y) for x in (50, box["width"] - 18) for y in (16, box["height"] - 40)]
    corner = max(corners, key=lambda c: np.hypot(*(pts - c).T).min())
    assert np.hypot(*(pts - corner).T).min() > 12, "no empty corner on this map"
    session.page.mouse.click(*corner)
    ev2 = session.wait_event(ev["t"])
    assert ev2["source"] == "click" and ev2["index"] is None and ev2["label"] is None

    # Drag: press, move across the map, release -> one "drag" event at the release point.
    session.page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.5 * box["height"])
    session.page.mouse.down()
    session.page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.4 * box["height"], steps=10)
    assert session.page.locator(".lex-mode").inner_text().lower() == "dragging"
    session.page.mouse.up()
    ev3 = session.wait_event(ev2["t"])
    assert ev3["source"] == "drag"
    slider_z = [float(session.page.locator(".lex-slider input").nth(d).input_value()) for d in range(2)]
    assert np.allclose(slider_z, ev3["z"], atol=0.02), "sliders did not follow the drag"

    # Slider: keyboard steps fire `input` (decode) and `change` (report).
    renders = int(session.root_data("renders"))
    session.page.locator(".lex-slider input").first.focus()
    session.page.keyboard.press("ArrowRight")
    assert int(session.root_data("renders")) > renders
    ev4 = session.wait_event(ev3["t"])
    assert ev4["source"] == "slider" and ev4["index"] is None and ev4["z"][0] > ev3["z"][0]


def test_z_from_python_moves_the_selection(session):
    session.page.get_by_role("button", name="Set z from Python").click()
    _wait_until(lambda: session.root_data("z") == "[1,-1]")
    sliders = [float(session.page.locator(".lex-slider input").nth(d).input_value()) for d in range(2)]
    assert np.allclose(sliders, [1, -1], atol=0.01)  # range inputs snap to their step


def _wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.skipif(len(SHIPPED) < 2, reason="needs both shipped models")
def test_switching_models_swaps_the_decoder(session):
    ev_t = None
    session.page.mouse.click(*_plot_fraction(session, 0.5, 0.5))
    assert session.wait_event(ev_t)["model"] == SHIPPED[0].stem
    first_key = session.root_data("model-key")
    session.page.get_by_role("combobox").click()
    session.page.get_by_role("option", name=SHIPPED[1].stem).click()
    _wait_until(lambda: session.root_data("model-key") not in (None, first_key))
    assert session.page.locator(".lex-title").inner_text().startswith(SHIPPED[1].stem)
    assert session.event() is None, "the other model's event must not be returned"
    _assert_browser_matches_torch(session, SHIPPED[1], n=100)


def _plot_fraction(s: Session, fx: float, fy: float) -> tuple[float, float]:
    box = s.page.locator(".lex-overlay").bounding_box()
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def test_more_than_two_latent_dims(browser, tmp_path):
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=5, hidden_dims=(64, 32))).eval()
    checkpoint = tmp_path / "toy_z5.pt"
    save_checkpoint(model, checkpoint)
    rng = np.random.default_rng(0)
    np.savez_compressed(cache_path_for(checkpoint), mu=rng.normal(0, 1, (2000, 5)).astype(np.float32),
                        logvar=np.zeros((2000, 5), np.float32), labels=rng.integers(0, 10, 2000))
    with streamlit_server(ROOT / "tests" / "harness_component.py", cwd=ROOT,
                          env={"LEX_CHECKPOINT": str(checkpoint)}) as url:
        s = Session(browser, url)
        try:
            assert s.page.locator(".lex-slider input").count() == 5
            _assert_browser_matches_torch(s, checkpoint, n=100)
            last = s.page.locator(".lex-slider input").nth(4)
            last.focus()
            s.page.keyboard.press("ArrowRight")
            assert json.loads(s.root_data("z"))[4] > 0
        finally:
            s.close()
