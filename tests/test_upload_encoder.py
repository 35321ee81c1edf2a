"""The upload encoders (vae_core.uploads.upload_encoder): a second encoder for a model, for uploads only.

Measured (bench/upload_fidelity.py, 600 uploads per generator, mnist_vae_z2): no upload encoder trained so far
beats the model's own encoder on uploads, so models/ ships none and the app and CLI keep the model's own.
tests/fixtures/upload_encoder/mnist_vae_z2.upload_encoder.pt is the best one (residual: a CNN correction on
the shipped default's own encoder, 15 minutes on one CPU thread), kept to hold the contract: the file's round
trip, the refusal of an encoder trained for another model file, agreement with the model's own encoder on
MNIST (measured on all 10,000 test digits: mean |mu_upload - mu_own| = 0.41 sigma_own, vote 0.858 against the
own 0.860), the distortions' shapes and ranges, the CLI's choice of encoder, and the map's means untouched.
"""
from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
import torch

from vae_core.analysis import explore
from vae_core.commands.encode import encode_files
from vae_core.commands.encode import main as encode_main
from vae_core.storage import settings, store
from vae_core.storage.checkpoint import file_sha256
from vae_core.storage.latents import encode_all, load_latent_cache
from vae_core.uploads.distort import distort, normalise
from vae_core.uploads.upload_encoder import (
    UploadEncoder,
    UploadEncoderConfig,
    UploadEncoderError,
    encode_uploads,
    load_upload_encoder,
    read_upload_encoder,
    save_upload_encoder,
)

MODELS = settings.REPO / "models"
FIXTURE_ENCODER = settings.REPO / "tests" / "fixtures" / "upload_encoder" / "mnist_vae_z2.upload_encoder.pt"
FIXTURE = settings.REPO / "tests" / "fixtures" / "mnist1_white_on_black.png"
MNIST_MODELS = ["mnist_vae_z2", "mnist_vae_z2_beta0.1", "mnist_vae_z2_beta4", "mnist_vae_z16", "mnist_ae_z2",
                "mnist_conv_vae_z2"]


@pytest.fixture(scope="module")
def with_encoder(tmp_path_factory) -> store.ModelFiles:
    """A models folder holding the shipped default (its file and caches) and the fixture's upload encoder."""
    folder = tmp_path_factory.mktemp("models")
    for path in MODELS.glob("mnist_vae_z2.*"):
        if path.name.count(".") == 1 or path.name.endswith(("latents.npz", "summary.json")):
            shutil.copy(path, folder / path.name)
    shutil.copy(FIXTURE_ENCODER, folder / FIXTURE_ENCODER.name)
    return store.model_files("mnist_vae_z2", folder)


@pytest.fixture(scope="module")
def mnist_test(data_root) -> np.ndarray:
    from vae_core.data.datasets import read_images

    return read_images(data_root, "mnist", train=False).astype(np.float32) / 255


def test_the_fixture_encoder_loads_for_the_shipped_default(with_encoder):
    encoder = load_upload_encoder(with_encoder, strict=True)  # raises if stale or damaged
    assert encoder is not None and encoder.config.residual and encoder.config.latent_dim == 2
    assert encoder.config.is_vae and encoder.config.model_sha256 == file_sha256(MODELS / "mnist_vae_z2.pt")


@pytest.mark.parametrize("name", MNIST_MODELS)
def test_any_shipped_upload_encoder_is_current(name):
    # None ship today (they did not beat the models' own encoders on uploads); one that does must match its model
    if store.model_files(name).upload_encoder.is_file():
        assert load_upload_encoder(name, strict=True) is not None
    else:
        assert load_upload_encoder(name) is None


def test_fashion_model_has_none():
    # Fashion-MNIST is not handwriting: no upload encoder, the Encode page uses the model's own
    assert load_upload_encoder("fashion_vae_z2") is None


def test_file_round_trip(tmp_path, with_encoder):
    encoder = load_upload_encoder(with_encoder, strict=True)
    metrics = read_upload_encoder(with_encoder.upload_encoder, base=encoder.base)[1]
    save_upload_encoder(encoder, tmp_path / "copy.pt", metrics)
    again, metrics_again = read_upload_encoder(tmp_path / "copy.pt", encoder.config.model_sha256, encoder.base)
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert all(torch.equal(a, b) for a, b in zip(encoder.encode(x), again.encode(x), strict=True))
    assert again.config == encoder.config and metrics_again == metrics
    assert not list(tmp_path.glob("*.tmp*"))  # written through a temporary and a rename


def test_refused_when_the_model_file_changed(tmp_path):
    shutil.copy(FIXTURE_ENCODER, tmp_path / "m.upload_encoder.pt")
    (tmp_path / "m.pt").write_bytes(b"another model file")
    files = store.model_files("m", tmp_path)
    assert load_upload_encoder(files) is None  # the app falls back to the model's own encoder
    with pytest.raises(UploadEncoderError, match="another version of the model file"):
        load_upload_encoder(files, strict=True)
    (tmp_path / "x.upload_encoder.pt").write_bytes(b"not torch")
    (tmp_path / "x.pt").write_bytes(b"x")
    with pytest.raises(UploadEncoderError, match="not a readable upload encoder"):
        load_upload_encoder(store.model_files("x", tmp_path), strict=True)


