"""Latent explorer: a Streamlit component (custom components v2) that draws the
latent map and decodes z IN THE BROWSER on every pointer move and slider input.

    from latent_component import latent_explorer
    from vae_core.export import export_decoder

    export = st.cache_resource(export_decoder)(model)      # once per model
    event = latent_explorer("mnist_vae_z2", export, cache.mu, cache.labels, z=[0.0, 0.0], key="explorer")
    if event:   # the last click / drag release / slider release, persists across reruns
        event["z"], event["index"]

How the data travels: the model payload (decoder weights float32 + means of
dims 0/1 + uint8 labels, ~2.2 MB for the 2-D MNIST VAE) and the JavaScript are
the message of a separate, never-changing "carrier" component. Streamlit caches
any message of 10 kB or more in the browser by content hash, so after the first
run every rerun sends a ~100-byte reference instead of the megabytes. The
visible view is a second component with a tiny JS stub and small JSON data
({key, model_name, z, ranges, extent}): ~2 kB per rerun.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import streamlit as st

from latent_component._payload import pack_payload
from vae_core import explore
from vae_core.export import DecoderExport

__all__ = ["latent_explorer", "COMPONENT_NAME"]

COMPONENT_NAME = "latent_explorer"
_FRONTEND = Path(__file__).with_name("frontend")


def _read(*names: str) -> str:
    return "\n".join((_FRONTEND / name).read_text(encoding="utf-8") for name in names)


# The carrier's module holds the whole implementation (helpers first, the file
# with `export default` last); the view's module is a stub that calls into it.
# The CSS rides along as a string; the view puts it in its own shadow root.
_carrier = st.components.v2.component(
    f"{COMPONENT_NAME}_payload",
    js=f"const EXPLORER_CSS = {json.dumps(_read('explorer.css'))};\n" + _read("decoder.js", "map.js", "store.js", "explorer.js"),
)
_view = st.components.v2.component(COMPONENT_NAME, js=_read("view_stub.js"), isolate_styles=True)


def _noop() -> None:
    pass


def latent_explorer(
    model_name: str,
    decoder_export: DecoderExport,
    means: np.ndarray,
    labels: np.ndarray,
    z: Sequence[float] | None = None,
    key: str = "latent_explorer",
    *,
    height: int = 480,
    ranges: np.ndarray | Sequence[Sequence[float]] | None = None,
    extent: Sequence[float] | None = None,
    on_select: Callable[[], None] | None = None,
) -> dict[str, Any] | None:
    """Mount the explorer and return the last selection event, or None.

    model_name: shown in the title; events carry it, so a stale event from
        another model is never returned.
    decoder_export: `vae_core.export.export_decoder(model)` (cache it per model).
    means: (N, D) test-set means (the map shows dims 0 and 1); labels: (N,) digits.
    z: the selected z (D floats) to show; when it changes between reruns the
        marker and the sliders move there. None keeps the component's own z
        (the origin at first).
    key: unique per mounted explorer (no "__" in it).
    height: of the whole component in px (map and panel).
    ranges: (D, 2) slider ranges; default `vae_core.explore.latent_ranges(means)`.
    extent: (x0, x1, y0, y1) of the map in dims 0/1 (it is widened to keep
        equal axis scales); default: the 0.1-99.9 percentiles of the means + 8%.
    on_select: called (as a widget callback, before the rerun) on a new event.

    The event is {"z": [D floats], "index": int | None, "label": int | None,
    "source": "click" | "drag" | "slider", "model": model_name, "t": ms epoch}.
    `index` is the row of the test point within 8 px of a click / drag
    release (so `means[index]`, `labels[index]`), else None; `z` is the
    latent vector under the pointer (dims >= 2 from the sliders). The event
    persists across reruns; a new one has a larger `t`.
    """
    if "__" in key:
        raise ValueError("key must not contain '__'")
    payload_key, payload = pack_payload(model_name, decoder_export, means, labels)
    dim = decoder_export.latent_dim
    ranges = explore.latent_ranges(means) if ranges is None else np.asarray(ranges, np.float64).reshape(dim, 2)
    view_data = {
        "key": payload_key,
        "instance": key,
        "model_name": model_name,
        "z": None if z is None else [float(v) for v in np.asarray(z, np.float64).reshape(-1)],
        "ranges": ranges.tolist(),
        "extent": None if extent is None else [float(v) for v in extent],
    }
    with st.container(gap=None):
        # The carrier: its message is identical on every rerun (bytes + key),
        # so the browser's message cache turns it into a reference.
        _carrier(key=f"{key}-payload", data=payload, height="content")
        result = _view(key=key, data=view_data, height=height, on_event_change=on_select or _noop)
    event = result.get("event") if hasattr(result, "get") else getattr(result, "event", None)
    if not isinstance(event, dict) or event.get("model") != model_name:
        return None
    return dict(event)
