"""The whole app (`streamlit run app.py`) in a real browser: headless Chromium driven by Playwright.

Journeys: the home page renders its map; a click on a dot of the live (canvas)
map and on a point of the Plotly WebGL map selects that test digit; a server
slider re-decodes the image; Encode a digit takes an upload (and survives a
broken one); every page opens from the sidebar and from a direct link;
nonsense link parameters warn instead of failing. Last, the README screenshots
are regenerated into a temporary folder (docs/make_screenshots.py).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from latent_component.devserver import streamlit_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[1]
MODELS = Path(os.environ.get("LATENT_EXPLORER_MODELS") or ROOT / "models")
VAE, AE = "mnist_vae_z2", "mnist_ae_z2"
VIEWPORT = {"width": 1400, "height": 1000}
LIVE_READY = ".lex-root[data-ready='1']"
T = 60_000  # ms: generous, the machine is shared
# The Plotly latent map (not the small map beside it): the one with the invisible click grid.
PLOTLY_MAP = "[...document.querySelectorAll('.js-plotly-plot')].find(g => (g._fullData || []).some(t => t.name === 'empty space'))"


def _load_screenshots_module():
    spec = importlib.util.spec_from_file_location("make_screenshots", ROOT / "docs" / "make_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shots = _load_screenshots_module()


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def latents():
    """mu (N, 2) and labels (N,) of the shipped VAE's latent cache, as the app shows them."""
    path = MODELS / f"{VAE}.latents.npz"
    if not (MODELS / f"{VAE}.pt").is_file() or not path.is_file():
        pytest.skip(f"the shipped model {VAE} is not in {MODELS}")
    with np.load(path) as d:
        return d["mu"].astype(np.float64), d["labels"].astype(int)


@pytest.fixture(scope="module")
def vae_model(latents):
    """The shipped VAE, loaded here to check what the app shows."""
    from vae_core.checkpoint import load_checkpoint

    return load_checkpoint(MODELS / f"{VAE}.pt")[0]


@pytest.fixture(scope="module")
def server(latents):
    env = {} if os.environ.get("MNIST_DATA_ROOT") else {"MNIST_DATA_ROOT": str(ROOT.parent / "shared" / "data")}
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90) as url:
        yield url


@pytest.fixture
def page(browser, server):
    """A fresh tab (its own browser context, so its own Streamlit session); no uncaught JS errors allowed."""
    pg = browser.new_page(viewport=VIEWPORT)
    pg.set_default_timeout(T)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.base = server
    yield pg
    pg.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


# ------------------------------------------------------------------- helpers
def open_page(pg, path: str = "/", title: str = "Latent map") -> None:
    pg.goto(pg.base + path)
    expect(pg.locator("h1").filter(has_text=title)).to_be_visible(timeout=T)
    shots.wait_idle(pg)


def assert_healthy(pg) -> None:
    """No exception box and no st.error alert on the page."""
    exc = pg.locator('[data-testid="stException"]')
    assert exc.count() == 0, f"exception on {pg.url}: {exc.first.inner_text()}"
    err = pg.locator('[data-testid="stAlertContentError"]')
    assert err.count() == 0, f"st.error on {pg.url}: {err.all_inner_texts()}"


def query(pg) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(pg.url).query).items()}


def isolated_points(mu: np.ndarray, n: int, candidates: int = 600, box: float = 3.5) -> list[int]:
    """Rows of `n` test means well inside the map whose nearest neighbour is far: clicking them is unambiguous."""
    rows = np.flatnonzero(np.all(np.abs(mu[:candidates]) < box, axis=1))
    d = np.sqrt(((mu[rows, None, :] - mu[None, :, :]) ** 2).sum(-1))
    d[np.arange(len(rows)), rows] = np.inf
    return [int(r) for r in rows[np.argsort(-d.min(1))[:n]]]


def selected_heading(pg, row: int, label: int):
    return pg.get_by_role("heading", name=f"Test digit #{row} · label {label}", exact=True)


def decoded_image(pg):
    """The server-side decoder(z) image in the right-hand panel."""
    return pg.locator('[data-testid="stImage"]').filter(has=pg.get_by_text("decoder(z)", exact=True)).locator("img")


