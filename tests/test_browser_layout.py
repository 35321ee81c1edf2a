"""Layout of the sub-pages (and the map with a second one beside it) in a real browser, at a desktop, a laptop and a
phone viewport.

On every page and viewport, no two visible images, charts or controls overlap,
and none sticks out of its column or of the main area (clipped). Encode a digit
is checked with an uploaded digit and with the drawing canvas, whose toolbar
pops up above it on hover and must not cover the caption. Interpolate at 24
steps must show tiles of at least 40 px and no dump of raw numbers.
"""
from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest

from tests.browser_support import streamlit_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
# A phone photo whose map neighbours disagree (its strokes as prepared): the outlined image and the "Ambiguous"
# note are laid out too.
FIXTURE = ROOT / "tests" / "fixtures" / "uploads" / "photo_0004_4.jpg"
VIEWPORTS = {"desktop": (1400, 1000), "laptop": (1280, 720), "phone": (390, 844)}
STATES = ["encode-upload", "encode-draw", "inside", "manifold", "prior", "interpolate", "tradeoff", "train", "map-compare"]
STEPS = 24
SLACK = 2  # px of overlap or overhang tolerated (sub-pixel rounding, borders)
T = 90_000  # ms: generous, the machine is shared

# The elements that must not overlap: images, charts and controls.
TESTIDS = ["stImage", "stPlotlyChart", "stSlider", "stButton", "stDownloadButton", "stFileUploader",
           "stNumberInput", "stSelectbox", "stRadio", "stButtonGroup", "stCheckbox", "stTable", "stDataFrame",
           "stMetric"]

# And inside components: the drawing canvas, each latent map's plot and panel (two maps side by side on "Compare with"),
# and the charts drawn with the map's plotly.js (latent_component.chart).
EXTRA = "canvas.upper-canvas, .lm-plot-wrap, .lm-panel, .lm-chart"
# Boxes (viewport px) of the visible elements in the main area, with the column (or main area) holding each.
# An image is measured by its <img>: its wrapper keeps the column's width while the picture runs over.
# The canvas lives in a shadow root; its full size counts even where a scroller clips it.
BOXES_JS = """([testids, extra]) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const deep = (root, sel) => [...root.querySelectorAll(sel)].concat(
      ...[...root.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => deep(e.shadowRoot, sel)));
  const hostColumn = el => {
    for (let e = el; e; e = e.parentElement || (e.getRootNode() && e.getRootNode().host)) {
      if (e.dataset && e.dataset.testid === 'stColumn') return e;
    }
    return main;
  };
  const rect = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const mainRect = rect(main);
  mainRect[2] = mainRect[0] + main.clientWidth;  // without the scroll bar
  const els = [...main.querySelectorAll(testids.map(t => `[data-testid="${t}"]`).join(','))]
      .concat(deep(main, extra));
  const items = els.map(el => {
    const target = el.dataset.testid === 'stImage' ? (el.querySelector('img') || el) : el;
    const text = (el.getAttribute('aria-label') || el.innerText || '').trim().split('\\n')[0].slice(0, 40);
    const column = hostColumn(el);
    return {el, name: `${el.dataset.testid || el.className} "${text}"`, box: rect(target),
            column: column === main ? mainRect : rect(column)};
  }).filter(i => i.box[2] - i.box[0] > 0 && i.box[3] - i.box[1] > 0);
  const nested = (a, b) => a.el.contains(b.el) || b.el.contains(a.el);
  return {main: mainRect, items: items.map(({name, box, column}, k) => ({name, box, column,
          inside: items.filter(o => o !== items[k] && nested(o, items[k])).map(o => items.indexOf(o))}))};
}"""


