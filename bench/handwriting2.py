"""A second, independent generator of handwritten-looking digits: Hershey stroke fonts and writer habits.

Written apart from `bench.handwriting` (generator 1) so a measure tuned on one can be checked on the
other. The letter forms are the Hershey fonts' digits (PyPI `Hershey-Fonts`, pinned in
requirements-dev.txt: Allen Hershey's 1967 vector fonts, simplex, script, cursive, italic and Cyrillic
faces), each a few polylines. A writer then brings habits of their own, drawn once per digit:

- slant (a right lean, most often), a narrow or wide hand, a slight turn of the page;
- proportions: a big top and a small bottom (or the reverse), by a smooth vertical warp;
- a shaky or smooth line: low-frequency wobble along each stroke plus a little tremor;
- strokes that run on past their end, small gaps where the pen lifted, and habits of form:
  a bar across the 7, a foot under the 1;
- a pen of its own width and, with pressure, a width that swells and thins along the stroke.

`digit_ink(label, height, rng, pen=None, pressure=True)` returns (float32 (h, w) ink coverage in [0, 1],
the hand: "hershey-<font>"), the interface `bench.upload_set` renders scans, canvas drawings and photos
from (`--generator 2`).
"""
from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image, ImageDraw

FONTS = ("futural", "cursive", "rowmans", "scripts", "timesi", "cyrillic")
SUPER = 3  # drawn at 3x and area-averaged down: smooth edges like a scanner's or a camera's


@cache
def _glyphs(font: str) -> dict[int, list[np.ndarray]]:
    """Each digit of a Hershey font: strokes as float (n, 2) arrays of (x, y), y down."""
    from HersheyFonts import HersheyFonts  # bench-only dependency (requirements-dev.txt)

    f = HersheyFonts()
    f.load_default_font(font)
    return {d: [np.array(list(s), float) for s in f.strokes_for_text(str(d)) if len(list(s)) >= 2] for d in range(10)}


def _resample(stroke: np.ndarray, step: float) -> np.ndarray:
    """Points every `step` units along a polyline (n, 2), so wobble and pressure vary smoothly."""
    seg = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    if s[-1] <= 0:
        return stroke[:1].repeat(2, 0)
    t = np.linspace(0, s[-1], max(2, int(s[-1] / step) + 1))
    return np.stack([np.interp(t, s, stroke[:, 0]), np.interp(t, s, stroke[:, 1])], 1)


def _smooth_noise(n: int, rng: np.random.Generator, waves: int, amp: float) -> np.ndarray:
    """(n,) a sum of a few random sines along a stroke: slow, writer-like deviation."""
    t = np.linspace(0, 1, n)
    out = np.zeros(n)
    for k in range(1, waves + 1):
        out += rng.normal(0, amp / k) * np.sin(2 * np.pi * k * t / 2 + rng.uniform(0, 2 * np.pi))
    return out


