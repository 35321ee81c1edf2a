// ---------------------------------------------------------------------------
// explorer.js: the explorer view and the payload carrier (Streamlit custom
// components v2). Python mounts two components:
//   * "latent_explorer_payload" (this module; decoder.js, map.js, store.js and
//     this file concatenated): data = the packed model payload (Uint8Array).
//     It caches the parsed payload page-wide and provides mountView. Its
//     message never changes, so Streamlit's message cache sends it once.
//   * "latent_explorer" (view_stub.js, a few lines): data = small JSON
//     {key, instance, model_name, z, ranges, extent}; it waits for mountView
//     and calls it. Changing z re-sends only that small message.
// The view draws the map and decodes in the browser on every pointer move and
// slider input. Events go back to Python with setStateValue("event", {...}) on
// click, drag release and slider release.
// ---------------------------------------------------------------------------

const VIEWS = new WeakMap(); // parentElement -> view instance (the module is re-invoked on data changes)
const NEAR_PX = 8; // a click within this many CSS px of a test point selects it
const ECHO_TOLERANCE = 0.006; // |z from Python - our z| below this is our own event echoed back

/** Theme colours from Streamlit's CSS custom properties (work in light and dark themes). */
function readStyle(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v("--st-text-color", "#31333f"), font: v("--st-font", "sans-serif"),
    grid: v("--st-border-color-light", "rgba(128,128,128,0.15)"), axis: v("--st-border-color", "rgba(128,128,128,0.4)"),
    selected: v("--st-primary-color", "#ff4b4b"),
  };
}

