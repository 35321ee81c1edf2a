// linked.js: maps on one page that follow each other (the map page's "Compare with"). Hovering one decodes
// the same z in the others, each with its own decoder and in its own latent space (when it has as many
// dimensions), and a digit or z selected in one is selected in the others (a digit at its own posterior mean).

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
