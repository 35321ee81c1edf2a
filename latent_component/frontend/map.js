// ---------------------------------------------------------------------------
// map.js: geometry and drawing of the latent map (canvas 2D).
//
// Two stacked canvases: `points` (axes + the 10,000 test means, redrawn only on
// resize) and `overlay` (crosshair, selected marker, hover ring; redrawn on
// every pointer move, which is cheap because it draws a handful of shapes).
// ---------------------------------------------------------------------------

// Digit colours (the "tab10" palette used by matplotlib / d3 category10).
const DIGIT_COLORS = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
const MARGIN = { left: 44, right: 12, top: 10, bottom: 34 }; // CSS px, room for tick labels

/** Robust data bounds of the means: 0.1-99.9 percentiles so stray outliers do not shrink the cloud. */
function dataBounds(model) {
  const n = model.nPoints;
  const xs = new Float32Array(n), ys = new Float32Array(n);
  for (let k = 0; k < n; k++) { xs[k] = model.means[2 * k]; ys[k] = model.means[2 * k + 1]; }
  xs.sort(); ys.sort();
  const q = (a, p) => a[Math.min(a.length - 1, Math.max(0, Math.round(p * (a.length - 1))))];
  const b = { x0: q(xs, 0.001), x1: q(xs, 0.999), y0: q(ys, 0.001), y1: q(ys, 0.999) };
  const padX = 0.08 * (b.x1 - b.x0 || 1), padY = 0.08 * (b.y1 - b.y0 || 1);
  return { x0: b.x0 - padX, x1: b.x1 + padX, y0: b.y0 - padY, y1: b.y1 + padY };
}

/**
 * Map between CSS pixels of the canvas and latent coordinates (dims 0, 1),
 * with the same scale on both axes (one latent unit = `scale` px either way).
 */
function makeView(bounds, width, height) {
  const plotW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const plotH = Math.max(10, height - MARGIN.top - MARGIN.bottom);
  const scale = Math.min(plotW / (bounds.x1 - bounds.x0), plotH / (bounds.y1 - bounds.y0));
  const cx = (bounds.x0 + bounds.x1) / 2, cy = (bounds.y0 + bounds.y1) / 2;
  const px0 = MARGIN.left + plotW / 2, py0 = MARGIN.top + plotH / 2;
  return {
    width, height, scale,
    plot: { left: MARGIN.left, top: MARGIN.top, right: MARGIN.left + plotW, bottom: MARGIN.top + plotH },
    toPx: (zx, zy) => [px0 + (zx - cx) * scale, py0 - (zy - cy) * scale],
    toZ: (px, py) => [cx + (px - px0) / scale, cy - (py - py0) / scale],
    zRange: () => [cx - plotW / 2 / scale, cx + plotW / 2 / scale, cy - plotH / 2 / scale, cy + plotH / 2 / scale],
  };
}

/** Size a canvas for the device pixel ratio; returns its 2D context in CSS-pixel units. */
function fitCanvas(canvas, width, height) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** A "nice" tick step (1, 2 or 5 x 10^k) giving about `target` ticks over `span`. */
function tickStep(span, target) {
  const raw = span / target, mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/** Draw axes, grid and all test means (one path per digit, so only 10 fills). */
function drawPoints(ctx, view, model, style) {
  const { plot } = view;
  ctx.clearRect(0, 0, view.width, view.height);
  ctx.save();
  ctx.font = `11px ${style.font}`;
  ctx.fillStyle = style.text;
  ctx.strokeStyle = style.grid;
  ctx.lineWidth = 1;
  const [zx0, zx1, zy0, zy1] = view.zRange();
  const step = tickStep(Math.max(zx1 - zx0, zy1 - zy0), 8);
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let t = Math.ceil(zx0 / step) * step; t <= zx1; t += step) {
    const [x] = view.toPx(t, 0);
    ctx.beginPath(); ctx.moveTo(x, plot.top); ctx.lineTo(x, plot.bottom); ctx.stroke();
    ctx.fillText(+t.toFixed(6) + "", x, plot.bottom + 4);
  }
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let t = Math.ceil(zy0 / step) * step; t <= zy1; t += step) {
    const [, y] = view.toPx(0, t);
    ctx.beginPath(); ctx.moveTo(plot.left, y); ctx.lineTo(plot.right, y); ctx.stroke();
    ctx.fillText(+t.toFixed(6) + "", plot.left - 6, y);
  }
  ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  ctx.fillText("z₁", (plot.left + plot.right) / 2, view.height - 1);
  ctx.save(); ctx.translate(11, (plot.top + plot.bottom) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle"; ctx.fillText("z₂", 0, 0); ctx.restore();
  ctx.strokeStyle = style.axis;
  ctx.strokeRect(plot.left + 0.5, plot.top + 0.5, plot.right - plot.left - 1, plot.bottom - plot.top - 1);

  // Points, clipped to the plot area.
  ctx.beginPath(); ctx.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top); ctx.clip();
  const r = view.width * view.height > 250000 ? 1.7 : 1.4;
  ctx.globalAlpha = 0.6;
  for (let digit = 0; digit < 10; digit++) {
    ctx.beginPath();
    for (let k = 0; k < model.nPoints; k++) {
      if (model.labels[k] % 10 !== digit) continue;
      const [x, y] = view.toPx(model.means[2 * k], model.means[2 * k + 1]);
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    ctx.fillStyle = DIGIT_COLORS[digit];
    ctx.fill();
  }
  ctx.restore();
}

/** Overlay: selected z (ring + dashed crosshair), pointer crosshair, hovered point ring. */
function drawOverlay(ctx, view, model, state, style) {
  ctx.clearRect(0, 0, view.width, view.height);
  const { plot } = view;
  const [sx, sy] = view.toPx(state.z[0], state.z.length > 1 ? state.z[1] : 0);
  ctx.save();
  ctx.beginPath(); ctx.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top); ctx.clip();
  ctx.lineWidth = 1;
  ctx.setLineDash([4, 4]);
  ctx.strokeStyle = style.selected;
  ctx.beginPath();
  ctx.moveTo(sx, plot.top); ctx.lineTo(sx, plot.bottom);
  ctx.moveTo(plot.left, sy); ctx.lineTo(plot.right, sy);
  ctx.globalAlpha = 0.45; ctx.stroke(); ctx.globalAlpha = 1;
  ctx.setLineDash([]);
  ctx.lineWidth = 2.5;
  ctx.beginPath(); ctx.arc(sx, sy, 7, 0, 2 * Math.PI); ctx.stroke();
  ctx.fillStyle = style.selected; ctx.beginPath(); ctx.arc(sx, sy, 2, 0, 2 * Math.PI); ctx.fill();

  if (state.pointer) {
    const [px, py] = state.pointer;
    ctx.strokeStyle = style.text; ctx.globalAlpha = 0.35; ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px, plot.top); ctx.lineTo(px, plot.bottom);
    ctx.moveTo(plot.left, py); ctx.lineTo(plot.right, py);
    ctx.stroke(); ctx.globalAlpha = 1;
  }
  if (state.hoverIndex != null) {
    const k = state.hoverIndex;
    const [hx, hy] = view.toPx(model.means[2 * k], model.means[2 * k + 1]);
    ctx.lineWidth = 2; ctx.strokeStyle = DIGIT_COLORS[model.labels[k] % 10];
    ctx.beginPath(); ctx.arc(hx, hy, 5, 0, 2 * Math.PI); ctx.stroke();
  }
  ctx.restore();
}
