"""What a live notebook panel costs: toy1d training speed with a panel open in JupyterLab against headless, in
alternating rounds; how often the panel refreshed; the kernel's memory over a long run. Not a test: a measurement
for docs/benchmarks.md (the targets: >= 90% of headless speed, >= 1 refresh a second, flat memory over 10 minutes).

    python scripts/notebook_cost.py --rounds 3 --steps 3000 --soak-minutes 10      # the real measurement
    python scripts/notebook_cost.py --rounds 1 --steps 300 --soak-minutes 0.5      # does it work (a minute or two)
    python scripts/notebook_cost.py --rounds 1 --soak-minutes 0 --leave-out game   # what the game's redraws cost
    python scripts/notebook_cost.py --rounds 6 --steps 10000 --soak-minutes 0 --own-core  # the browser on a core
                                                                                # of its own, training on another

Headless is `python -m explorer train --dataset toy1d` (its JSON line's steps_per_s = steps / training seconds).
Panel is JupyterLab on a free localhost port with a token, a scratch notebook with `train(dataset="toy1d")`, and
Debian's Chromium (Playwright) pressing Start; its speed is the same ratio, read off the panel's status line when the
run finishes. The refresh rate is the panel poller's ticks over the run's wall time; memory is the kernel's resident
set (/proc/PID/status) every 5 s of a run that trains until stopped, with the step it had reached. Each panel round
also says where its CPU went: the kernel (training included), the Jupyter server and Chromium, in CPU seconds
(/proc/PID/stat). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from soak_browser import wait_until  # scripts/ is on sys.path when a script runs

from explorer.runs.run_folder import RunFolder, checkpoint_step

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TRAINING_CPU = 0  # with --own-core: the CPU training runs on, in the CLI and in the kernel alike


def on_training_cpu() -> None:
    os.sched_setaffinity(0, {TRAINING_CPU})


def pin_to_training_cpu(pid: int) -> None:
    """Every thread of a process onto TRAINING_CPU (affinity is per thread; threads started later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {TRAINING_CPU})


def headless_round(steps: int, runs_dir: Path, own_core: bool) -> float:
    out = subprocess.run([sys.executable, "-m", "explorer", "train", "--dataset", "toy1d", "--steps", str(steps),
                          "--runs-dir", str(runs_dir)], cwd=ROOT, capture_output=True, text=True, check=True,
                         preexec_fn=on_training_cpu if own_core else None)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["steps_per_s"])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (/proc/PID/stat); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_part(kernel: int, server: int) -> dict[str, float]:
    """CPU seconds so far of the kernel, the Jupyter server and every Chromium process."""
    browser = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"chromium" in (proc / "cmdline").read_bytes():
                browser += cpu_seconds(int(proc.name))
        except OSError:
            continue
    return {"kernel": cpu_seconds(kernel), "server": cpu_seconds(server), "browser": browser}


def kernel_pid() -> int:
    """The newest ipykernel process (the scratch notebook's)."""
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    kernels = []
    for pid in pids:
        try:
            if b"ipykernel_launcher" in (Path(f"/proc/{pid}/cmdline")).read_bytes():
                kernels.append(pid)
        except OSError:
            continue
    if not kernels:
        raise RuntimeError("no ipykernel process found")
    return max(kernels)


# --leave-out: what the panel stops redrawing, to see what each part of a redraw costs (an experiment, not a mode)
LEAVE_OUT = {"game": "panel._draw_game = lambda snap: None",
             "curves": "for chart in panel.charts.values():\n    chart.show = lambda fig: None"}


def scratch_notebook(folder: Path, stats: Path, leave_out: list[str]) -> Path:
    path = folder / "cost.ipynb"
    hooks = "".join(LEAVE_OUT[part] + "\n" for part in leave_out)
    nb = new_notebook(cells=[
        new_code_cell(f"from explorer.notebook import train\npanel = train(dataset='toy1d', steps=0)\n{hooks}panel"),
        new_code_cell(f"import json\njson.dump({{'ticks': panel.poller.ticks}}, open({str(stats)!r}, 'w'))"),
    ], metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}})
    nbformat.write(nb, path)
    return path


def status(page) -> str:
    el = page.locator(".gan-panel .gan-status").first
    return el.inner_text() if el.count() else ""


def step_of(text: str) -> int | None:
    """The step a panel's status line says it is at ("training · step 4,850 · ..."), or None before any."""
    m = re.search(r"step ([\d,]+)", text)
    return int(m.group(1).replace(",", "")) if m else None


def ended_on_disk(runs: Path, older: set[Path], steps: int) -> bool:
    """A run folder new since `older` holds its last checkpoint, which the runner writes as the run ends."""
    for folder in set(runs.iterdir()) - older if runs.exists() else ():
        last = RunFolder(folder).latest_checkpoint()
        if last is not None and checkpoint_step(last) >= steps:
            return True
    return False


