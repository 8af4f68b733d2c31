"""Lecture pages in a real browser, at a laptop's 1366 x 768 and a projector's 1024 x 768 (app/lecture.py's
layout): a shared link opens its experiment; the game's figure and D's outputs stay whole above the fold in the
normal page, and everything is on screen in presentation mode, while a run trains and after it ends; Play goes
through the recorded frames and stops at the last. Screenshots go to test-output/lecture/. Same conventions as
tests/test_browser.py, whose `server` fixture is reused; tests/look.py measures what the browser drew."""

from __future__ import annotations

import time

from tests import look, test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, button, status_state, wait_idle, wait_until

server = test_browser.server

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1024, "height": 768}
SHOTS = OUTPUT / "lecture"
LINK = "train?dataset=toy1d&steps=0&loss=minimax&lr_g=0.001"  # steps=0: it trains until Stop
DEMO = "replay__figure1-gaussian"  # the Replay page's timeline of the bundled Figure 1 demo
PROJECTOR_G = "#009E73"  # G's colour on the projector (plots.style.PROJECTOR_COLOURS)
TRACE_COLOURS_JS = """selector => { const gd = document.querySelector(selector + ' .js-plotly-plot');
    return gd ? (gd._fullData || []).map(t => (t.line && t.line.color) || '') : []; }"""


def chart(key: str) -> str:
    return f".{look.st_key_class(key)}"


def drawn(page, *keys: str, timeout: float = 60) -> None:
    for key in keys:
        page.locator(f"{chart(key)} .js-plotly-plot").first.wait_for(state="visible", timeout=timeout * 1000)
    wait_idle(page)
    time.sleep(1.0)  # plotly lays out after the script ends
    look.scroll_to_top(page)


def above_the_fold(page, *keys: str) -> None:
    """Each keyed chart lies wholly inside the viewport, the page scrolled to its top."""
    for key in keys:
        inside, box = look.box_inside_viewport(page, chart(key))
        assert inside, f"{key} at {box} is not inside {page.viewport_size}"


def all_on_screen(page) -> None:
    """Presentation mode: no sidebar, nothing the room reads reaches past the viewport, no label cut short."""
    assert not page.locator("[data-testid='stSidebar']").first.is_visible()
    assert look.offscreen(page) == []
    assert look.cut_metrics(page) == []


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def distinct(values: list[int | None]) -> list[int]:
    out: list[int] = []
    for v in values:
        if v is not None and (not out or out[-1] != v):
            out.append(v)
    return out


def test_the_train_page_keeps_the_game_in_view_while_training_and_after_in_both_modes(server):
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.goto(f"{server}/{LINK}")  # a link on a slide
            wait_idle(page)
            loss = page.locator(".st-key-cfg_loss").first
            loss.wait_for(state="visible", timeout=60_000)
            wait_until(lambda: "minimax" in loss.inner_text() + " ".join(i.input_value() for i in
                                                                         loss.locator("input").all()),
                       30, "the link's loss in the sidebar")
            button(page, "start").click()
            drawn(page, "toy_chart", "d_chart")
            assert "training" in status_state(page)
            assert "runs until you press Stop" in page.locator(".st-key-status").first.inner_text()
            above_the_fold(page, "toy_chart", "d_chart")
            assert look.cut_metrics(page) == []
            shot(page, "train_normal_1366_training")
            run = page.evaluate("() => new URLSearchParams(location.search).get('run')")

            # The same run on the projector (the link on the next slide): three buttons, the game, D, all on screen.
            page.set_viewport_size(PROJECTOR)
            page.goto(f"{server}/train?run={run}&present=1")
            drawn(page, "toy_chart", "d_chart")
            labels = [b.inner_text().strip() for b in page.locator("[data-testid='stButton'] button").all()]
            assert labels == ["Start", "Pause", "Step"], labels
            all_on_screen(page)
            shot(page, "train_present_1024_training")

            # Stopped, the run is a recording: the timeline keeps the game and D above the fold ...
            page.set_viewport_size(LAPTOP)
            page.goto(f"{server}/train?run={run}")
            wait_idle(page)
            button(page, "stop").click()
            key = f"train_replay__{run}"
            drawn(page, f"{key}_figure", f"{key}_d")
            above_the_fold(page, f"{key}_figure", f"{key}_d")
            shot(page, "train_normal_1366_after")

            # ... and presentation mode stays on: large, the projector's palette, all on screen at 1024 x 768.
            page.set_viewport_size(PROJECTOR)
            page.goto(f"{server}/train?run={run}&present=1")
            drawn(page, f"{key}_figure", f"{key}_d")
            all_on_screen(page)
            assert PROJECTOR_G in page.evaluate(TRACE_COLOURS_JS, chart(f"{key}_d"))
            shot(page, "train_present_1024_after")

            # The timeline opens at the end; Play there starts again from the first frame, goes through them all
            # (a frame every 50 steps) and stops at the last.
            seen = distinct(look.play_advances(page, key, seconds=90))
            assert len(seen) >= 8 and seen == sorted(seen) and seen[-1] == look.slider_max(page, key), seen
            wait_until(lambda: "Play" in page.locator(f"{chart(key + '_play')} button").first.inner_text(), 15,
                       "the Play button back at the end")
            assert page.locator("[data-testid='stException']").count() == 0
        finally:
            browser.close()


