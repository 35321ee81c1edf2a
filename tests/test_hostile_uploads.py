"""Uploads that used to cost gigabytes or tracebacks: each gets a clear outcome, fast (issue 11, uploads)."""
from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest
from PIL import Image

from vae_core.commands.encode import main as encode_main
from vae_core.uploads.preprocess import MAX_PIXELS, ImageDecodeError, load_image, preprocess, preview

DIGIT = np.zeros((28, 28), np.uint8)
DIGIT[6:22, 12:16] = 255  # a "1"


def png(image: Image.Image, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=options.pop("format", "PNG"), **options)
    return buf.getvalue()


def huge_sparse_png(side: int = 13000) -> bytes:
    """A few KB of PNG that claims side x side pixels (1-bit, all black)."""
    return png(Image.new("1", (side, side)), optimize=True)


def test_a_tiny_file_claiming_a_huge_image_is_refused_from_its_header():
    data = huge_sparse_png()
    assert len(data) < 100_000 and 13000 * 13000 > MAX_PIXELS
    started = time.perf_counter()
    with pytest.raises(ImageDecodeError, match="13000 x 13000 pixels .* the limit is 40 megapixels"):
        preprocess(data)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("mode", ["I;16", "CMYK", "P", "LA"])
def test_any_mode_encodes_and_previews(mode):
    gray = Image.fromarray(DIGIT).resize((112, 112))
    if mode == "I;16":  # a 16-bit PNG
        image = Image.fromarray((np.asarray(gray, np.uint16) * 257).astype(np.uint16))
        fmt = "PNG"
    else:
        image, fmt = gray.convert(mode), "JPEG" if mode == "CMYK" else "PNG"
    x = preprocess(png(image, format=fmt))
    assert x.shape == (28, 28) and x.max() > 0.5
    shown = preview(load_image(png(image, format=fmt)))
    assert shown.dtype == np.uint8 and shown.ndim == 3 and shown.shape[2] == 3 and shown.max() > 128


@pytest.mark.slow  # a 6000 x 6000 photo
def test_a_large_jpeg_is_reduced_while_decoding():
    photo = Image.fromarray(DIGIT).resize((6000, 6000)).convert("RGB")
    data = png(photo, format="JPEG", quality=80)
    started = time.perf_counter()
    image = load_image(data)
    assert max(image.size) <= 2 * 1024  # JPEG draft: decoded at 1/4 scale here
    assert preprocess(data).max() > 0.5 and time.perf_counter() - started < 3.0


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b"II*\x00" + bytes(100), "not a recognised image format"),  # a TIFF header: not a format the page names
    (b"%PDF-1.4\n%...", "not a recognised image format"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a recognised image format"),
])
def test_empty_and_unnamed_formats_get_a_clear_message(data, message):
    with pytest.raises(ImageDecodeError, match=message):
        preprocess(data)


@pytest.mark.slow  # the CLI loads the shipped model
def test_the_cli_prints_one_entry_per_file_whatever_a_file_does(tmp_path, capsys):
    good = tmp_path / "one.png"
    good.write_bytes(png(Image.fromarray(DIGIT).resize((112, 112))))
    huge = tmp_path / "huge.png"
    huge.write_bytes(huge_sparse_png())
    tiff = tmp_path / "scan.tiff"
    Image.fromarray(DIGIT).save(tiff)
    status = encode_main(["--json", str(huge), str(good), str(tiff), str(tmp_path / "missing.png")])
    entries = json.loads(capsys.readouterr().out)
    assert status == 1 and [e["file"] for e in entries] == [str(huge), str(good), str(tiff), str(tmp_path / "missing.png")]
    assert "megapixels" in entries[0]["error"] and "mu" in entries[1] and "error" in entries[2] and "error" in entries[3]


def test_the_pixel_budget_is_40_megapixels_to_the_pixel():
    """8000 x 5000 is exactly 40 megapixels and is decoded; one row more is refused before decoding."""
    assert load_image(png(Image.new("1", (8000, 5000)), optimize=True)).size == (8000, 5000)
    with pytest.raises(ImageDecodeError, match="8000 x 5001 pixels"):
        load_image(png(Image.new("1", (8000, 5001)), optimize=True))
