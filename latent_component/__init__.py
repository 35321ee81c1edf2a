"""The latent map: a Streamlit component (custom components v2) that draws the
posterior means as a Plotly WebGL scatter and decodes z IN THE BROWSER on every
pointer move and slider input.

    payloads = map_payloads(name, pack_model_payload(name, browser_decoder(model), test_cache), train_cache)
    state = map_state("latent_map", name)      # what the map last reported
    latent_map(payloads, key="latent_map", need=state.need, ...)

The map owns z. Python never sets it after the first mount: it only reads the
map's events (`state.selection`: the z and the selected digit after a click or
a slider release) to write the link and to send the selected digit's original.

How the bytes travel. The JavaScript (static/latent_map/*.js, ES modules, served as one file:
map.bundle.js, built by tools/bundle_map) and plotly.js (static/vendor/) are files the app serves
over HTTP (`server.enableStaticServing`), so the browser caches them. The model payload
(decoder weights plus the test posteriors, ~2.3 MB for the 2-D MNIST VAE) and
the training payload are the data of "carrier" components. The model payload
rides along with the first run that shows its model in a session (a new tab
need not ask for it first); after that a carrier is mounted only while the map
says it lacks one (`state.need`): the browser keeps parsed payloads for the
page's lifetime, so a return to the map sends none.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from vae_core.storage.latents import LatentCache
from vae_core.storage.payload import pack_points_payload

__all__ = ["MapPayloads", "MapState", "latent_map", "map_payloads", "map_state", "open_interpolate_request"]

_SENT = "_latent_map_payloads_sent"  # session state: the payload keys this session has sent
MAX_REGION_ROWS = 16  # originals sent for a region at most
_OPENED = "_latent_map_interpolate_t"  # session state: the last "Open in Interpolate" press acted on

# The map's modules in one file (a browser opens 6 connections to a server: 24 modules would queue) and its
# stylesheet, fetched in parallel as soon as a stub runs (or, on the home page, the app's navigation:
# explorer_ui.navigation). plotly.js is not: the map fetches it once its preview is live (preview.js), as its
# 1.6 MB, gzipped by the server on every request, would slow what the preview needs.
_PRELOAD = ["latent_map/map.bundle.js", "latent_map/map.css"]
PRELOAD_JS = f"""
const STATIC = new URL("app/static/", document.baseURI).href;
function preloadMap() {{
  for (const file of {json.dumps(_PRELOAD)}) {{
    if (document.querySelector(`link[href="${{STATIC + file}}"]`)) continue;
    const link = Object.assign(document.createElement("link"), {{ href: STATIC + file }});
    if (file.endsWith(".css")) Object.assign(link, {{ rel: "preload", as: "style" }});
    else link.rel = "modulepreload";
    document.head.appendChild(link);
  }}
}}"""
_BOOT = PRELOAD_JS + """
preloadMap();
const entry = () => import(STATIC + "latent_map/map.bundle.js");"""
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
class MapPayloads:
    """The packed payloads of one model: model = (key, bytes) with the decoder and the test
    posteriors; train = (key, bytes) of the training posteriors, or None; train_count = how many."""

    model_name: str
    model: tuple[str, bytes]
    train: tuple[str, bytes] | None
    train_count: int


def map_payloads(model_name: str, model: tuple[str, bytes], train: LatentCache | None) -> MapPayloads:
    """The model payload (key, bytes) (vae_core.storage.payload.pack_model_payload, or stored beside the model:
    vae_core.storage.map_files) with the training posteriors packed; cache the result per model file."""
    return MapPayloads(model_name, model,
                       None if train is None else pack_points_payload(model_name, train, "train"),
                       0 if train is None else len(train.mu))


@dataclass(frozen=True)
class MapState:
    """What the map last reported. selection: {"z": [D floats], "split": "test" | "train" | None,
    "index": int | None, "source": str, "model": str, "t": ms} or None; need: the payload keys
    the browser lacks."""

    selection: dict[str, Any] | None
    need: tuple[str, ...]
    region: str | None = None  # the region picked on the map, as the link holds it ("": none); None: not reported
    region_rows: tuple[tuple[str, int], ...] = ()  # (split, index) of the region's points whose originals it lacks


def map_state(key: str, model_name: str, dim: int, sizes: dict[str, int]) -> MapState:
    """The map's last reported state under `key`, read before the map is drawn in this run.

    A selection is kept only if it is well formed for this model: made under it
    (not before the user switched), z of `dim` finite numbers, and a split and
    index that exist (`sizes`: split -> number of points).
    """
    raw = st.session_state.get(key)
    raw = raw if hasattr(raw, "get") else {}
    need = raw.get("need")
    need = tuple(k for k in need if isinstance(k, str)) if isinstance(need, list) else ()
    return MapState(_valid_selection(raw.get("selection"), model_name, dim, sizes), need,
                    _valid_region(raw.get("region"), model_name), _valid_rows(raw.get("region_rows"), model_name, sizes))


def _valid_region(reported, model_name: str) -> str | None:
    """The region's text the map reported for this model; one that is not a region clears it (""); None: none reported."""
    if not (isinstance(reported, dict) and reported.get("model") == model_name):
        return None
    from explorer_ui.link import region_shapes  # here, not at the top: explorer_ui's navigation imports this module

    text = reported.get("text")
    return text if isinstance(text, str) and (text == "" or region_shapes(text) is not None) else ""


