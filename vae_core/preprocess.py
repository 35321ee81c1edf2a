"""Turn an arbitrary uploaded image of a digit into a 28x28 MNIST-style input.

MNIST was made by cropping each digit to its ink, scaling it to fit a 20x20 box
(anti-aliased, aspect kept) and placing it in a 28x28 frame by centre of mass,
white ink on black. We do the same, after cleaning up what real uploads bring:
alpha channels, either ink polarity, uneven lighting, dust, ruled lines and
pen strokes far thinner than MNIST's.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage as ndi

BOX, FRAME = 20, 28
MNIST_COM = 14.0  # mean centre of mass (row and column index) of the MNIST test set
TARGET_STROKE = 2.5  # px at 28x28; MNIST's median stroke is ~2.7, its 10th percentile ~2.1
WORK_MAX = 1024  # larger images are reduced first: nothing below needs more detail


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
        else:
            data = source.read()
        if not data:
            raise ImageDecodeError("the file is empty")
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ImageDecodeError(f"the image is too large to process ({exc})") from exc
        except Exception as exc:  # UnidentifiedImageError and format-specific errors
            raise ImageDecodeError("not a recognised image format (PNG, JPEG, GIF, BMP, WebP, ...)") from exc
    try:
        image.seek(0)  # first frame of an animation; a no-op for still images
        image.load()
        image = ImageOps.exif_transpose(image) or image
    except Exception as exc:  # truncated data surfaces as OSError, SyntaxError, ValueError...
        raise ImageDecodeError(f"the image data is truncated or corrupt ({exc})") from exc
    if image.width < 1 or image.height < 1:
        raise ImageDecodeError("the image has no pixels")
    return image


def _gray_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """PIL image -> gray (H, W) float32 in [0, 1] and alpha (H, W) or None if opaque."""
    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;"):
        # 16/32-bit images: Pillow's convert("L") would clip, so scale by bit depth.
        arr = np.asarray(image, dtype=np.float32)
        top = 1.0 if mode == "F" and arr.max() <= 1 else 255.0 if arr.max() <= 255 else 65535.0
        return np.clip(arr / top, 0, 1), None
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
        gray = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float32) / 255
        return gray, (alpha if alpha.min() < 0.98 else None)
    return np.asarray(image.convert("L"), dtype=np.float32) / 255, None


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
    """(H, W) float -> (size[1], size[0]) float, via a 32-bit float PIL image."""
    return np.asarray(Image.fromarray(arr.astype(np.float32), mode="F").resize(size, resample))


def _smooth_background(img: np.ndarray, op) -> np.ndarray:
    """Background (H, W) of `img` from `op(small, size)` on a <=128 px copy.

    Lighting varies slowly, so a small copy is enough and keeps large-kernel
    filters cheap; the kernel is a quarter of the image, wider than strokes.
    """
    h, w = img.shape
    f = min(1.0, 128 / max(h, w))
    small = _resize(img, (max(1, round(w * f)), max(1, round(h * f))))
    bg = op(small, max(3, round(max(small.shape) / 4)))
    return _resize(ndi.gaussian_filter(bg, 1.0), (w, h), Image.Resampling.BILINEAR)


def _ink_up(img: np.ndarray) -> np.ndarray:
    """Return `img` (H, W) or its negative so that ink is high.

    Ink is the side that deviates most from the local (median) background:
    a global or border reference fails under uneven lighting.
    """
    r = img - _smooth_background(img, lambda a, k: ndi.median_filter(a, size=k))
    t = 3 * 1.4826 * np.median(np.abs(r - np.median(r)))  # ignore noise-level deviations
    bright, dark = np.clip(r - t, 0, None).sum(), np.clip(-r - t, 0, None).sum()
    return 1 - img if dark > bright else img


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of a 1-D array of floats."""
    hist, edges = np.histogram(values, bins=256)
    p = hist / hist.sum()
    w0, mu = np.cumsum(p), np.cumsum(p * edges[:-1])
    between = (mu[-1] * w0 - mu) ** 2 / np.maximum(w0 * (1 - w0), 1e-12)
    return float(edges[np.argmax(between[:-1]) + 1])


