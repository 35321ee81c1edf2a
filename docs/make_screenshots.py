"""Regenerate the README screenshots: docs/screenshot_<page>.png, one per page of the app.

    python -m docs.make_screenshots [--out docs]      # from the repository root

Starts `streamlit run app.py` on a free port (latent_component.devserver), opens
every page in headless Chromium at 1400x1000, does one representative
interaction (on the latent map a test digit is selected from the link and the
pointer hovers, so a decoded digit follows it; upload a test digit on Encode),
and saves a palette PNG (< 400 KB).

tests/test_browser_app.py calls `make_screenshots` too, into a temporary folder,
so CI checks that every page still renders.
"""
from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle
from vae_core.storage import settings

REPO = settings.REPO

VIEWPORT = {"width": 1400, "height": 1000}
FIXTURES = REPO / "tests" / "fixtures"
# MNIST test digit #0 (a 7): the 4x dark-on-white scan, or the plain 28x28 one.
DIGIT_FIXTURES = [FIXTURES / "app_digit_7.png", FIXTURES / "mnist0_white_on_black.png"]
PHOTO_FIXTURE = FIXTURES / "uploads" / "photo_0005_5.jpg"  # a phone photo of a blue pen 5: not MNIST
MAP_READY = ".lm-root[data-ready='1']"
HOVER_Z = (-1.6, 0.3)  # a point in the cloud of 1s of the shipped VAE: the cursor shows a decoded digit
MAX_BYTES = 400_000


def digit_fixture() -> Path:
    """The image of a real MNIST test 7 that the Encode page gets (the first fixture that exists)."""
    for path in DIGIT_FIXTURES:
        if path.is_file():
            return path
    raise FileNotFoundError(f"no digit fixture: expected one of {[str(p) for p in DIGIT_FIXTURES]}")


def _hover_map(page) -> None:
    page.wait_for_selector(MAP_READY, timeout=60_000)
    page.locator(".lm-original canvas, .lm-missing").first.wait_for(timeout=60_000)
    wait_idle(page)
    pt = page.evaluate("([x, y]) => window.__latentMap.toClient(x, y)", list(HOVER_Z))
    page.mouse.move(pt["x"] - 20, pt["y"] - 20)
    page.mouse.move(pt["x"], pt["y"], steps=4)
    page.locator(".lm-cursor").wait_for(state="visible", timeout=10_000)


def _upload_digit(page) -> None:
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(PHOTO_FIXTURE)
    page.get_by_text("(encoder mean)").wait_for(timeout=60_000)


# (file slug, URL path, page title, interaction before the screenshot)
PAGES: list[tuple[str, str, str, Callable | None]] = [
    ("latent_map", "/?idx=0", "Latent map", _hover_map),
    ("encode_a_digit", "/Encode_a_digit", "Encode a digit", _upload_digit),
    ("manifold", "/Manifold", "Manifold", None),
    ("prior_vs_posterior", "/Prior_vs_posterior", "Prior vs posterior", None),
    ("interpolate", "/Interpolate", "Interpolate", None),
    ("reconstruction_vs_kl", "/Reconstruction_vs_KL", "Reconstruction vs KL", None),
    ("train", "/Train", "Train a model", None),
]


def small_png(png: bytes, max_bytes: int = MAX_BYTES) -> bytes:
    """Re-encode a screenshot as an optimized palette PNG (256 colours, no dithering)."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    img.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    data = out.getvalue()
    if len(data) > max_bytes:  # very busy pages: fewer colours
        out = io.BytesIO()
        img.quantize(64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
        data = out.getvalue()
    return data


def screenshot_page(browser, base_url: str, slug: str, out_dir: str | Path) -> Path:
    """Open one page (by its slug in PAGES), interact, and write out_dir/screenshot_<slug>.png."""
    _, path, title, action = next(p for p in PAGES if p[0] == slug)
    page = browser.new_page(viewport=VIEWPORT)
    page.add_init_script("globalThis.__latentMapTesting = true")  # the map's test hook (toClient)
    try:
        page.goto(base_url.rstrip("/") + path)
        page.locator("h1").filter(has_text=title).wait_for(timeout=60_000)
        wait_idle(page)
        if action is not None:
            action(page)
            wait_idle(page)
        if page.locator('[data-testid="stException"]').count():
            raise RuntimeError(f"{path} shows an exception: {page.locator('[data-testid=stException]').first.inner_text()}")
        page.wait_for_timeout(300)  # let WebGL and image decodes paint
        out = Path(out_dir) / f"screenshot_{slug}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(small_png(page.screenshot()))
        return out
    finally:
        page.close()


def make_screenshots(browser, base_url: str, out_dir: str | Path) -> list[Path]:
    """One screenshot per page in PAGES; returns the files written."""
    return [screenshot_page(browser, base_url, slug, out_dir) for slug, *_ in PAGES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs"), help="folder for the PNGs (default: docs/)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright


    env = {"MNIST_DATA_ROOT": str(settings.data_root())}
    with streamlit_server(REPO / "app.py", cwd=REPO, env=env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for path in make_screenshots(browser, url, args.out):
                print(f"{path}  {path.stat().st_size / 1000:.0f} kB")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
