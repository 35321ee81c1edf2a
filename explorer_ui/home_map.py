"""The home map's data for a model (latent_component's payloads and the search's misplaced rows), and the
server's warm-up that follows the first page it shows."""
from __future__ import annotations

import gc
import importlib
import threading

import streamlit as st

from latent_component import MapPayloads, map_payloads
from vae_core.storage.checkpoint import file_sha256
from vae_core.storage.map_files import StoredMap, pack_map, read_map
from vae_core.storage.payload import read_header

from .loading import Loaded, _main_sha256, file_stamp, load, train_latents

# What the other pages import first, brought in while the visitor looks at the map.
WARM_UP_MODULES = ("torch", "vae_core.models.model", "vae_core.uploads.preprocess", "plotly.graph_objects")
_warm_up_started = threading.Event()


@st.cache_resource(max_entries=8, show_spinner=False)
def _map_data(folder: str, name: str, stamp: int, cache_stamp: int, map_stamp: int) -> tuple[MapPayloads, tuple[int, ...]]:
    m = load(name)
    model_sha256, cache_sha256 = _main_sha256(folder, name, stamp), file_sha256(m.files.cache())
    stored = read_map(m.files.map_payload, name, model_sha256, cache_sha256, len(m.mu))
    if stored is None:  # none stored for these files: made from the model itself (torch), kept in memory
        with st.spinner("Preparing the map…"):
            payload = pack_map(name, m.model, m.cache, model_sha256, cache_sha256)
        header = read_header(payload)
        stored = StoredMap(header["key"], payload, tuple(header["misplaced"]))
    return map_payloads(name, (stored.key, stored.payload), train_latents(m)), stored.misplaced


def map_data(m: Loaded) -> tuple[MapPayloads, tuple[int, ...]]:
    """(payloads, misplaced rows) of model `m` for `latent_component.latent_map`: from NAME.map.bin while it
    was made from these files (vae_core.storage.map_files), else from the model; once per model file."""
    return _map_data(str(m.files.folder), m.name, m.stamp, file_stamp(m.files.cache()),
                     file_stamp(m.files.map_payload))


def warm_up() -> None:
    """Once per server, after the first page a visitor sees (app.py): import what the other pages need (torch
    above all, about 2 s) in the background, so the visitor's next page or upload does not wait for it; then
    freeze what the server holds by then (modules, cached models) out of the garbage collector's reach.

    Why freeze: Streamlit runs a full collection after every script run (its runner.postScriptGC), and with
    torch's objects that took about 95 ms with the GIL held, a stall of the whole server on every visitor's
    every rerun. Frozen objects are not scanned again (gc.freeze); what is made later still is.
    """
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    def run() -> None:
        for name in WARM_UP_MODULES:
            importlib.import_module(name)
        gc.freeze()

    threading.Thread(target=run, name="latent-explorer-warm-up", daemon=True).start()
