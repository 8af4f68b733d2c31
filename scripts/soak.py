"""Engine soak: several runs training at once while reader threads poll them the way the Train page does.

    python scripts/soak.py --minutes 10 --runs 3 --readers 2 [--warmup 60] [--json]

Each reader redraws every run about once a second, as a Train page tab would (snapshot, the three training
charts from the smoothed metrics, the toy figure or the sample grid, each chart serialised as st.plotly_chart
does), and every few seconds copies a run's models and samples G, as the figure pages do. A monitor samples
the process RSS every second and watches every run's step and snapshot version.

Memory: a run keeps its metrics in memory by design (one float64 row per step: step, the 7 metrics and
samples/s, 72 B per step trained) plus a small record per toy sample, so RSS grows with the steps trained
whatever the readers do. The report separates that expected growth from the measured one; what is left
("excess") is what the bound is about: RSS <= RSS after warm-up + 72 B x steps trained since + X MB, with X
measured here. `--warmup` comes before `--minutes`: the runs load their data and build their models first.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import plotly.io
import torch

from explorer.game.config import TOYS, TOYS_1D, TrainConfig
from explorer.game.models import sample_z
from explorer.plots import latent
from explorer.plots import training as plots
from explorer.plots.images import image_grid
from explorer.plots.toys import figure1, gan_lab_figure
from explorer.runs.recorder import COLUMNS
from explorer.runs.runner import Runner
from explorer.runs.snapshot import ModesPoint, Snapshot, ToyPoint

DATASETS = ("toy1d", "ring8", "mnist_subset")  # runs cycle through these: a 1D toy, a 2D toy, an image set
REFRESH_SECONDS = 1.0  # the Train page's live fragment reruns every second
MODELS_SECONDS = 5.0  # how often a reader copies a run's models and samples G (the figure pages)
SMOOTH = 20  # the Train page's default smoothing slider
STALL_SECONDS = 10.0  # a run whose step, or a chart whose last step, stands still longer than this has stalled
ROW_BYTES = 8 * len(COLUMNS)  # one float64 metrics row per step trained
MB = 2**20


# ------------------------------------------------------------------------------------------- runs

def soak_config(dataset: str, seed: int) -> TrainConfig:
    """A run that trains until stopped; the image run is small enough to share two cores with two toys."""
    if dataset in ("mnist_subset", "digits8x8"):
        return TrainConfig.for_dataset(dataset, batch_size=64, g_hidden=256, d_hidden=256, steps=0, seed=seed)
    return TrainConfig.for_dataset(dataset, steps=0, seed=seed)


def start_runs(count: int, runs_dir: Path) -> list[Runner]:
    runners = []
    for i in range(count):
        dataset = DATASETS[i % len(DATASETS)]
        runners.append(Runner(soak_config(dataset, seed=i), runs_dir=runs_dir, name=f"soak-{i}-{dataset}").start())
    return runners


# ---------------------------------------------------------------------------------------- memory

def vm_rss(pid: int | str = "self") -> int | None:
    """A process's resident set size in bytes, from /proc (None where there is no /proc, or it has ended)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith("VmRSS:")), None)


def rss_bytes() -> int:
    """Resident set size now, from /proc; elsewhere the peak so far (getrusage has no current value)."""
    now = vm_rss()
    if now is not None:
        return now
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def _record_bytes(record: object) -> int:
    """A slotted record with its field values, plus its slots in the runner's list and the snapshot's tuple."""
    values = (getattr(record, f.name) for f in fields(record))
    return sys.getsizeof(record) + sum(sys.getsizeof(v) for v in values) + 16


TOY_POINT_BYTES = _record_bytes(ToyPoint(100_000, 0.5, 0.1, -1.2))
MODES_POINT_BYTES = _record_bytes(ModesPoint(100_000, 8))


def metrics_capacity_rows(rows: int) -> int:
    """Rows the runner's growing metrics array has allocated for `rows` (it starts at 1,024 and doubles)."""
    return 1024 << max(0, math.ceil(math.log2(max(rows, 1) / 1024)))


