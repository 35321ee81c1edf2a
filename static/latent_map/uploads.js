// uploads.js: the images the visitor kept on the Encode page, on the map among the test means: each
// posterior's mean (a diamond) with its 1σ and 2σ ellipses and its name, and a list in the panel that goes
// to one or clears them all. Names come from the visitor's files: they are drawn and set as plain text.

import { strokeEllipses } from "./plot.js";
import { button, el, vec } from "./panel.js";

const MARK_PX = 6;

/** Draw each upload {name, mu (D), sigma (D) or null} on the overlay, numbered as in the panel's list. */
export function drawUploads(ctx, ax, uploads, proj, style) {
  ctx.save();
  ctx.font = `600 12px ${style.font}`;
  ctx.lineJoin = "round";
  uploads.forEach((upload, i) => {
    const e = upload.sigma && proj.ellipse(upload.mu, upload.sigma); // none in a UMAP layout
    if (e) strokeEllipses(ctx, ax, e, style.text);
    const [x, y] = ax.toPx(...proj.toPlane(upload.mu));
    ctx.fillStyle = style.text; ctx.strokeStyle = style.background; ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y - MARK_PX); ctx.lineTo(x + MARK_PX, y); ctx.lineTo(x, y + MARK_PX); ctx.lineTo(x - MARK_PX, y);
    ctx.closePath(); ctx.stroke(); ctx.fill();
    const label = `${i + 1} ${upload.name}`, width = ctx.measureText(label).width;
    const left = x + MARK_PX + 3 + width > ax.width ? x - MARK_PX - 3 - width : x + MARK_PX + 3; // inside the plot
    ctx.lineWidth = 3; // a halo in the background colour keeps the name legible over dots
    ctx.strokeText(label, left, y - MARK_PX);
    ctx.fillText(label, left, y - MARK_PX);
  });
  ctx.restore();
}

/** The panel's list of uploads: a button per upload (`onGo(upload)`) and one that clears them (`onClear()`). */
export function showUploads(box, uploads, onGo, onClear) {
  box.textContent = "";
  if (!uploads.length) return;
  const list = el("ol", "lm-upload-list");
  uploads.forEach((upload, i) => {
    const go = el("button", "lm-upload", `${i + 1} ${upload.name}`);
    go.type = "button";
    go.title = `Go to its mean μ = ${vec(upload.mu)}`;
    go.addEventListener("click", () => onGo(upload));
    const item = el("li");
    item.append(go);
    list.append(item);
  });
  const head = el("div", "lm-section-head");
  head.append(el("h4", "lm-sel-title", `Your uploads (${uploads.length})`), button("lm-upload-clear", "Clear", onClear));
  box.append(head, list,
    el("p", "lm-hint", "Your images (the Encode page, or the box under the map). Diamond: μ; solid: 1σ, dashed: 2σ."));
}