def _valid_rows(reported, model_name: str, sizes: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """(split, index) of up to MAX_REGION_ROWS points whose originals the map asked for under this model."""
    if not (isinstance(reported, dict) and reported.get("model") == model_name and isinstance(reported.get("rows"), list)):
        return ()
    return tuple((r["split"], r["index"]) for r in reported["rows"][:MAX_REGION_ROWS] if isinstance(r, dict)
                 and r.get("split") in sizes and type(r.get("index")) is int and 0 <= r["index"] < sizes[r["split"]])


def _valid_selection(selection, model_name: str, dim: int, sizes: dict[str, int]) -> dict[str, Any] | None:
    if not isinstance(selection, dict) or selection.get("model") != model_name:
        return None
    z, split, index = selection.get("z"), selection.get("split"), selection.get("index")
    # type(), not isinstance(): JSON's true is a bool, which Python counts as an int.
    if not isinstance(z, list) or len(z) != dim or not all(type(v) in (int, float) and math.isfinite(v) for v in z):
        return None
    if index is not None and not (split in sizes and type(index) is int and 0 <= index < sizes[split]):
        return None
    return {"z": [float(v) for v in z], "split": split if index is not None else None, "index": index}


def latent_map(
    payloads: MapPayloads,
    *,
    key: str,
    need: Sequence[str],
    extent: Sequence[float],
    ranges: np.ndarray,
    label_names: Sequence[str],
    label_word: str = "digit",
    item_word: str = "digit",
    initial: dict[str, Any] | None = None,
    original: dict[str, Any] | None = None,
    projection: dict[str, Any] | None = None,
    misplaced: Sequence[int] = (),
    region: str = "",
    region_originals: Sequence[dict[str, Any]] = (),
    uploads: Sequence[dict[str, Any]] = (),
    on_clear_uploads: Callable[[], None] = lambda: None,
    link_group: str | None = None,
) -> None:
    """Mount the map and its panel.

    payloads: `map_payloads(...)` of the model; the carriers of those whose
        keys are in `need` (what the map reported lacking) ride along.
    extent: (x0, x1, y0, y1) of the first view (equal axis scales are kept).
    ranges: (D, 2) slider ranges.
    initial: {"z", "split", "index"} from the link, used only when the page has
        no state for this model yet (first visit, or a reload).
    original: {"split", "index", "pixels": base64 of the uint8 image} or
        {"split", "index", "note": why there is none}, for the selected digit.
    projection: the plane drawn, `Projection.to_dict()` ({"center", "axes", "titles"});
        None draws z itself (a 2-D model). The extent is in the plane's coordinates.
    misplaced: the test rows the search box finds for "misplaced" (their neighbours vote for another label).
    region: the region to show picked (`explorer_ui.link.region_shapes` text; "": none); the map reports its own
        as "region" {"model", "text"} (`MapState.region`).
    region_originals: originals (as `original`) of the region's points the map asked for ("region_rows").
    uploads: the visitor's kept uploads, [{"name": plain text, "mu": [D], "sigma": [D] or None}], drawn on the map
        with their 1σ and 2σ ellipses; the panel's Clear button calls `on_clear_uploads`.

    link_group: maps of one page in the same group follow each other (hover and selection; static/latent_map/linked.js).

    A path between two test digits reports {"a", "b", "t"} as "open_interpolate" (`open_interpolate_request`).
    """
    if "__" in key:
        raise ValueError("key must not contain '__'")
    model_key, _ = payloads.model
    sent = st.session_state.setdefault(_SENT, set())
    carried = [(name, payload) for name, payload in (("payload", payloads.model), ("train", payloads.train))
               if payload is not None and (payload[0] in need or (name == "payload" and payload[0] not in sent))]
    sent.update(payload[0] for _, payload in carried)
    view_data = {
        "key": model_key, "instance": key, "model_name": payloads.model_name,
        "extent": [float(v) for v in extent], "ranges": np.asarray(ranges, float).tolist(),
        "label_names": [str(n) for n in label_names], "label_word": label_word, "item_word": item_word,
        "initial": initial, "original": original, "projection": projection,
        "misplaced": [int(r) for r in misplaced], "uploads": list(uploads), "region": region,
        "region_originals": list(region_originals), "link_group": link_group,
        "train_key": payloads.train[0] if payloads.train else None, "train_count": payloads.train_count,
        "carried": [payload[0] for _, payload in carried],  # on their way in this run: the map need not ask
    }
    with st.container(gap=None):
        # One JSON text: Streamlit looks for a dataframe in every list or dict value of a component's data,
        # which imports pandas (0.4 s on a fresh server's first view).
        _view(key=key, data={"json": json.dumps(view_data)}, height="content", on_selection_change=_noop, on_need_change=_noop,
              on_clear_uploads_change=on_clear_uploads, on_open_interpolate_change=_noop,
              on_region_change=_noop, on_region_rows_change=_noop)
        # After the view: carriers that come and go must not shift it (Streamlit would mount it afresh).
        for name, payload in carried:
            _carrier(key=f"{key}-{name}", data=payload[1], height="content")


def open_interpolate_request(key: str, n_test: int) -> tuple[int, int] | None:
    """(a, b): the test digits at the ends of the map's path when its "Open in Interpolate" was pressed since
    the last call (each press once); None otherwise or when they are not test rows."""
    raw = st.session_state.get(key)
    asked = raw.get("open_interpolate") if hasattr(raw, "get") else None
    if not isinstance(asked, dict) or asked.get("t") == st.session_state.get(f"{_OPENED}:{key}"):
        return None
    st.session_state[f"{_OPENED}:{key}"] = asked.get("t")
    a, b = asked.get("a"), asked.get("b")
    return (a, b) if all(type(v) is int and 0 <= v < n_test for v in (a, b)) else None


def _noop() -> None:
    pass
