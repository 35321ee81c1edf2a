"""The latent map (home page) in a real browser: `streamlit run app.py`, headless
Chromium driven by Playwright.

Journeys: the map renders; the browser's decoder equals torch's; hovering
decodes the z under the pointer; a click on (or near) a dot selects that
digit, a click on empty space selects that z; a slider drag decodes on every
step; the legend hides digits (and hidden dots cannot be clicked); zoom then
click; the 70,000-point switch; the link round trip; Back; the three window
sizes; a 5-D model and a server without the dataset.
"""
from __future__ import annotations

import base64
import io
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.stats import percentileofscore
from torch.distributions import Normal, kl_divergence

from tests.browser_support import free_port, streamlit_server
from vae_core.data.datasets import load_split
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage import settings
from vae_core.storage.checkpoint import file_sha256, load_checkpoint, save_checkpoint
from vae_core.storage.latents import LatentCache, load_latent_cache, save_latent_cache
from vae_core.storage.store import cache_path_for

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
VAE_NAME, AE_NAME = "mnist_vae_z2", "mnist_ae_z2"
READY = ".lm-root[data-ready='1']"
T = 60_000


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def cache():
    if not (MODELS / f"{VAE_NAME}.pt").is_file():
        pytest.skip(f"the shipped model {VAE_NAME} is not in {MODELS}")
    return load_latent_cache(cache_path_for(MODELS / f"{VAE_NAME}.pt"))


@pytest.fixture(scope="module")
def server(cache):
    env = {"MNIST_DATA_ROOT": str(settings.data_root())}
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90) as url:
        yield url


def new_page(browser, url: str, viewport=(1400, 1000)):
    """A fresh tab (its own Streamlit session) with the map's test hook; uncaught JS errors are collected."""
    pg = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    pg.set_default_timeout(T)
    pg.add_init_script("globalThis.__latentMapTesting = true")
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(url)
    pg.wait_for_selector(READY, timeout=T)
    pg.wait_for_function("() => window.__latentMap?.ready?.()")
    return pg


@pytest.fixture
def page(browser, server):
    pg = new_page(browser, server)
    yield pg
    errors = pg.errors
    pg.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


# ------------------------------------------------------------------- helpers
def query(pg) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(pg.url).query).items()}


def isolated_points(mu: np.ndarray, n: int, candidates: int = 800, box: float = 3.0, among=None) -> list[int]:
    """Rows of `mu` well inside the map whose nearest neighbour (in `mu`, or in `among` if given, which
    holds them too) is far: clicking them is unambiguous."""
    others = (mu if among is None else among)[:, :2]
    rows = np.flatnonzero(np.all(np.abs(mu[:candidates, :2]) < box, axis=1))
    nearest = np.array([np.partition(((others - mu[r, :2]) ** 2).sum(1), 1)[1] for r in rows])
    return [int(r) for r in rows[np.argsort(-nearest)[:n]]]


def to_client(pg, z, instance: str | None = None) -> tuple[float, float]:
    """Viewport px of latent point z on the map `instance` (default: the last mounted)."""
    pt = pg.evaluate("async ([x, y, i]) => (await window.__latentMap.whenMounted(i)) && window.__latentMap.toClient(x, y, i)",
                     [float(z[0]), float(z[1]), instance])
    return pt["x"], pt["y"]


def last_event(pg) -> dict:
    """The last selection the map sent to Python."""
    return [e["value"] for e in pg.evaluate("() => window.__latentMap.events()") if e["name"] == "selection"][-1]


def state(pg) -> dict:
    return pg.evaluate("async () => (await window.__latentMap.whenMounted()) && window.__latentMap.state()")


def panel_pixels(pg, selector: str = ".lm-digit") -> np.ndarray:
    """The 28x28 image a panel canvas shows, 0..255."""
    return np.array(pg.locator(selector).first.evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0))"),
        np.float64)


def torch_decode(model, z) -> np.ndarray:
    with torch.inference_mode():
        return model.decode(torch.as_tensor(np.asarray(z, np.float32)).reshape(1, -1)).numpy().reshape(-1)


def random_z(dim: int, mu: np.ndarray, n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 2, (n // 2, dim)), rng.uniform(mu.min(0) - 1, mu.max(0) + 1, (n - n // 2 - 2, dim)),
                        np.full((1, dim), 8.0), np.full((1, dim), -8.0)])
    return z.astype(np.float32)


def assert_browser_decodes_like_torch(pg, checkpoint: Path, n: int = 200) -> float:
    model, _ = load_checkpoint(checkpoint)
    z = random_z(model.config.latent_dim, load_latent_cache(cache_path_for(checkpoint)).mu, n)
    got = np.array(pg.evaluate("zs => window.__latentMap.decodeMany(zs)", z.tolist()))
    with torch.inference_mode():
        want = model.decode(torch.from_numpy(z)).numpy().reshape(n, -1)
    diff = float(np.abs(got - want).max())
    assert got.shape == want.shape and diff < 1e-3, f"browser decode differs from torch by {diff} on {checkpoint.name}"
    return diff


def select_dot(pg, cache, row: int, offset=(0.0, 0.0)) -> None:
    x, y = to_client(pg, cache.mu[row])
    pg.mouse.move(x + offset[0] - 10, y + offset[1] - 10)
    pg.mouse.move(x + offset[0], y + offset[1])
    pg.mouse.click(x + offset[0], y + offset[1])


def empty_spot(pg, cache) -> tuple[float, float]:
    """A viewport pixel inside the plot area, far from every test mean."""
    box = pg.locator(".lm-overlay").bounding_box()
    o, u = to_client(pg, (0, 0)), to_client(pg, (1, 1))
    dots = np.array(o) + cache.mu[:, :2] * (np.array(u) - np.array(o))
    spots = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx in (0.06, 0.94) for fy in (0.06, 0.94)]
    spot = max(spots, key=lambda s: np.hypot(*(dots - s).T).min())
    assert np.hypot(*(dots - spot).T).min() > 15, "no empty corner on this map"
    return spot


