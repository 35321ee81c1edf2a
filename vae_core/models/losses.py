"""Per-example loss terms in nats, and the importance-weighted log-likelihood."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def reconstruction_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) under independent Bernoullis, summed over pixels.

    logits: (B, 784); x: (B, 1, 28, 28) or (B, 784) with continuous values in
    [0, 1] (cross-entropy against soft targets, as is usual for MNIST VAEs).
    Returns (B,).
    """
    target = x.reshape(x.shape[0], -1)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(dim=1)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in closed form, summed over latent dims.

    Kingma & Welling (2014), Auto-Encoding Variational Bayes, appendix B:
    -KL = 1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2). This is the term that
    pulls every posterior toward the prior. mu, logvar: (B, D) -> (B,).
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))) summed over the last dim. (..., D) -> (...)."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (z - mu).pow(2) / logvar.exp()).sum(dim=-1)
