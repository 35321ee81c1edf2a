"""The per-image measures the latent map colours by (vae_core.analysis.digit_measures): against torch computed
apart from them, in every shipped model's test cache, through a cache file's round trip and through a save."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vae_core.analysis.classifier import classifier_path, load_classifier
from vae_core.analysis.digit_measures import digit_measures
from vae_core.data.datasets import has_split, load_split
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage import store
from vae_core.storage.latents import load_latent_cache, save_latent_cache
from vae_core.storage.store import files_for_path, save_native

N = 300  # test images measured again


def oracle(model, images: torch.Tensor, mu: np.ndarray, labels: np.ndarray, classifier) -> tuple[np.ndarray, np.ndarray]:
    """-log p(x|z) written out in float64 (softplus(l) - x l per pixel, for logits l; saturated probabilities
    would lose it) and the softmax of the classifier's outputs for the decoded probabilities."""
    with torch.no_grad():
        logits = model.decode_logits(torch.as_tensor(mu)).reshape(len(mu), -1).double()
        recon = (F.softplus(logits) - images.reshape(len(mu), -1).double() * logits).sum(dim=1)
        probs = model.decode(torch.as_tensor(mu)).reshape(-1, 1, 28, 28)
        confidence = torch.softmax(classifier(probs), dim=1)[np.arange(len(mu)), labels]
    return recon.numpy(), confidence.numpy()


@pytest.mark.parametrize("name", store.SHIPPED_MODELS)
def test_every_shipped_test_cache_holds_its_measures_as_torch_computes_them(name, data_root):
    files = store.model_files(name)
    model, _ = store.load_model(files)
    cache = load_latent_cache(files.cache(False))
    assert cache.recon_error.shape == cache.label_confidence.shape == (len(cache.mu),)
    dataset = model.info.dataset
    if not has_split(data_root, dataset, train=False):
        pytest.skip(f"{dataset} is not in {data_root}")
    images, labels = load_split(data_root, dataset, train=False)
    assert np.array_equal(labels.numpy(), cache.labels)
    classifier, _ = load_classifier(classifier_path(dataset))
    recon, confidence = oracle(model, images[:N], cache.mu[:N], cache.labels[:N], classifier)
    np.testing.assert_allclose(cache.recon_error[:N], recon, rtol=2e-4)
    np.testing.assert_allclose(cache.label_confidence[:N], confidence, atol=2e-4)


def test_without_a_classifier_only_the_reconstruction_error_is_measured():
    torch.manual_seed(0)
    model = VAE(VAEConfig(hidden_dims=(16,))).eval()
    images = torch.rand(5, 1, 28, 28)
    recon, confidence = digit_measures(model, images, np.zeros((5, 2), np.float32), np.zeros(5, np.int64), None)
    assert confidence is None and recon.shape == (5,) and recon.dtype == np.float32
    same = F.binary_cross_entropy(model.decode(torch.zeros(1, 2)).expand(5, -1, -1, -1), images, reduction="none")
    np.testing.assert_allclose(recon, same.sum(dim=(1, 2, 3)).detach().numpy(), rtol=1e-4)


def test_a_cache_keeps_its_measures_and_refuses_malformed_ones(tmp_path):
    cache = load_latent_cache(store.model_files(store.DEFAULT_MODEL).cache(False))
    path = tmp_path / "m.latents.npz"
    save_latent_cache(path, cache)
    back = load_latent_cache(path)
    assert np.array_equal(back.recon_error, cache.recon_error)
    assert np.array_equal(back.label_confidence, cache.label_confidence)
    bad = {"label_confidence": cache.label_confidence + 1, "recon_error": -cache.recon_error}
    bad |= {"wrong length": cache.recon_error[:-1], "not finite": np.full_like(cache.recon_error, np.nan)}
    for what, values in bad.items():
        field = "label_confidence" if what == "label_confidence" else "recon_error"
        save_latent_cache(path, dataclasses.replace(cache, **{field: values}))
        with pytest.raises(ValueError, match=f"malformed {field}"):
            load_latent_cache(path)


@pytest.mark.slow
def test_a_saved_model_has_its_measures_in_its_test_cache(tmp_path, data_root):
    torch.manual_seed(0)
    model = VAE(VAEConfig(hidden_dims=(16,))).eval()
    files = files_for_path(tmp_path / "m.pt")
    save_native(model, files, {}, data_root)
    cache = load_latent_cache(files.cache(False))
    images, _ = load_split(data_root, "mnist", train=False)
    classifier, _ = load_classifier(classifier_path("mnist"))
    recon, confidence = oracle(model, images[:N], cache.mu[:N], cache.labels[:N], classifier)
    np.testing.assert_allclose(cache.recon_error[:N], recon, rtol=2e-4)
    np.testing.assert_allclose(cache.label_confidence[:N], confidence, atol=2e-4)
    assert load_latent_cache(files.cache(True)).recon_error is None  # the training means are not coloured by it
