"""A sweep on disk: a folder under RUNS/sweeps/ (the bundled one under assets/demo_sweeps/):

    sweep.json        the SweepSpec (enough to resume the sweep from this folder alone)
    results.csv       one row per trial that ended: its grid values, seed, state and final figures
    progress.json     written by the process driving the sweep: trials done, steps of those training
    .lock             held (flock) by that process while it drives the sweep
    SWEEP-00-.../     each trial's run folder, an ordinary run (Runs page, replay, evaluate work on it)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from explorer import names
from explorer.metrics.registry import figure_columns
from explorer.runs import run_folder
from explorer.runs.run_folder import (
    LOCK_FILE,
    SWEEPS_SUBDIR,
    RunLockedError,
    atomic_write_text,
    lock_run,
    make_unique_dir,
    sanitize_run_name,
)
from explorer.sweeps.spec import SweepSpec, SweepSpecError

SPEC_FILE, RESULTS_FILE, PROGRESS_FILE = "sweep.json", "results.csv", "progress.json"

# The final figures a trial reports beside its metrics' (figure_labels()), with what a person reads: a toy's view of the
# game first, the speed last. Lower is better for the JS divergence.
TOY_FIGURES = {"js": "JS divergence (nats)", "d_on_data": "mean D(x) on data"}
SPEED_FIGURES = {"steps_per_s": "steps/s"}
STATES = ("finished", "diverged", "failed")


def figure_labels() -> dict[str, str]:
    """{column: what a person reads} of every final figure a trial may report: the toy's, then each metric's
    (explorer.metrics.registry, as registered now), then the speed; a data set fills the ones that apply to it."""
    return {**TOY_FIGURES, **{c: names.label("metric", c) for c in figure_columns()}, **SPEED_FIGURES}


def lower_is_better(figure: str) -> bool:
    """Whether a lower value of this figure is better: the heatmap's colour scale is turned so that "good" reads
    the same everywhere."""
    spec = figure_columns().get(figure)
    return figure == "js" or (spec is not None and spec.better == "lower")


def sweeps_dir(runs_dir: str | os.PathLike) -> Path:
    return Path(runs_dir) / SWEEPS_SUBDIR


def create_sweep(runs_dir: str | os.PathLike, spec: SweepSpec) -> tuple[Path, SweepSpec]:
    """A new sweep folder named after the spec (made unique: the spec's name then follows the folder's, since
    trial names start with it). Every trial's config is checked first: a bad one writes nothing."""
    spec.trials()
    path = make_unique_dir(sweeps_dir(runs_dir), sanitize_run_name(spec.name))
    if path.name != spec.name:
        spec = dataclasses.replace(spec, name=path.name)
    atomic_write_text(path / SPEC_FILE, spec.to_json())
    return path, spec


def read_spec(sweep_dir: str | os.PathLike) -> SweepSpec:
    path = Path(sweep_dir) / SPEC_FILE
    if not path.is_file():
        raise SweepSpecError(f"{sweep_dir} is not a sweep folder (no {SPEC_FILE})")
    try:
        spec = SweepSpec.from_json(path.read_text())
    except UnicodeDecodeError as e:
        raise SweepSpecError(f"{path} is damaged ({e})") from None
    except SweepSpecError as e:
        raise SweepSpecError(f"{path} is damaged: {e}") from None
    if spec.name != Path(sweep_dir).name:
        # Trial folders are named after the spec: a renamed sweep folder would not find its trials.
        raise SweepSpecError(f"{path} names the sweep {spec.name!r} but its folder is {Path(sweep_dir).name!r}: "
                             f"rename the folder back to {spec.name!r}")
    return spec


# ------------------------------------------------------------------------------ results

def result_columns(spec: SweepSpec) -> list[str]:
    return ["trial", "run", "state", *spec.axes, "seed", "step", *figure_labels(), "seconds", "error"]


