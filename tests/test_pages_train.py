"""The Train page under AppTest: a tiny real run, cancel, a second session watching, deleting a trained model."""
import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import explorer_ui as ui
from vae_core.storage.store import cache_path_for

REPO = Path(__file__).resolve().parents[1]
PAGE = "../pages/6_Train.py"


@pytest.fixture
def models(tmp_path, monkeypatch, data_root):
    """A models folder with the default model only, for this test alone."""
    folder = tmp_path / "models"
    folder.mkdir()
    source = REPO / "models" / f"{ui.DEFAULT_MODEL}.pt"
    for path in (source, cache_path_for(source), cache_path_for(source, True)):
        shutil.copy2(path, folder / path.name)
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(folder))
    return folder


OWNER, OTHER = "a" * 32, "b" * 32  # two browsers' ids (the visitor component's answer; AppTest runs no JavaScript)


def session(token: str = OWNER) -> AppTest:
    at = AppTest.from_file(str(REPO / "tests" / "app_entry.py"), default_timeout=60)
    at.session_state["visitor_token"] = {"token": token}
    at.run()
    at.switch_page(PAGE)
    return at.run()


def fill(at: AppTest, epochs: int, share: int, batch: int = 64) -> AppTest:
    at.number_input(key="tr_epochs").set_value(epochs)
    at.slider(key="tr_share").set_value(share)
    at.selectbox(key="tr_batch").set_value(batch)
    at.text_input(key="tr_hidden").set_value("32")
    return next(b for b in at.button if b.label == "Start training").click().run()


