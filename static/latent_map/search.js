// search.js: what the map's search box finds among the test points. A query is a test index ("#4693"),
// a label ("7", or a class name such as "ankle boot"), or "misplaced": the test digits whose 15 nearest
// test means vote for another label (Python finds them, vae_core.analysis.explore.majority_labels).
// A bare number that is not a label's name is an index too. Pure functions of the data the page has.

const count = (n) => n.toLocaleString("en-US");

/**
 * {kind: "index" | "label" | "misplaced" | "none" | "clear", rows: [test rows], text: what to say}.
 * `names`: the label names; `misplaced`: the misplaced rows; `itemWord`: "digit" or "item".
 */
export function findRows(query, { n, labels }, names, misplaced, itemWord = "digit") {
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
    if (index < n) return { kind: "index", rows: [index], text: `Test ${itemWord} #${index} · ${names[labels[index]]}` };
    return { kind: "none", rows: [], text: `There is no test ${itemWord} #${index}: they are numbered 0 to ${count(n - 1)}.` };
  }
  if (q.toLowerCase() === "misplaced") {
    const share = (100 * misplaced.length) / Math.max(n, 1);
    return { kind: "misplaced", rows: Array.from(misplaced),
      text: `${count(misplaced.length)} test ${itemWord}s (${share.toFixed(1)} %) whose 15 nearest test means vote for another label` };
  }
  return { kind: "none", rows: [], text: `Nothing matches “${q}”: type a test index (#4693), a label (${names[names.length > 7 ? 7 : 0]}) or “misplaced”.` };
}

/** [x0, x1, y0, y1] on the plane around `rows` (plane coordinates xy: x of row r at 2r), padded so
 *  none sits on the edge; a single point or a tight group gets at least `least` units each way. */
export function extentOf(xy, rows, least = 0.5) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const r of rows) {
    const x = xy[2 * r], y = xy[2 * r + 1];
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const padX = Math.max(0.1 * (x1 - x0), least), padY = Math.max(0.1 * (y1 - y0), least);
  return [x0 - padX, x1 + padX, y0 - padY, y1 + padY];
}