# --------------------------------------------------------------------- tests
def test_the_map_renders_one_scatter_with_legend_and_sliders(page):
    traces = state(page)["traces"]
    assert len(traces) == 10 and sum(t["n"] for t in traces) == 10_000
    assert page.evaluate("() => document.querySelectorAll('.lm-plot .scatterlayer, .lm-plot canvas').length") > 0
    assert page.locator(".lm-plot .legend .traces").count() == 10
    assert page.locator(".lm-slider input").count() == 2
    assert page.locator(".js-plotly-plot").count() == 1, "one map, no second Plotly chart"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert query(page)["model"] == VAE_NAME
    expect(page.locator(".lm-hint")).to_contain_text("Hover to decode")


def test_a_new_tab_gets_the_model_payload_without_asking(browser, server):
    # The payload comes with the session's first run: the tab sends Streamlit one message (the first run's
    # request), not a second one saying what the map lacks, which would cost a round trip before the map draws.
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    sent = []
    pg.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    try:
        pg.goto(server)
        pg.wait_for_selector(READY, timeout=T)
        pg.wait_for_timeout(1000)
        assert len(sent) == 1, sent
    finally:
        pg.close()


PREVIEW_VS_PLOTLY = """() => { const v = window.__latentMap.view(), a = v.previewAx, b = v.ax;
  return [[0.1, 0.2], [0.9, 0.7], [0.5, 0.5]].map(([u, w]) => {
    const [x, y] = a.toPx(...b.toZ(u * b.width, w * b.height));
    return [a.left + x - b.left - u * b.width, a.top + y - b.top - w * b.height]; }); }"""


@pytest.mark.parametrize("viewport", [(1400, 1000), (1280, 720), (390, 844)])
def test_a_new_tab_draws_and_decodes_the_map_before_plotly_runs(browser, server, viewport):
    # plotly.js takes the main thread for about 0.7 s (running it, then drawing): until the pointer rests, the
    # test means are a canvas (preview.js) in the plot area Plotly is about to lay out, and hovering decodes.
    model, _ = load_checkpoint(MODELS / f"{VAE_NAME}.pt")
    pg = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    pg.add_init_script("globalThis.__latentMapTesting = true")
    try:
        pg.goto(server)
        plot = pg.locator(".lm-plot")
        plot.wait_for(timeout=T)
        for i in range(1000):  # over the map from before it is live: a pointer that keeps moving holds plotly.js back
            box = plot.bounding_box()
            pg.mouse.move(box["x"] + box["width"] * (0.35 + 0.01 * (i % 2)), box["y"] + box["height"] * 0.45)
            seen = pg.evaluate("() => ({mode: document.querySelector('.lm-mode').textContent, plotly: !!window.Plotly,"
                               " ready: document.querySelector('.lm-root').dataset.ready ?? null,"
                               " live: document.querySelector('.lm-root').dataset.live, z: window.__latentMap?.lastZ})")
            if seen["mode"] == "hover":
                break
        assert seen["mode"] == "hover" and seen["live"] == "1" and not seen["plotly"] and seen["ready"] is None, seen
        assert np.abs(panel_pixels(pg) - 255 * torch_decode(model, seen["z"])).max() <= 1.0
        pg.wait_for_selector(READY, timeout=T)  # the pointer rests: Plotly draws the same plot area
        assert np.abs(pg.evaluate(PREVIEW_VS_PLOTLY)).max() <= 1.5
        assert pg.locator(".lm-preview").count() == 0
    finally:
        pg.close()


LIVE_AT = """window.__liveAt = null; new MutationObserver((_, observer) => {
  if (document.querySelector(".lm-root[data-live='1']")) { window.__liveAt = performance.now(); observer.disconnect(); }
}).observe(document, { subtree: true, childList: true, attributes: true });"""


def test_plotly_js_is_fetched_only_once_the_preview_is_live(browser, server):
    # Its 1.6 MB (gzipped by the server on every request) would compete with what the preview needs.
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.add_init_script(LIVE_AT)
    try:
        pg.goto(server)
        pg.wait_for_selector(READY, timeout=T)
        fetched = pg.evaluate("() => performance.getEntriesByType('resource').filter((e) => e.name.includes("
                              "'/vendor/plotly')).map((e) => e.startTime)")
        live_at = pg.evaluate("() => window.__liveAt")
        # (the observer hears of `data-live` after the task that set it, which started the fetch: a few ms later)
        assert len(fetched) == 1 and live_at is not None and fetched[0] >= live_at - 20, (fetched, live_at)
    finally:
        pg.close()


@pytest.mark.parametrize("name", [VAE_NAME, AE_NAME])
def test_browser_decode_equals_torch(browser, server, name):
    pg = new_page(browser, f"{server}/?model={name}")
    try:
        assert_browser_decodes_like_torch(pg, MODELS / f"{name}.pt")
    finally:
        pg.close()


def test_hover_decodes_the_z_under_the_pointer_anywhere(page):
    model, _ = load_checkpoint(MODELS / f"{VAE_NAME}.pt")
    box = page.locator(".lm-overlay").bounding_box()
    for fx, fy in ((0.3, 0.4), (0.62, 0.55), (0.5, 0.25), (0.08, 0.9)):
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        expect(page.locator(".lm-mode")).to_have_text("hover")
        assert page.locator(".lm-cursor").is_visible()
        z = page.evaluate("() => window.__latentMap.lastZ")
        assert np.abs(panel_pixels(page) - 255 * torch_decode(model, z)).max() <= 1.0
        assert np.abs(panel_pixels(page, ".lm-cursor") - panel_pixels(page)).max() == 0
    page.mouse.move(2, 2)  # off the map: back to where it started, nothing selected
    expect(page.locator(".lm-mode")).to_have_text("z = 0, the prior's mean")
    assert not page.locator(".lm-cursor").is_visible()
    assert page.evaluate("() => window.__latentMap.lastZ") == [0, 0]


