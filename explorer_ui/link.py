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
