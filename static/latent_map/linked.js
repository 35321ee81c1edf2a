// linked.js: maps on one page that follow each other (the map page's "Compare with"). Hovering one decodes
// the same z in the others, each with its own decoder and in its own latent space (when it has as many
// dimensions), and a digit or z selected in one is selected in the others (a digit at its own posterior mean).

import { cursorAt } from "./plot.js";

const groups = new Map(); // group name -> Set of views

export function joinGroup(view, group) {
  leaveGroup(view);
  view.linkGroup = group ?? null;
  if (!group) return;
  if (!groups.has(group)) groups.set(group, new Set());
  groups.get(group).add(view);
}

export function leaveGroup(view) {
  groups.get(view.linkGroup)?.delete(view);
}

/** Send `message` ({type: "hover", z} | {type: "leave"} | {type: "select", sel, z}) to the other mounted views. */
export function tellPeers(view, message) {
  for (const peer of groups.get(view.linkGroup) ?? []) if (peer !== view && peer.dom && peer.ax) peer.onPeer(message);
}

/** A view's answer to its peers (a MapView method). */
export const LINKED = {
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
  },

};