def read_results(sweep_dir: str | os.PathLike, spec: SweepSpec | None = None) -> pd.DataFrame:
    """results.csv as a frame with the spec's columns (empty if no trial has ended yet)."""
    spec = spec or read_spec(sweep_dir)
    path = Path(sweep_dir) / RESULTS_FILE
    columns = result_columns(spec)
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame(columns=columns)
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"error": str, "run": str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise SweepSpecError(f"{path} is damaged ({e}): delete it and resume the sweep to score every trial "
                             f"again (their run folders are kept)") from None
    missing = [c for c in ("trial", "run", "state") if c not in frame.columns]
    if missing:
        raise SweepSpecError(f"{path} has no {', '.join(missing)} column: delete it and resume the sweep")
    return frame.reindex(columns=columns)


def write_results(sweep_dir: str | os.PathLike, spec: SweepSpec, rows: list[dict]) -> None:
    """All rows, in trial order, written at once (a reader sees the old table or the new, never half)."""
    frame = pd.DataFrame(sorted(rows, key=lambda r: r["trial"]), columns=result_columns(spec))
    atomic_write_text(Path(sweep_dir) / RESULTS_FILE, frame.to_csv(index=False))


def clean_row(row: dict) -> dict:
    """Floats rounded to what a table shows and NaN as empty, so the same sweep writes the same bytes."""
    out = {}
    for k, v in row.items():
        if isinstance(v, float):
            v = None if not math.isfinite(v) else round(v, 6)
        out[k] = v
    return out


# ------------------------------------------------------------------------------ progress

def write_progress(sweep_dir: str | os.PathLike, **progress) -> None:
    atomic_write_text(Path(sweep_dir) / PROGRESS_FILE,
                      json.dumps({**progress, "pid": os.getpid(), "updated": time.time()}))


def read_progress(sweep_dir: str | os.PathLike) -> dict:
    """progress.json, or {} if there is none (or it is not readable: it is rewritten every second)."""
    try:
        data = json.loads((Path(sweep_dir) / PROGRESS_FILE).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def lock_sweep(sweep_dir: str | os.PathLike):
    """Hold the sweep's lock (one process drives a sweep); RunLockedError if another does."""
    try:
        return lock_run(Path(sweep_dir))
    except RunLockedError:
        raise RunLockedError(f"another process is running the sweep in {sweep_dir}: wait for it, or stop it "
                             f"first") from None


def is_running(sweep_dir: str | os.PathLike) -> bool:
    """True while a process holds the sweep's lock."""
    if not (Path(sweep_dir) / LOCK_FILE).exists():  # lock_run's file, here on the sweep folder
        return False
    try:
        handle = lock_run(Path(sweep_dir))
    except RunLockedError:
        return True
    except OSError:  # a read-only folder (the bundled sweep): nobody runs it
        return False
    handle.close()
    return False


# ------------------------------------------------------------------------------ listing

@dataclass(frozen=True)
class SweepInfo:
    path: Path
    name: str
    spec: SweepSpec | None
    n_trials: int
    n_ended: int
    running: bool
    demo: bool
    modified: float
    error: str | None = None


def list_sweeps(runs_dir: str | os.PathLike, demo_dir: Path | None = None) -> list[SweepInfo]:
    """The user's sweeps, newest first, then the bundled ones (in demo_dir, by default run_folder.DEMO_SWEEPS_DIR)
    whose name no sweep of the user's has; a damaged sweep carries its error."""
    demo_dir = run_folder.DEMO_SWEEPS_DIR if demo_dir is None else demo_dir
    out = []
    for parent, demo in ((sweeps_dir(runs_dir), False), (demo_dir, True)):
        if parent is None or not Path(parent).is_dir():
            continue
        found = []
        for path in Path(parent).iterdir():
            if not (path / SPEC_FILE).is_file():
                continue
            try:
                spec = read_spec(path)
                n_ended = len(read_results(path, spec))
                found.append(SweepInfo(path, path.name, spec, spec.n_trials(), n_ended,
                                       not demo and is_running(path), demo, path.stat().st_mtime))
            except SweepSpecError as e:
                found.append(SweepInfo(path, path.name, None, 0, 0, False, demo, path.stat().st_mtime, str(e)))
        mine = {s.name for s in out}  # the user's, listed first: a bundled one of the same name is hidden by it
        out += sorted((s for s in found if not demo or s.name not in mine), key=lambda s: s.modified, reverse=True)
    return out
