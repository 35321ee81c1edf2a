"""An upload encoder: a second encoder for a shipped model, used for uploads only.

The 2-D map is the model's own encoder's posterior means of MNIST digits and stays so. Uploads are
not MNIST: other letter forms, stroke widths, slants. The upload encoder is a small CNN trained
(`train_upload_encoder.py`) so that its posterior for a distorted MNIST digit matches the model's own
posterior for the clean digit; on clean digits it agrees with the model's encoder. It has the model's
interface for encoding: `encode(x (B, 1, 28, 28) in [0, 1]) -> mu, logvar (B, D)`, logvar = -inf for a
plain autoencoder.

On disk: `models/NAME.upload_encoder.pt`, a dict {"config", "state_dict", "metrics"} of plain types
and tensors (read with weights_only=True), whose config records the SHA-256 of the model's main file
(NAME.pt or NAME.model.json) it was trained for: a model file replaced since then makes it refused.

    enc = load_upload_encoder("mnist_vae_z2")        # None when the model has none (or a stale one)
    mu, sigma = encode_uploads(enc, x)               # x (N, 28, 28) numpy in [0, 1] -> (N, D), (N, D)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vae_core.storage import store
from vae_core.storage.checkpoint import CheckpointError, atomic_write, file_sha256

FORMAT = "latent-explorer-upload-encoder"


class UploadEncoderError(ValueError):
    """An upload encoder file that cannot be used: not one, damaged, or made for another model file."""


@dataclass(frozen=True)
class UploadEncoderConfig:
    """latent_dim and is_vae: the model's; widths: channels of the three conv stages; hidden: the dense
    layer; model_sha256: the model's main file it was trained for; residual: the CNN adds a correction to
    the model's own encoder's output (zero at the start of training) instead of replacing it."""

    latent_dim: int
    is_vae: bool
    model_sha256: str
    widths: tuple[int, int, int] = (32, 64, 96)
    hidden: int = 192
    residual: bool = False
    format: str = FORMAT

    def __post_init__(self):
        if not (1 <= self.latent_dim <= 64 and len(self.widths) == 3 and all(1 <= w <= 512 for w in self.widths)
                and 1 <= self.hidden <= 2048 and self.format == FORMAT):
            raise UploadEncoderError(f"not an upload encoder config: {self}")

    @classmethod
    def from_dict(cls, d: dict) -> UploadEncoderConfig:
        names = {f.name for f in fields(cls)}
        if not isinstance(d, dict) or not {"latent_dim", "is_vae", "model_sha256"} <= set(d) or set(d) - names:
            raise UploadEncoderError("the file's config is not an upload encoder's")
        d = dict(d)
        if "widths" in d:
            d["widths"] = tuple(int(w) for w in d["widths"])
        return cls(**d)


class UploadEncoder(nn.Module):
    """x (B, 1, 28, 28) or (B, 28, 28) in [0, 1] -> mu, logvar (B, D).

    Convolutions, because what differs between writers (a stroke a pixel over, thicker, bent) is local;
    28 -> 14 -> 7 -> 4 by stride-2 convolutions, then one dense layer and two heads.
    """

    def __init__(self, config: UploadEncoderConfig, base=None):
        super().__init__()
        self.config = config
        # the model (LatentModel) under a residual encoder: kept out of the state_dict, it is the model's file
        object.__setattr__(self, "base", base)
        if config.residual and base is None:
            raise UploadEncoderError("a residual upload encoder needs its model")
        a, b, c = config.widths
        self.body = nn.Sequential(
            nn.Conv2d(1, a, 3, padding=1), nn.ReLU(),
            nn.Conv2d(a, a, 3, stride=2, padding=1), nn.ReLU(),  # 14
            nn.Conv2d(a, b, 3, padding=1), nn.ReLU(),
            nn.Conv2d(b, b, 3, stride=2, padding=1), nn.ReLU(),  # 7
            nn.Conv2d(b, c, 3, stride=2, padding=1), nn.ReLU(),  # 4
            nn.Flatten(), nn.Linear(c * 16, config.hidden), nn.ReLU())
        self.mu_head = nn.Linear(config.hidden, config.latent_dim)
        self.logvar_head = nn.Linear(config.hidden, config.latent_dim) if config.is_vae else None
        if config.residual:  # start as the model's own encoder exactly: training only adds what uploads need
            for head in (self.mu_head, self.logvar_head):
                if head is not None:
                    nn.init.zeros_(head.weight)
                    nn.init.zeros_(head.bias)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 1, 28, 28) or (B, 28, 28) in [0, 1] -> mu, logvar (B, D); logvar = -inf for an autoencoder."""
        x = x.reshape(x.shape[0], 1, 28, 28)
        h = self.body(x)
        mu = self.mu_head(h)
        logvar = self.logvar_head(h) if self.logvar_head is not None else torch.full_like(mu, float("-inf"))
        if self.base is not None:
            with torch.no_grad():  # the model stays as it is
                base_mu, base_logvar = self.base.encode(x)
            mu, logvar = base_mu + mu, (base_logvar + logvar if self.logvar_head is not None else logvar)
        return mu, logvar

    forward = encode


