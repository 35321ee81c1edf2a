// region.js: a region of the map picked with Plotly's own box or lasso tool: which points it holds, what the
// panel says about them (how many, their labels, the mean of their mu) and their CSV. Pure functions of the
// points the page has and of Plotly's "plotly_selected" event; and the region as the link holds it.

import { labelCounts } from "./stats.js";

/** The points a "plotly_selected" event holds, as [{split, index}] in the order given (the search's rings,
 *  which carry no rows, are left out). `traces`: the figure's data (gd.data). */
export function regionRows(traces, event) {
  const picked = [], seen = new Set();
  for (const point of event?.points ?? []) {
    const meta = traces[point.curveNumber]?.meta;
    const index = meta?.rows?.[point.pointIndex ?? point.pointNumber];
    if (index === undefined || seen.has(`${meta.split}:${index}`)) continue;
    seen.add(`${meta.split}:${index}`);
    picked.push({ split: meta.split, index });
  }
  return picked;
}

/** {count, counts ({split: n}), labels ("7 ×12, 9 ×2"), meanMu (Float64Array D)} of the picked points. */
export function summarize(sets, picked, names) {
  const dim = sets.test.dim, meanMu = new Float64Array(dim), counts = {}, labels = [];
  for (const { split, index } of picked) {
    const points = sets[split];
    counts[split] = (counts[split] ?? 0) + 1;
    labels.push(points.labels[index]);
    for (let d = 0; d < dim; d++) meanMu[d] += points.mu[index * dim + d];
  }
  for (let d = 0; d < dim; d++) meanMu[d] /= Math.max(picked.length, 1);
  const asPoints = { labels }; // labelCounts reads labels[row]
  return { count: picked.length, counts, labels: labelCounts(asPoints, labels.map((_, i) => i), names), meanMu };
}

/** "split,index,label,mu1..muD,sigma1..sigmaD" with one line per picked point (sigma empty for an autoencoder). */
export function regionCsv(sets, picked, names) {
  const dim = sets.test.dim, range = Array.from({ length: dim }, (_, d) => d + 1);
  const lines = [["split", "index", "label", ...range.map((d) => `mu${d}`), ...range.map((d) => `sigma${d}`)].join(",")];
  for (const { split, index } of picked) {
    const points = sets[split], at = index * dim;
    const mu = range.map((_, d) => points.mu[at + d]);
    const sigma = range.map((_, d) => (points.logvar ? Math.exp(0.5 * points.logvar[at + d]) : ""));
    lines.push([split, index, JSON.stringify(String(names[points.labels[index]])), ...mu, ...sigma].join(","));
  }
  return lines.join("\n") + "\n";
}

// The region in the link: Plotly's selections (layout.selections) as text, shapes joined by "|": a box
// "r:x0,x1,y0,y1", a lasso "p:x,y;x,y;..." (at most MAX_VERTICES, evenly kept), numbers with at most 3 decimals,
// in the plane's coordinates. explorer_ui/link.py checks the same text.
export const MAX_SHAPES = 8, MAX_VERTICES = 64, MAX_CHARS = 4000; // as explorer_ui/link.py checks them

const short = (v) => { const t = v.toFixed(3).replace(/\.?0+$/, ""); return t === "-0" || t === "" ? "0" : t; };

/** [[x, y]] of a Plotly path "Mx,yLx,y...Z". */
const pathPoints = (path) => path.replace(/[MZ]/g, "").split("L").map((p) => p.split(",").map(Number));

export function regionText(selections) {
  const shapes = (selections ?? []).slice(-MAX_SHAPES).flatMap((s) => {
    if (s.type === "rect") return [`r:${[s.x0, s.x1, s.y0, s.y1].map(short).join(",")}`];
    if (s.type !== "path" || !s.path) return [];
    const points = pathPoints(s.path), keep = Math.min(points.length, MAX_VERTICES);
    const kept = Array.from({ length: keep }, (_, i) => points[Math.floor((i * points.length) / keep)]);
    return kept.length >= 3 ? [`p:${kept.map(([x, y]) => `${short(x)},${short(y)}`).join(";")}`] : [];
  });
  while (shapes.join("|").length > MAX_CHARS) shapes.shift(); // the oldest shapes go first
  return shapes.join("|");
}

/** The shapes of a region's text: [{type: "rect", x0, x1, y0, y1} | {type: "path", points: [[x, y]]}]. */
export function parseRegion(text) {
  if (!text) return [];
  return text.split("|").map((part) => {
    const [kind, body] = [part[0], part.slice(2)];
    if (kind === "r") { const [x0, x1, y0, y1] = body.split(",").map(Number); return { type: "rect", x0, x1, y0, y1 }; }
    return { type: "path", points: body.split(";").map((p) => p.split(",").map(Number)) };
  });
}

/** The shapes as Plotly's layout.selections (their outlines on the plot). */
export const plotlySelections = (shapes, colour = "#888") => shapes.map((s) => ({
  ...(s.type === "rect" ? { type: "rect", x0: s.x0, x1: s.x1, y0: s.y0, y1: s.y1 }
    : { type: "path", path: `M${s.points.map((p) => p.join(",")).join("L")}Z` }),
  xref: "x", yref: "y", line: { color: colour, width: 1.5, dash: "dot" } }));

/** Whether plane point (x, y) lies in a shape: a box's bounds, or a polygon by the even-odd rule. */
function inside(x, y, s) {
  if (s.type === "rect") return x >= Math.min(s.x0, s.x1) && x <= Math.max(s.x0, s.x1) && y >= Math.min(s.y0, s.y1) && y <= Math.max(s.y0, s.y1);
  let hit = false;
  for (let i = 0, j = s.points.length - 1; i < s.points.length; j = i++) {
    const [xi, yi] = s.points[i], [xj, yj] = s.points[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

/** The rows whose plane coordinates (xy: x of row r at 2r, y at 2r + 1) lie in any of the shapes. */
export function rowsInside(xy, shapes) {
  const rows = [];
  for (let r = 0; r < xy.length / 2; r++) if (shapes.some((s) => inside(xy[2 * r], xy[2 * r + 1], s))) rows.push(r);
  return rows;
}