def test_a_click_on_a_dot_fills_the_panel_and_the_link(page, cache, data_root):
    row = isolated_points(cache.mu, 1)[0]
    page.evaluate("() => { window.__plotBefore = document.querySelector('.lm-plot'); }")
    select_dot(page, cache, row)
    assert page.locator(".lm-root").get_attribute("data-selected") == f"test:{row}"
    label = int(cache.labels[row])
    expect(page.locator(".lm-sel-title")).to_have_text(f"Test digit #{row} · digit {label}")
    expect(page.locator(".lm-mu")).to_have_text("μ = (" + ", ".join(f"{v:.3f}" for v in cache.mu[row]) + ")")
    kl = kl_divergence(Normal(torch.as_tensor(cache.mu, dtype=torch.float64), torch.exp(0.5 * torch.as_tensor(
        cache.logvar, dtype=torch.float64))), Normal(0.0, 1.0)).sum(dim=1).numpy()  # torch's KL, not the page's
    expect(page.locator(".lm-kl")).to_have_text(
        f"KL(q(z|x) ‖ N(0, I)) = {kl[row]:.2f} nats (test median {np.percentile(kl, 50, method='higher'):.2f}; "
        f"percentile {percentileofscore(kl, kl[row], kind='strict'):.0f})")
    distances = np.linalg.norm(cache.mu - cache.mu[row], axis=1)
    distances[row] = np.inf
    nearest = Counter(cache.labels[np.argsort(distances)[:15]].tolist())
    expect(page.locator(".lm-neighbours")).to_contain_text("15 nearest test means:")
    shown = re.findall(r"(\d) ×(\d+)", page.locator(".lm-neighbours").inner_text())
    assert {int(label): int(n) for label, n in shown} == dict(nearest)
    expect(page.locator(".lm-original canvas")).to_be_visible()  # from the server, after the round trip
    expect(page).to_have_url(re.compile(rf"idx={row}\b"))
    assert np.allclose([float(v) for v in query(page)["z"].split(",")], cache.mu[row], atol=6e-4)
    assert np.allclose(state(page)["z"], cache.mu[row], atol=1e-6), "z is the digit's mean"
    assert page.evaluate("() => document.querySelector('.lm-plot') === window.__plotBefore"), "the map was rebuilt"


def test_a_dot_wins_over_empty_space_within_a_few_pixels(page, cache):
    row = isolated_points(cache.mu, 2)[1]
    select_dot(page, cache, row, offset=(4, -3))
    assert page.locator(".lm-root").get_attribute("data-selected") == f"test:{row}"


def test_a_click_on_empty_space_selects_that_z_and_clears_the_digit(page, cache):
    row = isolated_points(cache.mu, 1)[0]
    select_dot(page, cache, row)
    expect(page).to_have_url(re.compile(r"idx="))
    x, y = empty_spot(page, cache)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    assert page.locator(".lm-root").get_attribute("data-selected") == ""
    expect(page.locator(".lm-hint")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"idx="))
    assert np.allclose(state(page)["z"], to_z(page, x, y), atol=one_pixel(page))


def to_z(pg, x: float, y: float) -> list[float]:
    o, u = to_client(pg, (0, 0)), to_client(pg, (1, 1))
    return [(x - o[0]) / (u[0] - o[0]), (y - o[1]) / (u[1] - o[1])]


def one_pixel(pg) -> float:
    """One CSS pixel in latent units (the browser rounds pointer positions)."""
    return 1.0 / abs(to_client(pg, (1, 0))[0] - to_client(pg, (0, 0))[0])


def test_a_slider_drag_decodes_every_step_and_reports_the_release(page):
    model, _ = load_checkpoint(MODELS / f"{VAE_NAME}.pt")
    slider = page.locator(".lm-slider input").first
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
        z = state(page)["z"]
        assert z[0] > 0 and z[1] == 0
        expect(page.locator(".lm-slider-val").first).to_have_text(f"{z[0]:.2f}")
        assert np.abs(panel_pixels(page) - 255 * torch_decode(model, z)).max() <= 1.0
    expect(page).to_have_url(re.compile(r"z=" + re.escape(f"{state(page)['z'][0]:.3f}".rstrip("0"))))


def test_the_legend_hides_a_digit_and_its_dots_cannot_be_clicked(page, cache):
    row = isolated_points(cache.mu, 1)[0]
    label = str(int(cache.labels[row]))
    page.locator(".lm-plot .legend .traces").filter(has_text=re.compile(f"^{label}$")).click()
    page.wait_for_function(f"() => window.__latentMap.state().traces.find(t => t.name === '{label}').visible === 'legendonly'")
    select_dot(page, cache, row)
    assert last_event(page)["source"] == "click-empty", "a hidden dot was selected"
    assert page.locator(".lm-root").get_attribute("data-selected") == ""
    # Double-click isolates one digit.
    page.locator(".lm-plot .legend .traces").filter(has_text=re.compile("^0$")).dblclick()
    page.wait_for_function("() => window.__latentMap.state().traces.filter(t => t.visible === true).length === 1")


def test_zoom_then_click_selects_the_dot_under_the_pointer(page, cache):
    row = isolated_points(cache.mu, 3)[2]
    x, y = to_client(page, cache.mu[row])
    scale = lambda: to_client(page, (1, 0))[0] - to_client(page, (0, 0))[0]  # noqa: E731
    before = scale()
    page.mouse.move(x, y)
    for _ in range(6):  # scroll zoom around the pointer, about 10% a notch
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(80)
    page.wait_for_function(f"() => {{ const a = window.__latentMap.toClient(1, 0), b = window.__latentMap.toClient(0, 0);"
                           f" return a.x - b.x > {before * 1.3}; }}")
    page.wait_for_timeout(300)
    select_dot(page, cache, row)
    assert page.locator(".lm-root").get_attribute("data-selected") == f"test:{row}"


