"""Handwritten-looking digits that are not MNIST's: parametric pen strokes and handwriting fonts.

Each digit is drawn by a "writer": one of several letter forms (an open or a
closed 4, a 1 with or without a flag and a foot, a 7 with or without a bar...),
slanted, turned, stretched and wobbled, smoothed into a Catmull-Rom curve and
inked with a pen whose width and pressure vary along the stroke. About a
quarter of the digits come from handwriting fonts instead (Debian packages:
fonts-dkg-handwriting, fonts-humor-sans, fonts-bwht, fonts-klee, fonts-kristi, fonts-comic-neue), when they are installed.

`digit_ink(label, height, rng)` returns float32 (h, w) ink coverage in [0, 1].
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Stroke = list[tuple[float, float]]  # control points (x, y) in a unit box, y down


def _loop(cx, cy, rx, ry, start=-90.0, sweep=370.0, n=12) -> Stroke:
    """Control points of an elliptic arc (degrees, y down), counter-clockwise on paper."""
    a = np.radians(start - np.linspace(0, sweep, n))
    return [(cx + rx * np.cos(t), cy + ry * np.sin(t)) for t in a]


# Letter forms per digit: each a list of strokes. Writers differ in which form they use.
FORMS: dict[int, list[list[Stroke]]] = {
    0: [[_loop(0.5, 0.5, 0.3, 0.48)], [_loop(0.5, 0.5, 0.36, 0.47, start=-60, sweep=380)]],
    1: [[[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.32, 0.2), (0.52, 0.0), (0.52, 1.0)]],
        [[(0.32, 0.2), (0.52, 0.0), (0.52, 1.0)], [(0.28, 1.0), (0.76, 1.0)]]],
    2: [[[(0.22, 0.22), (0.35, 0.04), (0.55, 0.0), (0.72, 0.12), (0.73, 0.32), (0.6, 0.55), (0.22, 1.0),
          (0.8, 0.98)]],
        [[(0.2, 0.25), (0.4, 0.02), (0.66, 0.04), (0.74, 0.28), (0.5, 0.62), (0.24, 0.9), (0.3, 0.82),
          (0.42, 0.95), (0.82, 1.0)]]],
    3: [[[(0.22, 0.12), (0.45, 0.0), (0.7, 0.08), (0.72, 0.28), (0.45, 0.46), (0.73, 0.6), (0.76, 0.85),
          (0.5, 1.0), (0.2, 0.9)]],
        [[(0.22, 0.0), (0.76, 0.0), (0.45, 0.4), (0.72, 0.52), (0.77, 0.8), (0.52, 1.0), (0.2, 0.9)]]],
    4: [[[(0.58, 0.0), (0.18, 0.64), (0.84, 0.64)], [(0.64, 0.3), (0.64, 1.0)]],
        [[(0.3, 0.0), (0.22, 0.6), (0.82, 0.6)], [(0.68, 0.04), (0.66, 1.0)]]],
    5: [[[(0.74, 0.0), (0.3, 0.01)], [(0.31, 0.0), (0.26, 0.45), (0.5, 0.37), (0.72, 0.5), (0.76, 0.76),
                                      (0.55, 0.98), (0.22, 0.9)]],
        [[(0.76, 0.02), (0.3, 0.0), (0.27, 0.44), (0.52, 0.38), (0.74, 0.52), (0.74, 0.8), (0.5, 1.0),
          (0.22, 0.88)]]],
    6: [[[(0.7, 0.0), (0.45, 0.2), (0.27, 0.55), (0.3, 0.86), (0.5, 1.0), (0.72, 0.85), (0.7, 0.6),
          (0.5, 0.5), (0.3, 0.64)]],
        [[(0.64, 0.0), (0.36, 0.3), (0.28, 0.7), (0.42, 0.98), (0.66, 0.92), (0.7, 0.68), (0.48, 0.56),
          (0.3, 0.7)]]],
    7: [[[(0.2, 0.02), (0.8, 0.0), (0.52, 0.5), (0.4, 1.0)]],
        [[(0.2, 0.02), (0.8, 0.0), (0.52, 0.5), (0.4, 1.0)], [(0.34, 0.5), (0.72, 0.48)]],
        [[(0.2, 0.14), (0.24, 0.0), (0.8, 0.02), (0.46, 1.0)]]],
    8: [[[(0.64, 0.1), (0.46, 0.0), (0.28, 0.12), (0.32, 0.32), (0.7, 0.62), (0.72, 0.88), (0.5, 1.0),
          (0.28, 0.88), (0.3, 0.62), (0.68, 0.32), (0.7, 0.12), (0.55, 0.0)]],
        [_loop(0.5, 0.24, 0.2, 0.24, start=90, sweep=365, n=10), _loop(0.5, 0.74, 0.26, 0.26, n=10)]],
    9: [[[(0.72, 0.2), (0.55, 0.02), (0.32, 0.08), (0.28, 0.3), (0.45, 0.45), (0.7, 0.36), (0.72, 0.05),
          (0.7, 0.5), (0.6, 1.0)]],
        [_loop(0.48, 0.25, 0.24, 0.25, start=0, sweep=365, n=10), [(0.72, 0.05), (0.72, 1.0)]]],
}

FONT_FILES = ("fifthhorseman/dkg.ttf", "fifthhorseman/dkgIt.ttf", "humor-sans/Humor-Sans.ttf",
              "klee/KleeOne-Regular.ttf", "kristi/Kristi.ttf",
              "comic-neue/ComicNeue-Regular.otf", "comic-neue/ComicNeue-Italic.otf", "bwht/BecauseWeLearn-Regular.otf",
              "bwht/BecauseWeCreate-Regular.otf", "bwht/BecauseWeMentor-Regular.otf")
FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))


@cache
def handwriting_fonts() -> tuple[Path, ...]:
    """The installed handwriting fonts that have all ten digits."""
    found = []
    for name in FONT_FILES:
        path = next((d / name for d in FONT_DIRS if (d / name).exists()), None)
        if path is not None:
            font = ImageFont.truetype(str(path), 64)
            if all(font.getbbox(str(d))[2] - font.getbbox(str(d))[0] > 4 for d in range(10)):
                found.append(path)
    return tuple(found)


def _spline(points: np.ndarray, per_segment: int = 24) -> np.ndarray:
    """Catmull-Rom curve through control points (n, 2) -> dense points (m, 2)."""
    p = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    return np.vstack(out + [points[-1:]])


def _writer_transform(rng: np.random.Generator) -> np.ndarray:
    """A 2x2 matrix: slant (mostly to the right), a small turn and a width between narrow and wide."""
    slant = rng.uniform(-0.4, 0.15)  # x += slant * (y - 0.5): negative leans the top right
    turn = np.radians(rng.normal(0, 5))
    width = rng.uniform(0.7, 1.25)
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    return rot @ np.array([[width, slant], [0.0, 1.0]])


def pen_digit(label: int, height: int, rng: np.random.Generator, pen: float | None = None,
              pressure: bool = True) -> np.ndarray:
    """One writer's `label`, `height` px tall, drawn with a pen `pen` x height wide (random if None)."""
    form = FORMS[label][rng.integers(len(FORMS[label]))]
    pen = rng.uniform(0.025, 0.13) if pen is None else pen
    m, wobble = _writer_transform(rng), rng.uniform(0.01, 0.045)
    strokes = []
    for stroke in form:
        pts = np.asarray(stroke, float) + rng.normal(0, wobble, (len(stroke), 2))
        strokes.append((_spline(pts) - 0.5) @ m.T)
    allpts = np.vstack(strokes)
    lo, hi = allpts.min(0), allpts.max(0)
    scale = height / max(hi[1] - lo[1], 0.3 * (hi[0] - lo[0]), 1e-6)
    width_px = max(1.0, pen * height)
    margin = int(width_px) + 2
    ss = 2  # draw at twice the size, then average down: anti-aliased edges
    size = (int((hi[0] - lo[0]) * scale) + 2 * margin, int((hi[1] - lo[1]) * scale) + 2 * margin)
    canvas = Image.new("L", (size[0] * ss, size[1] * ss), 0)
    draw = ImageDraw.Draw(canvas)
    for pts in strokes:
        xy = ((pts - lo) * scale + margin) * ss
        press = np.ones(len(xy))
        if pressure:  # a pen's line swells and thins along the stroke
            press += 0.25 * np.sin(np.linspace(0, np.pi * rng.uniform(1, 3), len(xy)) + rng.uniform(0, 6))
        for (x0, y0), (x1, y1), p in zip(xy[:-1], xy[1:], press[:-1], strict=True):
            r = max(0.6 * ss, width_px * ss * p / 2)
            draw.line([(x0, y0), (x1, y1)], fill=255, width=max(1, round(2 * r)))
            draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=255)
    ink = canvas.resize(size, Image.Resampling.BOX)
    return np.asarray(ink, np.float32) / 255


