"""A live panel in a real JupyterLab and a real Notebook 7, in Debian's Chromium driven by Playwright.

Each test starts the server on a free localhost port with a token (and stops it), opens
notebooks/00_start_here.ipynb, runs the cells up to the first live panel, and works the panel the way a student
does: Start, the chart's points growing and the toy figure changing, Pause (the step count stops), Step (one more).
In JupyterLab also D's learning rate moved while it trains (the run's own learning rate in the status line follows)
and the layout at 1366 and 1024 with the file browser open. Screenshots go to test-output/jupyter/.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer.notebook.live import CHART_LOAD_SECONDS
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, _free_port, _wait_http, wait_until

ROOT = Path(__file__).resolve().parents[1]
SHOTS = OUTPUT / "jupyter"
NOTEBOOK = "notebooks/00_start_here.ipynb"
pytestmark = pytest.mark.browser

# [[number of points, the last point's x (its step)] per trace] of the plotly chart inside the element with this
# class.
POINTS_JS = """cls => { const gd = document.querySelector('.' + cls + ' .js-plotly-plot');
    return gd && gd._fullData ? gd._fullData.map(t => [t._length || 0,
                                                       t._length ? Number(t.x[t._length - 1]) : 0]) : []; }"""
ALL_CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd =>
    [gd.parentElement.className, (gd._fullData || []).map(t => t._length || 0)])"""