def expected_bytes(runners: list[Runner]) -> int:
    """Memory the runs hold by design: their metrics rows and toy histories (not their allocation slack)."""
    total = 0
    for r in runners:
        s = r.snapshot()
        total += len(s.metrics_array) * ROW_BYTES
        total += len(s.toy_history) * TOY_POINT_BYTES + len(s.modes_history) * MODES_POINT_BYTES
    return total


def slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of y against x (0 with fewer than two distinct x)."""
    if len(set(x)) < 2:
        return 0.0
    return float(np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)[0])


# --------------------------------------------------------------------------------------- readers

@dataclass
class ReaderStats:
    refreshes: dict[str, int] = field(default_factory=dict)  # run name -> page redraws
    model_samples: int = 0
    errors: list[str] = field(default_factory=list)
    refresh_seconds: list[float] = field(default_factory=list)
    models_seconds: list[float] = field(default_factory=list)  # copy_models() waits for a step boundary
    cycle_max: float = 0.0  # longest pass over all runs: a reader starved of CPU sees stale charts too
    chart_last_step: dict[str, int] = field(default_factory=dict)
    chart_changed_at: dict[str, float] = field(default_factory=dict)
    chart_stall_max: dict[str, float] = field(default_factory=dict)  # longest time a run's chart stood still
    sent_bytes_max: int = 0  # the largest redraw, as sent to a browser: must not grow with the run's length


def redraw(snap: Snapshot) -> int:
    """What the Train page's live fragment builds for one snapshot; returns the bytes sent to a browser."""
    metrics = snap.metrics
    figures = [plots.loss_figure(metrics, SMOOTH), plots.d_output_figure(metrics, SMOOTH),
               plots.grad_norm_figure(metrics, SMOOTH)]
    sent = 0
    if snap.toy is not None:
        figures.append(figure1(snap.toy, "p_data, p_g and D(x)", height=300, show_mapping=False, show_d_star=False)
                       if snap.config.dataset in TOYS_1D
                       else gan_lab_figure(snap.toy, height=380, show_gradient=False, title="Real vs generated over D"))
    elif snap.samples is not None:
        sent += image_grid(snap.samples, padding=0, target=360).nbytes
    return sent + sum(len(plotly.io.to_json(fig, validate=False)) for fig in figures)


def sample_models(runner: Runner) -> None:
    """What a figure page does with a live run: copy G and D between two steps, then sample G."""
    G, _ = runner.copy_models()
    with torch.no_grad():
        if runner.cfg.dataset in TOYS:  # a cloud of points
            G(sample_z(1000, G.z_dim, runner.cfg.prior, next(G.parameters()).device))
        else:  # an image set: the latent page's grid
            latent.decode_grid(G, latent.random_z(16, G.z_dim, runner.cfg.prior, 0), nrow=8)


def _note_chart(stats: ReaderStats, name: str, chart_step: int, now: float) -> None:
    """Time between two redraws of a run that showed new steps, from its first drawn step on (building the
    models and loading the data come before that, and are not a stall)."""
    if chart_step > stats.chart_last_step.get(name, 0):
        if name in stats.chart_changed_at:
            gap = now - stats.chart_changed_at[name]
            stats.chart_stall_max[name] = max(stats.chart_stall_max.get(name, 0.0), gap)
        stats.chart_last_step[name] = chart_step
        stats.chart_changed_at[name] = now


