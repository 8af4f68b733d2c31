"""The Sweeps page in a real browser: the stability map of a sweep, and a click on one of its cells opening the
Replay of that cell's run. Same conventions as tests/test_browser.py (its `server` fixture: streamlit on a free
port with its own runs dir, tmp_path/runs). The sweep is made without Ray (tests/test_sweep_page.make_sweep).
Screenshots go to test-output/ (gitignored).
"""

from __future__ import annotations

from dataclasses import fields

from explorer import names
from explorer.game.config import TrainConfig
from explorer.runs.run_folder import DEMO_SWEEPS_DIR
from tests import test_browser
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, wait_idle, wait_until
from tests.test_sweep_page import js_of, make_sweep, template  # noqa: F401 - template is a fixture

server = test_browser.server

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# The map's cells as the browser holds them: [[trace name, [x label, y label], text], ...].
CELLS_JS = """() => { const gd = document.querySelector('.st-key-sweeps_map .js-plotly-plot');
    if (!gd || !gd._fullData) return null;
    return gd._fullData.flatMap(t =>
        Array.from(t.customdata || []).map((c, i) => [t.name, [c[1], c[2]], t.text[i]])); }"""
# Where a cell is on the page, in CSS pixels: its centre through plotly's own axes (by the category's position:
# d2p would read a label such as "1e-3" as the number 0.001).
CELL_XY_JS = """([x, y]) => { const gd = document.querySelector('.st-key-sweeps_map .js-plotly-plot');
    const fl = gd._fullLayout, box = gd.getBoundingClientRect();
    const at = (axis, label) => axis._offset + axis.l2p(axis._categories.indexOf(label));
    return [box.left + at(fl.xaxis, x), box.top + at(fl.yaxis, y)]; }"""


def test_the_map_shows_the_sweep_and_a_click_on_a_cell_opens_its_replay(server, tmp_path, template):  # noqa: F811
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    _, spec = make_sweep(template, tmp_path / "runs")  # the server's runs folder
    trial = next(t for t in spec.trials() if t.params == {"lr_d": 1e-3, "loss": "minimax"} and t.seed == 1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1100})
            page.goto(f"{server}/sweeps?sweep=lecture")
            wait_idle(page)
            cells = wait_until(lambda: page.evaluate(CELLS_JS), 60, "the stability map")
            drawn = {tuple(where): (name, text) for name, where, text in cells}
            assert len(drawn) == 6
            assert drawn["1e-2", "minimax"][0] == "diverged" and drawn["1e-2", "minimax"][1].startswith("✕")
            mean = (js_of(1e-3, "minimax", 0) + js_of(1e-3, "minimax", 1)) / 2
            assert drawn["1e-3", "minimax"][1] == f"{mean:.3g}"
            assert page.get_by_text("Each cell is the mean over 2 seeds of").count() == 1
            assert page.locator("[data-testid='stException']").count() == 0

            # A click on the cell lr_d = 1e-3, loss = minimax: its two seeds are offered.
            page.locator(".st-key-sweeps_map").scroll_into_view_if_needed()
            wait_idle(page)
            offered = page.locator(".st-key-sweeps_cell_runs")

            field_label = {f.name: f.metadata["label"] for f in fields(TrainConfig)}
            # The cell is named for people: the fields' labels and the loss's (codes stay in the map's customdata).
            where = f"{field_label['lr_d']} = 1e-3 · {field_label['loss']} = {names.label('loss', 'minimax')}"

            def cell_offered() -> bool:
                return bool(offered.count()) and where in offered.first.inner_text()

            for attempt in range(3):  # a click while plotly still lays the chart out (a fresh server) can be lost
                x, y = page.evaluate(CELL_XY_JS, ["1e-3", "minimax"])
                page.mouse.move(x, y)
                page.mouse.click(x, y)
                try:
                    wait_until(cell_offered, 20, "the clicked cell's seeds")
                    break
                except AssertionError:
                    page.screenshot(path=str(OUTPUT / f"sweeps_click_{attempt}.png"), full_page=True)
                    if attempt == 2:
                        raise
            wait_idle(page)
            page.mouse.move(5, 5)  # no hover label over the map in the screenshot
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUTPUT / "sweeps_heatmap.png"), full_page=True)

            # Its seed 1 opens in Replay.
            page.locator(f".st-key-sweeps_replay_seed{trial.seed} button").first.click()
            wait_until(lambda: "/replay" in page.evaluate("() => window.location.pathname"), 60, "the Replay page")
            wait_idle(page)
            assert f"run={trial.name}" in page.evaluate("() => window.location.search")
            wait_until(lambda: page.get_by_text(trial.name).count(), 60, "the trial's replay")
            assert page.locator("[data-testid='stException']").count() == 0

            # The bundled sweep, when the app ships one: its map too.
            bundled = sorted(p.parent.name for p in DEMO_SWEEPS_DIR.glob("*/sweep.json"))
            if bundled:
                page.goto(f"{server}/sweeps?sweep={bundled[0]}")
                wait_idle(page)
                cells = wait_until(lambda: page.evaluate(CELLS_JS), 60, "the bundled sweep's map")
                assert all(name != "pending" for name, _, _ in cells)
                page.locator(".st-key-sweeps_map").scroll_into_view_if_needed()
                page.screenshot(path=str(OUTPUT / "sweeps_bundled.png"), full_page=True)
        finally:
            browser.close()
