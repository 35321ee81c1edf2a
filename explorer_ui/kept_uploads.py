"""Uploads kept for the latent map: the posteriors of images a visitor encoded on the Encode page, per model.

They live in the visitor's session only: nothing is written to disk, no other visitor sees them, and each
session keeps at most MAX_KEPT per model (the oldest goes first), so a visitor cannot grow the server's memory.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

MAX_KEPT = 8
MAX_NAME = 40  # characters of a file name shown on the map
_KEY = "_kept_uploads"  # session state: model name -> [KeptUpload]


@dataclass(frozen=True)
class KeptUpload:
    """One encoded image: name (plain text, as the visitor called it), mu (D,) and sigma (D,) or None for a
    plain autoencoder; digest: of its input x, so the same image is kept once."""

    name: str
    mu: tuple[float, ...]
    sigma: tuple[float, ...] | None
    digest: str

    def to_dict(self) -> dict:
        return {"name": self.name, "mu": list(self.mu), "sigma": None if self.sigma is None else list(self.sigma)}


def _short(name: str) -> str:
    name = " ".join(name.split()) or "upload"
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"


def kept_uploads(model_name: str) -> list[KeptUpload]:
    """The uploads this session keeps for `model_name`, oldest first."""
    return list(st.session_state.get(_KEY, {}).get(model_name, []))


def _digest(x: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(x, np.float32).tobytes()).hexdigest()


def is_kept(model_name: str, x: np.ndarray) -> bool:
    """Whether this input x (28, 28) is among the kept uploads of `model_name`."""
    return any(u.digest == _digest(x) for u in kept_uploads(model_name))


def keep_upload(model_name: str, name: str, x: np.ndarray, mu: np.ndarray, sigma: np.ndarray | None) -> KeptUpload:
    """Keep an encoded image (x: (28, 28) input, mu, sigma: (D,)); the same input again replaces its entry."""
    digest = _digest(x)
    kept = [u for u in kept_uploads(model_name) if u.digest != digest]
    taken, label, n = {u.name for u in kept}, _short(name), 2
    while label in taken:  # two drawings, or two files of one name: "drawing (2)"
        label, n = f"{_short(name)} ({n})", n + 1
    upload = KeptUpload(label, tuple(float(v) for v in mu), None if sigma is None else tuple(float(v) for v in sigma),
                        digest)
    kept.append(upload)
    st.session_state.setdefault(_KEY, {})[model_name] = kept[-MAX_KEPT:]
    return upload


def clear_uploads(model_name: str) -> None:
    st.session_state.setdefault(_KEY, {}).pop(model_name, None)


def keep_encoded(m, name: str, enc) -> KeptUpload:
    """Keep an upload encoded under model `m` (a `Loaded`; `enc` an `Encoded`): a plain autoencoder's has no sigma."""
    return keep_upload(m.name, name, enc.x, enc.mu, enc.sigma if m.is_vae else None)