/** Write pixel means (0..1) into a 28x28 canvas as a white-on-black image. */
function paintDigit(ctx, image, pixels) {
  const d = image.data;
  for (let p = 0, q = 0; p < pixels.length; p++, q += 4) {
    const v = pixels[p] * 255;
    d[q] = d[q + 1] = d[q + 2] = v; d[q + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Build the DOM once per mount; returns handles to its parts. */
function buildDom(parent) {
  const style = document.createElement("style");
  style.textContent = EXPLORER_CSS; // defined by Python ahead of these files (explorer.css)
  parent.appendChild(style);
  const root = document.createElement("div");
  root.className = "lex-root";
  root.innerHTML = `
    <div class="lex-map">
      <div class="lex-head"><span class="lex-title"></span><span class="lex-legend"></span></div>
      <div class="lex-plot">
        <canvas class="lex-points"></canvas><canvas class="lex-overlay"></canvas>
        <div class="lex-cursor"><canvas width="28" height="28"></canvas></div>
        <div class="lex-loading">Loading decoder&hellip;</div>
      </div>
    </div>
    <div class="lex-panel">
      <div class="lex-mode">selected z</div>
      <canvas class="lex-digit" width="28" height="28"></canvas>
      <div class="lex-readout"><div class="lex-z"></div><div class="lex-near"></div></div>
      <div class="lex-sliders"></div>
      <div class="lex-selected"></div>
      <div class="lex-stats"></div>
      <div class="lex-hint">Hover to decode &middot; click or drag to select</div>
    </div>`;
  parent.appendChild(root);
  const $ = (s) => root.querySelector(s);
  return {
    root, style, plot: $(".lex-plot"), points: $(".lex-points"), overlay: $(".lex-overlay"),
    cursor: $(".lex-cursor"), cursorCanvas: $(".lex-cursor canvas"), loading: $(".lex-loading"),
    title: $(".lex-title"), legend: $(".lex-legend"), mode: $(".lex-mode"), digit: $(".lex-digit"),
    zText: $(".lex-z"), nearText: $(".lex-near"), selText: $(".lex-selected"), sliders: $(".lex-sliders"), stats: $(".lex-stats"),
  };
}

const SUB = "₀₁₂₃₄₅₆₇₈₉";
/** "z" with a subscript number (z₁, z₂, ...), as the app labels its sliders and axes. */
const zName = (d) => "z" + String(d + 1).replace(/\d/g, (c) => SUB[c]);
const fmt = (z) => "(" + Array.from(z, (v) => v.toFixed(2)).join(", ") + ")";

/** One mounted explorer view. */
function createView(parent, setStateValue) {
  const dom = buildDom(parent);
  const digitCtx = dom.digit.getContext("2d"), cursorCtx = dom.cursorCanvas.getContext("2d");
  let image = digitCtx.createImageData(28, 28);
  // Per image drawn: decode time, event -> drawn, handler start -> drawn, and when.
  const stats = { decodeMs: [], latencyMs: [], workMs: [], drawTimes: [] };
  const v = { dom, stats, model: null, data: null, z: null, pointer: null, hoverIndex: null, dragging: false };
  let view = null, rect = null, pointsCtx = null, overlayCtx = null, pixels = null, sliderInputs = [];
  let style = readStyle(dom.root);

  function layout() {
    if (!v.model) return;
    const w = dom.plot.clientWidth, h = dom.plot.clientHeight;
    if (w < 20 || h < 20) return;
    view = v.view = makeView(v.bounds, w, h);
    rect = null;
    pointsCtx = fitCanvas(dom.points, w, h);
    overlayCtx = fitCanvas(dom.overlay, w, h);
    style = readStyle(dom.root);
    drawPoints(pointsCtx, view, v.model, style);
    showSelected();
  }

  /** Decode z and paint it in the panel (and beside the cursor when hovering). */
  function render(z, t0, tStart) {
    const t1 = performance.now();
    v.model.decoder.decode(z, pixels);
    const t2 = performance.now();
    paintDigit(digitCtx, image, pixels);
    if (v.pointer) cursorCtx.putImageData(image, 0, 0);
    dom.zText.textContent = `z = ${fmt(z)}`;
    dom.root.dataset.z = JSON.stringify(Array.from(z));
    dom.root.dataset.renders = String(+(dom.root.dataset.renders || 0) + 1);
    if (overlayCtx) drawOverlay(overlayCtx, view, v.model, v, style);
    const t3 = performance.now();
    push(stats.decodeMs, t2 - t1);
    push(stats.latencyMs, t3 - (t0 ?? t1));
    push(stats.workMs, t3 - (tStart ?? t1));
    push(stats.drawTimes, t3);
  }
  const push = (a, x) => { a.push(x); if (a.length > 2000) a.splice(0, a.length - 2000); };

  function showSelected() {
    v.pointer = null; v.hoverIndex = null;
    dom.cursor.style.display = "none";
    dom.mode.textContent = "selected z";
    dom.nearText.textContent = v.selectedIndex != null ? nearLabel(v.selectedIndex) : "\u00a0";
    render(v.z);
  }

  const nearLabel = (k) => `test point #${k} \u00b7 digit ${v.model.labels[k]}`;

  function hoverAt(e) {
    const tStart = performance.now();
    rect ??= dom.overlay.getBoundingClientRect(); // cached: reading layout on every move costs
    const px = e.clientX - rect.left, py = e.clientY - rect.top, p = view.plot;
    if (px < p.left || px > p.right || py < p.top || py > p.bottom) {
      if (v.pointer) showSelected();
      return;
    }
    const [zx, zy] = view.toZ(px, py);
    const z = Float64Array.from(v.z);
    z[0] = zx; if (z.length > 1) z[1] = zy;
    const near = nearestPoint(v.model, zx, z.length > 1 ? zy : 0);
    v.hoverIndex = Math.sqrt(near.dist2) * view.scale <= NEAR_PX ? near.index : null;
    v.pointer = [px, py];
    if (v.dragging) { v.z = z; v.selectedIndex = v.hoverIndex; syncSliders(); }
    dom.mode.textContent = v.dragging ? "dragging" : "hover";
    dom.nearText.textContent = v.hoverIndex != null ? nearLabel(v.hoverIndex) : "\u00a0";
    // The cursor image sits to the lower right of the pointer, flipped near the edges.
    const size = 64, flipX = px + 16 + size > view.width, flipY = py + 16 + size > view.height;
    dom.cursor.style.display = "block";
    dom.cursor.style.transform = `translate(${flipX ? px - 16 - size : px + 16}px, ${flipY ? py - 16 - size : py + 16}px)`;
    render(z, e.timeStamp, tStart);
  }

  function commit(source, index) {
    const event = {
      z: Array.from(v.z), index: index ?? null, label: index != null ? v.model.labels[index] : null,
      source, model: v.data.model_name, t: Date.now(),
    };
    dom.root.dataset.lastEvent = JSON.stringify(event);
    setStateValue("event", event);
  }

  // Pointer handling: hover decodes; press + move drags the selected z; release commits.
  const ov = dom.overlay;
  const onEnter = () => { rect = ov.getBoundingClientRect(); };
  const onScroll = () => { rect = null; }; // the map moved on the page: re-read its position
  window.addEventListener("scroll", onScroll, { capture: true, passive: true });
  const onMove = (e) => { if (view) hoverAt(e); };
  const onLeave = () => { if (view && !v.dragging) showSelected(); };
  const onDown = (e) => {
    if (!view || e.button !== 0) return;
    rect = ov.getBoundingClientRect();
    ov.setPointerCapture(e.pointerId);
    v.dragging = true; v.downAt = [e.clientX, e.clientY];
    hoverAt(e);
  };
  const onUp = (e) => {
    if (!v.dragging) return;
    v.dragging = false;
    const moved = Math.hypot(e.clientX - v.downAt[0], e.clientY - v.downAt[1]) > 4;
    commit(moved ? "drag" : "click", v.selectedIndex);
    dom.mode.textContent = "hover";
  };
  ov.addEventListener("pointerenter", onEnter);
  ov.addEventListener("pointermove", onMove);
  ov.addEventListener("pointerleave", onLeave);
  ov.addEventListener("pointerdown", onDown);
  ov.addEventListener("pointerup", onUp);
  ov.addEventListener("pointercancel", () => { v.dragging = false; });

  function buildSliders() {
    dom.sliders.textContent = "";
    sliderInputs = v.data.ranges.map(([lo, hi], d) => {
      const row = document.createElement("label");
      row.className = "lex-slider";
      row.innerHTML = `<span class="lex-slider-name">${zName(d)}</span><input type="range"><span class="lex-slider-val"></span>`;
      const input = row.querySelector("input");
      Object.assign(input, { min: Math.min(lo, v.z[d]), max: Math.max(hi, v.z[d]), step: (hi - lo) / 1000 });
      input.setAttribute("aria-label", zName(d));
      input.dataset.dim = String(d);
      // Decode on every `input` event while the thumb is dragged; report on release.
      input.addEventListener("input", (e) => {
        v.z[d] = +input.value; v.selectedIndex = null;
        syncSliders();
        v.pointer = null; dom.cursor.style.display = "none"; dom.mode.textContent = "slider";
        render(v.z, e.timeStamp);
      });
      input.addEventListener("change", () => commit("slider", null));
      dom.sliders.appendChild(row);
      return input;
    });
    syncSliders();
  }

  function syncSliders() {
    sliderInputs.forEach((input, d) => {
      input.value = v.z[d];
      input.nextSibling.textContent = v.z[d].toFixed(2);
    });
    const k = v.selectedIndex;
    dom.selText.textContent = `selected ${fmt(v.z)}` + (k != null ? ` \u00b7 #${k} (digit ${v.model.labels[k]})` : "");
  }

  // Live "decode ms / fps" readout, twice a second.
  const statsTimer = setInterval(() => {
    const now = performance.now(), recent = stats.drawTimes.filter((t) => now - t < 1000).length;
    const last = stats.decodeMs.slice(-30).sort((a, b) => a - b);
    if (last.length) dom.stats.textContent = `decode ${last[last.length >> 1].toFixed(2)} ms \u00b7 ${recent} frames/s`;
  }, 500);
  const resizer = new ResizeObserver(() => layout());
  resizer.observe(dom.plot);

  /** Apply a (new) data object from Python. */
  async function update(data) {
    v.data = data;
    if (data.instance) HOOK.instances.set(data.instance, v);
    HOOK.last = v;
    const applied = v.applied; // the last data fully applied (an update can be superseded while waiting)
    if (applied && JSON.stringify(applied) === JSON.stringify(data)) return layout(); // e.g. a theme change
    const model = await whenPayload(data.key);
    if (v.data !== data) return; // superseded while waiting
    v.applied = data;
    const fresh = v.model !== model;
    const changed = (k) => fresh || !applied || JSON.stringify(applied[k]) !== JSON.stringify(data[k]);
    if (fresh) {
      v.model = model;
      pixels = new Float32Array(model.decoder.nPixels);
      dom.digit.width = dom.digit.height = dom.cursorCanvas.width = dom.cursorCanvas.height = model.imageSize;
      image = digitCtx.createImageData(model.imageSize, model.imageSize);
      v.z = new Float64Array(model.latentDim); // the origin until Python sends a z
      v.selectedIndex = null;
      dom.title.textContent = `${data.model_name} \u00b7 ${model.nPoints.toLocaleString("en-US")} test means`;
      dom.legend.innerHTML = DIGIT_COLORS.map((c, d) => `<span class="lex-chip"><i style="background:${c}"></i>${d}</span>`).join("");
      dom.loading.style.display = "none";
      dom.root.dataset.modelKey = model.key;
    }
    if (changed("z") && Array.isArray(data.z)) {
      // Python echoing back the z we just reported, or snapping it to the selected
      // point's mean, keeps the selection; the app rounds z to its sliders' 0.01 step.
      const close = (a, b) => a.every((x, d) => Math.abs(x - b[d]) <= ECHO_TOLERANCE);
      const k = v.selectedIndex;
      const onSelected = k != null && close(data.z.slice(0, 2), [model.means[2 * k], model.means[2 * k + 1]]);
      if (!close(data.z, v.z) && !onSelected) v.selectedIndex = null;
      data.z.slice(0, model.latentDim).forEach((x, d) => { v.z[d] = +x; });
    }
    if (changed("ranges")) buildSliders(); else syncSliders();
    if (changed("extent")) {
      const [x0, x1, y0, y1] = data.extent ?? [];
      v.bounds = data.extent ? { x0, x1, y0, y1 } : dataBounds(model);
      layout(); // redraws the 10,000 points: only when the model or the extent changes
    } else if (view) showSelected();
    dom.root.dataset.ready = "1";
  }

  function destroy() {
    clearInterval(statsTimer);
    window.removeEventListener("scroll", onScroll, { capture: true });
    resizer.disconnect();
    for (const [k, inst] of HOOK.instances) if (inst === v) HOOK.instances.delete(k);
    if (HOOK.last === v) HOOK.last = null;
    dom.root.remove();
    dom.style.remove();
  }
  return Object.assign(v, { update, destroy });
}

/** Mount (or update) the view in `component.parentElement`; returns its cleanup. */
function mountView({ data, parentElement, setStateValue }) {
  if (!data || typeof data !== "object") return undefined;
  let view = VIEWS.get(parentElement);
  if (!view) {
    view = createView(parentElement, setStateValue);
    VIEWS.set(parentElement, view);
  }
  view.update(data);
  return () => { view.destroy(); VIEWS.delete(parentElement); };
}

// Hand mountView to view stubs that are already waiting (see view_stub.js).
HOOK.mountView = mountView;
for (const resolve of HOOK.implWaiters ?? []) resolve();
HOOK.implWaiters = [];

/** The payload carrier: cache the payload, render nothing. */
export default function (component) {
  if (component.data instanceof Uint8Array) storePayload(component.data);
}
