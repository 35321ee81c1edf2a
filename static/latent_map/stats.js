// stats.js: the numbers the panel shows, computed in the browser from the
// posteriors the page already has (mu and logvar of every test digit).

/**
 * KL(N(mu, diag sigma^2) || N(0, I)) in nats for point k, closed form
 * (Kingma & Welling 2014, appendix B): 0.5 * sum(mu^2 + sigma^2 - 1 - log sigma^2).
 * Infinity for an autoencoder, whose code is a point mass (no logvar).
 */
export function klOf(points, k) {
  if (!points.logvar) return Infinity;
  let kl = 0;
  for (let d = 0, i = k * points.dim; d < points.dim; d++, i++) {
    const m = points.mu[i], lv = points.logvar[i];
    kl += m * m + Math.exp(lv) - 1 - lv;
  }
  return 0.5 * kl;
}

/** Sorted KL of every point (Float64Array), for the median and percentiles. Null for an autoencoder. */
export function sortedKl(points) {
  if (!points.logvar) return null;
  const kl = new Float64Array(points.n);
  for (let k = 0; k < points.n; k++) kl[k] = klOf(points, k);
  return kl.sort();
}

export const median = (sorted) => sorted[sorted.length >> 1];

/** Share (0-100) of `sorted` below `value`: its percentile among the test digits. */
export function percentile(sorted, value) {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < value) lo = mid + 1; else hi = mid; }
  return (100 * lo) / sorted.length;
}

/** Rows of the k points nearest to z (all latent dims), `skip` left out. */
export function nearestRows(points, z, k, skip = -1) {
  const best = [], dim = points.dim, mu = points.mu;
  for (let r = 0; r < points.n; r++) {
    if (r === skip) continue;
    let d2 = 0;
    for (let d = 0; d < dim; d++) { const t = mu[r * dim + d] - z[d]; d2 += t * t; }
    if (best.length < k || d2 < best[best.length - 1][0]) {
      best.push([d2, r]);
      best.sort((a, b) => a[0] - b[0]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([, r]) => r);
}

/** "7 ×12, 9 ×2, 4 ×1": label counts of `rows`, most common first. */
export function labelCounts(points, rows, names) {
  const counts = new Map();
  for (const r of rows) counts.set(points.labels[r], (counts.get(points.labels[r]) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${names[label] ?? label} ×${n}`).join(", ");
}

/** Row `k`'s mean and sigma as plain arrays (sigma null for an autoencoder). */
export function posteriorOf(points, k) {
  const dim = points.dim, mu = Array.from(points.mu.subarray(k * dim, (k + 1) * dim));
  const sigma = points.logvar ? Array.from(points.logvar.subarray(k * dim, (k + 1) * dim), (lv) => Math.exp(0.5 * lv)) : null;
  return { mu, sigma };
}
