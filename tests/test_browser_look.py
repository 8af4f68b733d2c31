"""Every page looked at as a person looks at it, in Chromium at a laptop's 1366 x 768 and a projector's 1024 x 768.

On each view (a page in normal mode, and in presentation mode for the lecture pages; Train before, while and after
a run trains; the lecture pages while a run trains; Replay on the bundled Figure 1 demo): no two texts of one chart
overlap, no metric or button label is cut, no raw code reads where a label belongs, no exception shows; on the
lecture pages the game figure and D's outputs lie wholly above the fold at 1366 x 768 (normal mode) and everything
is on screen in presentation mode. Play on Replay and on Train's finished timeline moves through >= 8 frames in
15 s and stops at the last one. The checks are tests/look.py's. Each test collects every problem of its size and
asserts once, so one run lists them all. A screenshot of every view goes to test-output/look/
(page_size_mode_phase.png).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from tests import look, test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, button, wait_idle, wait_until

pytestmark = pytest.mark.browser

server = test_browser.server

SHOTS = OUTPUT / "look"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SIZES = {"1366x768": {"width": 1366, "height": 768}, "1024x768": {"width": 1024, "height": 768}}
FOLD = 768  # normal mode at 1366 x 768: the game figure and D's outputs wholly above it

# url path -> name in the screenshots' names; Home is "" (streamlit_app.PAGE_FILES has the others).
PAGES = {"": "home", "train": "train", "tours": "tours", "side_by_side": "side_by_side", "your_data": "your_data",
         "runs": "runs", "replay": "replay", "sweeps": "sweeps", "toy_1d": "toy_1d", "toy_2d": "toy_2d",
         "latent": "latent", "neighbours": "neighbours", "evaluate": "evaluate"}
LECTURE = ("train", "tours", "side_by_side", "toy_1d", "toy_2d", "replay")

# The keys the pages give the game's figure and D's outputs (regular expressions over a key, tried in turn; the first
# visible match in page order counts): Train's live chart, the replay timeline's chart (Replay, and Train after a
# run), Tours, Side by side (its left run), Toy 1D (Figure 1 draws D in the game figure), Toy 2D; then, for a run of
# images, the live view or the timeline's frame (the sample grid and its caption).
GAME_KEYS = (r"toy_chart|tour_live|figure1|gan_lab|sbs_figure_\d+|.+__.+_figure", r"live_view|.+__.+_frame")
D_KEYS = (r"d_chart|tour_chart|sbs_d_\d+|.+__.+_d",)
# Start / Stop on the lecture pages that train a run of their own; Train's run is made from a link below.
START_STOP = {"tours": ("tour_start", "tour_stop"), "side_by_side": ("sbs_start", "sbs_stop"),
              "toy_1d": ("toy1d_start", "toy1d_stop"), "toy_2d": ("toy2d_start", "toy2d_stop")}
TRAIN_LINK = "train?dataset=toy1d&steps=800&sample_interval=25"  # ~20 s on a loaded machine; 33 frames to play
DEMO = "figure1-gaussian"
PLAY_FRAMES = 8  # distinct steps Play must show within PLAY_SECONDS
PLAY_SECONDS = 15.0


@dataclass
class Findings:
    """Every problem of one test, as readable lines, asserted once at the end."""

    lines: list[str] = field(default_factory=list)
    views: int = 0

    def add(self, view: str, what: str, items: list) -> None:
        if items:
            self.lines.append(f"{view}: {what} ({len(items)}): " + "; ".join(map(str, items[:12]))
                              + (" ..." if len(items) > 12 else ""))


def drawn(page, timeout: float = 60.0) -> None:
    """The script idle and every plotly chart drawn (its texts in place), the number of charts steady for 1 s."""
    wait_idle(page)
    counts: list[tuple[int, int]] = []

    def steady() -> bool:
        charts = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
            .map(gd => gd.querySelectorAll('svg text').length)""")
        counts.append((len(charts), sum(1 for n in charts if n == 0)))
        return len(counts) >= 3 and counts[-1][1] == 0 and len(set(counts[-3:])) == 1

    wait_until(steady, timeout, "the charts to be drawn", every=0.5)


