"""The VAE: an MLP encoder to q(z|x) = N(mu, diag(sigma^2)) and an MLP decoder
to Bernoulli logits for each pixel. With `kind="ae"` the same network is a
plain autoencoder (z = mu, no variance head)."""
from __future__ import annotations

import torch
from torch import nn

from vae_core.models.config import VAEConfig
from vae_core.models.latent_model import ModelInfo, reparameterize


def _mlp(widths: list[int]) -> nn.Sequential:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """Encoder, reparameterised sampling and decoder, all built from a VAEConfig: the native
    implementation of vae_core.models.latent_model.LatentModel."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        hidden = list(config.hidden_dims)
        self.encoder_body = nn.Sequential(_mlp([config.n_pixels, *hidden]), nn.ReLU())
        self.mu_head = nn.Linear(hidden[-1], config.latent_dim)
        # A plain autoencoder has no posterior variance to predict.
        self.logvar_head = nn.Linear(hidden[-1], config.latent_dim) if config.kind == "vae" else None
        self.decoder = _mlp([config.latent_dim, *reversed(hidden), config.n_pixels])

    @property
    def is_vae(self) -> bool:
        return self.logvar_head is not None

    @property
    def info(self) -> ModelInfo:
        cfg = self.config
        return ModelInfo(cfg.kind, cfg.latent_dim, cfg.dataset, cfg.image_size, cfg.beta if self.is_vae else None)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 1, 28, 28) or (B, 784) in [0, 1] -> mu, logvar: (B, latent_dim).

        The encoder is deterministic: the same x always gives the same mu and
        logvar. For an autoencoder logvar is -inf (sigma = 0).
        """
        h = self.encoder_body(x.reshape(x.shape[0], -1))
        mu = self.mu_head(h)
        if self.logvar_head is None:
            return mu, torch.full_like(mu, float("-inf"))
        return mu, self.logvar_head(h)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> Bernoulli logits (B, 784)."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> pixel means in [0, 1], shape (B, 1, 28, 28)."""
        size = self.config.image_size
        return torch.sigmoid(self.decode_logits(z)).reshape(-1, 1, size, size)

    def sample_posterior(
        self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Reparameterisation trick: z = mu + sigma * eps, eps ~ N(0, I), so the
        sample is a differentiable function of (mu, sigma). Shapes (B, D) -> (B, D).
        An autoencoder returns mu unchanged."""
        return reparameterize(mu, logvar, generator) if self.is_vae else mu

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x: (B, 1, 28, 28) -> (logits (B, 784), mu (B, D), logvar (B, D))."""
        mu, logvar = self.encode(x)
        z = self.sample_posterior(mu, logvar)
        return self.decode_logits(z), mu, logvar

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
