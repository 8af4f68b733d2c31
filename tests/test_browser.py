"""The Train page in a real browser: `streamlit run streamlit_app.py` headless + Playwright + Debian's Chromium.

With CI=true a missing browser (no /usr/bin/chromium, or Playwright not importable) fails the test; elsewhere
it skips with the reason. Screenshots go to test-output/ (gitignored).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = ROOT / "test-output"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Chart traces in the browser: [[trace name, number of x values], ...] per plotly chart.
TRACES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd =>
    (gd._fullData || []).map(t => [t.name || '', t._length || 0]))"""


def _browser_or_skip():
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright  # noqa: F401
        except ImportError as e:
            problem = f"playwright is not importable: {e}"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the browser test cannot run: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"streamlit did not answer {url} in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path):
    """`streamlit run streamlit_app.py` on a free port with its own runs dir; yields the base URL."""
    port = _free_port()
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "GAN_EXPLORER_RUNS": str(tmp_path / "runs"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wait_until(predicate, timeout: float, what: str, every: float = 0.25):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_idle(page) -> None:
    page.wait_for_selector(CONNECTED, timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)


def button(page, key: str):
    return page.locator(f".st-key-{key} button").first


def status_step(page) -> int | None:
    el = page.locator(".st-key-status")
    if el.count() == 0:
        return None
    m = re.search(r"step ([\d,]+)", el.first.inner_text())  # "step 1,234 / 3,000"
    return int(m.group(1).replace(",", "")) if m else None


def status_state(page) -> str:
    el = page.locator(".st-key-status")
    return el.first.inner_text().split("·")[0].strip() if el.count() else ""


def test_train_page_live_in_a_real_browser(server):
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(f"{server}/train")
            wait_idle(page)
            button(page, "start").wait_for(state="visible", timeout=60_000)
            assert page.locator("[data-testid='stSidebarNav']").count() == 1
            assert button(page, "start").is_enabled()

            # Train until stopped (the default 3,000 steps can finish before Pause on a fast machine).
            steps_input = page.locator(".st-key-cfg_steps input").first
            steps_input.fill("0")
            steps_input.press("Enter")
            wait_idle(page)
            button(page, "start").click()
            wait_until(lambda: (status_step(page) or 0) > 0, 60, "the status line to show steps")
            # location.search, not page.url: Playwright's page.url can lag behind a URL the app sets itself
            assert "run=" in page.evaluate("() => window.location.search")

            def loss_points() -> int:
                charts = page.evaluate(TRACES_JS)
                return max((n for traces in charts for name, n in traces if name == "G loss"), default=0)

            wait_until(lambda: loss_points() > 10, 60, "the loss chart to have points")

            # The live view (the toy plot for toy1d) must change at least twice.
            live = page.locator(".st-key-live_view")
            seen = [live.screenshot()]

            def changed_again() -> bool:
                shot = live.screenshot()
                if shot != seen[-1]:
                    seen.append(shot)
                return len(seen) >= 3

            wait_until(changed_again, 60, "the live view to change twice", every=0.5)
            (OUTPUT / "train_live_view.png").write_bytes(seen[-1])
            assert page.locator("[data-testid='stException']").count() == 0

            # Pause: the step count stops.
            button(page, "pause").click()
            wait_until(lambda: "paused" in status_state(page), 30, "the run to pause")
            time.sleep(1.5)
            paused_at = status_step(page)
            time.sleep(2.5)
            assert status_step(page) == paused_at, "the step count moved while paused"
            assert button(page, "resume").is_enabled()
            page.screenshot(path=str(OUTPUT / "train_page.png"), full_page=True)

            # A second tab (same URL with ?run=) shows the same run, paused at the same step.
            other = browser.new_page(viewport={"width": 1500, "height": 1100})
            other.goto(page.evaluate("() => window.location.href"))
            wait_idle(other)
            wait_until(lambda: status_step(other) == paused_at, 30, "the second tab to show the same run")
            button(page, "stop").click()
            wait_until(lambda: "stopped" in status_state(page), 30, "the run to stop")
        finally:
            browser.close()
