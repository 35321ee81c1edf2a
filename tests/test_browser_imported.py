"""The shipped convolutional VAE, an imported ONNX model, on the latent map in a real browser: ONNX Runtime
Web decodes it there (fetched only for such a model); hover, a click on a dot, a slider step and the link
all show what the server's onnxruntime decodes."""
from __future__ import annotations

import re

import numpy as np
import pytest

from tests.browser_support import streamlit_server
from tests.test_browser_map import (
    MODELS,
    READY,
    ROOT,
    T,
    expect,
    isolated_points,
    new_page,
    panel_pixels,
    query,
    select_dot,
    state,
)
from vae_core.analysis import explore
from vae_core.storage import settings, store
from vae_core.storage.checkpoint import file_sha256

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CONV = "mnist_conv_vae_z2"
RUNTIME = "vendor/onnxruntime-web/"


@pytest.fixture(scope="module")
def conv():
    files = store.model_files(CONV, MODELS)
    if not files.is_onnx:
        pytest.skip(f"the shipped model {CONV} is not in {MODELS}")
    model, _ = store.load_model(files)
    return model, store.load_cache(files, model.info.latent_dim, file_sha256(files.main))


@pytest.fixture(scope="module")
def server(conv):
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env={"MNIST_DATA_ROOT": str(settings.data_root())}, timeout=90) as url:
        yield url


@pytest.fixture
def conv_page(browser, server, conv):
    pg = new_page(browser, f"{server}/?model={CONV}")
    yield pg
    errors = pg.errors
    pg.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


def server_pixels(model, z) -> np.ndarray:
    return 255 * explore.decode(model, np.asarray(z, np.float32)).reshape(-1)


def wait_painted(pg, model, z, selector=".lm-digit") -> None:
    """The ONNX decoder answers asynchronously: wait until the canvas shows decode(z)."""
    want = server_pixels(model, z)
    for _ in range(100):
        if np.abs(panel_pixels(pg, selector) - want).max() <= 1.0:
            return
        pg.wait_for_timeout(20)
    raise AssertionError(f"{selector} never showed decode({z})")


def test_the_browser_decodes_the_onnx_model_as_the_server_does(conv_page, conv):
    model, conv_cache = conv
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 2, (150, 2)), conv_cache.mu[:48], [[8, 8], [-8, -8]]]).astype(np.float32)
    got = np.array(conv_page.evaluate("zs => window.__latentMap.decodeMany(zs)", z.tolist()))
    want = explore.decode(model, z).reshape(len(z), -1)
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-3


def test_hover_click_and_slider_show_the_server_decode(conv_page, conv):
    model, conv_cache = conv
    box = conv_page.locator(".lm-overlay").bounding_box()
    for fx, fy in ((0.3, 0.4), (0.62, 0.55), (0.08, 0.9)):
        conv_page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        expect(conv_page.locator(".lm-mode")).to_have_text("hover")
        conv_page.wait_for_function("() => window.__latentMap.lastZ && window.__latentMap.lastZ[0] !== 0")
        wait_painted(conv_page, model, conv_page.evaluate("() => window.__latentMap.lastZ"))

    row = isolated_points(conv_cache.mu, 1, box=2.0)[0]
    select_dot(conv_page, conv_cache, row)
    title = f"Test digit #{row} · digit {int(conv_cache.labels[row])}"
    expect(conv_page.locator(".lm-sel-title")).to_have_text(title)
    expect(conv_page.locator(".lm-mu")).to_have_text("μ = (" + ", ".join(f"{v:.3f}" for v in conv_cache.mu[row]) + ")")
    wait_painted(conv_page, model, conv_cache.mu[row], ".lm-recon canvas")  # decoder(μ), filled in when it arrives
    expect(conv_page).to_have_url(re.compile(f"idx={row}"))

    conv_page.mouse.move(2, 2)
    slider = conv_page.locator(".lm-slider input").first
    slider.focus()
    conv_page.keyboard.press("ArrowRight")
    z = state(conv_page)["z"]
    assert z[0] != conv_cache.mu[row][0]
    wait_painted(conv_page, model, z)
    assert query(conv_page)["model"] == CONV


def test_the_runtime_is_fetched_only_for_an_onnx_model(browser, server):
    seen = []
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.add_init_script("globalThis.__latentMapTesting = true")
    pg.on("request", lambda r: seen.append(r.url))
    pg.goto(server)
    pg.wait_for_selector(READY, timeout=T)
    assert not [u for u in seen if RUNTIME in u]  # the default (native MLP) model needs none of it
    pg.goto(f"{server}/?model={CONV}")
    pg.wait_for_selector(READY, timeout=T)
    assert any(u.endswith("ort-wasm-simd-threaded.wasm") for u in seen)
    pg.close()


def test_a_decoder_the_browser_cannot_run_is_explained_on_the_map(browser, server):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.route("**/ort-wasm-simd-threaded.wasm", lambda route: route.abort())  # as if the runtime could not load
    try:
        pg.goto(f"{server}/?model={CONV}")
        expect(pg.locator(".lm-error")).to_contain_text("The map cannot show this model", timeout=T)
        expect(pg.locator(".lm-error")).to_contain_text("The other pages run it on the server")
    finally:
        pg.close()
