"""The latent map under a finger and the panel's readouts, in a real browser.

Touch: a phone-sized context with touch (Playwright's `has_touch`); a tap goes
through Playwright's touchscreen, drags and pinches through Chromium's own
touch input (CDP `Input.dispatchTouchEvent`), as a phone's would.
Readouts: after a slider drag the panel and the link stop naming the digit;
slider thumbs sit where their numbers say.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from tests.test_browser_map import (  # noqa: F401  (cache and server are fixtures)
    MODELS,
    READY,
    VAE_NAME,
    T,
    cache,
    empty_spot,
    expect,
    isolated_points,
    load_checkpoint,
    new_page,
    one_pixel,
    panel_pixels,
    query,
    server,
    state,
    to_client,
    to_z,
    torch_decode,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def phone(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  device_scale_factor=2)
    pg = context.new_page()
    pg.set_default_timeout(T)
    pg.add_init_script("globalThis.__latentMapTesting = true")
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server)
    pg.wait_for_selector(READY)
    pg.wait_for_function("() => window.__latentMap?.ready?.()")
    pg.cdp = context.new_cdp_session(pg)
    yield pg
    context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


def touch(pg, kind: str, *points) -> None:
    """One touch event from Chromium's input pipeline: kind is touchStart, touchMove or touchEnd."""
    pg.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
        {"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})


def x_range(pg) -> list[float]:
    return pg.evaluate("() => document.querySelector('.lm-plot')._fullLayout.xaxis.range")


def test_a_tap_on_a_dot_selects_it_and_a_tap_on_empty_space_selects_that_z(phone, cache):  # noqa: F811
    row = isolated_points(cache.mu, 1)[0]
    expect(phone.locator(".lm-hint")).to_contain_text("tap a dot")
    phone.touchscreen.tap(*to_client(phone, cache.mu[row]))
    expect(phone.locator(".lm-root")).to_have_attribute("data-selected", f"test:{row}")
    expect(phone.locator(".lm-sel-title")).to_have_text(f"Test digit #{row} · digit {int(cache.labels[row])}")
    expect(phone).to_have_url(re.compile(rf"idx={row}\b"))
    assert np.allclose(state(phone)["z"], cache.mu[row], atol=1e-6)

    x, y = empty_spot(phone, cache)
    phone.touchscreen.tap(x, y)
    expect(phone.locator(".lm-root")).to_have_attribute("data-selected", "")
    expect(phone).not_to_have_url(re.compile(r"idx="))
    spot = to_z(phone, x, y)
    assert np.allclose(state(phone)["z"], spot, atol=2 * one_pixel(phone))
    assert [float(v) for v in query(phone)["z"].split(",")] == pytest.approx(spot, abs=2 * one_pixel(phone))


def test_a_dragged_finger_decodes_the_z_under_it_without_zooming(phone):
    model, _ = load_checkpoint(MODELS / f"{VAE_NAME}.pt")
    before = x_range(phone)
    start, end = np.array(to_client(phone, (0.0, 2.0))), np.array(to_client(phone, (1.0, -2.0)))
    touch(phone, "touchStart", start)
    for step in range(1, 11):
        at = start + (end - start) * step / 10
        touch(phone, "touchMove", at)
        expect(phone.locator(".lm-mode")).to_have_text("touch")
        z = phone.evaluate("() => window.__latentMap.lastZ")
        assert np.allclose(z, [step / 10, 2 - 4 * step / 10], atol=0.05), "the z under the finger is decoded"
    assert np.abs(panel_pixels(phone) - 255 * torch_decode(model, z)).max() <= 1.0
    expect(phone.locator(".lm-cursor")).to_be_visible()
    cursor = phone.locator(".lm-cursor").bounding_box()
    assert cursor["y"] + cursor["height"] < end[1], "the digit beside the finger sits above it, not under it"
    touch(phone, "touchEnd")
    expect(phone.locator(".lm-mode")).to_have_text("z = 0, the prior's mean")  # lifting goes back; nothing was selected
    assert state(phone)["selected"] is None and state(phone)["z"] == [0, 0]
    assert x_range(phone) == before, "Plotly drew a zoom box for the drag"
    assert "idx" not in query(phone)


def test_two_fingers_pinch_zoom_about_their_midpoint(phone):
    before = x_range(phone)
    mid = np.array(to_client(phone, (0.5, 0.5)))
    touch(phone, "touchStart", mid - (20, 0), mid + (20, 0))
    for step in range(1, 9):
        touch(phone, "touchMove", mid - (20 + 10 * step, 0), mid + (20 + 10 * step, 0))
        phone.wait_for_timeout(40)
    touch(phone, "touchEnd")
    phone.wait_for_timeout(200)
    after = x_range(phone)
    assert (after[1] - after[0]) == pytest.approx((before[1] - before[0]) * 40 / 200, rel=0.02), "fingers 5x apart: 5x zoom"
    assert np.allclose(to_client(phone, (0.5, 0.5)), mid, atol=1.5), "the point between the fingers stays under them"
    assert state(phone)["selected"] is None and state(phone)["z"] == [0, 0], "a pinch selects nothing"


def test_a_slider_drag_lets_go_of_the_selected_digit(browser, server, cache):  # noqa: F811
    row = isolated_points(cache.mu, 1)[0]
    pg = new_page(browser, f"{server}/?model={VAE_NAME}&idx={row}")
    try:
        expect(pg.locator(".lm-near")).to_have_text(re.compile(rf"test #{row} · "))
        pg.locator(".lm-slider input").first.focus()
        pg.keyboard.press("ArrowRight")
        expect(pg.locator(".lm-mode")).to_have_text("slider")
        expect(pg.locator(".lm-near")).to_have_text("\u00a0")
        expect(pg.locator(".lm-root")).to_have_attribute("data-selected", "")
        expect(pg).not_to_have_url(re.compile(r"idx="))
        z = [float(v) for v in query(pg)["z"].split(",")]
        assert z[0] > cache.mu[row, 0] and z[1] == pytest.approx(cache.mu[row, 1], abs=6e-4)
    finally:
        pg.close()


def test_slider_thumbs_sit_where_their_numbers_say(browser, server):  # noqa: F811
    """At z = 0 every thumb is mid-slider (the 16-D model's too); a z beyond an end widens the slider."""
    pg = new_page(browser, f"{server}/?model=mnist_vae_z16")
    try:
        sliders = pg.evaluate("() => [...document.querySelectorAll('.lm-slider input')].map(i => "
                              "({min: +i.min, max: +i.max, value: +i.value, text: i.nextSibling.textContent}))")
        assert len(sliders) == 16
        for s in sliders:
            assert s["text"] == "0.00" and (s["value"] - s["min"]) / (s["max"] - s["min"]) == pytest.approx(0.5, abs=1e-9)
        pg.goto(f"{server}/?model={VAE_NAME}&z=-7,0.5")  # beyond the first slider's end
        pg.wait_for_selector(READY)
        pg.wait_for_function("() => window.__latentMap.view()?.state?.z[0] === -7")
        first = pg.locator(".lm-slider input").first
        assert float(first.input_value()) == -7 and float(first.get_attribute("min") or "nan") <= -7
        expect(pg.locator(".lm-slider-val").first).to_have_text("-7.00")
    finally:
        pg.close()
