// dom.js: the map's DOM skeleton (plot, overlay, cursor digit, panel) and
// the theme colours it draws with.

import { buildPanel } from "./panel.js";

export const NARROW_PX = 720; // map.css puts the panel under the map from this width down

const UNMOUNT_CHECK_MS = 1000; // a cleanup while the element is still on the page: look again after this

/**
 * The cleanup Streamlit runs for call number `call` of a component in `parentElement`: `takeDown` runs only if
 * no newer call came (`latest()`) and the element has left the page. Streamlit also runs the cleanup of a call
 * that newer data overtook, at times before the newer call arrives; taken down then, the map lost the keyboard's
 * focus and what the link does not hold (the arrow keys stopped working after the first key's rerun).
 */
export function cleanupOnceGone(parentElement, call, latest, takeDown) {
  return () => {
    const check = () => { if (call === latest() && !parentElement.isConnected) takeDown(); };
    if (parentElement.isConnected) setTimeout(check, UNMOUNT_CHECK_MS);
    else check();
  };
}

/** Theme colours from Streamlit's CSS custom properties (light and dark themes). */
export function readStyle(el) {
  const css = getComputedStyle(el), v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { text: v("--st-text-color", "#31333f"), font: v("--st-font", "sans-serif"),
    grid: v("--st-border-color-light", "rgba(128,128,128,0.15)"), axis: v("--st-border-color", "rgba(128,128,128,0.4)"),
    selected: v("--st-primary-color", "#ff4b4b"), background: v("--st-background-color", "#ffffff") };
}

export function buildDom(parent, imageSize) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("app/static/latent_map/map.css", document.baseURI).href;
  // Plotly sizes the plot once, from the box map.css gives it: draw only after the sheet applies.
  const styled = new Promise((resolve) => { link.onload = link.onerror = resolve; });
  const root = document.createElement("div");
  root.className = "lm-root";
  const wrap = document.createElement("div");
  wrap.className = "lm-plot-wrap";
  const plot = document.createElement("div"), overlay = document.createElement("canvas");
  const cursor = document.createElement("canvas"), loading = document.createElement("div");
  const preview = document.createElement("canvas"); // the points until Plotly draws them (preview.js)
  plot.className = "lm-plot"; overlay.className = "lm-overlay"; cursor.className = "lm-cursor"; loading.className = "lm-loading";
  preview.className = "lm-preview";
  cursor.width = cursor.height = imageSize;
  loading.textContent = "Loading the map…";
  wrap.append(plot, preview, overlay, cursor, loading);
  const panel = buildPanel(imageSize), grid = document.createElement("div");
  grid.className = "lm-grid";
  grid.append(wrap, panel.root);
  root.append(grid);
  parent.append(link, root);
  return { link, styled, root, wrap, plot, preview, overlay, cursor, loading, panel };
}
