"""Turn an arbitrary uploaded image of a digit into a 28x28 MNIST-style input.

MNIST was made by cropping each digit to its ink, scaling it to fit a 20x20 box
(anti-aliased, aspect kept) and placing it in a 28x28 frame by centre of mass,
white ink on black. We do the same, after cleaning up what real uploads bring:
alpha channels, either ink polarity, uneven lighting, dust, ruled lines and
pen strokes far thinner than MNIST's.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage as ndi

BOX, FRAME = 20, 28
MNIST_COM = 14.0  # mean centre of mass (row and column index) of the MNIST test set
TARGET_STROKE = 2.2  # px; true MNIST stroke widths: median 2.4, 25th percentile 2.1
WORK_MAX = 1024  # larger images are reduced first: nothing below needs more detail
# Uploads are refused above this many pixels, read from the header before anything is decoded:
# a 28 KB PNG can claim 13000 x 13000 pixels and cost gigabytes once decoded.
MAX_PIXELS = 40_000_000
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")  # what the app's uploader names; nothing else is opened


class ImageDecodeError(ValueError):
    """The input is not a usable image of a digit; str(error) says why, for people."""


def load_image(source: str | Path | bytes | BinaryIO | Image.Image) -> Image.Image:
    """Open and fully decode `source` (path, bytes, file object or PIL image).

    Animated images give their first frame; EXIF rotation is applied.
    Raises ImageDecodeError for empty, corrupt, truncated or unknown data.
    """
    if isinstance(source, Image.Image):
        image = source
    else:
        if isinstance(source, (str, Path)):
            data = Path(source).read_bytes()  # in memory, so no file handle stays open
        elif isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        else:  # getvalue: a Streamlit upload may already have been read
            data = source.getvalue() if hasattr(source, "getvalue") else source.read()
        if not data:
            raise ImageDecodeError("the file is empty")
        try:
            with warnings.catch_warnings():  # Pillow's bomb warning: _check_size below refuses sooner anyway
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError as exc:
            raise ImageDecodeError(f"the image is too large to process ({exc})") from exc
        except Exception as exc:  # UnidentifiedImageError and format-specific errors
            raise ImageDecodeError("not a recognised image format (PNG, JPEG, GIF, BMP or WebP)") from exc
    _check_size(image)
    if image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when that still gives WORK_MAX pixels
        image.draft(image.mode, (WORK_MAX, WORK_MAX))
    try:
        image.seek(0)  # first frame of an animation; a no-op for still images
        image.load()
    except Exception as exc:  # truncated data surfaces as OSError, SyntaxError, ValueError...
        raise ImageDecodeError(f"the image data is truncated or corrupt ({exc})") from exc
    try:  # phone photos are often stored sideways with an EXIF rotation
        return ImageOps.exif_transpose(image) or image
    except Exception:  # broken EXIF: the pixels are still good
        return image


def _check_size(image: Image.Image) -> None:
    """Refuse, from the header alone, an image whose pixels would not fit the budget."""
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        raise ImageDecodeError(f"the image is {image.width} x {image.height} pixels ({pixels / 1e6:.0f} megapixels); "
                               f"the limit is {MAX_PIXELS / 1e6:.0f} megapixels")


def preview(image: Image.Image, longest: int = 512) -> np.ndarray:
    """Any image (any mode or bit depth) -> uint8 RGB (h, w, 3) at most `longest` px: what a page can show."""
    if image.mode in ("I", "F") or image.mode.startswith("I;"):
        gray, _ = _gray_alpha(image)
        rgb = np.repeat((gray * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=2)
        image = Image.fromarray(rgb, "RGB")
    else:
        image = image.convert("RGBA").convert("RGB") if "transparency" in image.info else image.convert("RGB")
    image.thumbnail((longest, longest))
    return np.asarray(image, dtype=np.uint8)


def _gray_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """PIL image -> gray (H, W) float32 in [0, 1] and alpha (H, W) or None if opaque."""
    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;"):
        # 16/32-bit images: Pillow's convert("L") would clip, so scale by bit depth.
        arr = np.nan_to_num(np.asarray(image, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        top = 1.0 if mode == "F" and arr.max() <= 1 else 255.0 if arr.max() <= 255 else 65535.0
        return np.clip(arr / top, 0, 1), None
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
        gray = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float32) / 255
        return gray, (alpha if alpha.min() < 0.98 else None)
    if mode == "LAB":  # Pillow can't convert LAB; its L channel is the lightness
        return np.asarray(image.getchannel(0), dtype=np.float32) / 255, None
    try:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255, None
    except ValueError as exc:
        raise ImageDecodeError(f"unsupported colour mode {mode}") from exc


def _intensity(gray: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Fold alpha into one (H, W) intensity map; polarity is decided later.

    Transparent pixels are background whatever their RGB (canvas exports store
    black or white there). If the opaque pixels are one colour, or are mostly
    strokes, the alpha channel alone is the drawing; otherwise composite onto
    the paper colour, i.e. the typical opaque pixel.
    """
    if alpha is None:
        return gray
    opaque = alpha >= 0.5
    if not opaque.any():
        return np.zeros_like(gray)
    if gray[opaque].std() < 0.08 or opaque.mean() < 0.5:
        return alpha
    paper = float(np.median(gray[opaque]))
    return alpha * gray + (1 - alpha) * paper


