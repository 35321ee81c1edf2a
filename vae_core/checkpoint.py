"""Save and load models as `{"config", "state_dict", "metrics"}` without pickled code."""
from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path

import torch

from vae_core.config import VAEConfig
from vae_core.model import VAE

FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable, or does not match the model it describes."""


def atomic_write(path: str | Path, write) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it
    into place, so a crash never leaves a half-written file under `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a shipped model must be readable by all
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(model: VAE, path: str | Path, metrics: dict | None = None) -> None:
    """Write config (as a plain dict), weights and metrics atomically."""
    payload = {
        "format_version": FORMAT_VERSION,
        "config": asdict(model.config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "metrics": dict(metrics or {}),
    }
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: str | Path) -> tuple[VAE, dict]:
    """Rebuild the model from the stored config and load its weights (eval mode).

    Returns (model, metrics). Raises CheckpointError with a message naming the
    file for a missing, corrupt, truncated or mismatched checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"checkpoint {path} is corrupt or not a checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict) or not {"config", "state_dict"} <= set(payload):
        raise CheckpointError(f"checkpoint {path} lacks 'config' and 'state_dict'")
    version = payload.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {version!r}; this code reads version {FORMAT_VERSION}")
    try:
        config = VAEConfig.from_dict(dict(payload["config"]))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} has an invalid config: {exc}") from exc
    try:
        model = VAE(config)
        model.load_state_dict(payload["state_dict"], strict=True)
        metrics = dict(payload.get("metrics") or {})
    except (RuntimeError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {path} does not match its config: {exc}") from exc
    model.eval()
    return model, metrics
