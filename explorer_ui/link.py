"""Parsing the link's parameters (st.query_params values are strings): pure functions, no Streamlit.

Each returns a `Parsed`: the value to use and, when the link's text was not
usable as given, why and what was used instead (explorer_ui.params shows that
as a warning).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Parsed:
    value: Any
    why: str | None = None  # None: the link's value (or its absence) was fine
    used: str | None = None  # what was used instead, for the message


MAX_LISTED = 12  # a warning names at most this many choices (a models folder may hold thousands)


def parse_choice(text: str | None, choices: list[str], default: str) -> Parsed:
    """`text` if it is one of `choices`; absent -> default; else default with a reason."""
    if text is None or text in choices:
        return Parsed(default if text is None else text)
    listed = ", ".join(choices[:MAX_LISTED]) + (f" and {len(choices) - MAX_LISTED:,} more" if len(choices) > MAX_LISTED else "")
    return Parsed(default, f"expected one of {listed}", default)


def parse_number(text: str | None, lo: float, hi: float, default: Any, integer: bool = False) -> Parsed:
    """A finite number (a whole one if `integer`) clamped into [lo, hi]; absent or nonsense -> default."""
    if text is None:
        return Parsed(default)
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (integer and number != int(number)):
        return Parsed(default, "not a valid " + ("whole number" if integer else "number"), str(default))
    clamped = min(max(number, lo), hi)
    value = int(clamped) if integer else clamped
    return Parsed(value) if clamped == number else Parsed(value, f"outside [{lo:g}, {hi:g}]", f"{clamped:g}")


def parse_z(text: str | None, dim: int, ranges: np.ndarray) -> Parsed:
    """`dim` comma-separated finite numbers ("0.5,-1.2"), clamped into `ranges` (D, 2); else None."""
    if text is None:
        return Parsed(None)
    try:
        z = np.array([float(v) for v in text.split(",")], dtype=np.float64)
    except ValueError:
        z = np.array([])
    if len(z) != dim or not np.isfinite(z).all():
        return Parsed(None, f"expected {dim} comma-separated numbers", "the default")
    return Parsed(np.clip(z, ranges[:, 0], ranges[:, 1]))


def format_z(z) -> str:
    """z as the link writes it: at most 3 decimals, no trailing zeros, no "-0" ("1.5,-0.25")."""
    def short(v: float) -> str:
        text = f"{v:.3f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    return ",".join(short(float(v)) for v in np.asarray(z).ravel())


# A region of the map in the link (the map's static/latent_map/region.js writes it): shapes joined by "|", each
# "r:x0,x1,y0,y1" (a box) or "p:x,y;x,y;..." (a lasso's polygon), in the map plane's coordinates.
MAX_SHAPES, MAX_VERTICES, MAX_REGION_CHARS, MAX_COORD = 8, 64, 4000, 1e4


def region_shapes(text: str) -> list[dict] | None:
    """The shapes of a region's text, [{"type": "rect", "x0", "x1", "y0", "y1"} | {"type": "path", "points": [[x, y]]}],
    or None if it is not one (too long, too many shapes or vertices, numbers that are not finite or far off the map)."""
    if not text or len(text) > MAX_REGION_CHARS or text.count("|") >= MAX_SHAPES:
        return None
    shapes = []
    try:
        for part in text.split("|"):
            kind, _, body = part.partition(":")
            if kind == "r":
                x0, x1, y0, y1 = (float(v) for v in body.split(","))
                shapes.append({"type": "rect", "x0": x0, "x1": x1, "y0": y0, "y1": y1})
            elif kind == "p":
                points = [[float(v) for v in vertex.split(",")] for vertex in body.split(";")]
                if not 3 <= len(points) <= MAX_VERTICES or any(len(p) != 2 for p in points):
                    return None
                shapes.append({"type": "path", "points": points})
            else:
                return None
    except ValueError:
        return None
    numbers = [v for shape in shapes for v in _numbers(shape)]
    return shapes if all(math.isfinite(v) and abs(v) <= MAX_COORD for v in numbers) else None


def _numbers(shape: dict) -> list[float]:
    if shape["type"] == "path":
        return [v for point in shape["points"] for v in point]
    return [shape["x0"], shape["x1"], shape["y0"], shape["y1"]]


def parse_region(text: str | None) -> Parsed:
    """A region's text as the map wrote it (checked by `region_shapes`); absent -> None; nonsense -> None, why."""
    if text is None or region_shapes(text) is not None:
        return Parsed(text)
    return Parsed(None, "not a region the map wrote", "no region")
