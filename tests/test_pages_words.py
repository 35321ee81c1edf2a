"""AppTest runs that read the pages' words with the Fashion-MNIST model: the dataset's own words
("item of clothing", not "digit"), articles, an autoencoder's codes, and a warning for an upload
that looks like nothing in the dataset."""
from __future__ import annotations

import re

import pytest

import explorer_ui as ui
from tests.test_pages import FIXTURE, REPO, assert_ok, plotly_specs, run_page, warnings
from vae_core.data.datasets import with_article

FASHION = "fashion_vae_z2"
needs_fashion = pytest.mark.skipif(
    not (REPO / "models" / f"{FASHION}.pt").exists()
    or not (REPO / "models" / "classifiers" / "fashion-mnist_cnn.pt").exists(),
    reason="the Fashion-MNIST model and its classifier are not in models/",
)


def texts(at) -> str:
    """Titles, captions, Markdown, notes and widget labels of a run, as one string."""
    parts = [e.value for kind in ("title", "caption", "markdown", "info", "warning", "error") for e in at.get(kind)]
    parts += [w.label for kind in ("toggle", "file_uploader") for w in at.get(kind)]
    return " ".join(parts)


def test_articles_follow_the_sound_of_the_word():
    assert [with_article(w) for w in ("Ankle boot", "Bag", "8", "1", "item of clothing", "digit")] == [
        "an Ankle boot", "a Bag", "an 8", "a 1", "an item of clothing", "a digit"]


@needs_fashion
def test_encode_page_speaks_of_clothing_and_has_no_slant_for_fashion():
    at = run_page("pages/1_Encode_a_digit.py", model=FASHION)
    assert_ok(at)
    assert at.title[0].value == "Encode an item of clothing"
    assert "Upload or draw an item of clothing to see where the encoder puts it." in texts(at)
    assert not re.search(r"\bdigit", " ".join(e.value for e in at.title) + " ".join(e.value for e in at.info))
    assert not [t for t in at.toggle if t.key in ("enc_deslant", "enc_stroke")]  # slant and stroke are handwriting's


@needs_fashion
def test_a_drawn_digit_given_to_the_fashion_model_is_flagged_and_its_neighbours_are_no_verdict():
    drawing = FIXTURE.parent / "uploads" / "canvas_0001_1.png"  # a drawn 1: the classifier's best guess gets 38 %
    at = run_page("pages/1_Encode_a_digit.py", model=FASHION)
    at.file_uploader(key="enc_upload").upload(drawing.name, drawing.read_bytes(), "image/png")
    at.run()
    assert_ok(at)
    assert ("This may not look like any item of clothing in Fashion-MNIST: a classifier trained on it is unsure what "
            "it is (its best guess, Dress, gets 38%).") in warnings(at)
    assert "mostly" not in texts(at)


@needs_fashion
def test_an_item_the_classifier_knows_gets_no_warning_and_a_located_not_judged_neighbourhood():
    seven = run_page("pages/1_Encode_a_digit.py")  # the MNIST model and a real MNIST 7
    seven.file_uploader(key="enc_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
    seven.run()
    assert_ok(seven)
    assert "may not look like" not in warnings(seven)
    assert "On the map it lands among test digits labelled **7**: " in texts(seven)


@needs_fashion
def test_trade_off_page_says_what_the_halfway_image_decodes_as_and_names_models_as_the_selector_does():
    at = run_page("pages/5_Reconstruction_vs_KL.py", model=FASHION)
    assert_ok(at)
    blur = next(c.value for c in at.caption if "lies on the line between" in c.value)
    assert blur.startswith("z = (0.384, -0.492) lies")
    assert "A classifier trained on the dataset takes it for a Bag (54%)." in blur
    curves = plotly_specs(at)[0]["data"]
    assert {t["name"] for t in curves} == {f"{ui.describe_model(FASHION)} · train", f"{ui.describe_model(FASHION)} · test"}
    assert "every item's posterior small" in texts(at) and "several items, and samples blur" in texts(at)


def test_the_model_card_says_1_epoch_and_the_datasets_own_name():
    assert (ui.plural(1, "epoch"), ui.plural(60, "epoch"), ui.plural(1000, "epoch")) == ("1 epoch", "60 epochs", "1,000 epochs")


@needs_fashion
def test_the_sidebar_names_fashion_mnist_as_it_is_spelt():
    at = run_page("pages/2_Manifold.py", model=FASHION)
    assert "60 epochs on Fashion-MNIST" in " ".join(c.value for c in at.sidebar.caption)


@needs_fashion
def test_the_other_pages_use_the_datasets_words_and_an_autoencoders_codes():
    prior = run_page("pages/3_Prior_vs_posterior.py", model=FASHION)
    assert "Test items inside the 3σ circle" in [mt.label for mt in prior.metric]
    interpolate = run_page("pages/4_Interpolate.py", model=ui.AE_MODEL)
    assert interpolate.caption[0].value.startswith("Pick two test digits; their codes are the endpoints.")
    assert interpolate.number_input(key="ip_a").label == "Start: test digit #"
    latent_map = run_page("pages/0_Latent_map.py", model=ui.AE_MODEL)
    assert latent_map.caption[0].value.startswith("Each dot is the code z (the encoder output) of one test digit under "
                                                  "the plain autoencoder")


def test_a_tab_on_a_deleted_model_says_it_is_gone_then_shows_the_default():
    at = run_page("pages/2_Manifold.py")
    at.session_state["_model"] = "my_deleted_model"  # what this tab showed, deleted since (e.g. in another tab)
    at.query_params.clear()  # a page switch drops the link's parameters; the session remembers the model
    at.run()
    assert_ok(at)
    assert ("The model my_deleted_model that this tab showed is gone (deleted or moved out of the models folder); "
            "showing the default model instead.") in warnings(at)
    assert at.sidebar.selectbox[0].value == ui.DEFAULT_MODEL
