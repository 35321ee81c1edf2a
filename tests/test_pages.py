"""Every page of the app through streamlit.testing.v1.AppTest, with the shipped models.

Pages run as the app runs them: app.py's navigation first, then the page.
Fast: the pure helpers (the upload handler) and one AppTest smoke run per page.
Slow (AppTest runs of the real scripts, under a second to a few each): every
page with the autoencoder, the map's events, nonsense links, uploads, corrupt
checkpoints, no dataset.
"""
from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import explorer_ui as ui
from vae_core.analysis import explore
from vae_core.uploads.preprocess import preprocess
from vae_core.uploads.stroke import fit_strokes

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "app_digit_7.png"  # MNIST test digit #0, dark ink on white, 4x
PAGES = ["pages/0_Latent_map.py", "pages/1_Encode_a_digit.py", "pages/2_Manifold.py", "pages/3_Prior_vs_posterior.py",
         "pages/4_Interpolate.py", "pages/5_Reconstruction_vs_KL.py", "pages/6_Train.py", "pages/7_Inside_the_encoder.py"]
MODELS = [ui.VAE_MODEL, ui.AE_MODEL]
TIMEOUT = 60

needs_models = pytest.mark.skipif(
    not all((REPO / "models" / f"{n}.pt").exists() and (REPO / "models" / f"{n}.latents.npz").exists() for n in MODELS),
    reason="the shipped models are not in models/",
)


def run_page(page: str, **params) -> AppTest:
    """Run `page` through app.py's navigation with these link parameters."""
    at = AppTest.from_file(str(REPO / "tests" / "app_entry.py"), default_timeout=TIMEOUT)
    if page != PAGES[0]:
        at.run()  # AppTest can switch pages only after a first run
        at.switch_page(f"../{page}")
    at.query_params.clear()
    at.query_params.update({k: str(v) for k, v in params.items()})
    return at.run()


def image_captions(at: AppTest) -> list[str]:
    return [img.proto.imgs[0].caption for img in at.image if img.proto.imgs]


