"""A live panel in VS Code, tried by hand: code-server (VS Code in Chromium) with the Jupyter extension, on a Jupyter
server of this checkout. Not a test (CI has no VS Code; docs/frontends.md says how the one here was built from npm
and the extensions' sources): it opens notebooks/00_start_here.ipynb, picks "Existing Jupyter Server", runs the cells
up to the first panel, presses Start with Steps 0 (until stopped), reads the status line for 16 s, Pauses, Steps and
Stops, and takes screenshots at 1366x768 and 1024x768 into test-output/vscode/ (test-output/vscode-cdn/ with --cdn).

    python scripts/vscode_trial.py --code-server DIR --node NODE --extensions-dir DIR [--cdn]

DIR is an installed code-server package (its out/node/entry.js), NODE the node it needs, --extensions-dir one holding
ms-toolsai.jupyter and ms-toolsai.jupyter-renderers. --cdn sets "jupyter.widgetScriptSources" (jsdelivr, unpkg),
trusts any certificate and expects those hosts to answer (here: a stand-in serving npm's anywidget tarball, as
docs/frontends.md says); without it VS Code cannot fetch anywidget's script and the panel shows pictures. Prints
what it saw; exits 1 if the panel did not train, pause, step and stop.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from notebook_cost import free_port, status, step_of  # scripts/ is on sys.path when a script runs
from soak_browser import wait_until

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/00_start_here.ipynb"
SETTINGS = {  # a quiet workbench: no trust prompt, no tips or chat beside the notebook, no update checks
    "security.workspace.trust.enabled": False, "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False, "extensions.autoUpdate": False, "workbench.tips.enabled": False,
    "workbench.colorTheme": "Default Light Modern", "jupyter.experiments.enabled": False,
    "workbench.secondarySideBar.defaultVisibility": "hidden", "chat.disableAIFeatures": True,
}


def log(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def panel_frame(page):
    """The webview frame VS Code draws the cell outputs in, once it holds the panel."""
    for frame in page.frames:
        try:
            if frame.locator(".gan-panel").count():
                return frame
        except Exception:  # a frame navigating or gone: look again next time
            continue
    return None


def reveal(page, element, top: float = 130) -> None:
    """Scroll the notebook until the element's top is near `top`: VS Code scrolls its outputs' webview itself, so
    the element cannot be scrolled into view from inside that frame."""
    for _ in range(40):
        box = element.bounding_box()
        if box is not None and abs(box["y"] - top) < 30:
            return
        page.mouse.move(800, 400)
        page.mouse.wheel(0, -400 if box is None else box["y"] - top)
        time.sleep(0.5)


def choose_jupyter_server(page, server_url: str) -> None:
    """The notebook toolbar's kernel picker: "Existing Jupyter Server", its URL (token included), the default
    display name, then its Python kernel."""
    page.locator("a:has-text('Select Kernel')").first.click()
    rows = page.locator(".quick-input-list .monaco-list-row")
    rows.filter(has_text="Existing Jupyter Server").first.click()
    time.sleep(4)  # VS Code offers the clipboard's URL first: wait for the input box to settle
    page.locator(".quick-input-widget input").first.fill(server_url)
    page.keyboard.press("Enter")
    time.sleep(3)
    page.keyboard.press("Enter")
    time.sleep(4)
    rows.filter(has_text="Python 3").first.click()
    page.wait_for_selector("a:has-text('Python 3')", timeout=60_000)


def drive(url: str, server_url: str, shots: Path, cdn: bool) -> bool:
    from playwright.sync_api import sync_playwright

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / name))

    def shot_at(width: int, name: str) -> None:
        page.set_viewport_size({"width": width, "height": 768})
        time.sleep(2)
        shot(f"{name}_{width}.png")

    seen: dict[str, object] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", *(["--ignore-certificate-errors"] if cdn else [])])
        context = browser.new_context(viewport={"width": 1366, "height": 768},
                                      permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        try:
            page.goto(url)
            page.wait_for_selector(".monaco-workbench", timeout=120_000)
            page.keyboard.press("Control+p")
            page.wait_for_selector(".quick-input-widget input", timeout=30_000)
            page.keyboard.type(Path(NOTEBOOK).name)
            page.locator(".quick-input-list .monaco-list-row", has_text=Path(NOTEBOOK).name).first.click()
            page.wait_for_selector(".notebook-editor", timeout=60_000)
            time.sleep(3)
            choose_jupyter_server(page, server_url)
            # Run the parameters, the import, the section's text and the first panel's cell.
            page.locator(".notebook-editor .code-cell-row").first.locator(".monaco-editor").first.click()
            page.keyboard.press("Escape")
            for _ in range(4):
                page.keyboard.press("Shift+Enter")
                time.sleep(8)
            frame = wait_until(lambda: panel_frame(page), 120, "the panel in VS Code's output webview")
            reveal(page, frame.locator(".gan-panel").first)
            shot("before_start_1366.png")
            steps = frame.locator(".gan-field-steps input").first
            steps.fill("0")
            steps.press("Enter")
            time.sleep(1)
            frame.locator("button.gan-start").first.click()
            seen["steps every 2 s"] = [(time.sleep(2), step_of(status(frame)))[1] for _ in range(8)]
            shot_at(1366, "training")
            shot_at(1024, "training")
            frame.locator("button.gan-pause").first.click()
            wait_until(lambda: status(frame).startswith("paused"), 60, "the run to pause")
            time.sleep(1.5)
            seen["paused at, 3 s apart"] = [step_of(status(frame)), (time.sleep(3), step_of(status(frame)))[1]]
            frame.locator("button.gan-step").first.click()
            time.sleep(3)
            seen["after Step"] = step_of(status(frame))
            shot_at(1024, "paused")
            shot_at(1366, "paused")
            frame.locator("button.gan-stop").first.click()
            wait_until(lambda: status(frame).startswith("stopped"), 60, "the run to stop")
            seen["stopped"] = status(frame).split(" · ")[:2]
            seen["pictures instead of charts"] = "did not load" in frame.locator(".gan-problems").first.inner_text()
        except Exception as e:  # what it saw so far, and a picture of where it stopped
            seen["failed"] = repr(e)[:400]
            shot("failed.png")
        finally:
            browser.close()
    log(json.dumps(seen))
    counts, paused = seen.get("steps every 2 s", []), seen.get("paused at, 3 s apart", [None, None])
    return ("failed" not in seen and bool(counts) and (counts[-1] or 0) > (counts[0] or 0)
            and paused[0] == paused[1] and seen.get("after Step") == (paused[0] or 0) + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code-server", type=Path, required=True, help="an installed code-server package")
    parser.add_argument("--node", type=Path, required=True, help="the node code-server needs")
    parser.add_argument("--extensions-dir", type=Path, required=True)
    parser.add_argument("--cdn", action="store_true", help="let VS Code fetch widget scripts from jsdelivr/unpkg")
    args = parser.parse_args()
    shots = ROOT / "test-output" / ("vscode-cdn" if args.cdn else "vscode")
    shots.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="vscode-trial-"))
    served = work / "served"
    (served / "notebooks").mkdir(parents=True)
    (served / NOTEBOOK).write_bytes((ROOT / NOTEBOOK).read_bytes())  # a copy: the server saves what it opens
    (work / "user" / "User").mkdir(parents=True)
    settings = {**SETTINGS, **({"jupyter.widgetScriptSources": ["jsdelivr.com", "unpkg.com"]} if args.cdn else {})}
    (work / "user" / "User" / "settings.json").write_text(json.dumps(settings))
    jupyter_port, code_port, token = free_port(), free_port(), secrets.token_hex(16)
    env = {**os.environ, "GAN_EXPLORER_RUNS": str(work / "runs"), "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("GAN_EXPLORER_SMOKE", None)
    with open(work / "jupyter.log", "w") as jupyter_log, open(work / "code-server.log", "w") as code_log:
        jupyter = subprocess.Popen([sys.executable, "-m", "jupyter", "server", "--no-browser", "--ip=127.0.0.1",
                                    f"--port={jupyter_port}", f"--IdentityProvider.token={token}",
                                    f"--ServerApp.root_dir={served}", "--allow-root"],
                                   cwd=served, env=env, stdout=jupyter_log, stderr=subprocess.STDOUT)
        code = subprocess.Popen([str(args.node), str(args.code_server / "out/node/entry.js"), "--auth", "none",
                                 "--bind-addr", f"127.0.0.1:{code_port}", "--user-data-dir", str(work / "user"),
                                 "--extensions-dir", str(args.extensions_dir), "--disable-telemetry",
                                 "--disable-update-check", "--disable-workspace-trust", str(served)],
                                env={**env, "PATH": f"{args.node.parent}{os.pathsep}{env['PATH']}",
                                     **({"NODE_TLS_REJECT_UNAUTHORIZED": "0"} if args.cdn else {})},
                                stdout=code_log, stderr=subprocess.STDOUT)
        try:
            for url in (f"http://127.0.0.1:{jupyter_port}/api/status?token={token}",
                        f"http://127.0.0.1:{code_port}/healthz"):
                wait_until(lambda u=url: subprocess.run(["curl", "-sf", "-o", "/dev/null", u]).returncode == 0, 120,
                           url)
            ok = drive(f"http://127.0.0.1:{code_port}/?folder={served}",
                       f"http://127.0.0.1:{jupyter_port}/?token={token}", shots, args.cdn)
        finally:
            for proc in (code, jupyter):
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    log(f"screenshots in {shots}; logs in {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
