// view_stub.js: the module of the visible "latent_explorer" component. It is
// deliberately tiny, because Streamlit re-sends a component's JavaScript with
// every message whose data changed (here: every new z from Python). The real
// implementation (explorer.js) arrives once, with the cached payload carrier
// mounted just before this view, and registers window.__latentExplorer.mountView.
export default async function (component) {
  const hook = (globalThis.__latentExplorer ??= { payloads: new Map(), waiters: new Map(), instances: new Map() });
  if (!hook.mountView) await new Promise((resolve) => (hook.implWaiters ??= []).push(resolve));
  return hook.mountView(component); // the cleanup, called by Streamlit on unmount
}