def warnings(at: AppTest) -> str:
    """The warnings as a reader sees them (Markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))


def map_views(at: AppTest) -> list[dict]:
    """The data each latent map on the page was given in the last run (one JSON text: latent_component)."""
    return [json.loads(json.loads(e.proto.json)["json"]) for e in at.get("bidi_component")
            if e.proto.component_name == "latent_map"]


def map_data(at: AppTest) -> dict:
    """The data the latent map component was given in the last run."""
    views = map_views(at)
    assert len(views) == 1, "one map on the page"
    return views[0]


def click_on_map(at: AppTest, model: str, z, split=None, index=None) -> AppTest:
    """What the browser reports after a click (or slider release) on the map; reruns."""
    at.session_state["latent_map"] = {"selection": {"model": model, "z": list(z), "split": split, "index": index,
                                                    "source": "click", "t": 1}}
    return at.run()


def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def image_ids(at: AppTest) -> list[str]:
    return [url for img in at.image for url in img.value]


def plotly_specs(at: AppTest) -> list[dict]:
    """Every chart's figure: Streamlit's chart elements, then those drawn with the map's plotly.js
    (latent_component.chart), each in page order."""
    return ([json.loads(el.proto.spec) for el in at.get("plotly_chart")]
            + [json.loads(json.loads(el.proto.json)["json"]) for el in at.get("bidi_component")
               if el.proto.component_name.endswith("plotly_figure")])


# ----------------------------------------------------------------- fast
def test_image_helpers():
    img = np.linspace(0, 1, 28 * 28, dtype=np.float32).reshape(28, 28)
    big = ui.upscale(img, 196)
    assert big.shape == (196, 196) and big.dtype == np.uint8
    assert (big[:7, :7] == big[0, 0]).all()  # nearest neighbour: 7x7 blocks
    png = ui.png_bytes(img, 280)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@needs_models
@pytest.mark.parametrize("name", MODELS)
def test_upload_handler_puts_a_real_7_among_the_7s(name):
    m = ui.load(name)
    enc = ui.encode_digit(m.model, FIXTURE.read_bytes())
    assert enc.x.shape == (28, 28) and enc.mu.shape == enc.sigma.shape == (m.dim,)
    assert (enc.sigma > 0).all() if m.is_vae else (enc.sigma == 0).all()
    near = m.cache.labels[explore.nearest_means(m.mu, enc.mu, 15)]
    assert (near == 7).sum() > 7, near


@needs_models
def test_upload_handler_outlines_where_the_ink_was_found():
    photo = FIXTURE.parent / "uploads" / "photo_0009_9.jpg"  # 320 x 240, the 9's ink at (69, 61)-(143, 172)
    enc = ui.encode_digit(ui.load(ui.VAE_MODEL).model, photo.read_bytes())
    assert enc.preview.shape == (240, 320, 3)  # small enough to be shown at its own size
    left, top, right, bottom = enc.box
    assert abs(left - 69) <= 4 and abs(top - 61) <= 4 and abs(right - 143) <= 4 and abs(bottom - 172) <= 4
    shown = ui.with_box(enc.preview, enc.box)
    orange = np.array([0xE8, 0x59, 0x0C])
    assert (shown[top:bottom, left - 1] == orange).all() and (shown[bottom, left:right] == orange).all()
    assert (shown[top + 2:bottom - 2, left + 2:right - 2] == enc.preview[top + 2:bottom - 2, left + 2:right - 2]).all()


@needs_models
def test_upload_handler_rejects_a_bad_file():
    with pytest.raises(ui.ImageDecodeError):
        ui.encode_digit(ui.load(ui.VAE_MODEL).model, b"this is not an image")


# ----------------------------------------------------------------- AppTest


@needs_models
@pytest.mark.parametrize("model", [ui.VAE_MODEL, pytest.param(ui.AE_MODEL, marks=pytest.mark.slow)])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_both_models(page, model):
    """A smoke run of every page (fast with the VAE; the autoencoder runs are marked slow)."""
    at = run_page(page, model=model)
    assert_ok(at)
    assert not at.warning, [w.value for w in at.warning]
    assert at.query_params["model"] == model
    assert at.sidebar.selectbox[0].value == model


@pytest.mark.slow
@needs_models
@pytest.mark.parametrize("page", PAGES)
def test_nonsense_link_warns_and_falls_back(page):
    at = run_page(page, model="../../etc/passwd", z="abc", idx="-5x", n="lots", spacing="zigzag", seed="nan",
                  a="1e99", b="two", steps="abc", k="x")
    assert_ok(at)
    assert "model=../../etc/passwd" in warnings(at)
    assert at.sidebar.selectbox[0].value == ui.DEFAULT_MODEL
    assert at.query_params["model"] == "../../etc/passwd"  # left as given: its warning stays on every rerun


@pytest.mark.slow
@needs_models
@pytest.mark.parametrize("model", MODELS)
def test_the_map_gets_the_model_and_one_set_of_sliders(model):
    at = run_page(PAGES[0], model=model)
    assert_ok(at)
    data = map_data(at)
    m = ui.load(model)
    assert data["model_name"] == model and len(data["ranges"]) == m.dim
    assert data["label_names"] == [str(d) for d in range(10)] and data["train_count"] == 60_000
    assert data["initial"] is None and data["original"] is None and data["train_key"]
    assert not at.slider, "z has one owner, the map: no server-side sliders"


@pytest.mark.slow
@needs_models
def test_a_click_on_a_dot_writes_the_link_and_sends_the_original(data_root):
    at = run_page(PAGES[0])
    m = ui.load(ui.VAE_MODEL)
    at = click_on_map(at, ui.VAE_MODEL, m.mu[42].tolist(), "test", 42)
    assert_ok(at)
    assert at.query_params["idx"] == "42" and "split" not in at.query_params
    assert [float(v) for v in at.query_params["z"].split(",")] == pytest.approx(m.mu[42], abs=5e-4)
    original = map_data(at)["original"]
    pixels = np.frombuffer(base64.b64decode(original["pixels"]), np.uint8).reshape(28, 28)
    assert (original["split"], original["index"]) == ("test", 42)
    assert np.array_equal(pixels, ui.dataset_images("mnist", "test")[42])
    # Empty space: z only, the selected digit is gone from the link.
    at = click_on_map(at, ui.VAE_MODEL, [1.25, -0.5])
    assert "idx" not in at.query_params and at.query_params["z"] == "1.25,-0.5"
    assert map_data(at)["original"] is None


@pytest.mark.slow
@needs_models
def test_payloads_are_sent_with_the_first_run_then_only_when_the_browser_lacks_them():
    carriers = lambda at: [e.proto for e in at.get("bidi_component") if e.proto.component_name == "latent_map_payload"]  # noqa: E731
    at = run_page(PAGES[0])
    data = map_data(at)
    (model,) = carriers(at)  # a new session: the model payload comes at once, without a round trip
    assert model.bytes[:4] == b"LEX2" and len(model.bytes) > 2_000_000
    assert data["carried"] == [data["key"]], "the map is told it is on its way, so it does not ask"
    at.run()
    assert carriers(at) == [] and map_data(at)["carried"] == [], "sent once per session"
    at.session_state["latent_map"] = {"need": [data["key"]]}  # a browser that lost it asks again
    at.run()
    assert_ok(at)
    (model,) = carriers(at)
    assert model.bytes[:4] == b"LEX2" and len(model.bytes) > 2_000_000
    at.session_state["latent_map"] = {"need": [data["key"], data["train_key"]]}
    at.run()
    model, train = carriers(at)
    assert len(train.bytes) > 60_000 * 2 * 4 * 2  # mu and logvar of 60,000 training digits
    at.session_state["latent_map"] = {"need": []}  # back from another page: the browser has both
    at.run()
    assert carriers(at) == []


@pytest.mark.slow
@needs_models
def test_a_malformed_event_from_the_browser_is_ignored():
    at = run_page(PAGES[0])
    for z, split, index in (([float("nan"), 0.0], None, None), ([0.0], None, None), ([0.0, 0.0], "test", 10**6),
                            ([0.0, 0.0], "valid", 3), ([0.0, 0.0], "test", "3"), ([0.0, 0.0], "test", True),
                            ([True, 0.0], None, None)):
        at = click_on_map(at, ui.VAE_MODEL, z, split, index)
        assert_ok(at)
        assert "z" not in at.query_params and "idx" not in at.query_params
    # A z far off the map is clamped to what a link may hold (the sliders' range, plus its width each side).
    at = click_on_map(at, ui.VAE_MODEL, [1e308, -1e308])
    z = [float(v) for v in at.query_params["z"].split(",")]
    assert len(at.query_params["z"]) < 20 and 9 <= z[0] <= 20 and 9 <= -z[1] <= 20


@pytest.mark.slow
@needs_models
def test_markdown_in_a_link_is_shown_as_text():
    at = run_page(PAGES[0], model="[Log in again](https://evil.example/login)", split="![x](https://evil.example/t.png)")
    assert_ok(at)
    shown = " ".join(w.value for w in at.warning)
    assert "\\[Log in again\\]\\(https\\://evil\\.example/login\\)" in shown, shown
    assert "\\!\\[x\\]" in shown and "](https" not in shown.replace("\\]\\(", "")


@pytest.mark.slow
@needs_models
def test_map_link_restores_z_and_selected_digit():
    at = run_page(PAGES[0], z="1.5,-0.5", idx=42)
    assert_ok(at)
    assert map_data(at)["initial"] == {"z": [1.5, -0.5], "split": "test", "index": 42}
    at = run_page(PAGES[0], idx=7, split="train")
    assert map_data(at)["initial"] == {"z": None, "split": "train", "index": 7}


@pytest.mark.slow
@needs_models
def test_switching_model_on_the_map_starts_from_the_new_models_defaults():
    at = run_page(PAGES[0], z="1.5,-0.5", idx=42)
    at.sidebar.selectbox[0].set_value(ui.AE_MODEL).run()
    assert_ok(at)
    assert at.query_params["model"] == ui.AE_MODEL
    assert "idx" not in at.query_params and "z" not in at.query_params
    data = map_data(at)
    assert data["model_name"] == ui.AE_MODEL and data["initial"] is None


@pytest.mark.slow
@needs_models
def test_a_selection_from_another_model_is_ignored():
    at = run_page(PAGES[0], model=ui.AE_MODEL)
    at = click_on_map(at, ui.VAE_MODEL, [0.5, 0.5], "test", 3)
    assert_ok(at)
    assert "idx" not in at.query_params and map_data(at)["original"] is None


@pytest.mark.slow
@needs_models
def test_map_nonsense_link_keeps_the_page_working():
    at = run_page(PAGES[0], z="abc", idx="-3.5", split="valid")
    assert_ok(at)
    for bad in ("z=abc", "idx=-3.5", "split=valid"):
        assert bad in warnings(at), warnings(at)
    assert map_data(at)["initial"] is None


@pytest.mark.slow
@needs_models
def test_map_without_dataset_says_so_and_offers_the_download(monkeypatch, tmp_path):
    import explorer_ui.dataset
    from vae_core.data.datasets import DatasetNotFoundError, DownloadRunning

    monkeypatch.setenv("MNIST_DATA_ROOT", str(tmp_path))
    at = run_page(PAGES[0], idx=3)
    assert_ok(at)
    assert map_data(at)["original"] == {"split": "test", "index": 3, "note": "dataset not on this server"}
    assert any("files are not in this server's data folder" in i.value for i in at.info)

    def offline(root, dataset, progress=None, timeout=30.0):
        progress(0, 100)
        raise DatasetNotFoundError(f"mnist was not found under {root}/MNIST/raw ...", reason="no network here")

    monkeypatch.setattr(explorer_ui.dataset, "download", offline)
    at.button(key="download_mnist").click().run()
    assert not at.exception
    assert any("The download failed" in e.value for e in at.error)
    assert any(t.value == "Reason: no network here" for t in at.text)
    shown = [e.value for kind in (at.text, at.error, at.info, at.markdown, at.caption) for e in kind]
    assert not any(str(tmp_path) in text for text in shown), "no server path reaches a visitor"

    def running(root, dataset, progress=None, timeout=30.0):
        raise DownloadRunning("a download of MNIST is already running on this server; its files appear when it ends")

    monkeypatch.setattr(explorer_ui.dataset, "download", running)
    at.button(key="download_mnist").click().run()
    assert any("already running on this server" in i.value for i in at.info) and not at.error


@pytest.mark.slow
@needs_models
def test_corrupt_checkpoint_gives_an_error_not_a_traceback(monkeypatch, tmp_path):
    for suffix in (".pt", ".latents.npz"):
        shutil.copy(REPO / "models" / f"{ui.VAE_MODEL}{suffix}", tmp_path / f"{ui.VAE_MODEL}{suffix}")
    (tmp_path / "broken.pt").write_bytes(b"\x80\x02 definitely not a checkpoint")
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(tmp_path))
    at = run_page("pages/2_Manifold.py", model="broken")
    assert not at.exception
    assert any("broken" in e.value and "corrupt" in e.value for e in at.error)
    assert at.sidebar.selectbox[0].value == "broken" and len(at.sidebar.selectbox[0].options) == 2


@pytest.mark.slow
@needs_models
def test_manifold_controls_change_the_grid():
    at = run_page("pages/2_Manifold.py", n=8, r=2, spacing="linear")
    assert_ok(at)
    assert at.slider(key="mf_n").value == 8
    at.slider(key="mf_n").set_value(12).run()
    assert_ok(at)
    source = plotly_specs(at)[0]["layout"]["images"][0]["source"]
    grid = np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("L"), float) / 255
    assert grid.shape == (12 * 28, 12 * 28)  # 12 x 12 tiles of 28 px, no gaps
    model = ui.load(ui.DEFAULT_MODEL).model
    with torch.no_grad():  # the top-left tile is z = (-2, 2), the bottom-right z = (2, -2): radius 2, linear spacing
        corners = model.decode(torch.tensor([[-2.0, 2.0], [2.0, -2.0]])).reshape(2, 28, 28).numpy()
    assert np.abs(grid[:28, :28] - corners[0]).max() <= 1 / 255 + 1e-6
    assert np.abs(grid[-28:, -28:] - corners[1]).max() <= 1 / 255 + 1e-6
    assert at.query_params["n"] == "12" and at.query_params["spacing"] == "linear"


@pytest.mark.slow
@needs_models
def test_encode_page_upload_and_bad_file():
    at = run_page("pages/1_Encode_a_digit.py")
    assert_ok(at)
    at.file_uploader(key="enc_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
    at.run()
    assert_ok(at)
    assert any("among test digits labelled **7**: " in c.value for c in at.caption)
    assert len(at.image) >= 4  # original, input, reconstruction, samples
    # the exact posterior beside q(z|x): its lines, its mean, and what it says
    traces = {t["name"]: t for t in plotly_specs(at)[0]["data"]}
    assert traces["p(z|x)"]["type"] == "contour" and "E[z|x]" in traces
    levels = traces["p(z|x)"]["contours"]
    assert 0 < levels["start"] < levels["end"] and levels["size"] == pytest.approx(levels["end"] - levels["start"])
    exact_note = next(c.value for c in at.caption if c.value.startswith("Blue: the exact posterior"))
    assert re.search(r"its mean E\[z\|x\], 0\.\d{3} from μ \(\d+\.\d σ of q\).* test digits nearest E\[z\|x\] are 7\.$",
                     exact_note)
    samples = image_ids(at)
    at.button(key="enc_seed_new").click().run()  # "Draw new ε"
    assert_ok(at)
    assert image_ids(at) != samples

    at.file_uploader(key="enc_upload").set_value(("bad.png", b"not an image at all", "image/png"))
    at.run()
    assert not at.exception
    assert any("Could not use this image" in e.value for e in at.error)


@pytest.mark.slow
@needs_models
def test_uploads_kept_on_the_encode_page_reach_the_map_once_each_and_at_most_eight():
    at = run_page("pages/1_Encode_a_digit.py")
    ink = Image.fromarray(255 - np.asarray(Image.open(FIXTURE).convert("L")))
    turned = [png_bytes(np.asarray(ink.rotate(6 * k - 24))) for k in range(8)]
    named = [(f"turned {k}.png", data) for k, data in enumerate(turned)] + [("seven <b>*me*</b>.png", FIXTURE.read_bytes())]
    for name, data in named:  # nine images, each encoded and kept: the first goes
        at.file_uploader(key="enc_upload").upload(name, data, "image/png")
        at.run()
        at.button(key="enc_keep").click().run()
        assert_ok(at)
        assert at.button(key="enc_keep").label == "Kept on the latent map" and at.button(key="enc_keep").disabled
    at.file_uploader(key="enc_upload").upload("again.png", turned[3], "image/png")  # an image kept before is not kept twice
    at.run()
    assert at.button(key="enc_keep").disabled

    at.switch_page("../pages/0_Latent_map.py").run()
    assert_ok(at)
    uploads = map_data(at)["uploads"]
    assert [u["name"] for u in uploads] == [f"turned {k}.png" for k in range(1, 8)] + ["seven <b>*me*</b>.png"]
    enc = ui.encode_bytes(ui.load(ui.DEFAULT_MODEL), FIXTURE.read_bytes(), True, True)
    assert np.allclose(uploads[-1]["mu"], enc.mu, atol=1e-6) and np.allclose(uploads[-1]["sigma"], enc.sigma, atol=1e-6)
    assert np.linalg.norm(np.subtract(uploads[0]["mu"], enc.mu)) > 0.05  # each its own posterior


@pytest.mark.slow
@needs_models
def test_compare_with_mounts_a_second_map_of_the_same_data_only():
    at = run_page("pages/0_Latent_map.py", compare="mnist_vae_z2_beta4", idx=12)
    assert_ok(at)
    first, second = map_views(at)
    assert (first["model_name"], second["model_name"]) == (ui.DEFAULT_MODEL, "mnist_vae_z2_beta4")
    assert first["link_group"] == second["link_group"] == "compare"
    assert second["initial"] == {"z": None, "split": "test", "index": 12}  # the link's digit, in both
    assert at.query_params["compare"] == "mnist_vae_z2_beta4"

    fashion = run_page("pages/0_Latent_map.py", compare="fashion_vae_z2")
    assert "trained on Fashion-MNIST, this model on MNIST" in warnings(fashion) and len(map_views(fashion)) == 1
    bogus = run_page("pages/0_Latent_map.py", compare="../etc/passwd")
    assert "compare=../etc/passwd" in warnings(bogus) and len(map_views(bogus)) == 1 and map_views(bogus)[0]["link_group"] is None


@pytest.mark.slow
@needs_models
def test_images_dropped_on_the_map_page_are_kept_for_the_map_and_a_bad_one_is_refused_in_a_sentence():
    at = run_page("pages/0_Latent_map.py")
    box = [u for u in at.get("file_uploader") if u.proto.label.startswith("Put your own digits")]
    assert len(box) == 1
    at.file_uploader(key=box[0].key).upload("seven.png", FIXTURE.read_bytes(), "image/png")
    at.run()
    assert_ok(at)
    enc = ui.encode_bytes(ui.load(ui.DEFAULT_MODEL), FIXTURE.read_bytes(), True, True)
    [kept] = map_data(at)["uploads"]
    assert kept["name"] == "seven.png" and np.allclose(kept["mu"], enc.mu, atol=1e-6)
    box = [u for u in at.get("file_uploader") if u.proto.label.startswith("Put your own digits")]
    assert not box[0].value  # emptied for the next ones
    at.file_uploader(key=box[0].key).upload("bad <i>x</i>.png", b"not an image", "image/png")
    at.run()
    assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.error] == [  # plain text: Markdown escapes removed
        "Could not use bad <i>x</i>.png: not a recognised image format (PNG, JPEG, GIF, BMP or WebP)."]
    assert len(map_data(at)["uploads"]) == 1
    at.run()  # said once: the next run does not use the file again
    assert not at.error and len(map_data(at)["uploads"]) == 1


def png_bytes(ink: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(ink, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.slow
@needs_models
def test_encode_page_says_when_a_photo_is_ambiguous_and_keeps_its_slant_on_request():
    photo = FIXTURE.parent / "uploads" / "photo_0004_4.jpg"  # its 15 map neighbours: 7 are 4, 6 are 2, ...
    at = run_page("pages/1_Encode_a_digit.py", stroke="own")  # as prepared (the stroke fit: the next test)
    at.file_uploader(key="enc_upload").upload(photo.name, photo.read_bytes(), "image/jpeg")
    at.run()
    assert_ok(at)
    assert [w.value for w in at.warning if "Ambiguous" in w.value] and not any("mostly" in c.value for c in at.caption)
    assert at.toggle(key="enc_deslant").value and "slant" not in at.query_params
    sheared = [md.value for md in at.markdown if "(encoder mean)" in md.value]
    at.toggle(key="enc_deslant").set_value(False).run()
    assert_ok(at)
    assert at.query_params["slant"] == "own"
    assert [md.value for md in at.markdown if "(encoder mean)" in md.value] != sheared
    linked = run_page("pages/1_Encode_a_digit.py", slant="own")
    assert not linked.toggle(key="enc_deslant").value
    nonsense = run_page("pages/1_Encode_a_digit.py", slant="sideways")
    assert nonsense.toggle(key="enc_deslant").value and any("slant" in w.value for w in nonsense.warning)


@pytest.mark.slow
@needs_models
def test_encode_page_fits_the_stroke_width_and_says_so_unless_asked_not_to():
    photo = FIXTURE.parent / "uploads" / "photo_0004_4.jpg"  # thinner, its neighbours are 12 4s of 15; as prepared, 7
    at = run_page("pages/1_Encode_a_digit.py")
    at.file_uploader(key="enc_upload").upload(photo.name, photo.read_bytes(), "image/jpeg")
    at.run()
    assert_ok(at)
    assert at.toggle(key="enc_stroke").value and "stroke" not in at.query_params
    m = ui.load(ui.DEFAULT_MODEL)
    chosen, [stroke] = fit_strokes(m.model, preprocess(photo)[None])
    assert stroke == "thinner" and "input x: strokes 1 px thinner" in image_captions(at)
    shown = next(md.value for md in at.markdown if "(encoder mean)" in md.value)
    mu = [float(v) for v in re.search(r"mean\) = \(([^)]*)\)", shown)[1].split(",")]
    assert np.allclose(mu, explore.encode(m.model, chosen)[0][0], atol=1e-3)
    assert not [w for w in at.warning if "Ambiguous" in w.value]
    at.toggle(key="enc_stroke").set_value(False).run()
    assert_ok(at)
    assert at.query_params["stroke"] == "own" and [w for w in at.warning if "Ambiguous" in w.value]
    assert "input x: preprocessed 28×28" in image_captions(at)
    assert not run_page("pages/1_Encode_a_digit.py", stroke="own").toggle(key="enc_stroke").value
    nonsense = run_page("pages/1_Encode_a_digit.py", stroke="wide")
    assert nonsense.toggle(key="enc_stroke").value and any("stroke" in w.value for w in nonsense.warning)


@pytest.mark.slow
@needs_models
def test_encode_page_takes_a_16_bit_png_and_says_why_for_an_empty_or_huge_file():
    import io

    from PIL import Image

    digit = np.zeros((112, 112), np.uint16)
    digit[24:88, 48:64] = 65535
    buf = io.BytesIO()
    Image.fromarray(digit).save(buf, format="PNG")  # mode I;16: st.image of the raw bytes used to fail
    at = run_page("pages/1_Encode_a_digit.py")
    at.file_uploader(key="enc_upload").upload("deep.png", buf.getvalue(), "image/png")
    at.run()
    assert_ok(at)
    assert len(at.image) >= 3  # the upload's preview, the input and the reconstruction
    for name, data, why in (("empty.png", b"", "the file is empty"), ("huge.png", _huge_png(), "megapixels")):
        at.file_uploader(key="enc_upload").upload(name, data, "image/png")
        at.run()
        assert not at.exception
        assert any("Could not use this image" in e.value and why in e.value for e in at.error), [e.value for e in at.error]


def _huge_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (13000, 13000)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


@pytest.mark.slow
@needs_models
def test_encode_page_with_the_autoencoder_has_no_sampling():
    at = run_page("pages/1_Encode_a_digit.py", model=ui.AE_MODEL)
    at.file_uploader(key="enc_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
    at.run()
    assert_ok(at)
    assert any("σ = 0" in i.value for i in at.info)
    assert "p(z|x)" not in {t["name"] for t in plotly_specs(at)[0]["data"]}  # no prior, no posterior


@pytest.mark.slow
@needs_models
@pytest.mark.parametrize("model, other", [(ui.VAE_MODEL, ui.AE_MODEL), (ui.AE_MODEL, ui.VAE_MODEL)])
def test_prior_page_puts_the_selected_model_first_and_resamples(model, other):
    at = run_page("pages/3_Prior_vs_posterior.py", model=model, seed=5)
    assert_ok(at)
    kinds = {ui.VAE_MODEL: "VAE", ui.AE_MODEL: "Plain autoencoder"}
    assert [h.value for h in at.subheader] == [kinds[model], kinds[other]]
    assert [t.value for t in at.text] == [f"{model} · selected in the sidebar", f"{other} · for comparison"]
    before = image_ids(at)
    assert len(before) == 2
    at.button[0].click().run()
    assert_ok(at)
    assert image_ids(at) != before and at.query_params["seed"] != "5"


@pytest.mark.slow
@needs_models
def test_interpolate_endpoints_change_the_strips():
    at = run_page("pages/4_Interpolate.py", a=3, b=10, steps=6)
    assert_ok(at)
    assert at.number_input(key="ip_a").value == 3 and at.slider(key="ip_steps").value == 6
    before = image_ids(at)
    at.number_input(key="ip_b").set_value(11).run()
    assert_ok(at)
    assert image_ids(at) != before
    assert at.query_params["b"] == "11"


@pytest.mark.slow
@needs_models
@pytest.mark.parametrize("page", PAGES)
def test_pages_handle_a_3d_latent_space(page, monkeypatch, tmp_path):
    """A model with latent_dim > 2: one slider per dimension, maps draw the means' principal plane."""
    import torch

    from vae_core.models.config import VAEConfig
    from vae_core.models.model import VAE
    from vae_core.storage.checkpoint import file_sha256, save_checkpoint
    from vae_core.storage.latents import LatentCache, save_latent_cache

    for name in MODELS:  # the prior page always shows both shipped models
        for suffix in (".pt", ".latents.npz"):
            shutil.copy(REPO / "models" / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    torch.manual_seed(0)
    save_checkpoint(VAE(VAEConfig(latent_dim=3, hidden_dims=(16,))), tmp_path / "tiny_z3.pt")
    rng = np.random.default_rng(0)
    save_latent_cache(tmp_path / "tiny_z3.latents.npz", LatentCache(
        rng.normal(size=(500, 3)).astype(np.float32), np.full((500, 3), -2.0, np.float32), np.arange(500) % 10,
        file_sha256(tmp_path / "tiny_z3.pt")))
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(tmp_path))
    at = run_page(page, model="tiny_z3", z="0.5,0,-0.5", a=1, b=2)
    assert_ok(at)
    if page == PAGES[0]:
        data = map_data(at)
        assert len(data["ranges"]) == 3 and data["initial"]["z"] == pytest.approx([0.5, 0.0, -0.5])
        assert data["train_count"] == 0  # no training cache for this model: the switch is off
        assert data["projection"]["titles"][0].startswith("PC1 (") and len(data["projection"]["axes"][1]) == 3
    if page == "pages/1_Encode_a_digit.py":
        at.file_uploader(key="enc_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
        assert_ok(at.run())
        table = at.dataframe[0].value
        assert list(table["dim"]) == ["z1", "z2", "z3"] and table["KL (nats)"].sum() > 0
    if page in ("pages/2_Manifold.py", "pages/3_Prior_vs_posterior.py", "pages/4_Interpolate.py"):
        assert plotly_specs(at)[0]["layout"]["xaxis"]["title"]["text"].startswith("PC1 (")