def key_selector(page, patterns: str | tuple[str, ...]) -> str | None:
    """A CSS selector for the first visible element whose Streamlit key matches a pattern wholly (the first pattern
    that matches any)."""
    for pattern in (patterns,) if isinstance(patterns, str) else patterns:
        if selector := _key_selector(page, pattern):
            return selector
    return None


def _key_selector(page, pattern: str) -> str | None:
    cls = page.evaluate("""pattern => {
        const re = new RegExp('^st-key-(' + pattern + ')$');
        for (const el of document.querySelectorAll("[class*='st-key-']")) {
            const c = Array.from(el.classList).find(c => re.test(c));
            const r = el.getBoundingClientRect();
            if (c && el.checkVisibility() && r.width > 0 && r.height > 0) return c;
        }
        return null;
    }""", pattern)
    return f".{cls}" if cls else None


def timeline_key(page) -> str | None:
    """The key of the replay timeline on the page (its Play button's key is KEY_play)."""
    selector = key_selector(page, r".+_play")
    return selector[len(".st-key-"):-len("_play")] if selector else None


def look_at(page, finds: Findings, view: str, present: bool, figure: bool, required: bool = True) -> None:
    """The checks every view gets, then its screenshot. `figure`: a lecture view, whose game figure (and D's outputs)
    must be placed by the layout rule; `required`: the view must draw it (a page before any run draws none)."""
    finds.views += 1
    look.scroll_to_top(page)
    finds.add(view, "exception shown", [e.inner_text()[:120] for e in
                                        page.locator("[data-testid='stException']").all()])
    finds.add(view, "overlapping chart texts", [f"chart {i}: {a!r} on {b!r}" for i, a, b in
                                                look.chart_text_overlaps(page)])
    finds.add(view, "cut texts", [f"{kind} {text!r} ({wide} px in {box} px)" for kind, text, wide, box in
                                  look.cut_metrics(page)])
    finds.add(view, "raw codes", look.raw_codes(page))
    size = page.viewport_size
    if present:
        finds.add(view, "off screen in presentation mode", [f"{what} at {box}" for what, box in look.offscreen(page)])
    if figure and not present and size["width"] == 1366:
        for name, pattern in (("game figure", GAME_KEYS), ("D's outputs", D_KEYS)):
            selector = key_selector(page, pattern)
            if selector is None:
                if name == "game figure" and required:
                    finds.add(view, "no game figure drawn", list(pattern))
                continue
            inside, box = look.box_inside_viewport(page, selector, bottom=FOLD)
            if not inside:
                finds.add(view, f"{name} not wholly above y = {FOLD}", [f"{selector} at {box}"])
    page.mouse.move(size["width"] - 4, size["height"] - 4)  # no tooltip left open over the screenshot
    page.screenshot(path=str(SHOTS / f"{view.replace(' ', '_')}.png"))


def visit(page, base: str, path: str) -> None:
    page.goto(f"{base}/{path}")
    drawn(page)


def click_and_draw(page, key: str, figure_pattern: str | tuple[str, ...] = GAME_KEYS,
                   timeout: float = 90.0) -> bool:
    """Press the button `key`, then wait for the game's figure; False when it did not appear."""
    button(page, key).click()
    page.mouse.move(2, page.viewport_size["height"] - 2)  # off the button: its tooltip would cover the page
    try:
        wait_until(lambda: key_selector(page, figure_pattern), timeout, f"the game figure after {key}")
    except AssertionError:
        return False
    drawn(page)
    return True


