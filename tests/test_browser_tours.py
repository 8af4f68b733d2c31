"""A guided tour in a real browser: open a shared link, Start, and see the run pause at its milestone with the
callout and the chart's marker. Same conventions as tests/test_browser.py, whose `server` fixture and helpers
are reused; the screenshot goes to test-output/ (gitignored)."""

from __future__ import annotations

from tests import look, test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, button, status_state, wait_idle, wait_until

server = test_browser.server  # streamlit on a free port with its own runs dir

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def callout(page) -> str:
    el = page.locator(".st-key-tour_callout")
    return el.first.inner_text() if el.count() else ""


def test_shared_tour_link_pauses_at_its_milestone_with_the_callout(server):
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"{server}/tours?tour=figure1&step=1&seed=1")  # a link on a slide
            wait_idle(page)
            button(page, "tour_start").wait_for(state="visible", timeout=60_000)
            assert "Figure 1" in page.locator(".st-key-lecture_header").first.inner_text()  # the caption names it
            assert "Step 1 of 2" in page.locator(".st-key-tour_step").first.inner_text()
            button(page, "tour_start").click()

            wait_until(lambda: "Milestone:" in callout(page), 120, "the run to pause at its milestone")
            assert "D on data" in callout(page)
            wait_until(lambda: "paused" in status_state(page), 30, "the status to say paused")
            # the fragment shows the pause first; the page's rerun that follows enables Next step
            wait_until(lambda: button(page, "tour_next").is_enabled(), 30, "Next step to be enabled")
            # the chart marks the milestone: its label is on the metrics chart
            wait_until(lambda: "D separates" in page.locator(".st-key-tour_chart").first.inner_text(), 30,
                       "the milestone marker on the chart")
            assert page.locator("[data-testid='stException']").count() == 0
            look.scroll_to_top(page)
            for key in ("tour_live", "tour_chart"):  # the game and the milestone's curve above the fold
                inside, box = look.box_inside_viewport(page, f".st-key-{key}")
                assert inside, f"{key} at {box}"
            page.screenshot(path=str(OUTPUT / "tour_milestone.png"))

            button(page, "tour_next").click()  # step 2: G onto p_data, D* -> 1/2
            wait_until(lambda: "Step 2 of 2" in page.locator(".st-key-tour_step").first.inner_text(), 30,
                       "the second step")
            wait_until(lambda: "Milestone: D on data" in callout(page) and "1/2" in callout(page), 180,
                       "the second milestone")
            page.screenshot(path=str(OUTPUT / "tour_milestone_2.png"), full_page=True)

            # The lecturer moves on to Home: the tour's run, paused at its milestone, is not left "in progress".
            page.locator("[data-testid='stSidebarNav'] a", has_text="Home").first.click()
            wait_until(lambda: page.locator(".st-key-home_runs").count() > 0, 60, "Home")
            assert "No run in progress." in page.locator(".st-key-home_runs").first.inner_text()
        finally:
            browser.close()


def test_a_tour_in_presentation_mode_fits_a_projector(server):
    """present=1 in a tour's link: no sidebar, the step's text, its milestone and the figures all on a 1024 x 768
    screen, large; the link's other settings are not taken for config fields."""
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(f"{server}/tours?tour=figure1&step=1&seed=1&present=1")
            wait_idle(page)
            button(page, "tour_start").click()
            wait_until(lambda: "Milestone:" in callout(page), 120, "the run to pause at its milestone")
            for key in ("tour_live", "tour_chart"):
                page.locator(f".st-key-{key} .js-plotly-plot").first.wait_for(state="visible", timeout=60_000)
            wait_idle(page)
            look.scroll_to_top(page)
            assert "Figure 1" in page.locator(".st-key-tour_step").first.inner_text()  # the step names its tour
            assert not page.locator("[data-testid='stSidebar']").first.is_visible()
            assert "Left out of the link" not in page.inner_text("body")
            assert look.offscreen(page) == []
            assert look.cut_metrics(page) == []
            (OUTPUT / "lecture").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUTPUT / "lecture" / "tour_present_1024_milestone.png"))
        finally:
            browser.close()
