// tools.js: the panel's tools, as methods of MapView (view.js assigns them to its prototype): the search box,
// colour by, the region picked with Plotly's box or lasso, a path between two picks, the visitor's kept uploads,
// the training switch and Escape, which clears them.

import { BAR_TITLES, MEASURES, colourRange, measureOf, measuresFor } from "./colour.js";
import { contactSheet, showPath, showRegion, syncSliders, vec } from "./panel.js";
import { lerp, slerp } from "./path.js";
import { whenPayload } from "./payload.js";
import { CONFIG, colourPoints, layout, markRows, splitTraces } from "./plot.js";
import { makeProjection } from "./projection.js";
import { layoutExtent, makeUmapProjection } from "./umap.js";
import { parseRegion, plotlySelections, regionCsv, regionRows, regionText, rowsInside, summarize } from "./region.js";
import { extentOf, findRows } from "./search.js";
import { selKey } from "./selection.js";
import { posteriorOf } from "./stats.js";
import { showUploads } from "./uploads.js";

const REGION_TILES = 16; // the region's points shown as images

export const TOOLS = {
  /** The search box, "Colour by" and (for a model with a UMAP layout) "Layout". */
  listenTools(data) {
    const panel = this.dom.panel;
    panel.search.placeholder = `Find: #4693, ${data.label_names[7] ?? data.label_names[0]} or misplaced`;
    for (const name of ["change", "search"]) panel.search.addEventListener(name, this.afterFigure(() => this.search(panel.search.value)));
    panel.colour.replaceChildren(...measuresFor(this.sets.test).map((kind) => Object.assign(document.createElement("option"),
      { value: kind, textContent: MEASURES[kind] })));
    panel.colour.addEventListener("change", this.afterFigure(() => this.colourBy(panel.colour.value)));
    panel.layoutRow.hidden = !this.sets.test.layout;
    panel.layout.replaceChildren(...[["plane", "principal plane (PCA)"], ["umap", "UMAP (no inverse)"]].map(([value, text]) =>
      Object.assign(document.createElement("option"), { value, textContent: text })));
    panel.layout.addEventListener("change", this.afterFigure(() => this.setLayout(panel.layout.value)));
  },

  applyOriginal(original) {
    if (this.storeOriginal(original) && selKey(this.state.selected) === selKey(original)) this.showSelected();
  },

  /** Keep a digit's original image from Python ({split, index, pixels: base64} or {split, index, note}); whether
   *  it was new (an image already kept stays; a note is replaced, e.g. after a download). */
  storeOriginal(original) {
    const key = selKey(original);
    if (this.originals.get(key)?.pixels) return false;
    const pixels = original.pixels ? Float32Array.from(atob(original.pixels), (c) => c.charCodeAt(0) / 255) : null;
    this.originals.set(key, { pixels, note: original.note });
    return true;
  },


  /** Escape: z = 0, nothing selected, nothing found. */
  async clear() {
    await this.ready; // what it clears is on Plotly's figure
    this.dom.panel.search.value = "";
    this.search("");
    if (this.regionText) this.applyRegion("", true); // Plotly's own selection too: its outline, the dimmed points
    this.clearPath();
    this.state.z.fill(0);
    this.state.selected = null;
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.commit("escape");
  },


  /** Once per figure: the switch and a rerun's update may both ask while the payload is on its way. */
  addTrain() {
    this.trainAdded ??= this.insertTrain().catch((err) => { this.trainAdded = null; throw err; }); // a failure may retry
    return this.trainAdded;
  },

  async insertTrain() {
    const plot = this.dom.plot;
    if (!this.data.train_key || plot.data.some((t) => t.meta?.split === "train")) return;
    this.sets.train = (await whenPayload(this.data.train_key)).points;
    if (this.proj.isLayout || !this.state.showTrain) { this.trainAdded = null; return; } // switched meanwhile
    const traces = splitTraces(this.sets.train, "train", this.names(), this.proj);
    for (const t of traces) { // follow the legend: a digit hidden among the test means stays hidden
      t.visible = plot.data.find((d) => d.meta?.split === "test" && d.meta.label === t.meta.label)?.visible ?? true;
    }
    await window.Plotly.addTraces(plot, traces, traces.map((_, i) => i)); // under the test means
    if (this.colouring) await this.colourBy(this.colouring);
    if (this.regionText) await this.applyRegion(this.regionText); // the region holds training means too
    this.dom.panel.trainBox.checked = true;
    if (this.state.zFromTrain) { // a link to a training digit without z
      this.state.zFromTrain = false;
      this.state.z = Float64Array.from(posteriorOf(this.sets.train, this.state.selected.index).mu);
      syncSliders(this.dom.panel, this.state.z);
    }
    if (this.state.selected?.split === "train") this.showSelected();
  },

  setTrain(show) {
    this.state.showTrain = show;
    const idx = this.dom.plot.data.flatMap((t, i) => (t.meta?.split === "train" ? [i] : []));
    if (idx.length) {
      return window.Plotly.restyle(this.dom.plot, { visible: show }, idx)
        .then(() => this.regionText && this.applyRegion(this.regionText)); // the region follows what is shown
    }
    if (!show) return;
    this.askFor(this.data); // Python sends the training payload if the page lacks it
    this.addTrain();
  },

  /** The search box: select a test digit by its number, or ring one label's or the misplaced digits; zoom to them
   *  (to a number only when it is out of view). */
  async search(query) {
    const points = this.sets.test, xy = this.proj.plane(points);
    const found = findRows(query, points, this.names(), this.data.misplaced ?? [], this.data.item_word);
    this.dom.panel.searchNote.textContent = found.text;
    await markRows(this.dom.plot, found.kind === "index" ? [] : found.rows, xy, this.style);
    if (found.kind === "index") this.select({ split: "test", index: found.rows[0] }, null, "search");
    const [vx0, vx1] = this.dom.plot._fullLayout.xaxis.range, [vy0, vy1] = this.dom.plot._fullLayout.yaxis.range;
    const inView = (r) => xy[2 * r] > vx0 && xy[2 * r] < vx1 && xy[2 * r + 1] > vy0 && xy[2 * r + 1] < vy1;
    if (found.rows.length && !(found.kind === "index" && inView(found.rows[0]))) { // a digit in view: no zoom
      const [x0, x1, y0, y1] = extentOf(xy, found.rows);
      await window.Plotly.relayout(this.dom.plot, { "xaxis.range": [x0, x1], "yaxis.range": [y0, y1] });
    }
    this.dom.root.dataset.found = String(found.rows.length);
  },

  /** Colour the points by label, or by each digit's KL or mean σ (one scale for the test and training means). */
  colourBy(kind) {
    this.colouring = kind === "label" ? null : kind;
    if (!this.colouring) return colourPoints(this.dom.plot, null);
    const values = Object.fromEntries(Object.entries(this.sets).map(([split, points]) => [split, measureOf(points, kind)]));
    return colourPoints(this.dom.plot, values, colourRange(values.test), BAR_TITLES[kind], this.isNarrow());
  },

  /** Draw the principal plane or ("umap") the UMAP layout of a model above 2-D. The layout has only the test
   *  means and no inverse: hovering decodes the test mean nearest the pointer, and a region stays out of the link. */
  async setLayout(kind) {
    const points = this.sets.test, plot = this.dom.plot, panel = this.dom.panel, umap = kind === "umap";
    if (this.regionText) await this.applyRegion("", true);
    this.proj = umap ? makeUmapProjection(points) : makeProjection(this.data.projection, points.dim);
    Object.assign(this.state, { showTrain: false });
    Object.assign(this, { trainAdded: null });
    this.clearPath(); // a path's steps would land on other means in the other layout
    Object.assign(panel.trainBox, { checked: false, disabled: umap || !this.data.train_count });
    const extent = umap ? layoutExtent(points.layout) : this.data.extent;
    await window.Plotly.react(plot, splitTraces(points, "test", this.names(), this.proj),
      { ...layout(extent, this.style, this.proj.titles, this.isNarrow()), uirevision: kind }, CONFIG);
    if (this.colouring) await this.colourBy(this.colouring);
    if (panel.search.value) await this.search(panel.search.value);
    panel.layoutNote.textContent = umap ? "UMAP keeps neighbourhoods, not distances, and has no inverse: a point of it "
      + "is not a z. Hovering decodes the test mean drawn nearest the pointer; the sliders still reach every z." : "";
    this.dom.root.dataset.layout = kind;
    this.relayout();
    this.showSelected();
  },

  /** Plotly's box or lasso picked a region (event null: it was cleared): the panel shows it, the link keeps it. */
  pickRegion(event) {
    this.regionText = event ? regionText(event.selections) : "";
    this.regionShapes = parseRegion(this.regionText);
    this.showRegion(event ? regionRows(this.dom.plot.data, event) : []);
    // A UMAP region would be read on the principal plane from a link: the link keeps none.
    this.send("region", { model: this.model.modelName, text: this.proj.isLayout ? "" : this.regionText });
  },

  /** Show the region of a link's text ("": none) as if picked: its outline, the points in it on every shown split
   *  (the others dimmed) and the panel; `report`: tell Python (the link), as a pick does. */
  async applyRegion(text, report = false) {
    const plot = this.dom.plot;
    Object.assign(this, { regionText: text, regionShapes: parseRegion(text) });
    const picked = [], chosen = new Map(); // split -> Set of rows in the region
    for (const [split, points] of Object.entries(this.sets)) {
      if (split === "train" && !this.state.showTrain) continue;
      const rows = rowsInside(this.proj.plane(points), this.regionShapes);
      chosen.set(split, new Set(rows));
      picked.push(...rows.map((index) => ({ split, index })));
    }
    const idx = plot.data.flatMap((t, i) => (t.meta?.rows ? [i] : []));
    const selected = idx.map((i) => { const t = plot.data[i], rows = chosen.get(t.meta.split);
      return text && rows ? Array.from(t.meta.rows, (r, k) => (rows.has(r) ? k : -1)).filter((k) => k >= 0) : null; });
    await window.Plotly.relayout(plot, { selections: plotlySelections(this.regionShapes, this.style.text) });
    await window.Plotly.restyle(plot, { selectedpoints: selected }, idx);
    this.showRegion(picked);
    if (report) this.send("region", { model: this.model.modelName, text });
  },

  /** The panel's region section for the points picked with the box or lasso tool ([] hides it). Up to REGION_TILES
   *  of them, spread over the region, are shown decoded here; their originals are asked of Python. */
  showRegion(picked) {
    this.region = picked;
    const step = Math.max(1, Math.ceil(picked.length / REGION_TILES));
    this.regionSamples = picked.filter((_, i) => i % step === 0).slice(0, REGION_TILES);
    this.drawRegion();
    const lacking = this.regionSamples.filter((p) => !this.originals.has(selKey(p)));
    if (lacking.length || this.asksOriginals) { // asked until sent, then no more (an empty region asks for none)
      this.send("region_rows", { model: this.model.modelName, rows: lacking.map(({ split, index }) => ({ split, index })) });
      this.asksOriginals = lacking.length > 0;
    }
    this.dom.root.dataset.region = String(picked.length);
  },

  drawRegion() {
    const picked = this.region, decoder = this.model.decoder, native = !decoder.isAsync;
    const decode = (mu) => native && decoder.decode(mu, new Float32Array(decoder.nPixels));
    const info = picked.length ? summarize(this.sets, picked, this.names()) : null;
    const samples = this.regionSamples.map((p) => ({ recon: decode(posteriorOf(this.sets[p.split], p.index).mu),
      original: this.originals.get(selKey(p))?.pixels ?? null }));
    showRegion(this.dom.panel, info && { ...info, mean: decode(info.meanMu), samples }, decoder.imageSize, {
      clear: () => this.applyRegion("", true),
      csv: (link) => {
        const blob = new Blob([regionCsv(this.sets, this.region, this.names())], { type: "text/csv" });
        Object.assign(link, { href: URL.createObjectURL(blob), download: `${this.model.modelName}_region.csv` });
      },
      png: (link) => Object.assign(link, { download: `${this.model.modelName}_region.png`,
        href: contactSheet([samples.map((s) => s.original), samples.map((s) => s.recon)], decoder.imageSize) }),
    });
  },

  /** A path starts at the selected z (and digit); it ends wherever the next selection is. */
  startPath() {
    this.path = { z: Float64Array.from(this.state.z), sel: this.state.selected };
    this.showPath();
  },

  clearPath() {
    this.path = null;
    this.showPath();
  },

  /** The path section and the lines on the map, for the path from its start to the selected z (decoded here). */
  async showPath() {
    const path = this.path, panel = this.dom.panel, decoder = this.model.decoder, end = Float64Array.from(this.state.z);
    const ticket = (this.pathTicket = (this.pathTicket ?? 0) + 1);
    const ends = [path?.sel?.index, this.state.selected?.index]; // as drawn: a later click on the button opens these
    const on = { start: () => this.startPath(), clear: () => this.clearPath(),
      interpolate: () => this.send("open_interpolate", { a: ends[0], b: ends[1], t: Date.now() }) };
    const moved = path && end.some((v, j) => v !== path.z[j]);
    this.pathLines = moved ? { linear: lerp(path.z, end), spherical: slerp(path.z, end) } : null;
    this.dom.root.dataset.path = path ? (moved ? "drawn" : "started") : "";
    this.drawOverlay();
    if (!path) return showPath(panel, null, decoder.imageSize, on);
    const name = (sel, z) => (sel ? this.describe(sel) : `z = ${vec(z)}`);
    const info = { from: name(path.sel, path.z), to: name(this.state.selected, end),
      interpolate: moved && path.sel?.split === "test" && this.state.selected?.split === "test" };
    if (moved) {
      const decode = (z) => (decoder.isAsync ? decoder.decodeAsync(z) : decoder.decode(z, new Float32Array(decoder.nPixels)));
      const strips = await Promise.all(Object.entries(this.pathLines).map(async ([kind, zs]) => [kind, await Promise.all(zs.map(decode))]));
      if (ticket !== this.pathTicket) return; // a newer path or selection drew meanwhile
      info.strips = strips;
    }
    showPath(panel, info, decoder.imageSize, on);
  },

  /** The kept uploads from Python: listed in the panel and drawn on the map. */
  showUploads() {
    const uploads = this.data.uploads ?? [];
    showUploads(this.dom.panel.uploads, uploads, (upload) => this.goTo(upload.mu, "upload"),
      () => this.send("clear_uploads", Date.now()));
    this.dom.root.dataset.uploads = String(uploads.length);
    this.drawOverlay();
  },

  /** Select z = `mu` (an upload's mean): no digit is selected. */
  goTo(mu, source) {
    this.state.selected = null;
    this.state.z = Float64Array.from(mu);
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.commit(source);
  },
};
