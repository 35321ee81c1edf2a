// ---------------------------------------------------------------------------
// store.js: the page-wide payload cache and the test/bench hook.
//
// Parsed payloads live on window.__latentExplorer (not in this module), so they
// survive the component being re-mounted (page switches) and new module
// versions. Views register there by their Streamlit key, which lets tests and
// benches call the real decoder through page.evaluate:
//   window.__latentExplorer.decode([z1, z2], "explorer")  -> 784 pixel means
//   window.__latentExplorer.stats() / resetStats() / toClient(zx, zy)
// ---------------------------------------------------------------------------

const HOOK = (globalThis.__latentExplorer ??= { payloads: new Map(), waiters: new Map(), instances: new Map() });

/** Store a parsed payload and wake the views waiting for it. Keeps the 4 most recent. */
function storePayload(bytes) {
  const model = parsePayload(bytes);
  if (!HOOK.payloads.has(model.key)) {
    model.decoder = makeDecoder(model);
    HOOK.payloads.set(model.key, model);
    while (HOOK.payloads.size > 4) HOOK.payloads.delete(HOOK.payloads.keys().next().value);
  }
  for (const resolve of HOOK.waiters.get(model.key) ?? []) resolve(HOOK.payloads.get(model.key));
  HOOK.waiters.delete(model.key);
}

function whenPayload(key) {
  if (HOOK.payloads.has(key)) return Promise.resolve(HOOK.payloads.get(key));
  return new Promise((resolve) => HOOK.waiters.set(key, [...(HOOK.waiters.get(key) ?? []), resolve]));
}

/** Resolve the instance the test hook talks to: by key, or the last mounted one. */
const viewFor = (instance) => (instance ? HOOK.instances.get(instance) : HOOK.last);
HOOK.decode = (z, instance) => Array.from(viewFor(instance).model.decoder.decode(z));
HOOK.decodeMany = (zs, instance) => zs.map((z) => HOOK.decode(z, instance));
HOOK.stats = (instance) => {
  const s = viewFor(instance).stats;
  return { decodeMs: [...s.decodeMs], latencyMs: [...s.latencyMs], workMs: [...s.workMs], drawTimes: [...s.drawTimes] };
};
HOOK.toClient = (zx, zy, instance) => { // latent (dims 0, 1) -> viewport px, for scripted pointers
  const v = viewFor(instance), r = v.dom.overlay.getBoundingClientRect(), [x, y] = v.view.toPx(zx, zy);
  return { x: r.left + x, y: r.top + y };
};
HOOK.resetStats = (instance) => { for (const a of Object.values(viewFor(instance).stats)) a.length = 0; };