def read_loop(runners: list[Runner], offset: int, stats: ReaderStats, stop: threading.Event) -> None:
    """One reader: every run redrawn once per REFRESH_SECONDS, models copied every MODELS_SECONDS."""
    order = runners[offset:] + runners[:offset]  # readers start on different runs
    models_due = {r.name: time.monotonic() + MODELS_SECONDS * (1 + i) / len(order) for i, r in enumerate(order)}
    while not stop.is_set():
        tick = time.monotonic()
        for r in order:
            try:
                t0 = time.perf_counter()
                snap = r.snapshot()
                stats.sent_bytes_max = max(stats.sent_bytes_max, redraw(snap))
                stats.refresh_seconds.append(time.perf_counter() - t0)
                stats.refreshes[r.name] = stats.refreshes.get(r.name, 0) + 1
                chart_step = int(snap.metrics_array[-1, 0]) if len(snap.metrics_array) else 0
                _note_chart(stats, r.name, chart_step, time.monotonic())
                if time.monotonic() >= models_due[r.name] and r.trainer is not None:
                    t0 = time.perf_counter()
                    sample_models(r)
                    stats.models_seconds.append(time.perf_counter() - t0)
                    stats.model_samples += 1
                    models_due[r.name] = time.monotonic() + MODELS_SECONDS
            except Exception as e:  # counted, never fatal: the soak reports every failure
                stats.errors.append(f"{r.name}: {type(e).__name__}: {e}\n{traceback.format_exc(limit=4)}")
        stats.cycle_max = max(stats.cycle_max, time.monotonic() - tick)
        stop.wait(max(0.0, REFRESH_SECONDS - (time.monotonic() - tick)))
    for name in stats.chart_changed_at:  # a chart still standing still at the end counts too
        _note_chart(stats, name, stats.chart_last_step[name] + 1, time.monotonic())


# --------------------------------------------------------------------------------------- monitor

@dataclass
class RunWatch:
    step: int = -1
    version: int = -1
    changed_at: float = 0.0
    stall_max: float = 0.0  # longest time (while running) with no new step or no new snapshot
    bad_states: set[str] = field(default_factory=set)


@dataclass
class Sample:
    t: float  # seconds since the runs started
    rss: int
    refreshes: int
    steps: int
    expected: int
    steps_by_run: tuple[int, ...]


def watch_runs(runners: list[Runner], watches: dict[str, RunWatch], now: float) -> tuple[int, ...]:
    """Update each run's progress record; returns the steps each run has trained so far."""
    steps = []
    for r in runners:
        s, w = r.snapshot(), watches[r.name]
        steps.append(s.step)
        if s.state in ("error", "diverged"):
            w.bad_states.add(f"{s.state}: {s.error}")
        if s.state != "running":  # loading: nothing to count yet
            w.changed_at = now
            continue
        if w.changed_at and (s.step == w.step or s.version == w.version):
            w.stall_max = max(w.stall_max, now - w.changed_at)
        else:
            w.changed_at = now
        w.step, w.version = s.step, s.version
    return tuple(steps)


def monitor(runners: list[Runner], readers: list[ReaderStats], watches: dict[str, RunWatch],
            samples: list[Sample], start: float, stop: threading.Event) -> None:
    while not stop.is_set():
        now = time.monotonic()
        steps = watch_runs(runners, watches, now)
        refreshes = sum(sum(s.refreshes.values()) for s in readers)
        samples.append(Sample(now - start, rss_bytes(), refreshes, sum(steps), expected_bytes(runners), steps))
        stop.wait(1.0)


# --------------------------------------------------------------------------------------- report

def memory_report(samples: list[Sample], warmup: float) -> dict:
    after = [s for s in samples if s.t >= warmup] or samples[-1:]
    warm, end = after[0], after[-1]
    excess = [(s.rss - warm.rss) - (s.expected - warm.expected) for s in after]
    minutes = [s.t / 60 for s in after]
    per_1000 = [s.refreshes / 1000 for s in after]
    return {
        "rss_start_mb": samples[0].rss / MB,
        "rss_after_warmup_mb": warm.rss / MB,
        "rss_end_mb": end.rss / MB,
        "rss_max_mb": max(s.rss for s in samples) / MB,
        "rss_max_after_warmup_mb": max(s.rss for s in after) / MB,
        "expected_growth_mb": (end.expected - warm.expected) / MB,  # metrics rows + toy histories since warm-up
        "excess_growth_end_mb": excess[-1] / MB,
        "excess_growth_max_mb": max(excess) / MB,  # X in the bound
        "slope_mb_per_1000_refreshes": slope(per_1000, [s.rss / MB for s in after]),
        "excess_slope_mb_per_1000_refreshes": slope(per_1000, [e / MB for e in excess]),
        "slope_mb_per_min": slope(minutes, [s.rss / MB for s in after]),
        "excess_slope_mb_per_min": slope(minutes, [e / MB for e in excess]),
        "memory_samples": len(after),
        "rss_mb_every_30s": [round(s.rss / MB, 1) for s in samples[::30]],
    }


