"""Browser soak: the real app under load. Three runs train at once while two browser sessions watch them.

    python scripts/soak_browser.py --minutes 10 [--warmup 60] [--json]

Starts `streamlit run streamlit_app.py` headless on a free port (runs saved to a temporary folder), starts
three runs from the Train page as a user would (Start on the 1D toy, then ring8, then mnist_subset, each set to
train until stopped), opens two browser sessions (two Playwright contexts, so two Streamlit sessions) on
different runs (`/train?run=NAME`), and for `--minutes` samples the server's RSS (its process and any
children, from /proc) every few seconds while each page counts, in the browser, how often its status line
and its loss chart changed and the longest time either stood still. The steps each run trained come from
its metrics.csv, so the run nobody watches is checked too.

Memory is judged after the warm-up, as in scripts/soak.py: a run keeps one 72-byte metrics row per step by
design, so the report gives that expected growth beside the measured one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from soak import vm_rss  # scripts/ is on sys.path when this file runs as a script

from explorer.runs.run_folder import RunFolder

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 # two sessions side by side: neither page may have its timers slowed as a background tab
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
ROW_BYTES = 72  # one float64 metrics row per step in the server's memory (step, 7 metrics, samples/s)
SAMPLE_SECONDS = 5.0
STALL_SECONDS = 10.0
MB = 2**20
# (data set, sidebar changes) for the three runs; the image run is small, as in scripts/soak.py.
RUNS = (("toy1d", {}), ("ring8", {}), ("mnist_subset", {"g_hidden": "256", "d_hidden": "256"}))
WATCHED = (2, 1)  # session i watches run WATCHED[i]: the image run and the 2D toy (the costliest redraws)

# In the page: every 250 ms note whether the status line's text and the loss chart's last step changed,
# and the longest time each stood still once it had started changing.
COUNTER_JS = """() => {
  if (window.__soak) return;
  const s = window.__soak = {status: 0, charts: 0, lastStatus: '', lastX: -1, statusAt: 0, chartAt: 0,
                             statusGap: 0, chartGap: 0, errors: 0, errorText: ''};
  setInterval(() => {
    const now = performance.now();
    const bad = document.querySelectorAll(ERRORS);
    if (bad.length > s.errors) { s.errors = bad.length; s.errorText = bad[0].innerText.slice(0, 300); }
    const el = document.querySelector('.st-key-status');
    const text = el ? el.innerText : '';
    if (text && text !== s.lastStatus) {
      if (s.statusAt) s.statusGap = Math.max(s.statusGap, now - s.statusAt);
      s.status++; s.lastStatus = text; s.statusAt = now;
    }
    let x = -1;
    for (const gd of document.querySelectorAll('.js-plotly-plot'))
      for (const t of (gd._fullData || []))
        if (t.name === 'G loss' && t.x && t.x.length) x = Math.max(x, Number(t.x[t.x.length - 1]));
    if (x > s.lastX) {
      if (s.chartAt) s.chartGap = Math.max(s.chartGap, now - s.chartAt);
      s.charts++; s.lastX = x; s.chartAt = now;
    }
  }, 250);
}"""
READ_JS = """() => {
  const s = window.__soak || {};
  const now = performance.now();
  return {status: s.status || 0, charts: s.charts || 0, text: s.lastStatus || '', last_step: s.lastX,
          errors: s.errors || 0, error_text: s.errorText || '',
          status_gap_s: Math.max(s.statusGap || 0, s.statusAt ? now - s.statusAt : 0) / 1000,
          chart_gap_s: Math.max(s.chartGap || 0, s.chartAt ? now - s.chartAt : 0) / 1000};
}"""


# ------------------------------------------------------------------------------------------- server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(runs_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run streamlit_app.py` on a free port, saving runs to runs_dir; returns it and its URL."""
    port = free_port()
    env = {**os.environ, "GAN_EXPLORER_RUNS": str(runs_dir), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"streamlit did not answer in 120 s:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen) -> int:
    """SIGTERM, as a service manager would; its exit code (-9: it had to be killed)."""
    proc.terminate()
    try:
        return proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        return -9


def tree_rss_bytes(pid: int) -> int:
    """VmRSS of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))  # fields[1]: the parent's pid
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        total += vm_rss(p) or 0
    return total


def steps_on_disk(run_dir: Path) -> int:
    """The last step in a run's metrics.csv (0 before its first row): read from the file's tail only."""
    path = RunFolder(run_dir).metrics_file
    try:
        with open(path, "rb") as f:
            header = f.readline().decode().strip().split(",")
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 4096))
            lines = [line for line in f.read().decode(errors="replace").splitlines() if line.strip()]
    except OSError:
        return 0
    if "step" not in header or len(lines) < 2:
        return 0
    try:
        return int(float(lines[-1].split(",")[header.index("step")]))
    except (ValueError, IndexError):  # a row being written: the previous one
        return int(float(lines[-2].split(",")[header.index("step")]))


# ------------------------------------------------------------------------------------------- pages

def wait_idle(page, timeout_ms: int = 90_000) -> None:
    page.wait_for_selector(CONNECTED, timeout=timeout_ms)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def wait_until(predicate, timeout: float, what: str, every: float = 0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def status_step(page) -> int:
    el = page.locator(".st-key-status")
    m = re.search(r"step (\d+)", el.first.inner_text()) if el.count() else None
    return int(m.group(1)) if m else 0


def set_field(page, name: str, value: str) -> None:
    """Type a value into a sidebar number field and commit it."""
    box = page.locator(f".st-key-cfg_{name} input").first
    box.fill(value)
    box.press("Enter")
    settle(page)


def settle(page) -> None:
    """Wait for the rerun a widget change triggers (it may not have begun when the change returns), so the
    next action works on the redrawn page."""
    time.sleep(1.0)
    wait_idle(page)


def pick_dataset(page, dataset: str) -> None:
    page.locator(".st-key-cfg_dataset button[aria-label='Open']").first.click()
    page.get_by_role("option", name=dataset, exact=True).click()
    settle(page)


def start_run(page, dataset: str, changes: dict[str, str], runs_dir: Path) -> str:
    """Start a run from the sidebar as a user would; returns its name (the page attaches to it)."""
    if page.locator(".st-key-cfg_dataset input").first.input_value() != dataset:
        pick_dataset(page, dataset)
    for field_name, value in {"steps": "0", **changes}.items():  # train until stopped
        set_field(page, field_name, value)
    known = set(os.listdir(runs_dir)) if runs_dir.exists() else set()
    page.locator(".st-key-start button").first.click()
    new = wait_until(lambda: runs_dir.exists() and set(os.listdir(runs_dir)) - known, 60, f"the {dataset} run's folder")
    name = new.pop()

    def attached() -> bool:  # location, not page.url: Playwright's page.url can lag behind history.replaceState
        return f"run={name}" in urllib.parse.unquote(page.evaluate("location.search"))

    wait_until(attached, 60, f"the page to attach to {name}")
    wait_until(lambda: status_step(page) > 0, 180, f"the {dataset} run's first steps")
    return name


def open_session(browser, url: str):
    """A fresh browser context (its own Streamlit session) on `url`, counting its redraws."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(url)
    wait_idle(page)
    page.evaluate(COUNTER_JS.replace("ERRORS", json.dumps(ERRORS)))
    return context, page


def page_errors(page, counters: dict) -> list[str]:
    """Errors on the page now, the first one the page's own counter saw (it looks every 250 ms), and a lost
    connection."""
    out = [el.inner_text()[:300] for el in page.locator(ERRORS).all()]
    if counters.get("errors"):
        out.append(f"seen in the page: {counters['error_text']}")
    if page.locator(CONNECTED).count() == 0:
        out.append("the page lost its connection to the server")
    return out


def stop_run(page, base: str, name: str) -> None:
    page.goto(f"{base}/train?run={name}")
    wait_idle(page)
    stop = page.locator(".st-key-stop button").first
    if stop.is_enabled():
        stop.click()
        wait_until(lambda: "stopped" in page.locator(".st-key-status").first.inner_text(), 60, f"{name} to stop")


# ------------------------------------------------------------------------------------------- soak

@dataclass
class Sample:
    t: float  # seconds since the sessions opened
    rss: int
    refreshes: int  # status-line changes seen by both sessions
    steps: int  # steps trained by all runs (metrics.csv)


@dataclass
class Watch:
    stats: list[dict] = field(default_factory=list)  # the last counters read from each session
    errors: list[str] = field(default_factory=list)


def sample(proc, pages, run_dirs: list[Path], start: float, watch: Watch) -> Sample:
    watch.stats = [page.evaluate(READ_JS) for page in pages]
    for i, page in enumerate(pages):
        for message in page_errors(page, watch.stats[i]):
            note = f"session {i}: {message}"
            if note not in watch.errors:
                watch.errors.append(note)
    return Sample(time.monotonic() - start, tree_rss_bytes(proc.pid), sum(s["status"] for s in watch.stats),
                  sum(steps_on_disk(d) for d in run_dirs))


def slope(x: list[float], y: list[float]) -> float:
    if len(set(x)) < 2:
        return 0.0
    return float(np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)[0])


