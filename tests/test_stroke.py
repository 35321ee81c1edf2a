"""The stroke width fitted to the model (vae_core.uploads.stroke): variants, the negative ELBO against torch's
own loss terms, and the choice."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vae_core.storage import settings, store
from vae_core.uploads.preprocess import preprocess
from vae_core.uploads.stroke import STROKES, fit_strokes, negative_elbo, stroke_variants

UPLOADS = sorted((settings.REPO / "tests" / "fixtures" / "uploads").glob("*.[jp][pn]g"))  # scans, canvas, photos


@pytest.fixture(scope="module")
def vae():
    return store.load_model(store.model_files(store.DEFAULT_MODEL))[0]


@pytest.fixture(scope="module")
def prepared() -> np.ndarray:
    return np.stack([preprocess(path) for path in UPLOADS])


def test_variants_are_the_prepared_input_one_thicker_and_one_thinner(prepared):
    variants = stroke_variants(prepared)
    assert variants.shape == (len(prepared), len(STROKES), 28, 28) and variants.dtype == np.float32
    assert np.array_equal(variants[:, 0], prepared)
    assert (variants[:, 1] >= variants[:, 0]).all() and (variants[:, 2] <= variants[:, 0]).all()
    ink = variants.sum(axis=(2, 3))
    assert (ink[:, 1] > 1.2 * ink[:, 0]).all() and (ink[:, 2] < 0.8 * ink[:, 0]).all()


def test_the_negative_elbo_is_torchs_reconstruction_plus_kl_at_the_posterior_mean(vae, prepared):
    x = torch.as_tensor(prepared).reshape(len(prepared), 1, 28, 28)
    with torch.inference_mode():
        mu, logvar = vae.encode(x)
        recon = F.binary_cross_entropy_with_logits(vae.decode_logits(mu), x.reshape(len(x), -1), reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)  # Kingma & Welling 2014, appendix B
    assert np.allclose(negative_elbo(vae, prepared), (recon + kl).numpy(), rtol=1e-3)


def test_an_autoencoder_is_scored_by_its_reconstruction_alone(prepared):
    ae = store.load_model(store.model_files("mnist_ae_z2"))[0]
    scores = negative_elbo(ae, prepared)
    x = torch.as_tensor(prepared).reshape(len(prepared), 1, 28, 28)
    with torch.inference_mode():
        recon = F.binary_cross_entropy_with_logits(ae.decode_logits(ae.encode(x)[0]), x.reshape(len(x), -1),
                                                   reduction="none").sum(1)
    assert np.isfinite(scores).all() and np.allclose(scores, recon.numpy(), rtol=1e-3)


def test_each_upload_gets_the_variant_the_model_explains_best(vae, prepared):
    chosen, names = fit_strokes(vae, prepared)
    scores = np.stack([negative_elbo(vae, v) for v in stroke_variants(prepared).transpose(1, 0, 2, 3)], axis=1)
    best = scores.argmin(axis=1)
    assert names == [STROKES[i] for i in best]
    assert np.array_equal(chosen, stroke_variants(prepared)[np.arange(len(prepared)), best])
    assert len(set(names)) > 1  # the uploads differ in how their strokes fit
