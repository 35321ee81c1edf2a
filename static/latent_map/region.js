// region.js: a region of the map picked with Plotly's own box or lasso tool: which points it holds, what the
// panel says about them (how many, their labels, the mean of their mu) and their CSV. Pure functions of the
// points the page has and of Plotly's "plotly_selected" event.

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
