"""One trial: an ordinary run trained by a `Runner` in the sweep's folder, then scored. Knows nothing of Ray
(launch.py calls it inside a Ray worker; tests call it directly)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from explorer.runs import run_folder
from explorer.runs.runner import Runner
from explorer.runs.snapshot import Snapshot, ended_or_halted
from explorer.runs.state import RunState
from explorer.sweeps.spec import Trial
from explorer.sweeps.sweep_folder import clean_row


def _runner_for(run_dir: Path, trial: Trial) -> Runner:
    """The trial's Runner: going on from its last checkpoint when an interrupted attempt left one, else a fresh
    run. An attempt that stopped before its first checkpoint left only files of steps that will be trained
    again: they are removed so the metrics are not written twice."""
    if run_dir.is_dir():
        if run_folder.latest_checkpoint(run_dir) is not None:
            return Runner.open(run_dir)
        shutil.rmtree(run_dir)
    return Runner(trial.config, runs_dir=run_dir.parent, name=trial.name)


def final_figures(runner: Runner) -> dict[str, float]:
    """The trial's figures at its last step (sweep_folder.figure_labels): the toy view's JS and D on data; each
    applicable metric's figures on samples of G (or its average): modes covered on the mixtures (VEEGAN's 2,500
    samples), Frechet distance, score and classes on 1,000 for image data sets with a classifier."""
    from explorer.metrics.protocol import quick_metrics
    from explorer.metrics.registry import figure_columns

    t = runner.trainer
    if t is None:
        return {}
    real = t.dataset.x[:1000] if t.dataset.kind == "image" else None
    m = quick_metrics(t.generator_for_eval(), runner.cfg, real, t.dataset.modes, t.dataset.mode_std)
    figures = {k: v for k, v in m.items() if k in figure_columns()}
    if t.dataset.kind != "image":
        from explorer.metrics.toy import toy_summary

        toy = toy_summary(t)
        return {"js": toy["js_estimate"], "d_on_data": toy["d_on_data"], **figures}
    snap = runner.snapshot()
    metrics = snap.metrics
    out = figures
    if len(metrics):  # D(x) on the last minibatch: D's own view of the data, as the Train page plots it
        out["d_on_data"] = float(metrics["d_x"].iloc[-1])
    return out


def _scored(snap: Snapshot) -> bool:
    """Where a trial that is only scored stops waiting: its models are built and it holds paused (or it ended or
    halted, as any trial)."""
    return ended_or_halted(snap) or snap.state is RunState.PAUSED


def run_trial(trial: Trial, sweep_dir: Path, report: Callable[[int], None] | None = None,
              poll_seconds: float = 0.5) -> dict:
    """Train the trial to its last step (or its divergence) and return its results row. Never raises for a
    trial that fails: the row's state is "failed" and its error says why ("interrupted" if it was stopped
    from outside before its last step: such a row is not recorded, and resuming the sweep goes on with it)."""
    run_dir = Path(sweep_dir) / trial.name
    started = time.perf_counter()
    row = {"trial": trial.index, "run": trial.name, **trial.params, "seed": trial.seed, "step": 0}
    runner = None
    try:
        runner = _runner_for(run_dir, trial)
        first_step = runner.snapshot().step
        # A trial whose last checkpoint is its last step (the sweep stopped before recording it) is only
        # scored: started paused, so not one step more is trained.
        scored_only = first_step >= trial.config.steps
        runner.start(paused=scored_only)
        ended = runner.wait(on_progress=None if report is None else lambda s: report(s.step), poll=poll_seconds,
                            until=_scored if scored_only else ended_or_halted)
        runner.stop()
        snap = ended if ended.state is RunState.DIVERGED else runner.snapshot()  # once stopped it says "stopped"
        row["step"] = snap.step
        if snap.state is RunState.DIVERGED:
            row.update(state="diverged", error=snap.error)
        elif snap.state in (RunState.ERROR, RunState.PAUSED):  # failed, or a failed write that Stop did not end
            row.update(state="failed", error=snap.error)
        elif snap.step < trial.config.steps:  # stopped from outside (the sweep interrupted): resumed later
            row.update(state="interrupted", error=f"stopped at step {snap.step} of {trial.config.steps}")
        else:
            row.update(state="finished", **final_figures(runner))
            trained = snap.step - first_step
            row["steps_per_s"] = trained / snap.elapsed if snap.elapsed > 0 and trained > 0 else None
    except Exception as e:  # noqa: BLE001 - a trial's failure is its row, never the sweep's end
        row.update(state="failed", error=f"{type(e).__name__}: {e}")
        if runner is not None:
            runner.stop()
    row["seconds"] = time.perf_counter() - started
    return clean_row(row)
