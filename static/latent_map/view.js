// view.js: one mounted latent map: the Plotly scatter, the overlay, the digit
// beside the cursor and the panel. The map owns z: hover, clicks and sliders
// change it here, and Python only hears of the result (a "selection" event).

import { whenPayload } from "./payload.js";
import { CONFIG, axes, drawOverlay, fitCanvas, layout, loadPlotly, pointAt, splitTraces } from "./plot.js";
import { buildPanel, buildSliders, paintDigit, showSelection, syncSliders, vec } from "./panel.js";
import { klOf, labelCounts, median, nearestRows, percentile, posteriorOf, sortedKl } from "./stats.js";

const NEAR_PX = 8; // a click within this many CSS px of a visible dot selects it
const TINY_PX = 4; // 2-sigma ellipses smaller than this get the "zoom in" offer
const CURSOR_PX = 64;
const STATE = new Map(); // model name -> {z, selected, showTrain}: survives page switches and remounts

function readStyle(el) {
  const css = getComputedStyle(el), v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { text: v("--st-text-color", "#31333f"), font: v("--st-font", "sans-serif"),
    grid: v("--st-border-color-light", "rgba(128,128,128,0.15)"), axis: v("--st-border-color", "rgba(128,128,128,0.4)"),
    selected: v("--st-primary-color", "#ff4b4b") };
}

function buildDom(parent, imageSize) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("app/static/latent_map/map.css", document.baseURI).href;
  const root = document.createElement("div");
  root.className = "lm-root";
  const wrap = document.createElement("div");
  wrap.className = "lm-plot-wrap";
  const plot = document.createElement("div"), overlay = document.createElement("canvas");
  const cursor = document.createElement("canvas"), loading = document.createElement("div");
  plot.className = "lm-plot"; overlay.className = "lm-overlay"; cursor.className = "lm-cursor"; loading.className = "lm-loading";
  cursor.width = cursor.height = imageSize;
  loading.textContent = "Loading the map…";
  wrap.append(plot, overlay, cursor, loading);
  const panel = buildPanel(imageSize), grid = document.createElement("div");
  grid.className = "lm-grid";
  grid.append(wrap, panel.root);
  root.append(grid);
  parent.append(link, root);
  return { link, root, wrap, plot, overlay, cursor, loading, panel };
}

