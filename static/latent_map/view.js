// view.js: one mounted latent map (MapView): the Plotly scatter, the overlay,
// the digit beside the cursor and the panel. The map owns z: hover, clicks and
// sliders change it here, and Python only hears of the result (a "selection"
// event, and "show_train" for the training switch).

import { hasPayload, whenPayload } from "./payload.js";
import { makeProjection } from "./projection.js";
import { CONFIG, NEAR_PX, axes, cursorAt, drawOverlay, fitCanvas, layout, loadPlotly, pointAt, splitTraces,
  strokePaths } from "./plot.js";
import { NARROW_PX, buildDom, readStyle } from "./dom.js";
import { buildSliders, paintDigit, pngLink, showSelection, syncSliders, vec } from "./panel.js";
import { isTiny, selKey, selectionInfo, stateFor, wantsTrain } from "./selection.js";
import { posteriorOf, sortedKl } from "./stats.js";
import { listenMouse } from "./mouse.js";
import { listenTouch } from "./touch.js";
import { KEYS, listenKeys } from "./keys.js";
import { TOOLS } from "./tools.js";
import { LINKED, joinGroup, leaveGroup, tellPeers } from "./linked.js";
import { drawUploads } from "./uploads.js";
import { PREVIEW, pointerRest } from "./preview.js";


export class MapView {
  constructor(parent, setStateValue) {
    this.parent = parent;
    this.send = setStateValue; // Streamlit's: ("selection" | "need", value)
    this.data = this.model = this.state = this.ax = this.ctx = this.pointer = this.dom = null;
    this.sets = {}; // split -> points ({n, dim, mu, logvar, labels})
    this.originals = new Map(); // "split:index" -> {pixels} or {note}, from Python
    this.onRender = null; // set by testing.js only
  }

  names() { return this.data.label_names; }

  /** `fn` as a listener that waits for Plotly's figure: the tools that change it do nothing to the preview. */
  afterFigure(fn) { return (...args) => this.ready.then(() => fn(...args)); }

  /** A phone's width: the legend goes under the plot (plot.js's layout), the panel under the map (map.css). */
  isNarrow() { return this.dom.root.clientWidth <= NARROW_PX; }

  /** Apply a (new) data object from Python; a newer one supersedes it at every wait. */
  async update(data) {
    this.data = data;
    this.askFor(data);
    const model = await whenPayload(data.key);
    if (this.data !== data) return;
    if (model.error) return this.showError(model.error);
    if (this.model !== model) this.ready = this.setModel(data, model);
    await this.ready; // the figure exists before anything touches it
    if (this.data !== data) return;
    if (this.linkGroup !== (data.link_group ?? null)) joinGroup(this, data.link_group);
    if (this.state.showTrain && data.train_key) await this.addTrain();
    if (!this.regionRestored) { // the link's region, once per mount: after that the map owns it, as it owns z
      this.regionRestored = true;
      if (data.region) await this.applyRegion(data.region);
    }
    if (data.original) this.applyOriginal(data.original);
    if ((data.region_originals ?? []).map((o) => this.storeOriginal(o)).some(Boolean) && this.region?.length) this.drawRegion();
    this.showUploads();
    this.dom.root.dataset.ready = "1";
  }

  /** A model the page cannot draw: say why, in place of the map (plain text in the page's own colours:
   *  the map's stylesheet goes with its DOM). */
  showError(message) {
    this.destroy();
    this.model = null; // a later update builds the map afresh
    this.errorNote = Object.assign(document.createElement("p"), { className: "lm-error",
      textContent: `The map cannot show this model: ${message}. The other pages run it on the server.` });
    this.errorNote.setAttribute("role", "alert");
    this.parent.append(this.errorNote);
  }