def save_upload_encoder(encoder: UploadEncoder, path: str | Path, metrics: dict | None = None) -> None:
    """Write {"config", "state_dict", "metrics"} through a temporary file and a rename (atomic_write)."""
    payload = {"config": asdict(encoder.config),
               "state_dict": {k: v.detach().cpu().clone() for k, v in encoder.state_dict().items()},
               "metrics": dict(metrics or {})}
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def read_upload_encoder(path: str | Path, model_sha256: str | None = None, base=None) -> tuple[UploadEncoder, dict]:
    """(encoder in eval mode, metrics) from `path`, read without unpickling code (weights_only=True).
    Raises UploadEncoderError when it is not one, or when `model_sha256` is given and differs from the
    hash it records (the model file was replaced since it was trained). `base`: the model, for a residual one."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged or foreign file: one message naming it
        raise UploadEncoderError(f"{path.name} is not a readable upload encoder ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or not {"config", "state_dict"} <= set(payload):
        raise UploadEncoderError(f"{path.name} is not an upload encoder")
    config = UploadEncoderConfig.from_dict(payload["config"])
    if model_sha256 is not None and config.model_sha256 != model_sha256:
        raise UploadEncoderError(f"{path.name} was trained for another version of the model file "
                                 f"(it records {config.model_sha256[:12]}..., the file is {model_sha256[:12]}...)")
    encoder = UploadEncoder(config, base if config.residual else None)
    try:
        encoder.load_state_dict(payload["state_dict"])
    except (RuntimeError, TypeError) as exc:
        raise UploadEncoderError(f"{path.name}: weights do not fit its config") from exc
    if not all(torch.isfinite(p).all() for p in encoder.parameters()):
        raise UploadEncoderError(f"{path.name}: weights are not finite")
    return encoder.eval(), dict(payload.get("metrics") or {})


def read_upload_encoder_config(path: str | Path) -> UploadEncoderConfig:
    """The config alone (whether it needs its model loaded under it)."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        return UploadEncoderConfig.from_dict(payload["config"])
    except UploadEncoderError:
        raise
    except Exception as exc:
        raise UploadEncoderError(f"{Path(path).name} is not a readable upload encoder ({type(exc).__name__})") from exc


def load_upload_encoder(name_or_files: str | store.ModelFiles, strict: bool = False) -> UploadEncoder | None:
    """The upload encoder of a model (a name in models/ or its ModelFiles), checked against the hash of
    the model's main file now. None when there is none; when it is stale or damaged, None too (the
    caller falls back to the model's own encoder), or UploadEncoderError with strict=True."""
    files = store.model_files(name_or_files) if isinstance(name_or_files, str) else name_or_files
    path = files.upload_encoder
    if not path.is_file() or not files.main.is_file():
        return None
    try:
        sha = file_sha256(files.main)
        config = read_upload_encoder_config(path)
        if config.model_sha256 != sha:  # before loading the model under a residual one: a stale file costs nothing
            return read_upload_encoder(path, sha)[0]  # raises, saying so
        try:
            base = store.load_model(files)[0] if config.residual else None
        except CheckpointError as exc:
            raise UploadEncoderError(f"{path.name}: its model cannot be loaded ({exc})") from exc
        return read_upload_encoder(path, sha, base)[0]
    except UploadEncoderError:
        if strict:
            raise
        return None


def encode_uploads(encoder: nn.Module, images) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28), (N, 1, 28, 28) or one (28, 28) in [0, 1] -> (mu, sigma) numpy (N, D) each,
    as `vae_core.analysis.explore.encode` returns for the model's own encoder (sigma = 0 for an AE)."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
    with torch.inference_mode():
        mu, logvar = encoder.encode(x)
    return mu.numpy().astype(np.float32), torch.exp(0.5 * logvar).numpy().astype(np.float32)
