// chart.js: a Plotly figure made in Python (latent_component/chart.py) drawn with the map's own plotly.js,
// the vendored gl2d bundle (1.6 MB, scatter and layout images), instead of Streamlit's chart element, whose
// plotly.js (a 4.7 MB chunk) each new tab fetches and compiles before its first chart shows.

import { cleanupOnceGone, readStyle } from "./dom.js";
import { loadPlotly } from "./plot.js";

const CHARTS = new WeakMap(); // parentElement -> {box, plot, loading, text, calls, draws, resized}

/** The figure's layout in Streamlit's look: the theme's font and colours on a transparent background. */
export function themed(layout, style) {
  const out = { ...layout, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: style.font, color: style.text, size: 12, ...layout.font } };
  out.title = layout.title && { ...layout.title, font: { size: 16, ...layout.title.font } };
  for (const name of ["xaxis", "yaxis", ...Object.keys(layout).filter((k) => /^[xy]axis\d+$/.test(k))]) {
    out[name] = { gridcolor: style.grid, zerolinecolor: style.axis, linecolor: style.axis, automargin: true,
      ...layout[name] };
  }
  return out;
}

function build(parentElement, height) {
  const box = document.createElement("div"), plot = document.createElement("div");
  const loading = Object.assign(document.createElement("div"), { className: "lm-loading", textContent: "Loading the chart…" });
  box.className = "lm-chart";
  box.style.cssText = `position: relative; height: ${height}px`; // its room, kept while plotly.js loads: nothing jumps
  plot.style.height = "100%";
  // map.css need not be on the page: the note is styled here (the same look as the map's, .lm-loading)
  loading.style.cssText = "position: absolute; inset: 40% 0 auto 0; text-align: center; opacity: 0.7; "
    + "font-family: var(--st-font, sans-serif); color: var(--st-text-color, #31333f)";
  box.append(plot, loading);
  parentElement.append(box);
  return { box, plot, loading };
}

/** Draw (or redraw) the figure of `data.json` ({data, layout, config}) in `parentElement`. */
export function mountChart({ data: sent, parentElement }) {
  if (typeof sent?.json !== "string") return undefined;
  const figure = JSON.parse(sent.json), height = figure.layout.height ?? 450;
  let entry = CHARTS.get(parentElement);
  if (!entry) CHARTS.set(parentElement, entry = { ...build(parentElement, height), calls: 0, draws: 0 });
  const call = ++entry.calls;
  if (entry.text !== sent.json) {
    entry.text = sent.json;
    entry.box.style.height = `${height}px`;
    const draw = ++entry.draws; // the same figure sent again while plotly.js loads must not cancel its drawing
    loadPlotly().then(async (Plotly) => {
      if (draw !== entry.draws) return; // a newer figure is on its way
      await Plotly.react(entry.plot, figure.data, themed(figure.layout, readStyle(parentElement)),
        { responsive: true, ...figure.config });
      entry.loading.remove();
      // Plotly follows the window's size only; the sidebar opening or closing changes the column's
      entry.resized ??= new ResizeObserver(() => entry.plot.isConnected && Plotly.Plots.resize(entry.plot));
      entry.resized.observe(entry.box);
    }).catch((err) => { entry.loading.textContent = `The chart could not be drawn: ${err.message}`; });
  }
  return cleanupOnceGone(parentElement, call, () => entry.calls, () => {
    entry.resized?.disconnect();
    window.Plotly?.purge(entry.plot);
    CHARTS.delete(parentElement);
  });
}
