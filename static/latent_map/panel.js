// panel.js: the detail panel beside the map: the decoded z, one slider per
// latent dimension, the training-set switch and the selected digit's numbers.
// Every text goes in through textContent: nothing here is parsed as HTML.

const SUB = "₀₁₂₃₄₅₆₇₈₉";
export const zName = (d) => "z" + String(d + 1).replace(/\d/g, (c) => SUB[c]);
/** x with `digits` decimals; a value that rounds to zero has no sign ("0.00", not "-0.00"). */
export const num = (x, digits = 2) => x.toFixed(digits).replace(/^-(0\.?0*)$/, "$1");
export const vec = (v, digits = 2) => "(" + Array.from(v, (x) => num(x, digits)).join(", ") + ")";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

export const button = (className, text, onClick) => {
  const node = el("button", `lm-button ${className}`, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
};

export function digitCanvas(className, size) {
  const canvas = el("canvas", className);
  canvas.width = canvas.height = size;
  return canvas;
}

/** Paint pixel means (0..1, row-major) into a canvas as white ink on black, like MNIST. */
export function paintDigit(canvas, pixels) {
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(canvas.width, canvas.height), d = image.data;
  for (let p = 0, q = 0; p < pixels.length; p++, q += 4) {
    d[q] = d[q + 1] = d[q + 2] = pixels[p] * 255; d[q + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Build the panel's DOM once per mount. `size` is the image side (28 for MNIST). */
export function buildPanel(size) {
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
  const layoutRow = el("label", "lm-colour-row lm-layout-row"), layout = el("select", "lm-layout");
  layoutRow.append(el("span", null, "Layout"), layout);
  layoutRow.hidden = true; // only for a model above 2-D with a UMAP layout
  const layoutNote = el("p", "lm-layout-note");
  // search, colour and layout last: the selection stays in view
  root.append(head, sliders, trainRow, region, selected, path, uploads, search, searchNote, colourRow, layoutRow, layoutNote);
  return { root, digit, mode, zText, near, download, sliders, trainBox, trainText: trainRow.lastChild, selected,
    search, searchNote, colour, region, uploads, path, layoutRow, layout, layoutNote, inputs: [] };
}

/** Point the panel's download link at the decoded digit, 10x and crisp, as `filename`. */
export function pngLink(panel, filename) {
  const big = document.createElement("canvas"), size = panel.digit.width;
  big.width = big.height = size * 10;
  const ctx = big.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(panel.digit, 0, 0, big.width, big.height);
  Object.assign(panel.download, { href: big.toDataURL("image/png"), download: filename });
}

/** One range input per latent dimension; `onInput(d, value)` on every move, `onChange()` on release. */
export function buildSliders(panel, ranges, z, onInput, onChange) {
  panel.sliders.textContent = "";
  panel.inputs = ranges.map(([lo, hi], d) => {
    const row = el("label", "lm-slider");
    const input = el("input");
    Object.assign(input, { type: "range", min: lo, max: hi, step: (hi - lo) / 1000 });
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

/** Thumbs and numbers to z; a z beyond a slider's ends widens it (about 0, so 0 stays mid-slider). */
export function syncSliders(panel, z) {
  panel.inputs.forEach((input, d) => {
    const reach = Math.abs(z[d]);
    if (reach > +input.max || -reach < +input.min) Object.assign(input, { min: -reach, max: reach });
    input.value = z[d];
    input.nextSibling.textContent = num(z[d]);
  });
}

/** A captioned figure: the image (pixels) or, without one, a note saying why. */
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
  const note = el("div", "lm-tiny", "Its 1σ and 2σ ellipses are smaller than a few pixels at this zoom. ");
  const button = el("button", "lm-zoom", "Zoom in on them");
  button.type = "button";
  button.addEventListener("click", onZoom);
  note.append(button);
  return note;
}

const HINT = matchMedia("(pointer: coarse)").matches
  ? "Drag a finger to decode any z · tap a dot to inspect that digit · tap empty space to select a z · two fingers pan and zoom."
  : "Hover to decode any z · click a dot to inspect that digit · click empty space to select a z · arrow keys move z, Esc goes back to 0.";

/**
 * The selected digit: title, original (or why it is missing), decoder(mu),
 * mu, sigma, KL against the test set, neighbours' labels. `info` null clears it.
 */
export function showSelection(panel, info, size, onZoom) {
  const box = panel.selected;
  box.textContent = "";
  if (!info || info.pending) return box.append(el("p", "lm-hint", info?.pending ?? HINT));
  const images = el("div", "lm-images"), numbers = el("div", "lm-numbers");
  images.append(figure("lm-original", "original x", size, info.original, info.originalNote),
    figure("lm-recon", "decoder(μ)", size, info.recon));
  numbers.append(el("div", "lm-mu", `μ = ${vec(info.mu, 3)}`),
    el("div", "lm-sigma", info.sigma ? `σ = ${vec(info.sigma, 3)}` : "σ: none (a plain autoencoder's code is a point)"),
    el("div", "lm-kl", info.klText), el("div", "lm-neighbours", info.neighbours));
  box.append(el("h4", "lm-sel-title", info.title), images, numbers);
  if (info.tiny) box.append(tinyNote(onZoom));
}

/**
 * The region picked with the box or lasso tool: how many points, their labels, decoder(mean μ), the originals
 * (when Python has sent them) and reconstructions of up to 16 of them, links to a CSV and a PNG contact sheet
 * (`on.csv(link)`, `on.png(link)` fill them in when clicked) and a Clear button (`on.clear()`; also a double
 * click on the map, or Escape). `info` null hides it.
 */
export function showRegion(panel, info, size, on) {
  const box = panel.region;
  box.textContent = "";
  if (!info) return;
  const parts = Object.entries(info.counts).map(([split, n]) => `${n.toLocaleString("en-US")} ${split}`);
  const head = el("div", "lm-section-head");
  head.append(el("h4", "lm-sel-title", `Selected region: ${info.count.toLocaleString("en-US")} points` +
    (parts.length > 1 ? ` (${parts.join(", ")})` : "")), button("lm-region-clear", "Clear", on.clear));
  box.append(head, el("div", "lm-region-labels", info.labels));
  const images = el("div", "lm-images lm-region-images");
  const originals = info.samples.map((s) => s.original); // the two grids side by side, the mean's decoding after
  if (originals.some(Boolean)) images.append(tileGrid("lm-region-originals", "originals", size, originals));
  if (info.samples.some((s) => s.recon)) images.append(tileGrid("lm-region-recons", "decoder(μ)", size, info.samples.map((s) => s.recon)));
  if (info.mean) images.append(figure("lm-region-mean", "decoder(mean μ)", size, info.mean));
  const links = el("div", "lm-region-links");
  for (const [text, fill] of [["Download CSV (split, index, label, μ, σ)", on.csv], ["Download PNG", on.png]]) {
    const link = el("a", "lm-download", text);
    link.href = "#";
    link.addEventListener("click", () => fill(link));
    links.append(link);
  }
  box.append(images, el("div", "lm-numbers", `mean μ = ${vec(info.meanMu, 3)}`), links);
}

/** A captioned 4-column grid of small images (a missing one leaves its cell empty). */
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

/** A PNG (data URL) of image grids side by side, 4 columns each, 3x and crisp; a grid of nothing is left out. */
export function contactSheet(grids, size, cols = 4, scale = 3, gap = 8) {
  const shown = grids.filter((images) => images.some(Boolean)), rows = Math.ceil((shown[0]?.length ?? 0) / cols);
  const sheet = document.createElement("canvas"), width = cols * size;
  sheet.width = Math.max(1, (shown.length * width + (shown.length - 1) * gap) * scale);
  sheet.height = Math.max(1, rows * size * scale);
  const ctx = sheet.getContext("2d"), tile = digitCanvas(null, size);
  ctx.imageSmoothingEnabled = false;
  shown.forEach((images, g) => images.forEach((pixels, i) => {
    if (!pixels) return;
    paintDigit(tile, pixels);
    const x = g * (width + gap) + (i % cols) * size, y = Math.floor(i / cols) * size;
    ctx.drawImage(tile, x * scale, y * scale, size * scale, size * scale);
  }));
  return sheet.toDataURL("image/png");
}

/**
 * The path section: a button that starts a path at the selected z, or, once started, the path from its start to
 * the selected z: `info` = {from, to (text), strips: [[name, [pixels per step]]], interpolate: whether both ends are
 * test digits}. `on` = {start, clear, interpolate}.
 */
export function showPath(panel, info, size, on) {
  const box = panel.path;
  box.textContent = "";
  if (!info) return box.append(button("lm-path-start", "Start a path here", on.start));
  const head = el("div", "lm-section-head");
  head.append(el("h4", "lm-sel-title", "Path"), button("lm-path-clear", "Clear", on.clear));
  box.append(head, el("div", "lm-path-ends", `${info.from} → ${info.to}`));
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
