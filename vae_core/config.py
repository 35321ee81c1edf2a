"""The one config dataclass that fully describes a model; checkpoints store it."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

ModelKind = Literal["vae", "ae"]
DatasetName = Literal["mnist", "fashion-mnist"]


@dataclass(frozen=True)
class VAEConfig:
    """Architecture and objective of a (beta-)VAE or plain autoencoder.

    kind: "vae" samples z ~ q(z|x) and adds beta * KL; "ae" uses z = mu and no KL.
    hidden_dims: widths of the encoder MLP; the decoder mirrors them.
    """

    kind: ModelKind = "vae"
    latent_dim: int = 2
    beta: float = 1.0
    hidden_dims: tuple[int, ...] = (512, 256)
    dataset: DatasetName = "mnist"
    image_size: int = 28

    def __post_init__(self) -> None:
        if self.kind not in ("vae", "ae"):
            raise ValueError(f"kind must be 'vae' or 'ae', got {self.kind!r}")
        if self.dataset not in ("mnist", "fashion-mnist"):
            raise ValueError(f"dataset must be 'mnist' or 'fashion-mnist', got {self.dataset!r}")
        # The app draws dims 0 and 1 of the latent map, so a model needs at least two.
        if not isinstance(self.latent_dim, int) or self.latent_dim < 2:
            raise ValueError(f"latent_dim must be an integer >= 2, got {self.latent_dim!r}")
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if not self.hidden_dims or any(not isinstance(h, int) or h < 1 for h in self.hidden_dims):
            raise ValueError(f"hidden_dims must be positive widths, got {self.hidden_dims}")
        object.__setattr__(self, "hidden_dims", tuple(int(h) for h in self.hidden_dims))

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
