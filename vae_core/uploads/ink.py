"""Find the ink of one digit in a photo, scan or drawing: the part of the preprocessing that sees paper.

`find_ink` takes an intensity image and returns the digit's soft ink, its binary
mask and where it is. Lighting is evened out the way document scanners do it
(a closing estimates the paper, so gradients, vignettes and shadow edges drop
out), ruled lines and specks are removed, and a blank page is told apart from
a faint digit by the noise of the paper itself.
"""
from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage as ndi


class NoInkError(ValueError):
    """No digit strokes in the image; str(error) says why, for people."""


def resize(arr: np.ndarray, size: tuple[int, int], resample=Image.Resampling.BOX) -> np.ndarray:
    """(H, W) float -> (size[1], size[0]) float, via a 32-bit float ("F") PIL image."""
    return np.asarray(Image.fromarray(arr.astype(np.float32)).resize(size, resample))


def shrink(arr: np.ndarray, longest: int) -> np.ndarray:
    """(H, W) -> area-averaged copy whose longer side is at most `longest`."""
    h, w = arr.shape
    f = longest / max(h, w)
    return arr if f >= 1 else resize(arr, (max(1, round(w * f)), max(1, round(h * f))))


def _lighting(img: np.ndarray, frac: float) -> np.ndarray:
    """Slowly varying background (H, W) of `img`: a median over windows of
    `frac` of the image size, computed on a <=32 px copy (lighting varies
    slowly, and this keeps the large window cheap). Thin strokes fill far less
    than half of a window, so the median is the paper, whichever its polarity.
    """
    small = shrink(img, 32)
    bg = ndi.median_filter(small, size=max(3, round(max(small.shape) * frac)), mode="nearest")
    return resize(ndi.gaussian_filter(bg, 1.0), img.shape[::-1], Image.Resampling.BILINEAR)


def _paper(img: np.ndarray) -> np.ndarray:
    """The paper under dark ink, (H, W): a grey closing (a local maximum, then a
    local minimum) over windows of 1/16 of the image, on a <=256 px copy.
    A closing erases every dark mark narrower than its window but keeps a
    shadow's edge where it is, so subtracting the image from it leaves the
    ink and evens out gradients, vignettes and shadows alike (the way
    document scanners flatten a page). Dividing would even out the ink's
    contrast too, but would also magnify the noise in a deep shadow.
    """
    small = shrink(img, 256)
    size = max(5, round(max(small.shape) / 16))
    closed = ndi.grey_closing(small, size=(size, size), mode="nearest")
    closed = ndi.gaussian_filter(closed, size / 8)
    return np.maximum(resize(closed, img.shape[::-1], Image.Resampling.BILINEAR), img)


