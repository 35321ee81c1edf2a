// touch.js: the map under a finger. One finger dragged over the plot decodes
// the z under it (what hovering does with a mouse); a tap selects what it lands
// on; two fingers pan and pinch-zoom. Plotly never sees these touches: its own
// touch handling would draw a zoom box on a drag and send a click without
// coordinates after a tap.

import { NEAR_PX } from "./plot.js";

const TAP_PX = 10; // a touch that moves less than this and ...
const TAP_MS = 500; // ... lifts within this is a tap

/**
 * Listen for touches on `wrap` (the plot's container). `view` answers:
 *   plotPx(e) -> [px, py] in the plot area or null; explore(p, timeStamp, finger); pick(p, radius, source); release();
 *   and has ax (axes(), plot.js) and dom.plot, whose axes two fingers pinch and pan.
 * Returns a function that says whether a touch happened in the last second (to drop the browser's
 * own click events that may follow a touch).
 */
export function listenTouch(wrap, view) {
  const fingers = new Map(); // pointerId -> [clientX, clientY]
  let tap = null, pinch = null, lastTouch = -Infinity;
  const mine = (e) => view.ax && !e.target.closest?.(".modebar-container, .legend") && view.plotPx(e);

  // Plotly listens for touchstart on its drag layer: stop the touch before it gets there.
  let owned = false; // the touches on screen began on the plot area
  for (const type of ["touchstart", "touchmove", "touchend", "touchcancel"]) {
    wrap.addEventListener(type, (e) => {
      if (type === "touchstart" && !owned && ![...e.changedTouches].some((t) => mine(t))) return;
      if (!owned && type !== "touchstart") return;
      owned = e.touches.length > 0;
      e.stopPropagation();
      if (e.cancelable) e.preventDefault(); // no mouse events or click follow a handled touch
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
    e.stopImmediatePropagation(); // not the mouse's hover handler
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
    if (p) view.pick(p, 2 * NEAR_PX, "tap"); // a fingertip is broader than a mouse pointer
    else view.release();
  };
  wrap.addEventListener("pointerup", lift, { capture: true });
  wrap.addEventListener("pointercancel", lift, { capture: true });
  return () => performance.now() - lastTouch < 1000;
}

/** Two fingers: the latent point under their midpoint stays under it; their spread scales the view. */
function startPinch(fingers, view) {
  const [m0, d0] = spread(fingers), gesture = zoomGesture(view, m0);
  let frame = 0, latest = null;
  return {
    move(now) {
      latest = spread(now);
      frame ||= requestAnimationFrame(() => { frame = 0; gesture.apply(...latest, d0); });
    },
  };
}

/** Two fingers went down at client point m0: returns what moves the view's axes as they pinch and pan. */
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

/**
 * Axis ranges after a pinch: the plot area's `size` [w, h] px showed `ranges` [[x0, x1], [y0, y1]];
 * the latent point `anchor` was under area pixel m0. It now sits under pixel m, and the view
 * is scaled by d0 / d (fingers apart: zoom in).
 */
export function pinchRanges(ranges, size, anchor, m, d, d0) {
  const scale = d0 / d, [[x0, x1], [y0, y1]] = ranges;
  const w = (x1 - x0) * scale, h = (y1 - y0) * scale;
  const left = anchor[0] - (m[0] / size[0]) * w, top = anchor[1] + (m[1] / size[1]) * h;
  return [[left, left + w], [top - h, top]];
}
