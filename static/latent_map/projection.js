// projection.js: the plane the map draws in a D-dim latent space. Python sends
// its center (D) and two orthonormal axes (2 x D): the first two principal
// components of the test means for D > 2 (vae_core/projection.py), the unit
// axes for D = 2, where the plane is z itself.

export function makeProjection(given, dim) {
  const unit = (k) => Float64Array.from({ length: dim }, (_, j) => (j === k ? 1 : 0));
  const center = Float64Array.from(given?.center ?? new Array(dim).fill(0));
  const [a, b] = given?.axes ? given.axes.map((axis) => Float64Array.from(axis)) : [unit(0), unit(1)];
  const planes = new WeakMap(); // points -> Float32Array(2n) of their plane coordinates

  /** z (D) -> [x, y] on the plane. */
  const toPlane = (z) => {
    let x = 0, y = 0;
    for (let j = 0; j < dim; j++) { const d = z[j] - center[j]; x += d * a[j]; y += d * b[j]; }
    return [x, y];
  };

  return {
    titles: given?.titles ?? ["z₁", "z₂"],
    toPlane,
    /** The z on the plane at [x, y], written into `out` (D). */
    lift(x, y, out) {
      for (let j = 0; j < dim; j++) out[j] = center[j] + x * a[j] + y * b[j];
      return out;
    },
    /** Plane coordinates of every point of a split, computed once: x of row r at 2r, y at 2r + 1. */
    plane(points) {
      if (!planes.has(points)) {
        const xy = new Float32Array(2 * points.n);
        for (let r = 0; r < points.n; r++) {
          const [x, y] = toPlane(points.mu.subarray(r * dim, (r + 1) * dim));
          xy[2 * r] = x; xy[2 * r + 1] = y;
        }
        planes.set(points, xy);
      }
      return planes.get(points);
    },
    /**
     * The shadow on the plane of N(mu, diag(sigma^2)): the projected covariance
     * C = A diag(sigma^2) A^T (2 x 2), as the 1-sigma ellipse {x, y, rx, ry, angle}.
     */
    ellipse(mu, sigma) {
      let cxx = 0, cxy = 0, cyy = 0;
      for (let j = 0; j < dim; j++) {
        const v = sigma[j] * sigma[j];
        cxx += a[j] * a[j] * v; cxy += a[j] * b[j] * v; cyy += b[j] * b[j] * v;
      }
      const mean = (cxx + cyy) / 2, spread = Math.hypot((cxx - cyy) / 2, cxy);
      const [x, y] = toPlane(mu);
      return { x, y, rx: Math.sqrt(mean + spread), ry: Math.sqrt(Math.max(mean - spread, 0)),
               angle: 0.5 * Math.atan2(2 * cxy, cxx - cyy) };
    },
  };
}
