"""Uploads and drawings encoded for the pages (the Encode page, the map's upload box, Inside the encoder)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from vae_core.analysis import explore
from vae_core.analysis.exact_posterior import ExactPosterior, exact_posteriors
from vae_core.models.latent_model import LatentModel

from .loading import Loaded, load

# How a page says which stroke width was encoded (vae_core.uploads.stroke.STROKES).
STROKE_WORDS = {"as prepared": "", "thicker": "strokes 1 px thicker", "thinner": "strokes 1 px thinner"}


@dataclass(frozen=True)
class Encoded:
    """An encoded upload: x (28, 28) input, mu and sigma (D,), reconstruction (28, 28) = decode(mu),
    preview (h, w, 3) uint8: the upload as a page can show it, whatever its mode or bit depth;
    box (left, top, right, bottom): where the digit's ink was found, in the preview's pixels;
    stroke: the stroke width encoded (vae_core.uploads.stroke.STROKES; "as prepared" unless fitted)."""

    x: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    recon: np.ndarray
    preview: np.ndarray
    box: tuple[int, int, int, int]
    stroke: str = "as prepared"


def encode_digit(model: LatentModel, source, deslant: bool = True, fit_stroke: bool = False) -> Encoded:
    """Uploaded file / bytes / PIL image -> Encoded; `fit_stroke`: encode the stroke width the model explains
    best (handwriting: vae_core.uploads.stroke). Raises ImageDecodeError with a human message."""
    from vae_core.uploads.preprocess import load_image, prepare, preview
    from vae_core.uploads.stroke import STROKES, fit_strokes

    image = load_image(source)
    prepared = prepare(image, deslant)
    x, stroke = prepared.x, STROKES[0]
    if fit_stroke:
        fitted, [stroke] = fit_strokes(model, x[None])
        x = fitted[0]
    mu, sigma = explore.encode(model, x)
    shown = preview(image)
    scale = shown.shape[1] / image.width
    box = tuple(int(round(v * scale)) for v in prepared.box)
    return Encoded(x, mu[0], sigma[0], explore.decode(model, mu)[0], shown, box, stroke)


@st.cache_data(show_spinner="Encoding…", max_entries=32)
def _encode_cached(name: str, stamp: int, data: bytes, deslant: bool, fit_stroke: bool) -> Encoded:
    return encode_digit(load(name).model, data, deslant, fit_stroke)


def encode_bytes(m: Loaded, data: bytes, deslant: bool | None = None, fit_stroke: bool | None = None) -> Encoded:
    """`encode_digit` for the bytes of an upload or drawing, cached per model, content, slant and stroke choice.
    None: as the model's dataset calls for (handwriting, MNIST: the slant matched and the stroke width fitted)."""
    handwriting = m.dataset == "mnist"
    return _encode_cached(m.name, m.stamp, bytes(data), handwriting if deslant is None else deslant,
                          handwriting if fit_stroke is None else fit_stroke)


@st.cache_data(show_spinner="Computing the exact posterior…", max_entries=32)
def _exact_cached(name: str, stamp: int, x: bytes) -> ExactPosterior:
    return exact_posteriors(load(name).model, np.frombuffer(x, np.float32))[0]  # one image: reshaped to the model's


def exact_posterior(m: Loaded, enc: Encoded) -> ExactPosterior | None:
    """p(z|x) of the encoded input, from the decoder on a grid (vae_core.analysis.exact_posterior), for a VAE
    with a 2-D latent; None for others (an autoencoder has no prior, more dimensions no grid)."""
    if m.dim != 2 or not m.is_vae:
        return None
    return _exact_cached(m.name, m.stamp, np.ascontiguousarray(enc.x, np.float32).tobytes())
