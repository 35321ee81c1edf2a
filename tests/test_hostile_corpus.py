"""A corpus of 40+ hostile or odd files, built here, through the encode CLI and the upload page:
each gets the outcome written beside it (encoded, or refused for a named reason) within the time and
memory bounds, measured in a fresh process per file, and the next good upload still works."""
from __future__ import annotations

import functools
import io
import json
import math
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from tests.test_pages import FIXTURE, assert_ok, needs_models, run_page
from vae_core.commands.encode import main as encode_main
from vae_core.uploads.preprocess import ImageDecodeError, preprocess

pytestmark = [pytest.mark.slow, needs_models]
SECONDS = 5.0
EXTRA_BYTES = 1 << 30  # no upload may cost more than 1 GB over the baseline
ENCODED = "encoded"
NOT_AN_IMAGE = "not a recognised image format"
BLANK = "the image looks blank"
TOO_LARGE = r"pixels \(\d+ megapixels\); the limit is 40 megapixels"
CUT_SHORT = "the image data is truncated or corrupt"


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def _digit(size: int = 112, mode: str = "L") -> Image.Image:
    pixels = np.full((size, size), 255, np.uint8)
    pixels[size // 5 : 4 * size // 5, size // 2 - size // 16 : size // 2 + size // 16] = 0  # a dark "1" on white
    return Image.fromarray(pixels).convert(mode)


def _animated_gif(frames: int) -> bytes:
    images = [_digit(28, "P")] * frames
    return _save(images[0], "GIF", save_all=True, append_images=images[1:], duration=10)


def _exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees on display
    return _save(_digit(), "JPEG", exif=exif)


def _palette_with_transparency() -> bytes:
    image = _digit(56, "P")
    image.info["transparency"] = 0
    return _save(image, "PNG")


def _good_png() -> bytes:
    return _save(_digit(), "PNG")


def _good_jpeg() -> bytes:
    return _save(_digit(), "JPEG")


def _broken_crc() -> bytes:
    data = bytearray(_good_png())
    data[40] ^= 0xFF
    return bytes(data)


def _truncated(make, share: float):
    return lambda: make()[: math.ceil(len(make()) * share)]


_RANDOM = np.random.default_rng(0)
# name -> how to make it: damaged, disguised, huge, odd modes and odd shapes (made on first use, not at import).
BUILDERS = {
    "empty.png": lambda: b"",
    "one_byte.png": lambda: b"\x89",
    "random_16.png": lambda: _RANDOM.bytes(16),
    "random_4k.jpg": lambda: _RANDOM.bytes(4096),
    "random_300k.webp": lambda: _RANDOM.bytes(300_000),
    "nul_bytes.png": lambda: bytes(2048),
    "html.png": lambda: b"<html><body>not an image</body></html>",
    "svg.png": lambda: b"<svg xmlns='http://www.w3.org/2000/svg' width='9999' height='9999'/>",
    "pdf_renamed.png": lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF",
    "zip_renamed.png": lambda: b"PK\x03\x04" + _RANDOM.bytes(200),
    "tiff_int32.png": lambda: _save(Image.fromarray(np.arange(112 * 112, dtype=np.int32).reshape(112, 112)), "TIFF"),
    "tiff_float_nan.png": lambda: _save(Image.fromarray(np.full((64, 64), np.nan, np.float32)), "TIFF"),
    "ico_renamed.png": lambda: _save(_digit(64), "ICO"),
    "huge_header_13000.png": lambda: _save(Image.new("1", (13000, 13000)), "PNG", optimize=True),
    "huge_header_rgba.png": lambda: _save(Image.new("RGBA", (9000, 9000)), "PNG", optimize=True),
    "strip_40000x1.png": lambda: _save(Image.new("L", (40000, 1), 255), "PNG"),
    "strip_1x40000.png": lambda: _save(Image.new("L", (1, 40000), 255), "PNG"),
    "one_pixel.png": lambda: _save(Image.new("L", (1, 1), 0), "PNG"),
    "all_white.png": lambda: _save(Image.new("L", (200, 200), 255), "PNG"),
    "all_black.png": lambda: _save(Image.new("L", (200, 200), 0), "PNG"),
    "transparent_rgba.png": lambda: _save(Image.new("RGBA", (100, 100), (0, 0, 0, 0)), "PNG"),
    "mode_16bit.png": lambda: _save(Image.fromarray(np.asarray(_digit()).astype(np.uint16) * 257), "PNG"),
    "mode_la.png": lambda: _save(_digit(mode="LA"), "PNG"),
    "mode_1.png": lambda: _save(_digit(mode="1"), "PNG"),
    "mode_p.png": lambda: _save(_digit(mode="P"), "PNG"),
    "palette_transparency.png": _palette_with_transparency,
    "mode_cmyk.jpg": lambda: _save(_digit(mode="CMYK"), "JPEG"),
    "progressive.jpg": lambda: _save(_digit(), "JPEG", progressive=True),
    "exif_rotated.jpg": _exif_rotated_jpeg,
    "grey.bmp": lambda: _save(_digit(), "BMP"),
    "rgb.webp": lambda: _save(_digit(mode="RGB"), "WEBP"),
    "single.gif": lambda: _save(_digit(mode="P"), "GIF"),
    "animated_3000_frames.gif": lambda: _animated_gif(3000),
    "big_flat_36mp.png": lambda: _save(Image.new("L", (6000, 6000), 255), "PNG", optimize=True),
    "wrong_extension.gif": _good_png,
    "broken_crc.png": _broken_crc,
    **{f"truncated_png_{share}.png": _truncated(_good_png, share) for share in (0.1, 0.5, 0.9)},
    **{f"truncated_jpeg_{share}.jpg": _truncated(_good_jpeg, share) for share in (0.1, 0.5, 0.9)},
}
# name -> what must happen to it: ENCODED, or refused with a message that matches the pattern.
OUTCOMES = {
    "empty.png": "the file is empty",
    **dict.fromkeys(["one_byte.png", "random_16.png", "random_4k.jpg", "random_300k.webp", "nul_bytes.png", "html.png",
                     "svg.png", "pdf_renamed.png", "zip_renamed.png", "ico_renamed.png", "broken_crc.png",
                     "truncated_png_0.1.png", "truncated_jpeg_0.1.jpg"], NOT_AN_IMAGE),
    # TIFF is not among the formats taken (PNG, JPEG, GIF, BMP, WebP), whatever its pixels hold.
    "tiff_int32.png": NOT_AN_IMAGE, "tiff_float_nan.png": NOT_AN_IMAGE,
    "huge_header_13000.png": "13000 x 13000 " + TOO_LARGE, "huge_header_rgba.png": "9000 x 9000 " + TOO_LARGE,
    **dict.fromkeys(["strip_40000x1.png", "strip_1x40000.png", "one_pixel.png", "all_white.png", "all_black.png",
                     "transparent_rgba.png", "big_flat_36mp.png"], BLANK),
    **dict.fromkeys(["mode_16bit.png", "mode_la.png", "mode_1.png", "mode_p.png", "palette_transparency.png",
                     "mode_cmyk.jpg", "progressive.jpg", "exif_rotated.jpg", "grey.bmp", "rgb.webp", "single.gif",
                     "animated_3000_frames.gif", "wrong_extension.gif"], ENCODED),
    "truncated_png_0.5.png": CUT_SHORT, "truncated_jpeg_0.5.jpg": CUT_SHORT, "truncated_jpeg_0.9.jpg": CUT_SHORT,
    "truncated_png_0.9.png": ENCODED,  # only the end of the compressed stream and IEND are cut: every pixel decodes
}
# Run in a fresh process per file: its peak memory is this upload's alone, not the test session's lifetime peak.
# Its peak is reset after the imports (Linux: "5" to clear_refs resets VmHWM), which peak higher than most uploads.
CHILD = """
import json, sys, time
import numpy as np
from vae_core.uploads.preprocess import ImageDecodeError, preprocess

def kib(key):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key + ":"))

data = sys.stdin.buffer.read()
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
baseline = kib("VmRSS")
started = time.perf_counter()
try:
    x = preprocess(data)
    outcome = "encoded" if x.shape == (28, 28) and np.isfinite(x).all() else f"a bad array {x.shape}"
except ImageDecodeError as exc:
    outcome = str(exc)
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - started,
                  "extra_bytes": (kib("VmHWM") - baseline) * 1024}))
"""


@functools.cache
def build(name: str) -> bytes:
    return BUILDERS[name]()


def test_the_corpus_is_large_enough_and_every_file_has_its_expected_outcome():
    assert len(BUILDERS) >= 40 and set(OUTCOMES) == set(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_file_gets_its_outcome_within_bounds(name):
    done = subprocess.run([sys.executable, "-c", CHILD], input=build(name), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    measured = json.loads(done.stdout)
    expected = OUTCOMES[name]
    if expected == ENCODED:
        assert measured["outcome"] == ENCODED
    else:
        assert re.search(expected, measured["outcome"]), measured["outcome"]
    assert measured["seconds"] < SECONDS
    assert measured["extra_bytes"] < EXTRA_BYTES


def test_preprocess_refuses_with_its_own_error_type():
    """In this process too: the page catches ImageDecodeError, so no other exception may escape."""
    with pytest.raises(ImageDecodeError, match=NOT_AN_IMAGE):
        preprocess(build("html.png"))


def test_the_cli_prints_one_entry_per_corpus_file(tmp_path, capsys):
    paths = []
    for name in BUILDERS:
        (tmp_path / name).write_bytes(build(name))
        paths.append(str(tmp_path / name))
    encode_main(["--json", *paths])
    entries = json.loads(capsys.readouterr().out)
    assert [e["file"] for e in entries] == paths
    assert all(("mu" in e) != ("error" in e) for e in entries)
    assert [("mu" in e) for e in entries] == [OUTCOMES[name] == ENCODED for name in BUILDERS]


def test_the_upload_page_survives_the_corpus_and_then_encodes_a_digit():
    at = run_page("pages/1_Encode_a_digit.py")
    for name in BUILDERS:
        data = build(name)
        started = time.perf_counter()
        at.file_uploader(key="enc_upload").upload(name, data, "application/octet-stream")
        at.run()
        assert time.perf_counter() - started < SECONDS + 5, name  # AppTest adds its own rerun overhead
        assert not at.exception, (name, [e.value for e in at.exception])
        refused = [e.value for e in at.error]
        assert all("Could not use this image" in message for message in refused), (name, refused)
        assert refused or any("encoder mean" in md.value for md in at.markdown), name
        assert bool(refused) == (OUTCOMES[name] != ENCODED), (name, refused)
    at.file_uploader(key="enc_upload").upload("seven.png", FIXTURE.read_bytes(), "image/png")
    at.run()
    assert_ok(at)
    assert any("test digits labelled **7**: " in c.value for c in at.caption)