def plotly_point_px(pg, zx: float, zy: float) -> dict:
    """Viewport pixel of the latent point (zx, zy) on the Plotly map, once its layout has stopped moving."""
    js = f"""([x, y]) => {{ const g = {PLOTLY_MAP}, L = g._fullLayout, r = g.getBoundingClientRect();
                 return {{x: r.left + L.xaxis._offset + L.xaxis.l2p(x), y: r.top + L.yaxis._offset + L.yaxis.l2p(y)}}; }}"""
    last = None
    for _ in range(40):  # the legend and automargins can shift the plot area after the first draw
        pt = pg.evaluate(js, [zx, zy])
        if last is not None and abs(pt["x"] - last["x"]) < 0.5 and abs(pt["y"] - last["y"]) < 0.5:
            return pt
        last = pt
        pg.wait_for_timeout(150)
    raise AssertionError("the Plotly map kept moving")


# --------------------------------------------------------------------- tests
def test_home_renders_the_live_map(page):
    open_page(page)
    page.wait_for_selector(LIVE_READY, timeout=T)
    assert_healthy(page)
    # The 10,000 means are painted on the canvas (coloured, non-grey pixels).
    painted = page.locator(".lex-points").evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2])) n++;
                  return n; }""")
    assert painted > 5000, f"the live map looks empty ({painted} coloured pixels)"
    assert page.locator(".lex-title").inner_text().startswith(VAE)
    assert page.locator(".lex-chip").count() == 10
    live = page.get_by_role("radio", name=re.compile("^Live"))
    expect(live).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("heading", name="Decode any point z")).to_be_visible()
    expect(decoded_image(page)).to_be_visible()
    expect(page.get_by_text("Nearest test means: mostly")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Test digit #"))).to_have_count(0)  # nothing selected yet
    assert query(page)["model"] == VAE


def test_live_map_click_on_a_dot_selects_that_test_digit(page, latents):
    mu, labels = latents
    row = isolated_points(mu, 1)[0]
    open_page(page)
    page.wait_for_selector(LIVE_READY, timeout=T)
    pt = page.evaluate("([x, y]) => window.__latentExplorer.toClient(x, y, 'live_map')", [mu[row, 0], mu[row, 1]])
    box = page.locator(".lex-overlay").bounding_box()
    assert box["x"] < pt["x"] < box["x"] + box["width"] and box["y"] < pt["y"] < box["y"] + box["height"]
    page.mouse.move(pt["x"], pt["y"])
    expect(page.locator(".lex-near")).to_have_text(f"test point #{row} · digit {labels[row]}")
    page.mouse.click(pt["x"], pt["y"])
    event = json.loads(page.locator(".lex-root").get_attribute("data-last-event"))
    assert (event["index"], event["label"], event["source"]) == (row, labels[row], "click")
    # Python got the click: the right-hand panel shows that digit and the sliders moved to its mean.
    expect(selected_heading(page, row, labels[row])).to_be_visible(timeout=T)
    shots.wait_idle(page)
    assert_healthy(page)
    assert query(page)["idx"] == str(row)
    z = [float(v) for v in query(page)["z"].split(",")]
    assert np.allclose(z, mu[row], atol=0.011), (z, mu[row])
    expect(page.get_by_text(re.compile(r"^μ = \(" + re.escape(f"{mu[row, 0]:.3f}, {mu[row, 1]:.3f})"))).first).to_be_visible()


def test_plotly_map_click_on_a_point_selects_that_test_digit(page, latents):
    mu, labels = latents
    row = isolated_points(mu, 2)[1]  # another digit than the live-map test
    open_page(page)
    plotly = page.get_by_role("radio", name=re.compile("^Plotly"))
    plotly.click()
    expect(plotly).to_have_attribute("aria-checked", "true")
    page.wait_for_function(f"() => !!({PLOTLY_MAP})", timeout=T)
    shots.wait_idle(page)
    expect(page.locator(".lex-root")).to_have_count(0)  # the live map is gone
    assert query(page)["view"] == "plotly"
    traces = page.evaluate(f"() => {PLOTLY_MAP}._fullData.map(t => t.type)")
    assert traces.count("scattergl") == 11  # ten digits + the click grid
    # Hover until Plotly's own hit test agrees the pointer is on that point, then press the mouse there.
    hovered = None
    for _ in range(5):
        pt = plotly_point_px(page, float(mu[row, 0]), float(mu[row, 1]))
        page.mouse.move(pt["x"] - 3, pt["y"] - 3)
        page.mouse.move(pt["x"], pt["y"])
        page.wait_for_timeout(100)
        hovered = page.evaluate(f"() => ({PLOTLY_MAP}._hoverdata || []).map(p => p.customdata && p.customdata[0])")
        if hovered and hovered[0] == row:
            break
    assert hovered and hovered[0] == row, f"Plotly hovers {hovered}, not test point {row}"
    page.mouse.click(pt["x"], pt["y"])
    expect(selected_heading(page, row, labels[row])).to_be_visible(timeout=T)
    shots.wait_idle(page)
    assert_healthy(page)
    assert query(page)["idx"] == str(row)
    expect(page.get_by_role("heading", name=re.compile(r"^Test digit #"))).to_have_count(1)


def displayed_digit(pg, img) -> np.ndarray | None:
    """The 28x28 digit (float, 0..1) behind an upscaled st.image, read from the server's media file
    (None if that file was just replaced by a newer run)."""
    import io

    from PIL import Image, UnidentifiedImageError

    response = pg.request.get(img.get_attribute("src"))
    if not response.ok:
        return None
    try:
        arr = np.asarray(Image.open(io.BytesIO(response.body())).convert("L"), np.float64) / 255
    except UnidentifiedImageError:
        return None
    k = arr.shape[0] // 28
    return arr[: 28 * k, : 28 * k].reshape(28, k, 28, k).mean(axis=(1, 3))


def wait_for_digit(pg, img, want: np.ndarray, z_want, tol: float = 0.03) -> None:
    """Wait until the URL says z = z_want and `img` shows `want` (mean |difference| < tol)."""
    deadline, diff = time.monotonic() + T / 1000, None
    while time.monotonic() < deadline:
        z = [float(v) for v in query(pg)["z"].split(",")]
        if np.allclose(z, z_want, atol=2e-3):
            got = displayed_digit(pg, img)
            diff = None if got is None else float(np.abs(got - want).mean())
            if diff is not None and diff < tol:
                return
        pg.wait_for_timeout(200)
    raise AssertionError(f"decoder(z) never showed z = {z_want} (URL z = {query(pg)['z']}, last difference {diff})")


def test_server_slider_redecodes_the_image(page, vae_model):
    from vae_core import explore

    open_page(page)
    img = decoded_image(page)
    z_start = np.array([float(v) for v in query(page)["z"].split(",")])
    wait_for_digit(page, img, explore.decode(vae_model, z_start)[0], z_start)
    before = displayed_digit(page, img)
    slider = page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("z₁", exact=True))
    thumb = slider.locator("input[type=range]")
    shown0 = float(slider.get_by_test_id("stSliderThumbValue").inner_text())
    thumb.focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    expect(slider.get_by_test_id("stSliderThumbValue")).to_have_text(f"{shown0 + 0.40:.2f}")
    z_end = np.array([float(thumb.get_attribute("value")), z_start[1]])
    want = explore.decode(vae_model, z_end)[0]
    assert np.abs(before - want).mean() > 0.03, "the slider step is too small to tell the images apart"
    # Fragment reruns are too quick for the status widget: wait for the URL and the image to catch up.
    wait_for_digit(page, img, want, z_end)
    assert_healthy(page)


def _expected_encoding(model, fixture: Path) -> tuple[np.ndarray, np.ndarray]:
    """mu, sigma of the fixture under the shipped VAE, computed here with the app's own preprocessing."""
    from vae_core import explore
    from vae_core.preprocess import preprocess

    mu, sigma = explore.encode(model, preprocess(fixture.read_bytes()))
    return mu[0], sigma[0]


