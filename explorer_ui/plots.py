"""Plotly building blocks for the pages' figures: the latent plane (test-mean scatter or raster,
posterior ellipses, prior circles, markers, extent union) and training curves per epoch.
(The home page's map is latent_component.)"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image
from plotly.subplots import make_subplots

from vae_core.analysis import explore
from vae_core.analysis.exact_posterior import HPD_MASS, ExactPosterior
from vae_core.analysis.projection import Projection

from .loading import Loaded

DIGIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",  # tab10, as the latent map (static/latent_map/plot.js)
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
MODEBAR_PX = 30  # Plotly's toolbar sits in the figure's top right corner: a top margin this high keeps legends clear of it


def ink() -> str:
    """The theme's text colour, for lines that must stand out on the chart's background in either theme."""
    return "#fafafa" if st.context.theme.type == "dark" else "#31333f"


def map_figure(extent: explore.Extent, height: int | None = 560, title: str | None = None,
               titles: tuple[str, str] = ("z₁", "z₂")) -> go.Figure:
    """Empty latent-plane figure: the plane's first axis right, its second up (`titles`), equal scales.
    The plane keeps to the top of the figure, so what its width leaves over falls below it.
    height None: the figure fills its container (`square_chart`)."""
    x0, x1, y0, y1 = extent
    fig = go.Figure()
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=MODEBAR_PX + (30 if title else 0), b=10),
        title=dict(text=title, y=1, yref="paper", yanchor="bottom"),  # just above the plane: under the toolbar's strip
        xaxis=dict(title=titles[0], range=[x0, x1], zeroline=True, constrain="domain"),
        yaxis=dict(title=titles[1], range=[y0, y1], zeroline=True, scaleanchor="x", scaleratio=1, constrain="domain",
                   constraintoward="top"),
        legend=dict(itemsizing="constant", orientation="v"),
        dragmode="pan", hovermode="closest", uirevision="keep",
    )
    return fig


def square_chart(fig: go.Figure, key: str, frame_px: int) -> None:
    """Show a latent-plane figure (made with height None) as tall as its column is wide plus `frame_px`
    (axes, legend): a square plane fills the column at every window width, with no band above or below.
    The height is CSS: the server does not know the column's width. Only the st-key-* classes that
    Streamlit gives keyed containers are styled."""
    st.html(f"<style>div.st-key-{key}_column {{ container-type: inline-size; }}"
            f"div.st-key-{key}_frame {{ flex: none; height: calc(100cqw + {frame_px}px); }}</style>")
    with st.container(key=f"{key}_column"), st.container(key=f"{key}_frame"):
        st.plotly_chart(fig, key=key, height="stretch", config={"displaylogo": False})


def add_image(fig: go.Figure, image: Image.Image, extent: explore.Extent, opacity: float = 1.0) -> None:
    """Stretch a PIL image over `extent` in data coordinates, under the traces."""
    x0, x1, y0, y1 = extent
    fig.add_layout_image(source=image, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                         sizing="stretch", layer="below", opacity=opacity)


@st.cache_data(show_spinner=False, max_entries=8)
def means_raster(mu2: np.ndarray, labels: np.ndarray, extent: explore.Extent, width: int = 420) -> Image.Image:
    """The test means drawn as coloured dots into an RGBA image over `extent`: a light stand-in for the scatter."""
    x0, x1, y0, y1 = extent
    height = max(1, round(width * (y1 - y0) / (x1 - x0)))
    img = np.zeros((height, width, 4), np.uint8)
    cols = np.clip(((mu2[:, 0] - x0) / (x1 - x0) * width).astype(int), 0, width - 1)
    rows = np.clip(((y1 - mu2[:, 1]) / (y1 - y0) * height).astype(int), 0, height - 1)
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in DIGIT_COLORS], np.uint8)[labels]
    order = np.random.default_rng(0).permutation(len(mu2))
    for dr, dc in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        r, c = np.clip(rows[order] + dr, 0, height - 1), np.clip(cols[order] + dc, 0, width - 1)
        img[r, c, :3], img[r, c, 3] = rgb[order], 150
    return Image.fromarray(img, mode="RGBA")


def add_label_traces(fig: go.Figure, x: np.ndarray, y: np.ndarray, labels: np.ndarray, hover: str, names, *,
                     size: float = 4, opacity: float = 0.6, customdata: np.ndarray | None = None, webgl: bool = False) -> None:
    """One marker trace per label (its colour, its legend entry `names[label]`) of the points x, y (N,)
    with labels (N,). hover: the hovertemplate, with "{label}" standing for the label's name."""
    trace = go.Scattergl if webgl else go.Scatter
    for d in range(10):
        rows = np.flatnonzero(labels == d)
        fig.add_trace(trace(x=x[rows], y=y[rows], mode="markers", name=names[d],
                            marker=dict(size=size, color=DIGIT_COLORS[d], opacity=opacity),
                            customdata=None if customdata is None else customdata[rows],
                            hovertemplate=hover.replace("{label}", names[d])))