def run_report(runners: list[Runner], watches: dict[str, RunWatch], seconds_total: float, warm: Sample) -> list[dict]:
    out = []
    for r, at_warmup in zip(runners, warm.steps_by_run, strict=True):
        s, w = r.snapshot(), watches[r.name]
        out.append({"name": r.name, "dataset": r.cfg.dataset, "steps": s.step, "steps_at_warmup": at_warmup,
                    "steps_per_s": s.step / seconds_total, "final_state": s.state,
                    "versions": s.version, "stall_max_s": w.stall_max, "problems": sorted(w.bad_states),
                    "metrics_rows": len(s.metrics_array),
                    "metrics_allocated_mb": metrics_capacity_rows(len(s.metrics_array)) * ROW_BYTES / MB,
                    "toy_points": len(s.toy_history)})
    return out


def reader_report(readers: list[ReaderStats]) -> dict:
    times = np.asarray([t for s in readers for t in s.refresh_seconds] or [0.0])
    models = np.asarray([t for s in readers for t in s.models_seconds] or [0.0])
    stalls = [v for s in readers for v in s.chart_stall_max.values()]
    by_run: dict[str, float] = {}
    for s in readers:
        for name, v in s.chart_stall_max.items():
            by_run[name] = max(by_run.get(name, 0.0), v)
    return {
        "refreshes_total": sum(sum(s.refreshes.values()) for s in readers),
        "refreshes_per_reader": [sum(s.refreshes.values()) for s in readers],
        "refreshes_min_per_reader_run": min((n for s in readers for n in s.refreshes.values()), default=0),
        "charts_updated_per_reader_run": [len(s.chart_changed_at) for s in readers],
        "chart_stall_max_s": max(stalls, default=0.0),
        "chart_stall_max_s_by_run": by_run,
        "reader_cycle_max_s": max(s.cycle_max for s in readers),
        "models_ms_median": float(np.median(models) * 1000),
        "models_ms_max": float(models.max() * 1000),
        "refresh_ms_median": float(np.median(times) * 1000),
        "refresh_ms_p95": float(np.percentile(times, 95) * 1000),
        "refresh_ms_max": float(times.max() * 1000),
        "model_samples": sum(s.model_samples for s in readers),
        "redraw_kb_max": max(s.sent_bytes_max for s in readers) / 1024,
    }


# ----------------------------------------------------------------------------------------- soak