def _resize(arr: np.ndarray, size: tuple[int, int], resample=Image.Resampling.BOX) -> np.ndarray:
    """(H, W) float -> (size[1], size[0]) float, via a 32-bit float ("F") PIL image."""
    return np.asarray(Image.fromarray(arr.astype(np.float32)).resize(size, resample))


def _shrink(arr: np.ndarray, longest: int) -> np.ndarray:
    """(H, W) -> area-averaged copy whose longer side is at most `longest`."""
    h, w = arr.shape
    f = longest / max(h, w)
    return arr if f >= 1 else _resize(arr, (max(1, round(w * f)), max(1, round(h * f))))


def _lighting(img: np.ndarray, frac: float) -> np.ndarray:
    """Slowly varying background (H, W) of `img`: a median over windows of
    `frac` of the image size, computed on a <=128 px copy (lighting varies
    slowly, and this keeps the large window cheap). Thin strokes fill far less
    than half of a window, so the median is the paper; unlike an opening it
    follows a shadow into a corner.
    """
    small = _shrink(img, 128)
    bg = ndi.median_filter(small, size=max(3, round(max(small.shape) * frac)), mode="nearest")
    return _resize(ndi.gaussian_filter(bg, 1.0), img.shape[::-1], Image.Resampling.BILINEAR)


def _ink_residual(img: np.ndarray) -> np.ndarray:
    """Intensity (H, W) -> ink-high residual (H, W): ink > 0, background ~0.

    If the paper is flat (scans, canvas drawings, MNIST itself) it is the Otsu
    class that holds most of the image border, and is subtracted as a constant:
    bold strokes survive. Otherwise (uneven lighting) the paper is a local
    median, and the ink is the side that deviates most from it.
    """
    t = _otsu(img)
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    sign = -1.0 if (border > t).mean() > 0.5 else 1.0  # -1: dark ink on light paper
    ink = img < t if sign < 0 else img > t
    # Paper = pixels away from the ink class (blurred edges of enlarged images reach far).
    rest = img[ndi.distance_transform_edt(~ink) > max(2, 0.02 * max(img.shape))]
    if rest.size > img.size // 10 and np.ptp(np.percentile(rest, [5, 95])) < 0.1:
        return sign * (img - float(np.median(rest)))
    r = img - _lighting(img, 1 / 4)
    noise = 3 * 1.4826 * np.median(np.abs(r - np.median(r)))  # ignore noise-level deviations
    sign = -1.0 if np.clip(-r - noise, 0, None).sum() > np.clip(r - noise, 0, None).sum() else 1.0
    return sign * (img - _lighting(img, 1 / 8))


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
    thick = ndi.binary_dilation(mask, np.ones((3, 1), bool))
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
        if thickness <= max(5, 0.02 * h) and (
            extent >= 0.75 * w or (at_edge and extent >= 0.4 * w and extent >= 30 * thickness)
        ):
            rows, cols = np.nonzero(part)
            _band(lines, rows + sl[0].start, cols + sl[1].start, thickness / 2 + 1)
    return lines & mask