def test_the_training_switch_adds_60000_means(page):
    # The training payload's carrier comes and goes after the map: the map itself is never rebuilt.
    page.evaluate("() => { window.__plotBefore = document.querySelector('.lm-plot'); }")
    page.locator(".lm-train input").check()
    page.wait_for_function("() => window.__latentMap.state().traces.length === 20", timeout=T)
    traces = state(page)["traces"]
    assert sum(t["n"] for t in traces) == 70_000
    assert sum(t["n"] for t in traces if t["split"] == "train") == 60_000
    box = page.locator(".lm-overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".lm-mode")).to_have_text("hover")
    page.locator(".lm-train input").uncheck()
    page.wait_for_function(
        "() => window.__latentMap.state().traces.filter(t => t.split === 'train' && t.visible === true).length === 0")
    assert page.evaluate("() => document.querySelector('.lm-plot') === window.__plotBefore"), "the map was rebuilt"


def test_the_link_round_trip(browser, server, cache, data_root):
    row = isolated_points(cache.mu, 1)[0]
    pg = new_page(browser, f"{server}/?model={VAE_NAME}&idx={row}&z={cache.mu[row, 0]:.4f},{cache.mu[row, 1]:.4f}")
    try:
        assert pg.locator(".lm-root").get_attribute("data-selected") == f"test:{row}"
        expect(pg.locator(".lm-original canvas")).to_be_visible()
        x, y = empty_spot(pg, cache)
        pg.mouse.click(x, y)
        expect(pg).not_to_have_url(re.compile("idx="))
        copy = new_page(browser, pg.url)
        try:
            assert np.allclose(state(copy)["z"], state(pg)["z"], atol=1e-3)
            assert copy.locator(".lm-root").get_attribute("data-selected") == ""
        finally:
            copy.close()
    finally:
        pg.close()


def test_back_goes_to_the_previous_page_and_the_map_keeps_its_state(browser, server, cache):
    pg = new_page(browser, f"{server}/")
    try:
        pg.get_by_test_id("stSidebarNavLink").filter(has_text="Manifold").click()
        expect(pg.locator("h1")).to_have_text("Manifold", timeout=T)
        pg.get_by_test_id("stSidebarNavLink").filter(has_text="Latent map").click()
        pg.wait_for_selector(READY)
        for row in isolated_points(cache.mu, 3):  # three clicks: three new links, one history entry
            select_dot(pg, cache, row)
            expect(pg.locator(".lm-root")).to_have_attribute("data-selected", f"test:{row}")
            expect(pg).to_have_url(re.compile(rf"idx={row}\b"))
        chosen = state(pg)
        pg.get_by_test_id("stSidebarNavLink").filter(has_text="Interpolate").click()
        expect(pg.locator("h1")).to_have_text("Interpolate", timeout=T)
        pg.get_by_test_id("stSidebarNavLink").filter(has_text="Latent map").click()
        pg.wait_for_selector(READY)
        assert state(pg)["selected"] == chosen["selected"] and state(pg)["z"] == chosen["z"]
        expect(pg).to_have_url(re.compile(rf"idx={chosen['selected']['index']}\b"))  # the map told Python again
        pg.go_back()
        expect(pg.locator("h1")).to_have_text("Interpolate", timeout=T)
        pg.go_back()
        pg.wait_for_selector(READY)
        expect(pg).to_have_url(re.compile(rf"idx={chosen['selected']['index']}\b"))  # its run has finished
        pg.wait_for_timeout(500)
        pg.go_back()
        expect(pg.locator("h1")).to_have_text("Manifold", timeout=T)
    finally:
        pg.close()


def test_a_training_dot_and_a_double_click(page, cache, data_root):
    page.locator(".lm-train input").check()
    page.wait_for_function("() => window.__latentMap.state().traces.length === 20", timeout=T)
    train = load_latent_cache(cache_path_for(MODELS / f"{VAE_NAME}.pt", train=True))
    row = isolated_points(train.mu, 1, among=np.concatenate([train.mu, cache.mu]))[0]
    x, y = to_client(page, train.mu[row])
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    assert page.locator(".lm-root").get_attribute("data-selected") == f"train:{row}"
    expect(page.locator(".lm-sel-title")).to_have_text(f"Training digit #{row} · digit {int(train.labels[row])}")
    expect(page.locator(".lm-original canvas")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"idx={row}&split=train|split=train.*idx={row}"))
    # A double click resets the zoom and leaves the selection as it was.
    x, y = empty_spot(page, cache)
    page.mouse.dblclick(x, y)
    page.wait_for_timeout(300)
    assert page.locator(".lm-root").get_attribute("data-selected") == f"train:{row}"
    assert last_event(page)["source"] == "double-click"
    # The switch off and on again: no new request for the training means.
    page.locator(".lm-train input").uncheck()
    page.locator(".lm-train input").check()
    page.wait_for_function("() => window.__latentMap.state().traces.filter(t => t.visible === true).length === 20")
    needs = [e["value"] for e in page.evaluate("() => window.__latentMap.events()") if e["name"] == "need"]
    assert all(len(n) <= 1 for n in needs[1:]), needs


def test_a_quick_click_on_another_dot_is_not_a_double_click(page, cache):
    # The browser may count a fast second click as the second of a double click; on another dot it selects that dot.
    first, second = isolated_points(cache.mu, 2)
    select_dot(page, cache, first)
    x, y = to_client(page, cache.mu[second])
    page.mouse.move(x, y)
    page.mouse.down(click_count=2)  # one click the browser counts as the second of a pair
    page.mouse.up(click_count=2)
    expect(page.locator(".lm-root")).to_have_attribute("data-selected", f"test:{second}")


