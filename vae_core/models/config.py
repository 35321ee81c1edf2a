"""The one config dataclass that fully describes a model; checkpoints store it."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from vae_core.data.datasets import DATASETS

ModelKind = Literal["vae", "ae"]
DatasetName = Literal["mnist", "fashion-mnist"]
# Bounds checked before any layer is allocated, so a hostile checkpoint cannot
# ask for gigabytes: the project trains 2-16 latent dims and widths of 256-512.
MAX_LATENT_DIM = 64
MAX_WIDTH = 4096
MAX_LAYERS = 4
# The map sends the decoder to the browser (float32): 16 M parameters keep that payload near 32 MB, far
# under Streamlit's 200 MB message limit, and a checkpoint near 64 MB. (4096x4 would be 107 M: 428 MB.)
MAX_PARAMETERS = 16_000_000


@dataclass(frozen=True)
class VAEConfig:
    """Architecture and objective of a (beta-)VAE or plain autoencoder.

    kind: "vae" samples z ~ q(z|x) and adds beta * KL; "ae" uses z = mu and no KL.
    beta: None when unknown (a model imported from another trainer's weights).
    hidden_dims: widths of the encoder MLP; the decoder mirrors them.
    """

    kind: ModelKind = "vae"
    latent_dim: int = 2
    beta: float | None = 1.0
    hidden_dims: tuple[int, ...] = (512, 256)
    dataset: DatasetName = "mnist"
    image_size: int = 28

    def __post_init__(self) -> None:
        if self.kind not in ("vae", "ae"):
            raise ValueError(f"kind must be 'vae' or 'ae', got {self.kind!r}")
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        # The app's latent map needs at least two dimensions.
        if not _is_int(self.latent_dim) or not 2 <= self.latent_dim <= MAX_LATENT_DIM:
            raise ValueError(f"latent_dim must be an integer from 2 to {MAX_LATENT_DIM}, got {self.latent_dim!r}")
        if self.beta is not None and (not isinstance(self.beta, int | float) or not 0 <= self.beta < 1e6):
            raise ValueError(f"beta must be a number >= 0, got {self.beta!r}")
        widths = self.hidden_dims
        if (not isinstance(widths, list | tuple) or not 1 <= len(widths) <= MAX_LAYERS
                or any(not _is_int(h) or not 1 <= h <= MAX_WIDTH for h in widths)):
            raise ValueError(f"hidden_dims must be 1 to {MAX_LAYERS} widths from 1 to {MAX_WIDTH}, got {widths!r}")
        if self.image_size != 28:
            raise ValueError(f"image_size must be 28, got {self.image_size!r}")
        object.__setattr__(self, "hidden_dims", tuple(int(h) for h in self.hidden_dims))
        if self.parameter_count > MAX_PARAMETERS:
            raise ValueError(f"hidden sizes {list(self.hidden_dims)} give {self.parameter_count / 1e6:.1f} M parameters; "
                             f"the app shows models of at most {MAX_PARAMETERS / 1e6:.0f} M (its map sends the decoder "
                             "to the browser): use fewer or narrower hidden layers")

    @property
    def parameter_count(self) -> int:
        """Weights and biases of encoder, heads and decoder (vae_core.models.model.VAE), from the config alone."""
        hidden = list(self.hidden_dims)
        heads = (2 if self.kind == "vae" else 1) * _mlp_parameters([hidden[-1], self.latent_dim])
        return (_mlp_parameters([self.n_pixels, *hidden]) + heads
                + _mlp_parameters([self.latent_dim, *reversed(hidden), self.n_pixels]))

    @property
    def n_pixels(self) -> int:
        return self.image_size * self.image_size

    @classmethod
    def from_dict(cls, values: dict) -> VAEConfig:
        """Rebuild from `asdict(cfg)`; unknown keys are an error, not silently dropped."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        return cls(**values)


def _mlp_parameters(widths: list[int]) -> int:
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
