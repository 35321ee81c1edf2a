"""Interpolate: walk between two test digits in latent space, along a line and along an arc, and from any digit
along the direction from one class's centre to another's."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

import explorer_ui as ui
from vae_core.analysis import directions, explore, geodesic
from vae_core.data.datasets import ITEM_WORD, LABEL_NAMES

STRIP_COLS = 8  # tiles per row at most: 8 tiles of >= 40 px fit a phone-wide column
LEGEND_PX = 60  # below the square plane: its x axis (the legend sits in the bottom margin Plotly makes for it)
STRETCH_BAR_PX = 50  # above it, the stretch's colour bar

m = ui.sidebar_model()
st.title("Interpolate")
st.caption(f"Pick two test {ITEM_WORD[m.dataset]}s; their {'posterior means' if m.is_vae else 'codes'} are the endpoints. "
           "Linear interpolation walks the straight "
           "line; spherical interpolation (slerp) turns the direction at constant speed around the origin and "
           "changes the length linearly. In high dimensions N(0, I) puts almost all its mass near a shell of "
           "radius √D, and the straight line's middle dips inside it; slerp stays on it. The geodesic is the path "
           "along which the decoded image changes least: it bends around the gaps between clusters, where a small "
           "step in z changes the image most.")

last = len(m.mu) - 1
labels = m.cache.labels
names = LABEL_NAMES[m.dataset]
ui.init_state("ip_a", ui.param_number("a", 0, last, 0, integer=True))
ui.init_state("ip_b", ui.param_number("b", 0, last, int(np.flatnonzero(labels != labels[0])[0]), integer=True))
ui.init_state("ip_steps", ui.param_number("steps", 3, 24, 10, integer=True))


def _random_pair() -> None:
    rng = np.random.default_rng()
    a = int(rng.integers(last + 1))
    st.session_state["ip_a"] = a
    st.session_state["ip_b"] = int(rng.choice(np.flatnonzero(labels != labels[a])))


c1, c2, c3, c4 = st.columns([1, 1, 2, 1], vertical_alignment="bottom")
a = c1.number_input(f"Start: test {ITEM_WORD[m.dataset]} #", 0, last, key="ip_a", step=1)
b = c2.number_input(f"End: test {ITEM_WORD[m.dataset]} #", 0, last, key="ip_b", step=1)
steps = c3.slider("Steps", 3, 24, key="ip_steps")
c4.button("Random pair", icon=":material/shuffle:", on_click=_random_pair)
ui.set_params(a=a, b=b, steps=steps)
if a == b:
    st.info(f"Start and end are the same {ITEM_WORD[m.dataset]}: pick two different ones for a path.")

reports = geodesic.compare(explore.image_function(m.model), m.mu[a], m.mu[b], ui.geodesic(m, a, b), steps)
paths = {name: report.frames for name, report in reports.items()}
colors = {"linear": ui.ink(), "spherical": "#d62728", "geodesic": "#ff7f0e"}  # ink: the theme's text colour


def show_wrapped_strip(decoded: np.ndarray) -> None:
    """The decoded path in even rows of at most STRIP_COLS tiles of 56 px (fewer if the column is narrow);
    empty (transparent) tiles pad the last row."""
    rows = -(-len(decoded) // STRIP_COLS)
    cols = -(-len(decoded) // rows)
    blank = np.full((rows * cols - len(decoded), *decoded.shape[1:]), np.nan, np.float32)
    ui.show_mosaic(np.concatenate([decoded, blank]), rows, cols, size=56 * rows)


def norm_figure(paths: dict, dim: int) -> go.Figure:
    """‖z‖ against the step, one line per path, with √D for reference."""
    fig = go.Figure()
    for name, path in paths.items():
        fig.add_trace(go.Scatter(y=np.linalg.norm(path, axis=1), mode="lines+markers", name=name,
                                 line=dict(color=colors[name], width=2), marker=dict(size=5),
                                 hovertemplate=f"{name} step %{{x}}: ‖z‖ = %{{y:.2f}}<extra></extra>"))
    fig.add_hline(y=np.sqrt(dim), line_dash="dot", line_color=ui.ink(), annotation_text="√D",
                  annotation_position="right")
    fig.update_layout(height=200, margin=dict(l=0, r=30, t=10, b=0), xaxis_title="step", yaxis_title="‖z‖",
                      yaxis_rangemode="tozero", legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"))
    return fig


def show_lengths(reports: dict, steps: int) -> None:
    """Each path's length in pixel space and its strip's largest step, with what they say."""
    st.table({"path": list(reports), "length in pixel space": [f"{r.pixel_length:.2f}" for r in reports.values()],
              "largest step": [f"{100 * r.largest_step:.0f} %" for r in reports.values()]})
    straight, shortest = reports["linear"], reports["geodesic"]
    if straight.pixel_length > 0:
        st.caption(f"Length in pixel space: how far the decoded image travels, the sum of the distances between "
                   f"consecutive decodings (pixels in [0, 1]). The geodesic is {shortest.pixel_length:.2f} here, "
                   f"{100 * (1 - shortest.pixel_length / straight.pixel_length):.0f} % shorter than the straight "
                   f"line. Its strip's frames are spaced so each step changes the image equally: the largest step is "
                   f"{100 * shortest.largest_step:.0f} % of the change (an even strip of {steps} frames: "
                   f"{100 / (steps - 1):.0f} %), against {100 * straight.largest_step:.0f} % on the straight line."
                   + (" In a space of more than two dimensions the search stays in the plane through both ends."
                      if m.dim > 2 else ""))


def add_stretch(fig: go.Figure, extent, shortest: np.ndarray, straight: np.ndarray, n: int = 48) -> str:
    """The decoder's stretch on an n x n grid under the paths; returns a sentence on the most each path crosses."""
    xs, ys = np.linspace(extent[0], extent[1], n), np.linspace(extent[2], extent[3], n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).astype(np.float32)  # (n, n, 2), row 0 at the bottom
    stretch = ui.decoder_stretch(m, grid.reshape(-1, 2)).reshape(n, n)
    fig.add_trace(ui.stretch_heatmap(xs, ys, stretch, grid, opacity=0.45, on_top=True))
    fig.update_layout(margin_t=fig.layout.margin.t + STRETCH_BAR_PX)
    most = [float(ui.decoder_stretch(m, path).max()) for path in (straight, shortest)]
    return (f"Stretch from {stretch.min():.1f} to {stretch.max():.1f} here. The straight line crosses stretch up to "
            f"{most[0]:.1f}, the geodesic up to {most[1]:.1f}.")