def _ink_residual(img: np.ndarray) -> np.ndarray:
    """Intensity (H, W) -> ink-high residual (H, W): ink > 0, background ~0.

    If the paper is flat (scans, canvas drawings, MNIST itself) it is the Otsu
    class that holds most of the image border, and is subtracted as a constant:
    bold strokes survive. Otherwise (uneven lighting) the ink is the side that
    deviates most from the local median, measured against the paper that a
    closing finds under it. Decisions are taken on a <=256 px copy.
    """
    small = shrink(img, 256)  # the decisions below need no detail; only the residual does
    t = _otsu(small)
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    sign = -1.0 if (border > t).mean() > 0.5 else 1.0  # -1: dark ink on light paper
    ink = small < t if sign < 0 else small > t
    # Paper = pixels away from the ink class (blurred edges of enlarged images reach far).
    reach = max(2, round(0.02 * max(small.shape)))
    rest = small[~ndi.maximum_filter(ink, size=2 * reach + 1)]
    if ink.any() and ink.mean() < 0.5 and rest.size > small.size // 10:
        spread = np.ptp(np.percentile(rest, [5, 95]))
        contrast = abs(float(np.median(small[ink])) - float(np.median(rest)))
        # Flat: the paper varies little, and far less than the ink differs from it (else a gentle
        # gradient would pass for flat and its darker side for ink).
        if spread < 0.1 and spread < 0.25 * contrast:
            return sign * (img - float(np.median(rest)))
    r = small - _lighting(small, 1 / 4)
    noise = 3 * 1.4826 * np.median(np.abs(r - np.median(r)))  # ignore noise-level deviations
    if np.clip(-r - noise, 0, None).sum() > np.clip(r - noise, 0, None).sum():
        return _paper(img) - img
    return _paper(1 - img) - (1 - img)  # light ink on a dark ground: the same, upside down


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of a 1-D array of floats."""
    hist, edges = np.histogram(values, bins=256)
    p = hist / hist.sum()
    w0, mu = np.cumsum(p), np.cumsum(p * edges[:-1])
    between = (mu[-1] * w0 - mu) ** 2 / np.maximum(w0 * (1 - w0), 1e-12)
    return float(edges[np.argmax(between[:-1]) + 1])


def _band(out: np.ndarray, rows: np.ndarray, cols: np.ndarray, half: float) -> None:
    """Mark in `out` (H, W) the full-width band within `half` px of the straight
    line fitted to pixels (rows, cols): fragments of a ruled line beyond a gap
    belong to it too."""
    h, w = out.shape
    slope, icept = np.polyfit(cols, rows, 1) if np.ptp(cols) else (0.0, rows.mean())
    for _ in range(2):  # refit on the pixels near the line: a digit's stroke across it pulls the first fit
        near = np.abs(rows - (icept + slope * cols)) <= 2 * half
        if near.any() and np.ptp(cols[near]) > 0:
            slope, icept = np.polyfit(cols[near], rows[near], 1)
    xs = np.arange(w)
    centre = icept + slope * xs
    for off in range(-int(np.ceil(half)), int(np.ceil(half)) + 1):
        ys = np.round(centre).astype(int) + off
        ok = (ys >= 0) & (ys < h) & (np.abs(ys - centre) <= half)
        out[ys[ok], xs[ok]] = True


def _long_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels (H, W bool) of thin horizontal lines spanning >= 75% of the width.

    Rows are scanned on a copy thickened by one pixel up and down, so a slightly
    tilted ruled line still gives long runs; stretches >= W/16 that are mostly
    ink are grouped, and a group that is long and on average thin is a line.
    A digit's bar can't qualify: MNIST-like digits span at most 20/28 = 71% of
    the width, and are thick.
    """
    h, w = mask.shape
    # A line tilted by up to 5% (3 degrees: a phone held a little askew; the search below finds no
    # steeper ones) stays within a band of 5% of the width: only rows near a band holding 40% of a
    # row's pixels can be part of one (the search costs far more than this).
    band = max(3, 2 * round(0.045 * w) + 1)
    near = ndi.maximum_filter1d(ndi.maximum_filter1d(mask, band, axis=0).sum(axis=1) >= 0.4 * w, 2 * band + 1)
    lines = np.zeros_like(mask)
    stretches, _ = ndi.label(near)
    for (rows,) in ndi.find_objects(stretches):
        lines[rows] = _lines_in_rows(mask[rows], h)
    return lines