def _clean_mask(mask: np.ndarray) -> np.ndarray:
    """Drop ruled lines, dust and stray blobs from a binary ink mask (H, W).

    Pixels are grouped with some slack (1% of the size, >= 3 px), so a stroke
    cut where a ruled line crossed it stays one piece. The digit is the
    heaviest group; other groups are kept only if they are near it (a detached
    bar of a 5) and not specks.
    """
    lines = _long_lines(mask) | _long_lines(mask.T).T
    mask = mask & ~ndi.binary_dilation(lines)
    slack = max(3, 0.01 * max(mask.shape))
    groups, n = ndi.label(ndi.distance_transform_edt(~mask) <= slack, np.ones((3, 3)))
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


def _ink_map(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intensity (H, W) -> (soft ink in [0, 1], cleaned binary mask), both (H, W)."""
    d = _ink_residual(img)
    base = float(np.median(d))
    noise = 1.4826 * float(np.median(np.abs(d - base)))
    if d.max() - base < max(0.1, 6 * noise):
        raise ImageDecodeError("the image looks blank: no digit strokes found")
    mask = _clean_mask(d > max(_otsu(d), base + 5 * noise))
    if not mask.any():
        raise ImageDecodeError("the image looks blank: no digit strokes found")
    rows, cols = np.nonzero(mask)
    if max(np.ptp(rows), np.ptp(cols)) + 1 < 0.05 * max(d.shape):
        raise ImageDecodeError("no digit found, only dots or specks (crop closer to a small digit)")
    floor = base + 3 * noise  # 0 for clean images, so MNIST-like input keeps its grey edges
    level = float(np.percentile(d[mask], 90))
    soft = np.clip((d - floor) / max(level - floor, 1e-6), 0, 1)
    return soft * ndi.binary_dilation(mask, iterations=2), mask


def _thicken(soft: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Widen thin strokes (H, W) so that after scaling to 20x20 they are >= ~2.2 px.

    Stroke width w = 2 * area / boundary length of the mask; growing by r on
    each side gives width w + 2r in a box grown by 2r, hence solve
    (w + 2r) * 20 / (B + 2r) = TARGET_STROKE for r.
    """
    rows, cols = np.nonzero(mask)
    extent = max(np.ptp(rows), np.ptp(cols)) + 1
    width = 2 * mask.sum() / max((mask & ~ndi.binary_erosion(mask)).sum(), 1)
    r = (TARGET_STROKE * extent - BOX * width) / (2 * BOX - 2 * TARGET_STROKE)
    if r <= 0.25:
        return soft
    dist = ndi.distance_transform_edt(~mask)  # distance to the nearest stroke pixel
    return np.maximum(soft, np.clip(r + 0.5 - dist, 0, 1))


def _frame(soft: np.ndarray) -> np.ndarray:
    """Crop (H, W) ink to its box, fit in 20x20, centre by mass in 28x28 float32."""
    rows, cols = np.nonzero(soft > 0.05)
    crop = soft[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    if max(h, w) != BOX:
        s = BOX / max(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        crop = np.clip(_resize(crop, size, Image.Resampling.LANCZOS), 0, 1)
    crop = crop / max(float(crop.max()), 1e-6)
    cy, cx = ndi.center_of_mass(crop)
    h, w = crop.shape
    top = int(np.clip(round(MNIST_COM - cy), 0, FRAME - h))
    left = int(np.clip(round(MNIST_COM - cx), 0, FRAME - w))
    out = np.zeros((FRAME, FRAME), np.float32)
    out[top:top + h, left:left + w] = crop
    return out


def to_mnist_array(image: Image.Image) -> np.ndarray:
    """PIL image of one digit -> float32 (28, 28) in [0, 1], ink high, MNIST-style.

    Raises ImageDecodeError if no ink can be found (a blank image).
    """
    if image.width < 1 or image.height < 1:
        raise ImageDecodeError("the image has no pixels")
    soft, mask = _ink_map(_shrink(_intensity(*_gray_alpha(image)), WORK_MAX))
    return _frame(_thicken(soft, mask))


def preprocess(source: str | Path | bytes | BinaryIO | Image.Image) -> np.ndarray:
    """load_image then to_mnist_array: any supported input -> float32 (28, 28)."""
    return to_mnist_array(load_image(source))
