"""What watching costs: a run's steps/s with the Train page open in Chromium against the same run with no page.

    python scripts/page_cost.py --dataset toy1d                  # Figure 1's toy
    python scripts/page_cost.py --preset "Modern MLP on MNIST (Adam)" --dataset mnist_subset   # an MNIST MLP

It starts `streamlit run streamlit_app.py` (headless, a temp runs folder), opens the Train page in Chromium with
the config in the link, presses Start (the run trains until stopped), then alternates timed windows in the same
server and run: "closed" (the tab on about:blank: no session, nothing redrawn) and "open" (the tab on the Train
page of the run, its live view redrawn every second). Steps are read from the run's metrics.csv, which the
runner appends about once a second whatever the page does; a window's rate is timed by those appends (the file's
mtime), not by when the file was read. Rounds alternate the order (closed then open, open then closed), so a load
that drifts weighs on both sides. Per round: steps/s closed, open, their ratio (open / closed), the bytes the page
received over its websocket per second, and the load average. The last stdout line is JSON. Playwright relays
every websocket frame to this process (that is how the bytes are counted), so its relaying counts as page cost:
a slight overestimate, which shrinks with the bytes shipped.
Needs Debian's chromium and Python playwright (requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from soak_browser import start_server, stop_server  # scripts/ is on sys.path when a script runs

from explorer.runs.run_folder import RunFolder

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"


def last_step(metrics: Path) -> tuple[int, float]:
    """The step of metrics.csv's last complete line and when it was written (the file's mtime, in seconds).

    The runner appends the file about once a second, so the step alone is up to a second of training stale;
    paired with the time of that append, a window's rate is exact whatever the write cadence."""
    while True:
        before = metrics.stat().st_mtime_ns
        with open(metrics, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            lines = f.read().split(b"\n")
        if metrics.stat().st_mtime_ns == before:  # no append in between: the step belongs to that time
            break
    for line in reversed(lines[:-1]):  # the part after the last newline may be half written
        head = line.split(b",", 1)[0]
        if head.isdigit():
            return int(head), before / 1e9
    return 0, before / 1e9


def window(metrics: Path, seconds: float, wait=time.sleep, cpu=lambda: (0.0, 0.0)) -> tuple[float, float, float]:
    """Steps per second over about `seconds`: between the last append before the window opens and the last one
    before it closes, timed by the appends themselves, not by when they were read. Also the CPU seconds per
    second that `cpu()`'s two counters (server, browser) rose by meanwhile."""
    first, c0, t0 = last_step(metrics), cpu(), time.perf_counter()
    wait(seconds)
    last, c1, t1 = last_step(metrics), cpu(), time.perf_counter()
    rate = (last[0] - first[0]) / (last[1] - first[1]) if last[1] > first[1] else 0.0
    return rate, (c1[0] - c0[0]) / (t1 - t0), (c1[1] - c0[1]) / (t1 - t0)


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        out.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return out


def cpu_seconds(roots: list[int]) -> float:
    """User + system CPU seconds of these processes and all their descendants (Linux /proc), so far."""
    children, total, todo = _children(), 0.0, list(roots)
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def config_query(args: argparse.Namespace) -> dict[str, str]:
    from explorer.game.config import TrainConfig
    from explorer.lessons.presets import preset

    cfg = preset(args.preset) if args.preset else TrainConfig.for_dataset(args.dataset)
    cfg = cfg.replace(dataset=args.dataset, steps=0).with_overrides(args.overrides)
    if args.data_root:
        cfg = cfg.replace(data_root=args.data_root)
    return cfg.to_query()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="toy1d")
    p.add_argument("--preset", help="start from a named preset (explorer.lessons.presets)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE")
    p.add_argument("--data-root", help="where data sets live (for mnist)")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--window", type=float, default=12.0, help="seconds per timed window (default 12)")
    p.add_argument("--settle", type=float, default=3.0, help="seconds after opening/closing the page, untimed")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="page-cost-") as tmp:
        runs_dir = Path(tmp) / "runs"
        server, url = start_server(runs_dir, Path(tmp) / "streamlit.log")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM,
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                received = [0]
                page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.__setitem__(
                    0, received[0] + len(payload))))
                train_url = f"{url}/train?{urllib.parse.urlencode(config_query(args))}"
                page.goto(train_url)
                page.wait_for_selector(CONNECTED, timeout=60_000)
                start = page.locator(".st-key-start button").first
                start.wait_for(state="visible", timeout=60_000)
                start.click()
                deadline = time.monotonic() + 120
                while "run=" not in page.evaluate("() => window.location.search"):
                    if time.monotonic() > deadline:
                        raise SystemExit("the run did not start in 120 s")
                    time.sleep(0.5)
                run = urllib.parse.parse_qs(page.evaluate("() => window.location.search")[1:])["run"][0]
                metrics = RunFolder(runs_dir / run).metrics_file
                while not metrics.exists() or last_step(metrics)[0] == 0:
                    time.sleep(0.5)
                run_url = f"{url}/train?run={urllib.parse.quote(run)}"
                rows = []

                def cpu() -> tuple[float, float]:
                    """CPU seconds so far of the server (training included) and of the browser (Chromium and
                    Playwright's driver: every child of this process but the server)."""
                    others = [pid for pid in _children().get(os.getpid(), []) if pid != server.pid]
                    return cpu_seconds([server.pid]), cpu_seconds(others)

                def closed_window() -> tuple[float, float, float]:
                    page.goto("about:blank")
                    time.sleep(args.settle)
                    return window(metrics, args.window, cpu=cpu)

                def open_window() -> tuple[tuple[float, float, float], float]:
                    page.goto(run_url)
                    page.wait_for_selector(CONNECTED, timeout=60_000)
                    # Playwright's sync API delivers websocket events only while it is called: wait through it.
                    page.wait_for_timeout(args.settle * 1000)
                    b0 = received[0]
                    measured = window(metrics, args.window, lambda sec: page.wait_for_timeout(sec * 1000), cpu)
                    return measured, (received[0] - b0) / args.window / 1024

                for r in range(args.rounds):
                    # Closed then open, then open then closed: a load that drifts over a pair of rounds (other
                    # programs on the machine, a run that slows as it grows) weighs on both sides alike.
                    if r % 2 == 0:
                        closed = closed_window()
                        opened, kb_per_s = open_window()
                    else:
                        opened, kb_per_s = open_window()
                        closed = closed_window()
                    load = os.getloadavg()[0]
                    rss = int(Path(f"/proc/{server.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
                    rows.append({"closed": closed[0], "open": opened[0],
                                 "ratio": opened[0] / closed[0] if closed[0] else 0.0, "kb_per_s": kb_per_s,
                                 "server_cpu_closed": closed[1], "server_cpu_open": opened[1],
                                 "browser_cpu_closed": closed[2], "browser_cpu_open": opened[2], "server_rss_mb": rss,
                                 "load_average": load})
                    print(f"round {r + 1}/{args.rounds}: closed {closed[0]:.1f} steps/s, open {opened[0]:.1f} steps/s "
                          f"= {rows[-1]['ratio']:.1%}, page received {kb_per_s:.0f} KB/s; CPU s/s server "
                          f"{closed[1]:.2f} -> {opened[1]:.2f}, browser {closed[2]:.2f} -> {opened[2]:.2f} "
                          f"(server RSS {rss:.0f} MB, load average {load:.2f})", file=sys.stderr)
                browser.close()
        finally:
            stop_server(server)
    ratios = [row["ratio"] for row in rows]
    summary = {"dataset": args.dataset, "preset": args.preset, "rounds": rows,
               "closed_steps_per_s": statistics.median(row["closed"] for row in rows),
               "open_steps_per_s": statistics.median(row["open"] for row in rows),
               "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
               "page_kb_per_s": statistics.median(row["kb_per_s"] for row in rows),
               "load_average": os.getloadavg()}
    print(f"open / closed: {summary['ratio_median']:.1%} [{summary['ratio_min']:.1%}-{summary['ratio_max']:.1%}] "
          f"(load average {summary['load_average'][0]:.2f})", file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
