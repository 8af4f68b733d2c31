"""Measure what two lessons claim, headless, for seeds 0, 1 and 2: `python scripts/measure_lessons.py [PART ...]`.

- `comparisons`: each Side by side comparison (explorer.lessons.presets.SIDE_BY_SIDE) on a data set (--dataset,
  toy1d by default), both sides trained from the same seed as the page trains them: G's gradient norm and mean
  D(G(z)) over the first --early steps, JS (nats) at --early steps and at the end, and how far D is from the
  optimal D* (mean |D - D*| where the densities have mass) over the first --early steps.
- `figure1-tour`: the Figure 1 tour played as the page plays it; at each milestone, where D(x) lies where the
  densities have mass and over the whole plotted axis.

Prints markdown tables (the figures in docs/results.md come from here). A toy run of 3,000 steps takes 10-30 s
on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from explorer.lessons.presets import SIDE_BY_SIDE, side_by_side
from explorer.lessons.tours import TOURS, begin_step
from explorer.metrics.toy import Toy1DView
from explorer.runs.replay import Recording
from explorer.runs.runner import Runner

SEEDS = (0, 1, 2)


def train(cfg, runs_dir: Path) -> Recording:
    """Train `cfg` to its end (frames every sample_interval steps) and read the run back."""
    runner = Runner(cfg, runs_dir=runs_dir, sample_seconds=0.0).start()
    snap = runner.wait()  # finished, or failed or diverged: then nobody is here to press Resume
    runner.stop()
    if snap.state != "finished":
        raise SystemExit(f"{cfg.loss} / k={cfg.k} / {cfg.optimizer} seed {cfg.seed}: {snap.state} {snap.error}")
    return Recording.open(snap.run_dir)


def d_star_gap(view: Toy1DView) -> float:
    """Mean |D(x) - D*(x)| weighted by p_data + p_g (as the k tour's milestone measures it)."""
    weight = view.p_data + view.p_g
    return float(np.sum(np.abs(view.d - view.d_star) * weight) / max(float(np.sum(weight)), 1e-12))


def d_range(view: Toy1DView, mass: float = 0.01) -> tuple[float, float, float, float]:
    """(min, max) of D(x) where p_data + p_g is above `mass` of its peak, then (min, max) over the whole axis."""
    weight = view.p_data + view.p_g
    where = weight > mass * weight.max()
    return float(view.d[where].min()), float(view.d[where].max()), float(view.d.min()), float(view.d.max())


def side_figures(rec: Recording, early: int) -> dict[str, float]:
    m = rec.metrics
    first = m[m["step"] <= early]
    history = rec.toy_history
    out = {"grad_g": float(first["grad_norm_g"].mean()), "d_g_z": float(first["d_g_z"].mean()),
           "js_early": float(history.loc[(history["step"] - early).abs().idxmin(), "js"]),
           "js_end": float(history["js"].iloc[-1])}
    if rec.config.dataset.startswith("toy1d"):
        gaps = [d_star_gap(view) for step, view in (rec.frame_at(s) for s, _ in rec.frames) if 0 < step <= early]
        out["gap"] = float(np.mean(gaps))
    return out


def comparisons(dataset: str, steps: int, early: int, runs_dir: Path, only: list[str] | None = None) -> None:
    print(f"\n### Side by side on {dataset}, {steps:,} steps (the first {early} steps: 'early')\n")
    print("| comparison | side | seed | G grad norm, early | D(G(z)), early | JS at step "
          f"{early} | JS at the end | mean abs(D - D*), early |")
    print("|---|---|---|---|---|---|---|---|")
    for name in only or SIDE_BY_SIDE:
        for seed in SEEDS:
            for label, cfg in side_by_side(name, dataset, seed, steps):
                f = side_figures(train(cfg, runs_dir), early)
                print(f"| {name} | {label.split(':')[0]} | {seed} | {f['grad_g']:.3g} | {f['d_g_z']:.3f} | "
                      f"{f['js_early']:.3f} | {f['js_end']:.3f} | {f.get('gap', float('nan')):.3f} |", flush=True)


def figure1_tour(runs_dir: Path) -> None:
    """The tour as the page plays it: start paused, watch the step's milestone, resume; at each pause, D's range."""
    tour = TOURS["figure1"]
    print("\n### The Figure 1 tour at its milestones\n")
    print("| seed | step: milestone | at step | D(x) where p_data + p_g has mass | D(x) over the axis |")
    print("|---|---|---|---|---|")
    for seed in SEEDS:
        runner = Runner(tour.config.replace(seed=seed), runs_dir=runs_dir, sample_seconds=0.0)
        runner.start(paused=True)
        try:
            for i, step in enumerate(tour.steps):
                while runner.snapshot().state == "loading":
                    runner.join(0.02)
                begin_step(runner, step)
                runner.resume()
                while not (runner.snapshot().state == "paused" and runner.snapshot().milestone):
                    if not runner.snapshot().alive:
                        raise SystemExit(f"seed {seed} step {i + 1}: {runner.snapshot().state}")
                    runner.join(0.05)
                snap = runner.snapshot()
                lo, hi, axis_lo, axis_hi = d_range(snap.toy)
                print(f"| {seed} | {i + 1}: {step.milestone.name} | {snap.milestone_step:,} | {lo:.2f}-{hi:.2f} | "
                      f"{axis_lo:.2f}-{axis_hi:.2f} |", flush=True)
        finally:
            runner.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=("comparisons", "figure1-tour"),
                        default=["comparisons", "figure1-tour"])
    parser.add_argument("--dataset", default="toy1d", help="the Side by side data set (default toy1d)")
    parser.add_argument("--steps", type=int, default=3000, help="steps a side (the page's default, 3,000)")
    parser.add_argument("--only", action="append", choices=list(SIDE_BY_SIDE), help="just this comparison")
    parser.add_argument("--early", type=int, default=300, help="the early window, in steps (default 300)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="measure-lessons-") as tmp:
        if "comparisons" in args.parts:
            comparisons(args.dataset, args.steps, args.early, Path(tmp), args.only)
        if "figure1-tour" in args.parts:
            figure1_tour(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
