"""The Inside the encoder page under AppTest: its sums equal the encoder's own outputs for the digit in the link,
its sampling table is z = mu + sigma * eps, and it says what it cannot show (autoencoder, imported model)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import explorer_ui as ui
from tests.test_pages import FIXTURE, assert_ok, run_page
from vae_core.analysis import explore

PAGE = "pages/7_Inside_the_encoder.py"


def captions(at) -> str:
    return re.sub(r"\\(.)", r"\1", " ".join(c.value for c in at.caption))


@pytest.fixture(scope="module")
def test_images(data_root):
    return ui.dataset_images("mnist", "test")


def test_the_sum_shown_is_the_encoders_mu_for_the_linked_digit(test_images):
    at = run_page(PAGE, idx=42)
    assert_ok(at)
    assert at.number_input(key="in_idx").value == 42 and at.query_params["idx"] == "42"
    m = ui.load(ui.DEFAULT_MODEL)
    mu, sigma = explore.encode(m.model, test_images[42].astype(np.float32) / 255)  # the app's own encode path
    shown = re.search(r"μ1 = Σⱼ wⱼ·hⱼ \+ b over the 256 units .*= (-?\d+\.\d+); the encoder returned (-?\d+\.\d+)",
                      captions(at))
    assert shown, captions(at)
    assert float(shown[1]) == pytest.approx(mu[0, 0], abs=1e-3) and float(shown[2]) == pytest.approx(mu[0, 0], abs=1e-3)
    assert "test digit #42 (4)" in captions(at)
    table = at.dataframe[-1].value.set_index("")  # the sampling step: one row per quantity, one column per z_d
    row = {name: table.loc[name].to_numpy(float) for name in table.index}
    np.testing.assert_allclose(row["σ = exp(½ log σ²)"], sigma[0], rtol=1e-4)
    np.testing.assert_allclose(row["z = μ + σ·ε"], row["μ"] + row["σ = exp(½ log σ²)"] * row["ε ~ N(0, 1)"], atol=1e-9)
    np.testing.assert_allclose(row["∂z/∂μ"], 1.0)
    np.testing.assert_allclose(row["∂z/∂log σ²"], 0.5 * row["σ = exp(½ log σ²)"] * row["ε ~ N(0, 1)"], atol=1e-9)


def test_every_output_can_be_shown_and_adds_up(test_images):
    at = run_page(PAGE, idx=7)
    box = at.selectbox(key="in_output")
    assert box.options == ["μ1", "μ2", "log σ1²", "log σ2²"]
    at = box.select(("logvar", 1)).run()
    assert_ok(at)
    m = ui.load(ui.DEFAULT_MODEL)
    _, sigma = explore.encode(m.model, test_images[7].astype(np.float32) / 255)
    shown = re.search(r"log σ2² = Σⱼ .*= (-?\d+\.\d+); the encoder returned", captions(at))
    assert shown and float(shown[1]) == pytest.approx(2 * np.log(sigma[0, 1]), abs=1e-3)


def test_an_upload_is_looked_inside_too(data_root):
    at = run_page(PAGE)
    at.file_uploader(key="in_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
    at.run()
    assert_ok(at)
    assert "your upload (seven.png)" in captions(at)
    at.file_uploader(key="in_upload").set_value(("bad.png", b"not an image at all", "image/png"))
    at.run()
    assert at.error and not at.exception


def test_an_autoencoder_samples_nothing_and_a_16d_model_has_32_outputs(data_root):
    at = run_page(PAGE, model=ui.AE_MODEL)
    assert_ok(at)
    assert at.selectbox(key="in_output").options == ["μ1", "μ2"]
    assert any("A plain autoencoder has no σ" in i.value for i in at.info)
    at = run_page(PAGE, model="mnist_vae_z16")
    assert_ok(at)
    assert len(at.selectbox(key="in_output").options) == 32

