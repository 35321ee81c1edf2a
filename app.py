"""Latent Explorer: explore the latent space of a VAE trained on MNIST.

    streamlit run app.py

This script is the entry point and the home page (the latent map); the other
pages live in pages/. Layout and widgets only: the math is in vae_core.explore.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import explorer_ui as ui
from latent_component import latent_explorer
from vae_core import explore
from vae_core.export import DecoderExport, export_decoder

MAP_KEY = "latent_map"
LIVE_KEY = "live_map"
VIEWS = {"live": "Live: decodes in your browser as you hover", "plotly": "Plotly: zoom, pan, toggle digits"}
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@st.cache_resource(show_spinner="Drawing the map…", max_entries=8)
def _map_figure(name: str, stamp: int, overlay: bool) -> go.Figure:
    """The 10,000-point map (plus click targets and optional manifold), built once per model."""
    m = ui.load(name)
    extent = m.extent
    fig = ui.map_figure(extent, height=640)
    if overlay:
        z, rows, cols = explore.extent_grid(extent, 26, m.dim)
        tiles = explore.mosaic(explore.decode(m.model, z), rows, cols)
        ui.add_image(fig, ui.ink_rgba(tiles, alpha=0.85), extent, opacity=0.55)
    ui.add_means(fig, m, selectable=True)
    ui.add_click_grid(fig, extent)
    fig.update_layout(clickmode="event+select", 
                      legend=dict(title="digit · click to hide:", orientation="h", x=0, y=1.0,
                                  yanchor="bottom", itemclick="toggle", itemdoubleclick="toggleothers"),
                      margin=dict(t=36))
    return fig


@st.cache_resource(max_entries=8)
def _decoder_export(name: str, stamp: int) -> DecoderExport:
    """The decoder weights as float32 arrays for the in-browser decoder, once per model file."""
    return export_decoder(ui.load(name).model)


def _z_keys(m: ui.Loaded) -> list[str]:
    return [f"z{i}@{m.name}" for i in range(m.dim)]


def _set_z(m: ui.Loaded, z, ranges: np.ndarray) -> None:
    z = np.clip(np.asarray(z, dtype=float), ranges[:, 0], ranges[:, 1])
    for key, value in zip(_z_keys(m), z):
        st.session_state[key] = round(float(value), 2)


def _init_state(m: ui.Loaded, ranges: np.ndarray) -> None:
    """First run for this model: take the selected digit and z from the link.

    Back from another page, Streamlit has dropped the sliders' state (widgets
    not drawn in a run lose it), so z comes back from `_map_z`, which is ours.
    """
    if st.session_state.get("_map_model") == m.name:
        if not all(key in st.session_state for key in _z_keys(m)):
            _set_z(m, st.session_state.get("_map_z", np.zeros(m.dim)), ranges)
        return
    st.session_state["_map_model"] = m.name
    idx = ui.param_number("idx", 0, len(m.mu) - 1, None, integer=True)
    z = ui.param_z(m.dim, ranges)
    st.session_state["sel_idx"] = idx
    _set_z(m, z if z is not None else (m.mu[idx] if idx is not None else np.zeros(m.dim)), ranges)


def _on_click(m: ui.Loaded, ranges: np.ndarray) -> None:
    click = ui.parse_map_click(st.session_state[MAP_KEY].selection)
    if click is None:
        return
    kind, value = click
    if kind == "index":
        st.session_state["sel_idx"] = value
        _set_z(m, m.mu[value], ranges)
    else:
        z = np.array([st.session_state[k] for k in _z_keys(m)])
        z[: len(value)] = value[: m.dim]
        _set_z(m, z, ranges)


def _on_live_event(m: ui.Loaded, ranges: np.ndarray) -> None:
    """A click, drag release or slider release in the live map: select that digit or that z."""
    event = (st.session_state.get(LIVE_KEY) or {}).get("event")
    if not isinstance(event, dict) or event.get("model") != m.name:
        return
    index = event.get("index")
    if event.get("source") == "click" and index is not None:
        st.session_state["sel_idx"] = int(index)
        _set_z(m, m.mu[int(index)], ranges)
    else:
        _set_z(m, event["z"], ranges)


def _view_choice() -> str:
    """Live or Plotly map, from the control (and the link on first load)."""
    # `_map_view` outlives the widget's own state when the user visits another page.
    ui.init_state("map_view", st.session_state.get("_map_view") or ui.param_choice("view", list(VIEWS), "live"))
    view = st.segmented_control("Map", list(VIEWS), format_func=VIEWS.get, key="map_view",
                                label_visibility="collapsed") or "live"
    st.session_state["_map_view"] = view
    ui.set_params(view=view)
    return view


def _live_map(m: ui.Loaded, ranges: np.ndarray) -> None:
    """The map drawn and decoded in the browser; clicks come back through `_on_live_event`."""
    st.caption("Hover or drag over the map: the decoder runs in your browser, so every pointer move is decoded "
               "at once. Click a dot or empty space to load it into the panels below.")
    stamp = ui.file_stamp(ui.models_dir() / f"{m.name}.pt")
    z = np.array([st.session_state[k] for k in _z_keys(m)])
    latent_explorer(m.name, _decoder_export(m.name, stamp), m.mu, m.cache.labels, z=z, key=LIVE_KEY,
                    height=560, ranges=ranges, extent=m.extent, on_select=lambda: _on_live_event(m, ranges))


def _plotly_map(m: ui.Loaded, ranges: np.ndarray) -> None:
    """The Plotly WebGL map; point selections come back through `_on_click`."""
    overlay = st.toggle("Show the decoded manifold under the points", key="overlay",
                        help="Decodes a grid of z over the map and lays the images under the dots.")
    stamp = ui.file_stamp(ui.models_dir() / f"{m.name}.pt")
    st.plotly_chart(_map_figure(m.name, stamp, overlay), key=MAP_KEY, on_select=lambda: _on_click(m, ranges),
                    selection_mode="points", config={"scrollZoom": True, "displaylogo": False})


@st.fragment
def _decoder(m: ui.Loaded, ranges: np.ndarray) -> None:
    """Sliders -> decoded image and a light mini-map; reruns alone, never re-sends the big map."""
    st.subheader("Decode any point z")
    keys, z = _z_keys(m), []
    slider_cols = st.columns(2) if m.dim <= 4 else [st.container()]
    for i, key in enumerate(keys):
        with slider_cols[i % len(slider_cols)]:
            z.append(st.slider(f"z{str(i + 1).translate(SUBSCRIPT)}", float(ranges[i, 0]), float(ranges[i, 1]), step=0.01, key=key,
                               format="%.2f"))
    z = np.array(z)
    st.session_state["_map_z"] = z.tolist()
    ui.set_params(z=ui.format_z(z), idx=st.session_state.get("sel_idx"))
    image = explore.decode(m.model, z)[0]
    top, votes = explore.majority_label(m.mu, m.cache.labels, z)
    left, right = st.columns([1.1, 1], gap="small")
    with left:
        ui.show_digit(image, "decoder(z)")
        st.caption(f"Nearest test means: mostly **{top}**s ({votes} of 15).")
        ui.download_png(image, f"{m.name}_z_{ui.format_z(z)}.png", key="dl_map")
    with right:
        mini = ui.map_figure(m.extent, height=300)
        ui.add_means_raster(mini, m, m.extent)
        idx = st.session_state.get("sel_idx")
        if idx is not None and m.is_vae:
            ui.add_ellipses(mini, m.mu[idx], m.sigma[idx], name=f"#{idx}")
        ui.add_marker(mini, z, "current z", color="black")
        mini.update_layout(showlegend=False, margin=dict(l=0, r=0, t=0, b=0),
                           xaxis_title=None, yaxis_title=None)
        st.plotly_chart(mini, config={"displayModeBar": False, "staticPlot": False}, key="minimap")
    if m.dim > 2:
        st.caption("The maps show z1 and z2; the other dimensions are set by their sliders.")


def _selected_panel(m: ui.Loaded, idx: int) -> None:
    mu, sigma = m.mu[idx], m.sigma[idx]
    st.subheader(f"Test digit #{idx} · label {int(m.cache.labels[idx])}")
    images = ui.test_images(m.model.config.dataset)
    z_sample, _ = explore.sample_posterior(mu, sigma, 1, seed=idx)
    recon, decoded_mu = explore.decode(m.model, np.stack([z_sample[0], mu]))
    cols = st.columns(3)
    with cols[0]:
        if images is not None:
            ui.show_digit(images[idx], "original x", size=112)
        else:
            st.caption("Original not shown: the MNIST dataset is not available on this server "
                       f"(looked in `{ui.data_root()}`; set MNIST_DATA_ROOT).")
    with cols[1]:
        ui.show_digit(recon, "reconstruction" + (", z = μ + σ·ε" if m.is_vae else ""), size=112)
    with cols[2]:
        ui.show_digit(decoded_mu, "decoder(μ)", size=112)
    kl = float(explore.kl_per_point(mu[None], sigma[None])[0])
    vec = lambda v: "(" + ", ".join(f"{x:.3f}" for x in v) + ")"  # noqa: E731
    st.markdown(f"μ = {vec(mu)} · σ = {vec(sigma)} · KL(q(z|x) ‖ N(0, I)) = "
                + (f"**{kl:.2f} nats**" if np.isfinite(kl) else "**∞** (a point mass)"))
    st.caption("μ and σ come deterministically from the encoder: the same digit always lands on the same point."
               + (" The reconstruction decodes one random z from N(μ, σ²) (the reparameterization trick); "
                  "the ellipses on the small map are its 1σ and 2σ contours." if m.is_vae else
                  " A plain autoencoder has no σ: its code is the point μ, so its KL to the prior is infinite."))


def latent_map() -> None:
    m = ui.sidebar_model()
    ranges = explore.latent_ranges(m.mu)
    ui.forget_on_model_change("latent_map", m, [], ["z", "idx"])
    _init_state(m, ranges)
    st.title("Latent map")
    st.caption(
        f"Each dot is the posterior mean μ of one of the 10,000 MNIST test digits under the {m.kind_label}"
        + (f", shown in its first two of {m.dim} dimensions" if m.dim > 2 else "")
        + ". Colours are the true labels: the model never saw them, yet digits of a kind cluster. "
        "Click a dot to inspect that digit, or empty space to decode that z."
    )
    if _view_choice() == "live":
        # The live map has its own decoded-digit panel, so it takes the full width.
        _live_map(m, ranges)
        decoder_col, selected_col = st.columns(2, gap="large")
    else:
        map_col, side = st.columns([3, 2], gap="medium")
        with map_col:
            _plotly_map(m, ranges)
        decoder_col = selected_col = side
    with decoder_col:
        _decoder(m, ranges)
    idx = st.session_state.get("sel_idx")
    if idx is not None:
        with selected_col:
            _selected_panel(m, idx)


if __name__ == "__main__":
    st.set_page_config(page_title="Latent Explorer", page_icon="🔬", layout="wide")
    nav = st.navigation([
        st.Page(latent_map, title="Latent map", icon=":material/scatter_plot:", default=True),
        st.Page("pages/1_Encode_a_digit.py", title="Encode a digit", icon=":material/draw:"),
        st.Page("pages/2_Manifold.py", title="Manifold", icon=":material/grid_on:"),
        st.Page("pages/3_Prior_vs_posterior.py", title="Prior vs posterior", icon=":material/blur_circular:"),
        st.Page("pages/4_Interpolate.py", title="Interpolate", icon=":material/timeline:"),
    ])
    nav.run()
