"""Digit-image helpers: uint8 conversion, crisp upscaling, PNG bytes and downloads, PIL images, mosaics."""
from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from vae_core.analysis import explore

DIGIT_PX = 196  # 28 px shown at 7x, nearest neighbour
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]


def to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(img, dtype=np.float32), 0, 1) * 255 + 0.5).astype(np.uint8)


def upscale(img: np.ndarray, size: int = DIGIT_PX) -> np.ndarray:
    """(h, w) float in [0, 1] -> uint8 enlarged by the integer factor nearest `size`/h, nearest neighbour."""
    img = to_uint8(img)
    k = max(1, round(size / img.shape[0]))
    return np.repeat(np.repeat(img, k, axis=0), k, axis=1)


def png_bytes(img: np.ndarray, size: int | None = None) -> bytes:
    """(h, w) float image -> PNG bytes, nearest-neighbour upscaled to about `size` px high if given."""
    arr = upscale(img, size) if size else to_uint8(img)
    buf = io.BytesIO()
    Image.fromarray(arr, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def show_digit(img: np.ndarray, caption: str | None = None, size: int = DIGIT_PX) -> None:
    """A 28x28 (or any) float image shown crisp at ~`size` px, or narrower if its column is."""
    # "content" shows the upscaled array at its own width but shrinks it to fit the column;
    # a width in px would not shrink, and the image would run over its neighbours.
    st.image(upscale(img, size), caption=caption, width="content")


def download_png(img: np.ndarray, filename: str, key: str, label: str = "Download PNG", size: int = 280) -> None:
    st.download_button(label, png_bytes(img, size), file_name=filename, mime="image/png", key=key,
                       icon=":material/download:", on_click="ignore")


def with_box(rgb: np.ndarray, box: tuple[int, int, int, int], color: str = "#e8590c") -> np.ndarray:
    """A copy of an RGB image (h, w, 3) uint8 with the rectangle box = (left, top, right, bottom) outlined."""
    image = Image.fromarray(rgb)
    line = max(2, round(max(image.size) / 150))
    left, top, right, bottom = box
    ImageDraw.Draw(image).rectangle([max(0, left - line), max(0, top - line), min(image.width - 1, right + line - 1),
                                     min(image.height - 1, bottom + line - 1)], outline=color, width=line)
    return np.asarray(image)


def gray_image(img: np.ndarray) -> Image.Image:
    """(h, w) float in [0, 1] -> greyscale PIL image (white ink on black, like MNIST)."""
    return Image.fromarray(to_uint8(img), mode="L")


def mosaic_strip(images: np.ndarray, nrows: int, ncols: int, pad: int = 2) -> np.ndarray:
    """Digits (nrows * ncols, 28, 28) tiled with thin white gaps: a float image."""
    return explore.mosaic(images, nrows, ncols, pad=pad, fill=1.0)


def show_mosaic(images: np.ndarray, nrows: int, ncols: int, size: int, caption: str | None = None) -> None:
    """Digits (nrows * ncols, 28, 28) tiled like `mosaic_strip` and shown ~`size` px high (narrower if the
    column is). The gaps, and tiles that are NaN, are transparent: the page's own background shows
    between the tiles, so a dark theme gets no white lines."""
    tiled = explore.mosaic(images, nrows, ncols, pad=2, fill=np.nan)
    gray = to_uint8(np.nan_to_num(tiled))
    rgba = np.dstack([gray, gray, gray, np.where(np.isnan(tiled), 0, 255).astype(np.uint8)])
    k = max(1, round(size / rgba.shape[0]))
    st.image(np.repeat(np.repeat(rgba, k, axis=0), k, axis=1), caption=caption, width="content")  # as show_digit


def tinted_mosaic(images: np.ndarray, colors: list[str | None], n: int) -> Image.Image:
    """n x n digits (n * n, 28, 28) tiled without gaps, each tile's ink in its colour ("#rrggbb";
    None keeps it white): an RGB PIL image."""
    rgb = np.array([[1.0, 1.0, 1.0] if c is None else [int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)] for c in colors],
                   np.float32)
    tiles = np.asarray(images, np.float32)[..., None] * rgb[:, None, None, :]  # (n*n, 28, 28, 3)
    rows = tiles.reshape(n, n, *tiles.shape[1:]).transpose(0, 2, 1, 3, 4)
    return Image.fromarray(to_uint8(rows.reshape(n * tiles.shape[1], n * tiles.shape[2], 3)), mode="RGB")