def soak(runs: int, readers: int, seconds: float, runs_dir: Path, warmup: float) -> dict:
    """Train `runs` runs while `readers` page-like readers poll them for `warmup` + `seconds` seconds; memory
    is judged after the warm-up. Every run is stopped before this returns. The figures, as one dict."""
    runs_dir = Path(runs_dir)
    load_before = os.getloadavg()[0]
    start = time.monotonic()
    runners = start_runs(runs, runs_dir)
    stop = threading.Event()
    stats = [ReaderStats() for _ in range(readers)]
    watches = {r.name: RunWatch() for r in runners}
    samples: list[Sample] = []
    threads = [threading.Thread(target=read_loop, args=(runners, i % runs, stats[i], stop), name=f"reader-{i}",
                                daemon=True) for i in range(readers)]
    threads.append(threading.Thread(target=monitor, args=(runners, stats, watches, samples, start, stop),
                                    name="soak-monitor", daemon=True))
    try:
        for t in threads:
            t.start()
        stop.wait(warmup + seconds)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        for r in runners:
            r.stop(wait=True, timeout=60)
    elapsed = time.monotonic() - start
    warm = next((s for s in samples if s.t >= warmup), samples[-1])
    run_rows = run_report(runners, watches, elapsed, warm)
    reader_errors = [e for s in stats for e in s.errors]
    run_problems = [f"{row['name']}: {p}" for row in run_rows for p in row["problems"]]
    not_stopped = [f"{row['name']}: ended {row['final_state']}" for row in run_rows if row["final_state"] != "stopped"]
    memory = memory_report(samples, warmup)
    readers_out = reader_report(stats)
    stalls = [f"{row['name']}: no new step for {row['stall_max_s']:.1f} s" for row in run_rows
              if row["stall_max_s"] > STALL_SECONDS]
    stalls += [f"{name}: a reader's charts stood still {gap:.1f} s"
               for name, gap in readers_out["chart_stall_max_s_by_run"].items() if gap > STALL_SECONDS]
    steps = sum(row["steps"] for row in run_rows)
    return {
        "runs": runs, "readers": readers, "warmup_s": warmup, "soak_s": seconds, "elapsed_s": elapsed,
        "cpus": os.cpu_count(), "load_avg_before": load_before, "load_avg_end": os.getloadavg()[0],
        "errors": len(reader_errors) + len(run_problems) + len(not_stopped),
        "error_messages": (reader_errors + run_problems + not_stopped)[:10],
        "stalls": stalls,  # runs or charts that stood still longer than STALL_SECONDS
        "steps_trained": steps, "steps_since_warmup": steps - warm.steps,
        "run_stall_max_s": max(row["stall_max_s"] for row in run_rows),
        **readers_out, **memory,
        "bound": (f"RSS <= {memory['rss_after_warmup_mb']:.0f} MB + {ROW_BYTES} B x steps trained since warm-up "
                  f"+ {max(memory['excess_growth_max_mb'], 0.0):.1f} MB"),
        "per_run": run_rows,
    }


def summary(report: dict) -> str:
    lines = [f"{report['runs']} runs, {report['readers']} readers, {report['warmup_s']:.0f} s warm-up + "
             f"{report['soak_s']:.0f} s: {report['errors']} errors, {report['steps_trained']:,} steps trained"]
    for row in report["per_run"]:
        lines.append(f"  {row['name']}: {row['steps']:,} steps ({row['steps_per_s']:.0f}/s), {row['final_state']}, "
                     f"longest stall {row['stall_max_s']:.1f} s")
    lines += [f"refreshes: {report['refreshes_per_reader']} per reader (median {report['refresh_ms_median']:.0f} ms, "
              f"max {report['refresh_ms_max']:.0f} ms); longest chart stall {report['chart_stall_max_s']:.1f} s",
              f"RSS: {report['rss_after_warmup_mb']:.0f} MB after warm-up, {report['rss_end_mb']:.0f} MB at the end, "
              f"{report['rss_max_mb']:.0f} MB max; expected growth {report['expected_growth_mb']:.1f} MB, "
              f"excess {report['excess_growth_end_mb']:.1f} MB at the end ({report['excess_growth_max_mb']:.1f} max)",
              f"slope: {report['slope_mb_per_1000_refreshes']:.2f} MB per 1,000 refreshes "
              f"({report['excess_slope_mb_per_1000_refreshes']:.2f} beyond the expected growth)",
              f"bound: {report['bound']}"]
    return "\n".join(lines + report["error_messages"] + report["stalls"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0, help="soak time after the warm-up")
    p.add_argument("--warmup", type=float, default=60.0, help="seconds before memory is judged")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--readers", type=int, default=2)
    p.add_argument("--runs-dir", default=None, help="where the runs are saved (default: a temporary folder)")
    p.add_argument("--json", action="store_true", help="end with the figures as one JSON line")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        report = soak(args.runs, args.readers, args.minutes * 60, Path(args.runs_dir or tmp), args.warmup)
    print(summary(report), flush=True)
    if args.json:
        print(json.dumps(report), flush=True)
    return 0 if report["errors"] == 0 and not report["stalls"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
