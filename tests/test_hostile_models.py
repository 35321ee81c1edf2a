"""Hostile and broken model files in the models folder, on every page: each is refused with a
message that names the model, costs little, runs no code, and leaves the other models working."""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import asdict

import numpy as np
import pytest
import torch

import explorer_ui as ui
from tests.test_pages import MODELS, PAGES, REPO, needs_models, run_page, warnings
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import file_sha256
from vae_core.storage.store import model_files

pytestmark = [pytest.mark.slow, needs_models]


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _good_cache(path, n=100, dim=2, **changes):
    """A cache recording the checkpoint beside it, with `changes` to its arrays."""
    arrays = {"mu": np.zeros((n, dim), np.float32), "logvar": np.zeros((n, dim), np.float32),
              "labels": np.arange(n) % 10, **changes}
    np.savez(path, **arrays, checkpoint_sha256=np.array(file_sha256(str(path).replace(".latents.npz", ".pt"))))


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    outside = tmp_path_factory.mktemp("outside")
    for name in MODELS:
        for suffix in (".pt", ".latents.npz"):
            shutil.copy(REPO / "models" / f"{name}{suffix}", folder / f"{name}{suffix}")
    config, state = asdict(VAEConfig(hidden_dims=(16,))), VAE(VAEConfig(hidden_dims=(16,))).state_dict()
    files = {
        "huge": {"config": {**config, "hidden_dims": (1_000_000, 1_000_000)}, "state_dict": state},
        "giant_image": {"config": {**config, "image_size": 1000}, "state_dict": state},
        "nan_weights": {"config": config, "state_dict": {k: torch.full_like(v, float("nan")) for k, v in state.items()}},
        "runs_code": {"config": config, "state_dict": state, "extra": _RunsCode(folder / "ran")},
        "none_metrics": {"config": config, "state_dict": state, "metrics": None},
    }
    for name, payload in files.items():
        torch.save(payload, folder / f"{name}.pt")
        _good_cache(folder / f"{name}.latents.npz")
    for name, changes in {"nan_cache": {"mu": np.full((100, 2), np.nan, np.float32)},
                          "label_99": {"labels": np.full(100, 99)}, "empty_cache": {"mu": np.zeros((0, 2), np.float32),
                                                                                      "logvar": np.zeros((0, 2), np.float32),
                                                                                      "labels": np.zeros(0, int)}}.items():
        torch.save({"config": config, "state_dict": state}, folder / f"{name}.pt")
        _good_cache(folder / f"{name}.latents.npz", **changes)
    torch.save({"config": config, "state_dict": state}, outside / "elsewhere.pt")
    _good_cache(outside / "elsewhere.latents.npz")
    (folder / "link_out.pt").symlink_to(outside / "elsewhere.pt")
    (folder / "link_out.latents.npz").symlink_to(outside / "elsewhere.latents.npz")
    return folder


REFUSED = ["huge", "giant_image", "nan_weights", "runs_code", "nan_cache", "label_99", "empty_cache"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_model_is_refused_clearly_on_every_page(hostile_folder, monkeypatch, page, name):
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(hostile_folder))
    started = time.perf_counter()
    at = run_page(page, model=name)
    assert time.perf_counter() - started < 20
    assert not at.exception, [e.value for e in at.exception]
    message = re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.error))  # as a reader sees it
    assert f"Cannot load model **{name}**" in message
    assert str(hostile_folder) not in message and "weights_only" not in message
    assert not (hostile_folder / "ran").exists()


def test_odd_metrics_and_links_out_of_the_folder(hostile_folder, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(hostile_folder))
    at = run_page(PAGES[2], model="none_metrics")  # the sidebar card used to break on metrics None
    assert not at.exception and not at.error
    assert "link_out" not in ui.list_models()
    at = run_page(PAGES[0], model="link_out")
    assert not at.exception
    assert "model=link_out" in warnings(at)  # not offered, so the link falls back to the default


def test_a_refusal_is_remembered_per_file_stamp(hostile_folder, monkeypatch):
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(hostile_folder))
    stamp = model_files("nan_weights", hostile_folder).stamp()
    first = ui.loading._load_model(str(hostile_folder), "nan_weights", stamp)
    assert isinstance(first, str) and "nan_weights.pt has non-finite weights" in first  # the message, not the exception
    assert ui.loading._load_model(str(hostile_folder), "nan_weights", stamp) is first  # cached: not read again


def test_a_cache_from_another_checkpoint_is_refused(hostile_folder, monkeypatch, tmp_path):
    """An old cache beside a new checkpoint (an interrupted save used to leave this) is not shown as a map."""
    folder = tmp_path / "models"
    folder.mkdir()
    for suffix in (".pt", ".latents.npz"):
        shutil.copy(REPO / "models" / f"{ui.VAE_MODEL}{suffix}", folder / f"{ui.VAE_MODEL}{suffix}")
    shutil.copy(REPO / "models" / f"{ui.AE_MODEL}.pt", folder / f"{ui.VAE_MODEL}.pt")  # a new checkpoint, the old cache
    monkeypatch.setenv("LATENT_EXPLORER_MODELS", str(folder))
    at = run_page(PAGES[0], model=ui.VAE_MODEL)
    assert not at.exception
    assert "was not made from this mnist_vae_z2.pt" in re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.error))
