"""Inside a native encoder: one input's pass with every number kept, the weighted sums behind mu and
log sigma^2, and the sampling step with the gradients that flow through it.

    trace = trace_encoder(model, x)              # x: (784,) in [0, 1]
    trace.terms("mu", 0)                         # (H,) w_j * h_j: sum + bias = trace.mu[0]
    step = sampling_step(trace.mu, trace.logvar, eps)

The point it makes visible: mu_1 and mu_2 (and each log sigma^2) are separate weighted sums of the
same last hidden activations, each with its own weights. What training learns are those weights; mu and
sigma are computed from them, input by input, deterministically (Kingma & Welling 2014, section 2.4).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vae_core.models.model import VAE

HEADS = ("mu", "logvar")


@dataclass(frozen=True)
class EncoderTrace:
    """x (784,); hidden: the activations after each ReLU, [(H1,), (H2,), ...]; weights[head] (D, H) and
    bias[head] (D,) of the mu and (for a VAE) logvar heads; mu, logvar (D,) as the model computes them."""

    x: np.ndarray
    hidden: list[np.ndarray]
    weights: dict[str, np.ndarray]
    bias: dict[str, np.ndarray]
    mu: np.ndarray
    logvar: np.ndarray | None

    @property
    def last(self) -> np.ndarray:
        """The activations both heads read, (H,)."""
        return self.hidden[-1]

    def terms(self, head: str, unit: int) -> np.ndarray:
        """(H,) the weighted sum's terms w_j * h_j for output `unit` of `head` ("mu" or "logvar")."""
        return self.weights[head][unit] * self.last

    def output(self, head: str, unit: int) -> float:
        """The output recomputed from its terms: sum_j w_j h_j + b (float64, in the order of the terms)."""
        return float(self.terms(head, unit).astype(np.float64).sum() + self.bias[head][unit])


def trace_encoder(model: VAE, x: np.ndarray) -> EncoderTrace:
    """Run x (784,) or (28, 28) in [0, 1] through the encoder, layer by layer, keeping every activation."""
    heads = {"mu": model.mu_head, "logvar": model.logvar_head}
    hidden = []
    with torch.inference_mode():
        h = torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(1, -1))
        for layer in [*model.encoder_body[0], model.encoder_body[1]]:
            h = layer(h)
            if isinstance(layer, torch.nn.ReLU):
                hidden.append(h[0].numpy().copy())
        mu, logvar = model.encode(torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(1, -1)))
    return EncoderTrace(
        x=np.asarray(x, dtype=np.float32).reshape(-1), hidden=hidden,
        weights={k: head.weight.detach().numpy().copy() for k, head in heads.items() if head is not None},
        bias={k: head.bias.detach().numpy().copy() for k, head in heads.items() if head is not None},
        mu=mu[0].numpy().copy(), logvar=logvar[0].numpy().copy() if model.is_vae else None)


def first_layer_weights(model: VAE, units: np.ndarray) -> np.ndarray:
    """The first hidden layer's weight vectors of `units` as images (k, 28, 28): what each unit looks for."""
    first = model.encoder_body[0][0]
    size = model.config.image_size
    return first.weight.detach().numpy()[np.asarray(units)].reshape(-1, size, size).copy()


@dataclass(frozen=True)
class SamplingStep:
    """z = mu + sigma * eps for one draw, all (D,), with the gradients of sum(z) that autograd finds:
    d/dmu (ones) and d/dlogvar (sigma * eps / 2). eps is drawn from N(0, I), which has no parameters: nothing
    behind it can learn, which is why the sample is written this way."""

    mu: np.ndarray
    sigma: np.ndarray
    eps: np.ndarray
    z: np.ndarray
    grad_mu: np.ndarray
    grad_logvar: np.ndarray


def sampling_step(mu: np.ndarray, logvar: np.ndarray, eps: np.ndarray) -> SamplingStep:
    """The reparameterization trick on real numbers (Kingma & Welling 2014, eq. 10), differentiated by torch."""
    mu_t = torch.tensor(mu, dtype=torch.float64, requires_grad=True)
    logvar_t = torch.tensor(logvar, dtype=torch.float64, requires_grad=True)
    eps_t = torch.tensor(eps, dtype=torch.float64)  # a sample of N(0, I): a constant to autograd
    z = mu_t + torch.exp(0.5 * logvar_t) * eps_t
    z.sum().backward()
    return SamplingStep(mu=np.asarray(mu, np.float64), sigma=np.exp(0.5 * np.asarray(logvar, np.float64)),
                        eps=np.asarray(eps, np.float64), z=z.detach().numpy(), grad_mu=mu_t.grad.numpy(),
                        grad_logvar=logvar_t.grad.numpy())


def largest_terms(terms: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` terms of largest magnitude, largest first."""
    return np.argsort(-np.abs(terms), kind="stable")[:count]
