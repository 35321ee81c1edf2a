"""Time to main content, per page and shipped model, on a cold and on a warm server.

    python -m bench.page_times [--models NAME ...] [--pages TITLE ...]      # from the repository root

For each model: start the app afresh (`streamlit run app.py`, headless, free port), open every page by
its link (`/<page>?model=NAME`, a new tab each: a new session) on the cold server, then every page again
in new tabs (warm: the server has loaded what the first visits loaded). Headless Chromium at 1400x1000
through Playwright. Prints one table:

  content    the link opened -> the page's first chart, image or map drawn in its main area; for a page of
             text only, "(text)", its run finished with its title drawn
  settled    -> the script's run finished and every chart and image drawn (tests/browser_support.wait_idle)
  unseen     the longest stretch, after the first 0.5 s, with neither content nor a spinner or progress
             bar in view (sampled every 100 ms): waiting without feedback
Targets (issue 18): content <= 3 s warm and <= 6 s cold, with progress in view while it waits.
"""
from __future__ import annotations

import argparse
import time

from playwright.sync_api import sync_playwright

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle
from vae_core.storage import settings
from vae_core.storage.store import SHIPPED_MODELS

ROOT = settings.REPO
VIEWPORT = {"width": 1400, "height": 1000}
# What a page shows when it has something to show: a chart laid out, an image loaded, the map's points drawn, or
# the upload box or form a page starts with (Encode, Train).
CONTENT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return false;
  return [...main.querySelectorAll('.js-plotly-plot')].some((g) => g._fullLayout)
    || [...main.querySelectorAll('[data-testid="stImage"] img')].some((i) => i.complete && i.naturalWidth)
    || !!main.querySelector(".lm-root[data-live='1'], [data-testid='stFileUploader'], [data-testid='stForm']");
}"""
# The page's run has finished with its title drawn and every element in its main area is text (headings,
# Markdown, captions, notes): a page of text only (Inside the encoder for an imported ONNX model says why it
# cannot look inside) has shown its content once this holds. A chart still on its way is not text.
FINISHED = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main?.querySelector('h1') || document.querySelector('[data-testid="stStatusWidget"]')) return false;
  const text = '[data-testid="stMarkdown"], [data-testid="stHeading"], [data-testid="stAlert"], '
    + '[data-testid="stCaptionContainer"]';
  return [...main.querySelectorAll('[data-testid="stElementContainer"]')].every((c) => c.querySelector(text));
}"""
# A spinner or progress bar whose box is at least partly inside the window.
FEEDBACK = """() => [...document.querySelectorAll('[data-testid="stSpinner"], [data-testid="stProgress"], .lm-loading')]
  .some((el) => { const r = el.getBoundingClientRect();
                  return r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight
                    && getComputedStyle(el).display !== "none"; })"""


def page_paths(browser, url: str) -> dict[str, str]:
    """Page title -> its path, read from the app's own navigation."""
    tab = browser.new_page(viewport=VIEWPORT)
    tab.goto(url)
    tab.wait_for_selector(".lm-root[data-ready='1']", timeout=120_000)  # the app's navigation, not the pages folder's
    links = tab.eval_on_selector_all('[data-testid="stSidebarNav"] a',
                                     "as => as.map((a) => [a.innerText.split('\\n').at(-1).trim(), new URL(a.href).pathname])")
    tab.close()
    return dict(links)


def visit(browser, link: str) -> dict[str, float]:
    """Open `link` in a new tab; seconds to content and to settled, and the longest unseen stretch."""
    tab = browser.new_page(viewport=VIEWPORT)
    t0 = time.perf_counter()
    tab.goto(link, wait_until="commit")
    content = text_only = None
    unseen = longest = 0.0
    while content is None and time.perf_counter() - t0 < 60:
        now = time.perf_counter() - t0
        if tab.evaluate(CONTENT):
            content = now
        elif tab.evaluate(FINISHED):  # finished, nothing drawn: text only, if it stays so for a second
            text_only = text_only or now
            if now - text_only >= 1.0:
                content = text_only
                break
        elif now > 0.5 and not tab.evaluate(FEEDBACK):
            unseen += 0.1
            longest = max(longest, unseen)
        else:
            unseen = 0.0
        if text_only is not None and not tab.evaluate(FINISHED):
            text_only = None
        tab.wait_for_timeout(100)
    wait_idle(tab, timeout=180_000)
    settled = time.perf_counter() - t0
    tab.close()
    return {"content": content if content is not None else float("nan"), "settled": settled, "unseen": longest,
            "text": text_only is not None and content == text_only}


def measure(browser, model: str, titles: list[str] | None) -> list[tuple]:
    """Rows (model, page, cold, warm) on a fresh server."""
    with streamlit_server(ROOT / "app.py", cwd=ROOT, timeout=120) as url:
        paths = page_paths(browser, f"{url}/?model={model}")
        chosen = [t for t in paths if titles is None or t in titles]
        cold = {t: visit(browser, f"{url}{paths[t]}?model={model}") for t in chosen}
        warm = {t: visit(browser, f"{url}{paths[t]}?model={model}") for t in chosen}
    return [(model, t, cold[t], warm[t]) for t in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="*", default=list(SHIPPED_MODELS))
    parser.add_argument("--pages", nargs="*", default=None, help="page titles (default: all)")
    args = parser.parse_args()
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for model in args.models:
            rows += measure(browser, model, args.pages)
        browser.close()
    print("\n| model | page | cold: content, settled, unseen (s) | warm: content, settled, unseen (s) |")
    print("|---|---|---|---|")
    for model, title, cold, warm in rows:
        cells = [f"{r['content']:.1f}{' (text)' * r['text']}, {r['settled']:.1f}, {r['unseen']:.1f}" for r in (cold, warm)]
        print(f"| {model} | {title} | {cells[0]} | {cells[1]} |")
    for kind, limit in (("cold", 6.0), ("warm", 3.0)):
        over = [(m, t) for m, t, *r in rows if not r[kind == "warm"]["content"] <= limit]
        print(f"{kind}: {len(rows) - len(over)} of {len(rows)} pages show content within {limit:g} s"
              + (f"; over: {', '.join(f'{t} ({m})' for m, t in over)}" if over else ""))


if __name__ == "__main__":
    main()
