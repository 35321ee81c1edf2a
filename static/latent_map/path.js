// path.js: a path between two picks on the map, as the Interpolate page walks it (vae_core.analysis.explore
// lerp and slerp): the straight line, and the spherical path whose direction turns at constant angular speed
// while its length changes linearly (White 2016). Each is `steps` points (Float64Array D each), ends included.

export const PATH_STEPS = 8;

export function lerp(z0, z1, steps = PATH_STEPS) {
  return Array.from({ length: steps }, (_, i) => {
    const t = i / (steps - 1);
    return Float64Array.from(z0, (a, j) => (1 - t) * a + t * z1[j]);
  });
}

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

export function slerp(z0, z1, steps = PATH_STEPS) {
  const r0 = norm(z0), r1 = norm(z1);
  if (r0 < 1e-12 || r1 < 1e-12) return lerp(z0, z1, steps);
  const u0 = Float64Array.from(z0, (x) => x / r0), u1 = Float64Array.from(z1, (x) => x / r1);
  const omega = Math.acos(Math.min(1, Math.max(-1, u0.reduce((s, x, j) => s + x * u1[j], 0))));
  let other = u1; // the second direction of the great circle walked
  if (Math.PI - omega < 1e-6) { // antipodal: any great circle through u0 (the same helper axis as Python's)
    const k = u0.reduce((best, x, j) => (Math.abs(x) < Math.abs(u0[best]) ? j : best), 0);
    const v = Float64Array.from(u0, (x, j) => (j === k ? 1 : 0) - u0[k] * x), length = norm(v);
    other = v.map((x) => x / length);
  }
  return Array.from({ length: steps }, (_, i) => {
    const t = i / (steps - 1);
    let dir;
    if (omega < 1e-6) dir = Float64Array.from(u0, (x, j) => (1 - t) * x + t * u1[j]);
    else if (other !== u1) dir = Float64Array.from(u0, (x, j) => Math.cos(t * omega) * x + Math.sin(t * omega) * other[j]);
    else dir = Float64Array.from(u0, (x, j) => (Math.sin((1 - t) * omega) * x + Math.sin(t * omega) * u1[j]) / Math.sin(omega));
    const scale = ((1 - t) * r0 + t * r1) / norm(dir);
    return dir.map((x) => x * scale);
  });
}