  /** Tell Python which payloads this page lacks (it sends only those, so a return to the map re-sends nothing).
   *  One that is on its way unasked (`carried`: a new session, a model switch) is not asked for; one already
   *  asked for stays asked for until it is here (asking no more would make Python rerun before sending it). */
  askFor(data) {
    const asked = this.need ?? [], coming = data.carried ?? [];
    const need = [data.key, wantsTrain(data) && data.train_key]
      .filter((key) => key && !hasPayload(key) && (asked.includes(key) || !coming.includes(key)));
    if (JSON.stringify(need) !== JSON.stringify(this.need ?? [])) this.send("need", need);
    this.need = need;
  }

  async setModel(data, model) {
    this.destroy();
    Object.assign(this, { model, sets: { test: model.points }, ax: null, ctx: null, pointer: null, tiny: false,
      trainAdded: null, colouring: null, region: [], regionText: "", regionShapes: [], regionRestored: false,
      path: null, pathLines: null });
    this.proj = makeProjection(data.projection, model.points.dim);
    joinGroup(this, data.link_group);
    this.originals.clear();
    this.dom = buildDom(this.parent, model.decoder.imageSize);
    this.style = readStyle(this.dom.root);
    this.pixels = new Float32Array(model.decoder.nPixels);
    this.klSorted = sortedKl(model.points);
    const [state, restored] = stateFor(data, model.points);
    this.state = state;
    this.listen(data);
    this.firstTraces = splitTraces(model.points, "test", this.names(), this.proj);
    await this.dom.styled;
    if (!window.Plotly && this.model === model) this.drawPreview();
    await this.drawFigure();
    if (this.model !== model) return; // another model took over meanwhile
    this.showSelected();
    this.showPath();
    if (restored) this.commit("restore"); // back from another page: tell Python (the link) where we are
  }

  listen(data) {
    const { wrap, panel, plot } = this.dom;
    listenMouse(wrap, this, listenTouch(wrap, this));
    listenKeys(wrap, this);
    buildSliders(panel, data.ranges, this.state.z, (d, value, e) => this.onSlider(d, value, e), () => this.commit("slider"));
    panel.trainBox.addEventListener("change", this.afterFigure(() => this.setTrain(panel.trainBox.checked)));
    panel.trainText.textContent = `Add the ${data.train_count.toLocaleString("en-US")} training means`;
    panel.trainBox.disabled = !data.train_count;
    panel.download.addEventListener("click", () => this.downloadPng());
    this.listenTools(data);
    this.resizer = new ResizeObserver(() => plot._fullLayout && window.Plotly.Plots.resize(plot));
    this.resizer.observe(plot);
  }

  // --------------------------------------------------------------- drawing
  /** Decode z into the panel (and beside the cursor when hovering); redraw the overlay. */
  render(z, eventTime) {
    const t0 = performance.now(), decoder = this.model.decoder;
    if (decoder.isAsync) { // an imported model's ONNX decoder: draw when its result arrives, unless a newer z came
      const model = this.model, at = Array.from(z);
      decoder.decodeLatest(at).then((pixels) => {
        if (pixels && this.model === model) this.paint(at, pixels, t0, performance.now(), eventTime);
      }).catch((err) => console.error("latent map:", err));
      return;
    }
    decoder.decode(z, this.pixels);
    this.paint(z, this.pixels, t0, performance.now(), eventTime);
  }

  paint(z, pixels, t0, t1, eventTime) {
    this.pixels = pixels;
    paintDigit(this.dom.panel.digit, this.pixels);
    if (this.pointer) paintDigit(this.dom.cursor, this.pixels);
    this.dom.panel.zText.textContent = `z = ${vec(z)}`;
    this.drawOverlay();
    this.onRender?.({ z, decodeMs: t1 - t0, eventTime: eventTime ?? t0, t: performance.now() });
  }

  drawOverlay() {
    if (!this.ctx) return;
    drawOverlay(this.ctx, this.ax, { zxy: this.proj.toPlane(this.state.z), pointer: this.pointer, ellipse: this.ellipse() },
      this.style);
    if (this.pathLines) strokePaths(this.ctx, this.ax, this.pathLines, this.proj, this.style);
    drawUploads(this.ctx, this.ax, this.data.uploads ?? [], this.proj, this.style);
  }

