"""The Toy 1D page (Figure 1) in a real browser: `streamlit run` headless + Playwright + Debian's Chromium.

Same conventions as tests/test_browser.py, whose `server` fixture (a streamlit subprocess on a free port
with its own runs dir, terminated in a finally) and helpers are reused: with CI=true a missing browser fails
the test, elsewhere it skips with the reason. Screenshots go to test-output/ (gitignored).
"""

from __future__ import annotations

import re
import time

from tests import test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, button, wait_idle, wait_until

server = test_browser.server  # the same fixture: streamlit on a free port with its own runs dir

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def metric_value(page, label: str) -> float | None:
    """The number a st.metric with this label shows, or None while it is not on the page."""
    for m in page.locator("[data-testid='stMetric']").all():
        if m.locator("[data-testid='stMetricLabel']").inner_text().strip() == label:
            found = re.search(r"-?\d+(\.\d+)?", m.locator("[data-testid='stMetricValue']").inner_text())
            return float(found.group(0)) if found else None
    return None


def status_text(page) -> str:
    el = page.locator(".st-key-toy1d_status")
    return el.first.inner_text() if el.count() else ""


def test_toy_1d_figure1_animates_and_d_ends_near_one_half(server):
    sync_playwright = _browser_or_skip()
    from playwright.sync_api import Error as PlaywrightError

    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1200})
            page.goto(f"{server}/toy_1d")
            wait_idle(page)
            wait_until(lambda: "No 1D run" in page.inner_text("body"), 60, "the page to say what to do")
            button(page, "toy1d_start").click()  # the default preset: Figure 1's Gaussian

            page.locator(".st-key-figure1 .js-plotly-plot").first.wait_for(state="visible", timeout=90_000)
            chart = page.locator(".st-key-figure1").first
            shots: list[bytes] = []

            def changed() -> bool:
                try:  # the chart is redrawn every second; a shot can land mid-redraw
                    shots.append(chart.screenshot(timeout=5_000))
                except PlaywrightError:
                    return False
                return len(set(shots)) >= 2

            wait_until(changed, 60, "the Figure 1 chart to animate", every=0.7)
            (OUTPUT / "toy_1d_live.png").write_bytes(shots[-1])

            wait_until(lambda: "finished" in status_text(page), 240, "the 3,000-step run to finish")
            wait_idle(page)
            d_on_data = wait_until(lambda: metric_value(page, "mean D(x) on data"), 30, "the D(x) metric")
            assert abs(d_on_data - 0.5) < 0.1, f"mean D(x) on data = {d_on_data}, expected near 1/2"
            assert page.locator("[data-testid='stException']").count() == 0

            for _ in range(2):
                button(page, "toy1d_capture").click()
                wait_idle(page)
                time.sleep(0.5)
            page.locator(".st-key-toy1d_strip .js-plotly-plot").first.wait_for(state="visible", timeout=30_000)
            page.screenshot(path=str(OUTPUT / "toy_1d_page.png"), full_page=True)
        finally:
            browser.close()


SIZES = ((1366, 768), (1024, 768))


def test_latent_and_neighbours_show_the_digits_demo_on_a_fresh_runs_folder(server):
    """Latent space and Nearest neighbours open on the bundled digits demo with no run of one's own: no error,
    the images drawn and the first one starting within the first screen, at both lecture sizes."""
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width, height in SIZES:
                page = browser.new_page(viewport={"width": width, "height": height})
                for path, images in (("latent", 2), ("neighbours", 1)):
                    page.goto(f"{server}/{path}")
                    wait_idle(page)
                    shown = page.locator("[data-testid='stImage']")
                    wait_until(lambda shown=shown, images=images: shown.count() >= images, 120,
                               f"the {path} page's images")
                    wait_idle(page)
                    body = page.inner_text("body")
                    assert "mnist-subset-digits" in body and "MNIST digits, 5,000 offline" in body
                    assert page.locator("[data-testid='stException']").count() == 0
                    first = page.locator("[data-testid='stImage'] img").first.bounding_box()
                    assert first and first["y"] < height, f"{path} at {width}x{height}: first image at {first}"
                    if path == "latent":
                        assert re.search(r"draws \d and \d of 8 from seed 0, the pair whose images differ most",
                                         body), "the caption says how the endpoints were chosen"
                    page.screenshot(path=str(OUTPUT / f"{path}_demo_{width}x{height}.png"))
                    shown.last.scroll_into_view_if_needed()  # the walk grid / the pairs, lower down
                    page.screenshot(path=str(OUTPUT / f"{path}_demo_{width}x{height}_lower.png"))
                page.close()
        finally:
            browser.close()


def test_evaluate_scores_a_bundled_demo_with_progress(server):
    """Evaluate lists the bundled demos on a fresh runs folder, scores one read-only in the background with a
    progress bar whose time moves on, and its table reads labels, not codes."""
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"{server}/evaluate")
            wait_idle(page)
            run_select = page.locator("[data-testid='stSelectbox'] input").first
            run_select.click()
            page.get_by_role("option", name=re.compile("mnist-subset-digits · bundled demo")).click()
            wait_idle(page)
            assert "read-only" in page.inner_text("body")
            page.locator("[data-testid='stSlider'] input").first.focus()
            page.keyboard.press("Home")  # 500 samples: a quick score on a loaded machine
            wait_idle(page)
            page.locator("[data-testid='stButton'] button", has_text="Evaluate").click()
            bar = page.locator("[data-testid='stProgress']")
            bar.first.wait_for(state="visible", timeout=60_000)
            bar.first.scroll_into_view_if_needed()
            texts = [bar.first.inner_text()]
            wait_until(lambda: texts.append(bar.first.inner_text() if bar.count() else "") or
                       len(set(texts)) >= 2, 60, "the progress text to move on")
            page.screenshot(path=str(OUTPUT / "evaluate_demo_running_1366x768.png"))
            table = page.locator("[data-testid='stDataFrame']")
            table.first.wait_for(state="visible", timeout=300_000)
            wait_idle(page)
            table.first.scroll_into_view_if_needed()
            # The grid draws on a canvas; its accessible table (the headers read here) fills in just after it shows.
            headers = wait_until(lambda: page.locator("[data-testid='stDataFrame'] th").all_inner_texts(), 30,
                                 "the result table's column headers")
            assert {"G's weights", "Frechet distance", "classifier score"} <= set(headers), headers
            assert not [h for h in headers if "." in h or "_" in h], f"codes as column names: {headers}"
            assert page.locator("[data-testid='stException']").count() == 0
            page.screenshot(path=str(OUTPUT / "evaluate_demo_done_1366x768.png"))
        finally:
            browser.close()
