"""Pack everything the browser needs for one model into one binary payload:
decoder weights, the test means (latent dims 0 and 1) and labels.

Layout (little-endian), read by frontend/decoder.js:
    b"LEX1" | uint32 header length H | H bytes JSON header (space padded to 4) | sections
Every section starts at a multiple of 4 bytes, so the browser can view the
float32 sections in place. The header's "key" is a content hash: the browser
caches payloads by it and the view component refers to it.
"""
from __future__ import annotations

import hashlib
import json
import struct
import threading
from collections import OrderedDict

import numpy as np

from vae_core.export import DecoderExport

MAGIC = b"LEX1"
_CACHE: OrderedDict[tuple, tuple[str, bytes]] = OrderedDict()
_CACHE_SIZE = 4
_LOCK = threading.Lock()  # sessions run their scripts in parallel threads


def _align(n: int) -> int:
    return (n + 3) // 4 * 4


def pack_payload(model_name: str, export: DecoderExport, means: np.ndarray, labels: np.ndarray) -> tuple[str, bytes]:
    """-> (key, payload bytes). Cached: repeated calls with the same content cost
    one hash of the means, not a re-pack of megabytes."""
    means = np.asarray(means, np.float32)
    labels = np.asarray(labels)
    if means.ndim != 2 or means.shape[1] != export.latent_dim or len(labels) != len(means):
        raise ValueError(
            f"means must be (N, {export.latent_dim}) with N labels, got {means.shape} and {labels.shape}"
        )
    xy = np.ascontiguousarray(means[:, :2], "<f4")
    lab = np.ascontiguousarray(np.clip(labels, 0, 255), np.uint8)
    content = hashlib.sha256(xy.tobytes() + lab.tobytes()).hexdigest()
    cache_key = (model_name, export.digest, content)
    with _LOCK:
        if cache_key in _CACHE:
            _CACHE.move_to_end(cache_key)
            return _CACHE[cache_key]

    key = hashlib.sha256(f"{model_name}|{export.digest}|{content}".encode()).hexdigest()[:16]
    manifest, decoder_blob = export.to_bytes()
    header = {
        "key": key,
        "model_name": model_name,
        "n_points": int(len(xy)),
        "decoder": manifest,
    }
    # Offsets depend on the header length, which depends on the offsets: reserve
    # digits with placeholders, then fill the real numbers in.
    header.update(decoder_offset=10**9, means_offset=10**9, labels_offset=10**9)
    header_len = _align(len(json.dumps(header).encode()))
    start = 8 + header_len
    header["decoder_offset"] = start
    header["means_offset"] = _align(start + len(decoder_blob))
    header["labels_offset"] = header["means_offset"] + xy.nbytes
    header_bytes = json.dumps(header).encode().ljust(header_len)
    parts = [MAGIC, struct.pack("<I", header_len), header_bytes, decoder_blob]
    parts.append(b"\0" * (header["means_offset"] - start - len(decoder_blob)))
    parts += [xy.tobytes(), lab.tobytes()]
    payload = b"".join(parts)

    with _LOCK:
        _CACHE[cache_key] = (key, payload)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return key, payload