def memory_report(samples: list[Sample], warmup: float) -> dict:
    after = [s for s in samples if s.t >= warmup] or samples[-1:]
    warm, end = after[0], after[-1]
    excess = [(s.rss - warm.rss) - ROW_BYTES * (s.steps - warm.steps) for s in after]
    return {
        "rss_start_mb": samples[0].rss / MB,
        "rss_after_warmup_mb": warm.rss / MB,
        "rss_end_mb": end.rss / MB,
        "rss_max_mb": max(s.rss for s in samples) / MB,
        "rss_max_after_warmup_mb": max(s.rss for s in after) / MB,
        "expected_growth_mb": ROW_BYTES * (end.steps - warm.steps) / MB,
        "excess_growth_end_mb": excess[-1] / MB,
        "excess_growth_max_mb": max(excess) / MB,
        "slope_mb_per_min": slope([s.t / 60 for s in after], [s.rss / MB for s in after]),
        "excess_slope_mb_per_min": slope([s.t / 60 for s in after], [e / MB for e in excess]),
        "slope_mb_per_1000_refreshes": slope([s.refreshes / 1000 for s in after], [s.rss / MB for s in after]),
        "excess_slope_mb_per_1000_refreshes": slope([s.refreshes / 1000 for s in after], [e / MB for e in excess]),
        "steps_since_warmup": end.steps - warm.steps,
        "rss_mb_every_30s": [round(s.rss / MB, 1) for s in samples[:: max(1, round(30 / SAMPLE_SECONDS))]],
    }


