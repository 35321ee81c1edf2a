"""Pack what the browser needs for one model into binary payloads (static/latent_map reads them).

Two kinds, both read by static/latent_map/payload.js:
    model payload   the decoder (weights, or an imported model's ONNX graph) and the test posteriors
    points payload  the training posteriors only, sent when the user asks for them

Layout (little-endian):
    b"LEX2" | uint32 header length H | H bytes JSON header (space padded to 4) | sections
The header names each section {"offset", "dtype", "shape"}; every section starts
at a multiple of 4 bytes, so the browser views float32 sections in place. The
header's "key" is a content hash: the browser keeps parsed payloads by it and
the map view refers to it.
"""
from __future__ import annotations

import hashlib
import json
import struct
from typing import TYPE_CHECKING

import numpy as np

from vae_core.storage.latents import EXTRAS, LatentCache

if TYPE_CHECKING:
    from vae_core.models.onnx_model import OnnxDecoderExport
    from vae_core.storage.export import DecoderExport

MAGIC = b"LEX2"


def _align(n: int) -> int:
    return (n + 3) // 4 * 4


def _arrays(cache: LatentCache) -> dict[str, np.ndarray]:
    """mu and logvar as float32 (N, D), labels as uint8 (N,), the measures (N,) and the UMAP layout (N, 2) as float32
    when the cache has them;
    an autoencoder's logvar (-inf) is left out."""
    arrays = {"mu": np.ascontiguousarray(cache.mu, "<f4"),
              "labels": np.ascontiguousarray(np.clip(cache.labels, 0, 255), np.uint8)}
    if np.isfinite(cache.logvar).all():
        arrays["logvar"] = np.ascontiguousarray(cache.logvar, "<f4")
    for name in EXTRAS:  # a test cache's per-image measures, which the map colours by, and its UMAP layout
        if (values := getattr(cache, name)) is not None:
            arrays[name] = np.ascontiguousarray(values, "<f4")
    return arrays


def _pack(header: dict, blobs: dict[str, bytes | np.ndarray]) -> bytes:
    """Lay out `blobs` after the JSON header; writes their offsets into header["sections"]."""
    sections = {name: {"dtype": getattr(b, "dtype", np.dtype("u1")).str, "shape": list(getattr(b, "shape", (len(b),)))}
                for name, b in blobs.items()}
    header["sections"] = sections
    for s in sections.values():  # reserve digits, then fill the real offsets in
        s["offset"] = 10**9
    header_len = _align(len(json.dumps(header).encode()))
    offset, parts = 8 + header_len, []
    for name, blob in blobs.items():
        raw = blob.tobytes() if isinstance(blob, np.ndarray) else blob
        sections[name]["offset"] = offset
        parts += [raw, b"\0" * (_align(len(raw)) - len(raw))]
        offset += _align(len(raw))
    header_bytes = json.dumps(header).encode().ljust(header_len)
    return b"".join([MAGIC, struct.pack("<I", header_len), header_bytes, *parts])


def _content_hash(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
    return h.hexdigest()[:16]


def pack_model_payload(model_name: str, export: DecoderExport | OnnxDecoderExport, test: LatentCache,
                       notes: dict | None = None) -> tuple[str, bytes]:
    """-> (key, payload): the decoder (float32 layers, or an ONNX graph) plus the test posteriors;
    the key is a hash of the content. `notes` (JSON) join the header: what a stored payload records
    of its model (vae_core.storage.map_files); the browser reads none of them."""
    arrays = _arrays(test)
    _check(arrays, export.latent_dim)
    key = _content_hash("model", model_name, export.digest, *(a.tobytes() for a in arrays.values()))
    manifest, decoder_blob = export.to_bytes()
    header = {**(notes or {}), "key": key, "kind": "model", "model_name": model_name, "decoder": manifest}
    return key, _pack(header, {"decoder": decoder_blob, **arrays})


def pack_points_payload(model_name: str, points: LatentCache, split: str) -> tuple[str, bytes]:
    """-> (key, payload): the posteriors of one more split (e.g. the 60,000 training digits)."""
    arrays = _arrays(points)
    _check(arrays, arrays["mu"].shape[1] if arrays["mu"].ndim == 2 else -1)
    key = _content_hash("points", model_name, split, *(a.tobytes() for a in arrays.values()))
    header = {"key": key, "kind": "points", "model_name": model_name, "split": split}
    return key, _pack(header, arrays)


def _check(arrays: dict[str, np.ndarray], dim: int) -> None:
    mu, labels = arrays["mu"], arrays["labels"]
    if mu.ndim != 2 or mu.shape[1] != dim or len(labels) != len(mu) or len(mu) == 0:
        raise ValueError(f"means must be (N, {dim}) with N >= 1 labels, got {mu.shape} and {labels.shape}")


def read_header(payload: bytes) -> dict:
    """The JSON header of a packed payload; raises ValueError for bytes that are not one."""
    if len(payload) < 8 or payload[:4] != MAGIC:
        raise ValueError("not a latent map payload")
    (length,) = struct.unpack("<I", payload[4:8])
    if 8 + length > len(payload):
        raise ValueError("the payload's header runs past its end")
    header = json.loads(payload[8 : 8 + length])
    if not isinstance(header, dict):
        raise ValueError("the payload's header is not an object")
    return header