def add_means_raster(fig: go.Figure, m: Loaded, extent: explore.Extent, opacity: float = 1.0,
                     legend: bool = False) -> None:
    """The test means (on the model's plane) as a background image (light to send), optionally with a legend."""
    add_image(fig, means_raster(m.plane, m.cache.labels, extent), extent, opacity)
    if legend:
        add_label_legend(fig, [str(d) for d in range(10)])


def add_label_legend(fig: go.Figure, names, labels=range(10)) -> None:
    """Legend entries only (no points): the colour of each of `labels`, named by `names`."""
    for d in labels:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=names[d], hoverinfo="skip",
                                 marker=dict(size=7, color=DIGIT_COLORS[d])))


def add_ellipses(fig: go.Figure, projection: Projection, mu, sigma, color: str = "black", name: str = "posterior") -> None:
    """The 1- and 2-sigma outlines of N(mu, diag sigma^2) on the plane, at true scale."""
    for k, dash in ((1, "solid"), (2, "dash")):
        e = projection.ellipse(mu, sigma, k)
        fig.add_trace(go.Scatter(x=e[:, 0], y=e[:, 1], mode="lines", name=f"{name} {k}σ",
                                 line=dict(color=color, width=2, dash=dash), hoverinfo="skip"))


def add_exact_posterior(fig: go.Figure, posterior: ExactPosterior, color: str = "#1f77b4") -> None:
    """p(z|x) as two lines holding 39 % and 86 % of its mass (as a Gaussian's 1- and 2-sigma ellipses do), and
    its mean. For a 2-D latent, whose plane is z itself."""
    outer, inner = (posterior.level(mass) for mass in sorted(HPD_MASS, reverse=True))
    fig.add_trace(go.Contour(x=posterior.xs, y=posterior.ys, z=posterior.density, name="p(z|x)", legendgroup="exact",
                             showscale=False, showlegend=True, hoverinfo="skip", line=dict(color=color, width=2),
                             contours=dict(coloring="none", start=outer, end=inner, size=max(inner - outer, 1e-12))))
    add_marker(fig, posterior.mean, "E[z|x]", color=color, symbol="diamond", size=11,
               legend=dict(legendgroup="exact", showlegend=False))  # one legend entry: the caption names the diamond


def add_prior_circles(fig: go.Figure, ks=(1, 2, 3), center=(0.0, 0.0)) -> None:
    """Contours of the prior N(0, I) at 1, 2, 3 sigma, around `center` (where z = 0 lies on the plane)."""
    t = np.linspace(0, 2 * np.pi, 120)
    cx, cy = center
    color = ink()  # on a light or a dark page
    name = "prior " + ", ".join(f"{k}σ" for k in ks)
    for k in ks:
        fig.add_trace(go.Scatter(x=cx + k * np.cos(t), y=cy + k * np.sin(t), mode="lines", name=name,
                                 legendgroup="prior", showlegend=k == ks[0], hoverinfo="skip",
                                 line=dict(color=color, width=1.5, dash="dot")))
        fig.add_annotation(x=cx + k * 0.7071, y=cy + k * 0.7071, text=f"{k}σ", showarrow=False,
                           font=dict(size=10, color=color), xshift=8, yshift=6)


