"""The exported decoder (plain float32 arrays) reproduces torch's model.decode."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.export import decode_numpy, export_decoder

CONFIGS = [VAEConfig(), VAEConfig(kind="ae", latent_dim=5, hidden_dims=(64, 32, 16)), VAEConfig(hidden_dims=(128,))]


def _model(config: VAEConfig) -> VAE:
    torch.manual_seed(0)
    return VAE(config).eval()


def _torch_decode(model: VAE, z: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model.decode(torch.from_numpy(z)).numpy()[:, 0]


@pytest.mark.parametrize("config", CONFIGS, ids=["vae-512-256", "ae-z5-3layers", "vae-128"])
def test_numpy_decode_matches_torch(config):
    model = _model(config)
    export = export_decoder(model)
    z = np.random.default_rng(0).normal(0, 3, (256, config.latent_dim)).astype(np.float32)
    assert np.abs(decode_numpy(export, z) - _torch_decode(model, z)).max() < 1e-5


@pytest.mark.parametrize("config", CONFIGS, ids=["vae-512-256", "ae-z5-3layers", "vae-128"])
def test_shapes_follow_the_model(config):
    export = export_decoder(_model(config))
    widths = [config.latent_dim, *reversed(config.hidden_dims), config.n_pixels]
    assert [(layer.n_in, layer.n_out) for layer in export.layers] == list(zip(widths[:-1], widths[1:], strict=True))
    assert [layer.activation for layer in export.layers] == ["relu"] * len(config.hidden_dims) + ["none"]
    assert all(layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32 for layer in export.layers)
    manifest, blob = export.to_bytes()
    assert len(blob) == 4 * export.n_parameters == manifest["n_bytes"]
    assert export.n_parameters == sum(p.numel() for p in _model(config).decoder.parameters())
    assert decode_numpy(export, np.zeros((3, config.latent_dim))).shape == (3, 28, 28)


def test_the_binary_layout_is_the_documented_one():
    """What the browser reads (static/latent_map/decoder.js): every layer's float32 little-endian
    weight (out, in) then bias, at the manifest's byte offsets."""
    export = export_decoder(_model(CONFIGS[1]))
    manifest, blob = export.to_bytes()
    manifest = json.loads(json.dumps(manifest))  # what the browser's JSON parser sees
    assert manifest["latent_dim"] == 5 and manifest["image_size"] == 28 and manifest["n_bytes"] == len(blob)
    for spec, layer in zip(manifest["layers"], export.layers, strict=True):
        w = np.frombuffer(blob, "<f4", spec["out"] * spec["in"], spec["weight_offset"]).reshape(spec["out"], spec["in"])
        b = np.frombuffer(blob, "<f4", spec["out"], spec["bias_offset"])
        assert np.array_equal(w, layer.weight) and np.array_equal(b, layer.bias)
        assert spec["activation"] == layer.activation


def test_digest_tracks_the_weights():
    model = _model(CONFIGS[2])
    before = export_decoder(model).digest
    with torch.no_grad():
        model.decoder[0].bias[0] += 1
    assert export_decoder(model).digest != before


def test_unsupported_layer_is_a_clear_error():
    model = _model(CONFIGS[2])
    model.decoder[1] = nn.Tanh()
    with pytest.raises(ValueError, match="Tanh"):
        export_decoder(model)


@pytest.mark.parametrize("name", ["mnist_vae_z2", "mnist_ae_z2"])
def test_shipped_models_export(name):
    from pathlib import Path

    from vae_core.storage.checkpoint import load_checkpoint

    path = Path(__file__).resolve().parents[1] / "models" / f"{name}.pt"
    if not path.is_file():
        pytest.skip(f"{path.name} not shipped yet")
    model, _ = load_checkpoint(path)
    export = export_decoder(model)
    z = np.random.default_rng(1).normal(0, 2, (500, model.config.latent_dim)).astype(np.float32)
    assert np.abs(decode_numpy(export, z) - _torch_decode(model, z)).max() < 1e-5
