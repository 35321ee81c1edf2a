"""The latent map: a Streamlit component (custom components v2) that draws the
posterior means as a Plotly WebGL scatter and decodes z IN THE BROWSER on every
pointer move and slider input.

    state = map_state("latent_map", model_name)    # what the map last reported
    latent_map(model_name, export, test_cache, key="latent_map", ...)

The map owns z. Python never sets it after the first mount: it only reads the
map's events (`state.selection`: the z and the selected digit after a click or
a slider release) to write the link and to send the selected digit's original.

How the bytes travel. The JavaScript (static/latent_map/*.js, ES modules) and
plotly.js (static/vendor/) are files the app serves over HTTP
(`server.enableStaticServing`), so the browser caches them. The model payload
(decoder weights plus the test posteriors, ~2.3 MB for the 2-D MNIST VAE) is
the data of a separate, never-changing "carrier" component; the browser keeps
the parsed payload for the page's lifetime, and Streamlit's message cache
(`global.maxCachedMessageAge` in .streamlit/config.toml) sends a reference
instead of the bytes on later runs. The visible view gets a small JSON object.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import streamlit as st

from latent_component._payload import pack_model_payload, pack_points_payload
from vae_core.export import DecoderExport
from vae_core.latents import LatentCache

__all__ = ["MapState", "latent_map", "map_state"]

_STATIC = Path(__file__).resolve().parent.parent / "static"
# Every module the map imports (testing.js aside) and plotly.js, fetched in
# parallel as soon as a stub runs, instead of import by import.
_PRELOAD = [f"latent_map/{p.name}" for p in sorted(_STATIC.glob("latent_map/*.js")) if p.name != "testing.js"]
_PRELOAD += [f"vendor/{p.name}" for p in sorted(_STATIC.glob("vendor/*.js"))]
_BOOT = f"""
const STATIC = new URL("app/static/", document.baseURI).href;
for (const file of {json.dumps(_PRELOAD)}) {{
  if (document.querySelector(`link[href="${{STATIC + file}}"]`)) continue;
  const link = Object.assign(document.createElement("link"), {{ href: STATIC + file }});
  if (file.startsWith("vendor/")) Object.assign(link, {{ rel: "preload", as: "script" }}); else link.rel = "modulepreload";
  document.head.appendChild(link);
}}
const entry = () => import(STATIC + "latent_map/index.js");"""
_carrier = st.components.v2.component("latent_map_payload", js=_BOOT + """
export default async function (component) {
  if (!(component.data instanceof Uint8Array)) return;
  (await entry()).storePayload(component.data);
}""")
_view = st.components.v2.component("latent_map", js=_BOOT + """
export default async function (component) {
  return (await entry()).mountView(component);
}""", isolate_styles=False)


@dataclass(frozen=True)
class MapState:
    """What the map last reported. selection: {"z": [D floats], "split": "test" | "train" | None,
    "index": int | None, "source": str, "model": str, "t": ms} or None; show_train: the switch."""

    selection: dict[str, Any] | None
    show_train: bool


def map_state(key: str, model_name: str) -> MapState:
    """The map's last reported state under `key`, read before the map is drawn in this run.

    A selection made under another model (before the user switched) is ignored."""
    raw = st.session_state.get(key) or {}
    selection = raw.get("selection") if hasattr(raw, "get") else None
    valid = isinstance(selection, dict) and selection.get("model") == model_name and isinstance(selection.get("z"), list)
    return MapState(dict(selection) if valid else None, bool(raw.get("show_train")) if hasattr(raw, "get") else False)


def latent_map(
    model_name: str,
    decoder_export: DecoderExport,
    test: LatentCache,
    *,
    key: str,
    extent: Sequence[float],
    ranges: np.ndarray,
    label_names: Sequence[str],
    label_word: str = "digit",
    initial: dict[str, Any] | None = None,
    original: dict[str, Any] | None = None,
    train: LatentCache | None = None,
    train_count: int = 0,
    on_change: Callable[[], None] | None = None,
) -> None:
    """Mount the map and its panel.

    test: the test posteriors (N, D) drawn on the map; train: the training
        posteriors, sent only while the user has the training switch on
        (`map_state(...).show_train`); train_count: how many there are.
    extent: (x0, x1, y0, y1) of the first view (equal axis scales are kept).
    ranges: (D, 2) slider ranges.
    initial: {"z", "split", "index"} from the link, used only when the page has
        no state for this model yet (first visit, or a reload).
    original: {"split", "index", "pixels": base64 of the uint8 image} or
        {"split", "index", "note": why there is none}, for the selected digit.
    """
    if "__" in key:
        raise ValueError("key must not contain '__'")
    payload_key, payload = pack_model_payload(model_name, decoder_export, test)
    view_data = {
        "key": payload_key, "instance": key, "model_name": model_name,
        "extent": [float(v) for v in extent], "ranges": np.asarray(ranges, float).tolist(),
        "label_names": [str(n) for n in label_names], "label_word": label_word,
        "initial": initial, "original": original, "train_key": None, "train_count": int(train_count),
    }
    with st.container(gap=None):
        # The carriers' messages are identical on every run, so the browser's
        # message cache turns them into references after the first send.
        _carrier(key=f"{key}-payload", data=payload, height="content")
        if train is not None:
            view_data["train_key"], train_payload = pack_points_payload(model_name, train, "train")
            _carrier(key=f"{key}-train", data=train_payload, height="content")
        _view(key=key, data=view_data, height="content",
              on_selection_change=on_change or _noop, on_show_train_change=_noop)


def _noop() -> None:
    pass
