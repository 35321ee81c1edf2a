// index.js: the entry point the Streamlit component stubs import
// (latent_component/__init__.py). Two components use it:
//   * the payload carriers hand their bytes to storePayload;
//   * the map view calls mountView with Streamlit's component arguments.
// Tests and benches set globalThis.__latentMapTesting before the page loads
// to get the hook in testing.js; users never load that module.

import { cleanupOnceGone } from "./dom.js";
import { MapView } from "./view.js";

export { storePayload } from "./payload.js";

// plotly.js is fetched once the map's preview is live and run only once the pointer rests (preview.js,
// view.js): running it takes the main thread for about a third of a second.

const VIEWS = new WeakMap(); // parentElement -> {view, calls} (Streamlit calls us again on every data change)

/** Mount (or update) the map in `parentElement`; returns the cleanup Streamlit calls on unmount.
 *  `data.json`: the view's data as one JSON text (latent_component/__init__.py says why). */
export function mountView({ data: sent, parentElement, setStateValue }) {
  if (typeof sent?.json !== "string") return undefined;
  let entry = VIEWS.get(parentElement);
  if (!entry) {
    entry = { view: new MapView(parentElement, setStateValue), calls: 0 };
    VIEWS.set(parentElement, entry);
  }
  if (entry.text !== sent.json) Object.assign(entry, { text: sent.json, data: JSON.parse(sent.json) }); // same text, same object
  if (entry.calls === 0 && globalThis.__latentMapTesting) {
    import("./testing.js").then((m) => m.attach(entry.view, entry.data.instance));
  }
  const call = ++entry.calls;
  entry.view.update(entry.data).catch((err) => console.error("latent map:", err));
  // only the latest call's cleanup takes the map down, and only once its element has left the page
  return cleanupOnceGone(parentElement, call, () => entry.calls, () => {
    entry.view.destroy();
    VIEWS.delete(parentElement);
  });
}

export { mountChart } from "./chart.js";
