"""Lecture mode in a real browser at a projector's 1366 x 768: a shared link opens its experiment, and presentation
mode hides the sidebar and keeps the game above the fold. Screenshots (normal and presentation mode) go to
test-output/. Same conventions as tests/test_browser.py, whose `server` fixture is reused."""

from __future__ import annotations

from tests import test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, button, wait_idle, wait_until

server = test_browser.server

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PROJECTOR = {"width": 1366, "height": 768}
LINK = "train?dataset=toy1d&steps=0&loss=minimax&lr_g=0.001"


def test_a_shared_link_opens_its_experiment_and_presents_it_above_the_fold(server):
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=PROJECTOR)
            page.goto(f"{server}/{LINK}")
            wait_idle(page)
            loss = page.locator(".st-key-cfg_loss").first
            loss.wait_for(state="visible", timeout=60_000)
            # The link's settings are in the sidebar (the box fills in just after it appears).
            wait_until(lambda: "minimax" in loss.inner_text() + " ".join(i.input_value() for i in
                                                                         loss.locator("input").all()),
                       30, "the link's loss in the sidebar")
            button(page, "start").click()
            wait_until(lambda: page.locator(".st-key-toy_chart .js-plotly-plot").count(), 60, "the live Figure 1")
            page.screenshot(path=str(OUTPUT / "lecture_normal_1366x768.png"))

            page.goto(f"{server}/{LINK}&present=1")  # the link on the next slide: the same game, for the room
            wait_idle(page)
            button(page, "start").click()
            figure = page.locator(".st-key-toy_chart .js-plotly-plot").first
            figure.wait_for(state="visible", timeout=60_000)
            assert not page.locator("[data-testid='stSidebar']").first.is_visible()
            box = figure.bounding_box()
            assert box["y"] + box["height"] <= PROJECTOR["height"], box  # the whole figure above the fold
            labels = [b.inner_text().strip() for b in page.locator("[data-testid='stButton'] button").all()]
            assert labels[:3] in (["Start", "Pause", "Step"], ["Resume", "Pause", "Step"]), labels
            page.screenshot(path=str(OUTPUT / "lecture_presentation_1366x768.png"))
        finally:
            browser.close()
