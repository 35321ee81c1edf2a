// index.js: the entry point the Streamlit component stubs import
// (latent_component/__init__.py). Two components use it:
//   * the payload carriers hand their bytes to storePayload;
//   * the map view calls mountView with Streamlit's component arguments.
// Tests and benches set globalThis.__latentMapTesting before the page loads
// to get the hook in testing.js; users never load that module.

import { loadPlotly } from "./plot.js";
import { MapView } from "./view.js";

export { storePayload } from "./payload.js";

loadPlotly(); // start fetching plotly.js now, while the model payload is still on its way

const VIEWS = new WeakMap(); // parentElement -> {view, calls} (Streamlit calls us again on every data change)

/** Mount (or update) the map in `parentElement`; returns the cleanup Streamlit calls on unmount. */
export function mountView({ data, parentElement, setStateValue }) {
  if (!data || typeof data !== "object") return undefined;
  let entry = VIEWS.get(parentElement);
  if (!entry) {
    entry = { view: new MapView(parentElement, setStateValue), calls: 0 };
    VIEWS.set(parentElement, entry);
    if (globalThis.__latentMapTesting) import("./testing.js").then((m) => m.attach(entry.view, data.instance));
  }
  const call = ++entry.calls;
  entry.view.update(data).catch((err) => console.error("latent map:", err));
  // Streamlit also runs the cleanup of a call that a newer one overtook: only the latest call's unmounts.
  return () => {
    if (call !== entry.calls) return;
    entry.view.destroy();
    VIEWS.delete(parentElement);
  };
}