@pytest.mark.parametrize("size", [(1400, 1000), (1280, 720), (390, 844)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_window_sizes_panel_in_view_nothing_clipped(browser, server, cache, size, data_root):
    pg = new_page(browser, server, viewport=size)
    try:
        select_dot(pg, cache, isolated_points(cache.mu, 1)[0])
        expect(pg.locator(".lm-original canvas")).to_be_visible()  # the panel's last redraw
        plot, panel = pg.locator(".lm-plot").bounding_box(), pg.locator(".lm-panel").bounding_box()
        main = pg.get_by_test_id("stMain").bounding_box()
        for box in (plot, panel):
            assert box["x"] >= main["x"] - 1 and box["x"] + box["width"] <= main["x"] + main["width"] + 1, box
        if size[0] > 600:  # side by side; the panel's contents are in view without scrolling
            assert panel["x"] >= plot["x"] + plot["width"]
            for part in (".lm-digit", ".lm-slider", ".lm-recon canvas", ".lm-mu", ".lm-sigma", ".lm-kl", ".lm-neighbours"):
                b = pg.locator(part).last.bounding_box()
                assert b["y"] + b["height"] <= size[1], f"{part} is below the fold at {size}"
        else:  # a phone: the panel goes under the map
            assert panel["y"] >= plot["y"] + plot["height"]
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= size[0], "horizontal scroll"
    finally:
        pg.close()


@pytest.fixture(scope="module")
def odd_server(tmp_path_factory, cache):
    """A server whose models folder holds a 5-D VAE and whose data folder is empty."""
    folder = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    save_checkpoint(VAE(VAEConfig(latent_dim=5, hidden_dims=(64, 32))).eval(), folder / "toy_z5.pt")
    rng = np.random.default_rng(0)
    save_latent_cache(cache_path_for(folder / "toy_z5.pt"), LatentCache(
        rng.normal(0, 1, (2000, 5)).astype(np.float32), np.full((2000, 5), -1.0, np.float32), rng.integers(0, 10, 2000),
        file_sha256(folder / "toy_z5.pt")))
    env = {"LATENT_EXPLORER_MODELS": str(folder), "MNIST_DATA_ROOT": str(tmp_path_factory.mktemp("no_data"))}
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90) as url:
        yield url, folder


def test_a_5d_model_and_a_server_without_the_dataset(browser, odd_server):
    url, folder = odd_server
    pg = new_page(browser, f"{url}/?idx=3")
    try:
        assert pg.locator(".lm-slider input").count() == 5
        assert_browser_decodes_like_torch(pg, folder / "toy_z5.pt", n=100)
        expect(pg.locator(".lm-missing")).to_have_text("dataset not on this server")
        expect(pg.get_by_role("button", name=re.compile("^Download MNIST"))).to_be_visible()
        assert np.allclose(state(pg)["z"], np.load(cache_path_for(folder / "toy_z5.pt"))["mu"][3], atol=1e-6)
        z4 = state(pg)["z"][4]
        pg.locator(".lm-slider input").nth(4).focus()
        pg.keyboard.press("ArrowRight")
        assert state(pg)["z"][4] > z4 and pg.locator(".lm-mode").text_content() == "slider"
        assert not pg.locator(".lm-train input").is_enabled(), "no training cache for this model"
    finally:
        pg.close()


def test_after_a_server_restart_the_first_click_and_slider_move_take_effect(browser, cache):
    """A restarted server gives the open page a new session; the map's first report in it used to be lost."""
    port, env = free_port(), {"MNIST_DATA_ROOT": str(settings.data_root())}
    rows = isolated_points(cache.mu, 2)
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90, port=port) as url:
        pg = new_page(browser, url)
    try:
        with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90, port=port):
            pg.get_by_test_id("stStatusWidget").wait_for(state="detached", timeout=T)  # reconnected
            select_dot(pg, cache, rows[0])
            expect(pg.locator(".lm-original canvas")).to_be_visible()  # the server heard the click
            pg.wait_for_function(f"() => new URL(location.href).searchParams.get('idx') === '{rows[0]}'")
        with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90, port=port):
            pg.get_by_test_id("stStatusWidget").wait_for(state="detached", timeout=T)
            slider = pg.locator(".lm-slider input").first
            slider.focus()
            pg.keyboard.press("ArrowRight")
            prefix = f"{state(pg)['z'][0]:.3f}".rstrip("0")
            pg.wait_for_function(f"() => (new URL(location.href).searchParams.get('z') || '').startsWith('{prefix}')")
        assert not pg.errors, pg.errors
    finally:
        pg.close()


def test_the_search_box_selects_a_number_and_rings_a_label_or_the_misplaced(page, cache):
    from vae_core.analysis.explore import misplaced

    search = page.locator(".lm-search")
    search.fill("#4693")
    search.press("Enter")
    expect(page.locator(".lm-root")).to_have_attribute("data-selected", "test:4693")
    expect(page.locator(".lm-sel-title")).to_have_text(f"Test digit #4693 · digit {cache.labels[4693]}")
    expect(page).to_have_url(re.compile(r"idx=4693\b"))
    ringed = "() => (document.querySelector('.lm-plot').data.find(t => t.meta && t.meta.found) || {x: []}).x.length"
    for query, rows in (("7", np.flatnonzero(cache.labels == 7)), ("misplaced", misplaced(cache.mu, cache.labels))):
        search.fill(query)
        search.press("Enter")
        expect(page.locator(".lm-root")).to_have_attribute("data-found", str(len(rows)))
        assert page.evaluate(ringed) == len(rows)
        x0, x1 = page.evaluate("() => document.querySelector('.lm-plot')._fullLayout.xaxis.range")
        assert x0 < cache.mu[rows, 0].min() and cache.mu[rows, 0].max() < x1  # zoomed to show them all
    expect(page.locator(".lm-search-note")).to_contain_text(f"{len(rows):,} test digits (")
    search.fill("")
    search.press("Enter")
    expect(page.locator(".lm-root")).to_have_attribute("data-found", "0")
    assert page.evaluate(ringed) == 0


def test_arrow_keys_move_z_and_escape_goes_back_to_the_prior_mean(page, cache):
    row = isolated_points(cache.mu, 1)[0]
    select_dot(page, cache, row)  # the click focuses the map
    x0, x1 = page.evaluate("() => document.querySelector('.lm-plot')._fullLayout.xaxis.range")
    step = 0.02 * (x1 - x0)  # 2 % of the visible width per press
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowUp")  # 10 %
    z = state(page)["z"]
    np.testing.assert_allclose(z, cache.mu[row] + [2 * step, 5 * step], atol=1e-3)
    assert page.locator(".lm-root").get_attribute("data-selected") == ""  # z has left the digit's mean
    # Each key's release writes the link; wait for the last one's (an earlier z may be there for a moment).
    page.wait_for_function("""(z) => { const q = new URLSearchParams(location.search);
        const shown = (q.get('z') || '').split(',').map(Number);
        return !q.has('idx') && shown.length === 2 && shown.every((v, d) => Math.abs(v - z[d]) < 6e-3); }""", arg=z)
    page.keyboard.press("Escape")  # the map still has the focus: the reruns that wrote the link did not rebuild it
    assert state(page)["z"] == [0, 0] and page.evaluate("() => window.__latentMap.view().dom.wrap === document.activeElement")
    expect(page).to_have_url(re.compile(r"[?&]z=0%2C0(&|$)"))


