"""Live decoding in the browser vs. the server round trip.

    .venv/bin/python bench/browser_decode.py [--seconds 2] [--trials 10]

Starts the app (`streamlit run app.py`, headless, free port) in headless
Chromium (/usr/bin/chromium) and measures:

  browser path: the latent_explorer component. A scripted drag over the map
      (Playwright mouse moves for --seconds); in the page, with
      performance.now(): decode time per z, pointer event -> decoded image
      drawn, images drawn per second and animation frames that showed a new
      image.
  server path: the app's Streamlit slider "z1" (label z1 or z₁). Drag the thumb
      and release; latency = release -> the "decoder(z)" st.image has its new
      image decoded, in the page. Images per second while dragging, too
      (Streamlit >= 1.49 only reruns on release). Reported "not available" if
      the app has no such slider.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from latent_component.devserver import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

READY = ".lex-root[data-ready='1']"
VIEWPORT = {"width": 1400, "height": 1000}

# In-page probes: animation frames, and when the server's decoded image changes.
FRAME_PROBE = """() => { window.__frames = []; const f = (t) => { window.__frames.push(t); requestAnimationFrame(f); };
                         requestAnimationFrame(f); }"""
IMAGE_PROBE = """() => {
  window.__imgs = []; window.__release = null;
  const target = () => [...document.querySelectorAll('[data-testid="stImage"]')]
      .find((e) => e.innerText.includes('decoder(z)'))?.querySelector('img');
  let last = target()?.src;
  new MutationObserver(() => {
    const img = target();
    if (!img || img.src === last) return;
    last = img.src; const src = img.src;
    img.decode().then(() => window.__imgs.push({ t: performance.now(), src })).catch(() => {});
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['src'] });
  document.addEventListener('pointerup', () => { window.__release = performance.now(); }, true);
  return !!target();
}"""


def _stats(values) -> tuple[float, float]:
    a = np.asarray(values, float)
    return (float(np.median(a)), float(np.percentile(a, 95))) if len(a) else (math.nan, math.nan)


def measure_browser(page: Page, seconds: float) -> dict:
    """Scripted drag over the component's map; everything timed inside the page."""
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: received.append(len(f))))
    page.reload()
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_timeout(1000)
    first_load = sum(received)
    box = page.locator(".lex-overlay").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    rx, ry = 0.35 * box["width"], 0.35 * box["height"]
    for i in range(30):  # warm up the JIT, as a user's first hover does
        page.mouse.move(cx + rx * math.cos(i / 5), cy + ry * math.sin(i / 3))
    page.evaluate("() => window.__latentExplorer.resetStats()")
    page.evaluate(FRAME_PROBE)
    page.wait_for_timeout(200)
    received.clear()

    t0_page = page.evaluate("performance.now()")
    page.mouse.move(cx + rx, cy)
    page.mouse.down()
    moves, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        a = 2 * math.pi * elapsed / seconds
        page.mouse.move(cx + rx * math.cos(a), cy + ry * math.sin(2 * a))  # a figure-of-eight
        moves += 1
    t1_page = page.evaluate("performance.now()")
    page.mouse.up()
    page.wait_for_timeout(1500)  # the release reports the z to Python: one rerun

    stats = page.evaluate("() => window.__latentExplorer.stats()")
    frames = [t for t in page.evaluate("window.__frames") if t0_page <= t <= t1_page]
    # The three arrays are pushed together, one entry per image drawn: keep the drag's entries.
    inside = [i for i, t in enumerate(stats["drawTimes"]) if t0_page <= t <= t1_page]
    draws = [stats["drawTimes"][i] for i in inside]
    span_s = (t1_page - t0_page) / 1000
    # An animation frame "shows a new image" if at least one decode was drawn since the previous frame.
    fresh = sum(1 for a, b in zip(frames, frames[1:]) if any(a < t <= b for t in draws))
    return {
        "decode": _stats([stats["decodeMs"][i] for i in inside]),
        "latency": _stats([stats["latencyMs"][i] for i in inside]),
        "work": _stats([stats["workMs"][i] for i in inside]),
        "n": len(draws),
        "moves": moves,
        "draws_per_s": len(draws) / span_s,
        "raf_fps": (len(frames) - 1) / span_s if len(frames) > 1 else math.nan,
        "fresh_fps": fresh / span_s,
        "first_load_bytes": first_load,
        "release_rerun_bytes": sum(received),
    }


