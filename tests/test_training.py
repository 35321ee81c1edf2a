"""Training on real MNIST batches, the evaluate CLI and the latent cache."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from vae_core.data.datasets import DatasetNotFoundError, load_split
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import load_checkpoint
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.store import cache_path_for
from vae_core.training.train import batch_loss, train_model

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mnist_train(data_root):
    return load_split(data_root, "mnist", train=True)


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_loss_falls_on_real_batches(mnist_train, kind):
    images = mnist_train[0][:256]
    torch.manual_seed(0)
    model = VAE(VAEConfig(kind=kind))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        objective, _, _ = batch_loss(model, images)
        optimizer.zero_grad()
        objective.backward()
        optimizer.step()
        losses.append(objective.item())
    assert losses[-1] < 0.7 * losses[0]


def test_beta_weights_the_kl_term(mnist_train):
    images = mnist_train[0][:64]
    vae = VAE(VAEConfig(beta=1.0))
    beta_vae = VAE(VAEConfig(beta=5.0))
    beta_vae.load_state_dict(vae.state_dict())
    torch.manual_seed(1)
    objective_1, recon_1, kl_1 = batch_loss(vae, images)
    torch.manual_seed(1)
    objective_5, recon_5, kl_5 = batch_loss(beta_vae, images)
    assert torch.allclose(recon_1, recon_5) and torch.allclose(kl_1, kl_5)
    assert torch.allclose(objective_1, recon_1 + kl_1)
    assert torch.allclose(objective_5, recon_5 + 5.0 * kl_5)


def test_training_is_reproducible_with_a_seed(mnist_train):
    images = mnist_train[0][:512]
    model_a, metrics_a = train_model(VAEConfig(hidden_dims=(32,)), images, epochs=1, seed=3, progress=False)
    model_b, metrics_b = train_model(VAEConfig(hidden_dims=(32,)), images, epochs=1, seed=3, progress=False)
    assert metrics_a["history"] == metrics_b["history"]
    assert all(torch.equal(a, b) for a, b in zip(model_a.state_dict().values(), model_b.state_dict().values(), strict=True))


def test_history_records_test_terms_without_changing_the_run(mnist_train, data_root):
    images = mnist_train[0][:512]
    test_images, _ = load_split(data_root, "mnist", train=False)
    plain, _ = train_model(VAEConfig(hidden_dims=(32,)), images, epochs=2, seed=3, progress=False)
    measured, metrics = train_model(VAEConfig(hidden_dims=(32,)), images, epochs=2, seed=3, progress=False,
                                    test_images=test_images[:500])
    assert [e["epoch"] for e in metrics["history"]] == [1, 2]
    # The last epoch's terms are the final model's: KL by torch.distributions, reconstruction by torch's own
    # cross-entropy averaged over 20 draws of z (the record uses one draw per image, so a 3 % tolerance).
    x = test_images[:500].reshape(500, -1)
    with torch.no_grad():
        mu, logvar = measured.encode(x)
        posterior = Normal(mu, torch.exp(0.5 * logvar))
        kl = kl_divergence(posterior, Normal(0.0, 1.0)).sum(dim=1).mean().item()
        recon = np.mean([F.binary_cross_entropy_with_logits(measured.decode_logits(posterior.sample()), x,
                                                            reduction="sum").item() / 500 for _ in range(20)])
    last = metrics["history"][-1]
    assert last["test_kl"] == pytest.approx(kl, rel=1e-4)
    assert last["test_recon"] == pytest.approx(recon, rel=0.03)
    # The test draws run on a forked RNG: the weights are the same as without measuring.
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), measured.state_dict().values(), strict=True))


def test_split_shapes_and_scaling(data_root):
    images, labels = load_split(data_root, "mnist", train=False)
    assert images.shape == (10_000, 1, 28, 28) and labels.shape == (10_000,)
    assert images.dtype == torch.float32 and 0.0 == images.min() and images.max() == 1.0


def test_missing_dataset_says_where_and_how(tmp_path, monkeypatch):
    from torchvision import datasets

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets.MNIST, "download", offline)
    with pytest.raises(DatasetNotFoundError) as info:
        load_split(tmp_path, "mnist")
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "t10k-images-idx3-ubyte" in message and "--data-root" in message


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_train_cli_then_evaluate_cli(tmp_path, data_root):
    out = tmp_path / "tiny.pt"
    done = _run("vae_core.training.train", "--data-root", str(data_root), "--epochs", "1", "--limit", "2000",
                "--hidden", "64", "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    model, metrics = load_checkpoint(out)
    assert metrics["dataset"] == "mnist" and metrics["epochs"] == 1 and model.config.hidden_dims == (64,)
    cache = load_latent_cache(cache_path_for(out))
    assert cache.mu.shape == (10_000, 2) and cache.labels.shape == (10_000,)
    _, test_labels = load_split(data_root, "mnist", train=False)
    assert np.array_equal(cache.labels, test_labels.numpy())

    done = _run("vae_core.analysis.evaluate", "--checkpoint", str(out), "--data-root", str(data_root),
                "--json", "--limit", "50", "--iw-samples", "20")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for key in ("test_neg_elbo", "test_recon", "test_kl", "iw_nll", "knn_accuracy", "prior_confident_share", "n_test", "seconds"):
        assert key in result
    assert result["n_test"] == 50
    assert result["test_neg_elbo"] == pytest.approx(result["test_recon"] + result["test_kl"])
    # The importance-weighted bound is tighter than the ELBO (Burda et al., 2016).
    assert result["iw_nll"] <= result["test_neg_elbo"] + 1.0
    assert 0.0 <= result["knn_accuracy"] <= 1.0


@pytest.mark.slow  # a new Python process or a run: seconds; the fast suite stays under a minute
def test_evaluate_cli_reports_a_bad_checkpoint_clearly(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"nope")
    done = _run("vae_core.analysis.evaluate", "--checkpoint", str(bad), "--json")
    assert done.returncode == 2
    assert "corrupt" in done.stderr and "Traceback" not in done.stderr


FASHION_DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def test_fashion_mnist_reads_debian_gz_files_offline(tmp_path):
    if not FASHION_DEBIAN.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{FASHION_DEBIAN} missing: .ci/run must apt-get install dataset-fashion-mnist")
        pytest.skip(f"{FASHION_DEBIAN} missing (apt-get install dataset-fashion-mnist)")
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for packed in FASHION_DEBIAN.glob("*.gz"):
        (raw / packed.name).symlink_to(packed)
    images, labels = load_split(tmp_path, "fashion-mnist", train=False)
    assert images.shape == (10_000, 1, 28, 28)
    assert labels[:5].tolist() == [9, 2, 1, 1, 6]  # ankle boot, pullover, trouser, trouser, shirt
    # A data folder without FashionMNIST/raw reads Debian's copy itself.
    elsewhere, elsewhere_labels = load_split(tmp_path / "empty", "fashion-mnist", train=False)
    assert torch.equal(elsewhere, images) and torch.equal(elsewhere_labels, labels)