def test_colour_by_kl_gives_each_dot_its_own_kl_and_label_brings_the_labels_back(page, cache):
    kl = kl_divergence(Normal(torch.as_tensor(cache.mu, dtype=torch.float64), torch.exp(0.5 * torch.as_tensor(
        cache.logvar, dtype=torch.float64))), Normal(0.0, 1.0)).sum(dim=1).numpy()
    page.locator(".lm-colour").select_option("kl")
    page.wait_for_function("() => !document.querySelector('.lm-plot')._fullLayout.showlegend")
    traces = page.evaluate("""() => document.querySelector('.lm-plot').data.filter(t => t.meta && t.meta.rows)
        .map(t => ({rows: Array.from(t.meta.rows), colour: Array.from(t.marker.color), scale: t.marker.showscale}))""")
    assert len(traces) == 10 and sum(t["scale"] for t in traces) == 1  # one colour bar
    for t in traces:
        np.testing.assert_allclose(t["colour"], kl[t["rows"]], rtol=1e-5)
    page.locator(".lm-colour").select_option("label")
    page.wait_for_function("() => document.querySelector('.lm-plot')._fullLayout.showlegend")
    colours = page.evaluate(
        "() => document.querySelector('.lm-plot').data.filter(t => t.meta && t.meta.rows).map(t => t.marker.color)")
    assert colours == ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",  # tab10, as the Python pages
                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def test_colour_by_a_stored_measure_uses_the_caches_numbers_and_greys_the_training_means(page, cache):
    options = page.locator(".lm-colour option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["label", "kl", "sigma", "recon", "confidence"]
    page.locator(".lm-colour").select_option("recon")
    page.wait_for_function("() => !document.querySelector('.lm-plot')._fullLayout.showlegend")
    traces = page.evaluate("""() => document.querySelector('.lm-plot').data.filter(t => t.meta && t.meta.rows)
        .map(t => ({rows: Array.from(t.meta.rows), colour: Array.from(t.marker.color)}))""")
    for t in traces:
        np.testing.assert_array_equal(np.float32(t["colour"]), cache.recon_error[t["rows"]])
    page.locator(".lm-train input").check()  # the training means have no stored measure: grey, under the test means
    page.wait_for_function("() => window.__latentMap.state().traces.length === 20", timeout=T)
    page.wait_for_function("""() => document.querySelector('.lm-plot').data.filter(t => t.meta && t.meta.split === 'train')
        .every(t => t.marker.color === 'rgba(128, 128, 128, 0.5)')""")


def draw_box(page, low, high) -> tuple[float, float, float, float]:
    """Drag Plotly's box-select tool from z = (low[0], high[1]) to (high[0], low[1]); -> its corners in px."""
    (x0, y0), (x1, y1) = to_client(page, (low[0], high[1])), to_client(page, (high[0], low[1]))
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2)  # Plotly shows its toolbar on hover
    page.locator('.lm-plot .modebar-btn[data-val="select"]').click()
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    return x0, y0, x1, y1


def test_a_box_drawn_with_plotlys_select_tool_picks_the_points_inside_it(page, cache, data_root):
    low, high = np.array([-1.0, 0.0]), np.array([0.0, 1.0])  # a box in z, dense with points
    x0, y0, x1, y1 = draw_box(page, low, high)
    expect(page.locator(".lm-region .lm-sel-title")).to_contain_text("Selected region:")
    picked = np.array(page.evaluate("() => window.__latentMap.view().region.map(p => p.index)"))
    inside = np.flatnonzero(np.all((cache.mu >= low) & (cache.mu <= high), axis=1))
    unit = (high[0] - low[0]) / (x1 - x0)  # z per pixel
    edge = np.min(np.abs(np.concatenate([cache.mu - low, cache.mu - high], axis=1)), axis=1) < 2 * unit
    differ = np.setxor1d(picked, inside)
    assert len(inside) > 300 and np.all(edge[differ]), f"{len(differ)} points differ away from the box's edges"
    expect(page.locator(".lm-root")).to_have_attribute("data-region", str(len(picked)))
    expect(page.locator(".lm-region .lm-sel-title")).to_have_text(f"Selected region: {len(picked):,} points")
    shown = re.findall(r"(\d) ×(\d+)", page.locator(".lm-region-labels").inner_text())
    assert {int(label): int(n) for label, n in shown} == dict(Counter(cache.labels[picked].tolist()))
    mean = cache.mu[picked].astype(np.float64).mean(axis=0)
    expect(page.locator(".lm-region .lm-numbers")).to_have_text("mean μ = (" + ", ".join(f"{v:.3f}" for v in mean) + ")")
    samples = page.evaluate("() => window.__latentMap.view().regionSamples")
    assert len(samples) == 16 and {s["split"] for s in samples} == {"test"}
    assert {s["index"] for s in samples} <= set(picked.tolist()) and max(s["index"] for s in samples) > np.sort(picked)[15]
    images = load_split(data_root, "mnist", train=False)[0].numpy().reshape(-1, 28, 28)
    expect(page.locator(".lm-region-originals canvas")).to_have_count(16)
    for k in (0, 15):  # the originals Python sent, in the order of the reconstructions
        shown = panel_pixels(page, f".lm-region-originals canvas >> nth={k}").reshape(28, 28)
        np.testing.assert_allclose(shown, np.round(images[samples[k]["index"]] * 255), atol=1)
    page.get_by_text("Download PNG", exact=True).last.click()
    sheet = page.locator(".lm-region-links a").last.get_attribute("href")
    png = Image.open(io.BytesIO(base64.b64decode(sheet.split(",", 1)[1])))
    assert png.size == ((2 * 4 * 28 + 8) * 3, 4 * 28 * 3)  # originals beside reconstructions, 3x
    page.locator(".lm-plot-wrap").focus()
    page.keyboard.press("Escape")
    expect(page.locator(".lm-root")).to_have_attribute("data-region", "0")
    assert page.locator(".lm-region").inner_text() == ""