def check_play(page, finds: Findings, view: str) -> None:
    """Play from the start: >= PLAY_FRAMES distinct steps within PLAY_SECONDS; then, from near the end (so the test
    need not wait out a long run), Play must reach the last step and rest there."""
    key = timeline_key(page)
    if key is None:
        finds.add(view, "no replay timeline (Play) drawn", ["no element keyed *_play"])
        return
    last = look.slider_max(page, key)
    samples = look.play_advances(page, key, PLAY_SECONDS, enough=PLAY_FRAMES)
    seen = sorted({s for s in samples if s is not None})
    cut = [row for row in look.cut_metrics(page) if row[0] == "button"]  # still playing: the button reads Pause
    if cut:
        finds.add(view, "a button label is cut while Play plays", [f"{text!r}: {need} px in {have} px"
                                                                    for _, text, need, have in cut])
    if len(seen) < PLAY_FRAMES:
        finds.add(view, f"Play showed {len(seen)} distinct steps in {PLAY_SECONDS:.0f} s (needs {PLAY_FRAMES})",
                  [f"steps seen: {seen[:20]}"])
    if samples[-1:] != [last]:
        near = look.seek_near_end(page, key)
        if near is None:
            finds.add(view, "Pause, then End and PageDown, did not leave the timeline paused near its end",
                      [f"last {last}", f"button {look.play_label(page, key)}",
                       f"slider {look.slider_value(page, key)}"])
            return
        wait_idle(page)
        # Speed was checked above; here only that Play reaches the end and rests there, so it gets longer (it
        # returns as soon as it rests): under load, once, it reached the end with two samples of its 15 s left.
        samples = look.play_advances(page, key, 3 * PLAY_SECONDS)
    if len(samples) < 4 or samples[-4:] != [last] * 4:
        finds.add(view, f"Play did not stop at the last step {last}",
                  [f"last samples {samples[-6:]}", f"button {look.play_label(page, key)}"])


def stop_runs(page, base: str, path: str) -> None:
    """Stop what a lecture page started, from its normal view (presentation mode may have no Stop)."""
    _, stop = START_STOP[path]
    if page.locator(f".{look.st_key_class(stop)} button").count() == 0:
        visit(page, base, path)
    stop_button = button(page, stop)
    if stop_button.count() and stop_button.is_enabled():
        stop_button.click()
        wait_idle(page)


def train_run(page, base: str, finds: Findings, size: str, present: bool) -> None:
    """Train while a run trains (from TRAIN_LINK) and after it ends; Play on the finished timeline (normal mode)."""
    mode = "present" if present else "normal"
    visit(page, base, TRAIN_LINK + ("&present=1" if present else ""))
    if not click_and_draw(page, "start", r"toy_chart"):
        finds.add(f"train {size} {mode} training", "Start drew no live game figure", ["toy_chart"])
        return
    look_at(page, finds, f"train {size} {mode} training", present, figure=True)
    if key_selector(page, r"toy_chart") is None:
        finds.add(f"train {size} {mode} training", "the run ended before its view was checked", [TRAIN_LINK])
    wait_until(lambda: timeline_key(page), 240, "the run to end and its timeline to show")
    drawn(page)
    look_at(page, finds, f"train {size} {mode} finished", present, figure=True)
    if not present:
        check_play(page, finds, f"train {size} {mode} finished")


def lecture_training(page, base: str, finds: Findings, size: str, path: str, present: bool) -> None:
    """A lecture page while the run it starts trains: its figure where the layout rule says, then stopped."""
    mode = "present" if present else "normal"
    start, _ = START_STOP[path]
    if page.locator(f".{look.st_key_class(start)} button").count() == 0:
        finds.add(f"{path} {size} {mode} training", "no Start button", [start])
        return
    try:
        if not click_and_draw(page, start):
            finds.add(f"{path} {size} {mode} training", "Start drew no game figure", list(GAME_KEYS))
        else:
            look_at(page, finds, f"{path} {size} {mode} training", present, figure=True)
    finally:
        stop_runs(page, base, path)