def _serve(tmp_path: Path, app: str):
    """`jupyter lab` or `jupyter notebook` (Notebook 7) on a free port with a token, its own settings (no news
    pop-up), workspace and runs dir; yields (base url, token) and stops the server."""
    port, token = _free_port(), secrets.token_hex(16)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                           "checkForUpdates": False}))
    # The server saves an open notebook now and then: serve a copy, so the repository's stays without outputs.
    served = tmp_path / "served"
    (served / "notebooks").mkdir(parents=True)
    (served / NOTEBOOK).write_bytes((ROOT / NOTEBOOK).read_bytes())
    log = tmp_path / "jupyter.log"
    env = {**os.environ, "GAN_EXPLORER_RUNS": str(tmp_path / "runs"), "JUPYTERLAB_SETTINGS_DIR":
           str(tmp_path / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "GAN_EXPLORER_THREADS": "1",
           # the kernel imports this checkout's engine, whatever `pip install -e` last pointed at
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("GAN_EXPLORER_SMOKE", None)
    cmd = [sys.executable, "-m", "jupyter", app, "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}", "--allow-root"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=served, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/status?token={token}", proc, log, timeout=120)
        yield f"http://127.0.0.1:{port}", token
    finally:
        proc.terminate()  # the server shuts its kernels down: each stops its runs (a checkpoint) at exit
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def jupyter(tmp_path):
    yield from _serve(tmp_path, "lab")


@pytest.fixture
def notebook7(tmp_path):
    yield from _serve(tmp_path, "notebook")


def _status(page) -> str:
    el = page.locator(".gan-panel .gan-status").first
    return el.inner_text() if el.count() else ""


def _step(page) -> int | None:
    m = re.search(r"step ([\d,]+)", _status(page))
    return int(m.group(1).replace(",", "")) if m else None


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


@contextlib.contextmanager
def _opened(url: str, failure_shot: str):
    """Chromium at 1366x768 on a notebook's `url`, once its cells show. On a failure: a screenshot of what the page
    showed (`failure_shot` in SHOTS), its charts' point counts and its last console errors."""
    sync_playwright = _browser_or_skip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            page.goto(url)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            yield page
        except Exception:
            page.screenshot(path=str(SHOTS / failure_shot))
            print("charts:", page.evaluate(ALL_CHARTS_JS))
            print("console errors:", errors[-5:])
            raise
        finally:
            browser.close()


def _run_to_first_panel(page):
    """Run the cells up to the first live panel (queued until the kernel is up): title, parameters, import, lesson
    1's text, the panel. Returns the panel, scrolled into view, before any run."""
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    for _ in range(5):
        page.keyboard.press("Shift+Enter")
        time.sleep(0.5)
    wait_until(lambda: page.locator(".jp-InputArea-prompt").all_inner_texts()[1].strip() == "[1]:", 120,
               "the parameters cell to run first")
    page.wait_for_selector(".gan-panel button.gan-start", timeout=180_000)
    panel = page.locator(".gan-panel").first
    panel.scroll_into_view_if_needed()
    assert "press Start" in _status(page)
    return panel


def _train_and_watch(page) -> float:
    """Start a run that trains until stopped (so it cannot finish before Pause on a fast machine); the status line
    counts steps, the loss chart grows and the toy figure changes twice. Returns when Start was pressed
    (time.monotonic())."""
    steps = page.locator(".gan-field-steps input").first
    steps.fill("0")
    steps.press("Enter")
    time.sleep(1.0)
    page.locator("button.gan-start").first.click()
    started = time.monotonic()
    wait_until(lambda: (_step(page) or 0) > 0, 120, "the status line to count steps")

    def points() -> tuple[int, float] | None:
        """(the loss chart's most points in a trace, its newest step), None before it has any."""
        traces = page.evaluate(POINTS_JS, "gan-chart-losses") or []
        return (max(n for n, _ in traces), max(x for _, x in traces)) if traces and traces[0][0] else None

    first = wait_until(points, 60, "the loss chart to have points")
    # grown: more points; or, once a curve holds LIVE_POINTS and is thinned as it grows, a later newest step
    wait_until(lambda: (points() or (0, 0)) > first, 60,
               "the loss chart to grow (more points, or points at later steps)")
    game = page.locator(".gan-panel .gan-game").first
    seen = [game.screenshot()]

    def changed() -> bool:
        shot = game.screenshot()
        if shot != seen[-1]:
            seen.append(shot)
        return len(seen) >= 3

    wait_until(changed, 60, "the toy figure to change twice", every=0.5)
    return started


def _pause_and_step(page) -> None:
    """Pause: the step count stops. Step: it advances by exactly one."""
    page.locator("button.gan-pause").first.click()
    wait_until(lambda: _status(page).startswith("paused"), 60, "the run to pause")
    time.sleep(1.5)
    paused_at = _step(page)
    time.sleep(2.5)
    assert _step(page) == paused_at, "the step count moved while paused"
    page.locator("button.gan-step").first.click()
    wait_until(lambda: _step(page) == paused_at + 1, 60, "Step to advance the run by one")
    time.sleep(1.5)
    assert _step(page) == paused_at + 1


def _charts_stay_live(page, started: float) -> None:
    """Past CHART_LOAD_SECONDS after the first click (`started`), the frontend drew the charts, so they stay live
    charts, not the pictures a frontend that cannot load them gets (VS Code offline: explorer/notebook/live.py)."""
    time.sleep(max(0.0, started + CHART_LOAD_SECONDS + 2 - time.monotonic()))
    assert "did not load" not in page.locator(".gan-panel .gan-problems").first.inner_text()
    assert page.locator(".gan-panel .gan-chart-losses .js-plotly-plot").first.is_visible()


@pytest.mark.timeout(600)
def test_a_live_panel_in_jupyterlab(jupyter):
    base, token = jupyter
    with _opened(f"{base}/lab/tree/{NOTEBOOK}?token={token}", "failure.png") as page:
        wait_until(lambda: "Idle" in page.locator(".jp-StatusBar-Widget").all_inner_texts().__str__(), 120,
                   "the kernel to be idle")
        panel = _run_to_first_panel(page)
        started = _train_and_watch(page)
        page.screenshot(path=str(SHOTS / "panel_training_1366.png"))
        # The kernel raised nothing while the panel redrew. An error in a widget's message handler shows up only
        # in JupyterLab's log console, whose status item then appears and flashes (plotly's own FigureWidget
        # raised at every redraw: explorer/notebook/live.py, PanelFigureWidget).
        assert not page.locator(".jp-LogConsoleStatusItem").first.is_visible(), \
            f"the kernel logged errors: {page.locator('.jp-LogConsoleStatusItem').first.inner_text()!r}"

        # D's learning rate, moved while it trains: the run's own lr_d (status line) follows.
        assert "lr_d 0.002" in _status(page)
        handle = page.locator(".gan-field-lr_d .noUi-handle").first
        handle.focus()
        page.keyboard.press("ArrowRight")
        wait_until(lambda: "lr_d 0.005" in _status(page), 60, "the run's lr_d to become 0.005")

        _pause_and_step(page)
        page.screenshot(path=str(SHOTS / "panel_paused_1366.png"))
        game_box, form_box = _box(page, ".gan-panel .gan-game"), _box(page, ".gan-panel .gan-controls")
        assert game_box["x"] >= form_box["x"] + form_box["width"] - 1, "at 1366 the game sits right of the form"
        assert abs(game_box["y"] - form_box["y"]) < 40, "at 1366 the game and the form start at one height"

        # A projector, with the file browser open: too narrow for both, so the game comes first, in sight
        # under the buttons, and the form follows it.
        page.set_viewport_size({"width": 1024, "height": 768})
        time.sleep(1.0)
        page.locator(".gan-panel button.gan-start").first.scroll_into_view_if_needed()
        game_box, form_box = _box(page, ".gan-panel .gan-game"), _box(page, ".gan-panel .gan-controls")
        assert game_box["y"] + game_box["height"] <= form_box["y"] + 1, "at 1024 the game sits above the form"
        assert 0 <= game_box["y"] < 768 - 200, f"at 1024 the game starts below the fold: {game_box}"
        page.screenshot(path=str(SHOTS / "panel_paused_1024.png"))
        # Scrolled to the panel's top, the whole game (its mapping row included) is in sight, above the
        # status bar, with the buttons and the status line over it.
        panel.evaluate("el => el.scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        game_box, bar = _box(page, ".gan-panel .gan-game"), _box(page, ".jp-StatusBar-Widget")
        assert game_box["y"] + game_box["height"] <= bar["y"] + 1, \
            f"at 1024 the game's bottom is below the fold: {game_box}, the status bar at {bar['y']}"
        page.screenshot(path=str(SHOTS / "panel_top_1024.png"))

        page.locator("button.gan-stop").first.click()
        wait_until(lambda: _status(page).startswith("stopped"), 60, "the run to stop")
        assert not page.locator("button.gan-start").first.is_disabled()
        _charts_stay_live(page, started)


@pytest.mark.timeout(600)
def test_a_live_panel_in_notebook_7(notebook7):
    """The same panel in Notebook 7: it trains, its chart grows and its game moves, Pause stops it and Step advances
    it by one; scrolled to the panel's top, the whole game lies in sight at 1366 x 768 and at 1024 x 768."""
    base, token = notebook7
    with _opened(f"{base}/notebooks/{NOTEBOOK}?token={token}", "notebook7_failure.png") as page:
        # Notebook 7 has no status bar: the kernel's state is the toolbar's execution indicator.
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        panel = _run_to_first_panel(page)
        started = _train_and_watch(page)
        for width in (1366, 1024):
            page.set_viewport_size({"width": width, "height": 768})
            time.sleep(1.0)
            panel.evaluate("el => el.scrollIntoView({block: 'start'})")
            time.sleep(0.5)
            game = _box(page, ".gan-panel .gan-game")
            assert game["x"] >= 0 and game["x"] + game["width"] <= width + 1, \
                f"at {width} the game is cut at the side: {game}"
            assert game["y"] >= 0 and game["y"] + game["height"] <= 768 + 1, \
                f"at {width} the game's bottom is below the fold: {game}"
            page.screenshot(path=str(SHOTS / f"notebook7_training_{width}.png"))
        _pause_and_step(page)
        page.screenshot(path=str(SHOTS / "notebook7_paused_1024.png"))
        page.locator("button.gan-stop").first.click()
        wait_until(lambda: _status(page).startswith("stopped"), 60, "the run to stop")
        assert not page.locator("button.gan-start").first.is_disabled()
        _charts_stay_live(page, started)