map_col, strip_col = st.columns([1, 1], gap="large")
with map_col:
    on_plane = {name: m.projection.to_plane(path) for name, path in paths.items()}
    ends = np.concatenate(list(on_plane.values()))
    extent = ui.union_extent(m.extent, (ends[:, 0].min(), ends[:, 0].max(), ends[:, 1].min(), ends[:, 1].max()))
    fig = ui.map_figure(extent, height=None, titles=m.projection.titles)
    ui.add_means_raster(fig, m, extent, opacity=0.7)
    stretch_on = m.is_native and m.dim == 2 and st.toggle(
        "Decoder stretch", key="ip_stretch",
        help="Colour the map by the decoder's magnification factor √det(JᵀJ): how much the image changes per unit "
             "of latent area (Arvanitidis et al. 2018). The geodesic avoids where it is high.")
    stretch_note = stretch_on and add_stretch(fig, extent, geodesic.densify(ui.geodesic(m, a, b)),
                                              geodesic.densify(paths["linear"]))
    for name, path in on_plane.items():
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1],
                                 mode="lines+markers", name=name, line=dict(color=colors[name], width=2),
                                 marker=dict(size=7), customdata=np.arange(steps),
                                 hovertemplate=f"{name} step %{{customdata}}<br>z = (%{{x:.2f}}, %{{y:.2f}})"
                                               "<extra></extra>"))
    ui.add_marker(fig, m.plane[a], f"start #{a}", color="#2ca02c", symbol="circle", size=13)
    ui.add_marker(fig, m.plane[b], f"end #{b}", color="#9467bd", symbol="square", size=13)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, title=None))
    ui.square_chart(fig, key="ip_fig", frame_px=LEGEND_PX + (STRETCH_BAR_PX if stretch_on else 0))
    if stretch_note:
        st.caption(stretch_note)

