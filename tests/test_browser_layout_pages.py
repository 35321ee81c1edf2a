"""Layout of single pages in a real browser, measured by bounding boxes, at a desktop, a laptop and a phone
viewport (issue 18, item 9): the Manifold grid fills its column with no band above it or below it and one
legend inside its chart; Plotly's toolbar covers no legend or chart title; the sidebar's model selector
shows every model's full name; Interpolate reads in the light and the dark theme (the linear path stands
out from the chart's background, and no white line runs between the strip's tiles).
"""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from tests.browser_support import wait_idle
from tests.test_browser_layout import FIXTURE, VIEWPORTS, T, server, settle  # noqa: F401, F811  (server is a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Boxes [left, top, right, bottom] of the first chart in the main area: the chart, its plane's image
# (the Manifold grid), the toolbar (None when not displayed), the legend and the legend's names.
CHART_JS = """(index) => {
  const g = document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')[index];
  const box = e => { if (!e || getComputedStyle(e).display === 'none' || !e.getClientRects().length) return null;
                     const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const bar = g.querySelector('.modebar-container');
  return {chart: box(g), image: box(g.querySelector('image')), modebar: bar && box(bar.querySelector('.modebar')),
          legend: box(g.querySelector('.legend')), xtitle: box(g.querySelector('.xtitle')),
          names: [...g.querySelectorAll('.legend .traces .legendtext')].map(t => t.textContent),
          titles: [...g.querySelectorAll('.gtitle, .annotation-text')].map(box).filter(Boolean)};
}"""


def chart_box(page, index: int) -> dict:
    """CHART_JS for the page's chart `index` once Plotly has laid it out and its boxes hold still for 0.3 s: on a
    fresh server a deep link's first run ends before the page's charts are sent (the navigation's own rerun), and
    the page settles its sidebar and width after the chart's first layout."""
    page.wait_for_function("(i) => document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot')[i]?._fullLayout",
                           arg=index, timeout=60_000)
    box = page.evaluate(CHART_JS, index)
    for _ in range(60):
        page.wait_for_timeout(300)
        again = page.evaluate(CHART_JS, index)
        if again == box:
            break
        box = again
    return box


def overlap(a, b) -> float:
    return max(0.0, min(min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])))


@pytest.fixture(scope="module")
def tab(browser, server):  # noqa: F811
    """A tab per (viewport, colour scheme), reused across the tests; the server is warmed up first
    (its very first run, through a sub-page, lacks app.py's page settings)."""
    opened = {}

    def open_tab(viewport: str, scheme: str = "light"):
        if (viewport, scheme) not in opened:
            width, height = VIEWPORTS[viewport]
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
            opened[viewport, scheme] = context.new_page()
            opened[viewport, scheme].set_default_timeout(T)
            if len(opened) == 1:
                opened[viewport, scheme].goto(server)
                settle(opened[viewport, scheme])
        return opened[viewport, scheme]

    yield open_tab
    for page in opened.values():
        page.context.close()


