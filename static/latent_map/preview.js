// preview.js: the map before plotly.js is there. Loading and running plotly.js takes most of a new
// visit's wait (about 0.7 s of a 2 s start in headless Chromium), while the decoder and the points are
// already in hand; so the test means are drawn at once on a canvas, in the plot area Plotly is about
// to lay out, and hovering decodes from then on. plotly.js is fetched from then on too, and Plotly's scatter
// replaces the canvas when it is drawn.

import { COLORS, fetchPlotly, fitCanvas } from "./plot.js";

const LEGEND_ITEM_PX = 45; // Plotly's legend beside the plot: its symbol, gaps and padding around the longest name

/** The width Plotly gives the vertical legend of `names` (12 px text in `font`). */
export function legendWidth(names, font) {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `12px ${font}`;
  return LEGEND_ITEM_PX + Math.max(...names.map((n) => ctx.measureText(n).width));
}

/**
 * The plot area and axes Plotly lays out for plot.js's `layout(extent, …)` in a `width` x `height` div:
 * fixed margins, the legend beside the plot (or under it: `narrow`), which widens the right margin by
 * its width plus 1 % of the plot area's (it starts at x = 1.01), and equal units on both axes (y's
 * scaleanchor): the axis with room to spare widens its range about its centre.
 * Same shape as plot.js's `axes(gd)`.
 */
export function previewAxes(width, height, extent, narrow, legendPx) {
  const [x0, x1, y0, y1] = extent;
  const left = 48, top = 28, bottom = narrow ? 100 : 40;
  const right = narrow ? 8 : Math.round((8 + legendPx + 0.01 * (width - left)) / 1.01);
  const w = Math.max(width - left - right, 1), h = Math.max(height - top - bottom, 1);
  const s = Math.min(w / (x1 - x0), h / (y1 - y0));
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, xLow = cx - w / s / 2, yHigh = cy + h / s / 2;
  return {
    left, top, width: w, height: h, pxPerUnit: s,
    toPx: (zx, zy) => [(zx - xLow) * s, (yHigh - zy) * s],
    toZ: (px, py) => [xLow + px / s, yHigh - py / s],
  };
}

/** Draw the points of `traces` (plot.js's splitTraces) as Plotly will: in trace order, dots of 4 px, 0.7 opaque. */
export function drawPoints(ctx, ax, traces) {
  ctx.clearRect(0, 0, ax.width, ax.height);
  ctx.globalAlpha = 0.7;
  for (const trace of traces) {
    ctx.fillStyle = COLORS[trace.meta.label];
    ctx.beginPath();
    for (let i = 0; i < trace.x.length; i++) {
      const [px, py] = ax.toPx(trace.x[i], trace.y[i]);
      ctx.moveTo(px + 2, py);
      ctx.arc(px, py, 2, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

/**
 * Resolves once the pointer has rested over `el` (no move for `quietMs`), or after `maxMs` at most:
 * when to run plotly.js, whose third of a second on the main thread would stall a hover in progress.
 */
export function pointerRest(el, quietMs = 500, maxMs = 3000) {
  return new Promise((resolve) => {
    let quiet = null;
    const done = () => {
      clearTimeout(quiet); clearTimeout(cap); el.removeEventListener("pointermove", moved); resolve();
    };
    const moved = () => { clearTimeout(quiet); quiet = setTimeout(done, quietMs); };
    const cap = setTimeout(done, maxMs);
    el.addEventListener("pointermove", moved);
    moved();
  });
}

/** MapView's methods for the preview (view.js mixes them in). */
export const PREVIEW = {
  /** The traces a click can pick from: Plotly's, or the ones the preview drew before Plotly was there. */
  figureTraces() { return this.dom.plot.data ?? this.firstTraces; },

  /** Until plotly.js is loaded and drawn: the points on a canvas, in the plot area Plotly will lay out,
   *  and hovering decodes; the map is live. */
  drawPreview() {
    const { plot, preview, root } = this.dom;
    this.ax = previewAxes(plot.clientWidth, plot.clientHeight, this.data.extent, this.isNarrow(),
      legendWidth(this.names(), this.style.font));
    this.previewAx = this.ax; // kept: the browser test holds it against the plot area Plotly lays out
    drawPoints(fitCanvas(preview, this.ax), this.ax, this.firstTraces);
    this.ctx = fitCanvas(this.dom.overlay, this.ax);
    this.showSelected();
    this.showPath();
    this.dom.loading.style.display = "none";
    root.dataset.live = "1";
    fetchPlotly();
  },
};