def test_an_autoencoders_upload_encoder_has_no_sigma():
    enc = UploadEncoder(UploadEncoderConfig(latent_dim=2, is_vae=False, model_sha256="0" * 64))
    mu, sigma = encode_uploads(enc, np.zeros((3, 28, 28), np.float32))
    assert mu.shape == sigma.shape == (3, 2) and (sigma == 0).all()


# SHA-256 (first 16 hex digits) of each map's test means (NAME.latents.npz "mu", float32 bytes) as the model's own
# encoder wrote them before upload encoders existed: the upload encoders must change none of them.
MAP_MEANS = {"mnist_vae_z2": "4a34a3a7ccfe559b", "mnist_vae_z2_beta0.1": "281955d954975950",
             "mnist_vae_z2_beta4": "e5f10fb3037c3ed8", "mnist_vae_z16": "e3a44f046b722c33",
             "mnist_ae_z2": "aa22a7b7c4979b3f", "mnist_conv_vae_z2": "177d86b2b009be46"}


@pytest.mark.parametrize("name", MNIST_MODELS)
def test_the_maps_means_are_the_models_own_encoders_to_the_byte(name):
    files = store.model_files(name)
    cache = load_latent_cache(files.cache())
    assert hashlib.sha256(cache.mu.tobytes()).hexdigest()[:16] == MAP_MEANS[name]
    assert cache.checkpoint_sha256 == file_sha256(files.main)  # encoded by this very model file


def test_the_map_is_the_own_encoders_not_the_upload_encoders(with_encoder, mnist_test):
    model, _ = store.load_model(with_encoder)
    cache = load_latent_cache(with_encoder.cache())
    mu, _ = encode_all(model, torch.as_tensor(mnist_test)[:, None])
    # recomputed here: the same up to float rounding (measured 1.7e-5: another BLAS, another summation order)
    assert np.abs(mu.numpy() - cache.mu).max() < 1e-4
    up, _ = encode_uploads(load_upload_encoder(with_encoder), mnist_test[:200])
    assert np.abs(up - cache.mu[:200]).max() > 1e-3


def test_the_two_encoders_agree_on_mnist_test(with_encoder, mnist_test):
    cache = load_latent_cache(with_encoder.cache())
    x = mnist_test[:1000]
    mu, _ = encode_uploads(load_upload_encoder(with_encoder, strict=True), x)
    gap = np.abs(mu - cache.mu[:1000]) / np.exp(0.5 * cache.logvar[:1000])
    assert gap.mean() < 0.6, gap.mean()  # in units of the model's own sigma (0.41 over all 10,000)
    # and a test digit lands among its own class as often: the vote without the digit's own mean
    d = ((mu[:, None] - cache.mu[None]) ** 2).sum(-1)
    d[np.arange(1000), np.arange(1000)] = np.inf
    near = cache.labels[np.argsort(d, 1)[:, :15]]
    up = (near[:, :, None] == np.arange(10)).sum(1).argmax(1)
    own = explore.majority_labels(cache.mu, cache.labels, cache.mu[:1000], 16)[0]  # 16: itself and 15 others
    assert abs((up == cache.labels[:1000]).mean() - (own == cache.labels[:1000]).mean()) < 0.02


def test_distortions_keep_shapes_and_ranges_and_are_seeded(mnist_test):
    x = torch.as_tensor(mnist_test[:64])[:, None]
    a = distort(x, torch.Generator().manual_seed(1))
    b = distort(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1 and (a.amax((1, 2, 3)) > 0.9).all()
    assert not torch.equal(a, distort(x, torch.Generator().manual_seed(2)))
    # the preprocessing's framing keeps an MNIST digit (already 20x20, centred by mass) nearly as it was
    assert (normalise(x) - x).abs().mean() < 0.05


def test_cli_uses_the_upload_encoder_unless_asked(with_encoder, capsys):
    checkpoint = str(with_encoder.checkpoint)
    encode_main(["--checkpoint", checkpoint, str(FIXTURE), "--json"])
    captured = capsys.readouterr()
    with_upload = json.loads(captured.out)[0]
    assert "the upload encoder" in captured.err
    encode_main(["--checkpoint", checkpoint, str(FIXTURE), "--json", "--own-encoder"])
    own = json.loads(capsys.readouterr().out)[0]
    model, _ = store.load_model(with_encoder)
    upload = load_upload_encoder(with_encoder)
    assert with_upload == encode_files(model, [str(FIXTURE)], upload_encoder=upload, fit_stroke=True)[0]
    assert own == encode_files(model, [str(FIXTURE)], fit_stroke=True)[0]
    assert with_upload["mu"] != own["mu"]
    # the shipped folder has none: the model's own encoder
    encode_main(["--checkpoint", str(MODELS / "mnist_vae_z2.pt"), str(FIXTURE), "--json"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0] == own and "the model's own" in captured.err
