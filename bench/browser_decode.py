"""The latent map in a real browser: start-up, bytes, hover decoding and clicks.

    python -m bench.browser_decode [--seconds 2] [--clicks 20]      # from the repository root

Starts the app (`streamlit run app.py`, headless, free port) and drives
headless Chromium (/usr/bin/chromium) through Playwright. Prints one table:

  server start -> first decoded hover   cold: process start to the first image decoded for a pointer resting
                                        over the map (POINTER_OVER_MAP: it moves from the moment the map's
                                        points are drawn, Plotly's or the preview's, static/latent_map/preview.js)
  new session -> first decoded hover    a second tab on the running server (a new browser context), the
                                        median of NEW_SESSIONS tabs opened one after another
  longest main-thread task after ready  PerformanceObserver "longtask", from the map being ready
  bytes, first visit                    HTTP (encoded, from CDP) + websocket frames received
  bytes, back to the map                after a visit to another page
  click -> panel filled                 a click on an isolated dot to the panel's new title, painted
  pointer move -> image on screen       during a scripted sweep over the map: the event's timestamp to the
                                        animation frame that shows its image
  frames with a new image per second    during that sweep (Playwright sends about 60 moves a second)
  slider drag -> image on screen        the same, dragging the z1 slider's thumb with the mouse
Hover rows are measured with 10,000 and with 70,000 points (the training switch). Then the same for the
shipped convolutional model, an imported ONNX model that ONNX Runtime Web decodes in the browser
(its first visit includes the runtime's WASM build, fetched only for such a model).
"""
from __future__ import annotations

import argparse
import base64
import math
import time

import numpy as np
from playwright.sync_api import sync_playwright

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from vae_core.storage import settings
from vae_core.storage.latents import load_latent_cache
from vae_core.storage.store import DEFAULT_MODEL, model_files

ROOT = settings.REPO

READY = ".lm-root[data-ready='1']"
CONV = "mnist_conv_vae_z2"
VIEWPORT = {"width": 1400, "height": 1000}
NEW_SESSIONS = 7  # one new tab's start varies by about 0.3 s on a shared machine: the median of several
LONGTASKS = """window.__longtasks = []; new PerformanceObserver((list) => { for (const e of list.getEntries())
  window.__longtasks.push({ start: e.startTime, ms: e.duration }); }).observe({ type: "longtask", buffered: true });"""
# A pointer already resting over the map, as a visitor's is: from the moment the map is live, a pointer move
# over it every frame (the map's own listener) until its panel shows a hover; the page's clock then, in ms
# from the navigation's start, in window.__firstHover. (Playwright's own mouse answers a few hundred ms late.)
POINTER_OVER_MAP = """window.__firstHover = null;
(function overTheMap() {
  const root = document.querySelector(".lm-root[data-live='1']"), wrap = root?.querySelector(".lm-plot-wrap");
  if (wrap) {
    const box = wrap.querySelector(".lm-overlay").getBoundingClientRect();
    wrap.dispatchEvent(new PointerEvent("pointermove", { bubbles: true, pointerType: "mouse",
      clientX: box.left + box.width * 0.4, clientY: box.top + box.height / 2 }));
    if (root.querySelector(".lm-mode").textContent === "hover") { window.__firstHover = performance.now(); return; }
  }
  requestAnimationFrame(overTheMap);
})();"""
CLICK_PROBE = """(row) => { window.__clickTime = new Promise((resolve) => {
  let clicked = null;
  window.addEventListener("click", (e) => { clicked = e.timeStamp; }, { capture: true, once: true });
  const obs = new MutationObserver(() => {
    const title = document.querySelector(".lm-sel-title");
    if (clicked === null || !title || !title.textContent.includes(`#${row} `)) return;
    obs.disconnect();
    requestAnimationFrame(() => resolve(performance.now() - clicked));  // painted in the next frame
  });
  obs.observe(document.querySelector(".lm-selected"), { childList: true, subtree: true });
}); }"""


class Bytes:
    """Bytes a tab received: HTTP bodies as sent (CDP encodedDataLength) plus websocket frames."""

    def __init__(self, page):
        self.http = self.ws = 0
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", lambda e: self._add_http(e["encodedDataLength"]))
        cdp.on("Network.webSocketFrameReceived", lambda e: self._add_ws(e["response"]))

    def _add_http(self, n: int) -> None:
        self.http += n

    def _add_ws(self, frame: dict) -> None:
        data = frame["payloadData"]
        self.ws += len(base64.b64decode(data)) if frame["opcode"] == 2 else len(data.encode())

    @property
    def total(self) -> int:
        return self.http + self.ws


def stats(values) -> tuple[float, float]:
    a = np.asarray(values, float)
    return (float(np.median(a)), float(np.percentile(a, 95))) if len(a) else (math.nan, math.nan)