def _lines_in_rows(mask: np.ndarray, height: int) -> np.ndarray:
    """`_long_lines` within a stretch of rows (h, W) of an image `height` rows high."""
    h, w = mask.shape
    thick = ndi.maximum_filter1d(mask, 3, axis=0)
    # Mostly-inked stretches of a row, so faint dotted lines count too.
    span = max(3, w // 16)
    dense = ndi.uniform_filter1d(thick.astype(np.float32), span, axis=1) >= 0.6
    runs = ndi.maximum_filter1d(dense, span, axis=1) & thick
    gap = max(1, w // 10)  # bridge gaps in a line (shadows, the digit crossing it)
    groups, _ = ndi.label(ndi.maximum_filter1d(ndi.maximum_filter1d(runs, 2 * gap + 1, axis=1), 3, axis=0))
    lines = np.zeros_like(mask)
    for i, sl in enumerate(ndi.find_objects(groups), start=1):
        part = runs[sl] & (groups[sl] == i)
        cols = np.nonzero(part.any(axis=0))[0] + sl[1].start
        extent, thickness = cols[-1] - cols[0] + 1, part.sum() / (cols[-1] - cols[0] + 1)
        # A line faded by a shadow may be shorter, but still starts at an edge.
        at_edge = cols[0] <= 0.02 * w or cols[-1] >= 0.98 * w - 1
        if thickness <= max(5, 0.02 * height) and (
            extent >= 0.75 * w or (at_edge and extent >= 0.4 * w and extent >= 30 * thickness)
        ):
            rows, cols = np.nonzero(part)
            _band(lines, rows + sl[0].start, cols + sl[1].start, thickness / 2 + 1)
    return lines & mask


def _ruled_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels (H, W bool) of ruled lines, horizontal or vertical, with a pixel of margin."""
    lines = _long_lines(mask) | _long_lines(mask.T).T
    return ndi.binary_dilation(lines) if lines.any() else lines


def _digit_sized(mask: np.ndarray) -> bool:
    """Whether the ink of mask (H, W) spans at least 5% of the image: more than dots or specks."""
    rows, cols = np.nonzero(mask)
    return rows.size > 0 and max(np.ptp(rows), np.ptp(cols)) + 1 >= 0.05 * max(mask.shape)


def _clean_mask(mask: np.ndarray) -> np.ndarray:
    """Drop ruled lines, dust and stray blobs from a binary ink mask (H, W).

    Pixels are grouped with some slack (1% of the size, >= 3 px), so a stroke
    cut where a ruled line crossed it stays one piece. The digit is the
    heaviest group; other groups are kept only if they are near it (a detached
    bar of a 5) and not specks.
    """
    lines = _ruled_lines(mask)
    rest = mask & ~lines
    if ndi.label(lines)[1] == 1 and not _digit_sized(rest):
        rest = mask  # one straight stroke and nothing else: a tightly cropped 1, not a ruled line
    mask = rest
    slack = max(3, 0.01 * max(mask.shape))
    groups, n = ndi.label(ndi.maximum_filter(mask, size=2 * round(slack) + 1), np.ones((3, 3)))
    if n <= 1:
        return mask
    areas = np.bincount((groups * mask).ravel(), minlength=n + 1)[1:]
    boxes = ndi.find_objects(groups)
    main = int(np.argmax(areas))
    (r0, r1), (c0, c1) = [(s.start, s.stop) for s in boxes[main]]
    pad = max(r1 - r0, c1 - c0) // 4
    keep = np.zeros(n + 1, bool)
    for i, (rows, cols) in enumerate(boxes):
        near = rows.stop > r0 - pad and rows.start < r1 + pad and cols.stop > c0 - pad and cols.start < c1 + pad
        keep[i + 1] = near and areas[i] >= 0.05 * areas[main]
    return keep[groups] & mask


def find_ink(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """Intensity (H, W) -> (soft ink in [0, 1], cleaned binary mask), both (h, w) cut around the
    digit with room to widen its strokes, and the ink's box (top, bottom, left, right) in (H, W)."""
    d = _ink_residual(img)
    step = max(1, round(np.sqrt(d.size / 40_000)))  # for the background's statistics ~40,000 pixels are plenty
    sample = d[::step, ::step]
    base = float(np.median(sample))
    # Noise: the spread around the median, unless pixel-to-pixel changes say it is less (a
    # lighting gradient left on the paper widens the spread, not the changes).
    fine = sample - ndi.uniform_filter(sample, 3)
    noise = 1.4826 * min(float(np.median(np.abs(sample - base))), 1.06 * float(np.median(np.abs(fine))))
    if d.max() - base < max(0.1, 6 * noise):
        raise NoInkError("the image looks blank: no digit strokes found")
    mask = _clean_mask(d > max(_otsu(sample), base + 5 * noise))
    if not mask.any():
        raise NoInkError("the image looks blank: no digit strokes found")
    if not _digit_sized(mask):
        raise NoInkError("no digit found, only dots or specks (crop closer to a small digit)")
    rows, cols = np.nonzero(mask)
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    pad = max(r1 - r0, c1 - c0) // 4 + 3  # room for widened strokes and soft edges
    cut = (slice(max(0, r0 - pad), r1 + pad), slice(max(0, c0 - pad), c1 + pad))
    d, mask = d[cut], mask[cut]
    floor = base + 3 * noise  # 0 for clean images, so MNIST-like input keeps its grey edges
    level = float(np.percentile(d[mask], 90))
    soft = np.clip((d - floor) / max(level - floor, 1e-6), 0, 1)
    return soft * ndi.binary_dilation(mask, iterations=2), mask, (r0, r1, c0, c1)