with strip_col:
    images = ui.dataset_images(m.dataset, "test")  # uint8
    if images is not None:
        with st.container(horizontal=True):  # side by side, on a phone too
            ui.show_digit(images[a] / 255, f"#{a} · {names[labels[a]]}", size=84)
            ui.show_digit(images[b] / 255, f"#{b} · {names[labels[b]]}", size=84)
    else:
        st.caption(f"Start #{a} ({names[labels[a]]}) → end #{b} ({names[labels[b]]}). The originals "
                   f"are not shown: the {m.dataset} dataset is not available on this server.")
    for name, path in paths.items():
        decoded = explore.decode(m.model, path)
        st.markdown(f"**{name.capitalize()}**")
        show_wrapped_strip(decoded)
        ui.download_png(ui.mosaic_strip(decoded, 1, steps), f"{m.name}_{name}_{a}_to_{b}.png", key=f"dl_ip_{name}",
                        size=84, label=f"{name.capitalize()} strip PNG")
    show_lengths(reports, steps)
    st.plotly_chart(norm_figure(paths, m.dim), key="ip_norms", config={"displayModeBar": False})
    st.caption("‖z‖ along the path: the straight line dips toward the origin, slerp changes the length linearly. "
               "Dotted: √D, the radius near which N(0, I) keeps most of its mass in high dimensions.")

st.subheader("Move along a direction")
st.caption(f"The difference of two class means is a direction in z: from the centre of one cluster to the centre of "
           f"another. Add it to the start {ITEM_WORD[m.dataset]}'s {'mean' if m.is_vae else 'code'} and walk: t = 1 is one "
           "whole step from one centre to the other. Far enough out the walk leaves the region the prior covers, where "
           "the decoder was never trained to draw anything.")
classes = sorted(set(labels.tolist()))
other = int(labels[b]) if labels[b] != labels[a] else classes[(classes.index(labels[a]) + 1) % len(classes)]
ui.init_state("ip_from", ui.param_number("from", min(classes), max(classes), int(labels[a]), integer=True))
ui.init_state("ip_to", ui.param_number("to", min(classes), max(classes), other, integer=True))
ui.init_state("ip_t", round(ui.param_number("t", -1.0, 3.0, 1.0), 1))
d1, d2, d3 = st.columns([1, 1, 2], vertical_alignment="bottom")
source = d1.selectbox("From the centre of", classes, key="ip_from", format_func=lambda c: names[c])
target = d2.selectbox("to the centre of", classes, key="ip_to", format_func=lambda c: names[c])
t = d3.slider("t", -1.0, 3.0, step=0.1, key="ip_t")
ui.set_params(**{"from": source, "to": target, "t": f"{t:g}"})
direction = directions.class_direction(m.mu, labels, source, target)
ts = np.round(np.linspace(-1.0, 3.0, 9), 2)
walk = directions.along(m.mu[a], direction, np.append(ts, t))
decoded = explore.decode(m.model, walk)
with st.container(horizontal=True):
    ui.show_digit(decoded[-1], f"t = {t:.1f}", size=112)
    show_wrapped_strip(decoded[:-1])
st.caption("The strip walks t = " + ", ".join(f"{v:g}" for v in ts) + ".")
inside = directions.prior_interval(m.mu[a], direction)
radius = directions.prior_radius(m.dim)
norm = float(np.linalg.norm(walk[-1]))
where = "inside" if norm <= radius else "outside"
if source == target:
    st.info("Pick two different classes: the direction from a class to itself is zero.")
elif inside is None:
    st.caption(f"This line never enters the ball ‖z‖ ≤ {radius:.2f} that holds 99 % of N(0, I): every z on it is "
               "off the prior.")
else:
    st.caption(f"At t = {t:.1f}, ‖z‖ = {norm:.2f}: {where} the ball ‖z‖ ≤ {radius:.2f} that holds 99 % of N(0, I). "
               f"Along this direction the walk is inside it for t from {inside[0]:.2f} to {inside[1]:.2f}.")
