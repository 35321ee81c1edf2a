"""The models in models/ are real, consistent with their latent caches, and good enough."""
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer_ui.training import SHIPPED_MODELS
from vae_core.analysis.evaluate import elbo_terms
from vae_core.data.datasets import load_split
from vae_core.models.latent_model import ModelInfo
from vae_core.storage.checkpoint import file_sha256, load_checkpoint
from vae_core.storage.latents import encode_all, load_latent_cache
from vae_core.storage.store import cache_path_for, list_models, load_cache, load_model, model_files

MODELS = Path(__file__).resolve().parents[1] / "models"
SHIPPED = {"mnist_vae_z2": "vae", "mnist_ae_z2": "ae"}
CONV = "mnist_conv_vae_z2"  # examples/conv_vae.py, trained outside the app and imported (README, "Your own VAE")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_checkpoint_loads_without_the_dataset(name):
    model, metrics = load_checkpoint(MODELS / f"{name}.pt")
    assert model.config.kind == SHIPPED[name]
    assert model.config.latent_dim == 2 and model.config.dataset == "mnist"
    assert metrics["epochs"] == 150 and metrics["history"][-1]["epoch"] == 150
    assert (MODELS / f"{name}.pt").stat().st_size < 8 * 2**20
    cache = load_latent_cache(cache_path_for(MODELS / f"{name}.pt"))
    assert cache.mu.shape == (10_000, 2) and cache.logvar.shape == (10_000, 2)
    assert sorted(np.unique(cache.labels)) == list(range(10))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_latent_cache_matches_its_checkpoint(name, data_root):
    model, _ = load_checkpoint(MODELS / f"{name}.pt")
    images, labels = load_split(data_root, "mnist", train=False)
    mu, _ = encode_all(model, images)
    cache = load_latent_cache(cache_path_for(MODELS / f"{name}.pt"))
    assert np.array_equal(cache.labels, labels.numpy())
    assert np.allclose(cache.mu, mu.numpy(), atol=1e-4)


@pytest.mark.slow
def test_default_vae_reaches_the_quality_bar(data_root):
    model, _ = load_checkpoint(MODELS / "mnist_vae_z2.pt")  # measured here: no figure is read back from the file
    images, _ = load_split(data_root, "mnist", train=False)
    torch.manual_seed(0)
    recon, kl = elbo_terms(model, images)
    assert (recon + kl).mean().item() <= 139.0


@pytest.mark.parametrize("damage", ["truncate", "empty", "flat_mu"])
def test_a_damaged_latent_cache_gives_a_clear_error(tmp_path, damage):
    path = tmp_path / "damaged.latents.npz"
    original = (MODELS / "mnist_vae_z2.latents.npz").read_bytes()
    if damage == "truncate":
        path.write_bytes(original[: len(original) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        np.savez(path, mu=np.zeros(10, np.float32), logvar=np.zeros(10, np.float32), labels=np.zeros(10, np.int64))
    with pytest.raises(ValueError, match="latent cache"):
        load_latent_cache(path)


def test_the_models_that_cannot_be_deleted_are_the_committed_ones():
    tracked = subprocess.run(["git", "ls-files", "models/*.pt", "models/*.model.json"], cwd=Path(__file__).resolve().parents[1],
                             capture_output=True, text=True, check=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    names = [Path(p).name.removesuffix(".model.json").removesuffix(".pt") for p in tracked if "/" not in p[len("models/"):]]
    assert sorted(SHIPPED_MODELS) == sorted(names) == sorted(list_models(MODELS))


def test_the_shipped_convolutional_model_is_imported_onnx_and_matches_its_cache():
    files = model_files(CONV, MODELS)
    model, _ = load_model(files)
    assert files.is_onnx and model.info == ModelInfo("vae", 2, "mnist", 28, 1.0, source="onnx")
    assert all(p.stat().st_size < 4 * 2**20 for p in files.weights)
    cache = load_cache(files, model.info.latent_dim, file_sha256(files.main))
    assert cache.mu.shape == (10_000, 2) and sorted(np.unique(cache.labels)) == list(range(10))
