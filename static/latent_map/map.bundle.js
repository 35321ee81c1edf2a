// Generated from static/latent_map/*.js by tools/bundle_map (npm run build): edit those, then rebuild.

// ../../static/latent_map/panel.js
var SUB = "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089";
var zName = (d) => "z" + String(d + 1).replace(/\d/g, (c) => SUB[c]);
var num = (x, digits = 2) => x.toFixed(digits).replace(/^-(0\.?0*)$/, "$1");
var vec = (v, digits = 2) => "(" + Array.from(v, (x) => num(x, digits)).join(", ") + ")";
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}
var button = (className, text, onClick) => {
  const node = el("button", `lm-button ${className}`, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
};
function digitCanvas(className, size) {
  const canvas = el("canvas", className);
  canvas.width = canvas.height = size;
  return canvas;
}
function paintDigit(canvas, pixels) {
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(canvas.width, canvas.height), d = image.data;
  for (let p = 0, q = 0; p < pixels.length; p++, q += 4) {
    d[q] = d[q + 1] = d[q + 2] = pixels[p] * 255;
    d[q + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}
function buildPanel(size) {
  const root = el("aside", "lm-panel");
  const head = el("div", "lm-decoded");
  const digit = digitCanvas("lm-digit", size);
  digit.setAttribute("role", "img");
  digit.setAttribute("aria-label", "decoded z");
  const readout = el("div", "lm-readout");
  const mode = el("div", "lm-mode", "selected z"), zText = el("div", "lm-z"), near = el("div", "lm-near");
  const download = el("a", "lm-download", "Download PNG");
  download.href = "#";
  readout.append(mode, zText, near, download);
  head.append(digit, readout);
  const sliders = el("div", "lm-sliders");
  const trainRow = el("label", "lm-train");
  const trainBox = el("input");
  trainBox.type = "checkbox";
  trainRow.append(trainBox, el("span", null, "Add the 60,000 training means"));
  const selected = el("section", "lm-selected");
  const search = el("input", "lm-search");
  Object.assign(search, { type: "search", enterKeyHint: "search", autocomplete: "off", spellcheck: false });
  search.setAttribute("aria-label", "Find test digits: a number, a label or misplaced");
  const searchNote = el("div", "lm-search-note");
  searchNote.setAttribute("aria-live", "polite");
  const colourRow = el("label", "lm-colour-row"), colour = el("select", "lm-colour");
  colourRow.append(el("span", null, "Colour by"), colour);
  const region = el("section", "lm-region"), uploads = el("section", "lm-uploads"), path = el("section", "lm-path");
  const layoutRow = el("label", "lm-colour-row lm-layout-row"), layout2 = el("select", "lm-layout");
  layoutRow.append(el("span", null, "Layout"), layout2);
  layoutRow.hidden = true;
  const layoutNote = el("p", "lm-layout-note");
  root.append(head, sliders, trainRow, region, selected, path, uploads, search, searchNote, colourRow, layoutRow, layoutNote);
  return {
    root,
    digit,
    mode,
    zText,
    near,
    download,
    sliders,
    trainBox,
    trainText: trainRow.lastChild,
    selected,
    search,
    searchNote,
    colour,
    region,
    uploads,
    path,
    layoutRow,
    layout: layout2,
    layoutNote,
    inputs: []
  };
}
function pngLink(panel, filename) {
  const big = document.createElement("canvas"), size = panel.digit.width;
  big.width = big.height = size * 10;
  const ctx = big.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(panel.digit, 0, 0, big.width, big.height);
  Object.assign(panel.download, { href: big.toDataURL("image/png"), download: filename });
}
function buildSliders(panel, ranges, z, onInput, onChange) {
  panel.sliders.textContent = "";
  panel.inputs = ranges.map(([lo, hi], d) => {
    const row = el("label", "lm-slider");
    const input = el("input");
    Object.assign(input, { type: "range", min: lo, max: hi, step: (hi - lo) / 1e3 });
    input.setAttribute("aria-label", zName(d));
    input.dataset.dim = String(d);
    input.addEventListener("input", (e) => onInput(d, +input.value, e));
    input.addEventListener("change", () => onChange());
    row.append(el("span", "lm-slider-name", zName(d)), input, el("span", "lm-slider-val"));
    panel.sliders.appendChild(row);
    return input;
  });
  syncSliders(panel, z);
}
function syncSliders(panel, z) {
  panel.inputs.forEach((input, d) => {
    const reach = Math.abs(z[d]);
    if (reach > +input.max || -reach < +input.min) Object.assign(input, { min: -reach, max: reach });
    input.value = z[d];
    input.nextSibling.textContent = num(z[d]);
  });
}
function figure(className, caption, size, pixels, note) {
  const fig = el("figure", className);
  if (pixels) {
    const canvas = digitCanvas("lm-img", size);
    paintDigit(canvas, pixels);
    fig.append(canvas);
  } else {
    fig.append(el("div", "lm-missing", note));
  }
  fig.append(el("figcaption", null, caption));
  return fig;
}
function tinyNote(onZoom) {
  const note = el("div", "lm-tiny", "Its 1\u03C3 and 2\u03C3 ellipses are smaller than a few pixels at this zoom. ");
  const button2 = el("button", "lm-zoom", "Zoom in on them");
  button2.type = "button";
  button2.addEventListener("click", onZoom);
  note.append(button2);
  return note;
}
var HINT = matchMedia("(pointer: coarse)").matches ? "Drag a finger to decode any z \xB7 tap a dot to inspect that digit \xB7 tap empty space to select a z \xB7 two fingers pan and zoom." : "Hover to decode any z \xB7 click a dot to inspect that digit \xB7 click empty space to select a z \xB7 arrow keys move z, Esc goes back to 0.";
function showSelection(panel, info, size, onZoom) {
  const box = panel.selected;
  box.textContent = "";
  if (!info || info.pending) return box.append(el("p", "lm-hint", info?.pending ?? HINT));
  const images = el("div", "lm-images"), numbers = el("div", "lm-numbers");
  images.append(
    figure("lm-original", "original x", size, info.original, info.originalNote),
    figure("lm-recon", "decoder(\u03BC)", size, info.recon)
  );
  numbers.append(
    el("div", "lm-mu", `\u03BC = ${vec(info.mu, 3)}`),
    el("div", "lm-sigma", info.sigma ? `\u03C3 = ${vec(info.sigma, 3)}` : "\u03C3: none (a plain autoencoder's code is a point)"),
    el("div", "lm-kl", info.klText),
    el("div", "lm-neighbours", info.neighbours)
  );
  box.append(el("h4", "lm-sel-title", info.title), images, numbers);
  if (info.tiny) box.append(tinyNote(onZoom));
}
function showRegion(panel, info, size, on) {
  const box = panel.region;
  box.textContent = "";
  if (!info) return;
  const parts = Object.entries(info.counts).map(([split, n]) => `${n.toLocaleString("en-US")} ${split}`);
  const head = el("div", "lm-section-head");
  head.append(el("h4", "lm-sel-title", `Selected region: ${info.count.toLocaleString("en-US")} points` + (parts.length > 1 ? ` (${parts.join(", ")})` : "")), button("lm-region-clear", "Clear", on.clear));
  box.append(head, el("div", "lm-region-labels", info.labels));
  const images = el("div", "lm-images lm-region-images");
  const originals = info.samples.map((s) => s.original);
  if (originals.some(Boolean)) images.append(tileGrid("lm-region-originals", "originals", size, originals));
  if (info.samples.some((s) => s.recon)) images.append(tileGrid("lm-region-recons", "decoder(\u03BC)", size, info.samples.map((s) => s.recon)));
  if (info.mean) images.append(figure("lm-region-mean", "decoder(mean \u03BC)", size, info.mean));
  const links = el("div", "lm-region-links");
  for (const [text, fill] of [["Download CSV (split, index, label, \u03BC, \u03C3)", on.csv], ["Download PNG", on.png]]) {
    const link = el("a", "lm-download", text);
    link.href = "#";
    link.addEventListener("click", () => fill(link));
    links.append(link);
  }
  box.append(images, el("div", "lm-numbers", `mean \u03BC = ${vec(info.meanMu, 3)}`), links);
}
function tileGrid(className, caption, size, images) {
  const fig = el("figure", className), grid = el("div", "lm-region-grid");
  for (const pixels of images) {
    const canvas = digitCanvas("lm-region-tile", size);
    if (pixels) paintDigit(canvas, pixels);
    else canvas.classList.add("lm-region-empty");
    grid.append(canvas);
  }
  fig.append(grid, el("figcaption", null, caption));
  return fig;
}
function contactSheet(grids, size, cols = 4, scale = 3, gap = 8) {
  const shown = grids.filter((images) => images.some(Boolean)), rows = Math.ceil((shown[0]?.length ?? 0) / cols);
  const sheet = document.createElement("canvas"), width = cols * size;
  sheet.width = Math.max(1, (shown.length * width + (shown.length - 1) * gap) * scale);
  sheet.height = Math.max(1, rows * size * scale);
  const ctx = sheet.getContext("2d"), tile = digitCanvas(null, size);
  ctx.imageSmoothingEnabled = false;
  shown.forEach((images, g) => images.forEach((pixels, i) => {
    if (!pixels) return;
    paintDigit(tile, pixels);
    const x = g * (width + gap) + i % cols * size, y = Math.floor(i / cols) * size;
    ctx.drawImage(tile, x * scale, y * scale, size * scale, size * scale);
  }));
  return sheet.toDataURL("image/png");
}
function showPath(panel, info, size, on) {
  const box = panel.path;
  box.textContent = "";
  if (!info) return box.append(button("lm-path-start", "Start a path here", on.start));
  const head = el("div", "lm-section-head");
  head.append(el("h4", "lm-sel-title", "Path"), button("lm-path-clear", "Clear", on.clear));
  box.append(head, el("div", "lm-path-ends", `${info.from} \u2192 ${info.to}`));
  if (!info.strips) return box.append(el("p", "lm-hint", "Now click or tap where it should end: a dot or empty space."));
  for (const [name, images] of info.strips) {
    const strip = el("div", `lm-path-strip lm-path-${name}`);
    strip.setAttribute("aria-label", `${name} path, decoded`);
    for (const pixels of images) {
      const canvas = digitCanvas("lm-path-tile", size);
      paintDigit(canvas, pixels);
      strip.append(canvas);
    }
    box.append(el("div", "lm-path-name", name), strip);
  }
  if (info.interpolate) box.append(button("lm-path-open", "Open in Interpolate", on.interpolate));
}

// ../../static/latent_map/dom.js
var NARROW_PX = 720;
var UNMOUNT_CHECK_MS = 1e3;
function cleanupOnceGone(parentElement, call, latest, takeDown) {
  return () => {
    const check = () => {
      if (call === latest() && !parentElement.isConnected) takeDown();
    };
    if (parentElement.isConnected) setTimeout(check, UNMOUNT_CHECK_MS);
    else check();
  };
}
function readStyle(el2) {
  const css = getComputedStyle(el2), v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v("--st-text-color", "#31333f"),
    font: v("--st-font", "sans-serif"),
    grid: v("--st-border-color-light", "rgba(128,128,128,0.15)"),
    axis: v("--st-border-color", "rgba(128,128,128,0.4)"),
    selected: v("--st-primary-color", "#ff4b4b"),
    background: v("--st-background-color", "#ffffff")
  };
}
function buildDom(parent, imageSize) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("app/static/latent_map/map.css", document.baseURI).href;
  const styled = new Promise((resolve) => {
    link.onload = link.onerror = resolve;
  });
  const root = document.createElement("div");
  root.className = "lm-root";
  const wrap = document.createElement("div");
  wrap.className = "lm-plot-wrap";
  const plot = document.createElement("div"), overlay = document.createElement("canvas");
  const cursor = document.createElement("canvas"), loading = document.createElement("div");
  const preview = document.createElement("canvas");
  plot.className = "lm-plot";
  overlay.className = "lm-overlay";
  cursor.className = "lm-cursor";
  loading.className = "lm-loading";
  preview.className = "lm-preview";
  cursor.width = cursor.height = imageSize;
  loading.textContent = "Loading the map\u2026";
  wrap.append(plot, preview, overlay, cursor, loading);
  const panel = buildPanel(imageSize), grid = document.createElement("div");
  grid.className = "lm-grid";
  grid.append(wrap, panel.root);
  root.append(grid);
  parent.append(link, root);
  return { link, styled, root, wrap, plot, preview, overlay, cursor, loading, panel };
}

// ../../static/latent_map/decoder.js
function makeDecoder(manifest, buffer, base) {
  const layers = manifest.layers.map((spec) => ({
    nIn: spec.in,
    nOut: spec.out,
    relu: spec.activation === "relu",
    W: new Float32Array(buffer, base + spec.weight_offset, spec.in * spec.out),
    b: new Float32Array(buffer, base + spec.bias_offset, spec.out)
  }));
  const latentDim = manifest.latent_dim, imageSize = manifest.image_size;
  const nPixels = imageSize * imageSize;
  const widest = Math.max(latentDim, ...layers.map((l) => l.nOut));
  let x = new Float64Array(widest), y = new Float64Array(widest);
  function decode(z, out = new Float32Array(nPixels)) {
    for (let i = 0; i < latentDim; i++) x[i] = +z[i] || 0;
    for (const { nIn, nOut, relu, W, b } of layers) {
      for (let o = 0; o < nOut; o++) {
        const row = o * nIn;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let i = 0;
        for (; i + 3 < nIn; i += 4) {
          s0 += W[row + i] * x[i];
          s1 += W[row + i + 1] * x[i + 1];
          s2 += W[row + i + 2] * x[i + 2];
          s3 += W[row + i + 3] * x[i + 3];
        }
        for (; i < nIn; i++) s0 += W[row + i] * x[i];
        const s = b[o] + (s0 + s1) + (s2 + s3);
        y[o] = relu && s < 0 ? 0 : s;
      }
      [x, y] = [y, x];
    }
    for (let p = 0; p < nPixels; p++) out[p] = 1 / (1 + Math.exp(-x[p]));
    return out;
  }
  return { decode, latentDim, imageSize, nPixels };
}

// ../../static/latent_map/onnx_decoder.js
var runtime = null;
function loadRuntime() {
  const folder = new URL("app/static/vendor/onnxruntime-web/", document.baseURI).href;
  runtime ??= import(folder + "ort.wasm.min.mjs").then((ort) => {
    ort.env.wasm.wasmPaths = folder;
    ort.env.wasm.numThreads = 1;
    return ort;
  });
  return runtime;
}
async function makeOnnxDecoder(spec, graph) {
  const ort = await loadRuntime();
  const session = await ort.InferenceSession.create(graph, { executionProviders: ["wasm"] });
  const [input] = session.inputNames, [output] = session.outputNames;
  const latentDim = spec.latent_dim, imageSize = spec.image_size, nPixels = imageSize * imageSize;
  const logits = spec.output === "logits";
  let queue = Promise.resolve(), latest = 0;
  async function run(z) {
    const codes = new Float32Array(latentDim);
    for (let i = 0; i < latentDim; i++) codes[i] = +z[i] || 0;
    const result = await session.run({ [input]: new ort.Tensor("float32", codes, [1, latentDim]) });
    const values = result[output].data, pixels = new Float32Array(nPixels);
    for (let p = 0; p < nPixels; p++) pixels[p] = logits ? 1 / (1 + Math.exp(-values[p])) : values[p];
    return pixels;
  }
  const decodeAsync = (z) => queue = queue.then(() => run(z), () => run(z));
  function decodeLatest(z) {
    const ticket = ++latest;
    const step = () => ticket === latest ? run(z) : null;
    return queue = queue.then(step, step);
  }
  return { isAsync: true, decodeAsync, decodeLatest, latentDim, imageSize, nPixels };
}

// ../../static/latent_map/payload.js
var MAGIC = "LEX2";
var KEEP = 6;
var payloads = /* @__PURE__ */ new Map();
var waiters = /* @__PURE__ */ new Map();
var ARRAY_TYPES = { "<f4": Float32Array, "|u1": Uint8Array };
function parsePayload(bytes) {
  const buffer = bytes.slice().buffer;
  const text = new TextDecoder();
  const magic = text.decode(new Uint8Array(buffer, 0, 4));
  if (magic !== MAGIC) throw new Error(`latent map: bad payload magic ${magic}`);
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(text.decode(new Uint8Array(buffer, 8, headerLength)));
  const section = (name) => {
    const s = header.sections[name];
    if (!s) return null;
    const Type = ARRAY_TYPES[s.dtype];
    if (!Type) return new Uint8Array(buffer, s.offset, s.shape[0]);
    return new Type(buffer, s.offset, s.shape.reduce((a, b) => a * b, 1));
  };
  const mu = section("mu");
  const [n, dim] = header.sections.mu.shape;
  const points = {
    n,
    dim,
    mu,
    logvar: section("logvar"),
    labels: section("labels"),
    layout: section("umap"),
    stored: { recon: section("recon_error"), confidence: section("label_confidence") }
  };
  const parsed = { key: header.key, modelName: header.model_name, points };
  if (header.kind === "model" && header.decoder.format === "onnx") {
    parsed.decoderSpec = [header.decoder, section("decoder")];
  } else if (header.kind === "model") {
    parsed.decoder = makeDecoder(header.decoder, buffer, header.sections.decoder.offset);
  }
  return parsed;
}
var building = /* @__PURE__ */ new Set();
async function storePayload(bytes) {
  const parsed = parsePayload(bytes);
  if (payloads.has(parsed.key) || building.has(parsed.key)) return;
  if (parsed.decoderSpec) {
    building.add(parsed.key);
    try {
      parsed.decoder = await makeOnnxDecoder(...parsed.decoderSpec);
    } catch (err) {
      parsed.error = `this model's decoder could not run in your browser (${err?.message ?? err})`;
    } finally {
      building.delete(parsed.key);
    }
  }
  if (!payloads.has(parsed.key)) {
    payloads.set(parsed.key, parsed);
    while (payloads.size > KEEP) payloads.delete(payloads.keys().next().value);
  }
  for (const resolve of waiters.get(parsed.key) ?? []) resolve(payloads.get(parsed.key));
  waiters.delete(parsed.key);
}
function whenPayload(key) {
  if (payloads.has(key)) return Promise.resolve(payloads.get(key));
  return new Promise((resolve) => waiters.set(key, [...waiters.get(key) ?? [], resolve]));
}
var hasPayload = (key) => payloads.has(key) || building.has(key);

// ../../static/latent_map/projection.js
function makeProjection(given, dim) {
  const unit = (k) => Float64Array.from({ length: dim }, (_, j) => j === k ? 1 : 0);
  const center = Float64Array.from(given?.center ?? new Array(dim).fill(0));
  const [a, b] = given?.axes ? given.axes.map((axis) => Float64Array.from(axis)) : [unit(0), unit(1)];
  const planes = /* @__PURE__ */ new WeakMap();
  const toPlane = (z) => {
    let x = 0, y = 0;
    for (let j = 0; j < dim; j++) {
      const d = z[j] - center[j];
      x += d * a[j];
      y += d * b[j];
    }
    return [x, y];
  };
  return {
    titles: given?.titles ?? ["z\u2081", "z\u2082"],
    toPlane,
    /** The z on the plane at [x, y], written into `out` (D). */
    lift(x, y, out) {
      for (let j = 0; j < dim; j++) out[j] = center[j] + x * a[j] + y * b[j];
      return out;
    },
    /** Plane coordinates of every point of a split, computed once: x of row r at 2r, y at 2r + 1. */
    plane(points) {
      if (!planes.has(points)) {
        const xy = new Float32Array(2 * points.n);
        for (let r = 0; r < points.n; r++) {
          const [x, y] = toPlane(points.mu.subarray(r * dim, (r + 1) * dim));
          xy[2 * r] = x;
          xy[2 * r + 1] = y;
        }
        planes.set(points, xy);
      }
      return planes.get(points);
    },
    /**
     * The shadow on the plane of N(mu, diag(sigma^2)): the projected covariance
     * C = A diag(sigma^2) A^T (2 x 2), as the 1-sigma ellipse {x, y, rx, ry, angle}.
     */
    ellipse(mu, sigma) {
      let cxx = 0, cxy = 0, cyy = 0;
      for (let j = 0; j < dim; j++) {
        const v = sigma[j] * sigma[j];
        cxx += a[j] * a[j] * v;
        cxy += a[j] * b[j] * v;
        cyy += b[j] * b[j] * v;
      }
      const mean = (cxx + cyy) / 2, spread2 = Math.hypot((cxx - cyy) / 2, cxy);
      const [x, y] = toPlane(mu);
      return {
        x,
        y,
        rx: Math.sqrt(mean + spread2),
        ry: Math.sqrt(Math.max(mean - spread2, 0)),
        angle: 0.5 * Math.atan2(2 * cxy, cxx - cyy)
      };
    }
  };
}

// ../../static/latent_map/plot.js
var COLORS = [
  // "tab10", as the Python pages use (explorer_ui/plots.py)
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf"
];
var PLOTLY_URL = "app/static/vendor/plotly-gl2d-3.7.0.min.js";
var plotlyLoading = null;
function fetchPlotly() {
  const href = new URL(PLOTLY_URL, document.baseURI).href;
  if (window.Plotly || document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(Object.assign(document.createElement("link"), { rel: "preload", as: "script", href }));
}
function loadPlotly() {
  plotlyLoading ??= new Promise((resolve, reject) => {
    if (window.Plotly) return resolve(window.Plotly);
    const script = document.createElement("script");
    script.src = new URL(PLOTLY_URL, document.baseURI).href;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error(`could not load ${PLOTLY_URL}`));
    document.head.appendChild(script);
  });
  return plotlyLoading;
}
function splitTraces(points, split, names, proj) {
  const train = split === "train", traces = [], xy = proj.plane(points), flat = points.dim === 2;
  const byLabel = Array.from({ length: 10 }, () => []);
  for (let r = 0; r < points.n; r++) byLabel[points.labels[r] % 10].push(r);
  const sigmaLine = points.logvar && flat ? "<br>\u03C3 = (%{customdata[1]:.3f}, %{customdata[2]:.3f})" : "";
  const muLine = proj.isLayout ? `UMAP (%{x:.2f}, %{y:.2f}) of \u03BC in ${points.dim} dims` : flat ? "\u03BC = (%{x:.2f}, %{y:.2f})" : `\u03BC on the plane = (%{x:.2f}, %{y:.2f}) of ${points.dim} dims`;
  byLabel.forEach((rows, label) => {
    const x = new Float32Array(rows.length), y = new Float32Array(rows.length);
    const customdata = rows.map((r, i) => {
      x[i] = xy[2 * r];
      y[i] = xy[2 * r + 1];
      if (!points.logvar || !flat) return [r];
      const lv = points.logvar;
      return [r, Math.exp(0.5 * lv[r * points.dim]), Math.exp(0.5 * lv[r * points.dim + 1])];
    });
    traces.push({
      type: "scattergl",
      mode: "markers",
      x,
      y,
      customdata,
      name: names[label],
      legendgroup: String(label),
      showlegend: !train,
      meta: { split, label, rows: Int32Array.from(rows) },
      marker: { color: COLORS[label], size: train ? 2.5 : 4, opacity: train ? 0.35 : 0.7 },
      unselected: { marker: { opacity: 0.08 } },
      // outside a region: faint on a light or a dark page
      hovertemplate: `${train ? "training" : "test"} #%{customdata[0]} \xB7 ${names[label]}<br>${muLine}${sigmaLine}<extra></extra>`
    });
  });
  return traces;
}
function layout(extent, style, titles, narrow) {
  const [x0, x1, y0, y1] = extent;
  const legend = narrow ? { orientation: "h", x: 0, xanchor: "left", y: 0, yref: "container", yanchor: "bottom" } : { orientation: "v", x: 1.01, y: 1, yanchor: "top" };
  return {
    margin: { l: 48, r: 8, t: 28, b: narrow ? 100 : 40 },
    // narrow: two rows of legend under the axis title
    dragmode: "zoom",
    hovermode: "closest",
    uirevision: "keep",
    newselection: { line: { color: style.text, width: 1.5, dash: "dot" } },
    // the region's outline, light or dark
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: style.font, color: style.text, size: 12 },
    xaxis: { title: { text: titles[0] }, range: [x0, x1], zeroline: true, gridcolor: style.grid, zerolinecolor: style.axis },
    yaxis: {
      title: { text: titles[1] },
      range: [y0, y1],
      zeroline: true,
      gridcolor: style.grid,
      zerolinecolor: style.axis,
      scaleanchor: "x",
      scaleratio: 1
    },
    legend: { ...legend, itemclick: "toggle", itemdoubleclick: "toggleothers", itemsizing: "constant", font: { size: 12 } },
    showlegend: true
  };
}
var CONFIG = {
  scrollZoom: true,
  displaylogo: false,
  responsive: true,
  doubleClick: "reset",
  modeBarButtonsToRemove: ["autoScale2d"]
  // box and lasso select a region (region.js)
};
function axes(gd) {
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  return {
    left: xa._offset,
    top: ya._offset,
    width: xa._length,
    height: ya._length,
    toPx: (zx, zy) => [xa.l2p(zx), ya.l2p(zy)],
    // relative to the plot area
    toZ: (px, py) => [xa.p2l(px), ya.p2l(py)],
    pxPerUnit: Math.abs(xa._m)
  };
}
function drawOverlay(ctx, ax, state, style) {
  ctx.clearRect(0, 0, ax.width, ax.height);
  const [sx, sy] = ax.toPx(state.zxy[0], state.zxy[1]);
  ctx.save();
  if (state.ellipse) strokeEllipses(ctx, ax, state.ellipse, style.text);
  ctx.strokeStyle = style.selected;
  ctx.setLineDash([4, 4]);
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.45;
  ctx.beginPath();
  ctx.moveTo(sx, 0);
  ctx.lineTo(sx, ax.height);
  ctx.moveTo(0, sy);
  ctx.lineTo(ax.width, sy);
  ctx.stroke();
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  ctx.arc(sx, sy, 7, 0, 2 * Math.PI);
  ctx.stroke();
  if (state.pointer) {
    const [px, py] = state.pointer;
    ctx.strokeStyle = style.text;
    ctx.globalAlpha = 0.3;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px, 0);
    ctx.lineTo(px, ax.height);
    ctx.moveTo(0, py);
    ctx.lineTo(ax.width, py);
    ctx.stroke();
  }
  ctx.restore();
}
function strokeEllipses(ctx, ax, e, colour) {
  const [ex, ey] = ax.toPx(e.x, e.y);
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  for (const [k, dash] of [[1, []], [2, [5, 4]]]) {
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.ellipse(ex, ey, k * e.rx * ax.pxPerUnit, k * e.ry * ax.pxPerUnit, -e.angle, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
}
var PATH_COLOURS = { spherical: "#d62728" };
function strokePaths(ctx, ax, lines, proj, style) {
  ctx.save();
  for (const [name, zs] of Object.entries(lines)) {
    const px = zs.map((z) => ax.toPx(...proj.toPlane(z)));
    ctx.strokeStyle = ctx.fillStyle = PATH_COLOURS[name] ?? style.text;
    ctx.lineWidth = 2;
    ctx.setLineDash(name === "linear" ? [] : [6, 4]);
    ctx.beginPath();
    px.forEach(([x, y], i) => i ? ctx.lineTo(x, y) : ctx.moveTo(x, y));
    ctx.stroke();
    for (const [x, y] of px) {
      ctx.beginPath();
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
}
function fitCanvas(canvas, ax) {
  const dpr = window.devicePixelRatio || 1;
  Object.assign(canvas.style, { left: `${ax.left}px`, top: `${ax.top}px`, width: `${ax.width}px`, height: `${ax.height}px` });
  canvas.width = Math.round(ax.width * dpr);
  canvas.height = Math.round(ax.height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}
var NEAR_PX = 8;
var CURSOR_PX = 64;
function cursorAt(ax, [px, py], finger) {
  const gap = finger ? 48 : 16, flipX = px - 16 - CURSOR_PX < 0;
  const below = finger ? py - gap - CURSOR_PX < 0 : py + gap + CURSOR_PX <= ax.height;
  return `translate(${ax.left + (flipX ? px + 16 : px - 16 - CURSOR_PX)}px, ${ax.top + (below ? py + gap : py - gap - CURSOR_PX)}px)`;
}
function pointAt(traces, ax, sets, proj, px, py, radius) {
  const [zx, zy] = ax.toZ(px, py), s = ax.pxPerUnit;
  let best = null, bestD = (radius / s) ** 2;
  for (const trace of traces) {
    if ((trace.visible ?? true) !== true || !trace.meta?.rows) continue;
    const points = sets[trace.meta.split];
    if (!points) continue;
    const xy = proj.plane(points);
    for (const r of trace.meta.rows) {
      const dx = xy[2 * r] - zx, dy = xy[2 * r + 1] - zy, d = dx * dx + dy * dy;
      if (d < bestD) {
        bestD = d;
        best = { split: trace.meta.split, index: r };
      }
    }
  }
  return best;
}
async function markRows(gd, rows, xy, style) {
  const old = gd.data.findIndex((t) => t.meta?.found);
  if (old >= 0) await window.Plotly.deleteTraces(gd, old);
  if (!rows.length) return;
  const x = Float32Array.from(rows, (r) => xy[2 * r]), y = Float32Array.from(rows, (r) => xy[2 * r + 1]);
  await window.Plotly.addTraces(gd, {
    type: "scattergl",
    mode: "markers",
    x,
    y,
    name: "found",
    showlegend: false,
    hoverinfo: "skip",
    meta: { found: true },
    marker: { symbol: "circle-open", size: 7, color: style.text, opacity: 0.75, line: { width: 1 } }
  });
}
var NO_MEASURE = "rgba(128, 128, 128, 0.5)";
function colourPoints(gd, values, [low, high] = [0, 1], title = "", narrow = false) {
  const idx = [], colours = [], scale = [];
  gd.data.forEach((t, i) => {
    if (!t.meta?.rows) return;
    idx.push(i);
    const v = values?.[t.meta.split];
    colours.push(v ? Float32Array.from(t.meta.rows, (r) => v[r]) : values ? NO_MEASURE : COLORS[t.meta.label]);
    scale.push(!!v && scale.every((shown) => !shown));
  });
  const bar = narrow ? { orientation: "h", x: 0, xanchor: "left", y: 0, yref: "container", yanchor: "bottom", len: 1 } : { x: 1.02, len: 1 };
  return window.Plotly.restyle(gd, {
    "marker.color": colours,
    "marker.colorscale": "Viridis",
    "marker.cmin": low,
    "marker.cmax": high,
    "marker.showscale": scale,
    "marker.colorbar": { ...bar, thickness: 12, title: { text: title, side: narrow ? "top" : "right" } }
  }, idx).then(() => window.Plotly.relayout(gd, { showlegend: !values }));
}

// ../../static/latent_map/stats.js
function klOf(points, k) {
  if (!points.logvar) return Infinity;
  let kl = 0;
  for (let d = 0, i = k * points.dim; d < points.dim; d++, i++) {
    const m = points.mu[i], lv = points.logvar[i];
    kl += m * m + Math.exp(lv) - 1 - lv;
  }
  return 0.5 * kl;
}
function sortedKl(points) {
  if (!points.logvar) return null;
  const kl = new Float64Array(points.n);
  for (let k = 0; k < points.n; k++) kl[k] = klOf(points, k);
  return kl.sort();
}
var median = (sorted) => sorted[sorted.length >> 1];
function percentile(sorted, value) {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = lo + hi >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return 100 * lo / sorted.length;
}
function nearestRows(points, z, k, skip = -1) {
  const best = [], dim = points.dim, mu = points.mu;
  for (let r = 0; r < points.n; r++) {
    if (r === skip) continue;
    let d2 = 0;
    for (let d = 0; d < dim; d++) {
      const t = mu[r * dim + d] - z[d];
      d2 += t * t;
    }
    if (best.length < k || d2 < best[best.length - 1][0]) {
      best.push([d2, r]);
      best.sort((a, b) => a[0] - b[0]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([, r]) => r);
}
function labelCounts(points, rows, names) {
  const counts = /* @__PURE__ */ new Map();
  for (const r of rows) counts.set(points.labels[r], (counts.get(points.labels[r]) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${names[label] ?? label} \xD7${n}`).join(", ");
}
function posteriorOf(points, k) {
  const dim = points.dim, mu = Array.from(points.mu.subarray(k * dim, (k + 1) * dim));
  const sigma = points.logvar ? Array.from(points.logvar.subarray(k * dim, (k + 1) * dim), (lv) => Math.exp(0.5 * lv)) : null;
  return { mu, sigma };
}

// ../../static/latent_map/selection.js
var STATE = /* @__PURE__ */ new Map();
var NEIGHBOURS = 15;
function stateFor(data, test) {
  if (STATE.has(data.model_name)) return [STATE.get(data.model_name), true];
  const init = data.initial ?? {};
  const state = { z: new Float64Array(test.dim), selected: null, showTrain: false, zFromTrain: false };
  const given = Array.isArray(init.z) && init.z.length === test.dim;
  if (init.split && Number.isInteger(init.index)) {
    state.selected = { split: init.split, index: init.index };
    state.showTrain = init.split === "train";
    if (init.split === "test") state.z = Float64Array.from(posteriorOf(test, init.index).mu);
    else state.zFromTrain = !given;
  }
  if (given) state.z = Float64Array.from(init.z);
  STATE.set(data.model_name, state);
  return [state, false];
}
var wantsTrain = (data) => STATE.get(data.model_name)?.showTrain ?? data.initial?.split === "train";
var selKey = (sel) => sel ? `${sel.split}:${sel.index}` : "";
function selectionInfo({ sel, sets, decoder, names, labelWord, itemWord, klSorted, original }) {
  const points = sets[sel.split];
  if (!points) return { pending: `Training digit #${sel.index}: loading the training means\u2026` };
  const { mu, sigma } = posteriorOf(points, sel.index), kl = klOf(points, sel.index), test = sets.test;
  const near = nearestRows(test, mu, NEIGHBOURS, sel.split === "test" ? sel.index : -1);
  return {
    title: `${sel.split === "test" ? "Test" : "Training"} ${itemWord} #${sel.index} \xB7 ${labelWord} ${names[points.labels[sel.index]]}`,
    original: original?.pixels,
    originalNote: original?.note ?? "loading\u2026",
    ...decoder.isAsync ? { recon: new Float32Array(decoder.nPixels).fill(0), reconLater: decoder.decodeAsync(mu) } : { recon: decoder.decode(mu) },
    mu,
    sigma,
    klText: Number.isFinite(kl) ? `KL(q(z|x) \u2016 N(0, I)) = ${kl.toFixed(2)} nats (test median ${median(klSorted).toFixed(2)}; percentile ${percentile(klSorted, kl).toFixed(0)})` : "KL(q(z|x) \u2016 N(0, I)) = \u221E (a point mass)",
    neighbours: `${NEIGHBOURS} nearest test means: ${labelCounts(test, near, names)}`
  };
}
var TINY_PX = 4;
var isTiny = (e, pxPerUnit) => !!e && !!pxPerUnit && Math.min(e.rx, e.ry) * 2 * pxPerUnit < TINY_PX;

// ../../static/latent_map/mouse.js
function listenMouse(wrap, view, touchedLately) {
  let downAt = null, beforeClick = null;
  wrap.addEventListener("pointermove", (e) => {
    if (!view.ax || e.pointerType === "touch") return;
    const p = view.plotPx(e);
    if (p) view.explore(p, e.timeStamp);
    else if (view.pointer) view.release();
  });
  wrap.addEventListener("pointerleave", () => view.release());
  wrap.addEventListener("pointerdown", (e) => {
    downAt = [e.clientX, e.clientY];
  }, { capture: true });
  wrap.addEventListener("click", (e) => {
    const again = beforeClick && Math.hypot(e.clientX - beforeClick.x, e.clientY - beforeClick.y) <= NEAR_PX;
    if (e.detail === 2 && again) {
      view.restore(beforeClick.state, "double-click");
      beforeClick = null;
      return;
    }
    if (!view.ax || e.button !== 0 || e.detail > 2 && again || !downAt || touchedLately()) return;
    if (Math.hypot(e.clientX - downAt[0], e.clientY - downAt[1]) > 4) return;
    const p = view.plotPx(e);
    if (!p) return;
    beforeClick = { state: view.snapshot(), x: e.clientX, y: e.clientY };
    view.pick(p, NEAR_PX, "click");
  }, { capture: true });
}

// ../../static/latent_map/touch.js
var TAP_PX = 10;
var TAP_MS = 500;
function listenTouch(wrap, view) {
  const fingers = /* @__PURE__ */ new Map();
  let tap = null, pinch = null, lastTouch = -Infinity;
  const mine = (e) => view.ax && !e.target.closest?.(".modebar-container, .legend") && view.plotPx(e);
  let owned = false;
  for (const type of ["touchstart", "touchmove", "touchend", "touchcancel"]) {
    wrap.addEventListener(type, (e) => {
      if (type === "touchstart" && !owned && ![...e.changedTouches].some((t) => mine(t))) return;
      if (!owned && type !== "touchstart") return;
      owned = e.touches.length > 0;
      e.stopPropagation();
      if (e.cancelable) e.preventDefault();
    }, { capture: true, passive: false });
  }
  wrap.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "touch" || !mine(e)) return;
    lastTouch = performance.now();
    fingers.set(e.pointerId, [e.clientX, e.clientY]);
    if (fingers.size === 1) {
      tap = { x: e.clientX, y: e.clientY, t: e.timeStamp };
      view.explore(view.plotPx(e), e.timeStamp, true);
    } else if (fingers.size === 2) {
      tap = null;
      view.release();
      pinch = startPinch(fingers, view);
    }
  }, { capture: true });
  wrap.addEventListener("pointermove", (e) => {
    if (e.pointerType !== "touch" || !fingers.has(e.pointerId)) return;
    e.stopImmediatePropagation();
    lastTouch = performance.now();
    fingers.set(e.pointerId, [e.clientX, e.clientY]);
    if (pinch) return pinch.move(fingers);
    if (tap && Math.hypot(e.clientX - tap.x, e.clientY - tap.y) > TAP_PX) tap = null;
    const p = view.plotPx(e);
    if (p) view.explore(p, e.timeStamp, true);
  }, { capture: true });
  const lift = (e) => {
    if (e.pointerType !== "touch" || !fingers.has(e.pointerId)) return;
    lastTouch = performance.now();
    fingers.delete(e.pointerId);
    if (fingers.size) return;
    const p = e.type === "pointerup" && tap && e.timeStamp - tap.t <= TAP_MS ? view.plotPx(e) : null;
    tap = pinch = null;
    if (p) view.pick(p, 2 * NEAR_PX, "tap");
    else view.release();
  };
  wrap.addEventListener("pointerup", lift, { capture: true });
  wrap.addEventListener("pointercancel", lift, { capture: true });
  return () => performance.now() - lastTouch < 1e3;
}
function startPinch(fingers, view) {
  const [m0, d0] = spread(fingers), gesture = zoomGesture(view, m0);
  let frame = 0, latest = null;
  return {
    move(now) {
      latest = spread(now);
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        gesture.apply(...latest, d0);
      });
    }
  };
}
function zoomGesture(view, m0) {
  const ax = view.ax, plot = view.dom.plot, r = plot.getBoundingClientRect();
  const area = ([x, y]) => [x - r.left - ax.left, y - r.top - ax.top];
  const ranges = [[...plot._fullLayout.xaxis.range], [...plot._fullLayout.yaxis.range]], anchor = ax.toZ(...area(m0));
  return { apply: (m, d, d0) => {
    const [x, y] = pinchRanges(ranges, [ax.width, ax.height], anchor, area(m), d, d0);
    window.Plotly.relayout(plot, { "xaxis.range": x, "yaxis.range": y });
  } };
}
function spread(fingers) {
  const [[ax, ay], [bx, by]] = [...fingers.values()];
  return [[(ax + bx) / 2, (ay + by) / 2], Math.max(Math.hypot(ax - bx, ay - by), 1)];
}
function pinchRanges(ranges, size, anchor, m, d, d0) {
  const scale = d0 / d, [[x0, x1], [y0, y1]] = ranges;
  const w = (x1 - x0) * scale, h = (y1 - y0) * scale;
  const left = anchor[0] - m[0] / size[0] * w, top = anchor[1] + m[1] / size[1] * h;
  return [[left, left + w], [top - h, top]];
}

// ../../static/latent_map/keys.js
var STEP = 0.02;
var BIG_STEP = 0.1;
var MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
function listenKeys(wrap, view) {
  wrap.tabIndex = 0;
  wrap.setAttribute("aria-label", "Latent map: arrow keys move z, Escape goes back to z = 0");
  wrap.addEventListener("pointerdown", () => wrap.focus({ preventScroll: true }));
  let moved = false;
  wrap.addEventListener("keydown", (e) => {
    if (!view.ax) return;
    const move = MOVES[e.key];
    if (move) {
      e.preventDefault();
      const step = (e.shiftKey ? BIG_STEP : STEP) * (view.ax.width / view.ax.pxPerUnit);
      view.nudge(move[0] * step, move[1] * step, e.timeStamp);
      moved = true;
    } else if (e.key === "Escape") {
      view.clear();
    }
  });
  wrap.addEventListener("keyup", () => {
    if (moved) view.commit("key");
    moved = false;
  });
}
var KEYS = {
  /** Move z by (dx, dy) along the map's plane (a key): the other dimensions of a D > 2 model stay. */
  nudge(dx, dy, eventTime) {
    if (this.proj.isLayout) return;
    const dim = this.state.z.length, there = this.proj.lift(dx, dy, new Float64Array(dim));
    const origin = this.proj.lift(0, 0, new Float64Array(dim));
    for (let j = 0; j < dim; j++) this.state.z[j] += there[j] - origin[j];
    this.state.selected = null;
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.dom.panel.mode.textContent = "keys";
    this.render(this.state.z, eventTime);
  }
};

// ../../static/latent_map/colour.js
var MEASURES = {
  label: "label",
  kl: "KL(q(z|x) \u2016 N(0, I)), nats",
  sigma: "\u03C3, mean over dimensions",
  recon: "recon. error \u2212log p(x|\u03BC), nats",
  confidence: "classifier P(label | decoder(\u03BC))"
};
var BAR_TITLES = { kl: "KL (nats)", sigma: "mean \u03C3", recon: "recon. (nats)", confidence: "P(label)" };
var STORED = /* @__PURE__ */ new Set(["recon", "confidence"]);
var measuresFor = (points) => Object.keys(MEASURES).filter((kind) => kind === "label" || (STORED.has(kind) ? !!points.stored?.[kind] : !!points.logvar));
var measured = /* @__PURE__ */ new WeakMap();
function measureOf(points, kind) {
  if (STORED.has(kind)) return points.stored?.[kind] ?? null;
  if (!points.logvar) return null;
  if (!measured.has(points)) measured.set(points, {});
  return measured.get(points)[kind] ??= computeMeasure(points, kind);
}
function computeMeasure(points, kind) {
  const values = new Float64Array(points.n), dim = points.dim;
  for (let r = 0; r < points.n; r++) {
    if (kind === "kl") values[r] = klOf(points, r);
    else {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += Math.exp(0.5 * points.logvar[r * dim + d]);
      values[r] = sum / dim;
    }
  }
  return values;
}
function colourRange(values) {
  const sorted = Float64Array.from(values).sort(), at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const low = at(0.01), high = at(0.99);
  return high > low ? [low, high] : [low, low + 1];
}

// ../../static/latent_map/path.js
var PATH_STEPS = 8;
function lerp(z0, z1, steps = PATH_STEPS) {
  return Array.from({ length: steps }, (_, i) => {
    const t = i / (steps - 1);
    return Float64Array.from(z0, (a, j) => (1 - t) * a + t * z1[j]);
  });
}
var norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
function slerp(z0, z1, steps = PATH_STEPS) {
  const r0 = norm(z0), r1 = norm(z1);
  if (r0 < 1e-12 || r1 < 1e-12) return lerp(z0, z1, steps);
  const u0 = Float64Array.from(z0, (x) => x / r0), u1 = Float64Array.from(z1, (x) => x / r1);
  const omega = Math.acos(Math.min(1, Math.max(-1, u0.reduce((s, x, j) => s + x * u1[j], 0))));
  let other = u1;
  if (Math.PI - omega < 1e-6) {
    const k = u0.reduce((best, x, j) => Math.abs(x) < Math.abs(u0[best]) ? j : best, 0);
    const v = Float64Array.from(u0, (x, j) => (j === k ? 1 : 0) - u0[k] * x), length = norm(v);
    other = v.map((x) => x / length);
  }
  return Array.from({ length: steps }, (_, i) => {
    const t = i / (steps - 1);
    let dir;
    if (omega < 1e-6) dir = Float64Array.from(u0, (x, j) => (1 - t) * x + t * u1[j]);
    else if (other !== u1) dir = Float64Array.from(u0, (x, j) => Math.cos(t * omega) * x + Math.sin(t * omega) * other[j]);
    else dir = Float64Array.from(u0, (x, j) => (Math.sin((1 - t) * omega) * x + Math.sin(t * omega) * u1[j]) / Math.sin(omega));
    const scale = ((1 - t) * r0 + t * r1) / norm(dir);
    return dir.map((x) => x * scale);
  });
}

// ../../static/latent_map/umap.js
function makeUmapProjection(points) {
  const { n, dim, mu, layout: layout2 } = points;
  const placed = /* @__PURE__ */ new Map();
  return {
    titles: ["UMAP 1", "UMAP 2"],
    isLayout: true,
    toPlane(z) {
      const key = Array.prototype.join.call(z, ",");
      if (!placed.has(key)) {
        const [r] = nearestRows(points, z, 1);
        if (placed.size >= 64) placed.delete(placed.keys().next().value);
        placed.set(key, [layout2[2 * r], layout2[2 * r + 1]]);
      }
      return placed.get(key);
    },
    /** The mean (D) of the test digit drawn nearest to layout point [x, y], written into `out`. */
    lift(x, y, out) {
      let best = 0, bestD = Infinity;
      for (let r = 0; r < n; r++) {
        const dx = layout2[2 * r] - x, dy = layout2[2 * r + 1] - y, d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = r;
        }
      }
      for (let j = 0; j < dim; j++) out[j] = mu[best * dim + j];
      return out;
    },
    plane: (p) => p === points ? layout2 : null,
    ellipse: () => null
    // a posterior has no shape in the layout
  };
}
function layoutExtent(layout2, margin = 0.06) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < layout2.length; i += 2) {
    x0 = Math.min(x0, layout2[i]);
    x1 = Math.max(x1, layout2[i]);
    y0 = Math.min(y0, layout2[i + 1]);
    y1 = Math.max(y1, layout2[i + 1]);
  }
  const mx = margin * (x1 - x0), my = margin * (y1 - y0);
  return [x0 - mx, x1 + mx, y0 - my, y1 + my];
}

// ../../static/latent_map/region.js
function regionRows(traces, event) {
  const picked = [], seen = /* @__PURE__ */ new Set();
  for (const point of event?.points ?? []) {
    const meta = traces[point.curveNumber]?.meta;
    const index = meta?.rows?.[point.pointIndex ?? point.pointNumber];
    if (index === void 0 || seen.has(`${meta.split}:${index}`)) continue;
    seen.add(`${meta.split}:${index}`);
    picked.push({ split: meta.split, index });
  }
  return picked;
}
function summarize(sets, picked, names) {
  const dim = sets.test.dim, meanMu = new Float64Array(dim), counts = {}, labels = [];
  for (const { split, index } of picked) {
    const points = sets[split];
    counts[split] = (counts[split] ?? 0) + 1;
    labels.push(points.labels[index]);
    for (let d = 0; d < dim; d++) meanMu[d] += points.mu[index * dim + d];
  }
  for (let d = 0; d < dim; d++) meanMu[d] /= Math.max(picked.length, 1);
  const asPoints = { labels };
  return { count: picked.length, counts, labels: labelCounts(asPoints, labels.map((_, i) => i), names), meanMu };
}
function regionCsv(sets, picked, names) {
  const dim = sets.test.dim, range = Array.from({ length: dim }, (_, d) => d + 1);
  const lines = [["split", "index", "label", ...range.map((d) => `mu${d}`), ...range.map((d) => `sigma${d}`)].join(",")];
  for (const { split, index } of picked) {
    const points = sets[split], at = index * dim;
    const mu = range.map((_, d) => points.mu[at + d]);
    const sigma = range.map((_, d) => points.logvar ? Math.exp(0.5 * points.logvar[at + d]) : "");
    lines.push([split, index, JSON.stringify(String(names[points.labels[index]])), ...mu, ...sigma].join(","));
  }
  return lines.join("\n") + "\n";
}
var MAX_SHAPES = 8;
var MAX_VERTICES = 64;
var MAX_CHARS = 4e3;
var short = (v) => {
  const t = v.toFixed(3).replace(/\.?0+$/, "");
  return t === "-0" || t === "" ? "0" : t;
};
var pathPoints = (path) => path.replace(/[MZ]/g, "").split("L").map((p) => p.split(",").map(Number));
function regionText(selections) {
  const shapes = (selections ?? []).slice(-MAX_SHAPES).flatMap((s) => {
    if (s.type === "rect") return [`r:${[s.x0, s.x1, s.y0, s.y1].map(short).join(",")}`];
    if (s.type !== "path" || !s.path) return [];
    const points = pathPoints(s.path), keep = Math.min(points.length, MAX_VERTICES);
    const kept = Array.from({ length: keep }, (_, i) => points[Math.floor(i * points.length / keep)]);
    return kept.length >= 3 ? [`p:${kept.map(([x, y]) => `${short(x)},${short(y)}`).join(";")}`] : [];
  });
  while (shapes.join("|").length > MAX_CHARS) shapes.shift();
  return shapes.join("|");
}
function parseRegion(text) {
  if (!text) return [];
  return text.split("|").map((part) => {
    const [kind, body] = [part[0], part.slice(2)];
    if (kind === "r") {
      const [x0, x1, y0, y1] = body.split(",").map(Number);
      return { type: "rect", x0, x1, y0, y1 };
    }
    return { type: "path", points: body.split(";").map((p) => p.split(",").map(Number)) };
  });
}
var plotlySelections = (shapes, colour = "#888") => shapes.map((s) => ({
  ...s.type === "rect" ? { type: "rect", x0: s.x0, x1: s.x1, y0: s.y0, y1: s.y1 } : { type: "path", path: `M${s.points.map((p) => p.join(",")).join("L")}Z` },
  xref: "x",
  yref: "y",
  line: { color: colour, width: 1.5, dash: "dot" }
}));
function inside(x, y, s) {
  if (s.type === "rect") return x >= Math.min(s.x0, s.x1) && x <= Math.max(s.x0, s.x1) && y >= Math.min(s.y0, s.y1) && y <= Math.max(s.y0, s.y1);
  let hit = false;
  for (let i = 0, j = s.points.length - 1; i < s.points.length; j = i++) {
    const [xi, yi] = s.points[i], [xj, yj] = s.points[j];
    if (yi > y !== yj > y && x < (xj - xi) * (y - yi) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}
function rowsInside(xy, shapes) {
  const rows = [];
  for (let r = 0; r < xy.length / 2; r++) if (shapes.some((s) => inside(xy[2 * r], xy[2 * r + 1], s))) rows.push(r);
  return rows;
}

// ../../static/latent_map/search.js
var count = (n) => n.toLocaleString("en-US");
function findRows(query, { n, labels }, names, misplaced, itemWord = "digit") {
  const q = String(query ?? "").trim();
  if (!q) return { kind: "clear", rows: [], text: "" };
  const label = names.findIndex((name) => name.toLowerCase() === q.toLowerCase());
  const number = /^#?\s*(\d{1,9})$/.exec(q);
  if (label >= 0 && !q.startsWith("#")) {
    const rows = [];
    for (let r = 0; r < n; r++) if (labels[r] === label) rows.push(r);
    return { kind: "label", rows, text: `${count(rows.length)} test ${itemWord}s labelled ${names[label]}` };
  }
  if (number) {
    const index = Number(number[1]);
    if (index < n) return { kind: "index", rows: [index], text: `Test ${itemWord} #${index} \xB7 ${names[labels[index]]}` };
    return { kind: "none", rows: [], text: `There is no test ${itemWord} #${index}: they are numbered 0 to ${count(n - 1)}.` };
  }
  if (q.toLowerCase() === "misplaced") {
    const share = 100 * misplaced.length / Math.max(n, 1);
    return {
      kind: "misplaced",
      rows: Array.from(misplaced),
      text: `${count(misplaced.length)} test ${itemWord}s (${share.toFixed(1)} %) whose 15 nearest test means vote for another label`
    };
  }
  return { kind: "none", rows: [], text: `Nothing matches \u201C${q}\u201D: type a test index (#4693), a label (${names[names.length > 7 ? 7 : 0]}) or \u201Cmisplaced\u201D.` };
}
function extentOf(xy, rows, least = 0.5) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const r of rows) {
    const x = xy[2 * r], y = xy[2 * r + 1];
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const padX = Math.max(0.1 * (x1 - x0), least), padY = Math.max(0.1 * (y1 - y0), least);
  return [x0 - padX, x1 + padX, y0 - padY, y1 + padY];
}

// ../../static/latent_map/uploads.js
var MARK_PX = 6;
function drawUploads(ctx, ax, uploads, proj, style) {
  ctx.save();
  ctx.font = `600 12px ${style.font}`;
  ctx.lineJoin = "round";
  uploads.forEach((upload, i) => {
    const e = upload.sigma && proj.ellipse(upload.mu, upload.sigma);
    if (e) strokeEllipses(ctx, ax, e, style.text);
    const [x, y] = ax.toPx(...proj.toPlane(upload.mu));
    ctx.fillStyle = style.text;
    ctx.strokeStyle = style.background;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y - MARK_PX);
    ctx.lineTo(x + MARK_PX, y);
    ctx.lineTo(x, y + MARK_PX);
    ctx.lineTo(x - MARK_PX, y);
    ctx.closePath();
    ctx.stroke();
    ctx.fill();
    const label = `${i + 1} ${upload.name}`, width = ctx.measureText(label).width;
    const left = x + MARK_PX + 3 + width > ax.width ? x - MARK_PX - 3 - width : x + MARK_PX + 3;
    ctx.lineWidth = 3;
    ctx.strokeText(label, left, y - MARK_PX);
    ctx.fillText(label, left, y - MARK_PX);
  });
  ctx.restore();
}
function showUploads(box, uploads, onGo, onClear) {
  box.textContent = "";
  if (!uploads.length) return;
  const list = el("ol", "lm-upload-list");
  uploads.forEach((upload, i) => {
    const go = el("button", "lm-upload", `${i + 1} ${upload.name}`);
    go.type = "button";
    go.title = `Go to its mean \u03BC = ${vec(upload.mu)}`;
    go.addEventListener("click", () => onGo(upload));
    const item = el("li");
    item.append(go);
    list.append(item);
  });
  const head = el("div", "lm-section-head");
  head.append(el("h4", "lm-sel-title", `Your uploads (${uploads.length})`), button("lm-upload-clear", "Clear", onClear));
  box.append(
    head,
    list,
    el("p", "lm-hint", "Your images (the Encode page, or the box under the map). Diamond: \u03BC; solid: 1\u03C3, dashed: 2\u03C3.")
  );
}

// ../../static/latent_map/tools.js
var REGION_TILES = 16;
var TOOLS = {
  /** The search box, "Colour by" and (for a model with a UMAP layout) "Layout". */
  listenTools(data) {
    const panel = this.dom.panel;
    panel.search.placeholder = `Find: #4693, ${data.label_names[7] ?? data.label_names[0]} or misplaced`;
    for (const name of ["change", "search"]) panel.search.addEventListener(name, this.afterFigure(() => this.search(panel.search.value)));
    panel.colour.replaceChildren(...measuresFor(this.sets.test).map((kind) => Object.assign(
      document.createElement("option"),
      { value: kind, textContent: MEASURES[kind] }
    )));
    panel.colour.addEventListener("change", this.afterFigure(() => this.colourBy(panel.colour.value)));
    panel.layoutRow.hidden = !this.sets.test.layout;
    panel.layout.replaceChildren(...[["plane", "principal plane (PCA)"], ["umap", "UMAP (no inverse)"]].map(([value, text]) => Object.assign(document.createElement("option"), { value, textContent: text })));
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
    await this.ready;
    this.dom.panel.search.value = "";
    this.search("");
    if (this.regionText) this.applyRegion("", true);
    this.clearPath();
    this.state.z.fill(0);
    this.state.selected = null;
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.commit("escape");
  },
  /** Once per figure: the switch and a rerun's update may both ask while the payload is on its way. */
  addTrain() {
    this.trainAdded ??= this.insertTrain().catch((err) => {
      this.trainAdded = null;
      throw err;
    });
    return this.trainAdded;
  },
  async insertTrain() {
    const plot = this.dom.plot;
    if (!this.data.train_key || plot.data.some((t) => t.meta?.split === "train")) return;
    this.sets.train = (await whenPayload(this.data.train_key)).points;
    if (this.proj.isLayout || !this.state.showTrain) {
      this.trainAdded = null;
      return;
    }
    const traces = splitTraces(this.sets.train, "train", this.names(), this.proj);
    for (const t of traces) {
      t.visible = plot.data.find((d) => d.meta?.split === "test" && d.meta.label === t.meta.label)?.visible ?? true;
    }
    await window.Plotly.addTraces(plot, traces, traces.map((_, i) => i));
    if (this.colouring) await this.colourBy(this.colouring);
    if (this.regionText) await this.applyRegion(this.regionText);
    this.dom.panel.trainBox.checked = true;
    if (this.state.zFromTrain) {
      this.state.zFromTrain = false;
      this.state.z = Float64Array.from(posteriorOf(this.sets.train, this.state.selected.index).mu);
      syncSliders(this.dom.panel, this.state.z);
    }
    if (this.state.selected?.split === "train") this.showSelected();
  },
  setTrain(show) {
    this.state.showTrain = show;
    const idx = this.dom.plot.data.flatMap((t, i) => t.meta?.split === "train" ? [i] : []);
    if (idx.length) {
      return window.Plotly.restyle(this.dom.plot, { visible: show }, idx).then(() => this.regionText && this.applyRegion(this.regionText));
    }
    if (!show) return;
    this.askFor(this.data);
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
    if (found.rows.length && !(found.kind === "index" && inView(found.rows[0]))) {
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
    this.clearPath();
    Object.assign(panel.trainBox, { checked: false, disabled: umap || !this.data.train_count });
    const extent = umap ? layoutExtent(points.layout) : this.data.extent;
    await window.Plotly.react(
      plot,
      splitTraces(points, "test", this.names(), this.proj),
      { ...layout(extent, this.style, this.proj.titles, this.isNarrow()), uirevision: kind },
      CONFIG
    );
    if (this.colouring) await this.colourBy(this.colouring);
    if (panel.search.value) await this.search(panel.search.value);
    panel.layoutNote.textContent = umap ? "UMAP keeps neighbourhoods, not distances, and has no inverse: a point of it is not a z. Hovering decodes the test mean drawn nearest the pointer; the sliders still reach every z." : "";
    this.dom.root.dataset.layout = kind;
    this.relayout();
    this.showSelected();
  },
  /** Plotly's box or lasso picked a region (event null: it was cleared): the panel shows it, the link keeps it. */
  pickRegion(event) {
    this.regionText = event ? regionText(event.selections) : "";
    this.regionShapes = parseRegion(this.regionText);
    this.showRegion(event ? regionRows(this.dom.plot.data, event) : []);
    this.send("region", { model: this.model.modelName, text: this.proj.isLayout ? "" : this.regionText });
  },
  /** Show the region of a link's text ("": none) as if picked: its outline, the points in it on every shown split
   *  (the others dimmed) and the panel; `report`: tell Python (the link), as a pick does. */
  async applyRegion(text, report = false) {
    const plot = this.dom.plot;
    Object.assign(this, { regionText: text, regionShapes: parseRegion(text) });
    const picked = [], chosen = /* @__PURE__ */ new Map();
    for (const [split, points] of Object.entries(this.sets)) {
      if (split === "train" && !this.state.showTrain) continue;
      const rows = rowsInside(this.proj.plane(points), this.regionShapes);
      chosen.set(split, new Set(rows));
      picked.push(...rows.map((index) => ({ split, index })));
    }
    const idx = plot.data.flatMap((t, i) => t.meta?.rows ? [i] : []);
    const selected = idx.map((i) => {
      const t = plot.data[i], rows = chosen.get(t.meta.split);
      return text && rows ? Array.from(t.meta.rows, (r, k) => rows.has(r) ? k : -1).filter((k) => k >= 0) : null;
    });
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
    if (lacking.length || this.asksOriginals) {
      this.send("region_rows", { model: this.model.modelName, rows: lacking.map(({ split, index }) => ({ split, index })) });
      this.asksOriginals = lacking.length > 0;
    }
    this.dom.root.dataset.region = String(picked.length);
  },
  drawRegion() {
    const picked = this.region, decoder = this.model.decoder, native = !decoder.isAsync;
    const decode = (mu) => native && decoder.decode(mu, new Float32Array(decoder.nPixels));
    const info = picked.length ? summarize(this.sets, picked, this.names()) : null;
    const samples = this.regionSamples.map((p) => ({
      recon: decode(posteriorOf(this.sets[p.split], p.index).mu),
      original: this.originals.get(selKey(p))?.pixels ?? null
    }));
    showRegion(this.dom.panel, info && { ...info, mean: decode(info.meanMu), samples }, decoder.imageSize, {
      clear: () => this.applyRegion("", true),
      csv: (link) => {
        const blob = new Blob([regionCsv(this.sets, this.region, this.names())], { type: "text/csv" });
        Object.assign(link, { href: URL.createObjectURL(blob), download: `${this.model.modelName}_region.csv` });
      },
      png: (link) => Object.assign(link, {
        download: `${this.model.modelName}_region.png`,
        href: contactSheet([samples.map((s) => s.original), samples.map((s) => s.recon)], decoder.imageSize)
      })
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
    const ticket = this.pathTicket = (this.pathTicket ?? 0) + 1;
    const ends = [path?.sel?.index, this.state.selected?.index];
    const on = {
      start: () => this.startPath(),
      clear: () => this.clearPath(),
      interpolate: () => this.send("open_interpolate", { a: ends[0], b: ends[1], t: Date.now() })
    };
    const moved = path && end.some((v, j) => v !== path.z[j]);
    this.pathLines = moved ? { linear: lerp(path.z, end), spherical: slerp(path.z, end) } : null;
    this.dom.root.dataset.path = path ? moved ? "drawn" : "started" : "";
    this.drawOverlay();
    if (!path) return showPath(panel, null, decoder.imageSize, on);
    const name = (sel, z) => sel ? this.describe(sel) : `z = ${vec(z)}`;
    const info = {
      from: name(path.sel, path.z),
      to: name(this.state.selected, end),
      interpolate: moved && path.sel?.split === "test" && this.state.selected?.split === "test"
    };
    if (moved) {
      const decode = (z) => decoder.isAsync ? decoder.decodeAsync(z) : decoder.decode(z, new Float32Array(decoder.nPixels));
      const strips = await Promise.all(Object.entries(this.pathLines).map(async ([kind, zs]) => [kind, await Promise.all(zs.map(decode))]));
      if (ticket !== this.pathTicket) return;
      info.strips = strips;
    }
    showPath(panel, info, decoder.imageSize, on);
  },
  /** The kept uploads from Python: listed in the panel and drawn on the map. */
  showUploads() {
    const uploads = this.data.uploads ?? [];
    showUploads(
      this.dom.panel.uploads,
      uploads,
      (upload) => this.goTo(upload.mu, "upload"),
      () => this.send("clear_uploads", Date.now())
    );
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
  }
};

// ../../static/latent_map/linked.js
var groups = /* @__PURE__ */ new Map();
function joinGroup(view, group) {
  leaveGroup(view);
  view.linkGroup = group ?? null;
  if (!group) return;
  if (!groups.has(group)) groups.set(group, /* @__PURE__ */ new Set());
  groups.get(group).add(view);
}
function leaveGroup(view) {
  groups.get(view.linkGroup)?.delete(view);
}
function tellPeers(view, message) {
  for (const peer of groups.get(view.linkGroup) ?? []) if (peer !== view && peer.dom && peer.ax) peer.onPeer(message);
}
var LINKED = {
  /** What a linked map did (linked.js): decode its hovered z here, or select its digit or z here. */
  onPeer({ type, sel, z }) {
    const sameSpace = z?.length === this.state.z.length;
    if (type === "leave") return this.showState();
    if (type === "hover" && sameSpace) {
      const p = this.ax.toPx(...this.proj.toPlane(z)), shown = p.every((v, i) => v >= 0 && v <= [this.ax.width, this.ax.height][i]);
      this.pointer = shown ? p : null;
      this.dom.panel.mode.textContent = "hover on the other map";
      this.dom.cursor.style.display = shown ? "block" : "none";
      if (shown) this.dom.cursor.style.transform = cursorAt(this.ax, p, false);
      return this.render(Float64Array.from(z));
    }
    if (type !== "select") return;
    if (sel && this.sets[sel.split] && sel.index < this.sets[sel.split].n) return this.select(sel, null, "linked");
    if (!sel && sameSpace) this.restore({ z: Float64Array.from(z), selected: null }, "linked");
  }
};

// ../../static/latent_map/preview.js
var LEGEND_ITEM_PX = 45;
function legendWidth(names, font) {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `12px ${font}`;
  return LEGEND_ITEM_PX + Math.max(...names.map((n) => ctx.measureText(n).width));
}
function previewAxes(width, height, extent, narrow, legendPx) {
  const [x0, x1, y0, y1] = extent;
  const left = 48, top = 28, bottom = narrow ? 100 : 40;
  const right = narrow ? 8 : Math.round((8 + legendPx + 0.01 * (width - left)) / 1.01);
  const w = Math.max(width - left - right, 1), h = Math.max(height - top - bottom, 1);
  const s = Math.min(w / (x1 - x0), h / (y1 - y0));
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, xLow = cx - w / s / 2, yHigh = cy + h / s / 2;
  return {
    left,
    top,
    width: w,
    height: h,
    pxPerUnit: s,
    toPx: (zx, zy) => [(zx - xLow) * s, (yHigh - zy) * s],
    toZ: (px, py) => [xLow + px / s, yHigh - py / s]
  };
}
function drawPoints(ctx, ax, traces) {
  ctx.clearRect(0, 0, ax.width, ax.height);
  ctx.globalAlpha = 0.7;
  for (const trace of traces) {
    ctx.fillStyle = COLORS[trace.meta.label];
    ctx.beginPath();
    for (let i = 0; i < trace.x.length; i++) {
      const [px, py] = ax.toPx(trace.x[i], trace.y[i]);
      ctx.moveTo(px + 2, py);
      ctx.arc(px, py, 2, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}
function pointerRest(el2, quietMs = 500, maxMs = 3e3) {
  return new Promise((resolve) => {
    let quiet = null;
    const done = () => {
      clearTimeout(quiet);
      clearTimeout(cap);
      el2.removeEventListener("pointermove", moved);
      resolve();
    };
    const moved = () => {
      clearTimeout(quiet);
      quiet = setTimeout(done, quietMs);
    };
    const cap = setTimeout(done, maxMs);
    el2.addEventListener("pointermove", moved);
    moved();
  });
}
var PREVIEW = {
  /** The traces a click can pick from: Plotly's, or the ones the preview drew before Plotly was there. */
  figureTraces() {
    return this.dom.plot.data ?? this.firstTraces;
  },
  /** Until plotly.js is loaded and drawn: the points on a canvas, in the plot area Plotly will lay out,
   *  and hovering decodes; the map is live. */
  drawPreview() {
    const { plot, preview, root } = this.dom;
    this.ax = previewAxes(
      plot.clientWidth,
      plot.clientHeight,
      this.data.extent,
      this.isNarrow(),
      legendWidth(this.names(), this.style.font)
    );
    this.previewAx = this.ax;
    drawPoints(fitCanvas(preview, this.ax), this.ax, this.firstTraces);
    this.ctx = fitCanvas(this.dom.overlay, this.ax);
    this.showSelected();
    this.showPath();
    this.dom.loading.style.display = "none";
    root.dataset.live = "1";
    fetchPlotly();
  }
};

// ../../static/latent_map/view.js
var MapView = class {
  constructor(parent, setStateValue) {
    this.parent = parent;
    this.send = setStateValue;
    this.data = this.model = this.state = this.ax = this.ctx = this.pointer = this.dom = null;
    this.sets = {};
    this.originals = /* @__PURE__ */ new Map();
    this.onRender = null;
  }
  names() {
    return this.data.label_names;
  }
  /** `fn` as a listener that waits for Plotly's figure: the tools that change it do nothing to the preview. */
  afterFigure(fn) {
    return (...args) => this.ready.then(() => fn(...args));
  }
  /** A phone's width: the legend goes under the plot (plot.js's layout), the panel under the map (map.css). */
  isNarrow() {
    return this.dom.root.clientWidth <= NARROW_PX;
  }
  /** Apply a (new) data object from Python; a newer one supersedes it at every wait. */
  async update(data) {
    this.data = data;
    this.askFor(data);
    const model = await whenPayload(data.key);
    if (this.data !== data) return;
    if (model.error) return this.showError(model.error);
    if (this.model !== model) this.ready = this.setModel(data, model);
    await this.ready;
    if (this.data !== data) return;
    if (this.linkGroup !== (data.link_group ?? null)) joinGroup(this, data.link_group);
    if (this.state.showTrain && data.train_key) await this.addTrain();
    if (!this.regionRestored) {
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
    this.model = null;
    this.errorNote = Object.assign(document.createElement("p"), {
      className: "lm-error",
      textContent: `The map cannot show this model: ${message}. The other pages run it on the server.`
    });
    this.errorNote.setAttribute("role", "alert");
    this.parent.append(this.errorNote);
  }
  /** Tell Python which payloads this page lacks (it sends only those, so a return to the map re-sends nothing).
   *  One that is on its way unasked (`carried`: a new session, a model switch) is not asked for; one already
   *  asked for stays asked for until it is here (asking no more would make Python rerun before sending it). */
  askFor(data) {
    const asked = this.need ?? [], coming = data.carried ?? [];
    const need = [data.key, wantsTrain(data) && data.train_key].filter((key) => key && !hasPayload(key) && (asked.includes(key) || !coming.includes(key)));
    if (JSON.stringify(need) !== JSON.stringify(this.need ?? [])) this.send("need", need);
    this.need = need;
  }
  async setModel(data, model) {
    this.destroy();
    Object.assign(this, {
      model,
      sets: { test: model.points },
      ax: null,
      ctx: null,
      pointer: null,
      tiny: false,
      trainAdded: null,
      colouring: null,
      region: [],
      regionText: "",
      regionShapes: [],
      regionRestored: false,
      path: null,
      pathLines: null
    });
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
    if (this.model !== model) return;
    this.showSelected();
    this.showPath();
    if (restored) this.commit("restore");
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
    if (decoder.isAsync) {
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
    drawOverlay(
      this.ctx,
      this.ax,
      { zxy: this.proj.toPlane(this.state.z), pointer: this.pointer, ellipse: this.ellipse() },
      this.style
    );
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
    return points ? `${sel.split} #${sel.index} \xB7 ${this.names()[points.labels[sel.index]]}` : "\xA0";
  }
  /** The panel's selected-digit section, from data the page has; the original comes from Python. */
  showSelected() {
    const sel = this.state.selected;
    this.dom.root.dataset.selected = selKey(sel);
    const info = sel && selectionInfo({
      sel,
      sets: this.sets,
      decoder: this.model.decoder,
      names: this.names(),
      labelWord: this.data.label_word,
      itemWord: this.data.item_word,
      klSorted: this.klSorted,
      original: this.originals.get(selKey(sel))
    });
    this.tiny = isTiny(this.ellipse(), this.ax?.pxPerUnit);
    if (info) info.tiny = this.tiny;
    showSelection(this.dom.panel, info, this.model.decoder.imageSize, () => this.zoomTo(this.ellipse()));
    if (info?.reconLater) {
      const model = this.model;
      info.reconLater.then((pixels) => {
        const canvas = this.dom.panel.selected.querySelector(".lm-recon canvas");
        if (this.model === model && this.state.selected === sel && canvas) paintDigit(canvas, pixels);
      }).catch((err) => console.error("latent map:", err));
    }
    this.showState();
  }
  async zoomTo(e) {
    await this.ready;
    const h = 6 * Math.max(e.rx, e.ry);
    window.Plotly.relayout(this.dom.plot, { "xaxis.range": [e.x - h, e.x + h], "yaxis.range": [e.y - h, e.y + h] });
  }
  // ---------------------------------------------------------------- events
  commit(source) {
    if (this.path) this.showPath();
    const sel = this.state.selected;
    this.send("selection", {
      model: this.model.modelName,
      z: Array.from(this.state.z),
      split: sel?.split ?? null,
      index: sel?.index ?? null,
      source,
      t: Date.now()
    });
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
  snapshot() {
    return { z: Float64Array.from(this.state.z), selected: this.state.selected };
  }
  restore({ z, selected }, source) {
    Object.assign(this.state, { z, selected });
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.commit(source);
  }
  onSlider(d, value, e) {
    this.state.z[d] = value;
    if (this.state.selected) {
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
    if (this.previewAx) await pointerRest(this.dom.wrap);
    const [Plotly] = await Promise.all([loadPlotly(), this.dom.styled]), plot = this.dom.plot;
    await Plotly.newPlot(
      plot,
      this.firstTraces,
      layout(this.data.extent, this.style, this.proj.titles, this.isNarrow()),
      CONFIG
    );
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
    if (isTiny(this.ellipse(), this.ax.pxPerUnit) !== this.tiny) this.showSelected();
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
};
Object.assign(MapView.prototype, TOOLS, KEYS, LINKED, PREVIEW);

// ../../static/latent_map/chart.js
var CHARTS = /* @__PURE__ */ new WeakMap();
function themed(layout2, style) {
  const out = {
    ...layout2,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: style.font, color: style.text, size: 12, ...layout2.font }
  };
  out.title = layout2.title && { ...layout2.title, font: { size: 16, ...layout2.title.font } };
  for (const name of ["xaxis", "yaxis", ...Object.keys(layout2).filter((k) => /^[xy]axis\d+$/.test(k))]) {
    out[name] = {
      gridcolor: style.grid,
      zerolinecolor: style.axis,
      linecolor: style.axis,
      automargin: true,
      ...layout2[name]
    };
  }
  return out;
}
function build(parentElement, height) {
  const box = document.createElement("div"), plot = document.createElement("div");
  const loading = Object.assign(document.createElement("div"), { className: "lm-loading", textContent: "Loading the chart\u2026" });
  box.className = "lm-chart";
  box.style.cssText = `position: relative; height: ${height}px`;
  plot.style.height = "100%";
  loading.style.cssText = "position: absolute; inset: 40% 0 auto 0; text-align: center; opacity: 0.7; font-family: var(--st-font, sans-serif); color: var(--st-text-color, #31333f)";
  box.append(plot, loading);
  parentElement.append(box);
  return { box, plot, loading };
}
function mountChart({ data: sent, parentElement }) {
  if (typeof sent?.json !== "string") return void 0;
  const figure2 = JSON.parse(sent.json), height = figure2.layout.height ?? 450;
  let entry = CHARTS.get(parentElement);
  if (!entry) CHARTS.set(parentElement, entry = { ...build(parentElement, height), calls: 0, draws: 0 });
  const call = ++entry.calls;
  if (entry.text !== sent.json) {
    entry.text = sent.json;
    entry.box.style.height = `${height}px`;
    const draw = ++entry.draws;
    loadPlotly().then(async (Plotly) => {
      if (draw !== entry.draws) return;
      await Plotly.react(
        entry.plot,
        figure2.data,
        themed(figure2.layout, readStyle(parentElement)),
        { responsive: true, ...figure2.config }
      );
      entry.loading.remove();
      entry.resized ??= new ResizeObserver(() => entry.plot.isConnected && Plotly.Plots.resize(entry.plot));
      entry.resized.observe(entry.box);
    }).catch((err) => {
      entry.loading.textContent = `The chart could not be drawn: ${err.message}`;
    });
  }
  return cleanupOnceGone(parentElement, call, () => entry.calls, () => {
    entry.resized?.disconnect();
    window.Plotly?.purge(entry.plot);
    CHARTS.delete(parentElement);
  });
}

// ../../static/latent_map/index.js
var VIEWS = /* @__PURE__ */ new WeakMap();
function mountView({ data: sent, parentElement, setStateValue }) {
  if (typeof sent?.json !== "string") return void 0;
  let entry = VIEWS.get(parentElement);
  if (!entry) {
    entry = { view: new MapView(parentElement, setStateValue), calls: 0 };
    VIEWS.set(parentElement, entry);
  }
  if (entry.text !== sent.json) Object.assign(entry, { text: sent.json, data: JSON.parse(sent.json) });
  if (entry.calls === 0 && globalThis.__latentMapTesting) {
    import("./testing.js").then((m) => m.attach(entry.view, entry.data.instance));
  }
  const call = ++entry.calls;
  entry.view.update(entry.data).catch((err) => console.error("latent map:", err));
  return cleanupOnceGone(parentElement, call, () => entry.calls, () => {
    entry.view.destroy();
    VIEWS.delete(parentElement);
  });
}
export {
  mountChart,
  mountView,
  storePayload
};
