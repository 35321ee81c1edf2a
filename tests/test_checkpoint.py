"""Checkpoint round trip, and the one clear error for every kind of bad file."""
from dataclasses import asdict

import pytest
import torch

from vae_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from vae_core.config import VAEConfig
from vae_core.model import VAE


@pytest.mark.parametrize("config", [VAEConfig(), VAEConfig(kind="ae", latent_dim=16, hidden_dims=(64, 32)), VAEConfig(beta=4.0)])
def test_round_trip(tmp_path, config):
    torch.manual_seed(0)
    model = VAE(config)
    path = tmp_path / "model.pt"
    save_checkpoint(model, path, {"train_seconds": 1.5})
    loaded, metrics = load_checkpoint(path)
    assert asdict(loaded.config) == asdict(config)
    assert metrics == {"train_seconds": 1.5}
    original, restored = model.state_dict(), loaded.state_dict()
    assert original.keys() == restored.keys()
    assert all(torch.equal(original[k], restored[k]) for k in original)
    assert not loaded.training
    assert not list(tmp_path.glob("*.tmp")), "temporary file left behind"


def test_save_replaces_atomically_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    save_checkpoint(VAE(VAEConfig()), path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError):
        save_checkpoint(VAE(VAEConfig(latent_dim=3)), path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def _saved(tmp_path):
    path = tmp_path / "good.pt"
    save_checkpoint(VAE(VAEConfig()), path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")


def test_truncated_file(tmp_path):
    path = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"this is not a checkpoint" * 10)
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"config": {}, "state_dict": {}, "payload": VAEConfig}, path)  # a class needs unpickling
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_weights_that_do_not_match_the_config(tmp_path):
    path = tmp_path / "mismatch.pt"
    payload = {"config": asdict(VAEConfig(latent_dim=3)), "state_dict": VAE(VAEConfig()).state_dict(), "metrics": {}}
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(path)


def test_invalid_config(tmp_path):
    path = tmp_path / "badconfig.pt"
    torch.save({"config": {"kind": "gan"}, "state_dict": {}, "metrics": {}}, path)
    with pytest.raises(CheckpointError, match="invalid config"):
        load_checkpoint(path)


def test_not_a_dict(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="lacks"):
        load_checkpoint(path)


@pytest.mark.parametrize("config, metrics", [
    ({**asdict(VAEConfig()), "latent_dim": 2.5}, {}),
    ({**asdict(VAEConfig()), "dataset": "cifar"}, {}),
    ({**asdict(VAEConfig()), "hidden_dims": (512, "wide")}, {}),
    (asdict(VAEConfig()), ["not", "a", "dict"]),
])
def test_wrong_values_inside_a_checkpoint_give_the_clear_error(tmp_path, config, metrics):
    path = tmp_path / "odd.pt"
    torch.save({"config": config, "state_dict": VAE(VAEConfig()).state_dict(), "metrics": metrics}, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_a_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.pt"
    torch.save({"format_version": 99, "config": asdict(VAEConfig()), "state_dict": VAE(VAEConfig()).state_dict()}, path)
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)
