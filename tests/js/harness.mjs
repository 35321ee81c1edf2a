// harness.mjs: run the latent map's own JavaScript (static/latent_map) under Node on inputs from
// tests/test_map_js.py, without a browser. Reads one JSON job on stdin, writes one JSON answer.
//
//   {"payload": path of a model payload as Python packs it, "zs": [[...]], "rows": [k, ...], "names": [...]}
//     -> {"decoded": [[pixels]], "kl": [all KL], "median", "percentile": [per row], "nearest": [[rows]],
//         "sigma": [[per row]], "labelCounts": [text per row], "panel": [selectionInfo per row],
//         "measures": {kl, sigma (per row, colour.js), klRange} or null, "stored": {recon, confidence} ([] if absent),
//         "colourChoices": the "Colour by" options}
//   {"search": path of a model payload, "queries": [...], "names": [...], "misplaced": [rows], "itemWord"}
//     -> [{kind, rows, text, extent}] per query (extent: the zoom around the rows, or null)
//   {"region": path of a model payload, "event": [{curveNumber, pointIndex}], "picked": [rows], "names": [...]}
//     -> {"fromEvent": [{split, index}], "summary": {count, counts, labels, meanMu}, "csv": text}
//   {"projection": {center, axes, titles}, "dim", "zs": [[...]], "xy": [[x, y]], "ellipses": [{mu, sigma}]}
//     -> {"plane": [[x, y]], "lifted": [[z]], "ellipses": [{x, y, rx, ry, angle}]}
//   {"paths": [[z0, z1], ...], "steps"} -> [{linear, spherical}] (path.js: the map's paths between two picks)
//   {"selections": Plotly's layout.selections, "xy": [[x, y]]} -> {text (the link's), shapes, inside: rows of xy}
//   {"umap": path of a model payload with a UMAP layout, "zs", "xy"} -> {plane: [[x, y]] per z, lifted: [[z]] per xy}

import { readFileSync } from "node:fs";
import { colourRange, measureOf, measuresFor } from "../../static/latent_map/colour.js";
import { lerp, slerp } from "../../static/latent_map/path.js";
import { parsePayload } from "../../static/latent_map/payload.js";
import { makeProjection } from "../../static/latent_map/projection.js";
import { makeUmapProjection } from "../../static/latent_map/umap.js";
import { splitTraces } from "../../static/latent_map/plot.js";
import { parseRegion, regionCsv, regionRows, regionText, rowsInside, summarize } from "../../static/latent_map/region.js";
import { extentOf, findRows } from "../../static/latent_map/search.js";
import { selectionInfo } from "../../static/latent_map/selection.js";
import { klOf, labelCounts, median, nearestRows, percentile, posteriorOf, sortedKl } from "../../static/latent_map/stats.js";

const NEIGHBOURS = 15; // as selection.js shows them

function runPayload(job) {
  const parsed = parsePayload(new Uint8Array(readFileSync(job.payload)));
  const points = parsed.points, decoder = parsed.decoder;
  const sorted = sortedKl(points);
  const answer = {
    decoded: job.zs.map((z) => Array.from(decoder.decode(z))),
    kl: Array.from({ length: points.n }, (_, k) => klOf(points, k)),
    median: sorted && median(sorted),
    measures: points.logvar && { kl: Array.from(measureOf(points, "kl")), sigma: Array.from(measureOf(points, "sigma")),
                                 klRange: colourRange(measureOf(points, "kl")) },
    stored: { recon: Array.from(measureOf(points, "recon") ?? []), confidence: Array.from(measureOf(points, "confidence") ?? []) },
    colourChoices: measuresFor(points),
    percentile: [], nearest: [], sigma: [], labelCounts: [], panel: [],
  };
  for (const k of job.rows) {
    const { mu, sigma } = posteriorOf(points, k);
    const near = nearestRows(points, mu, NEIGHBOURS, k);
    answer.percentile.push(sorted && percentile(sorted, klOf(points, k)));
    answer.nearest.push(near);
    answer.sigma.push(sigma);
    answer.labelCounts.push(labelCounts(points, near, job.names));
    const info = selectionInfo({ sel: { split: "test", index: k }, sets: { test: points }, decoder, names: job.names,
                                 labelWord: "label", itemWord: "digit", klSorted: sorted, original: null });
    answer.panel.push({ title: info.title, klText: info.klText, neighbours: info.neighbours, mu: info.mu,
                        recon: Array.from(info.recon) });
  }
  return answer;
}

function runProjection(job) {
  const projection = makeProjection(job.projection, job.dim);
  return {
    plane: job.zs.map((z) => projection.toPlane(z)),
    lifted: job.xy.map(([x, y]) => Array.from(projection.lift(x, y, new Float64Array(job.dim)))),
    ellipses: job.ellipses.map(({ mu, sigma }) => projection.ellipse(mu, sigma)),
  };
}

function runSearch(job) {
  const points = parsePayload(new Uint8Array(readFileSync(job.search))).points;
  const xy = makeProjection(null, points.dim).plane(points);
  return job.queries.map((query) => {
    const found = findRows(query, points, job.names, job.misplaced, job.itemWord);
    return { ...found, extent: found.rows.length ? extentOf(xy, found.rows) : null };
  });
}

function runRegion(job) {
  const points = parsePayload(new Uint8Array(readFileSync(job.region))).points, sets = { test: points };
  const traces = splitTraces(points, "test", job.names, makeProjection(null, points.dim));
  const picked = job.picked.map((index) => ({ split: "test", index }));
  const summary = summarize(sets, picked, job.names);
  return { fromEvent: regionRows(traces, { points: job.event }), summary: { ...summary, meanMu: Array.from(summary.meanMu) },
           csv: regionCsv(sets, picked, job.names) };
}

const job = JSON.parse(readFileSync(0, "utf8"));
const runPaths = (job) => job.paths.map(([z0, z1]) => ({ linear: lerp(z0, z1, job.steps).map((z) => Array.from(z)),
  spherical: slerp(z0, z1, job.steps).map((z) => Array.from(z)) }));
const runShapes = (job) => {
  const text = regionText(job.selections);
  return { text, shapes: parseRegion(text), inside: rowsInside(Float32Array.from(job.xy.flat()), parseRegion(text)) };
};
const runUmap = (job) => {
  const points = parsePayload(new Uint8Array(readFileSync(job.umap))).points, proj = makeUmapProjection(points);
  return { plane: job.zs.map((z) => proj.toPlane(z)), lifted: job.xy.map(([x, y]) => Array.from(proj.lift(x, y, new Float64Array(points.dim)))) };
};
const answer = job.umap ? runUmap(job) : job.selections ? runShapes(job) : job.paths ? runPaths(job) : job.region ? runRegion(job) : job.search ? runSearch(job)
  : job.payload ? runPayload(job) : runProjection(job);
process.stdout.write(JSON.stringify(answer));
