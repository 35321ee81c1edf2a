"""Save and load models as `{"config", "state_dict", "metrics"}` without pickled code."""
from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
import time
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from vae_core.models.config import VAEConfig

if TYPE_CHECKING:  # torch is imported by the functions that need it: hashes and refusals come without it
    import torch

    from vae_core.models.model import VAE

FORMAT_VERSION = 1
TMP_SUFFIX = ".tmp"
# The largest model the app shows (vae_core.models.config.MAX_PARAMETERS, float32) is 64 MB; its metrics are
# a few thousand numbers. Checked on the file and on its archive's entries before torch.load allocates anything.
MAX_CHECKPOINT_BYTES = 96 << 20
MAX_METRIC_VALUES = 100_000


IMPORT_COMMAND = "latent-explorer import"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable, or does not match the model it describes."""


def stage(path: str | Path, write) -> Path:
    """Call `write(tmp_path)` on a new temporary file beside `path` and return it (mode 0644);
    the caller renames it into place (os.replace) or removes it. Nothing is left on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a shipped model must be readable by all
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(path: str | Path, write) -> None:
    """Write `path` through a temporary file and a rename, so a crash never leaves it half-written."""
    tmp = stage(path, write)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: str | Path, names: list[str]) -> list[Path]:
    """Delete the temporary files that a killed save of the files `names` left in `folder` (their new
    save is about to start). Returns what was removed."""
    removed = []
    for tmp in (path for name in names for path in Path(folder).glob(f".{name}.*{TMP_SUFFIX}")):
        if tmp.is_file() and not tmp.is_symlink():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def remove_leftovers(folder: str | Path, min_age_seconds: float = 600) -> list[Path]:
    """Delete every temporary file a killed save left in `folder` (`stage` names them .NAME.*.tmp), whatever
    its name, once it is older than `min_age_seconds` (a save in progress, here or in another process on
    the same folder, stages its files for well under a minute). Returns what was removed."""
    removed, now = [], time.time()
    for tmp in Path(folder).glob(f".*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
            if tmp.is_file() and not tmp.is_symlink() and now - tmp.stat().st_mtime > min_age_seconds:
                tmp.unlink()
                removed.append(tmp)
    return removed


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes: what a latent cache records of the checkpoint it was made from."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checkpoint_payload(model: torch.nn.Module, metrics: dict | None = None) -> dict:
    """What a checkpoint file holds: format version, config (a plain dict), weights, metrics."""
    return {
        "format_version": FORMAT_VERSION,
        "config": asdict(model.config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "metrics": dict(metrics or {}),
    }


def save_checkpoint(model: torch.nn.Module, path: str | Path, metrics: dict | None = None) -> None:
    """Write config, weights and metrics atomically."""
    import torch

    payload = checkpoint_payload(model, metrics)
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def read_payload(path: str | Path) -> dict:
    """The checkpoint's dict, read without unpickling code. Raises CheckpointError
    naming the file (never the server's folder, never PyTorch's advice to unpickle)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path.name} does not exist")
    _check_size(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"checkpoint {path.name} {_what_it_is(path, exc)}") from exc
    if not isinstance(payload, dict) or not {"config", "state_dict"} <= set(payload) or not isinstance(payload["config"], dict):
        if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
            raise CheckpointError(f"checkpoint {path.name} is a bare state_dict (weights without the config that says "
                                  f"how to build the model); import it: {IMPORT_COMMAND} weights {path.name} --name NAME")
        if isinstance(payload, dict) and isinstance(payload.get("model_state_dict"), dict):
            raise CheckpointError(f"checkpoint {path.name} is in pythae's layout; import its folder: "
                                  f"{IMPORT_COMMAND} weights FOLDER --name NAME")
        raise CheckpointError(f"checkpoint {path.name} lacks 'config' and 'state_dict'; a model trained elsewhere "
                              f"comes in through {IMPORT_COMMAND} (see README, \"Your own VAE\")")
    version = payload.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path.name} has format version {version!r}; this code reads version {FORMAT_VERSION}")
    return payload


def _check_size(path: Path) -> None:
    """Refuse a file, or an archive whose entries unpack, beyond MAX_CHECKPOINT_BYTES (a DEFLATE-compressed
    zero tensor of 2 GB fits in 2 MB). torch.save writes a zip archive; anything else is not read at all,
    since PyTorch's older format allocates the storages it declares before reading them."""
    limit = f"the app reads checkpoints of at most {MAX_CHECKPOINT_BYTES >> 20} MB"
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"checkpoint {path.name} is {size / 2**20:.0f} MB; {limit}")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path.name} is corrupt or not a checkpoint (not the zip archive "
                              "torch.save writes)") from exc
    if unpacked > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"checkpoint {path.name} unpacks to {unpacked / 2**20:.0f} MB; {limit}")


