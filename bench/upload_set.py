"""A labelled set of uploads people make: scans, canvas exports and phone photos of handwritten digits.

    python -m bench.upload_set --out bench/out/upload_set [--per-style 200] [--seed 0]
    python -m bench.upload_set --out tests/fixtures/uploads --per-style 10 --seed 7 --longest 320
    python -m bench.upload_set --out bench/out/upload_set2 --generator 2   # the second, independent handwriting

writes <style>_<nnnn>_<label>.<ext> files and labels.csv (file, style, label,
hand, width, height, box: the ink's left top right bottom). The handwriting comes from `bench.handwriting` (parametric
pen strokes and handwriting fonts) or, with --generator 2, `bench.handwriting2` (Hershey stroke fonts and writer
habits, written apart from the first to check on a set nobody tuned on), never from MNIST. Each style brings what
real uploads bring:

- scan: near-white paper with grain, grey to black or blue ink, some ruled
  lines, a crop of 300-1200 px, PNG or JPEG;
- canvas: a drawing app's export (round brush, no pressure), opaque (white on
  black, black on white, coloured ink) or transparent (alpha holds the strokes,
  the RGB under transparent pixels black or white), 200-600 px;
- photo: 1600x1200 to 4000x3000 JPEG of pen on paper with a lighting gradient,
  a vignette, a colour cast, sometimes ruled lines, a margin, a shadow, a thin
  ballpoint line, and a digit from a tenth to a half of the frame's height.
"""
from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage as ndi
from tqdm import tqdm

from bench import handwriting, handwriting2

STYLES = ("scan", "canvas", "photo")
PHOTO_SIZES = ((1600, 1200), (2016, 1512), (3000, 2250), (4000, 3000))


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator, strength: float) -> np.ndarray:
    """Lighting (H, W) around 1: a gradient in a random direction and a vignette, built small then enlarged."""
    h, w = shape
    small = (48, 64)
    yy, xx = np.mgrid[0:1:small[0] * 1j, 0:1:small[1] * 1j]
    angle = rng.uniform(0, 2 * np.pi)
    grad = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) * strength
    vignette = rng.uniform(0.15, 0.5) * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 2
    field = (1 + grad - vignette).astype(np.float32)
    return np.asarray(Image.fromarray(field).resize((w, h), Image.Resampling.BILINEAR))


def _shadow(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W) multiplier: a soft-edged shadow (a hand or the phone) over one side of the frame."""
    h, w = shape
    small = np.ones((60, 80), np.float32)
    yy, xx = np.mgrid[0:60, 0:80]
    angle = rng.uniform(0, 2 * np.pi)
    side = np.cos(angle) * (xx - 40) + np.sin(angle) * (yy - 30) > rng.uniform(5, 25)
    small[side] = rng.uniform(0.45, 0.75)
    blurred = ndi.gaussian_filter(small, rng.uniform(2, 6))
    return np.asarray(Image.fromarray(blurred).resize((w, h), Image.Resampling.BILINEAR))


def _ruled(shape: tuple[int, int], rng: np.random.Generator, spacing: float, margin: bool) -> np.ndarray:
    """(H, W, 3) ink of light-blue ruled lines (and a red margin line), as fractions to darken."""
    h, w = shape
    lines = np.zeros((h, w, 3), np.float32)
    thick = max(1, round(spacing / 40))
    start = rng.uniform(0, spacing)
    tilt = rng.uniform(-0.08, 0.08)  # a page photographed up to 4.6 degrees askew
    cols = np.arange(w)
    for y in np.arange(start, h + w * abs(tilt), spacing):
        ys = np.round(y + tilt * cols).astype(int)
        for t in range(thick):
            ok = (ys + t >= 0) & (ys + t < h)
            lines[ys[ok] + t, cols[ok]] = (0.35, 0.2, 0.05)  # absorbs red most: a light blue line
    if margin:
        x = int(rng.uniform(0.05, 0.2) * w)
        lines[:, x:x + thick + 1] = (0.05, 0.35, 0.3)  # a pink-red margin
    return lines


def _place(ink: np.ndarray, shape: tuple[int, int], rng: np.random.Generator, spread: float) -> np.ndarray:
    """Put ink (h, w) into a zero (H, W) frame near its centre (offset up to `spread` of the free room)."""
    h, w = shape
    fit = 0.95 * min(h / ink.shape[0], w / ink.shape[1])
    if fit < 1:  # a wide digit in a narrow frame: smaller, never cut
        size = (max(1, int(ink.shape[1] * fit)), max(1, int(ink.shape[0] * fit)))
        ink = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.BOX))
    ih, iw = ink.shape
    top = int((h - ih) * (0.5 + rng.uniform(-spread, spread) / 2))
    left = int((w - iw) * (0.5 + rng.uniform(-spread, spread) / 2))
    out = np.zeros(shape, np.float32)
    out[top:top + ih, left:left + iw] = ink
    return out


def _jpeg(rgb: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _box(cover: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the ink in cover (H, W): where the digit really is."""
    rows, cols = np.nonzero(cover > 0.1)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)