def add_marker(fig: go.Figure, xy, name: str = "z", color: str = "black", symbol: str = "x", size: int = 14,
               legend: dict | None = None) -> None:
    """One marker at plane coordinates xy (2,); `legend`: its legendgroup / showlegend, if not its own entry."""
    x, y = np.asarray(xy, dtype=float).ravel()[:2]
    fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers", name=name,
                             marker=dict(symbol=symbol, size=size, color=color, line=dict(width=2, color="white")),
                             hovertemplate=f"{name}<br>z = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>", **(legend or {})))


def stretch_heatmap(x: np.ndarray, y: np.ndarray, stretch: np.ndarray, plane_points: np.ndarray,
                    opacity: float = 0.55, on_top: bool = False) -> go.Heatmap:
    """The decoder's stretch (rows, cols) at plane points (rows, cols, 2) drawn at columns x and rows y, coloured
    on a log scale (it spans two to three orders of magnitude) with a colour bar in its own units: at the right,
    or (`on_top`) across the figure's top left, beside the toolbar, which keeps the plane's width."""
    decades = np.arange(np.floor(np.log10(stretch.min())), np.ceil(np.log10(stretch.max())) + 1)
    place = dict(orientation="h", yref="container", y=1, yanchor="top", x=0, xanchor="left", len=0.55,
                 lenmode="fraction", title_side="right") if on_top else {}
    return go.Heatmap(
        x=x, y=y, z=np.log10(stretch), colorscale="Viridis", opacity=opacity,
        colorbar=dict(title="stretch", thickness=12, tickvals=decades, ticktext=[f"{10**d:g}" for d in decades],
                      **place),
        customdata=np.dstack([plane_points, stretch]),
        hovertemplate="z = (%{customdata[0]:.2f}, %{customdata[1]:.2f})<br>stretch %{customdata[2]:.1f}<extra></extra>")


def union_extent(*extents: explore.Extent) -> explore.Extent:
    e = np.array(extents)
    return float(e[:, 0].min()), float(e[:, 1].max()), float(e[:, 2].min()), float(e[:, 3].max())


def history_figure(series, height: int = 380) -> tuple[go.Figure, list[str]]:
    """Reconstruction and KL per epoch side by side: training (solid, running mean over the epoch's
    batches) and test (dashed). series: (name, history, is_vae, colour) per model, history being the
    checkpoint's per-epoch dicts. Returns the figure and the names whose test terms were not recorded."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Reconstruction (nats)", "KL (nats)"),
                        horizontal_spacing=0.1)
    missing_test = []
    for name, history, is_vae, color in series:
        epochs = [e.get("epoch") for e in history]
        for col, term in ((1, "recon"), (2, "kl")):
            if term == "kl" and not is_vae:
                continue
            for split, dash in (("", "solid"), ("test_", "dash")):
                values = [e.get(split + term) for e in history]
                if split and not any(isinstance(v, float) for v in values):
                    missing_test.append(name)
                    continue
                fig.add_trace(go.Scatter(  # a file name is text: Plotly reads HTML in names
                    x=epochs, y=values, mode="lines+markers" if len(epochs) < 20 else "lines",
                    line=dict(color=color, dash=dash, width=2), marker=dict(size=5),
                    name=html.escape(f"{name} · {'test' if split else 'train'}"), legendgroup=name,
                    showlegend=col == 1, hovertemplate="%{fullData.name}<br>epoch %{x}: %{y:.2f} nats<extra></extra>",
                ), row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=MODEBAR_PX + 25, b=10),  # the titles under the toolbar
                      legend=dict(orientation="h", y=-0.25, x=0, title=None))
    return fig, sorted(set(missing_test))
