// plot.js: the Plotly scatter of the posterior means (WebGL, one trace per
// label and split) and the overlay canvas drawn over its plot area (crosshair,
// the selected z, the selected digit's 1- and 2-sigma ellipses).

export const COLORS = [ // "tab10", as the Python pages use (explorer_ui/plots.py)
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
const PLOTLY_URL = "app/static/vendor/plotly-gl2d-3.7.0.min.js";
let plotlyLoading = null;

/** Start fetching plotly.js without running it: once the preview is live, so that its 1.6 MB (and the gzip
 *  the server spends on them) do not compete with what the preview needs. */
export function fetchPlotly() {
  const href = new URL(PLOTLY_URL, document.baseURI).href;
  if (window.Plotly || document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(Object.assign(document.createElement("link"), { rel: "preload", as: "script", href }));
}

/** Load the vendored plotly.js (gl2d bundle) once per page; resolves to window.Plotly. */
export function loadPlotly() {
  plotlyLoading ??= new Promise((resolve, reject) => {
    if (window.Plotly) return resolve(window.Plotly);
    const script = document.createElement("script");
    script.src = new URL(PLOTLY_URL, document.baseURI).href;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error(`could not load ${PLOTLY_URL}`));
    document.head.appendChild(script);
  });
  return plotlyLoading;
}

/**
 * Scattergl traces of one split: one per label, at the points' plane coordinates
 * (proj, projection.js), row index and sigma in customdata for the tooltip.
 */
export function splitTraces(points, split, names, proj) {
  const train = split === "train", traces = [], xy = proj.plane(points), flat = points.dim === 2;
  const byLabel = Array.from({ length: 10 }, () => []);
  for (let r = 0; r < points.n; r++) byLabel[points.labels[r] % 10].push(r);
  const sigmaLine = points.logvar && flat ? "<br>σ = (%{customdata[1]:.3f}, %{customdata[2]:.3f})" : "";
  const muLine = proj.isLayout ? `UMAP (%{x:.2f}, %{y:.2f}) of μ in ${points.dim} dims`
    : flat ? "μ = (%{x:.2f}, %{y:.2f})" : `μ on the plane = (%{x:.2f}, %{y:.2f}) of ${points.dim} dims`;
  byLabel.forEach((rows, label) => {
    const x = new Float32Array(rows.length), y = new Float32Array(rows.length);
    const customdata = rows.map((r, i) => {
      x[i] = xy[2 * r]; y[i] = xy[2 * r + 1];
      if (!points.logvar || !flat) return [r];
      const lv = points.logvar;
      return [r, Math.exp(0.5 * lv[r * points.dim]), Math.exp(0.5 * lv[r * points.dim + 1])];
    });
    traces.push({
      type: "scattergl", mode: "markers", x, y, customdata, name: names[label], legendgroup: String(label),
      showlegend: !train, meta: { split, label, rows: Int32Array.from(rows) },
      marker: { color: COLORS[label], size: train ? 2.5 : 4, opacity: train ? 0.35 : 0.7 },
      unselected: { marker: { opacity: 0.08 } }, // outside a region: faint on a light or a dark page
      hovertemplate: `${train ? "training" : "test"} #%{customdata[0]} · ${names[label]}` +
        `<br>${muLine}${sigmaLine}<extra></extra>`,
    });
  });
  return traces;
}

/** The figure's layout; `narrow` (a phone): the legend goes in rows under the plot, which keeps the width. */
export function layout(extent, style, titles, narrow) {
  const [x0, x1, y0, y1] = extent;
  const legend = narrow ? { orientation: "h", x: 0, xanchor: "left", y: 0, yref: "container", yanchor: "bottom" }
    : { orientation: "v", x: 1.01, y: 1, yanchor: "top" };
  return {
    margin: { l: 48, r: 8, t: 28, b: narrow ? 100 : 40 }, // narrow: two rows of legend under the axis title
    dragmode: "zoom", hovermode: "closest", uirevision: "keep",
    newselection: { line: { color: style.text, width: 1.5, dash: "dot" } }, // the region's outline, light or dark
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { family: style.font, color: style.text, size: 12 },
    xaxis: { title: { text: titles[0] }, range: [x0, x1], zeroline: true, gridcolor: style.grid, zerolinecolor: style.axis },
    yaxis: { title: { text: titles[1] }, range: [y0, y1], zeroline: true, gridcolor: style.grid, zerolinecolor: style.axis,
             scaleanchor: "x", scaleratio: 1 },
    legend: { ...legend, itemclick: "toggle", itemdoubleclick: "toggleothers", itemsizing: "constant", font: { size: 12 } },
    showlegend: true,
  };
}

export const CONFIG = {
  scrollZoom: true, displaylogo: false, responsive: true, doubleClick: "reset",
  modeBarButtonsToRemove: ["autoScale2d"], // box and lasso select a region (region.js)
};

/** Pixel <-> latent conversions of the plot area, from Plotly's current axes. */
export function axes(gd) {
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  return {
    left: xa._offset, top: ya._offset, width: xa._length, height: ya._length,
    toPx: (zx, zy) => [xa.l2p(zx), ya.l2p(zy)], // relative to the plot area
    toZ: (px, py) => [xa.p2l(px), ya.p2l(py)],
    pxPerUnit: Math.abs(xa._m),
  };
}

/**
 * Redraw the overlay: selected z (ring and dashed cross) at its plane position
 * `zxy`, the 1- and 2-sigma ellipses ({x, y, rx, ry, angle} in plane units), pointer crosshair.
 */
export function drawOverlay(ctx, ax, state, style) {
  ctx.clearRect(0, 0, ax.width, ax.height);
  const [sx, sy] = ax.toPx(state.zxy[0], state.zxy[1]);
  ctx.save();
  if (state.ellipse) strokeEllipses(ctx, ax, state.ellipse, style.text);
  ctx.strokeStyle = style.selected; ctx.setLineDash([4, 4]); ctx.lineWidth = 1; ctx.globalAlpha = 0.45;
  ctx.beginPath(); ctx.moveTo(sx, 0); ctx.lineTo(sx, ax.height); ctx.moveTo(0, sy); ctx.lineTo(ax.width, sy); ctx.stroke();
  ctx.globalAlpha = 1; ctx.setLineDash([]); ctx.lineWidth = 2.5;
  ctx.beginPath(); ctx.arc(sx, sy, 7, 0, 2 * Math.PI); ctx.stroke();
  if (state.pointer) {
    const [px, py] = state.pointer;
    ctx.strokeStyle = style.text; ctx.globalAlpha = 0.3; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(px, 0); ctx.lineTo(px, ax.height); ctx.moveTo(0, py); ctx.lineTo(ax.width, py); ctx.stroke();
  }
  ctx.restore();
}

/** The 1σ (solid) and 2σ (dashed) ellipses of e = {x, y, rx, ry, angle} (plane units) in `colour`. */
export function strokeEllipses(ctx, ax, e, colour) {
  const [ex, ey] = ax.toPx(e.x, e.y);
  ctx.save();
  ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
  for (const [k, dash] of [[1, []], [2, [5, 4]]]) {
    ctx.setLineDash(dash); ctx.beginPath();
    // The canvas's y runs down, the plot's up: the angle turns the other way.
    ctx.ellipse(ex, ey, k * e.rx * ax.pxPerUnit, k * e.ry * ax.pxPerUnit, -e.angle, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
}

export const PATH_COLOURS = { spherical: "#d62728" }; // the linear path in the theme's text colour, as Interpolate

/** Each path of `lines` (name -> [z per step]) on the plane: a line through its steps, a dot at each. */
export function strokePaths(ctx, ax, lines, proj, style) {
  ctx.save();
  for (const [name, zs] of Object.entries(lines)) {
    const px = zs.map((z) => ax.toPx(...proj.toPlane(z)));
    ctx.strokeStyle = ctx.fillStyle = PATH_COLOURS[name] ?? style.text;
    ctx.lineWidth = 2; ctx.setLineDash(name === "linear" ? [] : [6, 4]);
    ctx.beginPath();
    px.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    for (const [x, y] of px) { ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill(); }
  }
  ctx.restore();
}

/** Size a canvas to the plot area for the device pixel ratio; returns its context in CSS px. */
export function fitCanvas(canvas, ax) {
  const dpr = window.devicePixelRatio || 1;
  Object.assign(canvas.style, { left: `${ax.left}px`, top: `${ax.top}px`, width: `${ax.width}px`, height: `${ax.height}px` });
  canvas.width = Math.round(ax.width * dpr); canvas.height = Math.round(ax.height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export const NEAR_PX = 8; // a click within this many CSS px of a visible dot selects it
const CURSOR_PX = 64; // the digit drawn beside the pointer (map.css)

/**
 * The CSS transform that places the cursor's digit: to the lower left of a mouse pointer at plot-area
 * pixel [px, py], above a finger (which hides what is below it); flipped near the plot's edges.
 */
export function cursorAt(ax, [px, py], finger) {
  const gap = finger ? 48 : 16, flipX = px - 16 - CURSOR_PX < 0;
  const below = finger ? py - gap - CURSOR_PX < 0 : py + gap + CURSOR_PX <= ax.height;
  return `translate(${ax.left + (flipX ? px + 16 : px - 16 - CURSOR_PX)}px, ${ax.top + (below ? py + gap : py - gap - CURSOR_PX)}px)`;
}

/**
 * The visible point nearest to plot-area pixel (px, py) within `radius` px:
 * {split, index} or null. Hidden traces (legend) are skipped, so a click
 * never selects a dot the user cannot see.
 */
export function pointAt(traces, ax, sets, proj, px, py, radius) {
  const [zx, zy] = ax.toZ(px, py), s = ax.pxPerUnit;
  let best = null, bestD = (radius / s) ** 2;
  for (const trace of traces) { // the figure's traces (gd.data: the legend's visibility written back)
    if ((trace.visible ?? true) !== true || !trace.meta?.rows) continue;
    const points = sets[trace.meta.split];
    if (!points) continue;
    const xy = proj.plane(points);
    for (const r of trace.meta.rows) {
      const dx = xy[2 * r] - zx, dy = xy[2 * r + 1] - zy, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = { split: trace.meta.split, index: r }; }
    }
  }
  return best;
}

/** Ring the test points `rows` (what the search box found) in one trace on top of the rest; no rows: none. */
export async function markRows(gd, rows, xy, style) {
  const old = gd.data.findIndex((t) => t.meta?.found);
  if (old >= 0) await window.Plotly.deleteTraces(gd, old);
  if (!rows.length) return;
  const x = Float32Array.from(rows, (r) => xy[2 * r]), y = Float32Array.from(rows, (r) => xy[2 * r + 1]);
  await window.Plotly.addTraces(gd, { type: "scattergl", mode: "markers", x, y, name: "found", showlegend: false,
    hoverinfo: "skip", meta: { found: true },
    marker: { symbol: "circle-open", size: 7, color: style.text, opacity: 0.75, line: { width: 1 } } });
}

const NO_MEASURE = "rgba(128, 128, 128, 0.5)"; // a split without the measure (the training means' stored ones)

/**
 * Colour every split's points by `values` (split -> Float64Array per row, from colour.js) on one Viridis
 * scale [low, high] with a colour bar in the legend's place (`narrow`: under the plot); null: by label again.
 */
export function colourPoints(gd, values, [low, high] = [0, 1], title = "", narrow = false) {
  const idx = [], colours = [], scale = [];
  gd.data.forEach((t, i) => {
    if (!t.meta?.rows) return;
    idx.push(i);
    const v = values?.[t.meta.split];
    colours.push(v ? Float32Array.from(t.meta.rows, (r) => v[r]) : values ? NO_MEASURE : COLORS[t.meta.label]);
    scale.push(!!v && scale.every((shown) => !shown)); // one colour bar
  });
  const bar = narrow ? { orientation: "h", x: 0, xanchor: "left", y: 0, yref: "container", yanchor: "bottom", len: 1 }
    : { x: 1.02, len: 1 };
  return window.Plotly.restyle(gd, {
    "marker.color": colours, "marker.colorscale": "Viridis", "marker.cmin": low, "marker.cmax": high,
    "marker.showscale": scale, "marker.colorbar": { ...bar, thickness: 12, title: { text: title, side: narrow ? "top" : "right" } },
  }, idx).then(() => window.Plotly.relayout(gd, { showlegend: !values }));
}
