// mouse.js: the map under a mouse. Hovering decodes the z under the pointer; a
// click selects what it lands on; a double click (Plotly's zoom reset) takes
// back its own first click.

import { NEAR_PX } from "./plot.js";

/**
 * Listen for the mouse on `wrap` (the plot's container). `view` answers plotPx(e), explore(p, time),
 * pick(p, radius, source), release(), snapshot() and restore(snapshot, source);
 * `touchedLately()` drops the clicks a browser may send after a touch (touch.js handled it).
 */
export function listenMouse(wrap, view, touchedLately) {
  let downAt = null, beforeClick = null;
  wrap.addEventListener("pointermove", (e) => {
    if (!view.ax || e.pointerType === "touch") return; // a finger explores through touch.js
    const p = view.plotPx(e);
    if (p) view.explore(p, e.timeStamp);
    else if (view.pointer) view.release();
  });
  wrap.addEventListener("pointerleave", () => view.release());
  wrap.addEventListener("pointerdown", (e) => { downAt = [e.clientX, e.clientY]; }, { capture: true });
  wrap.addEventListener("click", (e) => {
    // A double click is a second click on the same spot (Plotly's drag layer lets no "dblclick" through);
    // a quick click on another dot is a click of its own, whatever the browser counted.
    const again = beforeClick && Math.hypot(e.clientX - beforeClick.x, e.clientY - beforeClick.y) <= NEAR_PX;
    if (e.detail === 2 && again) {
      view.restore(beforeClick.state, "double-click");
      beforeClick = null;
      return;
    }
    if (!view.ax || e.button !== 0 || (e.detail > 2 && again) || !downAt || touchedLately()) return;
    if (Math.hypot(e.clientX - downAt[0], e.clientY - downAt[1]) > 4) return; // a drag zoomed or panned
    const p = view.plotPx(e);
    if (!p) return;
    // A double click resets the zoom (Plotly); its first click must not move the selection: keep what to undo.
    beforeClick = { state: view.snapshot(), x: e.clientX, y: e.clientY };
    view.pick(p, NEAR_PX, "click");
  }, { capture: true });
}