def progress_texts(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def until(at: AppTest, done, seconds: float = 240) -> list[str]:
    """Run the page every 0.3 s until done(at); returns the progress texts seen on the way."""
    seen, end = [], time.monotonic() + seconds
    while not done(at):
        assert time.monotonic() < end, "the run did not get there in time"
        seen += progress_texts(at)
        time.sleep(0.3)
        at.run()
    return seen


def files(folder: Path) -> set[str]:
    """The models folder's files, besides the lock file that keeps runs one at a time."""
    return {p.name for p in folder.iterdir() if p.name != ".training.lock"}


@pytest.mark.slow  # several seconds: the fast suite stays under a minute
def test_a_tiny_run_shows_progress_and_its_model_joins_the_selector(models):
    # 40 %: 375 batches an epoch, long enough for the 0.3 s polls to see the bar move (at 10 % a fast machine
    # trained all three epochs between two polls)
    at = fill(session(), epochs=3, share=40)
    assert not at.exception and not at.error, [e.value for e in at.error]
    seen = until(at, lambda a: a.success)
    assert len({t for t in seen if t.startswith("Epoch")}) >= 2, seen  # the bar moved
    assert any("left" in t for t in seen)
    new = sorted(files(models) - {f"{ui.DEFAULT_MODEL}.pt", f"{ui.DEFAULT_MODEL}.latents.npz",
                                  f"{ui.DEFAULT_MODEL}.train_latents.npz"})
    name = new[0].split(".")[0]
    assert new == [f"{name}{suffix}" for suffix in (".facts.json", ".latents.npz", ".map.bin", ".pt", ".summary.json",
                                                    ".train_latents.npz", ".trained.json")], new
    assert name.startswith("mnist_vae_z2_beta1_") and name in re.sub(r"\\(.)", r"\1", at.success[0].value)
    assert name in at.sidebar.selectbox[0].options or ui.describe_model(name) in at.sidebar.selectbox[0].options
    assert len(at.get("plotly_chart")) == 2  # the finished run's curves and map stay on view
    # The form was not drawn during the run, yet it comes back with the run's settings, not the defaults.
    assert (at.number_input(key="tr_epochs").value, at.slider(key="tr_share").value, at.selectbox(key="tr_batch").value,
            at.text_input(key="tr_hidden").value) == (3, 40, 64, "32")
    # Another page, another session: the model is in its selector, and it loads.
    other = AppTest.from_file(str(REPO / "tests" / "app_entry.py"), default_timeout=60)
    other.query_params["model"] = name
    other.run()
    assert not other.exception and other.sidebar.selectbox[0].value == name
    # Another browser sees it listed but cannot delete it, not even by calling the page's own function.
    stranger = session(OTHER)
    assert not stranger.get("popover") and any(c.value == "another visitor's" for c in stranger.caption)
    with pytest.raises(ValueError, match="trained by another visitor"):
        ui.delete_model(name, ui.Visitor("someone else"))
    # Its owner deletes it: the files go, the shipped default stays and cannot be deleted.
    at.run()
    assert len(at.get("popover")) == 1  # the trained model only: the shipped default has no Delete
    next(b for b in at.button if b.label == "Delete for good").click().run()
    assert files(models) == {f"{ui.DEFAULT_MODEL}.pt", f"{ui.DEFAULT_MODEL}.latents.npz",
                             f"{ui.DEFAULT_MODEL}.train_latents.npz"}
    with pytest.raises(ValueError, match="not a model trained here"):
        ui.delete_model(ui.DEFAULT_MODEL, ui.Visitor("anyone", "admin@example.org", admin=True, signed_in=True))


@pytest.mark.slow  # several seconds: the fast suite stays under a minute
def test_a_second_session_watches_and_cancel_leaves_the_folder_unchanged(models):
    before = files(models)
    owner = fill(session(), epochs=200, share=20)
    until(owner, lambda a: any(t.startswith("Epoch") for t in progress_texts(a)))
    watcher = session(OTHER)
    assert "another visitor" in watcher.subheader[0].value
    assert not [b for b in watcher.button if b.label in ("Start training", "Cancel training")]
    assert any("Share" not in t.value and "200 epochs" in t.value for t in watcher.text)  # the owner's settings
    assert progress_texts(watcher)
    assert "by you" in owner.subheader[0].value
    owner = session(OWNER)  # the owner reloads the page (a new session, the same browser): Cancel is still theirs
    assert "by you" in owner.subheader[0].value
    owner.button(key="tr_cancel").click().run()
    until(owner, lambda a: a.info and "cancelled" in a.info[0].value)
    assert "nothing was written" in owner.info[0].value
    assert files(models) == before
    watcher.run()
    assert [b.label for b in watcher.button if b.label == "Start training"]  # the slot is free again


def test_bad_settings_are_refused_with_a_message(models):
    at = session()
    at.text_input(key="tr_hidden").set_value("256, lots")
    next(b for b in at.button if b.label == "Start training").click().run()
    assert "Not started" in at.error[0].value and not at.get("progress")
    assert files(models) == {f"{ui.DEFAULT_MODEL}.pt", f"{ui.DEFAULT_MODEL}.latents.npz",
                             f"{ui.DEFAULT_MODEL}.train_latents.npz"}


def test_an_over_budget_run_and_a_model_too_big_to_show_are_refused_before_they_start(models):
    at = session()
    at.number_input(key="tr_epochs").set_value(200)
    at.selectbox(key="tr_batch").set_value(32)
    at.text_input(key="tr_hidden").set_value("2048, 2048")
    next(b for b in at.button if b.label == "Start training").click().run()
    assert re.fullmatch(r"Not started: this run would take about \d+ minutes here; this server allows runs of up to "
                        r"15 minutes\. .*", at.error[0].value.replace("\\", "")) and not at.get("progress")
    at.text_input(key="tr_hidden").set_value("4096, 4096, 4096, 4096")
    next(b for b in at.button if b.label == "Start training").click().run()
    refused = at.error[0].value.replace("\\", "")  # the message is shown as plain text: Markdown escaped
    assert "107.1 M parameters; the app shows models of at most 16 M" in refused and not at.get("progress")
    assert "This server takes runs of up to about 15 minutes and stops any run after 30" in " ".join(
        c.value for c in at.caption)
    assert files(models) == {f"{ui.DEFAULT_MODEL}.pt", f"{ui.DEFAULT_MODEL}.latents.npz",
                             f"{ui.DEFAULT_MODEL}.train_latents.npz"}


def test_training_turned_off_by_the_operator_shows_no_form(models, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_TRAINING", "off")
    at = session()
    assert not at.exception and [i.value for i in at.info] == ["Training is turned off on this server."]
    assert not [b for b in at.button if b.label in ("Start training", "Sign in")]
