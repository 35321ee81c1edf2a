"""AppTest runs of the views that show the reconstruction-vs-KL trade-off: the trade-off page,
the classifier's verdict on prior samples, the classified manifold and the widened posterior samples."""
from __future__ import annotations

import re
import shutil

import pytest

import explorer_ui as ui
from tests.test_pages import FIXTURE, REPO, assert_ok, image_ids, plotly_specs, run_page
from vae_core.storage.checkpoint import load_checkpoint
from vae_core.storage.store import model_files, save_native

BETA_MODELS = ["mnist_vae_z2_beta0.1", "mnist_vae_z2", "mnist_vae_z2_beta4"]
needs_beta_models = pytest.mark.skipif(
    not all((REPO / "models" / f"{n}.pt").exists() for n in BETA_MODELS)
    or not (REPO / "models" / "classifiers" / "mnist_cnn.pt").exists(),
    reason="the beta models and the classifier are not in models/",
)
pytestmark = [needs_beta_models, pytest.mark.slow]


def test_trade_off_page_orders_the_beta_models_along_rate_and_distortion():
    at = run_page("pages/5_Reconstruction_vs_KL.py")
    assert_ok(at)
    rows = at.dataframe[0].value
    assert list(rows["β"]) == [0.1, 1.0, 4.0]
    # More beta buys less KL (rate) at the cost of reconstruction (distortion) on the training set; on the
    # test set beta 4 reconstructs worst (beta 0.1 overfits: its test reconstruction is no better than beta 1's).
    assert list(rows["KL"]) == sorted(rows["KL"], reverse=True)
    assert list(rows["train recon"]) == sorted(rows["train recon"])
    assert rows["recon"].iloc[2] == rows["recon"].max()
    assert rows["confident prior samples"].between(0, 100).all()
    titles = [s.get("layout", {}).get("title", {}).get("text", "") for s in plotly_specs(at)]
    assert any("Rate (KL) against distortion" in t for t in titles)
    assert [h.value for h in at.subheader] == ["β = 0.1", "β = 1", "β = 4"]


def test_trade_off_curves_show_train_and_test_per_model():
    at = run_page("pages/5_Reconstruction_vs_KL.py")
    curves = plotly_specs(at)[0]
    default, beta4 = ui.describe_model("mnist_vae_z2"), ui.describe_model("mnist_vae_z2_beta4")
    assert {trace["name"] for trace in curves["data"]} == {f"{default} · train"}  # the selector's names
    # The default was trained before training recorded the test set per epoch: the page says so, and no "dashed".
    caption = next(c.value for c in at.caption if c.value.startswith("Solid:"))
    assert "Test curves were not recorded for VAE · 2" in caption and "dashed" not in caption
    at.multiselect(key="to_curves").select("mnist_vae_z2_beta4").run()
    assert_ok(at)
    names = {t["name"] for t in plotly_specs(at)[0]["data"]}
    assert {f"{beta4} · train", f"{beta4} · test"} <= names
    assert "dashed: the test set" in next(c.value for c in at.caption if c.value.startswith("Solid:"))
    kl_traces = [t for t in plotly_specs(at)[0]["data"] if t["name"].startswith(beta4) and t["xaxis"] == "x2"]
    assert len(kl_traces) == 2 and len(kl_traces[0]["x"]) == 150


def test_blur_between_two_classes_and_a_new_bernoulli_sample():
    at = run_page("pages/5_Reconstruction_vs_KL.py", seed=1)
    grey = next(metric for metric in at.metric if metric.label.startswith("Grey share"))  # of the border z
    assert 0 < float(grey.value.rstrip(" %")) <= 100
    before = image_ids(at)
    at.button(key="to_seed_new").click().run()
    assert_ok(at)
    assert image_ids(at) != before
    at.selectbox(key="to_b").set_value(4).run()  # the same class twice
    assert any("two different classes" in i.value for i in at.info)


def test_prior_page_reports_the_classifiers_verdict_for_both_models():
    at = run_page("pages/3_Prior_vs_posterior.py", seed=0)
    assert_ok(at)
    named = [float(m.value.rstrip(" %")) for m in at.metric if m.label == "Named with p ≥ 0.9"]
    spread = [float(m.value.split()[0]) for m in at.metric if m.label == "Spread over classes"]
    assert len(named) == len(spread) == 2  # the VAE, then the autoencoder
    assert named[0] > named[1]  # the VAE's prior samples look like digits more often
    assert all(0 <= s <= 3.33 for s in spread)
    bars = [spec for spec in plotly_specs(at) if "verdict" in spec["layout"].get("title", {}).get("text", "")]
    assert len(bars) == 2 and all(spec["layout"]["xaxis"]["type"] == "category" for spec in bars)
    assert bars[0]["data"][0]["x"][-1] == "unsure" and len(bars[0]["data"][0]["x"]) == 11