Made = tuple[bytes, str, str, tuple[int, int, int, int]]  # file bytes, extension, hand, the ink's box


GENERATORS = {1: handwriting.digit_ink, 2: handwriting2.digit_ink}  # 2: written apart from 1, for checking


def scan(label: int, rng: np.random.Generator, digit_ink=handwriting.digit_ink) -> Made:
    """A flatbed scan's crop around one digit."""
    h = int(rng.uniform(300, 1000))
    w = int(h * rng.uniform(0.8, 1.3))
    ink, hand = digit_ink(label, int(h * rng.uniform(0.35, 0.85)), rng, pen=rng.uniform(0.02, 0.12))
    cover = _place(ink, (h, w), rng, 0.6) * rng.uniform(0.65, 1.0)
    paper = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.9, 1.0), rng.uniform(0.88, 0.98)], np.float32)
    ink_rgb = np.array([(0.1, 0.1, 0.12), (0.15, 0.2, 0.55), (0.3, 0.3, 0.3)][rng.integers(3)], np.float32)
    rgb = paper * (1 - cover[..., None]) + ink_rgb * cover[..., None]
    if rng.random() < 0.2:
        rgb = rgb * (1 - 0.6 * _ruled((h, w), rng, h * rng.uniform(0.35, 0.6), margin=False))
    rgb = rgb + rng.normal(0, rng.uniform(0.005, 0.025), (h, w, 1)).astype(np.float32)
    out = _to_uint8(rgb)
    if rng.random() < 0.5:
        return _jpeg(out, int(rng.integers(70, 95))), "jpg", hand, _box(cover)
    image = Image.fromarray(out)
    return _png(image.convert("L") if rng.random() < 0.5 else image), "png", hand, _box(cover)


def canvas(label: int, rng: np.random.Generator, digit_ink=handwriting.digit_ink) -> Made:
    """A drawing app's PNG export: round brush of one width, opaque or transparent."""
    size = int(rng.uniform(200, 600))
    w = int(size * rng.choice([1.0, 1.0, 1.5]))
    brush = rng.uniform(6, 30) / rng.uniform(0.4, 0.9) / size  # a 6-30 px brush on the digit's height
    ink, hand = digit_ink(label, int(size * rng.uniform(0.4, 0.9)), rng, pen=brush, pressure=False)
    cover = _place(ink, (size, w), rng, 0.5)
    kind = rng.choice(["white_on_black", "black_on_white", "colour_on_white", "transparent_black",
                       "transparent_white", "white_on_transparent"])
    if kind.startswith("transparent") or kind == "white_on_transparent":
        colour = 1.0 if kind == "white_on_transparent" else 0.0
        under = 1.0 if kind == "transparent_white" else 0.0  # what the transparent pixels store
        rgb = np.full((size, w, 3), under, np.float32)
        rgb[cover > 0] = colour
        rgba = np.dstack([_to_uint8(rgb), _to_uint8(cover)])
        return _png(Image.fromarray(rgba, "RGBA")), "png", hand, _box(cover)
    if kind == "white_on_black":
        paper, colour = np.zeros(3, np.float32), np.ones(3, np.float32)
    elif kind == "black_on_white":
        paper, colour = np.ones(3, np.float32), np.zeros(3, np.float32)
    else:
        paper = np.ones(3, np.float32)
        colour = np.array([(0.85, 0.1, 0.1), (0.1, 0.3, 0.9), (0.1, 0.55, 0.2)][rng.integers(3)], np.float32)
    rgb = paper * (1 - cover[..., None]) + colour * cover[..., None]
    return _png(Image.fromarray(_to_uint8(rgb))), "png", hand, _box(cover)