def _find_slider(page: Page, names=("z1", "z₁")):
    for slider in page.locator('[data-testid="stSlider"]').all():
        label = slider.locator('[data-testid="stWidgetLabel"]').inner_text().strip()
        if label in names:
            return slider.locator('input[type="range"]').locator("xpath=../..")  # the thumb
    return None


def measure_server(page: Page, trials: int, seconds: float) -> dict | str:
    """Drag the app's z1 st.slider and time release -> new decoded image."""
    try:
        page.wait_for_selector('[data-testid="stSlider"]', timeout=30_000)
    except Exception:
        return "not available: the app shows no Streamlit slider"
    thumb = _find_slider(page)
    if thumb is None:
        return "not available: no slider labelled z1 / z₁ on the app's first page"
    if not page.evaluate(IMAGE_PROBE):
        return "not available: no st.image captioned 'decoder(z)' beside the sliders"
    thumb.scroll_into_view_if_needed()  # below the live map on the page: mouse events need it on screen
    page.wait_for_timeout(300)
    latencies = []
    for i in range(trials):
        box = thumb.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        n_before = page.evaluate("window.__imgs.length")
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + (25 if i % 2 == 0 else -25), y, steps=5)
        page.mouse.up()
        page.wait_for_function(f"window.__imgs.length > {n_before}", timeout=30_000)
        latencies.append(page.evaluate("window.__imgs[window.__imgs.length - 1].t - window.__release"))
        page.wait_for_timeout(300)
    # Images shown while the thumb is held and moving (before the release).
    box = thumb.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    n_before, t0, start = page.evaluate("window.__imgs.length"), page.evaluate("performance.now()"), time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        page.mouse.move(x + 40 * math.sin(2 * math.pi * elapsed / seconds), y)
    t1 = page.evaluate("performance.now()")
    during = page.evaluate(f"window.__imgs.slice({n_before}).filter(e => e.t <= {t1}).length")
    page.mouse.up()
    return {"latency": _stats(latencies), "n": len(latencies), "during_drag_fps": during / ((t1 - t0) / 1000)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of the scripted drags")
    parser.add_argument("--trials", type=int, default=10, help="slider releases for the server path")
    args = parser.parse_args(argv)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with streamlit_server(ROOT / "app.py", cwd=ROOT) as app_url:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(app_url)
            page.wait_for_selector(READY, timeout=60_000)  # the live map is the home page's default view
            server = measure_server(page, args.trials, args.seconds)
            browser_result = measure_browser(page, args.seconds)
            page.close()
        browser.close()

    b = browser_result
    print(f"Chromium headless ({CHROMIUM}), {args.seconds:g} s scripted drags, times in ms from performance.now()\n")
    print(f"{'path':<44} {'median':>8} {'p95':>8} {'n':>5}   frames/s during drag")
    print(f"{'browser: decode one z (JS)':<44} {b['decode'][0]:8.2f} {b['decode'][1]:8.2f} {b['n']:5d}")
    print(f"{'browser: handler start -> image drawn':<44} {b['work'][0]:8.2f} {b['work'][1]:8.2f} {b['n']:5d}")
    print(f"{'browser: pointer event -> image drawn':<44} {b['latency'][0]:8.2f} {b['latency'][1]:8.2f} {b['n']:5d}"
          f"   {b['fresh_fps']:.1f} new-image frames/s ({b['draws_per_s']:.0f} draws/s, "
          f"rAF {b['raf_fps']:.0f}/s, {b['moves'] / args.seconds:.0f} moves/s sent)")
    if isinstance(server, str):
        print(f"{'server: st.slider z1 release -> st.image':<44} {server}")
    else:
        print(f"{'server: st.slider z1 release -> st.image':<44} {server['latency'][0]:8.1f} {server['latency'][1]:8.1f}"
              f" {server['n']:5d}   {server['during_drag_fps']:.1f} images/s while dragging (updates on release)")
    print("(event -> drawn includes Chromium holding pointermove until the next animation frame, 0-16.7 ms)")
    print(f"\nbytes over the websocket: first load {b['first_load_bytes']:,}; "
          f"rerun after the drag release {b['release_rerun_bytes']:,} (weights not re-sent)")


if __name__ == "__main__":
    main()