def run_soak(minutes: float, warmup: float, workdir: Path) -> dict:
    from playwright.sync_api import sync_playwright

    runs_dir, log = workdir / "runs", workdir / "streamlit.log"
    proc, base = start_server(runs_dir, log)
    load_before = os.getloadavg()[0]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                report = _drive(browser, proc, base, runs_dir, minutes, warmup, log, load_before)
            finally:
                browser.close()
    finally:
        exit_code = stop_server(proc)
    # Shutting down is no part of the soak's verdict, but a crash on SIGTERM is worth seeing.
    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
    return {**report, "server_exit_code": exit_code, "server_log_tail": tail}


def _drive(browser, proc, base: str, runs_dir: Path, minutes: float, warmup: float, log: Path,
           load_before: float) -> dict:
    # Start the three runs from one session, as a user would.
    starter, page = open_session(browser, f"{base}/train")
    page.locator(".st-key-start button").first.wait_for(state="visible", timeout=90_000)
    names: list[str] = []
    for dataset, changes in RUNS:
        names.append(start_run(page, dataset, changes, runs_dir))
    starter.close()
    run_dirs = [runs_dir / n for n in names]

    sessions = [open_session(browser, f"{base}/train?run={names[i]}") for i in WATCHED]
    pages = [page for _, page in sessions]
    for page in pages:
        wait_until(lambda page=page: status_step(page) > 0, 60, "a session to show its run")
    watch, samples = Watch(), []
    start = time.monotonic()
    first_steps = [steps_on_disk(d) for d in run_dirs]
    while time.monotonic() - start < warmup + minutes * 60:
        samples.append(sample(proc, pages, run_dirs, start, watch))
        if proc.poll() is not None:
            watch.errors.append(f"the server exited with {proc.returncode}")
            break
        time.sleep(SAMPLE_SECONDS)
    samples.append(sample(proc, pages, run_dirs, start, watch))
    elapsed = time.monotonic() - start
    last_steps = [steps_on_disk(d) for d in run_dirs]

    for name in names:  # stop every run, from a session, as a user would
        try:
            stop_run(pages[0], base, name)
        except Exception as e:  # a run that will not stop is a finding, not a crash of the soak
            watch.errors.append(f"stopping {name}: {type(e).__name__}: {e}")
    for context, _ in sessions:
        context.close()
    server_tracebacks = log.read_text(errors="replace").count("Traceback")
    memory = memory_report(samples, warmup)
    sessions_report = [{"run": names[WATCHED[i]], "status_changes": s["status"], "chart_changes": s["charts"],
                        "last_chart_step": s["last_step"], "status_stall_max_s": s["status_gap_s"],
                        "chart_stall_max_s": s["chart_gap_s"], "status_text": s["text"]}
                       for i, s in enumerate(watch.stats)]
    stalled = [f"{s['run']}: status or chart stood still {max(s['status_stall_max_s'], s['chart_stall_max_s']):.0f} s"
               for s in sessions_report if max(s["status_stall_max_s"], s["chart_stall_max_s"]) > STALL_SECONDS]
    not_training = [f"{n}: no new steps on disk" for n, a, b in zip(names, first_steps, last_steps, strict=True)
                    if b <= a]
    errors = watch.errors + stalled + not_training + ([f"{server_tracebacks} tracebacks in the server log"]
                                                       if server_tracebacks else [])
    return {
        "minutes": minutes, "warmup_s": warmup, "elapsed_s": elapsed, "cpus": os.cpu_count(),
        "load_avg_before": load_before, "load_avg_end": os.getloadavg()[0],
        "errors": len(errors), "error_messages": errors[:10],
        "runs": [{"name": n, "steps_start": a, "steps_end": b, "steps_per_s": (b - a) / elapsed}
                 for n, a, b in zip(names, first_steps, last_steps, strict=True)],
        "steps_trained": sum(last_steps),
        "page_refreshes": sum(s["status_changes"] for s in sessions_report),
        "chart_refreshes": sum(s["chart_changes"] for s in sessions_report),
        "sessions": sessions_report, **memory,
        "bound": (f"server RSS <= {memory['rss_after_warmup_mb']:.0f} MB + {ROW_BYTES} B x steps trained since "
                  f"warm-up + {max(memory['excess_growth_max_mb'], 0.0):.1f} MB"),
    }