def test_manifold_can_colour_tiles_by_the_classifier():
    at = run_page("pages/2_Manifold.py", n=10)
    plain = plotly_specs(at)[0]["layout"]["images"][0]["source"]
    at.toggle(key="mf_classes").set_value(True).run()
    assert_ok(at)
    spec = plotly_specs(at)[0]
    assert spec["layout"]["images"][0]["source"] != plain
    assert len([t for t in spec["data"] if t.get("name")]) >= 5  # a legend entry per class named somewhere
    assert any("names" in c.value and "of the tiles" in c.value for c in at.caption)


def test_encode_page_widens_sigma_for_display_only():
    at = run_page("pages/1_Encode_a_digit.py")
    at.file_uploader(key="enc_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
    at.run()
    true_scale = len(at.image)
    at.segmented_control(key="enc_spread").set_value(20).run()
    assert_ok(at)
    assert len(at.image) == true_scale + 1 and at.query_params["spread"] == "20"
    assert any("not the model's own" in (img.proto.imgs[0].caption if img.proto.imgs else "") for img in at.image)


def test_the_prior_verdict_is_one_figure_on_both_pages():
    """Prior vs posterior and the Reconstruction vs KL table quote the same draw of 4,000 samples."""
    prior = run_page("pages/3_Prior_vs_posterior.py", seed=3)  # a new seed redraws the samples shown, not the verdict
    named = next(m.value for m in prior.metric if m.label == "Named with p ≥ 0.9")
    table = run_page("pages/5_Reconstruction_vs_KL.py").dataframe[0].value
    share = table.loc[table["model"] == ui.describe_model("mnist_vae_z2"), "confident prior samples"].item()
    assert named == f"{share:.1f} %" == "76.1 %"  # the README's figure (tests/test_summary.py)


@pytest.fixture
def with_a_short_run(tmp_path, monkeypatch, data_root):
    """A models folder with the three beta models and a 1-epoch beta-1 run of the same architecture."""
    for name in BETA_MODELS:
        for path in model_files(name, REPO / "models").all_files:
            if path.exists():  # a shipped model has no record of the app's training
                shutil.copy(path, tmp_path / path.name)
    model, metrics = load_checkpoint(REPO / "models" / "mnist_vae_z2.pt")
    short = "mnist_vae_z2_beta1_20261203-1812"
    save_native(model, model_files(short, tmp_path), {**metrics, "epochs": 1, "history": metrics["history"][:1]}, data_root)
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(tmp_path))
    return short


def test_beta_comparison_holds_like_with_like_and_names_every_entry(with_a_short_run):
    at = run_page("pages/5_Reconstruction_vs_KL.py")
    assert_ok(at)
    rows = at.dataframe[0].value
    assert list(rows["β"]) == [0.1, 1.0, 4.0], "the 1-epoch run joined the 150-epoch family"
    assert rows["model"].is_unique and not at.warning
    family = at.multiselect(key="to_family")
    assert with_a_short_run in family.options or any(ui.describe_model(with_a_short_run) in o for o in family.options)
    family.select(with_a_short_run).run()
    assert_ok(at)
    rows = at.dataframe[0].value
    assert list(rows["β"]) == [0.1, 1.0, 1.0, 4.0] and rows["model"].is_unique
    assert "differ in more than β" in at.warning[0].value and "1 epoch," in at.warning[0].value
    rd = next(s for s in plotly_specs(at) if "Rate (KL)" in s["layout"].get("title", {}).get("text", ""))
    test_lines = [t for t in rd["data"] if t["name"].startswith("test set")]
    assert [len(t["x"]) for t in test_lines] == [3, 1], "one line per recipe, not a zig-zag through both"
    assert [h.value for h in at.subheader].count("β = 1") == 2
    captions = [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]  # as a reader sees them
    assert ui.describe_model(with_a_short_run) in captions and ui.describe_model("mnist_vae_z2") in captions


def test_the_short_run_selected_is_compared_with_nothing_by_default(with_a_short_run):
    at = run_page("pages/5_Reconstruction_vs_KL.py", model=with_a_short_run)
    assert_ok(at)
    assert at.multiselect(key="to_family").value == [with_a_short_run]
    assert any("nothing to compare" in i.value for i in at.info)
