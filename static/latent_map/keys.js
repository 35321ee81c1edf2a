// keys.js: the map under a keyboard. With the map focused (Tab to it, or a click on it), the arrow keys
// move z across the map's plane by 2 % of the visible width (Shift: 10 %), and Escape goes back to
// z = 0 with nothing selected or found. The link follows when the key is let go, not on every repeat.

import { syncSliders } from "./panel.js";

const STEP = 0.02, BIG_STEP = 0.1;
const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

/** Listen for keys on `wrap` (made focusable). `view` answers nudge(dx, dy, time) in plane units, commit(source),
 *  clear(), and has ax (pxPerUnit, width). */
export function listenKeys(wrap, view) {
  wrap.tabIndex = 0;
  wrap.setAttribute("aria-label", "Latent map: arrow keys move z, Escape goes back to z = 0");
  // Plotly's drag layer keeps a click from focusing the map: focus it here, so keys work after a click.
  wrap.addEventListener("pointerdown", () => wrap.focus({ preventScroll: true }));
  let moved = false;
  wrap.addEventListener("keydown", (e) => {
    if (!view.ax) return;
    const move = MOVES[e.key];
    if (move) {
      e.preventDefault(); // no page scroll
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

/** The keys' move (a MapView method). */
export const KEYS = {
  /** Move z by (dx, dy) along the map's plane (a key): the other dimensions of a D > 2 model stay. */
  nudge(dx, dy, eventTime) {
    if (this.proj.isLayout) return; // a layout's directions are not directions in z
    const dim = this.state.z.length, there = this.proj.lift(dx, dy, new Float64Array(dim));
    const origin = this.proj.lift(0, 0, new Float64Array(dim));
    for (let j = 0; j < dim; j++) this.state.z[j] += there[j] - origin[j];
    this.state.selected = null;
    syncSliders(this.dom.panel, this.state.z);
    this.showSelected();
    this.dom.panel.mode.textContent = "keys";
    this.render(this.state.z, eventTime);
  },

};