def overlay_alpha(pg, x: float, y: float) -> int:
    """The overlay canvas's alpha at viewport point (x, y): what the map drew over the dots there."""
    return pg.evaluate("""([x, y]) => { const c = document.querySelector('.lm-overlay'), r = c.getBoundingClientRect();
        const k = c.width / r.width;
        return c.getContext('2d').getImageData(Math.round((x - r.left) * k), Math.round((y - r.top) * k), 1, 1).data[3]; }""",
                       [x, y])


def test_an_upload_kept_on_the_encode_page_is_drawn_on_the_map_and_can_be_gone_to_and_cleared(browser, server):
    import explorer_ui as ui

    digit = ROOT / "tests" / "fixtures" / "app_digit_7.png"
    name = "seven <b>*mine*</b>.png"  # a visitor's file name: shown as plain text
    enc = ui.encode_bytes(ui.load(VAE_NAME), digit.read_bytes(), True, True)  # the Encode page's defaults
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.set_default_timeout(T)
    pg.add_init_script("globalThis.__latentMapTesting = true")
    pg.goto(f"{server}/Encode_a_digit")
    pg.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": digit.read_bytes()}])
    pg.get_by_role("button", name="Show on the latent map").click()
    expect(pg.get_by_role("button", name="Kept on the latent map")).to_be_disabled()
    pg.get_by_role("link", name="Open the map (1 kept)").click()
    pg.wait_for_selector(READY)
    expect(pg.locator(".lm-root")).to_have_attribute("data-uploads", "1")
    expect(pg.locator(".lm-upload")).to_have_text(f"1 {name}")

    x, y = to_client(pg, enc.mu)
    assert overlay_alpha(pg, x, y) > 200  # the diamond at its mean (z = 0 is far from it)
    pg.locator(".lm-upload").click()  # go there
    np.testing.assert_allclose(state(pg)["z"], enc.mu, atol=1e-6)
    expect(pg.locator(".lm-root")).to_have_attribute("data-selected", "")
    expect(pg).to_have_url(re.compile("z=" + re.escape(quote(ui.format_z(enc.mu)))))

    pg.locator(".lm-plot-wrap").focus()
    pg.keyboard.press("Escape")  # back to z = 0, then clear: Python forgets them, and the map follows
    pg.locator(".lm-upload-clear").click()
    expect(pg.locator(".lm-root")).to_have_attribute("data-uploads", "0")
    expect(pg.locator(".lm-upload")).to_have_count(0)
    x, y = to_client(pg, enc.mu)
    assert overlay_alpha(pg, x, y) == 0
    pg.close()


def test_a_path_between_two_picks_is_drawn_decoded_and_opens_in_interpolate(page, cache):
    from vae_core.analysis.explore import lerp, slerp

    a, b = isolated_points(cache.mu, 2)
    model, _ = load_checkpoint(MODELS / f"{VAE_NAME}.pt")
    select_dot(page, cache, a)
    page.get_by_role("button", name="Start a path here").click()
    expect(page.locator(".lm-root")).to_have_attribute("data-path", "started")
    expect(page.locator(".lm-path-ends")).to_have_text(f"test #{a} · {cache.labels[a]} → test #{a} · {cache.labels[a]}")
    select_dot(page, cache, b)
    expect(page.locator(".lm-root")).to_have_attribute("data-path", "drawn")
    expect(page.locator(".lm-path-ends")).to_have_text(f"test #{a} · {cache.labels[a]} → test #{b} · {cache.labels[b]}")
    for kind, path in (("linear", lerp(cache.mu[a], cache.mu[b], 8)), ("spherical", slerp(cache.mu[a], cache.mu[b], 8))):
        tiles = page.locator(f".lm-path-{kind} canvas")
        expect(tiles).to_have_count(8)
        for step in (0, 3, 7):  # each tile is the decoded step, as torch decodes it (to the canvas's 8 bits)
            shown = panel_pixels(page, f".lm-path-{kind} canvas >> nth={step}")
            assert np.abs(shown - 255 * torch_decode(model, path[step])).max() <= 1.0
    halfway = to_client(page, (cache.mu[a] + cache.mu[b]) / 2)
    assert overlay_alpha(page, *halfway) > 200  # the straight line on the map

    page.get_by_role("button", name="Open in Interpolate").click()
    expect(page).to_have_url(re.compile(rf"/Interpolate\?.*a={a}&b={b}"))
    expect(page.get_by_label("Start: test digit #")).to_have_value(str(a))
    expect(page.get_by_label("End: test digit #")).to_have_value(str(b))


def test_a_region_lives_in_the_link_and_takes_in_the_training_means_when_they_are_added(browser, server, page, cache):
    draw_box(page, np.array([-1.0, 0.0]), np.array([0.0, 1.0]))
    expect(page).to_have_url(re.compile(r"region=r%3A"))
    text = parse_qs(urlparse(page.url).query)["region"][0]
    x0, x1, y0, y1 = map(float, text[2:].split(","))
    (x0, x1), (y0, y1) = sorted((x0, x1)), sorted((y0, y1))  # Plotly keeps the corners in the order dragged
    inside = lambda mu: np.flatnonzero((mu[:, 0] >= x0) & (mu[:, 0] <= x1) & (mu[:, 1] >= y0) & (mu[:, 1] <= y1))  # noqa: E731
    picked = int(page.locator(".lm-root").get_attribute("data-region"))
    assert abs(picked - len(inside(cache.mu))) <= 3  # Plotly's pick against the link's rounded box: the edges may differ

    again = new_page(browser, page.url)  # a new tab on the link: the same box, exactly its points
    expect(again.locator(".lm-root")).to_have_attribute("data-region", str(len(inside(cache.mu))))
    assert again.evaluate("() => document.querySelector('.lm-plot')._fullLayout.selections.length") == 1
    again.locator(".lm-train input").check()
    train = load_latent_cache(cache_path_for(MODELS / f"{VAE_NAME}.pt", train=True))
    expect(again.locator(".lm-root")).to_have_attribute("data-region", str(len(inside(cache.mu)) + len(inside(train.mu))))
    again.locator(".lm-region-clear").click()  # on a touch screen, where there is no Escape
    expect(again.locator(".lm-root")).to_have_attribute("data-region", "0")
    expect(again).not_to_have_url(re.compile("region="))
    again.close()


