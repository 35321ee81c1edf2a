"""The binary payloads the latent map's browser code reads (vae_core/storage/payload.py).

A reader written here from the documented layout (the same steps as
static/latent_map/payload.js) must get back exactly what was packed.
"""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.export import export_decoder
from vae_core.storage.latents import LatentCache
from vae_core.storage.payload import MAGIC, pack_model_payload, pack_points_payload


def read_payload(payload: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    assert payload[:4] == MAGIC
    (header_len,) = struct.unpack("<I", payload[4:8])
    header = json.loads(payload[8 : 8 + header_len])
    arrays = {}
    for name, s in header["sections"].items():
        assert s["offset"] % 4 == 0, f"{name} is not 4-byte aligned"
        dtype = np.dtype(s["dtype"])
        count = int(np.prod(s["shape"]))
        arrays[name] = np.frombuffer(payload, dtype, count, s["offset"]).reshape(s["shape"])
    return header, arrays


def cache(n: int = 50, dim: int = 2, vae: bool = True, seed: int = 0) -> LatentCache:
    rng = np.random.default_rng(seed)
    logvar = rng.normal(-3, 1, (n, dim)) if vae else np.full((n, dim), -np.inf)
    return LatentCache(rng.normal(size=(n, dim)).astype(np.float32), logvar.astype(np.float32),
                       rng.integers(0, 10, n))


@pytest.fixture(scope="module")
def export():
    torch.manual_seed(0)
    return export_decoder(VAE(VAEConfig(latent_dim=3, hidden_dims=(16, 8))).eval())


def test_model_payload_round_trip(export):
    test = cache(dim=3)
    key, payload = pack_model_payload("toy", export, test)
    header, arrays = read_payload(payload)
    assert header["key"] == key and header["kind"] == "model" and header["model_name"] == "toy"
    assert np.array_equal(arrays["mu"], test.mu) and np.array_equal(arrays["logvar"], test.logvar)
    assert np.array_equal(arrays["labels"], test.labels.astype(np.uint8))
    manifest, blob = export.to_bytes()
    assert header["decoder"] == manifest and arrays["decoder"].tobytes() == blob


def test_an_autoencoder_payload_has_no_logvar(export):
    _, arrays = read_payload(pack_model_payload("ae", export, cache(dim=3, vae=False))[1])
    assert "logvar" not in arrays and arrays["mu"].shape == (50, 3)


def test_points_payload_and_content_keys(export):
    train = cache(n=70, dim=3, seed=1)
    key, payload = pack_points_payload("toy", train, "train")
    header, arrays = read_payload(payload)
    assert header["kind"] == "points" and header["split"] == "train" and "decoder" not in arrays
    assert np.array_equal(arrays["mu"], train.mu)
    assert pack_points_payload("toy", cache(n=70, dim=3, seed=2), "train")[0] != key, "new content, new key"
    assert pack_points_payload("toy", train, "train") == (key, payload), "same content, same key and bytes"


def test_mismatched_posteriors_are_refused(export):
    with pytest.raises(ValueError, match="means must be"):
        pack_model_payload("toy", export, cache(dim=2))  # the decoder takes 3 dims
    with pytest.raises(ValueError, match="means must be"):
        pack_points_payload("toy", LatentCache(np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32),
                                               np.zeros(0, int)), "train")