def guarded(finds: Findings, what: str, check, *args) -> None:
    """Run one view's steps; a step that times out or raises is a finding, and the next view still runs."""
    started = time.monotonic()
    try:
        check(*args)
    except Exception as e:  # noqa: BLE001 - every failure of a view is reported, the test goes on
        finds.add(what, "could not be checked", [f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"])
    print(f"{what}: {time.monotonic() - started:.1f} s")


def page_views(page, base: str, finds: Findings, size: str, path: str) -> None:
    """One page: normal mode, and presentation mode for a lecture page; Replay on the demo, with Play."""
    name = PAGES[path]
    target = f"replay?run={DEMO}" if path == "replay" else path
    phase = "demo" if path == "replay" else "idle"
    visit(page, base, target)
    look_at(page, finds, f"{name} {size} normal {phase}", False, figure=path in LECTURE, required=path == "replay")
    if path == "replay":
        check_play(page, finds, f"replay {size} normal demo")
    # While a run trains: the fold rule at 1366 x 768 (normal mode), everything on screen at 1024 x 768 (presenting).
    if path in START_STOP and size == "1366x768":
        lecture_training(page, base, finds, size, path, present=False)
    if path in LECTURE:
        visit(page, base, target + ("&" if "?" in target else "?") + "present=1")
        look_at(page, finds, f"{name} {size} present {phase}", True, figure=True, required=path == "replay")
        if path in START_STOP and size == "1024x768":
            lecture_training(page, base, finds, size, path, present=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_looks_right(server, size):
    sync_playwright = _browser_or_skip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    finds = Findings()
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=SIZES[size])
            for path in PAGES:
                guarded(finds, f"{PAGES[path]} {size}", page_views, page, server, finds, size, path)
            for present in (False, True):
                guarded(finds, f"train {size} {'present' if present else 'normal'} run", train_run, page, server,
                        finds, size, present)
        finally:
            browser.close()
    took = time.monotonic() - started
    assert not finds.lines, (f"{len(finds.lines)} problems in {finds.views} views at {size} ({took:.0f} s; "
                             f"screenshots in {SHOTS}):\n" + "\n".join(finds.lines))


def test_the_raw_code_rule():
    """What raw_codes reads as a code, and what it leaves alone on purpose (see tests/look.py)."""
    assert look.codes_in("Data set: toy1d, loss non_saturating") == ["toy1d", "non_saturating"]
    assert look.codes_in("fid.frechet_distance and classifier_score at step 00004000") == [
        "step 00004000", "fid.frechet_distance", "classifier_score"]
    # names, paths, files, links, the paper's notation and ordinary words are not codes
    assert look.codes_in("Run toy1d-toy-20261204-101500 in /tmp/test_look0/runs wrote metrics.csv") == []
    assert look.codes_in("open /train?dataset=ring8&loss=non_saturating or http://x/?d=grid25") == []
    assert look.codes_in("p_data / p_g · Two moons · a spiral · step 4,000 · e.g. this") == []
    assert look.codes_in("Figure 1 (toy1d)") == ["toy1d"]


def test_play_plays_every_time_it_is_pressed(server):
    """Play on Train's finished timeline at 1024 x 768, pressed again and again: each time it moves through
    >= PLAY_FRAMES frames within PLAY_SECONDS. (Under load a timer tick carried the slider's value as the browser
    last drew it, a frame behind, and Play once sat on step 40 for 15 s: app/replay_view.py keeps the position
    apart from the slider while playing. And a Pause pressed inside the timer's fragment was once lost for good:
    the button now stands outside it, and each Pause here must make the button read Play again.)"""
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport=SIZES["1024x768"])
            visit(page, server, TRAIN_LINK)
            assert click_and_draw(page, "start", r"toy_chart"), "Start drew no live game figure"
            key = wait_until(lambda: timeline_key(page), 240, "the run to end and its timeline to show")
            drawn(page)
            last = look.slider_max(page, key)
            for attempt in range(3):
                samples = look.play_advances(page, key, PLAY_SECONDS, enough=PLAY_FRAMES)
                seen = sorted({s for s in samples if s is not None})
                print(f"Play {attempt + 1}: {len(seen)} distinct steps in {len(samples) * look.PLAY_SAMPLE_S:.1f} s, "
                      f"last {samples[-1]}")
                # PLAY_FRAMES steps, or the end from where the last press paused (fewer frames were left to show)
                ended = samples[-1] == last and len(seen) >= 3
                assert len(seen) >= PLAY_FRAMES or ended, f"Play {attempt + 1} showed only {seen}"
                if samples[-1] != last:  # still playing: pause, so the next press plays on from here
                    page.locator(f".{look.st_key_class(key + '_play')} button").first.click()
                wait_until(lambda: look.play_label(page, key) == "Play", 15, "Pause to take (the button reads Play)")
                wait_idle(page)
        finally:
            browser.close()
