"""On a shared server no visitor sees a server path or a traceback, and what killed saves left is cleaned up:
file-system errors on delete become sentences, the app's config hides error details, leftovers go at start-up."""
import errno
import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import explorer_ui as ui
from vae_core.storage import store
from vae_core.storage.checkpoint import remove_leftovers, stage
from vae_core.storage.store import cache_path_for

REPO = Path(__file__).resolve().parents[1]
TRAINED = "mnist_vae_z2_beta1_20261201-1000"


def test_visitors_never_get_error_details():
    text = (REPO / ".streamlit" / "config.toml").read_text()
    client = re.search(r"^\[client\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M).group(1)
    assert re.search(r'^showErrorDetails = "none"$', client, re.M)


def test_a_folder_that_refuses_a_delete_gives_a_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(tmp_path))
    (tmp_path / f"{TRAINED}.pt").write_bytes(b"weights")
    record = {"owner": "me", "model_sha256": hashlib.sha256(b"weights").hexdigest()}
    (tmp_path / f"{TRAINED}.trained.json").write_text(json.dumps(record))

    def read_only(files):
        raise OSError(errno.EROFS, "Read-only file system", str(files.main))

    monkeypatch.setattr(store, "delete", read_only)
    with pytest.raises(ValueError) as refused:
        ui.delete_model(TRAINED, ui.Visitor("me"))
    assert str(refused.value) == (f"{TRAINED} could not be deleted: the models folder on this server refused it "
                                  "(Read-only file system)")
    assert (tmp_path / f"{TRAINED}.pt").exists()


def aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_leftovers_of_killed_saves_go_whatever_their_names_but_not_a_save_in_progress(tmp_path):
    old = [aged(stage(tmp_path / name, lambda tmp: Path(tmp).write_bytes(b"x" * 1000)), 3600)
           for name in ("gone_model.pt", "mnist_vae_z2.latents.npz", "other.summary.json")]
    fresh = stage(tmp_path / "saving_now.pt", lambda tmp: Path(tmp).write_bytes(b"x"))  # another process saving
    keep = tmp_path / "notes.tmp"  # not a staged file (no leading dot)
    keep.write_text("the operator's")
    aged(keep, 3600)
    assert sorted(remove_leftovers(tmp_path)) == sorted(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, keep.name])


def test_the_app_removes_them_when_it_starts(tmp_path, monkeypatch, data_root):
    source = REPO / "models" / f"{ui.DEFAULT_MODEL}.pt"
    for path in (source, cache_path_for(source), cache_path_for(source, True)):
        shutil.copy2(path, tmp_path / path.name)
    leftover = aged(stage(tmp_path / "killed.pt", lambda tmp: Path(tmp).write_bytes(b"x" * 4096)), 3600)
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(tmp_path))
    at = AppTest.from_file(str(REPO / "tests" / "app_entry.py"), default_timeout=60).run()
    assert not at.exception and not leftover.exists()


@pytest.mark.slow  # several seconds: the fast suite stays under a minute
def test_ten_thousand_files_in_the_models_folder_keep_the_pages_short(tmp_path, monkeypatch, data_root):
    source = REPO / "models" / f"{ui.DEFAULT_MODEL}.pt"
    for path in (source, cache_path_for(source), cache_path_for(source, True)):
        shutil.copy2(path, tmp_path / path.name)
    for i in range(10_000):
        (tmp_path / f"copied_{i:05d}.pt").write_bytes(b"not a checkpoint")
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(tmp_path))
    at = AppTest.from_file(str(REPO / "tests" / "app_entry.py"), default_timeout=60)
    at.query_params["model"] = "bogus"
    at.run()
    assert not at.exception
    options = at.sidebar.selectbox[0].options
    assert len(options) == 100 and at.sidebar.selectbox[0].value == ui.DEFAULT_MODEL
    assert any("9,901 more models in this server" in c.value for c in at.sidebar.caption)
    warning = " ".join(w.value for w in at.warning)
    assert "and 9,989 more" in warning and len(warning) < 1000, len(warning)
    # A model beyond the list opens from its link, and the selector shows it.
    at.query_params["model"] = "copied_09999"
    at.run()
    assert at.sidebar.selectbox[0].value == "copied_09999" and len(at.sidebar.selectbox[0].options) == 101


@pytest.mark.parametrize("name", [ui.DEFAULT_MODEL, f"{ui.DEFAULT_MODEL}.pt", f"./{ui.DEFAULT_MODEL}",
                                  f"../models/{ui.DEFAULT_MODEL}", f"{ui.DEFAULT_MODEL}/../{ui.DEFAULT_MODEL}", "ABSOLUTE"])
def test_a_shipped_model_is_not_deleted_by_its_name_or_a_path_to_it(tmp_path, monkeypatch, name):
    from tests.browser_support import copy_default_model

    (tmp_path / "models").mkdir()
    folder = copy_default_model(tmp_path / "models")
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(folder))
    before = sorted(p.name for p in folder.iterdir())
    admin = ui.Visitor("anyone", "admin@example.org", admin=True, signed_in=True)
    with pytest.raises(ValueError, match="not a model trained here"):
        ui.delete_model(str(folder / ui.DEFAULT_MODEL) if name == "ABSOLUTE" else name, admin)
    assert sorted(p.name for p in folder.iterdir()) == before
