"""Export a model's decoder as plain float32 arrays, so something other than
torch (the browser, numpy) can run `model.decode(z)`.

The format is a JSON manifest plus one binary blob:

    blob:     every layer's weight (out, in) then bias (out,), float32
              little-endian, C order, concatenated; offsets are in bytes.
    manifest: {"format": "latent-explorer-decoder", "version": 1,
               "latent_dim": 2, "image_size": 28, "dtype": "<f4",
               "output": "sigmoid", "n_bytes": ..., "sha256": ...,
               "layers": [{"in": 2, "out": 512, "activation": "relu",
                           "weight_offset": 0, "bias_offset": 4096}, ...]}

Layer i computes h = act_i(W_i @ h + b_i); the output of the last layer is
Bernoulli logits, and `output` (sigmoid) maps them to pixel means in [0, 1].

This module never imports streamlit.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from torch import nn

from vae_core.models.model import VAE

FORMAT = "latent-explorer-decoder"
VERSION = 1
DTYPE = "<f4"  # float32, little-endian
ACTIVATIONS = ("relu", "none")


@dataclass(frozen=True, eq=False)
class DenseLayer:
    """One Linear layer and the activation applied to its output."""

    weight: np.ndarray  # (out, in) float32, like nn.Linear.weight
    bias: np.ndarray  # (out,) float32
    activation: str  # one of ACTIVATIONS

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True, eq=False)
class DecoderExport:
    """A decoder as numpy arrays: z (B, latent_dim) -> layers -> sigmoid -> (B, S, S)."""

    layers: tuple[DenseLayer, ...]
    latent_dim: int
    image_size: int

    def to_bytes(self) -> tuple[dict, bytes]:
        """-> (manifest, blob); see the module docstring for the layout. Computed once."""
        manifest, blob = self._packed
        return copy.deepcopy(manifest), blob

    @cached_property
    def _packed(self) -> tuple[dict, bytes]:
        parts: list[bytes] = []
        layers: list[dict] = []
        offset = 0
        for layer in self.layers:
            w = np.ascontiguousarray(layer.weight, dtype=DTYPE).tobytes()
            b = np.ascontiguousarray(layer.bias, dtype=DTYPE).tobytes()
            layers.append(
                {
                    "in": layer.n_in,
                    "out": layer.n_out,
                    "activation": layer.activation,
                    "weight_offset": offset,
                    "bias_offset": offset + len(w),
                }
            )
            parts += [w, b]
            offset += len(w) + len(b)
        blob = b"".join(parts)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "latent_dim": self.latent_dim,
            "image_size": self.image_size,
            "dtype": DTYPE,
            "output": "sigmoid",
            "n_bytes": len(blob),
            "sha256": hashlib.sha256(blob).hexdigest(),
            "layers": layers,
        }
        return manifest, blob

    @property
    def digest(self) -> str:
        """sha256 of the blob: changes exactly when the weights or shapes change."""
        return self._packed[0]["sha256"]

    @property
    def n_parameters(self) -> int:
        return sum(layer.weight.size + layer.bias.size for layer in self.layers)


def export_decoder(model: VAE) -> DecoderExport:
    """Read the Linear/ReLU layers of `model.decoder` (any widths and depth).

    Raises ValueError for a layer type the format cannot express.
    """
    layers: list[DenseLayer] = []
    for module in model.decoder:
        if isinstance(module, nn.Linear):
            weight = module.weight.detach().cpu().numpy().astype(np.float32)
            if module.bias is not None:
                bias = module.bias.detach().cpu().numpy().astype(np.float32)
            else:
                bias = np.zeros(weight.shape[0], np.float32)
            layers.append(DenseLayer(weight, bias, "none"))
        elif isinstance(module, nn.ReLU):
            if not layers or layers[-1].activation != "none":
                raise ValueError("ReLU must follow a Linear layer in the decoder")
            last = layers.pop()
            layers.append(DenseLayer(last.weight, last.bias, "relu"))
        else:
            raise ValueError(f"cannot export decoder layer {type(module).__name__}; only Linear and ReLU")
    if not layers:
        raise ValueError("the decoder has no Linear layers")
    export = DecoderExport(tuple(layers), int(model.config.latent_dim), int(model.config.image_size))
    _check_shapes(export)
    return export


def browser_decoder(model):
    """What the browser decodes with: a native VAE's layers as float32 arrays (decoder.js), or an
    imported model's ONNX graph (onnx_decoder.js, ONNX Runtime Web). Both have latent_dim, digest
    and to_bytes() -> (header, blob)."""
    return export_decoder(model) if isinstance(model, VAE) else model.browser_decoder()


def _check_shapes(export: DecoderExport) -> None:
    width = export.latent_dim
    for i, layer in enumerate(export.layers):
        if layer.n_in != width or layer.bias.shape != (layer.n_out,):
            raise ValueError(f"decoder layer {i} has shape {layer.weight.shape}, expected input width {width}")
        width = layer.n_out
    if width != export.image_size**2:
        raise ValueError(f"decoder outputs {width} values, expected {export.image_size ** 2} pixels")
    if export.layers[-1].activation != "none":
        raise ValueError("the last decoder layer must output logits (no activation)")


def decode_numpy(export: DecoderExport, z: np.ndarray) -> np.ndarray:
    """Reference implementation: z (B, latent_dim) -> pixel means (B, S, S), float32."""
    h = np.atleast_2d(np.asarray(z, np.float32))
    for layer in export.layers:
        h = h @ layer.weight.T + layer.bias
        if layer.activation == "relu":
            h = np.maximum(h, 0.0)
    with np.errstate(over="ignore"):  # exp overflow -> inf -> pixel 0, which is right
        pixels = 1.0 / (1.0 + np.exp(-h))
    return pixels.reshape(-1, export.image_size, export.image_size).astype(np.float32)


if __name__ == "__main__":
    raise SystemExit("vae_core.storage.export is a library (the browser decoder's format), not a command; "
                     "to bring in a model trained elsewhere run: latent-explorer import --help")