def test_play_goes_through_the_frames_and_stops_at_the_last(server):
    """Play used to move the slider one frame and stay there (its fragment's timer was never armed)."""
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.goto(f"{server}/replay?run=figure1-gaussian")
            drawn(page, f"{DEMO}_figure", f"{DEMO}_d")
            above_the_fold(page, f"{DEMO}_figure", f"{DEMO}_d")
            assert look.cut_metrics(page) == []
            shot(page, "replay_normal_1366")

            seen = distinct(look.play_advances(page, DEMO, seconds=15, enough=8))
            assert len(seen) >= 8 and seen == sorted(seen), f"Play showed {seen} in 15 s"
            play = page.locator(f"{chart(DEMO + '_play')} button").first
            play.click()  # Pause: once the button reads Play again, the slider stays where it is
            wait_until(lambda: "Play" in play.inner_text(), 30, "the button to read Play")
            wait_idle(page)
            paused = look.slider_value(page, DEMO)
            time.sleep(2.0)
            assert look.slider_value(page, DEMO) == paused

            assert look.seek_near_end(page, DEMO) is not None
            seen = distinct(look.play_advances(page, DEMO, seconds=30))
            assert seen[-1] == look.slider_max(page, DEMO) == 3000, seen
            time.sleep(2.0)
            assert look.slider_value(page, DEMO) == 3000  # it stopped there
            assert "Play" in play.inner_text()

            page.set_viewport_size(PROJECTOR)
            page.goto(f"{server}/replay?run=figure1-gaussian&present=1")
            drawn(page, f"{DEMO}_figure", f"{DEMO}_d")
            all_on_screen(page)
            shot(page, "replay_present_1024")
        finally:
            browser.close()


def test_side_by_side_and_the_toy_pages_keep_their_figures_above_the_fold(server):
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.goto(f"{server}/side_by_side")
            wait_idle(page)
            button(page, "sbs_start").click()
            sides = ("sbs_figure_0", "sbs_d_0", "sbs_figure_1", "sbs_d_1")
            drawn(page, *sides)
            above_the_fold(page, *sides)
            assert look.cut_metrics(page) == []
            shot(page, "side_by_side_normal_1366")
            page.set_viewport_size(PROJECTOR)
            page.goto(f"{server}/side_by_side?present=1")
            button(page, "sbs_start").click()
            drawn(page, *sides)
            all_on_screen(page)
            shot(page, "side_by_side_present_1024")
            button(page, "sbs_stop").click()

            page.set_viewport_size(LAPTOP)
            for name, key, charts in (("toy_1d", "toy1d", ("figure1", "toy1d_d")),
                                      ("toy_2d", "toy2d", ("gan_lab", "toy2d_d"))):
                page.goto(f"{server}/{name}")
                wait_idle(page)
                button(page, f"{key}_start").click()
                drawn(page, *charts, timeout=90)
                above_the_fold(page, *charts)
                shot(page, f"{name}_normal_1366")
                button(page, f"{key}_stop").click()
            assert page.locator("[data-testid='stException']").count() == 0
        finally:
            browser.close()
