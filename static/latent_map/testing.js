// testing.js: a hook for the browser tests and bench/browser_decode.py, loaded
// only when the page sets globalThis.__latentMapTesting before it loads.
//   window.__latentMap.decode([z1, z2])  -> pixel means from the page's decoder
//   window.__latentMap.toClient(z1, z2)  -> viewport px of that latent point
//   window.__latentMap.stats() / resetStats()  -> per-image timings

const HOOK = (window.__latentMap ??= { views: new Map() });
const KEEP = 2000;

export function attach(view, instance) {
  const stats = { decodeMs: [], latencyMs: [], drawTimes: [] };
  view.onRender = ({ decodeMs, latencyMs, t }) => {
    for (const [list, x] of [[stats.decodeMs, decodeMs], [stats.latencyMs, latencyMs], [stats.drawTimes, t]]) {
      list.push(x);
      if (list.length > KEEP) list.shift();
    }
  };
  HOOK.views.set(instance, { view, stats });
  HOOK.last = instance;
}

const entry = (instance) => HOOK.views.get(instance ?? HOOK.last);
HOOK.decode = (z, instance) => Array.from(entry(instance).view.model.decoder.decode(z));
HOOK.decodeMany = (zs, instance) => zs.map((z) => HOOK.decode(z, instance));
HOOK.stats = (instance) => {
  const s = entry(instance).stats;
  return { decodeMs: [...s.decodeMs], latencyMs: [...s.latencyMs], drawTimes: [...s.drawTimes] };
};
HOOK.resetStats = (instance) => { for (const list of Object.values(entry(instance).stats)) list.length = 0; };
HOOK.toClient = (zx, zy, instance) => {
  const { view } = entry(instance), plot = view.dom.plot, r = plot.getBoundingClientRect(), [x, y] = view.ax.toPx(zx, zy);
  return { x: r.left + view.ax.left + x, y: r.top + view.ax.top + y };
};
HOOK.state = (instance) => {
  const { view } = entry(instance);
  return { z: Array.from(view.state.z), selected: view.state.selected, showTrain: view.state.showTrain,
           traces: view.dom.plot.data.map((t) => ({ name: t.name, split: t.meta?.split, n: t.x.length, visible: t.visible ?? true })) };
};