def _shown_vector(pg, name: str) -> np.ndarray:
    text = pg.locator('[data-testid="stMarkdownContainer"]').filter(has_text="(encoder mean)").inner_text()
    m = re.search(re.escape(name) + r" \(encoder \w+\) = \(([^)]*)\)", text)
    assert m, f"no {name} in {text!r}"
    return np.array([float(v) for v in m.group(1).split(",")])


def upload(pg, path: Path) -> None:
    pg.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(path)


def test_encode_page_shows_the_posterior_of_an_uploaded_digit(page, vae_model):
    fixture = shots.digit_fixture()
    open_page(page, "/Encode_a_digit", "Encode a digit")
    expect(page.get_by_text("Upload or draw a digit to see where the encoder puts it.")).to_be_visible()
    upload(page, fixture)
    expect(page.get_by_text("(encoder mean)")).to_be_visible(timeout=T)
    shots.wait_idle(page)
    assert_healthy(page)
    mu, sigma = _shown_vector(page, "μ"), _shown_vector(page, "σ")
    want_mu, want_sigma = _expected_encoding(vae_model, fixture)
    assert np.allclose(mu, want_mu, atol=2e-3), (mu, want_mu)
    assert np.allclose(sigma, want_sigma, atol=2e-3) and (sigma > 0).all(), (sigma, want_sigma)
    expect(page.get_by_text("mostly 7s")).to_be_visible()  # it is an MNIST 7
    for caption in ("your image", "input x: preprocessed 28×28", "reconstruction decoder(μ)"):
        expect(page.get_by_test_id("stImageCaption").filter(has_text=caption)).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").filter(has_text="nats")).to_be_visible()
    # The posterior: its 1σ/2σ ellipses, the samples and μ drawn on the map, and the 16 decoded samples.
    expect(page.get_by_role("heading", name="Samples z = μ + σ·ε")).to_be_visible()
    names = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
                                   .flatMap(g => (g._fullData || []).map(t => t.name))""")
    assert {"q(z|x) 1σ", "q(z|x) 2σ", "samples z", "μ"} <= set(names), names


def test_encode_page_encodes_a_digit_drawn_on_the_canvas(page):
    open_page(page, "/Encode_a_digit", "Encode a digit")
    page.get_by_test_id("stMain").get_by_text("Draw", exact=True).first.click()
    canvas = page.locator("canvas.upper-canvas").first  # fabric.js takes the pointer on its upper canvas
    expect(canvas).to_be_visible(timeout=T)
    box = canvas.bounding_box()
    x, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15
    page.mouse.move(x, top)
    page.mouse.down()
    for i in range(1, 21):  # a slightly slanted vertical stroke: a "1"
        page.mouse.move(x - 0.002 * box["width"] * i, top + box["height"] * 0.035 * i)
    page.mouse.up()
    expect(page.get_by_text("(encoder mean)")).to_be_visible(timeout=T)
    shots.wait_idle(page)
    assert_healthy(page)
    expect(page.get_by_text(re.compile(r"mostly 1s \((1[0-5]) of 15\)"))).to_be_visible()
    expect(page.get_by_test_id("stImageCaption").filter(has_text="your drawing")).to_be_visible()


def test_encode_page_rejects_a_broken_file_and_keeps_working(page, tmp_path):
    broken = tmp_path / "scan.png"
    broken.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    open_page(page, "/Encode_a_digit", "Encode a digit")
    upload(page, broken)
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_be_visible(timeout=T)
    expect(error).to_contain_text("Could not use this image")
    expect(error).to_contain_text("not a recognised image format")
    shots.wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    expect(page.get_by_text("(encoder mean)")).to_have_count(0)
    # The page still works: a good file replaces the broken one and is encoded.
    upload(page, shots.digit_fixture())
    expect(page.get_by_text("(encoder mean)")).to_be_visible(timeout=T)
    shots.wait_idle(page)
    expect(error).to_have_count(0)
    assert_healthy(page)


# Page title -> a text only that page shows once it has run to the end.
PAGE_TEXTS = {
    "Encode a digit": "Upload or draw a digit to see where the encoder puts it.",
    "Manifold": "Download the grid (PNG)",
    "Prior vs posterior": "Prior samples by the label",
    "Interpolate": "‖z‖ along the path",
}


def goto_in_sidebar(pg, title: str, text: str) -> None:
    pg.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(pg.locator("h1")).to_have_text(title, timeout=T)
    expect(pg.get_by_test_id("stMain").get_by_text(text).first).to_be_visible(timeout=T)
    shots.wait_idle(pg)
    assert_healthy(pg)
    expect(pg.get_by_test_id("stSidebarNavLink").filter(has_text=title)).to_have_attribute("aria-current", "page")


def test_every_page_opens_from_the_sidebar(page):
    open_page(page)
    for title, text in PAGE_TEXTS.items():
        goto_in_sidebar(page, title, text)


def test_back_to_the_latent_map_after_another_page(page):
    open_page(page, "/?z=1.5,-0.5", "Latent map")
    goto_in_sidebar(page, "Manifold", PAGE_TEXTS["Manifold"])
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Latent map").click()
    expect(page.locator("h1")).to_have_text("Latent map", timeout=T)
    page.wait_for_selector(f'[data-testid="stException"], {LIVE_READY}', timeout=T)  # whichever comes first
    shots.wait_idle(page)
    assert_healthy(page)
    expect(decoded_image(page)).to_be_visible()
    assert query(page).get("z") == "1.5,-0.5", "the z chosen before leaving the page is kept"


@pytest.mark.parametrize("path, title, check", [
    ("/Encode_a_digit", "Encode a digit", "Upload or draw a digit"),
    (f"/Manifold?model={AE}", "Manifold", "20 × 20"),
    ("/Manifold?n=8&r=2&spacing=linear", "Manifold", "8 × 8"),
    (f"/Prior_vs_posterior?model={AE}", "Prior vs posterior", "Test digits inside the 3σ circle"),
    (f"/Interpolate?model={AE}&a=3&b=7&steps=5", "Interpolate", "‖z‖ along the path"),
    (f"/?model={AE}&idx=5&view=plotly", "Latent map", "Test digit #5 · label"),
], ids=["encode", "manifold-ae", "manifold-params", "prior-ae", "interpolate-ae", "home-ae-idx"])
def test_direct_links_open_without_an_exception(page, path, title, check):
    open_page(page, path, title)
    assert_healthy(page)
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    expect(page.get_by_test_id("stMain").get_by_text(check).first).to_be_visible()
    model = query(page).get("model")
    if f"model={AE}" in path:
        assert model == AE
        expect(page.get_by_role("combobox", name="Model")).to_have_value(re.compile("^Plain autoencoder"))
    else:
        assert model == VAE


def test_nonsense_link_parameters_warn_instead_of_failing(page):
    open_page(page, "/?model=nope&z=abc&idx=-3.5&view=3d", "Latent map")
    page.wait_for_selector(LIVE_READY, timeout=T)  # the default view and model still work
    assert_healthy(page)
    warnings = page.get_by_test_id("stAlertContentWarning")
    text = " ".join(warnings.all_inner_texts())
    for bad in ("model=nope", "z=abc", "idx=-3.5", "view=3d"):
        assert f"Ignoring the link parameter {bad}" in text, text
    assert query(page)["model"] == VAE and query(page)["view"] == "live"
    expect(decoded_image(page)).to_be_visible()

    open_page(page, "/Manifold?n=abc&spacing=zigzag&r=1e9", "Manifold")
    assert_healthy(page)
    text = " ".join(page.get_by_test_id("stAlertContentWarning").all_inner_texts())
    for bad in ("n=abc", "spacing=zigzag", "r=1e9"):
        assert f"Ignoring the link parameter {bad}" in text, text
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(1)


def test_screenshots_of_every_page(browser, server, tmp_path):
    t0 = time.monotonic()
    files = shots.make_screenshots(browser, server, tmp_path)
    assert [f.name for f in files] == [f"screenshot_{slug}.png" for slug, *_ in shots.PAGES]
    from PIL import Image

    for f in files:
        data = f.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f.name
        assert 10_000 < len(data) < shots.MAX_BYTES, (f.name, len(data))
        with Image.open(f) as img:
            assert img.size == (VIEWPORT["width"], VIEWPORT["height"])
            # Not a blank page: a screenshot of the app has many colours and dark (text) pixels.
            grey = np.asarray(img.convert("L"))
            assert (grey < 100).mean() > 0.002 and grey.std() > 10, f.name
    print(f"{len(files)} screenshots in {time.monotonic() - t0:.1f} s")