def small_metrics(name: str, metrics) -> dict:
    """The metrics as stored, if they are what the trainer writes: numbers, text and lists or dicts of them,
    at most MAX_METRIC_VALUES in all; no tensors."""
    if not isinstance(metrics, dict):
        return {}
    count, pending = 0, [metrics]
    while pending:
        value = pending.pop()
        count += 1
        if count > MAX_METRIC_VALUES:
            raise CheckpointError(f"checkpoint {name} has metrics of more than {MAX_METRIC_VALUES:,} values")
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif not isinstance(value, int | float | str | bool) and value is not None:
            raise CheckpointError(f"checkpoint {name} has metrics holding a {type(value).__name__}; "
                                  "metrics are numbers and text")
    return dict(metrics)


def _what_it_is(path: Path, exc: Exception) -> str:
    """Why torch.load refused a file, in the words of what the user probably saved."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        names = []
    if any("/code/" in n or n.endswith("constants.pkl") for n in names):
        return (f"is a TorchScript file; the app never runs code from a model file: save model.state_dict() and "
                f"use {IMPORT_COMMAND} module (or export to ONNX and use {IMPORT_COMMAND} onnx)")
    if isinstance(exc, pickle.UnpicklingError) and "Unsupported global" in str(exc):  # a class weights_only refused
        return (f"holds pickled Python objects (a whole model saved with torch.save(model)); the app never unpickles "
                f"code: save model.state_dict() and use {IMPORT_COMMAND} module")
    return f"is corrupt or not a checkpoint ({type(exc).__name__})"


def build_from_payload(name: str, payload: dict, config_cls, model_cls):
    """Rebuild `model_cls(config_cls(**payload["config"]))` and load its weights
    (eval mode). The config's bounds are checked before any layer is allocated;
    weights must match in names and shapes and be finite. Returns (model, metrics)."""
    import torch

    try:
        config = config_cls.from_dict(dict(payload["config"]))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {name} has an invalid config: {exc}") from exc
    model = model_cls(config)
    state = payload["state_dict"]
    expected = {k: v.shape for k, v in model.state_dict().items()}
    if not isinstance(state, dict) or set(state) != set(expected):
        raise CheckpointError(f"checkpoint {name} does not match its config: the weights' names differ")
    for key, shape in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor) or value.shape != shape:
            raise CheckpointError(f"checkpoint {name} does not match its config: {key} should have shape {tuple(shape)}")
        if not torch.isfinite(value).all():
            raise CheckpointError(f"checkpoint {name} has non-finite weights in {key}")
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, small_metrics(name, payload.get("metrics"))


def load_checkpoint(path: str | Path) -> tuple[VAE, dict]:
    """Rebuild the VAE from the stored config and load its weights (eval mode).

    Returns (model, metrics). Raises CheckpointError with a message naming the
    file for a missing, corrupt, truncated, oversized or mismatched checkpoint.
    """
    from vae_core.models.model import VAE

    return build_from_payload(Path(path).name, read_payload(path), VAEConfig, VAE)