def font_digit(label: int, height: int, rng: np.random.Generator, font_path: Path) -> np.ndarray:
    """`label` in a handwriting font, about `height` px tall, slanted and turned a little."""
    font = ImageFont.truetype(str(font_path), max(8, int(height * 1.4)))
    x0, y0, x1, y1 = font.getbbox(str(label))
    pad = int(0.3 * height) + 4
    canvas = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - x0, pad - y0), str(label), fill=255, font=font)
    slant = rng.uniform(-0.25, 0.1)
    canvas = canvas.transform(canvas.size, Image.Transform.AFFINE, (1, slant, -slant * canvas.height / 2, 0, 1, 0),
                              Image.Resampling.BILINEAR)
    canvas = canvas.rotate(rng.normal(0, 5), Image.Resampling.BILINEAR, expand=True)
    ink = np.asarray(canvas, np.float32) / 255
    rows, cols = np.nonzero(ink > 0.05)
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    f = height / ink.shape[0]
    out = Image.fromarray(ink).resize((max(1, round(ink.shape[1] * f)), height), Image.Resampling.BILINEAR)
    return np.pad(np.clip(np.asarray(out), 0, 1), 2)


def digit_ink(label: int, height: int, rng: np.random.Generator, pen: float | None = None,
              pressure: bool = True) -> tuple[np.ndarray, str]:
    """(ink (h, w) float32 in [0, 1], the hand: "pen" or the font's file name)."""
    fonts = handwriting_fonts()
    if fonts and rng.random() < 0.25:
        path = fonts[rng.integers(len(fonts))]
        return font_digit(label, height, rng, path), path.stem
    return pen_digit(label, height, rng, pen, pressure), "pen"
