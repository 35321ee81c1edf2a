"""Checkpoint round trip, and the one clear error for every kind of bad file."""
import os
import time
from dataclasses import asdict

import pytest
import torch

from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


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
    with pytest.raises(CheckpointError, match="holds pickled Python objects .* the app never unpickles code"):
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


@pytest.mark.parametrize("changes", [
    {"latent_dim": 2.5}, {"dataset": "cifar"}, {"hidden_dims": (512, "wide")}, {"latent_dim": True},
    {"beta": float("nan")}, {"beta": "1"},
    # Absurd sizes are refused from the config, before a layer is allocated (they used to cost 4-5 GB).
    {"hidden_dims": (1_000_000, 256)}, {"hidden_dims": (512,) * 40}, {"image_size": 1000}, {"latent_dim": 10**7},
])
def test_wrong_values_inside_a_checkpoint_give_the_clear_error(tmp_path, changes):
    path = tmp_path / "odd.pt"
    torch.save({"config": {**asdict(VAEConfig()), **changes}, "state_dict": VAE(VAEConfig()).state_dict()}, path)
    started = time.perf_counter()
    with pytest.raises(CheckpointError, match="odd.pt has an invalid config"):
        load_checkpoint(path)
    assert time.perf_counter() - started < 2


def test_non_finite_weights_are_refused(tmp_path):
    state = VAE(VAEConfig()).state_dict()
    state["mu_head.bias"][0] = float("nan")
    torch.save({"config": asdict(VAEConfig()), "state_dict": state}, tmp_path / "nan.pt")
    with pytest.raises(CheckpointError, match="non-finite weights in mu_head.bias"):
        load_checkpoint(tmp_path / "nan.pt")


@pytest.mark.parametrize("metrics", [None, ["not", "a", "dict"], {"history": None, "epochs": None}])
def test_odd_metrics_leave_the_model_usable(tmp_path, metrics):
    torch.save({"config": asdict(VAEConfig()), "state_dict": VAE(VAEConfig()).state_dict(), "metrics": metrics},
               tmp_path / "m.pt")
    model, loaded_metrics = load_checkpoint(tmp_path / "m.pt")
    assert model.config == VAEConfig() and loaded_metrics == (metrics if isinstance(metrics, dict) else {})


class _RunsCode:
    """Pickles as a call to os.system: loading it with full unpickling would create `marker`."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_code_carrying_pickle_runs_nothing_and_the_refusal_keeps_server_details_out(tmp_path):
    path, marker = tmp_path / "evil.pt", tmp_path / "ran"
    torch.save({"config": asdict(VAEConfig()), "state_dict": {}, "payload": _RunsCode(marker)}, path)
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(path)
    assert not marker.exists()
    message = str(refused.value)
    assert "evil.pt" in message and str(tmp_path) not in message
    assert "weights_only" not in message and "pickle" not in message.lower()


def test_a_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.pt"
    torch.save({"format_version": 99, "config": asdict(VAEConfig()), "state_dict": VAE(VAEConfig()).state_dict()}, path)
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)


def _deflated(source, target) -> None:
    """The same archive with every entry DEFLATE-compressed (torch.load reads it as it is)."""
    import zipfile

    with zipfile.ZipFile(source) as plain, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as packed:
        for entry in plain.infolist():
            packed.writestr(entry.filename, plain.read(entry.filename))


@pytest.mark.slow
def test_a_zip_bomb_is_refused_before_torch_allocates_it(tmp_path):
    # The attack, at 128 MB: a zero tensor in the metrics, re-zipped with DEFLATE to a few hundred KB.
    model = VAE(VAEConfig())
    big = tmp_path / "big.pt"
    torch.save({"config": asdict(model.config), "state_dict": model.state_dict(),
                "metrics": {"blob": torch.zeros(32 << 20)}}, big)
    bomb = tmp_path / "bomb.pt"
    _deflated(big, bomb)
    big.unlink()
    assert bomb.stat().st_size < 8 << 20
    assert torch.load(bomb, weights_only=True)["metrics"]["blob"].numel() == 32 << 20, "torch.load would read it"
    with pytest.raises(CheckpointError, match=r"bomb\.pt unpacks to 13\d MB; the app reads checkpoints of at most 96 MB"):
        load_checkpoint(bomb)


def test_a_file_over_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "huge.pt"
    with open(path, "wb") as handle:
        handle.truncate(100 << 20)  # sparse: 100 MB long, nothing written
    with pytest.raises(CheckpointError, match=r"huge\.pt is 100 MB; the app reads checkpoints of at most 96 MB"):
        load_checkpoint(path)


def test_pytorchs_older_format_is_refused(tmp_path):
    # It allocates the storages it declares before reading them, so it is not read at all.
    model = VAE(VAEConfig())
    path = tmp_path / "legacy.pt"
    torch.save({"config": asdict(model.config), "state_dict": model.state_dict()}, path,
               _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="corrupt or not a checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize("metrics, why", [({"blob": torch.zeros(4)}, "holding a Tensor"),
                                          ({"history": [{"loss": 1.0}] * 60_000}, "more than 100,000 values")])
def test_metrics_hold_only_a_bounded_number_of_plain_values(tmp_path, metrics, why):
    model = VAE(VAEConfig())
    path = tmp_path / "odd.pt"
    torch.save({"config": asdict(model.config), "state_dict": model.state_dict(), "metrics": metrics}, path)
    with pytest.raises(CheckpointError, match=why):
        load_checkpoint(path)


@pytest.mark.parametrize("recorded", ["match", "another", "none"])
def test_a_latent_cache_is_used_only_beside_the_checkpoint_it_records(tmp_path, recorded):
    """A cache and its checkpoint are one unit: one that records another file's hash, or none, is refused."""
    import dataclasses

    from tests.browser_support import copy_default_model
    from vae_core.storage import store
    from vae_core.storage.checkpoint import file_sha256
    from vae_core.storage.latents import load_latent_cache, save_latent_cache

    folder = copy_default_model(tmp_path)
    files = store.model_files(store.DEFAULT_MODEL, folder)
    sha = file_sha256(files.main)
    cache = load_latent_cache(files.cache(False))
    written = {"match": sha, "another": "0" * 64, "none": None}[recorded]
    save_latent_cache(files.cache(False), dataclasses.replace(cache, checkpoint_sha256=written))
    model = load_checkpoint(files.main)[0]
    if recorded == "match":
        assert store.load_cache(files, model.info.latent_dim, sha).checkpoint_sha256 == sha
    else:
        with pytest.raises(CheckpointError, match="was not made from this"):
            store.load_cache(files, model.info.latent_dim, sha)