  /** The selected digit's posterior as a 1-sigma ellipse on the plane, or null. */
  ellipse() {
    const sel = this.state.selected, points = sel && this.sets[sel.split];
    if (!points?.logvar) return null;
    const { mu, sigma } = posteriorOf(points, sel.index);
    return this.proj.ellipse(mu, sigma);
  }

  /** Back to the selected z: no pointer over the map. */
  showState() {
    this.pointer = null;
    this.dom.cursor.style.display = "none";
    const sel = this.state.selected;
    this.dom.panel.mode.textContent = sel ? "selected digit" : this.state.z.some((v) => v !== 0) ? "selected z" : "z = 0, the prior's mean";
    this.dom.panel.near.textContent = this.describe(sel);
    this.render(this.state.z);
  }

  describe(sel) {
    const points = sel && this.sets[sel.split];
    return points ? `${sel.split} #${sel.index} · ${this.names()[points.labels[sel.index]]}` : "\u00a0";
  }

  /** The panel's selected-digit section, from data the page has; the original comes from Python. */
  showSelected() {
    const sel = this.state.selected;
    this.dom.root.dataset.selected = selKey(sel);
    const info = sel && selectionInfo({
      sel, sets: this.sets, decoder: this.model.decoder, names: this.names(), labelWord: this.data.label_word, itemWord: this.data.item_word,
      klSorted: this.klSorted, original: this.originals.get(selKey(sel)),
    });
    this.tiny = isTiny(this.ellipse(), this.ax?.pxPerUnit);
    if (info) info.tiny = this.tiny;
    showSelection(this.dom.panel, info, this.model.decoder.imageSize, () => this.zoomTo(this.ellipse()));
    if (info?.reconLater) { // decoder(mu) of an ONNX decoder arrives later: paint it then, if still selected
      const model = this.model;
      info.reconLater.then((pixels) => {
        const canvas = this.dom.panel.selected.querySelector(".lm-recon canvas");
        if (this.model === model && this.state.selected === sel && canvas) paintDigit(canvas, pixels);
      }).catch((err) => console.error("latent map:", err));
    }
    this.showState();
  }

  async zoomTo(e) {
    await this.ready; // Plotly's figure, not the preview
    const h = 6 * Math.max(e.rx, e.ry);
    window.Plotly.relayout(this.dom.plot, { "xaxis.range": [e.x - h, e.x + h], "yaxis.range": [e.y - h, e.y + h] });
  }

  // ---------------------------------------------------------------- events
  commit(source) {
    if (this.path) this.showPath(); // a path ends at the committed z
    const sel = this.state.selected;
    this.send("selection", { model: this.model.modelName, z: Array.from(this.state.z), split: sel?.split ?? null,
      index: sel?.index ?? null, source, t: Date.now() });
  }

  select(sel, z, source) {
    this.state.selected = sel;
    if (sel) this.state.z = Float64Array.from(posteriorOf(this.sets[sel.split], sel.index).mu);
    else this.proj.lift(z[0], z[1], this.state.z);
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.commit(source);
    if (source !== "linked") tellPeers(this, { type: "select", sel, z: Array.from(this.state.z) });
  }

  /** Pointer position in plot-area px, or null outside the plot area. */
  plotPx(e) {
    const r = this.dom.plot.getBoundingClientRect(), ax = this.ax;
    const px = e.clientX - r.left - ax.left, py = e.clientY - r.top - ax.top;
    return px >= 0 && py >= 0 && px <= ax.width && py <= ax.height ? [px, py] : null;
  }