def _habits(label: int, strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Add the writer's form habits in the glyph's unit box: a barred 7, a footed 1, run-on ends."""
    strokes = [s.copy() for s in strokes]
    pts = np.concatenate(strokes)
    mid = pts[np.argmin(np.abs(pts[:, 1] - 0.55)), 0]  # the stem's x at mid-height
    foot = pts[np.argmax(pts[:, 1]), 0]  # the lowest point's x
    if label == 7 and rng.random() < 0.3:  # continental 7: a short bar across the stem's middle
        strokes.append(np.array([[mid - 0.2, 0.57], [mid + 0.2, 0.53]]))
    if label == 1 and rng.random() < 0.2:
        strokes.append(np.array([[foot - 0.22, 1.0], [foot + 0.22, 1.0]]))
    for s in strokes:
        if rng.random() < 0.3:  # the pen runs on past the stroke's end
            d = s[-1] - s[-2]
            s[-1] = s[-1] + d / max(np.linalg.norm(d), 1e-6) * rng.uniform(0.02, 0.08)
    return strokes


def _to_unit(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Scale a glyph so its height is 1 and its box starts at (0, 0); the width keeps the proportion."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(0), pts.max(0)
    h = max(hi[1] - lo[1], 1e-6)
    return [(s - lo) / h for s in strokes]


def _writer_warp(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Slant, width, turn and a top- or bottom-heavy vertical warp, then wobble and tremor."""
    lean = float(np.clip(rng.normal(0.18, 0.18), -0.25, 0.55))  # x shift per unit of height, leaning right
    wide = float(np.exp(rng.normal(0, 0.2)))
    turn = np.radians(rng.normal(0, 5))
    heavy = rng.uniform(-0.35, 0.35)  # > 0: the top part grows, the bottom shrinks
    wobble, tremor = rng.uniform(0.0, 0.03), rng.uniform(0.0, 0.006)
    c, s_ = np.cos(turn), np.sin(turn)
    out = []
    for st in strokes:
        st = _resample(st, 0.02)
        x, y = st[:, 0] * wide, st[:, 1]
        y = y + heavy * y * (1 - y)  # smooth, keeps 0 and 1 in place
        x = x + lean * (1 - y)  # y down: the top moves right
        n = len(x)
        x = x + _smooth_noise(n, rng, 3, wobble) + rng.normal(0, tremor, n)
        y = y + _smooth_noise(n, rng, 3, wobble) + rng.normal(0, tremor, n)
        out.append(np.stack([c * x - s_ * y, s_ * x + c * y], 1))
    return out


def _pen_lifts(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Sometimes a small gap in one stroke: the pen lifted or skipped."""
    if rng.random() >= 0.15:
        return strokes
    i = int(rng.integers(len(strokes)))
    s = strokes[i]
    if len(s) < 12:
        return strokes
    a = int(rng.integers(3, len(s) - 6))
    gap = int(rng.integers(1, 3))
    return [*strokes[:i], s[:a], s[a + gap:], *strokes[i + 1:]]


def _render(strokes: list[np.ndarray], height: int, pen: float, pressure: bool, rng) -> np.ndarray:
    """Ink strokes (unit height) at `height` px: a round pen of width pen * height, swelling with pressure."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(0), pts.max(0)
    scale = height * SUPER / max(hi[1] - lo[1], 1e-6)
    r0 = max(0.5, pen * height * SUPER / 2)
    margin = int(np.ceil(r0 * 1.6)) + 2
    w = int((hi[0] - lo[0]) * scale) + 2 * margin + 1
    h = int((hi[1] - lo[1]) * scale) + 2 * margin + 1
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    for st in strokes:
        p = (st - lo) * scale + margin
        width = r0 * (1 + _smooth_noise(len(p), rng, 2, 0.25)) if pressure else np.full(len(p), r0)
        width = np.clip(width, 0.4 * r0, 1.6 * r0)
        for k in range(len(p) - 1):  # a round pen: a disc at every point, joined by a line of its width
            (x0, y0), (x1, y1), r = p[k], p[k + 1], float(width[k])
            draw.line([(x0, y0), (x1, y1)], fill=255, width=max(1, int(round(2 * r))))
            draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=255)
        x, y, r = *p[-1], float(width[-1])
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    small = img.resize((max(1, round(w / SUPER)), max(1, round(h / SUPER))), Image.Resampling.BOX)
    return np.asarray(small, np.float32) / 255


def digit_ink(label: int, height: int, rng: np.random.Generator, pen: float | None = None,
              pressure: bool = True) -> tuple[np.ndarray, str]:
    """(ink (h, w) float32 in [0, 1] with the digit `height` px tall, the hand: "hershey-<font>").
    `pen`: the pen's width as a share of the height (the upload style's), varied by the writer's hand."""
    font = FONTS[int(rng.integers(len(FONTS)))]
    strokes = _to_unit(_glyphs(font)[label])
    strokes = _pen_lifts(_writer_warp(_habits(label, strokes, rng), rng), rng)
    width = (pen if pen is not None else rng.uniform(0.05, 0.13)) * float(np.exp(rng.normal(0, 0.2)))
    return _render(strokes, max(8, height), width, pressure, rng), f"hershey-{font}"
