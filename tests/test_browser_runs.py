"""The Runs and Replay pages in a real browser, on a fresh runs folder: only the bundled demos exist.

Same conventions as tests/test_browser.py, whose `server` fixture (streamlit on a free port with its own, empty,
runs dir) and helpers are reused. Screenshots go to test-output/ (gitignored).
"""

from __future__ import annotations

import time

from tests import test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, wait_idle, wait_until

server = test_browser.server

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# The replayed figure's G density (its "p_g" trace), as the browser holds it.
P_G_JS = """() => { const gd = document.querySelector('.st-key-replay__figure1-gaussian_frame .js-plotly-plot');
    const t = gd && (gd._fullData || []).find(t => (t.name || '').startsWith('p_g'));
    return t ? Array.from(t.y).map(v => Math.round(v * 1000)) : null; }"""
# Every chart's legend names: [[name, ...], ...].
NAMES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd =>
    (gd._fullData || []).map(t => t.name || ''))"""
ROW_HEIGHT = 35  # st.dataframe's rows and header, in CSS pixels (glide-data-grid draws them on a canvas)


def caption(page) -> str:
    el = page.get_by_text("Frame recorded at step")
    return el.first.inner_text() if el.count() else ""


def test_replay_a_demo_then_compare_two_runs_on_a_fresh_runs_folder(server):
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            # Replay a bundled demo: the slider moves the picture.
            page.goto(f"{server}/replay?run=figure1-gaussian")
            wait_idle(page)
            wait_until(lambda: page.evaluate(P_G_JS), 60, "the replayed Figure 1")
            assert caption(page).startswith("Frame recorded at step 0 ")
            before = page.evaluate(P_G_JS)
            page.screenshot(path=str(OUTPUT / "replay_step0.png"))
            thumb = page.locator(".st-key-replay__figure1-gaussian_step input").first  # the slider's thumb
            thumb.focus()
            page.keyboard.press("End")  # the last step
            wait_until(lambda: caption(page).startswith("Frame recorded at step 3,000"), 60, "the last frame")
            wait_idle(page)
            after = wait_until(lambda: (v := page.evaluate(P_G_JS)) != before and v, 30, "the picture to change")
            assert after != before
            page.screenshot(path=str(OUTPUT / "replay_step3000.png"))

            # Play goes on from the start, one frame per tick.
            page.locator(".st-key-replay__figure1-gaussian_play button").first.click()
            wait_until(lambda: caption(page).startswith(("Frame recorded at step 50 ", "Frame recorded at step 100 ")),
                       60, "Play to reach the next frames")

            # Runs: the demos are listed; tick two rows and one chart holds both runs.
            page.goto(f"{server}/runs")
            wait_idle(page)
            grid = page.locator("[data-testid='stDataFrame']").first
            grid.wait_for(state="visible", timeout=60_000)
            box = grid.bounding_box()
            for row in (0, 1):  # the selection checkboxes are the grid's first column
                page.mouse.click(box["x"] + 15, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)
                wait_idle(page)
                time.sleep(0.3)
            wait_until(lambda: page.get_by_text("2 runs compared").count(), 60, "two runs compared")
            wait_idle(page)

            def chart_with_two_runs():
                names = page.evaluate(NAMES_JS)
                return next((n for n in names if len(set(n)) >= 2 and all(n)), None)

            names = wait_until(chart_with_two_runs, 60, "a chart holding both runs")
            assert len(set(names)) == 2
            page.screenshot(path=str(OUTPUT / "runs_compare.png"), full_page=True)
        finally:
            browser.close()