  /** Decode the z under plot-area pixel p without selecting it (a hovering mouse, a dragged finger). */
  explore(p, eventTime, finger = false) {
    const z = this.proj.lift(...this.ax.toZ(...p), new Float64Array(this.state.z.length));
    this.pointer = p;
    tellPeers(this, { type: "hover", z: Array.from(z) });
    this.dom.panel.mode.textContent = finger ? "touch" : "hover";
    this.dom.panel.near.textContent = this.describe(pointAt(this.figureTraces(), this.ax, this.sets, this.proj, p[0], p[1], NEAR_PX));
    this.dom.cursor.style.display = "block";
    this.dom.cursor.style.transform = cursorAt(this.ax, p, finger);
    this.render(z, eventTime);
  }

  /** Select the visible dot within `radius` px of plot-area pixel p, else the z there (a click, a tap). */
  pick(p, radius, source) {
    // A UMAP layout has no z between its dots: a click there picks the nearest digit.
    const hit = pointAt(this.figureTraces(), this.ax, this.sets, this.proj, p[0], p[1], this.proj.isLayout ? Infinity : radius);
    this.select(hit, this.ax.toZ(...p), hit ? source : `${source}-empty`);
  }

  /** The pointer left the map or the finger lifted: back to the selection. */
  release() {
    if (!this.ax) return;
    const hovering = this.pointer;
    this.showState();
    if (hovering) tellPeers(this, { type: "leave" });
  }

  snapshot() { return { z: Float64Array.from(this.state.z), selected: this.state.selected }; }

  restore({ z, selected }, source) {
    Object.assign(this.state, { z, selected });
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.commit(source);
  }

  onSlider(d, value, e) {
    this.state.z[d] = value;
    if (this.state.selected) { // z has left the digit's mean: the panel and the link no longer name it
      this.state.selected = null;
      this.showSelected();
    }
    syncSliders(this.dom.panel, this.state.z);
    this.pointer = null;
    this.dom.cursor.style.display = "none";
    this.dom.panel.mode.textContent = "slider";
    this.render(this.state.z, e.timeStamp);
  }

  // ------------------------------------------------------------ the figure
  async drawFigure() {
    if (this.previewAx) await pointerRest(this.dom.wrap); // not while a pointer decodes over the preview
    const [Plotly] = await Promise.all([loadPlotly(), this.dom.styled]), plot = this.dom.plot;
    await Plotly.newPlot(plot, this.firstTraces,
      layout(this.data.extent, this.style, this.proj.titles, this.isNarrow()), CONFIG);
    this.dom.preview.remove();
    for (const name of ["plotly_afterplot", "plotly_relayouting", "plotly_relayout"]) plot.on(name, () => this.relayout());
    plot.on("plotly_selected", (event) => this.pickRegion(event));
    plot.on("plotly_deselect", () => this.pickRegion(null));
    this.relayout();
    this.dom.loading.style.display = "none";
    this.dom.root.dataset.live = "1";
  }

  /** Plotly moved the axes (zoom, pan, resize): re-measure, redraw the overlay. */
  relayout() {
    if (!this.dom?.plot._fullLayout?.xaxis) return;
    this.ax = axes(this.dom.plot);
    this.ctx = fitCanvas(this.dom.overlay, this.ax);
    if (isTiny(this.ellipse(), this.ax.pxPerUnit) !== this.tiny) this.showSelected(); // the "zoom in" offer comes or goes
    else if (this.pointer) this.drawOverlay();
    else this.showState();
  }

  // ----------------------------------------------------------------- misc
  downloadPng() {
    const name = `${this.model.modelName}_z_${Array.from(this.state.z, (x) => x.toFixed(3)).join(",")}.png`;
    pngLink(this.dom.panel, name);
  }

  destroy() {
    leaveGroup(this);
    this.errorNote?.remove();
    this.resizer?.disconnect();
    if (this.dom?.plot._fullLayout) window.Plotly.purge(this.dom.plot);
    this.dom?.link.remove();
    this.dom?.root.remove();
    this.dom = null;
  }
}

// The panel's tools (search, colour by, region, path, uploads, layout; tools.js), the keys' nudge (keys.js) and what a
// linked map says (linked.js) are methods of the view too.
Object.assign(MapView.prototype, TOOLS, KEYS, LINKED, PREVIEW);
