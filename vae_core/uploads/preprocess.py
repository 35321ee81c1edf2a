"""Turn an arbitrary uploaded image of a digit into a 28x28 MNIST-style input.

MNIST was made by cropping each digit to its ink, scaling it to fit a 20x20 box
(anti-aliased, aspect kept) and placing it in a 28x28 frame by centre of mass,
white ink on black. We do the same, after cleaning up what real uploads bring:
alpha channels, either ink polarity, uneven lighting, dust, ruled lines
(`vae_core.uploads.ink` finds the ink), pen strokes far thinner than MNIST's (widened
to MNIST's median ink mass) and hands that lean more or less than MNIST's
writers (sheared to MNIST's median slant, unless asked not to).
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage as ndi

from vae_core.uploads.ink import NoInkError, find_ink, resize, shrink

BOX, FRAME = 20, 28
MNIST_COM = 14.0  # mean centre of mass (row and column index) of the MNIST test set
# Stroke width the thickening aims for, in px of the 20x20 box; chosen so that uploads' ink
# mass and width match MNIST's medians (101 and 2.2 px by bench/upload_fidelity.py's measure).
TARGET_STROKE = 2.6
THIN_STROKE = 2.0  # thinner than any MNIST test digit by the same measure: only these are widened
# MNIST's digits lean right: the median over its 60,000 training digits of the horizontal
# shift per row of ink (image moments mu11 / mu02) is -0.10 (quartiles -0.29 and 0.07).
MNIST_SLANT = -0.10
WORK_MAX = 1000  # larger images are reduced first: nothing below needs more detail
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
    f = WORK_MAX / max(image.size)
    if image.format == "JPEG" and f < 1:  # decode at 1/2, 1/4 or 1/8 scale when the longer side keeps WORK_MAX px
        image.draft(image.mode, (max(1, round(image.width * f)), max(1, round(image.height * f))))
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


def _reduce(soft: np.ndarray, mask: np.ndarray, longest: int) -> tuple[np.ndarray, np.ndarray]:
    """The digit's soft ink and mask (H, W), area-averaged to at most `longest` px: the 20x20 box needs
    no more detail, and widening and shearing a large crop cost more than all the rest. A pixel of the
    reduced mask is ink if any pixel under it was, so hairlines survive to be widened."""
    return shrink(soft, longest), shrink(mask.astype(np.float32), longest) > 0


def _widening(mask: np.ndarray) -> float:
    """How far (px) to grow the strokes of mask (H, W) on each side: 0 unless thinner than
    THIN_STROKE once scaled to 20x20, else enough to reach TARGET_STROKE.

    Stroke width w = 2 * area / boundary length of the mask; growing by r on
    each side gives width w + 2r in a box grown by 2r, hence solve
    (w + 2r) * 20 / (B + 2r) = TARGET_STROKE for r. Strokes as wide as most
    of MNIST's are left alone, so an MNIST digit comes back as it was.
    """
    rows, cols = np.nonzero(mask)
    extent = max(np.ptp(rows), np.ptp(cols)) + 1
    width = 2 * mask.sum() / max((mask & ~ndi.binary_erosion(mask)).sum(), 1)
    r = (TARGET_STROKE * extent - BOX * width) / (2 * BOX - 2 * TARGET_STROKE)
    return 0.0 if BOX * width / extent >= THIN_STROKE or r <= 0.25 else float(r)


def _thicken(soft: np.ndarray, mask: np.ndarray, r: float) -> np.ndarray:
    """Strokes of soft ink (H, W) grown by r px on each side around the mask (H, W)."""
    if r <= 0:
        return soft
    dist = ndi.distance_transform_edt(~mask)  # distance to the nearest stroke pixel
    return np.maximum(soft, np.clip(r + 0.5 - dist, 0, 1))


def _slant(ink: np.ndarray) -> tuple[float, float]:
    """(horizontal shift per row, centre row) of ink (H, W), from its image moments."""
    per_row, per_col = ink.sum(axis=1), ink.sum(axis=0)
    mass = max(float(per_row.sum()), 1e-6)
    dy = np.arange(ink.shape[0]) - per_row @ np.arange(ink.shape[0]) / mass
    dx = np.arange(ink.shape[1]) - per_col @ np.arange(ink.shape[1]) / mass
    mu11, mu02 = dy @ ink @ dx / mass, per_row @ dy**2 / mass
    return float(mu11 / max(mu02, 1e-6)), float(per_row @ np.arange(ink.shape[0]) / mass)


def _deslant(ink: np.ndarray) -> np.ndarray:
    """Shear ink (H, W) to MNIST's median slant: the 2-D map sorts digits by slant as much as by
    shape, so a digit written upright or leaning hard lands at the edge of its cluster or beyond."""
    slant, cy = _slant(ink)
    shear = slant - MNIST_SLANT
    pad = int(abs(shear) * max(cy, ink.shape[0] - 1 - cy)) + 2  # the sheared ink stays inside the frame
    wide = Image.fromarray(np.pad(ink, ((0, 0), (pad, pad))).astype(np.float32))
    # output pixel (x, y) samples input (x + shear * (y - cy), y)
    return np.asarray(wide.transform(wide.size, Image.Transform.AFFINE, (1, shear, -shear * cy, 0, 1, 0),
                                     Image.Resampling.BILINEAR))


def _frame(soft: np.ndarray) -> np.ndarray:
    """Crop (H, W) ink to its box, fit in 20x20, centre by mass in 28x28 float32."""
    rows, cols = np.nonzero(soft > 0.05)
    crop = soft[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    if max(h, w) != BOX:
        s = BOX / max(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        crop = np.clip(resize(crop, size, Image.Resampling.LANCZOS), 0, 1)
    crop = crop / max(float(crop.max()), 1e-6)
    cy, cx = ndi.center_of_mass(crop)
    h, w = crop.shape
    top = int(np.clip(round(MNIST_COM - cy), 0, FRAME - h))
    left = int(np.clip(round(MNIST_COM - cx), 0, FRAME - w))
    out = np.zeros((FRAME, FRAME), np.float32)
    out[top:top + h, left:left + w] = crop
    return out


@dataclass(frozen=True)
class Prepared:
    """x: float32 (28, 28) in [0, 1], ink high, MNIST-style; box: (left, top, right, bottom),
    the ink the digit was cut from, in the pixels of the image given to `prepare` (what `load_image`
    returns: EXIF-turned, a large JPEG decoded at a reduced scale)."""

    x: np.ndarray
    box: tuple[int, int, int, int]


def prepare(image: Image.Image, deslant: bool = True) -> Prepared:
    """PIL image of one digit -> Prepared; `deslant`: shear the digit to MNIST's median slant.
    Raises ImageDecodeError if no ink can be found (a blank image)."""
    if image.width < 1 or image.height < 1:
        raise ImageDecodeError("the image has no pixels")
    work = shrink(_intensity(*_gray_alpha(image)), WORK_MAX)
    try:
        soft, mask, (r0, r1, c0, c1) = find_ink(work)
    except NoInkError as exc:
        raise ImageDecodeError(str(exc)) from exc
    grow = _widening(mask)  # measured before the reduction, which widens hairlines in the mask
    reduced_soft, reduced_mask = _reduce(soft, mask, 8 * BOX)
    ink = _thicken(reduced_soft, reduced_mask, grow * reduced_soft.shape[0] / soft.shape[0])
    sx, sy = image.width / work.shape[1], image.height / work.shape[0]
    box = (int(c0 * sx), int(r0 * sy), min(image.width, int(np.ceil(c1 * sx))), min(image.height, int(np.ceil(r1 * sy))))
    return Prepared(_frame(_deslant(ink) if deslant else ink), box)


def to_mnist_array(image: Image.Image, deslant: bool = True) -> np.ndarray:
    """PIL image of one digit -> float32 (28, 28) in [0, 1], ink high, MNIST-style.

    Raises ImageDecodeError if no ink can be found (a blank image).
    """
    return prepare(image, deslant).x


def preprocess(source: str | Path | bytes | BinaryIO | Image.Image, deslant: bool = True) -> np.ndarray:
    """load_image then to_mnist_array: any supported input -> float32 (28, 28)."""
    return to_mnist_array(load_image(source), deslant)
