"""Latent map, the home page: one Plotly scatter of the posterior means that
decodes in the browser, with one detail panel (latent_component).

The map owns z. This script reads what the map reported (a click or a slider
release), writes it into the link and sends the selected digit's original
image, which is the one thing the browser does not have.
"""
from __future__ import annotations

import base64

import numpy as np
import streamlit as st

import explorer_ui as ui
from latent_component import MapPayloads, latent_map, map_payloads, map_state, open_interpolate_request
from vae_core.analysis import explore
from vae_core.data.datasets import ITEM_WORD, LABEL_NAMES, LABEL_WORD
from vae_core.storage.export import browser_decoder

KEY = "latent_map"
SPLITS = ["test", "train"]


@st.cache_resource(max_entries=8)
def _payloads(name: str, stamp: int) -> MapPayloads:
    """What the browser needs of this model (its decoder, test and training posteriors), once per file."""
    m = ui.load(name)
    return map_payloads(name, browser_decoder(m.model), m.cache, ui.train_latents(m))


def _link_bounds(ranges: np.ndarray) -> np.ndarray:
    """(D, 2) the z a link may hold: the map reaches past the sliders' ranges, by their width each side."""
    width = ranges[:, 1:] - ranges[:, :1]
    return ranges + np.hstack([-width, width])


def _link_selection(m: ui.Loaded, ranges: np.ndarray, n_train: int) -> dict | None:
    """{"z", "split", "index"} from the link (z=..., idx=..., split=...); nonsense warns and is dropped."""
    split = ui.param_choice("split", SPLITS, "test")
    size = len(m.mu) if split == "test" else n_train
    index = ui.param_number("idx", 0, max(size - 1, 0), None, integer=True) if size else None
    z = ui.param_z(m.dim, _link_bounds(ranges))
    if z is None and index is None:
        return None
    return {"z": None if z is None else z.tolist(), "split": split if index is not None else None, "index": index}


def _original(m: ui.Loaded, selection: dict | None) -> dict | None:
    """The selected digit's image for the panel, or a note saying why there is none."""
    if not selection or selection.get("index") is None:
        return None
    split, index = selection["split"], int(selection["index"])
    images = ui.dataset_images(m.dataset, split)
    if images is None or not 0 <= index < len(images):
        return {"split": split, "index": index, "note": "dataset not on this server"}
    return {"split": split, "index": index, "pixels": base64.b64encode(images[index].tobytes()).decode()}


def _write_link(selection: dict, ranges: np.ndarray) -> None:
    """The map's selection into the link: z clamped to what a link may hold (a z far off the map stays short)."""
    index = selection.get("index")
    bounds = _link_bounds(ranges)
    ui.set_params(z=ui.format_z(np.clip(selection["z"], bounds[:, 0], bounds[:, 1])), idx=index,
                  split=selection.get("split") if index is not None and selection.get("split") != "test" else None)


m = ui.sidebar_model()
ui.forget_on_model_change("latent_map", m, [], ["z", "idx", "split", "region"])
st.title("Latent map")
st.caption(
    f"Each dot is {'the posterior mean μ' if m.is_vae else 'the code z (the encoder output)'} of one test "
    f"{ITEM_WORD[m.dataset]} under the {m.kind_label}"
    + (f", projected from {m.dim} dimensions onto the plane of their first two principal components (hovering "
       "decodes the z on that plane; the sliders reach every dimension)" if m.dim > 2 else "")
    + ", coloured by its true label, which the model never saw. Hover (or drag a finger) anywhere to decode "
    "that z in your browser; click or tap a dot to inspect it, or empty space to select that z."
    + (" Diamonds: the images you kept on the Encode page." if ui.kept_uploads(m.name) else "")
)
ranges = explore.latent_ranges(m.mu)
payloads = _payloads(m.name, m.stamp)
sizes = {"test": len(m.mu), "train": payloads.train_count}
state = map_state(KEY, m.name, m.dim, sizes)
if state.selection is not None:
    _write_link(state.selection, ranges)
selection = state.selection or _link_selection(m, ranges, payloads.train_count)
if state.region is not None:  # the map's region into the link
    ui.set_params(region=state.region or None)
region = state.region if state.region is not None else ui.param_region()
latent_map(
    payloads, key=KEY, need=state.need, extent=m.extent, ranges=ranges,
    label_names=LABEL_NAMES[m.dataset], label_word=LABEL_WORD[m.dataset],
    item_word=ITEM_WORD[m.dataset],
    initial=None if state.selection else selection, original=_original(m, selection),
    projection=None if m.projection.is_identity else m.projection.to_dict(), misplaced=ui.misplaced(m),
    region=region or "", region_originals=[_original(m, {"split": split, "index": index}) for split, index in state.region_rows],
    uploads=[u.to_dict() for u in ui.kept_uploads(m.name)],
    on_clear_uploads=lambda: ui.clear_uploads(m.name),
)
if (ends := open_interpolate_request(KEY, len(m.mu))) is not None:  # the map's path, on the Interpolate page
    st.session_state["ip_a"], st.session_state["ip_b"] = ends
    st.switch_page(ui.page("Interpolate"), query_params={"model": m.name, "a": ends[0], "b": ends[1]})
if map_state(KEY, m.name, m.dim, sizes) != state:
    # A new session (after a server restart) learns what the map reported only once the map is mounted
    # in it: run again, so the first click or slider move after a restart takes effect.
    st.rerun()
if not ui.has_dataset(m.dataset):
    ui.offer_dataset_download(m.dataset)
