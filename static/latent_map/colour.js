// colour.js: colour the map's points by a number each test digit has, instead of by label: its posterior's
// KL to the prior (nats) or its mean σ over the latent dimensions, computed from the posteriors the page has;
// or its reconstruction error or the classifier's confidence in its label, measured when the model was saved
// and sent with the test posteriors. Switching costs the server nothing.

import { klOf } from "./stats.js";

export const MEASURES = {
  label: "label",
  kl: "KL(q(z|x) ‖ N(0, I)), nats",
  sigma: "σ, mean over dimensions",
  recon: "recon. error −log p(x|μ), nats",
  confidence: "classifier P(label | decoder(μ))",
};
export const BAR_TITLES = { kl: "KL (nats)", sigma: "mean σ", recon: "recon. (nats)", confidence: "P(label)" };
const STORED = new Set(["recon", "confidence"]); // measured when the model was saved (test digits only)

/** The measures the points can be coloured by: KL and σ need posteriors, the stored ones their arrays. */
export const measuresFor = (points) => Object.keys(MEASURES).filter((kind) =>
  kind === "label" || (STORED.has(kind) ? !!points.stored?.[kind] : !!points.logvar));

const measured = new WeakMap(); // points -> {kind: values}: a second switch to a measure computes nothing

/** Per row of `points` (n values): the measure `kind`; null where the points lack it (an autoencoder's KL, the
 *  training means' stored measures). */
export function measureOf(points, kind) {
  if (STORED.has(kind)) return points.stored?.[kind] ?? null;
  if (!points.logvar) return null;
  if (!measured.has(points)) measured.set(points, {});
  return (measured.get(points)[kind] ??= computeMeasure(points, kind));
}

function computeMeasure(points, kind) {
  const values = new Float64Array(points.n), dim = points.dim;
  for (let r = 0; r < points.n; r++) {
    if (kind === "kl") values[r] = klOf(points, r);
    else {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += Math.exp(0.5 * points.logvar[r * dim + d]);
      values[r] = sum / dim;
    }
  }
  return values;
}

/** [low, high] of the colour scale: the 1st and 99th percentiles, so a few outliers do not wash it out. */
export function colourRange(values) {
  const sorted = Float64Array.from(values).sort(), at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const low = at(0.01), high = at(0.99);
  return high > low ? [low, high] : [low, low + 1];
}