def summary(report: dict) -> str:
    lines = [f"{len(report['runs'])} runs, {len(report['sessions'])} browser sessions, {report['warmup_s']:.0f} s "
             f"warm-up + {report['minutes']:g} min: {report['errors']} errors, {report['steps_trained']:,} steps"]
    lines += [f"  {r['name']}: {r['steps_end']:,} steps ({r['steps_per_s']:.0f}/s while watched)"
              for r in report["runs"]]
    lines += [f"  session on {s['run']}: {s['status_changes']} status / {s['chart_changes']} chart refreshes, "
              f"longest stall {max(s['status_stall_max_s'], s['chart_stall_max_s']):.1f} s" for s in report["sessions"]]
    lines += [f"server RSS: {report['rss_after_warmup_mb']:.0f} MB after warm-up, {report['rss_end_mb']:.0f} MB at "
              f"the end, {report['rss_max_mb']:.0f} MB max; slope {report['slope_mb_per_min']:.2f} MB/min "
              f"({report['excess_slope_mb_per_min']:.2f} beyond the expected metrics growth of "
              f"{report['expected_growth_mb']:.1f} MB)", f"bound: {report['bound']}"]
    return "\n".join(lines + report["error_messages"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0, help="soak time after the warm-up")
    p.add_argument("--warmup", type=float, default=60.0, help="seconds before memory is judged")
    p.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = p.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="soak-browser-") as tmp:
        report = run_soak(args.minutes, args.warmup, Path(tmp))
    print(summary(report), flush=True)
    if args.json:
        print(json.dumps(report), flush=True)
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
