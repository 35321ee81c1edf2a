"""The Train page in a real browser: a tiny run whose curves and map update after every epoch, a second tab
watching it, and the finished model in the selector of the other pages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_support import copy_default_model, streamlit_server, wait_idle
from tests.test_browser_layout import layout_problems, settle
from vae_core.storage import settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "models" / "mnist_vae_z2.pt"
T = 120_000
EPOCHS = 8


@pytest.fixture(scope="module")
def models(tmp_path_factory, data_root):
    folder = tmp_path_factory.mktemp("models")
    copy_default_model(folder)
    return folder


@pytest.fixture(scope="module")
def server(models):
    env = {"MNIST_DATA_ROOT": str(settings.data_root()), "LATENT_EXPLORER_MODELS": str(models)}
    with streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=90) as url:
        yield url


def open_page(browser, url: str, viewport=(1400, 1000)):
    pg = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    pg.set_default_timeout(T)
    pg.goto(url)
    return pg


def curve_points(pg) -> int:
    """Epochs drawn in the live curves (the training reconstruction trace)."""
    return pg.evaluate("() => { const g = document.querySelector('.js-plotly-plot');"
                       " return g && g.data ? g.data[0].x.length : 0; }")


def test_a_tiny_run_updates_its_curves_and_map_and_joins_every_selector(browser, server, models):
    pg = open_page(browser, f"{server}/Train")
    pg.get_by_role("button", name="Start training").wait_for()
    # Long enough to watch from a reload and a second tab: a run in its own process trains faster than the
    # threads it once shared with the server (8 epochs of all 60,000 images: about 30 s here).
    pg.get_by_label("Epochs", exact=True).and_(pg.locator("input")).fill(str(EPOCHS))
    slider = pg.get_by_role("slider", name="Share of the training set")
    slider.focus()
    slider.press("End")
    expect(slider).to_have_attribute("aria-valuetext", "100%")
    pg.get_by_role("button", name="Start training").click()
    expect(pg.get_by_text("Training (started by you)")).to_be_visible(timeout=T)
    expect(pg.get_by_text("Training on: CPU", exact=False)).to_be_visible()
    # A reload is a new session of the same browser: the run is still this visitor's, with its Cancel.
    pg.reload()
    expect(pg.get_by_text("Training (started by you)")).to_be_visible(timeout=T)
    expect(pg.get_by_role("button", name="Cancel training")).to_be_visible()
    expect(pg.get_by_text(re.compile(r"Means of 2,000 test images after epoch \d"))).to_be_visible(timeout=T)
    # A second tab sees the run and cannot start another.
    watcher = open_page(browser, f"{server}/Train", viewport=(390, 844))
    expect(watcher.get_by_text("Training (started by another visitor)")).to_be_visible(timeout=T)
    assert watcher.get_by_role("button", name="Start training").count() == 0
    assert watcher.get_by_role("button", name="Cancel training").count() == 0
    watcher.close()
    pg.bring_to_front()
    expect(pg.get_by_text(re.compile(r"Means of 2,000 test images after epoch [2-8]\b"))).to_be_visible(timeout=T)
    assert curve_points(pg) >= 2  # the curves grew with the map
    expect(pg.get_by_text("it is now in the model selector", exact=False)).to_be_visible(timeout=T)
    wait_idle(pg)
    assert curve_points(pg) == EPOCHS
    trained = sorted(p.stem for p in models.glob("*.pt") if p.stem != DEFAULT.stem)
    assert len(trained) == 1
    # Another browser lists it but may not delete it; this one may.
    stranger = open_page(browser, f"{server}/Train")
    expect(stranger.get_by_text("another visitor's", exact=True)).to_be_visible(timeout=T)
    assert stranger.get_by_role("button", name="Delete").count() == 0
    stranger.close()
    expect(pg.get_by_role("button", name="Delete")).to_have_count(1)
    for size in ((1400, 1000), (390, 844)):  # the finished run's curves and map beside (or above) the form
        view = open_page(browser, f"{server}/Train", viewport=size)
        view.get_by_text("it is now in the model selector", exact=False).wait_for()
        settle(view)
        assert not layout_problems(view), layout_problems(view)
        view.close()
    # Its button opens it on the latent map; another page lists it in its selector too.
    pg.get_by_role("button", name="Explore it on the latent map").click()
    expect(pg.locator("h1")).to_have_text("Latent map", timeout=T)
    expect(pg.get_by_test_id("stSidebar")).to_contain_text(f"{EPOCHS} epochs on MNIST", timeout=T)  # its card: it is the model
    assert f"model={trained[0]}" in pg.evaluate("() => location.href")
    pg.get_by_test_id("stSidebarNavLink").filter(has_text="Manifold").click()
    expect(pg.locator("h1")).to_have_text("Manifold", timeout=T)
    pg.get_by_role("combobox", name="Model").click()
    expect(pg.get_by_role("option", name="VAE · 2-D latent · MNIST (default)")).to_be_visible()
    expect(pg.get_by_role("option").filter(has_text="trained")).to_have_count(1)
    pg.close()