def panel_round(page, steps: int, runs: Path) -> tuple[float, float]:
    """(steps/s, wall seconds from Start to the end) of one run of `steps` started from the panel."""
    box = page.locator(".gan-field-steps input").first
    box.fill(str(steps))
    box.press("Enter")
    time.sleep(1.0)
    before = run_folder(status(page))  # the last round's run: wait for this round's own to finish
    older = set(runs.iterdir()) if runs.exists() else set()
    page.locator("button.gan-start").first.click()
    t0 = time.monotonic()
    # The end is read off the disk, not the page: reading the page through the DevTools protocol twice a second
    # cost Playwright's driver and this script about 0.025 CPU s a second, the browser's own share besides, and
    # in the panel's rounds only (docs/benchmarks.md). The status line is read once, when the run has ended.
    wait_until(lambda: ended_on_disk(runs, older, steps), 60 + steps, "the run's last checkpoint")
    wall = time.monotonic() - t0

    def finished() -> tuple[int, float] | None:
        text = status(page)
        m = re.search(r"step ([\d,]+) / [\d,]+ · .* · ([\d,.]+) s training", text)
        if not (text.startswith("finished") and m and run_folder(text) not in (None, before)):
            return None
        done, seconds = int(m.group(1).replace(",", "")), float(m.group(2).replace(",", ""))
        return (done, seconds) if done == steps and seconds > 0 else None

    done, seconds = wait_until(finished, 60, "the status line to say the run finished")
    return done / seconds, wall


def run_folder(text: str) -> str | None:
    m = re.search(r"run folder: (\S+)", text)
    return m.group(1) if m else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="headless / panel pairs, alternating")
    ap.add_argument("--steps", type=int, default=3000, help="toy1d steps per round")
    ap.add_argument("--soak-minutes", type=float, default=10.0, help="minutes of the memory run (0 skips it)")
    ap.add_argument("--leave-out", nargs="*", default=[], choices=sorted(LEAVE_OUT),
                    help="parts of the panel not redrawn (what each costs: compare with a run without this)")
    ap.add_argument("--own-core", action="store_true",
                    help=f"training (the CLI's and the kernel's) on CPU {TRAINING_CPU}, everything else (this script, "
                         "the Jupyter server, Chromium) on the other CPUs: what the panel costs where the browser "
                         "does not share training's core")
    args = ap.parse_args()
    if args.own_core:
        others = os.sched_getaffinity(0) - {TRAINING_CPU}
        if not others:
            ap.error(f"--own-core needs a CPU besides CPU {TRAINING_CPU}")
        os.sched_setaffinity(0, others)  # inherited by the server, its kernel (pinned below) and Chromium
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="notebook-cost-"))
    stats = work / "stats.json"
    scratch_notebook(work, stats, args.leave_out)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "GAN_EXPLORER_RUNS": str(work / "runs"), "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces")}
    log = open(work / "jupyter.log", "w")  # noqa: SIM115 (kept open for the server's lifetime)
    server = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                               "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
                               "--allow-root"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    result: dict = {"steps": args.steps, "left_out": args.leave_out, "own_core": args.own_core, "rounds": []}
    try:
        def up() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2):
                    return True
            except OSError:
                return False

        wait_until(up, 120, "JupyterLab")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"http://127.0.0.1:{port}/lab/tree/cost.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            wait_until(lambda: "Idle" in str(page.locator(".jp-StatusBar-Widget").all_inner_texts()), 120, "kernel")
            pid = kernel_pid()
            if args.own_core:  # before the cell runs, so torch and the training thread start there
                pin_to_training_cpu(pid)
            page.locator(".jp-Notebook .jp-Cell").first.click()
            page.keyboard.press("Escape")
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector(".gan-panel button.gan-start", timeout=180_000)
            wall_total = 0.0
            for _ in range(args.rounds):  # alternating, so a change in the machine's load hits both alike
                headless = headless_round(args.steps, work / "runs", args.own_core)
                before = cpu_by_part(pid, server.pid)
                panel, wall = panel_round(page, args.steps, work / "runs")
                after = cpu_by_part(pid, server.pid)
                wall_total += wall
                result["rounds"].append({"headless_steps_per_s": round(headless, 1),
                                         "panel_steps_per_s": round(panel, 1),
                                         "ratio": round(panel / headless, 3), "wall_s": round(wall, 1),
                                         # where the panel round's CPU went (the kernel's includes training)
                                         "cpu_s": {k: round(after[k] - before[k], 1) for k in after}})
            page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-InputPrompt").click()  # the stats cell
            page.keyboard.press("Escape")
            page.keyboard.press("Shift+Enter")
            wait_until(stats.exists, 60, "the panel's stats")
            ticks = json.loads(stats.read_text())["ticks"]
            result["refreshes_per_s"] = round(ticks / wall_total, 2)
            if args.soak_minutes > 0:
                box = page.locator(".gan-field-steps input").first
                box.fill("0")
                box.press("Enter")
                time.sleep(1.0)
                page.locator("button.gan-start").first.click()
                samples, steps, end = [], [], time.monotonic() + 60 * args.soak_minutes
                while time.monotonic() < end:
                    samples.append(round(rss_mb(pid), 1))
                    steps.append(step_of(status(page)))
                    time.sleep(5)
                page.locator("button.gan-stop").first.click()
                result["kernel_rss_mb_every_5s"] = samples
                result["step_every_5s"] = steps  # the panel's status line at each sample: what the run recorded
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    ratios = [r["ratio"] for r in result["rounds"]]
    result["ratio_median"] = round(statistics.median(ratios), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
