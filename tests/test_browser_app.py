"""The whole app (`streamlit run app.py`) in a real browser: headless Chromium driven by Playwright.

Journeys: Encode a digit takes an upload or a drawing (and survives a broken
file); every page opens from the sidebar and from a direct link; nonsense link
parameters warn instead of failing. Last, the README screenshots are
regenerated into a temporary folder (docs/make_screenshots.py). The latent map
itself is tests/test_browser_map.py.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

import docs.make_screenshots as shots
from explorer_ui.navigation import PAGES
from tests.browser_support import streamlit_server, wait_idle
from vae_core.storage import settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[1]
MODELS = settings.models_dir()
VAE, AE = "mnist_vae_z2", "mnist_ae_z2"
VIEWPORT = {"width": 1400, "height": 1000}
MAP_READY = ".lm-root[data-ready='1']"
T = 60_000  # ms: generous, the machine is shared
UPLOADS = Path(__file__).parent / "fixtures" / "uploads"  # scans, canvas exports and phone photos, not MNIST




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
    from vae_core.storage.checkpoint import load_checkpoint

    return load_checkpoint(MODELS / f"{VAE}.pt")[0]


@pytest.fixture(scope="module")
def server(latents):
    env = {"MNIST_DATA_ROOT": str(settings.data_root())}
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
    wait_idle(pg)


def assert_healthy(pg) -> None:
    """No exception box and no st.error alert on the page."""
    exc = pg.locator('[data-testid="stException"]')
    assert exc.count() == 0, f"exception on {pg.url}: {exc.first.inner_text()}"
    err = pg.locator('[data-testid="stAlertContentError"]')
    assert err.count() == 0, f"st.error on {pg.url}: {err.all_inner_texts()}"


def query(pg) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(pg.url).query).items()}


# --------------------------------------------------------------------- tests
def _expected_encoding(model, fixture: Path) -> tuple[np.ndarray, np.ndarray]:
    """mu, sigma of the fixture under the shipped VAE, computed here with the app's own preprocessing and stroke fit."""
    from vae_core.analysis import explore
    from vae_core.uploads.preprocess import preprocess
    from vae_core.uploads.stroke import fit_strokes

    mu, sigma = explore.encode(model, fit_strokes(model, preprocess(fixture.read_bytes())[None])[0])
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
    wait_idle(page)
    assert_healthy(page)
    mu, sigma = _shown_vector(page, "μ"), _shown_vector(page, "σ")
    want_mu, want_sigma = _expected_encoding(vae_model, fixture)
    assert np.allclose(mu, want_mu, atol=2e-3), (mu, want_mu)
    assert np.allclose(sigma, want_sigma, atol=2e-3) and (sigma > 0).all(), (sigma, want_sigma)
    expect(page.get_by_text(re.compile(r"test digits labelled 7: 1[0-5] of its 15 nearest"))).to_be_visible()  # an MNIST 7
    for caption in ("your image", "input x: ", "reconstruction decoder(μ)"):  # input: "preprocessed" or its stroke
        expect(page.get_by_test_id("stImageCaption").filter(has_text=caption)).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").filter(has_text="nats")).to_be_visible()
    # The posterior: its 1σ/2σ ellipses, the samples and μ drawn on the map, and the 16 decoded samples.
    expect(page.get_by_role("heading", name="Samples z = μ + σ·ε")).to_be_visible()
    # On a cold server the page's first Plotly chart mounts after the rest (Streamlit loads Plotly then).
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some(g => (g._fullData || []).length)",
                           timeout=T)
    names = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
                                   .flatMap(g => (g._fullData || []).map(t => t.name))""")
    assert {"q(z|x) 1σ", "q(z|x) 2σ", "samples z", "μ"} <= set(names), names


def test_encode_page_reads_a_phone_photo_says_when_it_is_ambiguous_and_can_keep_its_slant(page, vae_model):
    from vae_core.analysis import explore
    from vae_core.uploads.preprocess import preprocess

    photo = UPLOADS / "photo_0004_4.jpg"  # a small blue 4 under a vignette; the map's neighbours split 7/6
    open_page(page, "/Encode_a_digit?stroke=own", "Encode a digit")  # as prepared: fitted, it is clearly a 4
    upload(page, photo)
    expect(page.get_by_text("(encoder mean)")).to_be_visible(timeout=T)
    wait_idle(page)
    assert_healthy(page)
    expect(page.get_by_test_id("stImageCaption").filter(has_text="the box: the ink that was used")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Ambiguous: its 15 nearest test digits disagree: 7 are 4, 6 are 2"))).to_be_visible()
    want = explore.encode(vae_model, preprocess(photo))[0][0]
    assert np.allclose(_shown_vector(page, "μ"), want, atol=2e-3)
    page.get_by_text("Match MNIST's slant").click()  # off: the digit's own slant
    own = explore.encode(vae_model, preprocess(photo, deslant=False))[0][0]
    expect(page.get_by_text(f"({own[0]:.3f}, {own[1]:.3f})", exact=False).first).to_be_visible(timeout=T)
    wait_idle(page)
    assert np.allclose(_shown_vector(page, "μ"), own, atol=2e-3) and not np.allclose(own, want, atol=2e-3)


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
    wait_idle(page)
    assert_healthy(page)
    expect(page.get_by_text(re.compile(r"test digits labelled 1: 1[0-5] of its 15 nearest"))).to_be_visible()
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
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    expect(page.get_by_text("(encoder mean)")).to_have_count(0)
    # The page still works: a good file replaces the broken one and is encoded.
    upload(page, shots.digit_fixture())
    expect(page.get_by_text("(encoder mean)")).to_be_visible(timeout=T)
    wait_idle(page)
    expect(error).to_have_count(0)
    assert_healthy(page)


# Page title -> a text only that page shows once it has run to the end.
PAGE_TEXTS = {
    "Encode a digit": "Upload or draw a digit to see where the encoder puts it.",
    "Manifold": "Download the grid (PNG)",
    "Prior vs posterior": "Named with p ≥ 0.9",
    "Interpolate": "‖z‖ along the path",
    "Reconstruction vs KL": "Grey share of the ink on the border",
    "Train a model": "Start training",
}


def goto_in_sidebar(pg, title: str, text: str) -> None:
    pg.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(pg.locator("h1")).to_have_text(title, timeout=T)
    expect(pg.get_by_test_id("stMain").get_by_text(text).first).to_be_visible(timeout=T)
    wait_idle(pg)
    assert_healthy(pg)
    expect(pg.get_by_test_id("stSidebarNavLink").filter(has_text=title)).to_have_attribute("aria-current", "page")


def test_every_page_opens_from_the_sidebar(page):
    open_page(page)
    for title, text in PAGE_TEXTS.items():
        goto_in_sidebar(page, title, text)


@pytest.mark.parametrize("path, title, check", [
    ("/Encode_a_digit", "Encode a digit", "Upload or draw a digit"),
    (f"/Manifold?model={AE}", "Manifold", "20 × 20"),
    ("/Manifold?n=8&r=2&spacing=linear", "Manifold", "8 × 8"),
    (f"/Prior_vs_posterior?model={AE}", "Prior vs posterior", "Test digits inside the 3σ circle"),
    (f"/Interpolate?model={AE}&a=3&b=7&steps=5", "Interpolate", "‖z‖ along the path"),
    (f"/?model={AE}&idx=5", "Latent map", "Test digit #5 · digit"),
    (f"/Trade_off?model={AE}", "Reconstruction vs KL", "Blur you can see"),  # the old address leads to the new one
], ids=["encode", "manifold-ae", "manifold-params", "prior-ae", "interpolate-ae", "home-ae-idx", "old-trade-off-link"])
def test_direct_links_open_without_an_exception(page, path, title, check):
    open_page(page, path, title)
    assert_healthy(page)
    if path.startswith("/Trade_off"):
        expect(page).to_have_url(re.compile(r"/Reconstruction_vs_KL\?model="))
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    expect(page.get_by_test_id("stMain").get_by_text(check).first).to_be_visible()
    model = query(page).get("model")
    if f"model={AE}" in path:
        assert model == AE
        expect(page.get_by_role("combobox", name="Model", exact=True)).to_have_value(re.compile("^Plain autoencoder"))
    else:
        assert model == VAE


def test_nonsense_link_parameters_warn_instead_of_failing(page):
    open_page(page, "/?model=nope&z=abc&idx=-3.5&split=valid", "Latent map")
    page.wait_for_selector(MAP_READY, timeout=T)  # the default model still works
    assert_healthy(page)
    warnings = page.get_by_test_id("stAlertContentWarning")
    text = " ".join(warnings.all_inner_texts())
    for bad in ("model=nope", "z=abc", "idx=-3.5", "split=valid"):
        assert f"Ignoring the link parameter {bad}" in text, text
    expect(page.get_by_role("combobox", name="Model", exact=True)).to_have_value(re.compile("default"))
    expect(page.locator(".lm-hint")).to_be_visible()  # nothing selected

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


def test_a_deep_link_as_a_fresh_servers_first_request(browser, latents):
    """A class opens a shared link right after the server starts: the page it names, the app's own sidebar
    (titles with icons), no "Page not found"."""
    env = {"MNIST_DATA_ROOT": str(settings.data_root())}
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90) as url:
        pg = browser.new_page(viewport=VIEWPORT)
        try:
            pg.goto(f"{url}/Reconstruction_vs_KL?model={VAE}")
            expect(pg.get_by_role("heading", name="Reconstruction vs KL", exact=True)).to_be_visible(timeout=T)
            wait_idle(pg, T)
            assert pg.get_by_text("Page not found").count() == 0
            nav = pg.locator('[data-testid="stSidebarNav"] a')
            assert [text.split("\n")[-1] for text in nav.all_inner_texts()] == [title for _, title, _ in PAGES]
            assert pg.locator('[data-testid="stSidebarNav"] a [data-testid="stIconMaterial"]').count() == len(PAGES)
            assert urlparse(pg.url).path == "/Reconstruction_vs_KL"
        finally:
            pg.close()