def test_two_maps_compared_follow_each_others_hover_and_selection(browser, server, cache):
    other = "mnist_vae_z2_beta4"
    other_cache = load_latent_cache(cache_path_for(MODELS / f"{other}.pt"))
    other_model, _ = load_checkpoint(MODELS / f"{other}.pt")
    pg = new_page(browser, f"{server}/?compare={other}&idx=77")
    pg.wait_for_selector(".lm-root[data-ready='1'] >> nth=1")
    expect(pg.locator(".lm-root")).to_have_count(2)
    expect(pg.locator(".lm-root >> nth=1")).to_have_attribute("data-selected", "test:77")  # the link's digit in both
    pg.wait_for_function("() => window.__latentMap.view('latent_map_compare')?.ax")
    assert pg.evaluate("() => window.__latentMap.view('latent_map').linkGroup") == "compare"

    z = np.array([0.8, -1.1])
    x, y = to_client(pg, z, "latent_map")  # the first map
    pg.mouse.move(x - 5, y)
    pg.mouse.move(x, y)
    shown = pg.evaluate("() => window.__latentMap.view('latent_map').pointer")
    hovered = pg.evaluate("() => Array.from(window.__latentMap.view('latent_map').proj.lift(...window.__latentMap.view("
                          "'latent_map').ax.toZ(...window.__latentMap.view('latent_map').pointer), [0, 0]))")
    assert shown is not None
    second = pg.locator(".lm-root >> nth=1")
    expect(second.locator(".lm-mode")).to_have_text("hover on the other map")
    expect(second.locator(".lm-z")).to_have_text(f"z = ({hovered[0]:.2f}, {hovered[1]:.2f})")
    pixels = panel_pixels(pg, ".lm-root >> nth=1 >> .lm-digit")
    assert np.abs(pixels - 255 * torch_decode(other_model, hovered)).max() <= 1.0  # decoded by its own decoder

    row = isolated_points(cache.mu, 1)[0]
    x, y = to_client(pg, cache.mu[row], "latent_map")
    pg.mouse.move(x - 5, y)
    pg.mouse.click(x, y)
    expect(pg.locator(".lm-root >> nth=0")).to_have_attribute("data-selected", f"test:{row}")
    expect(second).to_have_attribute("data-selected", f"test:{row}")
    np.testing.assert_allclose(pg.evaluate("() => Array.from(window.__latentMap.view('latent_map_compare').state.z)"),
                               other_cache.mu[row], atol=1e-6)  # the same digit, at its own mean there
    expect(pg).to_have_url(re.compile(rf"idx={row}\b.*compare={other}|compare={other}.*idx={row}\b"))
    pg.close()


def test_a_model_above_2d_offers_its_umap_layout_which_decodes_the_nearest_test_mean(browser, server):
    name = "mnist_vae_z16"
    z16 = load_latent_cache(cache_path_for(MODELS / f"{name}.pt"))
    model, _ = load_checkpoint(MODELS / f"{name}.pt")
    pg = new_page(browser, f"{server}/?model={name}")
    pg.locator(".lm-layout").select_option("umap")
    expect(pg.locator(".lm-root")).to_have_attribute("data-layout", "umap")
    expect(pg.locator(".lm-layout-note")).to_contain_text("has no inverse")
    expect(pg.locator(".lm-train input")).to_be_disabled()
    xs = np.concatenate(pg.evaluate("() => document.querySelector('.lm-plot').data.filter(t => t.meta && t.meta.rows)"
                                    ".map(t => Array.from(t.x))"))
    assert len(xs) == len(z16.mu) and np.allclose(np.sort(xs), np.sort(z16.umap[:, 0]))  # drawn where UMAP put them

    row = isolated_points(z16.umap, 1, box=20.0)[0]
    x, y = to_client(pg, z16.umap[row])
    pg.mouse.move(x + 4, y + 3)
    pg.mouse.move(x + 2, y + 1)  # near the dot, not on it: its mean is decoded
    expect(pg.locator(".lm-near")).to_have_text(f"test #{row} · {z16.labels[row]}")
    pixels = panel_pixels(pg)
    assert np.abs(pixels - 255 * torch_decode(model, z16.mu[row])).max() <= 1.0
    pg.mouse.click(x + 30, y + 30)  # empty space: the nearest digit there, since the layout has no z between dots
    nearest = int(np.argmin(((z16.umap - pg.evaluate(
        "([x, y]) => window.__latentMap.view().ax.toZ(...window.__latentMap.view().plotPx({clientX: x, clientY: y}))",
        [x + 30, y + 30])) ** 2).sum(axis=1)))
    expect(pg.locator(".lm-root")).to_have_attribute("data-selected", f"test:{nearest}")
    pg.locator(".lm-layout").select_option("plane")
    expect(pg.locator(".lm-train input")).to_be_enabled()
    pg.close()


def test_escape_clears_a_path_from_the_map_and_the_panel(page, cache):
    a, b = isolated_points(cache.mu, 2)
    select_dot(page, cache, a)
    page.get_by_role("button", name="Start a path here").click()
    select_dot(page, cache, b)
    expect(page.locator(".lm-root")).to_have_attribute("data-path", "drawn")
    halfway = to_client(page, (cache.mu[a] + cache.mu[b]) / 2)
    assert overlay_alpha(page, *halfway) > 200
    page.keyboard.press("Escape")
    expect(page.locator(".lm-root")).to_have_attribute("data-path", "")
    expect(page.locator(".lm-path-strip")).to_have_count(0)
    expect(page.get_by_role("button", name="Start a path here")).to_be_visible()
    assert overlay_alpha(page, *halfway) == 0
