"""A Plotly figure drawn with the latent map's own plotly.js (the vendored gl2d bundle: scatter traces,
layout images, annotations) instead of `st.plotly_chart`.

    plotly_figure(fig, key="curves", config={"displaylogo": False})

Why: Streamlit's chart element brings its own plotly.js, a 4.7 MB chunk that every new tab fetches and
compiles (about 0.8 s of its main thread on the 2-core machine) before the first chart shows. The gl2d bundle
is a third of that, gzipped by the server and cached by the browser with the map's files. A figure with a
trace type that bundle lacks (heatmap, bar, waterfall) needs `st.plotly_chart`.
"""
from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from latent_component import PRELOAD_JS

__all__ = ["plotly_figure", "GL2D_TRACES"]

GL2D_TRACES = frozenset({"scatter", "scattergl", "splom", "parcoords"})  # what the vendored bundle draws

_chart = st.components.v2.component("plotly_figure", js=PRELOAD_JS + """
preloadMap();
export default async function (component) {
  return (await import(STATIC + "latent_map/map.bundle.js")).mountChart(component);
}""", isolate_styles=False)


def figure_json(fig: go.Figure, config: dict | None = None) -> str:
    """The figure as the chart draws it: {data, layout, config} in Plotly's JSON, without plotly.py's template
    (the browser applies the page's theme: latent_map/chart.js)."""
    spec = fig.to_plotly_json()
    unknown = {trace.get("type", "scatter") for trace in spec["data"]} - GL2D_TRACES
    if unknown:
        raise ValueError(f"the map's plotly.js cannot draw {sorted(unknown)}: use st.plotly_chart")
    spec["layout"].pop("template", None)
    return pio.to_json({**spec, "config": config or {}}, validate=False)


def plotly_figure(fig: go.Figure, key: str, config: dict | None = None) -> None:
    """Show `fig` at its layout's height (450 px if unset) and the container's width."""
    _chart(data={"json": figure_json(fig, config)}, key=key)
