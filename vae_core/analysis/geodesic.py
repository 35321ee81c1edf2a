"""Paths that stay on the digits: the shortest path between two codes under the metric the decoder pulls back onto
the latent space (Arvanitidis, Hansen & Hauberg, "Latent Space Oddity", ICLR 2018).

    images_of = lambda z: explore.decode(model, z).reshape(len(z), -1)   # (N, D) -> (N, P)
    path = shortest_path(images_of, start, end)      # (K, D), start ... end
    frames = even_steps(images_of, path, steps)      # (steps, D), the same image change per step
    length = pixel_length(images_of, path)           # sum of ||g(z_i+1) - g(z_i)|| along it
    reports = compare(images_of, start, end, path, steps)   # the straight, spherical and shortest paths side by side

A curve's length under that metric is how far its decoded image travels in pixel space. The search runs on a grid
over the plane that holds both ends (for a 2-D model, the latent plane itself): one axis along end - start, so the
straight path is a row of the grid and the search can only find something shorter, the other across it. Each
grid point is joined to its 16 nearest neighbours by an edge weighted by the distance between their decodings, and
Dijkstra's algorithm finds the shortest chain. A linear decoder has a flat metric, and there the row wins.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from vae_core.analysis.explore import lerp, slerp

ImagesOf = Callable[[np.ndarray], np.ndarray]  # codes (N, D) float32 -> decoded images (N, P)

STEPS_ALONG = 24  # grid steps between the ends: fine enough for a bend around a cluster, 1,369 decodings
BEFORE, AFTER, ACROSS = 6, 6, 18  # grid steps before the start, after the end and to each side of the line
# Half of the 16-neighbourhood (the other half is the same edges backwards): rook, bishop and knight moves.
OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1), (1, 2), (2, 1), (1, -2), (2, -1))
DENSE = 8  # points per path segment when a length is measured


def plane_axes(start: np.ndarray, end: np.ndarray, hints: np.ndarray | None = None) -> np.ndarray:
    """(2, D) orthonormal: the unit step from start to end, then the direction among `hints` (K, D) and the
    coordinate axes that is least parallel to it, with the first component removed."""
    along = np.asarray(end, np.float64) - np.asarray(start, np.float64)
    along /= np.linalg.norm(along)
    candidates = np.eye(len(along)) if hints is None else np.vstack([np.asarray(hints, np.float64), np.eye(len(along))])
    candidates = candidates / np.linalg.norm(candidates, axis=1, keepdims=True).clip(1e-12)
    best = candidates[int(np.argmin(np.abs(candidates @ along)))]
    across = best - (best @ along) * along
    return np.stack([along, across / np.linalg.norm(across)])


def grid_codes(start: np.ndarray, end: np.ndarray, hints: np.ndarray | None = None) -> tuple[np.ndarray, int, int]:
    """The search grid: (codes (rows * cols, D) float64, start's node, end's node), rows across, cols along."""
    start = np.asarray(start, np.float64)
    step = float(np.linalg.norm(np.asarray(end, np.float64) - start)) / STEPS_ALONG
    axes = plane_axes(start, end, hints) * step
    along = np.arange(-BEFORE, STEPS_ALONG + AFTER + 1)
    across = np.arange(-ACROSS, ACROSS + 1)
    rows, cols = np.meshgrid(across, along, indexing="ij")
    codes = start + rows.reshape(-1, 1) * axes[1] + cols.reshape(-1, 1) * axes[0]
    width = len(along)
    return codes, ACROSS * width + BEFORE, ACROSS * width + BEFORE + STEPS_ALONG


def shortest_path(images_of: ImagesOf, start: np.ndarray, end: np.ndarray, hints: np.ndarray | None = None
                  ) -> np.ndarray:
    """(K, D) float32: the grid's shortest path from `start` (D,) to `end` (D,) under the pulled-back metric,
    both ends included; the straight segment if they coincide."""
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    if np.allclose(start, end):
        return np.stack([start, end])
    codes, first, last = grid_codes(start, end, hints)
    images = np.asarray(images_of(codes.astype(np.float32)), np.float64)
    height, width = 2 * ACROSS + 1, BEFORE + STEPS_ALONG + AFTER + 1
    node = np.arange(height * width).reshape(height, width)
    heads, tails = [], []
    for dr, dc in OFFSETS:
        a = node[max(0, -dr):height - max(0, dr), max(0, -dc):width - max(0, dc)]
        heads.append(a.ravel())
        tails.append((a + dr * width + dc).ravel())
    heads, tails = np.concatenate(heads), np.concatenate(tails)
    # A tiny floor: csgraph reads an explicit zero weight as no edge, and two saturated decodings can be equal.
    weights = np.linalg.norm(images[heads] - images[tails], axis=1) + 1e-12
    graph = coo_matrix((weights, (heads, tails)), shape=(node.size, node.size)).tocsr()
    _, predecessors = dijkstra(graph, directed=False, indices=first, return_predecessors=True)
    chain = [last]
    while chain[-1] != first:
        chain.append(int(predecessors[chain[-1]]))
    path = codes[chain[::-1]].astype(np.float32)
    path[0], path[-1] = start, end  # exact ends, not their float64 round trip
    return path


def densify(path: np.ndarray, per_segment: int = DENSE) -> np.ndarray:
    """(K, D) polyline -> ((K - 1) * per_segment + 1, D): each segment cut into `per_segment` equal pieces."""
    path = np.asarray(path, np.float64)
    t = np.arange(per_segment)[None, :, None] / per_segment
    pieces = path[:-1, None] + t * (path[1:] - path[:-1])[:, None]
    return np.concatenate([pieces.reshape(-1, path.shape[1]), path[-1:]]).astype(np.float32)


def step_lengths(images_of: ImagesOf, points: np.ndarray) -> np.ndarray:
    """(K - 1,) the pixel-space distance between the decodings of consecutive points (K, D)."""
    images = np.asarray(images_of(np.asarray(points, np.float32)), np.float64)
    return np.linalg.norm(np.diff(images, axis=0), axis=1)


def pixel_length(images_of: ImagesOf, path: np.ndarray, per_segment: int = DENSE) -> float:
    """How far the decoded image travels along the polyline `path` (K, D), measured on its densified points."""
    return float(step_lengths(images_of, densify(path, per_segment)).sum())


def even_steps(images_of: ImagesOf, path: np.ndarray, steps: int) -> np.ndarray:
    """(steps, D) points along the polyline `path` (K, D), ends included, that split its pixel-space length into
    equal parts, so the decoded strip changes by the same amount at every step."""
    dense = densify(path).astype(np.float64)
    travelled = np.concatenate([[0.0], np.cumsum(step_lengths(images_of, dense))])
    targets = np.linspace(0.0, travelled[-1], steps)
    segment = np.clip(np.searchsorted(travelled, targets, side="right") - 1, 0, len(dense) - 2)
    span = (travelled[segment + 1] - travelled[segment]).clip(1e-12)
    share = np.clip((targets - travelled[segment]) / span, 0.0, 1.0)[:, None]
    return (dense[segment] + share * (dense[segment + 1] - dense[segment])).astype(np.float32)


@dataclass(frozen=True)
class PathReport:
    """One path between two codes: its `frames` (steps, D) as the strip shows them, how far its decoded image
    travels (`pixel_length`, in pixel units with pixels in [0, 1]) and the largest single step of the strip as a
    share of the strip's whole change (`largest_step`: 1 / (steps - 1) for a perfectly even strip)."""

    frames: np.ndarray
    pixel_length: float
    largest_step: float


def compare(images_of: ImagesOf, start: np.ndarray, end: np.ndarray, shortest: np.ndarray, steps: int
            ) -> dict[str, PathReport]:
    """The linear, spherical and shortest (`shortest`, (K, D), from shortest_path) paths from start to end (D,),
    each shown in `steps` frames: the first two evenly in z, the last evenly in image change. Lengths are measured
    on STEPS_ALONG + 1 points of each curve, densified, so the three are measured alike."""
    fine = {"linear": lerp(start, end, STEPS_ALONG + 1), "spherical": slerp(start, end, STEPS_ALONG + 1),
            "geodesic": shortest}
    frames = {"linear": lerp(start, end, steps), "spherical": slerp(start, end, steps),
              "geodesic": even_steps(images_of, shortest, steps)}
    reports = {}
    for name, shown in frames.items():
        changes = step_lengths(images_of, shown)
        largest = float(changes.max() / changes.sum()) if changes.sum() > 0 else 0.0
        reports[name] = PathReport(shown, pixel_length(images_of, fine[name]), largest)
    return reports