def open_map(browser, url: str):
    """A new tab on the map: (page, its byte counter, seconds from the link to the first decoded hover,
    the page's clock when Plotly's figure was ready, perf_counter() at the link plus those seconds)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.add_init_script("globalThis.__latentMapTesting = true;" + LONGTASKS + POINTER_OVER_MAP)
    counter = Bytes(page)
    t0 = time.perf_counter()
    page.goto(url)
    seconds = page.wait_for_function("() => window.__firstHover", timeout=120_000).json_value() / 1000
    page.wait_for_selector(READY, timeout=120_000)  # Plotly's figure, once the pointer rests
    page.wait_for_function("() => window.__latentMap?.ready?.()")
    ready = page.evaluate("() => performance.now()")
    return page, counter, seconds, ready, t0 + seconds


def sweep(page, seconds: float, slider: bool = False) -> dict:
    """A figure-of-eight over the plot area (or a drag of the z1 slider) for `seconds`; timings from the page's hook."""
    target = page.locator(".lm-slider input").first if slider else page.locator(".lm-overlay")
    box = target.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    rx, ry = box["width"] * (0.45 if slider else 0.35), 0 if slider else box["height"] * 0.3
    page.mouse.move(cx, cy)
    if slider:
        page.mouse.down()
    page.evaluate("() => window.__latentMap.resetStats()")
    t_end, k = time.perf_counter() + seconds, 0
    while time.perf_counter() < t_end:
        page.mouse.move(cx + rx * math.sin(k * 0.05), cy + ry * math.sin(k * 0.1))
        k += 1
    if slider:
        page.mouse.up()
    page.wait_for_timeout(100)
    s = page.evaluate("() => window.__latentMap.stats()")
    frames = sorted(set(s["frameTimes"]))
    span = (frames[-1] - frames[0]) / 1000 if len(frames) > 1 else math.nan
    return {"latency": s["latencyMs"], "decode": s["decodeMs"], "fps": (len(frames) - 1) / span, "moves": k}


def clicks(page, rows, mu) -> list[float]:
    times = []
    for row in rows:
        pt = page.evaluate("async ([x, y]) => (await window.__latentMap.whenMounted()) && window.__latentMap.toClient(x, y)",
                           [float(mu[row, 0]), float(mu[row, 1])])
        page.mouse.move(pt["x"], pt["y"])
        page.evaluate(CLICK_PROBE, row)
        page.mouse.click(pt["x"], pt["y"])
        times.append(page.evaluate("() => window.__clickTime"))
        page.wait_for_timeout(300)  # let the original image arrive before the next click
    return times


def sweep_rows(page, seconds: float, name: str, slider: bool = False) -> list[tuple[str, str, str]]:
    result = sweep(page, seconds, slider)
    med, p95 = stats(result["latency"])
    dmed, _ = stats(result["decode"])
    return [(f"{name} (median, p95)", f"{med:.1f}, {p95:.1f} ms (n={len(result['latency'])})", "<= 16 ms"),
            (f"{name}: frames with a new image per second",
             f"{result['fps']:.1f} (decode {dmed:.2f} ms median; {result['moves']} moves sent)", "60")]


def isolated(mu: np.ndarray, n: int) -> list[int]:
    rows = np.flatnonzero(np.all(np.abs(mu[:1500]) < 3, axis=1))
    d = np.sqrt(((mu[rows, None] - mu[None]) ** 2).sum(-1))
    d[np.arange(len(rows)), rows] = np.inf
    return [int(r) for r in rows[np.argsort(-d.min(1))[:n]]]


def start_rows(browser, url: str, t_start: float):
    """Start-up and bytes; returns the rows and the open first tab (with its byte counter)."""
    page, counter, _, ready, hovered = open_map(browser, url)
    rows = [("server start -> first decoded hover", f"{hovered - t_start:.2f} s", "<= 3 s")]
    page.wait_for_timeout(1500)
    tasks = page.evaluate("() => window.__longtasks")
    after = max([t["ms"] for t in tasks if t["start"] >= ready] or [0])
    before = max([t["ms"] for t in tasks if t["start"] < ready] or [0])
    rows.append(("bytes, first visit (HTTP + websocket)",
                 f"{counter.total / 1e6:.2f} MB ({counter.http / 1e6:.2f} + {counter.ws / 1e6:.2f})", "<= 7 MB"))
    new_sessions = []
    for _ in range(NEW_SESSIONS):
        second, _, seconds, _, _ = open_map(browser, url)
        second.close()
        new_sessions.append(seconds)
    rows.append((f"new session -> first decoded hover (median of {NEW_SESSIONS})",
                 f"{np.median(new_sessions):.2f} s ({min(new_sessions):.2f}-{max(new_sessions):.2f})", "<= 1.5 s"))
    rows.append(("longest main-thread task after the map is ready", f"{after:.0f} ms (before it: {before:.0f} ms)",
                 "<= 500 ms"))
    return rows, page, counter


