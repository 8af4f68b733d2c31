"""Home in a real browser: the bundled Figure 1 run plays at the top, inside the first screen, at 1366x768 and
1024x768, and it changes over time; "Train this yourself" and the presets are within that screen too. Same
conventions as tests/test_browser.py (its `server` fixture and helpers); screenshots go to test-output/."""

from __future__ import annotations

import json
import re

import pytest

from tests import test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, button, wait_idle, wait_until

server = test_browser.server  # streamlit on a free port with its own runs dir

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# The plotly data of Home's figure: every trace's y values (p_g and D change from frame to frame).
FIGURE_DATA_JS = """() => { const gd = document.querySelector('.st-key-home_player .js-plotly-plot');
    return gd ? JSON.stringify((gd._fullData || []).map(t => Array.from(t.y || []))) : null; }"""


def caption_step(text: str) -> int | None:
    """The step a Home caption names ("step 1,250 of 3,000: ..."), None while it is being redrawn."""
    found = re.search(r"step ([\d,]+) of", text or "")
    return int(found.group(1).replace(",", "")) if found else None


def drawn_like(data: str | None, first: str) -> str | None:
    """`data` when it is another frame drawn whole: as many traces with points as the first, other values."""
    if data is None or data == first:
        return None
    points = [len(t) > 0 for t in json.loads(data)]
    return data if sum(points) == sum(len(t) > 0 for t in json.loads(first)) else None


def box(page, selector: str) -> dict | None:
    found = page.locator(selector)
    return found.first.bounding_box() if found.count() else None


def inside(b: dict, width: int, height: int) -> bool:
    return b is not None and b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= width and \
        b["y"] + b["height"] <= height


@pytest.mark.parametrize("width,height", [(1366, 768), (1024, 768)])
def test_home_plays_figure1_in_the_first_screen(server, width, height):
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(server)
            wait_idle(page)
            # plotly redraws the figure at each frame; its box is read while it is drawn
            figure = wait_until(lambda: box(page, ".st-key-home_player .js-plotly-plot"), 60, "the figure")
            assert inside(figure, width, height), f"the playing figure {figure} is not inside {width}x{height}"
            for key in ("home_train", "home_presets", "home_caption"):
                b = box(page, f".st-key-{key}")
                assert inside(b, width, height), f"{key} {b} is not inside {width}x{height}"

            first = wait_until(lambda: page.evaluate(FIGURE_DATA_JS), 30, "the figure's data")
            caption = page.locator(".st-key-home_caption").first.inner_text()
            shot = page.screenshot()
            (OUTPUT / f"home_{width}x{height}_a.png").write_bytes(shot)
            # It plays by itself: the figure's data and its caption's step change within a few ticks.
            # Another frame, not a redraw caught half way (an element being replaced reads as empty for a moment):
            # the caption names a later step, and the figure has as many drawn traces as before, with other data.
            first_step = caption_step(caption)
            wait_until(lambda: caption_step(page.locator(".st-key-home_caption").first.inner_text()) not in
                       (None, first_step), 30, "the caption to move on to another step")
            later_data = wait_until(lambda: drawn_like(page.evaluate(FIGURE_DATA_JS), first), 30,
                                    "the figure to change")
            assert json.loads(later_data) != json.loads(first)
            # And the screen shows it: a later screenshot differs from the first. Polled, since a single shot once
            # came back byte-identical (taken before Chromium painted the new frame, or on the same frame again).
            later = wait_until(lambda: (s := page.screenshot()) != shot and s, 30, "the screen to change")
            (OUTPUT / f"home_{width}x{height}_b.png").write_bytes(later)
            assert page.locator("[data-testid='stException']").count() == 0

            button(page, "home_train").click()  # one click to the Train page, Figure 1 loaded
            wait_until(lambda: "/train" in page.evaluate("() => window.location.pathname"), 60, "the Train page")
            wait_idle(page)
            button(page, "start").wait_for(state="visible", timeout=60_000)
            assert page.locator(".st-key-cfg_dataset input").first.input_value() != ""
        finally:
            browser.close()