def _long_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels (H, W bool) of thin horizontal lines spanning >= 75% of the width.

    Runs of >= W/4 pixels along a row are grouped (tolerating a slight tilt)
    and a group counts as a ruled line if it is long and on average thin.
    A digit's bar can't qualify: MNIST-like digits span at most 20/28 = 71%.
    """
    h, w = mask.shape
    diff = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    starts, ends = np.argwhere(diff == 1), np.argwhere(diff == -1)  # paired, row-major
    runs = np.zeros_like(mask)
    long = ends[:, 1] - starts[:, 1] >= w / 4
    for (row, start), (_, end) in zip(starts[long], ends[long]):
        runs[row, start:end] = True
    groups, _ = ndi.label(ndi.binary_dilation(runs, np.ones((5, 1))), np.ones((3, 3)))
    lines = np.zeros_like(mask)
    for i, sl in enumerate(ndi.find_objects(groups), start=1):
        part = runs[sl] & (groups[sl] == i)
        extent = sl[1].stop - sl[1].start
        if extent >= 0.75 * w and part.sum() / extent <= max(2.5, 0.02 * h):
            lines[sl] |= part
    return lines


def _clean_mask(mask: np.ndarray) -> np.ndarray:
    """Drop ruled lines, dust and stray blobs from a binary ink mask (H, W)."""
    lines = _long_lines(mask) | _long_lines(mask.T).T
    mask = mask & ~ndi.binary_dilation(lines)
    labels, n = ndi.label(mask, np.ones((3, 3)))
    if n <= 1:
        return mask
    areas = np.bincount(labels.ravel())[1:]
    main = int(np.argmax(areas))
    (r0, r1), (c0, c1) = [(s.start, s.stop) for s in ndi.find_objects(labels)[main]]
    pad = max(r1 - r0, c1 - c0) // 4
    keep = np.zeros(n + 1, bool)
    for i, sl in enumerate(ndi.find_objects(labels)):
        near = sl[0].stop > r0 - pad and sl[0].start < r1 + pad and sl[1].stop > c0 - pad and sl[1].start < c1 + pad
        # Pieces of the digit are near it or big; dust is small, far or both.
        keep[i + 1] = areas[i] >= 0.02 * areas[main] and (near or areas[i] >= 0.25 * areas[main])
    return keep[labels]


def _ink_map(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ink-high image (H, W) -> (soft ink in [0, 1], cleaned binary mask), both (H, W)."""
    d = img - _smooth_background(img, lambda a, k: ndi.grey_opening(a, size=(k, k)))
    base = float(np.median(d))
    noise = 1.4826 * float(np.median(np.abs(d - base)))
    if d.max() - base < max(0.1, 6 * noise):
        raise ImageDecodeError("the image looks blank: no digit strokes found")
    mask = _clean_mask(d > max(_otsu(d), base + 5 * noise))
    if not mask.any():
        raise ImageDecodeError("the image looks blank: no digit strokes found")
    floor = base + 3 * noise  # 0 for clean images, so MNIST-like input keeps its grey edges
    level = float(np.percentile(d[mask], 90))
    soft = np.clip((d - floor) / max(level - floor, 1e-6), 0, 1)
    return soft * ndi.binary_dilation(mask, iterations=2), mask


def _thicken(soft: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Widen thin strokes (H, W) so that after scaling to 20x20 they are ~2.5 px.

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
    gray, alpha = _gray_alpha(image)
    img = _intensity(gray, alpha)
    h, w = img.shape
    if max(h, w) > WORK_MAX:
        f = WORK_MAX / max(h, w)
        img = _resize(img, (max(1, round(w * f)), max(1, round(h * f))))
    soft, mask = _ink_map(_ink_up(img))
    return _frame(_thicken(soft, mask))


def preprocess(source: str | Path | bytes | BinaryIO | Image.Image) -> np.ndarray:
    """load_image then to_mnist_array: any supported input -> float32 (28, 28)."""
    return to_mnist_array(load_image(source))


def to_tensor(array: np.ndarray):
    """(28, 28) array -> torch.Tensor (1, 1, 28, 28) float32, ready for VAE.encode."""
    import torch  # imported here so preprocessing alone does not need torch

    return torch.as_tensor(np.asarray(array, dtype=np.float32)).reshape(1, 1, FRAME, FRAME)
