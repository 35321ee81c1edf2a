"""`latent-explorer import`: real external-style models (tests/external/, examples/conv_vae.py), trained a
few batches on MNIST, imported through the command, checked against their own code, and refused with a
message when they are not what they say."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.external.pytorch_examples_vae import VAE as ExamplesVAE
from vae_core.analysis import explore
from vae_core.commands import importer
from vae_core.commands.importer import ImportRefused
from vae_core.data.datasets import load_split
from vae_core.models.onnx_model import load_onnx_model
from vae_core.storage import store
from vae_core.storage.checkpoint import CheckpointError, file_sha256, read_payload

REPO = Path(__file__).resolve().parents[1]

BAD_SOURCE = '''
import torch
from torch import nn


class Odd(nn.Module):
    """A VAE whose decode misbehaves in the way `mode` says."""

    def __init__(self, mode="fine"):
        super().__init__()
        self.enc, self.dec, self.mode = nn.Linear(784, 4), nn.Linear(2, 784), mode

    def encode(self, x):
        h = self.enc(x.reshape(len(x), -1))
        return h[:, :2], h[:, 2:]

    def decode(self, z):
        out = self.dec(z)
        if self.mode == "shape":
            return out[:, :100]
        if self.mode == "logits":
            return out * 10
        if self.mode == "sample":
            return torch.bernoulli(torch.sigmoid(out))
        return torch.sigmoid(out)
'''


def own_decode(name: str, module, z: torch.Tensor) -> np.ndarray:
    """The model's own code's pixel probabilities (B, 784): the oracle the imported model must match."""
    with torch.inference_mode():
        out = module.decode(z) if name != "pythae" else module.decoder(z)
        out = torch.sigmoid(out) if name == "conv" else out
    return out.reshape(len(z), -1).numpy()


def own_encode(name: str, module, x: torch.Tensor) -> np.ndarray:
    with torch.inference_mode():
        if name == "examples":
            return module.encode(x.reshape(len(x), -1))[0].numpy()
        return (module.encoder(x) if name == "pythae" else module.encode(x))[0].numpy()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["examples", "pythae", "conv"])
def test_an_imported_model_encodes_and_decodes_as_its_own_code_does(imported_models, data_root, name):
    module, files = imported_models[name]
    model, metrics = store.load_model(files)
    assert model.info.latent_dim == 2 and model.info.beta is None and model.is_vae  # β was never said: unknown
    assert model.info.source == ("onnx" if name == "conv" else "native")
    x = load_split(data_root, "mnist", train=False)[0][:50]
    assert np.abs(explore.encode(model, x)[0] - own_encode(name, module, x)).max() < 1e-4
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(1)) * 2
    assert np.abs(explore.decode(model, z).reshape(50, -1) - own_decode(name, module, z)).max() < 1e-4
    cache = store.load_cache(files, model.info.latent_dim, file_sha256(files.main))
    assert cache.mu.shape == (10_000, 2) and np.allclose(cache.mu[:50], own_encode(name, module, x), atol=1e-4)


@pytest.mark.slow
def test_imported_models_are_listed_and_the_conv_one_is_onnx(imported_models):
    folder = imported_models["conv"][1].folder
    assert store.list_models(folder) == ["conv_z2", "examples_z2", "pythae_z2"]
    assert store.model_files("conv_z2", folder).is_onnx
    manifest = json.loads(store.model_files("conv_z2", folder).manifest.read_text())
    assert manifest["source"] == "conv_vae.py:ConvVAE" and manifest["decoder_output"] == "logits"


@pytest.mark.slow
def test_a_changed_onnx_file_is_refused_by_name(imported_models, tmp_path):
    files = imported_models["conv"][1]
    for source in files.weights:
        (tmp_path / source.name).write_bytes(source.read_bytes())
    copy = store.model_files("conv_z2", tmp_path)
    data = bytearray(copy.weights[2].read_bytes())
    data[-100] ^= 0xFF
    copy.weights[2].write_bytes(bytes(data))
    with pytest.raises(ValueError, match="conv_z2.decoder.onnx does not match the hash in its manifest"):
        load_onnx_model(copy.manifest)
    copy.weights[1].unlink()
    with pytest.raises(ValueError, match="conv_z2.encoder.onnx does not exist"):
        load_onnx_model(copy.manifest)


# ------------------------------------------------------------------ refusals
@pytest.fixture
def odd_model(tmp_path):
    (tmp_path / "odd.py").write_text(BAD_SOURCE)
    torch.manual_seed(0)
    sys.path.insert(0, str(tmp_path))
    try:
        odd = __import__("odd").Odd()
    finally:
        sys.path.pop(0)
        sys.modules.pop("odd", None)
    torch.save(odd.state_dict(), tmp_path / "odd.pt")
    (tmp_path / "models").mkdir()
    return tmp_path


@pytest.mark.parametrize(("mode", "extra", "message"), [
    ("shape", [], "decode returned 100 values per code; expected 784"),
    ("logits", [], r"not probabilities in \[0, 1\]; if it returns logits, pass --decoder-output logits"),
    ("sample", [], "decode is not deterministic"),
    ("fine", ["--class", "Missing"], "odd.py defines no nn.Module class named Missing"),
    ("fine", ["--args", '{"width": 3}'], "does not build Odd"),
])
def test_the_import_refuses_a_model_that_breaks_the_interface(odd_model, data_root, mode, extra, message):
    argv = ["module", odd_model / "odd.py", "--class", "Odd", "--weights", odd_model / "odd.pt", "--args",
            json.dumps({"mode": mode}), "--name", "odd", "--models", odd_model / "models", "--data-root", data_root, *extra]
    with pytest.raises(ImportRefused, match=message):
        importer.main([str(a) for a in argv])
    assert not any((odd_model / "models").iterdir())  # nothing written


def test_the_import_refuses_files_that_are_not_what_they_say(tmp_path, data_root):
    (tmp_path / "models").mkdir()
    (tmp_path / "notes.pt").write_text("these are not weights")
    common = ["--models", tmp_path / "models", "--data-root", data_root]
    with pytest.raises(ImportRefused, match="notes.pt is not a state_dict saved with torch.save"):
        importer.main([str(a) for a in ["weights", tmp_path / "notes.pt", "--name", "x", *common]])
    torch.save({"layer.weight": torch.zeros(3, 3)}, tmp_path / "other.pt")
    with pytest.raises(ImportRefused, match="neither pytorch/examples' VAE .* nor pythae's MLP VAE"):
        importer.main([str(a) for a in ["weights", tmp_path / "other.pt", "--name", "x", *common]])
    (tmp_path / "enc.onnx").write_bytes(b"\x08\x07garbage" * 10)
    (tmp_path / "m.json").write_text(json.dumps({"kind": "vae", "latent_dim": 2, "decoder_output": "logits"}))
    with pytest.raises(ImportRefused, match="the encoder of x is not a usable ONNX model"):
        importer.main([str(a) for a in ["onnx", "--encoder", tmp_path / "enc.onnx", "--decoder", tmp_path / "enc.onnx",
                                         "--manifest", tmp_path / "m.json", "--name", "x", *common]])
    with pytest.raises(ImportRefused, match="--name '../x': use letters"):
        importer.main([str(a) for a in ["weights", tmp_path / "other.pt", "--name", "../x", *common]])
    assert not any((tmp_path / "models").iterdir())


def test_files_dropped_into_models_name_the_import_command(tmp_path):
    module = ExamplesVAE()
    torch.save(module.state_dict(), tmp_path / "bare.pt")
    torch.save({"model_state_dict": module.state_dict()}, tmp_path / "pythae.pt")
    torch.save(module, tmp_path / "whole.pt")
    for name, message in [("bare", "is a bare state_dict .* latent-explorer import weights bare.pt"),
                          ("pythae", "in pythae's layout; import its folder: latent-explorer import weights"),
                          ("whole", "holds pickled Python objects .* latent-explorer import module")]:
        with pytest.raises(CheckpointError, match=message):
            read_payload(tmp_path / f"{name}.pt")


@pytest.mark.slow  # three processes that each import torch
def test_the_console_script_lists_its_subcommands():
    script = Path(sys.executable).with_name("latent-explorer")
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True).stdout
    assert all(f"latent-explorer {sub} " in out for sub in ("train", "evaluate", "encode", "latents", "import"))
    bad = subprocess.run([str(script), "bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "latent-explorer import" in bad.stderr
    helped = subprocess.run([str(script), "import", "module", "--help"], capture_output=True, text=True, check=True)
    assert "--decoder-output {probabilities,logits}" in helped.stdout


def test_an_onnx_graph_that_keeps_its_weights_in_another_file_is_refused(tmp_path, data_root):
    """ONNX external data names a file by path, which onnxruntime would read: a model is its own files only."""
    import onnx

    shipped = store.model_files("mnist_conv_vae_z2", REPO / "models")
    if not shipped.is_onnx:
        pytest.skip("the shipped convolutional model is not in models/")
    graph = onnx.load_model_from_string(shipped.weights[2].read_bytes())
    onnx.save_model(graph, tmp_path / "dec.onnx", save_as_external_data=True, location="weights.bin", size_threshold=0)
    (tmp_path / "m.json").write_text(json.dumps({"kind": "vae", "latent_dim": 2, "decoder_output": "logits"}))
    (tmp_path / "models").mkdir()
    argv = ["onnx", "--encoder", shipped.weights[1], "--decoder", tmp_path / "dec.onnx", "--manifest", tmp_path / "m.json",
            "--name", "x", "--models", tmp_path / "models", "--data-root", data_root]
    with pytest.raises(ImportRefused, match="keeps tensors in another file"):
        importer.main([str(a) for a in argv])
    assert not any((tmp_path / "models").iterdir())


@pytest.mark.parametrize("text", ['{"format": "latent-explorer-onnx", "latent_dim": ' + "9" * 5000 + "}",
                                  "[" * 100_000 + "]" * 100_000, '{"format": "latent-explorer-onnx", "version": 2}'])
def test_a_malformed_manifest_is_refused_by_name(tmp_path, text):
    (tmp_path / "odd.model.json").write_text(text)
    assert store.list_models(tmp_path) == ["odd"]
    with pytest.raises(CheckpointError, match="odd.model.json"):
        store.load_model(store.model_files("odd", tmp_path))


def test_a_source_file_that_fails_is_refused_with_its_error(tmp_path, data_root):
    (tmp_path / "broken.py").write_text("import torch\nraise RuntimeError('no GPU here')\n")
    torch.save({"w": torch.zeros(1)}, tmp_path / "w.pt")
    (tmp_path / "models").mkdir()
    argv = ["module", tmp_path / "broken.py", "--class", "X", "--weights", tmp_path / "w.pt", "--name", "x",
            "--models", tmp_path / "models", "--data-root", data_root]
    with pytest.raises(ImportRefused, match="running broken.py failed: RuntimeError: no GPU here"):
        importer.main([str(a) for a in argv])


def test_only_models_the_app_trained_count_as_trained_here(tmp_path):
    # The record the app's training writes beside a model, of this very file; a name alone proves nothing.
    def model(name: str, record: dict | None) -> None:
        (tmp_path / f"{name}.pt").write_bytes(name.encode())
        if record is not None:
            (tmp_path / f"{name}.trained.json").write_text(json.dumps(record))

    digest = lambda name: hashlib.sha256(name.encode()).hexdigest()  # noqa: E731
    model("mnist_vae_z2_beta4_20261123-0912", {"owner": "x", "model_sha256": digest("mnist_vae_z2_beta4_20261123-0912")})
    model("mnist_vae_z2_beta4_20261123-0913", None)  # named like a trained one, copied in by the operator
    model("my_vae", {"owner": "x", "model_sha256": digest("my_vae")})  # any name the app saved under
    model("replaced", {"owner": "x", "model_sha256": digest("the file it was made for")})
    model("mnist_vae_z2", {"owner": "x", "model_sha256": digest("mnist_vae_z2")})  # a shipped model: never
    assert [n for n in store.list_models(tmp_path) if store.trained_here(n, tmp_path)] == [
        "mnist_vae_z2_beta4_20261123-0912", "my_vae"]
