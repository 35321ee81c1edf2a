"""The one model interface every page, cache and metric uses, whatever the model's origin.

Two implementations: `vae_core.models.model.VAE` (the native MLP checkpoint) and
`vae_core.models.onnx_model.OnnxModel` (an imported encoder and decoder as ONNX files
with a manifest). Both take and return torch tensors:

    model.info                    -> ModelInfo: kind, latent_dim, dataset, image_size, beta (None if unknown)
    model.encode(x)               x (B, 1, S, S) in [0, 1] -> mu, logvar (B, D); logvar = -inf for an autoencoder
    model.decode(z)               z (B, D) -> pixel probabilities (B, 1, S, S)
    model.decode_logits(z)        z (B, D) -> Bernoulli logits (B, S*S)
    model.sample_posterior(mu, logvar) -> z = mu + sigma * eps (mu itself for an autoencoder)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # ModelInfo is read without torch (the map's first view); the models bring it
    import torch

KINDS = ("vae", "ae")


@dataclass(frozen=True)
class ModelInfo:
    """What a page needs to know about a model. beta is None when the model's file never said it
    (an imported model): such a model is shown but not placed in the beta comparison."""

    kind: str
    latent_dim: int
    dataset: str
    image_size: int = 28
    beta: float | None = None
    source: str = "native"  # "native" (this app's checkpoint) or "onnx" (imported)

    @property
    def is_vae(self) -> bool:
        return self.kind == "vae"

    @property
    def n_pixels(self) -> int:
        return self.image_size * self.image_size


@runtime_checkable
class LatentModel(Protocol):
    info: ModelInfo

    @property
    def is_vae(self) -> bool: ...

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...

    def decode(self, z: torch.Tensor) -> torch.Tensor: ...

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor: ...

    def sample_posterior(self, mu: torch.Tensor, logvar: torch.Tensor,
                         generator: torch.Generator | None = None) -> torch.Tensor: ...


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The reparameterisation trick (Kingma & Welling 2014, section 2.4): z = mu + sigma * eps with
    eps ~ N(0, I), so z is a differentiable function of (mu, sigma). Shapes (B, D) -> (B, D)."""
    import torch

    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + torch.exp(0.5 * logvar) * eps
