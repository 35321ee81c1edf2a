// testing.js: a hook for the browser tests and bench/browser_decode.py, loaded
// only when the page sets globalThis.__latentMapTesting before it loads.
//   window.__latentMap.decode([z1, z2])  -> pixel means from the page's decoder
//   window.__latentMap.toClient(z1, z2)  -> viewport px of that latent point
//   window.__latentMap.stats() / resetStats()  -> per-image timings
//   window.__latentMap.events(), lastZ, state(), ready()  -> what the map sent to Python, the last z drawn
//   window.__latentMap.view()  -> the mounted MapView; whenMounted() waits for one

const HOOK = (window.__latentMap ??= { views: new Map() });
const KEEP = 2000;

const push = (list, x) => { list.push(x); if (list.length > KEEP) list.shift(); };

/**
 * Per image: decode time, and event -> the animation frame that shows it
 * (latencyMs; the frame's callback runs right before the browser paints).
 * Events sent to Python are kept in `events`.
 */
export function attach(view, instance) {
  const stats = { decodeMs: [], latencyMs: [], frameTimes: [] };
  const events = [];
  view.onRender = ({ z, decodeMs, eventTime }) => {
    HOOK.lastZ = Array.from(z);
    push(stats.decodeMs, decodeMs);
    requestAnimationFrame((frame) => { // runs right before that frame is painted
      push(stats.latencyMs, performance.now() - eventTime);
      push(stats.frameTimes, frame);
    });
  };
  const send = view.send;
  view.send = (name, value) => { push(events, { name, value }); return send(name, value); };
  // Streamlit may mount a map, mount it again and unmount the newer one: keep every view of an
  // instance, and answer for the newest one still mounted.
  HOOK.views.set(instance, [...(HOOK.views.get(instance) ?? []).filter((e) => e.view.dom), { view, stats, events }]);
  HOOK.last = instance;
}

const entry = (instance) => {
  const entries = HOOK.views.get(instance ?? HOOK.last) ?? [];
  return entries.findLast((e) => e.view.dom) ?? entries.at(-1);
};
HOOK.view = (instance) => entry(instance)?.view;
// A rerun can unmount every view for a frame or two before the next one mounts: wait for one that is drawn.
HOOK.whenMounted = async (instance, timeoutMs = 10000) => {
  const end = performance.now() + timeoutMs;
  while (!HOOK.ready(instance)) {
    if (performance.now() > end) throw new Error("no latent map mounted");
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  return true;
};
HOOK.decode = (z, instance) => { // an ONNX decoder answers with a promise (page.evaluate awaits it)
  const decoder = entry(instance).view.model.decoder;
  return decoder.isAsync ? decoder.decodeAsync(z).then(Array.from) : Array.from(decoder.decode(z));
};
HOOK.decodeMany = (zs, instance) => {
  const images = zs.map((z) => HOOK.decode(z, instance));
  return entry(instance).view.model.decoder.isAsync ? Promise.all(images) : images;
};
HOOK.stats = (instance) => {
  const s = entry(instance).stats;
  return { decodeMs: [...s.decodeMs], latencyMs: [...s.latencyMs], frameTimes: [...s.frameTimes] };
};
HOOK.events = (instance) => entry(instance).events.map((e) => ({ ...e }));
HOOK.resetStats = (instance) => { for (const list of Object.values(entry(instance).stats)) list.length = 0; };
HOOK.toClient = (zx, zy, instance) => {
  const { view } = entry(instance), plot = view.dom.plot, r = plot.getBoundingClientRect(), [x, y] = view.ax.toPx(zx, zy);
  return { x: r.left + view.ax.left + x, y: r.top + view.ax.top + y };
};
/** Whether a view is mounted with its figure drawn (before that, state() has nothing to say). */
HOOK.ready = (instance) => { const view = entry(instance)?.view; return !!(view?.state && view.dom?.plot.data?.length); };
HOOK.state = (instance) => {
  const { view } = entry(instance);
  if (!HOOK.ready(instance)) return { z: [], selected: null, showTrain: false, traces: [] }; // mounting: nothing yet
  return { z: Array.from(view.state.z), selected: view.state.selected, showTrain: view.state.showTrain,
           traces: view.dom.plot.data.map((t) => ({ name: t.name, split: t.meta?.split, n: t.x.length, visible: t.visible ?? true })) };
};