export function createView(parent, setStateValue) {
  const v = { data: null, model: null, sets: {}, state: null, ax: null, ctx: null, pointer: null, originals: new Map() };
  let dom = null, style = null, pixels = null, klSorted = null, downAt = null, hoverRow = null;

  const names = () => v.data.label_names;
  const points = (split) => v.sets[split];

  /** Decode z into the panel (and beside the cursor when hovering); redraw the overlay. */
  function render(z, eventTime) {
    const t0 = performance.now();
    v.model.decoder.decode(z, pixels);
    const t1 = performance.now();
    paintDigit(dom.panel.digit, pixels);
    if (v.pointer) paintDigit(dom.cursor, pixels);
    dom.panel.zText.textContent = `z = ${vec(z)}`;
    dom.root.dataset.z = JSON.stringify(Array.from(z));
    if (v.ctx) drawOverlay(v.ctx, v.ax, { z: v.state.z, pointer: v.pointer, ellipse: ellipseOf() }, style);
    v.onRender?.({ decodeMs: t1 - t0, latencyMs: performance.now() - (eventTime ?? t0), t: performance.now() });
  }

  function ellipseOf() {
    const sel = v.state.selected;
    if (!sel || !points(sel.split)?.logvar) return null;
    return posteriorOf(points(sel.split), sel.index);
  }

  /** Back to the selected z: no pointer over the map. */
  function showState() {
    v.pointer = null; hoverRow = null;
    dom.cursor.style.display = "none";
    dom.panel.mode.textContent = "selected z";
    dom.panel.near.textContent = nearText(v.state.selected);
    render(v.state.z);
  }

  const nearText = (sel) => sel && points(sel.split)
    ? `${sel.split} #${sel.index} · ${names()[points(sel.split).labels[sel.index]]}` : "\u00a0";

  function commit(source) {
    const sel = v.state.selected;
    const event = { model: v.data.model_name, z: Array.from(v.state.z), split: sel?.split ?? null,
      index: sel?.index ?? null, source, t: Date.now() };
    dom.root.dataset.lastEvent = JSON.stringify(event);
    setStateValue("selection", event);
  }

  /** Fill the panel's selected-digit section from data the page has; the original comes from Python. */
  function showSelected() {
    const sel = v.state.selected;
    dom.root.dataset.selected = sel ? `${sel.split}:${sel.index}` : "";
    if (!sel) return showSelection(dom.panel, null);
    const pts = points(sel.split);
    if (!pts) return showSelection(dom.panel, { pending: `Training digit #${sel.index}: loading the training means…` });
    const { mu, sigma } = posteriorOf(pts, sel.index);
    const kl = klOf(pts, sel.index), label = pts.labels[sel.index];
    const test = points("test"), skip = sel.split === "test" ? sel.index : -1;
    const neighbours = labelCounts(test, nearestRows(test, mu, 15, skip), names());
    const tiny = sigma && Math.min(...sigma.slice(0, 2)) * 2 * v.ax.pxPerUnit < TINY_PX;
    const original = v.originals.get(`${sel.split}:${sel.index}`);
    showSelection(dom.panel, {
      title: `${sel.split === "test" ? "Test" : "Training"} digit #${sel.index} · ${v.data.label_word} ${names()[label]}`,
      original: original?.pixels, originalNote: original?.note ?? "loading…",
      recon: v.model.decoder.decode(mu), mu, sigma, tiny,
      klText: Number.isFinite(kl)
        ? `KL(q(z|x) ‖ N(0, I)) = ${kl.toFixed(2)} nats (test median ${median(klSorted).toFixed(2)}; ` +
          `percentile ${percentile(klSorted, kl).toFixed(0)})`
        : "KL(q(z|x) ‖ N(0, I)) = ∞ (a point mass)",
      neighbours: `15 nearest test means: ${neighbours}`,
    }, v.model.decoder.imageSize, () => zoomTo(mu, sigma));
  }

  function zoomTo(mu, sigma) {
    const h = 6 * Math.max(sigma[0], sigma[1]);
    window.Plotly.relayout(dom.plot, { "xaxis.range": [mu[0] - h, mu[0] + h], "yaxis.range": [mu[1] - h, mu[1] + h] });
  }

  function select(sel, z, source) {
    v.state.selected = sel;
    if (sel) v.state.z = Float64Array.from(posteriorOf(points(sel.split), sel.index).mu);
    else v.state.z.set(z.slice(0, 2));
    syncSliders(dom.panel, v.state.z);
    showSelected();
    showState();
    commit(source);
  }

  // ---------------------------------------------------------------- pointer
  function plotPx(e) {
    const r = dom.plot.getBoundingClientRect();
    const px = e.clientX - r.left - v.ax.left, py = e.clientY - r.top - v.ax.top;
    return px >= 0 && py >= 0 && px <= v.ax.width && py <= v.ax.height ? [px, py] : null;
  }

  function onMove(e) {
    if (!v.ax) return;
    const p = plotPx(e);
    if (!p) { if (v.pointer) showState(); return; }
    const [zx, zy] = v.ax.toZ(...p), z = Float64Array.from(v.state.z);
    z[0] = zx; z[1] = zy;
    v.pointer = p;
    const hit = pointAt(dom.plot, v.ax, v.sets, p[0], p[1], NEAR_PX);
    hoverRow = hit;
    dom.panel.mode.textContent = "hover";
    dom.panel.near.textContent = nearText(hit);
    const flipX = p[0] - 16 - CURSOR_PX < 0, flipY = p[1] + 16 + CURSOR_PX > v.ax.height;
    dom.cursor.style.display = "block";
    dom.cursor.style.transform = `translate(${v.ax.left + (flipX ? p[0] + 16 : p[0] - 16 - CURSOR_PX)}px, ` +
      `${v.ax.top + (flipY ? p[1] - 16 - CURSOR_PX : p[1] + 16)}px)`;
    render(z, e.timeStamp);
  }

  function onClick(e) {
    if (!v.ax || e.button !== 0 || e.detail > 1 || !downAt) return; // a double click resets the zoom (Plotly)
    if (Math.hypot(e.clientX - downAt[0], e.clientY - downAt[1]) > 4) return; // a drag zoomed or panned
    const p = plotPx(e);
    if (!p) return;
    const hit = pointAt(dom.plot, v.ax, v.sets, p[0], p[1], NEAR_PX);
    select(hit, v.ax.toZ(...p), hit ? "click" : "click-empty");
  }

  // ------------------------------------------------------------ the figure
  async function drawFigure() {
    const Plotly = await loadPlotly();
    const traces = splitTraces(points("test"), "test", names());
    await Plotly.newPlot(dom.plot, traces, layout(v.data.extent, style), CONFIG);
    if (v.state.showTrain) await addTrain();
    dom.plot.on("plotly_afterplot", relayout);
    dom.plot.on("plotly_relayouting", relayout);
    dom.plot.on("plotly_relayout", relayout);
    relayout();
    dom.loading.style.display = "none";
  }

  async function addTrain() {
    if (!v.data.train_key || dom.plot.data.some((t) => t.meta?.split === "train")) return;
    v.sets.train = (await whenPayload(v.data.train_key)).points;
    const traces = splitTraces(v.sets.train, "train", names());
    traces.forEach((t) => { // follow the legend: a digit hidden among the test means stays hidden
      const test = dom.plot.data.find((d) => d.meta?.split === "test" && d.meta.label === t.meta.label);
      t.visible = test?.visible ?? true;
    });
    await window.Plotly.addTraces(dom.plot, traces, traces.map((_, i) => i)); // under the test means
    dom.panel.trainBox.checked = true;
  }

  function setTrain(show) {
    v.state.showTrain = show;
    setStateValue("show_train", show);
    const idx = dom.plot.data.flatMap((t, i) => (t.meta?.split === "train" ? [i] : []));
    if (show && !idx.length) return; // Python now sends the training payload; update() adds it
    if (idx.length) window.Plotly.restyle(dom.plot, { visible: show ? true : false }, idx);
  }

  function relayout() {
    if (!dom.plot._fullLayout?.xaxis) return;
    const before = v.ax?.pxPerUnit;
    v.ax = axes(dom.plot);
    v.ctx = fitCanvas(dom.overlay, v.ax);
    if (before !== v.ax.pxPerUnit && v.state.selected) showSelected(); // the ellipses' size on screen changed
    if (v.pointer) drawOverlay(v.ctx, v.ax, { z: v.state.z, pointer: v.pointer, ellipse: ellipseOf() }, style);
    else showState();
  }

  // ---------------------------------------------------------------- update
  /** This model's state: kept from an earlier visit, else from the link (Python checked its ranges). */
  function stateFor(data, test) {
    if (STATE.has(data.model_name)) return [STATE.get(data.model_name), true];
    const init = data.initial ?? {};
    const state = { z: new Float64Array(test.dim), selected: null, showTrain: false };
    if (init.split && Number.isInteger(init.index)) {
      state.selected = { split: init.split, index: init.index };
      state.showTrain = init.split === "train"; // a training digit needs the training means
      if (init.split === "test") state.z = Float64Array.from(posteriorOf(test, init.index).mu);
    }
    if (Array.isArray(init.z) && init.z.length === test.dim) state.z = Float64Array.from(init.z);
    STATE.set(data.model_name, state);
    return [state, false];
  }

  async function setModel(data, model) {
    dom?.link.remove(); dom?.root.remove();
    v.model = model; v.sets = { test: model.points }; v.ax = null; v.ctx = null; v.originals.clear();
    dom = buildDom(parent, model.decoder.imageSize);
    style = readStyle(dom.root);
    pixels = new Float32Array(model.decoder.nPixels);
    klSorted = sortedKl(model.points);
    const [state, restored] = stateFor(data, model.points);
    v.state = state;
    const wrap = dom.wrap;
    wrap.addEventListener("pointermove", onMove);
    wrap.addEventListener("pointerleave", () => v.ax && showState());
    wrap.addEventListener("pointerdown", (e) => { downAt = [e.clientX, e.clientY]; }, { capture: true });
    wrap.addEventListener("click", onClick, { capture: true });
    buildSliders(dom.panel, data.ranges, v.state.z, (d, value, e) => {
      v.state.z[d] = value;
      syncSliders(dom.panel, v.state.z);
      v.pointer = null; dom.cursor.style.display = "none"; dom.panel.mode.textContent = "slider";
      render(v.state.z, e.timeStamp);
    }, () => commit("slider"));
    dom.panel.trainBox.addEventListener("change", () => setTrain(dom.panel.trainBox.checked));
    dom.panel.trainText.textContent = `Add the ${data.train_count.toLocaleString("en-US")} training means`;
    dom.panel.trainBox.disabled = !data.train_count;
    dom.panel.download.addEventListener("click", () => downloadPng());
    new ResizeObserver(() => dom.plot._fullLayout && window.Plotly.Plots.resize(dom.plot)).observe(dom.plot);
    await drawFigure();
    showSelected();
    showState();
    if (restored) commit("restore"); // back from another page: tell Python (the link) where we are
    if (v.state.showTrain && !data.train_key) setStateValue("show_train", true);
  }

  function downloadPng() {
    const big = document.createElement("canvas"), size = v.model.decoder.imageSize;
    big.width = big.height = size * 10;
    const ctx = big.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(dom.panel.digit, 0, 0, big.width, big.height);
    dom.panel.download.href = big.toDataURL("image/png");
    dom.panel.download.download = `${v.data.model_name}_z_${Array.from(v.state.z, (x) => x.toFixed(3)).join(",")}.png`;
  }

  function applyOriginal(original) {
    if (!original) return;
    const key = `${original.split}:${original.index}`;
    if (v.originals.has(key) && !original.note) return;
    const pixels = original.pixels ? Float32Array.from(atob(original.pixels), (c) => c.charCodeAt(0) / 255) : null;
    v.originals.set(key, { pixels, note: original.note });
    const sel = v.state.selected;
    if (sel && `${sel.split}:${sel.index}` === key) showSelected();
  }

  /** Apply a (new) data object from Python. */
  async function update(data) {
    v.data = data;
    const model = await whenPayload(data.key);
    if (v.data !== data) return; // superseded while waiting
    if (v.model !== model) await setModel(data, model);
    if (v.data !== data) return;
    if (data.train_key && v.state.showTrain) {
      await addTrain();
      if (v.state.selected?.split === "train") { showSelected(); showState(); }
    }
    if (data.original) applyOriginal(data.original);
    dom.root.dataset.ready = "1";
  }

  function destroy() {
    if (dom?.plot._fullLayout) window.Plotly.purge(dom.plot);
    dom?.link.remove(); dom?.root.remove();
  }
  return Object.assign(v, { update, destroy, dom: () => dom });
}
