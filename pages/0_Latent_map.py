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
from latent_component import latent_map, map_state, open_interpolate_request
from vae_core.analysis import explore
from vae_core.data.datasets import DISPLAY_NAME, ITEM_WORD, LABEL_NAMES, LABEL_WORD

KEY, COMPARE_KEY = "latent_map", "latent_map_compare"  # the map, and the map of the model compared with it
MAX_COMPARE_CHOICES = 100
SPLITS = ["test", "train"]


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


def show_map(m: ui.Loaded, key: str, primary: bool, link_group: str | None,
             follow: dict | None = None) -> tuple[bool, dict | None]:
    """Mount the map of model `m` under `key`; the primary map reads and writes the link, a compared one starts on
    the digit the primary shows (`follow`: its selection). Returns whether the page must run again (the map
    reported its state for the first time in this session) and the selection shown."""
    ranges = explore.latent_ranges(m.mu)
    payloads, misplaced = ui.map_data(m)
    sizes = {"test": len(m.mu), "train": payloads.train_count}
    state = map_state(key, m.name, m.dim, sizes)
    selection, region = state.selection, state.region
    if primary:
        if state.selection is not None:
            _write_link(state.selection, ranges)
        selection = state.selection or _link_selection(m, ranges, payloads.train_count)
        if state.region is not None:  # the map's region into the link
            ui.set_params(region=state.region or None)
        region = state.region if state.region is not None else ui.param_region()
    elif selection is None and follow and follow.get("index") is not None and follow["index"] < sizes.get(follow["split"], 0):
        selection = {"z": None, "split": follow["split"], "index": follow["index"]}
    latent_map(
        payloads, key=key, need=state.need, extent=m.extent, ranges=ranges,
        label_names=LABEL_NAMES[m.dataset], label_word=LABEL_WORD[m.dataset],
        item_word=ITEM_WORD[m.dataset],
        initial=None if state.selection else selection, original=_original(m, selection),
        projection=None if m.projection.is_identity else m.projection.to_dict(), misplaced=misplaced,
        region=region or "",
        region_originals=[_original(m, {"split": split, "index": index}) for split, index in state.region_rows],
        uploads=[u.to_dict() for u in ui.kept_uploads(m.name)],
        on_clear_uploads=lambda: ui.clear_uploads(m.name), link_group=link_group,
    )
    if (ends := open_interpolate_request(key, len(m.mu))) is not None:  # the map's path, on the Interpolate page
        st.session_state["ip_a"], st.session_state["ip_b"] = ends
        st.switch_page(ui.page("Interpolate"), query_params={"model": m.name, "a": ends[0], "b": ends[1]})
    # A new session (after a server restart) learns what the map reported only once the map is mounted
    # in it: run again, so the first click or slider move after a restart takes effect.
    return map_state(key, m.name, m.dim, sizes) != state, selection


def compared_model(m: ui.Loaded) -> ui.Loaded | None:
    """The model picked in "Compare with" (and in the link as compare=NAME), if it can be shown beside `m`."""
    others = [name for name in ui.list_models() if name != m.name][:MAX_COMPARE_CHOICES]
    ui.init_state("map_compare", ui.param_choice("compare", ["", *others], ""))
    if st.session_state["map_compare"] not in others:
        st.session_state["map_compare"] = ""  # "": no second map (None would read as "Choose an option")
    name = st.sidebar.selectbox("Compare with", ["", *others], key="map_compare", format_func=lambda n: (
        ui.describe_model(n) if n else "nothing: one map"), help="A second model's map beside this one, on "
        "the same test data: hovering one decodes the same z in both, each with its own decoder, and a digit "
        "selected in one is selected in the other.")
    ui.set_params(compare=name or None)
    other = ui.load_or_error(name) if name else None
    if other is not None and other.dataset != m.dataset:
        st.warning(ui.plain(f"{ui.describe_model(name)} was trained on {DISPLAY_NAME[other.dataset]}, this model on "
                            f"{DISPLAY_NAME[m.dataset]}: their maps show different data, so they are not compared."))
        return None
    return other


def add_uploads(m: ui.Loaded) -> None:
    """Images dropped here are encoded and kept for the map (as on the Encode page): their posteriors appear on it.
    Each drop is handled once, then the box is emptied; what could not be used is said after that, in plain text."""
    for message in st.session_state.pop("map_upload_notes", []):
        st.error(message, icon="🚫")
    files = st.file_uploader(f"Put your own {ITEM_WORD[m.dataset]}s on the map", type=ui.UPLOAD_TYPES,
                             accept_multiple_files=True, key=f"map_uploads_{st.session_state.get('map_uploads_round', 0)}",
                             help=f"Each image is prepared as on the Encode page and drawn on the map with its ellipses; "
                             f"the map keeps your last {ui.MAX_KEPT} for this model, in this browser tab only.")
    if not files:
        return
    notes = []
    for upload in files[: ui.MAX_KEPT]:
        try:
            ui.keep_encoded(m, upload.name, ui.encode_bytes(m, upload.getvalue()))  # as the Encode page's defaults
        except ui.ImageDecodeError as exc:
            notes.append(ui.plain(f"Could not use {upload.name}: {exc}."))
    if len(files) > ui.MAX_KEPT:
        notes.append(f"Only the first {ui.MAX_KEPT} images were used: the map keeps {ui.MAX_KEPT} at most.")
    st.session_state["map_upload_notes"] = notes
    st.session_state["map_uploads_round"] = st.session_state.get("map_uploads_round", 0) + 1  # a new, empty box
    st.rerun()


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
    + (" Diamonds: the images you kept (the Encode page, or the box under the map)." if ui.kept_uploads(m.name) else "")
)
other = compared_model(m)
if other is None:
    again, _ = show_map(m, KEY, primary=True, link_group=None)
else:
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(f"**{ui.plain(ui.describe_model(m.name))}**")
        again, shown = show_map(m, KEY, primary=True, link_group="compare")
    with right:
        st.markdown(f"**{ui.plain(ui.describe_model(other.name))}**")
        again = show_map(other, COMPARE_KEY, primary=False, link_group="compare", follow=shown)[0] or again
if again:
    st.rerun()
add_uploads(m)
if not ui.has_dataset(m.dataset):
    ui.offer_dataset_download(m.dataset)
