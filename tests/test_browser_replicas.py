"""Two real servers on one models folder, as replicas behind a load balancer with a shared volume: one
training at a time across both, and a model trained on one is listed, and deletable, on the other."""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.browser_support import copy_default_model, streamlit_server
from vae_core.storage import settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "models" / "mnist_vae_z2.pt"
T = 120_000
# Behind one load balancer both replicas are one origin, so a browser keeps one id for both; here they are two
# ports (two origins), so the id is set alike in each.
SAME_BROWSER = "localStorage.setItem('latent-explorer-visitor', '0123456789abcdef0123456789abcdef')"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, data_root):
    models = tmp_path_factory.mktemp("shared-volume")
    copy_default_model(models)
    env = {"MNIST_DATA_ROOT": str(settings.data_root()), "LATENT_EXPLORER_MODELS": str(models)}
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(streamlit_server(ROOT / "app.py", cwd=ROOT, env=env, timeout=120)) for _ in "ab"]
        yield urls, models


def train_form(pg, epochs: int) -> None:
    """The form's epochs and the smallest share of the training set (1 %: 600 images)."""
    pg.get_by_label("Epochs", exact=True).and_(pg.locator("input")).fill(str(epochs))
    slider = pg.get_by_role("slider", name="Share of the training set")
    slider.focus()
    slider.press("Home")
    expect(slider).to_have_attribute("aria-valuetext", "1%")


def test_two_servers_on_one_folder_act_as_one(browser, replicas):
    (a, b), models = replicas
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(SAME_BROWSER)
    context.set_default_timeout(T)
    on_a, on_b = context.new_page(), context.new_page()
    on_a.goto(f"{a}/Train")
    train_form(on_a, 200)  # the longest run the form takes: cancelled below
    on_a.get_by_role("button", name="Start training").click()
    expect(on_a.get_by_role("button", name="Cancel training")).to_be_visible(timeout=T)

    on_b.goto(f"{b}/Train")  # the other server sees the run and offers no form
    expect(on_b.get_by_text("A training is running on another server of this app", exact=False)).to_be_visible(timeout=T)
    assert on_b.get_by_role("button", name="Start training").count() == 0

    on_a.get_by_role("button", name="Cancel training").click()
    expect(on_a.get_by_text("nothing was written", exact=False)).to_be_visible(timeout=T)
    on_b.get_by_role("button", name="Check again").click()
    train_form(on_b, 1)  # now B may train: one epoch, saved
    on_b.get_by_role("button", name="Start training").click()
    expect(on_b.get_by_text("it is now in the model selector", exact=False)).to_be_visible(timeout=T)
    trained = [p.stem for p in models.glob("*.pt") if p.stem != DEFAULT.stem]
    assert len(trained) == 1

    on_a.goto(f"{a}/Train")  # A lists B's model, as this browser's own (it is one visitor behind the balancer)
    row = on_a.get_by_text(f"({trained[0]}.pt)", exact=False)
    expect(row).to_be_visible(timeout=T)
    on_a.get_by_role("button", name="Delete").click()
    on_a.get_by_role("button", name="Delete for good").click()
    expect(row).to_have_count(0, timeout=T)
    assert not list(models.glob(f"{trained[0]}*"))
    on_b.goto(f"{b}/Train")  # and B no longer lists it
    expect(on_b.get_by_text("None yet.", exact=False)).to_be_visible(timeout=T)
    context.close()