def return_row(page, counter: Bytes) -> tuple[str, str, str]:
    """Bytes received when going back to the map from another page."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Manifold").click()
    page.get_by_text("Download the grid (PNG)").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    before = counter.total
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Latent map").click()
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_timeout(2000)
    return "bytes, back to the map from another page", f"{(counter.total - before) / 1e3:.1f} kB", "<= 50 kB"


def onnx_rows(browser, url: str, n_clicks: int, seconds: float) -> list[tuple[str, str, str]]:
    """The imported convolutional model: a new tab's bytes and start, clicks, hover and slider."""
    mu = load_latent_cache(model_files(CONV).cache()).mu
    page, counter, seconds_to_hover, _, _ = open_map(browser, f"{url}/?model={CONV}")
    name = "ONNX (mnist_conv_vae_z2)"
    rows = [(f"{name}: new session -> first decoded hover", f"{seconds_to_hover:.2f} s", "<= 5 s"),
            (f"{name}: bytes, first visit (HTTP + websocket)",
             f"{counter.total / 1e6:.2f} MB ({counter.http / 1e6:.2f} + {counter.ws / 1e6:.2f})", "runtime once")]
    med, p95 = stats(clicks(page, isolated(mu, n_clicks), mu))
    rows.append((f"{name}: click -> panel filled (median, p95)", f"{med:.1f}, {p95:.1f} ms", "<= 100 ms p50"))
    rows += sweep_rows(page, seconds, f"{name}: pointer move -> image on screen, 10,000 points")
    rows += sweep_rows(page, seconds, f"{name}: slider drag -> image on screen", slider=True)
    page.close()
    return rows


COLOUR_JS = """async (kind) => {
  const view = window.__latentMap.view(), started = performance.now();
  await view.colourBy(kind);
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));  // the frame that shows it
  return performance.now() - started;
}"""
SEARCH_JS = """async (query) => {
  const view = window.__latentMap.view(), started = performance.now();
  await view.search(query);
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return performance.now() - started;
}"""


def tool_rows(page, points: str, repeats: int = 5) -> list[tuple[str, str, str]]:
    """Colour switches (label -> KL -> sigma -> label) and searches, each to the frame that shows it."""
    switches = [page.evaluate(COLOUR_JS, kind) for _ in range(repeats) for kind in ("kl", "sigma", "label")]
    searches = [page.evaluate(SEARCH_JS, query) for _ in range(repeats) for query in ("7", "misplaced", "")]
    rows = []
    for name, taken in ((f"colour switch -> redrawn, {points}", switches), (f"search -> rings drawn, {points}", searches)):
        med, p95 = stats(taken)
        rows.append((f"{name} (median, p95)", f"{med:.1f}, {p95:.1f} ms (n={len(taken)})", "<= 100 ms p50"))
    return rows


def interaction_rows(page, mu: np.ndarray, n_clicks: int, seconds: float) -> list[tuple[str, str, str]]:
    taken = clicks(page, isolated(mu, n_clicks), mu)
    med, p95 = stats(taken)
    rows = [("click -> panel filled (median, p95)", f"{med:.1f}, {p95:.1f} ms (n={len(taken)})", "<= 100 ms p50")]
    rows += sweep_rows(page, seconds, "pointer move -> image on screen, 10,000 points")
    rows += tool_rows(page, "10,000 points")
    page.locator(".lm-train input").check()
    page.wait_for_function("() => window.__latentMap.state().traces.length === 20", timeout=60_000)
    page.wait_for_timeout(500)
    rows += sweep_rows(page, seconds, "pointer move -> image on screen, 70,000 points")
    rows += tool_rows(page, "70,000 points")
    return rows + sweep_rows(page, seconds, "slider drag -> image on screen", slider=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    mu = load_latent_cache(model_files(DEFAULT_MODEL).cache()).mu
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        t_start = time.perf_counter()
        with streamlit_server(ROOT / "app.py", cwd=ROOT, timeout=120) as url:
            rows, page, counter = start_rows(browser, url, t_start)
            rows.append(return_row(page, counter))
            rows += interaction_rows(page, mu, args.clicks, args.seconds)
            page.close()
            rows += onnx_rows(browser, url, args.clicks, args.seconds)
        browser.close()
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | value | target |\n|{'-' * (width + 2)}|---|---|")
    for name, value, target in rows:
        print(f"| {name.ljust(width)} | {value} | {target} |")


if __name__ == "__main__":
    main()