def overlap(a, b) -> float:
    """The smaller side of the intersection of two boxes [left, top, right, bottom], 0 if they do not meet."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, min(w, h))


def layout_problems(page) -> list[str]:
    """Every overlap between two elements and every element sticking out of its column or the main area."""
    found = page.evaluate(BOXES_JS, [TESTIDS, EXTRA])
    items, main = found["items"], found["main"]
    problems = []
    for i, a in enumerate(items):
        left, _, right, _ = a["box"]
        if right > main[2] + SLACK:
            problems.append(f"{a['name']} sticks out of the main area by {right - main[2]:.0f} px")
        elif right > a["column"][2] + SLACK or left < a["column"][0] - SLACK:
            problems.append(f"{a['name']} sticks out of its column ({left:.0f}..{right:.0f} px, column "
                            f"{a['column'][0]:.0f}..{a['column'][2]:.0f})")
        for j in range(i + 1, len(items)):
            b = items[j]
            if j not in a["inside"] and overlap(a["box"], b["box"]) > SLACK:
                problems.append(f"{a['name']} and {b['name']} overlap by {overlap(a['box'], b['box']):.0f} px")
    return problems


def settle(page) -> None:
    """Wait until the run is over, the charts are drawn, the images loaded, and nothing moves any more."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=T)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=T)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stSkeleton"]')
                 && [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout)
                 && [...document.querySelectorAll('[data-testid="stMain"] img')].every(i => i.complete)""",
        timeout=T)
    before = None
    for _ in range(20):  # late reflows: fonts, chart resizes
        time.sleep(0.4)
        now = page.evaluate(BOXES_JS, [TESTIDS, EXTRA])
        if now == before:
            return
        before = now


def open_state(page, base: str, state: str) -> None:
    path = {"map-compare": "/?compare=mnist_vae_z2_beta4", "manifold": "/Manifold", "prior": "/Prior_vs_posterior",
            "interpolate": f"/Interpolate?steps={STEPS}", "tradeoff": "/Reconstruction_vs_KL", "train": "/Train",
            "inside": "/Inside_the_encoder",
            "encode-upload": "/Encode_a_digit?stroke=own"}  # as prepared: fitted, the photo is plainly a 4
    page.goto(base + path.get(state, "/Encode_a_digit"))
    settle(page)
    if state == "encode-upload":
        page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(FIXTURE)
        page.get_by_text("(encoder mean)").wait_for(timeout=T)
        page.get_by_text("Ambiguous:").wait_for(timeout=T)
        settle(page)
    elif state == "map-compare":
        page.wait_for_selector(".lm-root[data-ready='1'] >> nth=1", timeout=T)
        settle(page)
    elif state == "encode-draw":
        page.get_by_test_id("stMain").get_by_text("Draw", exact=True).first.click()
        page.locator("canvas.upper-canvas").first.wait_for(timeout=T)
        settle(page)


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def server():
    if not (ROOT / "models" / "mnist_vae_z2.pt").is_file():
        pytest.skip("the shipped models are not in models/")
    with streamlit_server(ROOT / "app.py", cwd=ROOT, timeout=90) as url:
        yield url


@pytest.fixture(scope="module")
def tabs(browser):
    """One tab per viewport, reused across the pages."""
    opened = {}

    def tab(viewport: str):
        if viewport not in opened:
            width, height = VIEWPORTS[viewport]
            opened[viewport] = browser.new_page(viewport={"width": width, "height": height})
            opened[viewport].set_default_timeout(T)
        return opened[viewport]

    yield tab
    for page in opened.values():
        page.close()


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("state", STATES)
def test_nothing_overlaps_or_is_clipped(tabs, server, state, viewport):
    page = tabs(viewport)
    open_state(page, server, state)
    assert page.get_by_test_id("stException").count() == 0
    problems = layout_problems(page)
    assert not problems, f"{state} at {viewport}:\n" + "\n".join(problems)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_canvas_toolbar_leaves_the_caption_alone(tabs, server, viewport):
    page = tabs(viewport)
    open_state(page, server, "encode-draw")
    canvas = page.locator("canvas.upper-canvas").first
    canvas.scroll_into_view_if_needed()
    canvas.hover()  # the toolbar pops up above the canvas
    page.wait_for_function("""() => { const t = [...document.querySelectorAll('*')].map(e => e.shadowRoot)
        .filter(Boolean).map(r => r.querySelector('.dc-toolbar')).find(Boolean);
        return t && getComputedStyle(t).opacity === '1'; }""", timeout=T)
    time.sleep(0.4)  # the toolbar slides up
    toolbar = page.locator(".dc-toolbar-card").first.bounding_box()
    box = [toolbar["x"], toolbar["y"], toolbar["x"] + toolbar["width"], toolbar["y"] + toolbar["height"]]
    texts = page.get_by_test_id("stMain").locator(
        '[data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"], [data-testid="stButtonGroup"]')
    for k in range(texts.count()):
        other = texts.nth(k).bounding_box()
        if other:
            rect = [other["x"], other["y"], other["x"] + other["width"], other["y"] + other["height"]]
            assert overlap(box, rect) <= SLACK, f"the toolbar covers {texts.nth(k).inner_text()[:40]!r}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_interpolation_tiles_are_legible_and_no_numbers_are_dumped(tabs, server, viewport):
    page = tabs(viewport)
    open_state(page, server, "interpolate")
    main = page.get_by_test_id("stMain")
    strips = main.get_by_test_id("stImage").filter(has_not=page.get_by_test_id("stImageCaption"))
    assert strips.count() == 4, "a linear, a spherical and a geodesic strip, then the class direction's walk"
    problems = []
    for k, steps in enumerate((STEPS, STEPS, STEPS, 10)):  # the walk: 9 values of t and a blank tile, in two rows
        shown = strips.nth(k).locator("img").bounding_box()
        tile = math.sqrt(shown["width"] * shown["height"] / steps)  # the area each step gets, gaps included
        if tile < 40:
            problems.append(f"strip {k}: {tile:.0f}-px tiles")
    texts = main.locator('[data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"]')
    problems += [f"a dump of numbers: {text[:60]!r}" for text in texts.all_inner_texts()
                 if len(re.findall(r"\d+\.\d+", text)) > 8]
    assert not problems, f"at {viewport}: " + "; ".join(problems)