def go(page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("stMain").locator("h1").first.wait_for(timeout=60_000)  # the page's own run, not the navigation's
    settle(page)


def toggle_on(page, label: str) -> None:
    page.get_by_test_id("stMain").get_by_text(label, exact=True).click()
    time.sleep(0.5)
    settle(page)


# ------------------------------------------------------------------ Manifold
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_manifold_grid_fills_its_chart(tab, server, viewport):  # noqa: F811
    page = tab(viewport)
    go(page, server + "/Manifold")
    box = chart_box(page, 0)
    chart, grid = box["chart"], box["image"]
    above, below = grid[1] - chart[1], chart[3] - grid[3]
    width_used = (grid[2] - grid[0]) / (chart[2] - chart[0])
    # Above: the toolbar's strip (30 px); below: the x axis's ticks and title.
    assert above <= 40 and below <= 80, f"{above:.0f} px above the grid, {below:.0f} px below"
    assert width_used >= 0.7, f"the grid takes {100 * width_used:.0f} % of its chart's width"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_manifold_legend_names_each_class_once_inside_its_chart(tab, server, viewport):  # noqa: F811
    page = tab(viewport)
    go(page, server + "/Manifold")
    toggle_on(page, "Test means on top")
    toggle_on(page, "Colour by a classifier")
    box = chart_box(page, 0)
    names, legend, chart = box["names"], box["legend"], box["chart"]
    assert len(names) == len(set(names)) == 10, names
    assert (legend[0] >= chart[0] - 1 and legend[2] <= chart[2] + 1 and legend[1] >= chart[1] - 1
            and legend[3] <= chart[3] + 1), f"the legend {legend} runs past its chart {chart}"
    assert overlap(legend, box["image"]) <= 1, "the legend covers the grid"
    assert box["modebar"] is None or overlap(legend, box["modebar"]) <= 1, "the toolbar covers the legend"
    assert chart[3] - box["image"][3] <= 130, f"{chart[3] - box['image'][3]:.0f} px below the grid"


# --------------------------------------------------------- Plotly's toolbar
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", ["/Interpolate", "/Prior_vs_posterior", "/Reconstruction_vs_KL", "/Encode_a_digit"])
def test_the_toolbar_covers_no_legend_or_title(tab, server, path, viewport):  # noqa: F811
    page = tab(viewport)
    go(page, server + path)
    problems = []
    for k in range(page.locator('[data-testid="stMain"] .js-plotly-plot').count()):
        box = chart_box(page, k)
        if box["modebar"] is None:
            continue
        covered = [b for b in [box["legend"], *box["titles"]] if b and overlap(b, box["modebar"]) > 1]
        problems += [f"chart {k}: the toolbar {box['modebar']} covers {b}" for b in covered]
    assert not problems, f"{path} at {viewport}: " + "; ".join(problems)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_chart_titles_stay_inside_their_charts(tab, server, viewport):  # noqa: F811
    """Subplot and chart titles are not cut off by the chart's edge (the training curves' on a phone were)."""
    page = tab(viewport)
    go(page, server + "/Reconstruction_vs_KL")
    cut = []
    for k in range(page.locator('[data-testid="stMain"] .js-plotly-plot').count()):
        box = chart_box(page, k)
        cut += [f"chart {k}: title {t} outside {box['chart']}" for t in box["titles"]
                if t[0] < box["chart"][0] - 1 or t[2] > box["chart"][2] + 1]
    assert not cut, f"at {viewport}: " + "; ".join(cut)


# ------------------------------------------------------------------ sidebar
SELECTOR_JS = """() => {
  const input = document.querySelector('[data-testid="stSidebar"] [data-testid="stSelectbox"] input');
  const style = getComputedStyle(input);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  return {room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
          widths: [...document.querySelectorAll('[role="option"]')]
                  .map(o => [o.textContent, ctx.measureText(o.textContent).width])};
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_model_selector_shows_each_name_in_full(tab, server, viewport):  # noqa: F811
    page = tab(viewport)
    go(page, server + "/Manifold")
    if viewport == "phone":
        page.get_by_test_id("stExpandSidebarButton").click()
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").wait_for(state="visible")
    page.get_by_test_id("stSidebar").locator('[data-testid="stSelectbox"] button[aria-label="Open"]').click()
    page.locator('[role="option"]').first.wait_for()
    found = page.evaluate(SELECTOR_JS)
    page.keyboard.press("Escape")
    assert len(found["widths"]) >= 5
    cut = [f"{name!r} ({width:.0f} px)" for name, width in found["widths"] if width > found["room"]]
    assert not cut, f"{found['room']:.0f} px in the box: " + ", ".join(cut)


# -------------------------------------------------------------- Interpolate
def luminance(rgb) -> float:
    """WCAG relative luminance of an (r, g, b) in 0..255."""
    c = np.asarray(rgb, float) / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def contrast(a, b) -> float:
    la, lb = sorted([luminance(a), luminance(b)], reverse=True)
    return (la + 0.05) / (lb + 0.05)


PATH_JS = """() => {
  const g = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
  const colour = c => { const probe = document.createElement('canvas').getContext('2d'); probe.fillStyle = c;
                        probe.fillRect(0, 0, 1, 1); return [...probe.getImageData(0, 0, 1, 1).data]; };
  return {line: colour(g._fullData.find(t => t.name === 'linear').line.color).slice(0, 3),
          background: colour(g._fullLayout.plot_bgcolor),
          paper: colour(getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor).slice(0, 3)};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_interpolate_reads_in_either_theme(tab, server, viewport, scheme):  # noqa: F811
    page = tab(viewport, scheme)
    go(page, server + "/Interpolate?steps=24")
    colours = page.evaluate(PATH_JS)
    background = colours["background"][:3] if colours["background"][3] == 255 else colours["paper"]  # else see-through
    assert contrast(colours["line"], background) >= 3, colours
    strips = page.get_by_test_id("stMain").get_by_test_id("stImage").filter(has_not=page.get_by_test_id("stImageCaption"))
    assert strips.count() == 4  # linear, spherical, geodesic, and the walk along a class direction
    for k in range(4):
        strips.nth(k).scroll_into_view_if_needed()
        wait_idle(page)
        shot = np.asarray(Image.open(io.BytesIO(strips.nth(k).locator("img").screenshot())).convert("L"), float)
        # A line through the whole strip as bright as the page is not a gap to see through, unless the page is white.
        brightest_line = max(shot.min(axis=0).max(), shot.min(axis=1).max())
        page_level = np.mean(colours["paper"])
        assert brightest_line <= page_level + 40, f"strip {k}: a line of level {brightest_line:.0f} on a page of {page_level:.0f}"


# ------------------------------------------------------ Reconstruction vs KL
FIGURES_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const app = getComputedStyle(document.querySelector('[data-testid="stApp"]'));
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const ticks = [...main.querySelectorAll('.lm-chart .xtick text, .lm-chart .ytick text')];
  return {drawn: [...main.querySelectorAll('.lm-chart .js-plotly-plot')].filter(g => g._fullLayout).length,
          streamlitCharts: main.querySelectorAll('[data-testid="stPlotlyChart"]').length,
          streamlitPlotly: performance.getEntriesByType('resource').filter(e => /PlotlyChart/.test(e.name)).length,
          ticks: ticks.length, tickColours: [...new Set(ticks.map(t => getComputedStyle(t).fill))].map(rgb),
          tickFonts: [...new Set(ticks.map(t => getComputedStyle(t).fontFamily))],
          background: rgb(app.backgroundColor), font: app.fontFamily};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reconstruction_vs_kl_draws_its_charts_with_the_maps_plotly_in_the_pages_theme(tab, server, scheme):  # noqa: F811
    """Its charts come from the map's plotly.js (latent_component.chart), so a new tab never fetches Streamlit's
    4.7 MB chart chunk for them, and they take the page's theme: its font, and ticks readable on its background."""
    page = tab("laptop", scheme)
    go(page, server + "/Reconstruction_vs_KL")
    found = page.evaluate(FIGURES_JS)
    # per-epoch curves, rate against distortion, and one map per beta model (three shipped)
    assert found["drawn"] == 5 and found["streamlitCharts"] == 0 and found["streamlitPlotly"] == 0, found
    assert found["ticks"] > 0 and all(contrast(c, found["background"]) >= 4.5 for c in found["tickColours"]), found
    assert found["tickFonts"] and all(f.split(",")[0] in found["font"] for f in found["tickFonts"]), found


# ------------------------------------------------------------------- Encode
LINES_JS = """() => {
  const g = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
  const rgb = c => { const probe = document.createElement('canvas').getContext('2d'); probe.fillStyle = c;
                     probe.fillRect(0, 0, 1, 1); return [...probe.getImageData(0, 0, 1, 1).data].slice(0, 3); };
  const app = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor;
  return {lines: g._fullData.filter(t => /^q\\(z\\|x\\)|^p\\(z\\|x\\)/.test(t.name)).map(t => [t.name, rgb(t.line.color)]),
          background: rgb(app)};
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_encode_map_reads_in_the_dark_with_its_legend_clear_of_the_axis(tab, server, viewport):  # noqa: F811
    """q(z|x)'s ellipses and the exact posterior's lines stand out on a dark page, and the legend under the map
    (16 entries with p(z|x)) keeps clear of the z1 axis title."""
    page = tab(viewport, "dark")
    go(page, server + "/Encode_a_digit?stroke=own")
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(FIXTURE)
    page.get_by_text("Blue: the exact posterior").wait_for(timeout=T)
    settle(page)
    box = chart_box(page, 0)
    assert box["legend"] and box["xtitle"] and overlap(box["legend"], box["xtitle"]) <= 1, box
    found = page.evaluate(LINES_JS)
    assert {name for name, _ in found["lines"]} == {"q(z|x) 1σ", "q(z|x) 2σ", "p(z|x)"}, found
    assert all(contrast(colour, found["background"]) >= 3 for _, colour in found["lines"]), found
