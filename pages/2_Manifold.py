"""Manifold: decode a grid over the latent plane, as in Kingma & Welling's figure 4."""
import math

import numpy as np
import streamlit as st

import explorer_ui as ui
from vae_core.analysis import explore
from vae_core.data.datasets import LABEL_NAMES

m = ui.sidebar_model()
st.title("Manifold")
st.caption("Every tile is the decoder's image of one z on a regular grid over the latent plane (Kingma & Welling "
           "2014, fig. 4). Smooth morphing between neighbours shows a continuous latent space; with Gaussian "
           "spacing each tile stands for the same prior probability mass.")

r_default, r_max, r_step = explore.manifold_range(m.plane, m.is_vae)
ui.forget_on_model_change("manifold", m, ["mf_r", "mf_spacing"], ["r", "spacing"])
ui.init_state("mf_n", ui.param_number("n", 4, 40, 20, integer=True))
ui.init_state("mf_r", round(round(ui.param_number("r", r_step, r_max, r_default) / r_step) * r_step, 6))
ui.init_state("mf_spacing", ui.param_choice("spacing", ["gaussian", "linear"], "gaussian" if m.is_vae else "linear"))

c1, c2, c3, c4 = st.columns([1.6, 1.6, 2.4, 2.2])  # wide enough for the full labels at 1280 px
n = c1.slider("Grid size (tiles per side)", 4, 40, key="mf_n")
radius = c2.slider("Range: |z| up to", r_step, r_max, step=r_step, key="mf_r")
spacing = c3.segmented_control("Spacing", ["gaussian", "linear"], key="mf_spacing",
                               format_func={"gaussian": "Gaussian quantiles", "linear": "linear"}.get,
                               help="Gaussian: equal steps in probability through the inverse normal CDF; "
                                    "linear: equal steps in z.") or "gaussian"
show_means = c4.toggle("Test means on top", key="mf_means")
by_class = c4.toggle("Colour by a classifier", key="mf_classes",
                     help="A CNN trained on the dataset names each tile; a tile it names with probability ≥ 0.9 is "
                          "drawn in that class's colour, the others stay white.")
stretch_on = m.is_native and c4.toggle(
    "Decoder stretch", key="mf_stretch",
    help="Colour each tile by the decoder's magnification factor √det(JᵀJ) at its z: how much the image changes "
         "per unit of latent area (Arvanitidis et al. 2018).")
ui.set_params(n=n, r=f"{radius:g}", spacing=spacing)

axis = explore.grid_axis(n, radius, spacing)
plane_grid = explore.latent_grid(n, radius, spacing)  # (n * n, 2) on the model's plane
decoded = explore.decode(m.model, m.projection.lift(plane_grid))
tiles = ui.mosaic_strip(decoded, n, n, pad=0)
probabilities = ui.classify(m.dataset, decoded) if by_class else None
size = len(tiles)

if spacing == "linear":  # real z axes, the latent map's own: each tile spans one grid step
    half = radius / max(n - 1, 1)
    extent = (-radius - half, radius + half, -radius - half, radius + half)
    def warp(v):
        return v
    axis_style = dict(showgrid=False, zeroline=False)
else:  # tile i centred at i; the ticks carry the (unevenly spaced) z of their tiles
    extent = (-0.5, n - 0.5, -0.5, n - 0.5)
    def warp(v):
        return np.interp(v, axis, np.arange(n))
    step = max(1, math.ceil((n - 1) / 8))
    ticks = list(range(0, n - 1, step))
    if ticks and n - 1 - ticks[-1] <= step / 2:
        ticks.pop()  # it would crowd the last tick
    ticks.append(n - 1)
    axis_style = dict(tickvals=ticks, ticktext=[f"{axis[i]:.2f}" for i in ticks], showgrid=False, zeroline=False)
fig = ui.map_figure(extent, height=None, titles=m.projection.titles)  # as tall as the column is wide
if probabilities is None:
    ui.add_image(fig, ui.gray_image(tiles), extent)
else:
    named = probabilities.max(axis=1) >= 0.9
    colors = [ui.DIGIT_COLORS[c] if sure else None for c, sure in zip(probabilities.argmax(axis=1), named, strict=True)]
    ui.add_image(fig, ui.tinted_mosaic(decoded, colors, n), extent)
    if not show_means:  # the means' legend names the same colours
        ui.add_label_legend(fig, LABEL_NAMES[m.dataset], sorted(set(probabilities.argmax(axis=1)[named].tolist())))
if stretch_on:  # on a log scale: it spans two to three orders of magnitude
    stretch = ui.decoder_stretch(m, plane_grid).reshape(n, n)  # row 0 at the top, as the tiles
    fig.add_trace(ui.stretch_heatmap(warp(axis), warp(axis[::-1]), stretch, plane_grid.reshape(n, n, 2)))
legend = show_means or probabilities is not None
fig.update_layout(xaxis=axis_style, yaxis=axis_style, showlegend=legend,  # under the plane, which keeps the width:
                  legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0))
if show_means:
    inside = np.all(np.abs(m.plane) <= radius, axis=1)
    tx, ty = warp(m.plane[:, 0]), warp(m.plane[:, 1])
    ui.add_label_traces(fig, tx[inside], ty[inside], m.cache.labels[inside],
                        "{label}<br>μ = (%{customdata[0]:.2f}, %{customdata[1]:.2f})<extra></extra>",
                        LABEL_NAMES[m.dataset], size=3, opacity=0.7, customdata=m.plane[inside], webgl=True)

left, right = st.columns([5, 2], gap="large")  # the right one fits the download button's label at 1280 px
with left:
    ui.square_chart(fig, key="mf_fig", frame_px=60 if legend else 10)  # room for the axes (and a legend)
with right:
    st.markdown(f"**{n} × {n}** tiles, z₁ and z₂ from **{axis[0]:.2f}** to **{axis[-1]:.2f}**." if m.dim == 2 else
                f"**{n} × {n}** tiles from **{axis[0]:.2f}** to **{axis[-1]:.2f}** along the test means' first two "
                f"principal components, centred on their mean: a plane through the {m.dim}-D latent space.")
    if spacing == "gaussian":
        st.caption("Gaussian spacing: the tiles are evenly spaced in probability, Φ(z), so the axis ticks are "
                   "not evenly spaced in z. The centre is sampled finely, the tails coarsely, as the prior "
                   "weighs them.")
    else:
        st.caption("Linear spacing: the axes are the latent map's own axes, equal steps in z.")
    if not m.is_vae:
        st.caption("The plain autoencoder has no prior to honour: its codes cover an irregular region far "
                   "wider than N(0, I), and outside the data (compare with the test means) the decoder only "
                   "extrapolates.")
    if by_class and probabilities is None:
        st.caption("No classifier for this dataset in models/classifiers/: the tiles stay white.")
    elif probabilities is not None:
        st.caption(f"The classifier names {100 * named.mean():.0f} % of the tiles with probability ≥ 0.9; the "
                   "white ones lie between classes or off the data.")
    if stretch_on:
        st.caption(f"Stretch from {stretch.min():.1f} to {stretch.max():.1f} (median {np.median(stretch):.1f}): how much "
                   "the image changes per unit of latent area. It is high where neighbouring tiles differ most, often where "
                   "clusters meet, and low far from the data, where the decoder barely changes: equal steps in z are not "
                   "equal changes of the image.")
    ui.download_png(tiles, f"{m.name}_manifold_{n}x{n}_{spacing}.png", key="dl_manifold",
                    label="Download the grid (PNG)", size=min(3 * size, 2000))
