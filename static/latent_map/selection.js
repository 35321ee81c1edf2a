// selection.js: a model's map state (z, the selected digit, the training
// switch), kept page-wide so it survives page switches, and what the panel
// says about a selected digit. Pure functions of the data the page has.

import { klOf, labelCounts, median, nearestRows, percentile, posteriorOf } from "./stats.js";

const STATE = new Map(); // model name -> {z, selected, showTrain, zFromTrain}
const NEIGHBOURS = 15;

/** This model's state: kept from an earlier visit ([state, true]), else from the link (Python checked its ranges). */
export function stateFor(data, test) {
  if (STATE.has(data.model_name)) return [STATE.get(data.model_name), true];
  const init = data.initial ?? {};
  const state = { z: new Float64Array(test.dim), selected: null, showTrain: false, zFromTrain: false };
  const given = Array.isArray(init.z) && init.z.length === test.dim;
  if (init.split && Number.isInteger(init.index)) {
    state.selected = { split: init.split, index: init.index };
    state.showTrain = init.split === "train"; // a training digit needs the training means
    if (init.split === "test") state.z = Float64Array.from(posteriorOf(test, init.index).mu);
    else state.zFromTrain = !given; // z = that digit's mean, once the training means arrive
  }
  if (given) state.z = Float64Array.from(init.z);
  STATE.set(data.model_name, state);
  return [state, false];
}

/** Whether this model's map shows the training means (its state, else a link to a training digit). */
export const wantsTrain = (data) => STATE.get(data.model_name)?.showTrain ?? data.initial?.split === "train";

export const selKey = (sel) => (sel ? `${sel.split}:${sel.index}` : "");

/**
 * What the panel shows for the selected digit `sel` of `sets[sel.split]`:
 * title, original (or why not), decoder(mu), mu, sigma, KL against the test
 * set (klSorted), neighbours' labels.
 */
export function selectionInfo({ sel, sets, decoder, names, labelWord, itemWord, klSorted, original }) {
  const points = sets[sel.split];
  if (!points) return { pending: `Training digit #${sel.index}: loading the training means…` };
  const { mu, sigma } = posteriorOf(points, sel.index), kl = klOf(points, sel.index), test = sets.test;
  const near = nearestRows(test, mu, NEIGHBOURS, sel.split === "test" ? sel.index : -1);
  return {
    title: `${sel.split === "test" ? "Test" : "Training"} ${itemWord} #${sel.index} · ${labelWord} ${names[points.labels[sel.index]]}`,
    original: original?.pixels, originalNote: original?.note ?? "loading…",
    ...(decoder.isAsync ? { recon: new Float32Array(decoder.nPixels).fill(0), reconLater: decoder.decodeAsync(mu) }
      : { recon: decoder.decode(mu) }),
    mu, sigma,
    klText: Number.isFinite(kl)
      ? `KL(q(z|x) ‖ N(0, I)) = ${kl.toFixed(2)} nats (test median ${median(klSorted).toFixed(2)}; ` +
        `percentile ${percentile(klSorted, kl).toFixed(0)})`
      : "KL(q(z|x) ‖ N(0, I)) = ∞ (a point mass)",
    neighbours: `${NEIGHBOURS} nearest test means: ${labelCounts(test, near, names)}`,
  };
}

/** 2-sigma ellipses (projection.js's {rx, ry}) smaller than this many px get the "zoom in on them" offer. */
const TINY_PX = 4;
export const isTiny = (e, pxPerUnit) => !!e && !!pxPerUnit && Math.min(e.rx, e.ry) * 2 * pxPerUnit < TINY_PX;