def photo(label: int, rng: np.random.Generator, size: tuple[int, int] | None = None,
          digit_ink=handwriting.digit_ink) -> Made:
    """A phone photo of a pen digit on paper, JPEG, landscape or portrait."""
    w, h = size or PHOTO_SIZES[rng.integers(len(PHOTO_SIZES))]
    if rng.random() < 0.3:
        w, h = h, w
    share = rng.uniform(0.1, 0.2) if rng.random() < 0.3 else rng.uniform(0.2, 0.5)  # digit height / frame height
    ink, hand = digit_ink(label, int(h * share), rng, pen=rng.uniform(0.02, 0.09))
    cover = _place(ink, (h, w), rng, 0.5) * rng.uniform(0.7, 0.95)
    light = _smooth_field((h, w), rng, rng.uniform(0.1, 0.5))
    if rng.random() < 0.35:
        light = light * _shadow((h, w), rng)
    paper = np.array([0.93, 0.92, 0.88], np.float32) * (1 + rng.uniform(-0.12, 0.12, 3)).astype(np.float32)
    ink_rgb = np.array([(0.12, 0.12, 0.15), (0.12, 0.2, 0.6)][rng.integers(2)], np.float32)
    rgb = paper * (1 - cover[..., None]) + ink_rgb * cover[..., None]
    if rng.random() < 0.4:
        rgb = rgb * (1 - _ruled((h, w), rng, h * share * rng.uniform(0.6, 1.1), margin=rng.random() < 0.3))
    rgb = rgb * light[..., None] * rng.uniform(0.7, 1.0)
    image = Image.fromarray(_to_uint8(rgb)).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * h / 1500))
    noisy = np.asarray(image, np.int16) + rng.normal(0, rng.uniform(1, 5), (h, w, 1)).astype(np.int16)
    return _jpeg(np.clip(noisy, 0, 255).astype(np.uint8), int(rng.integers(75, 93))), "jpg", hand, _box(cover)


MAKERS = {"scan": scan, "canvas": canvas, "photo": photo}


def shrink(made: Made, longest: int) -> Made:
    """The same upload at most `longest` px, saved again in its format: small enough to commit as a fixture."""
    data, ext, hand, box = made
    with Image.open(io.BytesIO(data)) as image:
        f = longest / max(image.size)
        if f >= 1:
            return made
        image = image.resize((round(image.width * f), round(image.height * f)), Image.Resampling.LANCZOS)
        if ext == "jpg":
            data = _jpeg(np.asarray(image), 85)
        else:  # an opaque PNG's noise costs bytes in colour: grey is a third
            data = _png(image if image.mode in ("RGBA", "LA", "L") else image.convert("L"))
    return data, ext, hand, (int(box[0] * f), int(box[1] * f), int(np.ceil(box[2] * f)), int(np.ceil(box[3] * f)))


def generate(out: Path, per_style: int = 200, seed: int = 0, longest: int | None = None,
             generator: int = 1) -> list[dict]:
    """Write per_style images of each style (labels cycling 0-9) and labels.csv into `out`; return the rows.
    `longest`: shrink every image to at most this many px (the small set the tests keep); `generator`:
    the handwriting, 1 (bench.handwriting) or 2 (bench.handwriting2, Hershey fonts and writer habits)."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for s, style in enumerate(STYLES):
        rng = np.random.default_rng([seed, s])
        for i in tqdm(range(per_style), desc=style, unit="image"):
            label = i % 10
            made = MAKERS[style](label, rng, digit_ink=GENERATORS[generator])
            data, ext, hand, box = shrink(made, longest) if longest else made
            name = f"{style}_{i:04d}_{label}.{ext}"
            (out / name).write_bytes(data)
            with Image.open(io.BytesIO(data)) as image:
                rows.append(dict(file=name, style=style, label=label, hand=hand, width=image.width,
                                 height=image.height, box=" ".join(map(str, box))))
    with open(out / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench/out/upload_set"))
    parser.add_argument("--per-style", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--longest", type=int, default=None, help="shrink images to at most this many px")
    parser.add_argument("--generator", type=int, choices=sorted(GENERATORS), default=1,
                        help="1: bench.handwriting (pen strokes, fonts); 2: bench.handwriting2 (Hershey fonts, writer habits)")
    args = parser.parse_args()
    rows = generate(args.out, args.per_style, args.seed, args.longest, args.generator)
    print(f"{len(rows)} images in {args.out}")


if __name__ == "__main__":
    main()
