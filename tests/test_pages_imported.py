"""Every page with imported models (tests/external/imported.py: pytorch/examples' VAE and pythae's, native
after the import; the convolutional example, ONNX) under AppTest, in a models folder holding only them."""
from __future__ import annotations

import re

import numpy as np
import pytest

import explorer_ui as ui
from tests.test_pages import FIXTURE, PAGES, assert_ok, map_data, run_page
from vae_core.analysis import explore
from vae_core.storage import store

pytestmark = pytest.mark.slow


@pytest.fixture
def imported_folder(imported_models, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(imported_models["conv"][1].folder))
    return imported_models


@pytest.mark.parametrize("model", ["conv_z2", "examples_z2"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_an_imported_model(imported_folder, page, model):
    at = run_page(page, model=model)
    assert_ok(at)
    assert at.sidebar.selectbox[0].value == model
    card = " ".join(c.value for c in at.sidebar.caption)
    assert "β unknown" in card and ("imported (ONNX)" in card) == (model == "conv_z2")


def test_the_map_sends_the_onnx_graph_for_the_browser(imported_folder):
    at = run_page(PAGES[0], model="conv_z2")
    assert_ok(at)
    data = map_data(at)
    assert data["model_name"] == "conv_z2" and data["train_count"] == 60_000
    carriers = [e for e in at.get("bidi_component") if e.proto.component_name == "latent_map_payload"]
    payload = bytes(carriers[0].proto.bytes) if carriers else b""
    graph = store.model_files("conv_z2").weights[2].read_bytes()
    assert graph in payload and b'"format": "onnx"' in payload and b'"output": "logits"' in payload


def test_the_manifold_range_follows_the_model_spread(imported_folder):
    m = ui.load("conv_z2")
    default, largest, step = explore.manifold_range(m.plane, m.is_vae)
    spread = float(np.quantile(np.abs(m.plane), 0.99))
    assert abs(default - spread) <= step or default == 2.5  # its own spread, unless it sits at the prior's scale
    at = run_page(PAGES[2], model="conv_z2")
    assert_ok(at)
    assert at.slider(key="mf_r").value == pytest.approx(round(round(default / step) * step, 6))
    assert at.slider(key="mf_r").max == pytest.approx(largest) and largest >= np.abs(m.plane).max()


def test_models_of_unknown_beta_stay_out_of_the_beta_comparison(imported_folder):
    at = run_page(PAGES[5], model="conv_z2")
    assert_ok(at)
    assert any("Fewer than two 2-D VAEs" in i.value for i in at.info)


def test_an_upload_is_encoded_by_the_onnx_encoder(imported_folder):
    m = ui.load("conv_z2")
    expected = ui.encode_digit(m.model, FIXTURE.read_bytes(), fit_stroke=True)  # the Encode page's default
    mu, _ = explore.encode(m.model, expected.x)
    at = run_page(PAGES[1], model="conv_z2")
    at.file_uploader(key="enc_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
    at.run()
    assert_ok(at)
    shown = next(md.value for md in at.markdown if "**μ** (encoder mean)" in md.value)
    numbers = [float(v) for v in re.search(r"mean\) = \(([^)]*)\)", shown)[1].split(",")]
    assert np.allclose(numbers, mu[0], atol=1e-3)


def test_an_unusable_file_errors_only_on_its_own_page(imported_folder, tmp_path):
    folder = store.model_files("conv_z2").folder
    broken = folder / "zz_broken.pt"
    broken.write_bytes(b"not a checkpoint")
    try:
        for page in PAGES[1:6]:
            at = run_page(page, model="examples_z2")
            assert_ok(at)  # no error about zz_broken on a page about another model
        at = run_page(PAGES[2], model="zz_broken")
        shown = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # as a reader sees it (Markdown escapes removed)
        assert any("zz_broken.pt is corrupt or not a checkpoint" in text for text in shown), shown
    finally:
        broken.unlink()
