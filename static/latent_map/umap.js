// umap.js: the UMAP layout of a model above 2-D (computed when the model was saved; vae_core/analysis/umap_layout.py)
// with the interface of projection.js, so the map draws it like the principal plane. UMAP has no inverse: a point
// of the layout is not a z, so `lift` gives the test mean drawn nearest to it, and `toPlane` puts any z where its
// nearest test mean (in latent space) is drawn. Only the test split has a layout.

import { nearestRows } from "./stats.js";

export function makeUmapProjection(points) {
  const { n, dim, mu, layout } = points;
  const placed = new Map(); // z (as text) -> [x, y]: the overlay asks for the same few z on every frame

  return {
    titles: ["UMAP 1", "UMAP 2"],
    isLayout: true,
    toPlane(z) {
      const key = Array.prototype.join.call(z, ",");
      if (!placed.has(key)) {
        const [r] = nearestRows(points, z, 1);
        if (placed.size >= 64) placed.delete(placed.keys().next().value);
        placed.set(key, [layout[2 * r], layout[2 * r + 1]]);
      }
      return placed.get(key);
    },
    /** The mean (D) of the test digit drawn nearest to layout point [x, y], written into `out`. */
    lift(x, y, out) {
      let best = 0, bestD = Infinity;
      for (let r = 0; r < n; r++) {
        const dx = layout[2 * r] - x, dy = layout[2 * r + 1] - y, d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = r; }
      }
      for (let j = 0; j < dim; j++) out[j] = mu[best * dim + j];
      return out;
    },
    plane: (p) => (p === points ? layout : null),
    ellipse: () => null, // a posterior has no shape in the layout
  };
}

/** [x0, x1, y0, y1] around the layout, with a margin. */
export function layoutExtent(layout, margin = 0.06) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < layout.length; i += 2) {
    x0 = Math.min(x0, layout[i]); x1 = Math.max(x1, layout[i]); y0 = Math.min(y0, layout[i + 1]); y1 = Math.max(y1, layout[i + 1]);
  }
  const mx = margin * (x1 - x0), my = margin * (y1 - y0);
  return [x0 - mx, x1 + mx, y0 - my, y1 + my];
}
