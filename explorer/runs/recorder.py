"""What a run writes to its folder while it trains, and what it still owes after a write failed.

The Recorder keeps the metrics rows (a growing array that snapshots view without a copy, its older rows thinned to a
bound: MEMORY_ROWS) and the in-training evaluations, appends to the run folder what is not on disk yet, saves replay
frames, sample grids and checkpoints, and cuts the folder back after a resume or a divergence. Only the holder of the
folder's lock writes (`claim`): a run that is only looked at records in memory and writes nothing. A write that fails
leaves the rows in memory and the count of rows on disk unchanged, so the next write appends what is owed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from explorer.game.trainer import METRICS
from explorer.runs import run_folder
from explorer.runs.replay import save_toy_frame

COLUMNS = ("step", *METRICS, "samples_per_s")


# The rows a run keeps in memory are bounded, however long it trains: every step of the first HEAD_ROWS (where the
# game moves fastest) and of the newest TAIL_ROWS, and between them the other steps as at most HISTORY_ROWS rows,
# each the mean of about as many consecutive steps (charts smooth over steps, not rows: plots.style.smooth_series).
# metrics.csv keeps every step (Replay and the CLI's exports read it). Thinning happens when the rows pass
# MEMORY_ROWS, and only to rows already on disk. 32,768 rows are 2.4 MB; a toy at 300 steps a second would
# otherwise add 1.3 MB a minute, for as long as it trains.
MEMORY_ROWS = 32_768
HEAD_ROWS = 4_096
TAIL_ROWS = 8_192  # more than any trailing window read from the record (the curves' smoothing, a tour's milestone)
HISTORY_ROWS = 8_192  # many more than a chart draws (a few hundred points)


def thin(rows: np.ndarray, weights: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive rows merged into at most `target` rows, each covering about the same number of steps: a metric is
    the mean over the group's steps (NaN left out), the step is the group's last, the weight its number of steps.
    `rows` (n, columns) with the step first; `weights` (n,), the steps each row stands for."""
    steps_before = np.cumsum(weights) - weights
    group = np.floor(steps_before * (target / max(float(weights.sum()), 1.0))).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(rows)] - 1
    values = rows[:, 1:]
    known = ~np.isnan(values)
    w = np.where(known, weights[:, None].astype(float), 0.0)
    with np.errstate(invalid="ignore"):
        means = np.add.reduceat(np.where(known, values, 0.0) * w, starts) / np.add.reduceat(w, starts)
    return np.column_stack([rows[ends, 0], means]), np.add.reduceat(weights, starts)


class _GrowingArray:
    """Append-only rows; `view()` returns rows [:n] that later appends never modify. `bound()` thins the oldest
    rows into a new buffer (see MEMORY_ROWS); old views keep the old one."""

    def __init__(self, cols: int):
        self._a, self.n = np.zeros((1024, cols)), 0

    def extend(self, rows: np.ndarray) -> None:
        if self.n + len(rows) > len(self._a):
            self._replace(self._a[: self.n], max(2 * len(self._a), self.n + len(rows)))  # old views keep the old
        self._a[self.n: self.n + len(rows)] = rows
        self.n += len(rows)

    def truncate(self, n: int) -> None:
        # Copy, so snapshots already handed out keep their rows.
        self.n = min(self.n, n)
        self._replace(self._a[: self.n], len(self._a))

    def bound(self, settled: int) -> int:
        """Past MEMORY_ROWS, thin the rows after the first HEAD_ROWS (up to the `settled` ones, never the newest
        TAIL_ROWS) to HISTORY_ROWS; returns how many rows fewer there are."""
        end = min(settled, self.n - TAIL_ROWS)
        if self.n <= MEMORY_ROWS or end - HEAD_ROWS <= HISTORY_ROWS:
            return 0
        # A row stands for the steps since the row before it (the record is one row per step until thinned).
        steps_each = np.diff(self._a[HEAD_ROWS - 1: end, 0]).astype(np.int64)
        rows, _ = thin(self._a[HEAD_ROWS:end], steps_each, HISTORY_ROWS)
        fewer = end - HEAD_ROWS - len(rows)
        self._replace(np.concatenate([self._a[:HEAD_ROWS], rows, self._a[end: self.n]]),
                      max(MEMORY_ROWS, self.n - fewer))
        return fewer

    def _replace(self, rows: np.ndarray, size: int) -> None:
        self._a, self.n = np.zeros((size, self._a.shape[1])), len(rows)
        self._a[: self.n] = rows

    def view(self) -> np.ndarray:
        v = self._a[: self.n]
        v.flags.writeable = False
        return v


class Recorder:
    """A run's record: metrics rows and evaluations in memory, and what of them (with frames and checkpoints)
    goes to its folder. `run_dir` None: a run that saves nothing."""

    def __init__(self, run_dir: Path | None):
        self.run_dir = run_dir
        self.metrics = _GrowingArray(len(COLUMNS))
        self.evals: list[Mapping[str, float]] = []  # read-only rows: every later snapshot shares them
        self.checkpoint_owed = False  # a checkpoint write failed: write one as soon as training goes on
        self._rows_on_disk = 0  # rows in memory, from the first, that metrics.csv holds: a failed write owes the rest
        self._evals_on_disk = 0
        self._lock_file = None  # the run folder's lock, held from claim() to release()

    # ------------------------------------------------------------------------------ the one writer
    @property
    def writes(self) -> bool:
        """Whether this record goes to the run folder: only the holder of its lock writes."""
        return self._lock_file is not None

    def claim(self, name: str, trained_to: int | None) -> bool:
        """Take the run folder's lock (once): a second writer gets RunLockedError, before it writes anything.
        `trained_to`: the step of models already built from the folder (a run that was only looked at); it is
        refused when the folder was trained past it meanwhile, since going on from the older weights would
        overwrite that work. True when this call took the lock."""
        if self.run_dir is None or self._lock_file is not None:
            return False
        handle = run_folder.lock_run(self.run_dir)
        if trained_to is not None:
            on_disk = run_folder.RunFolder(self.run_dir).last_checkpoint_step()
            if on_disk > trained_to:
                handle.close()
                raise run_folder.RunLockedError(
                    f"Run {name} was trained on elsewhere while this view was open: its folder is at step "
                    f"{on_disk:,}, this view at {trained_to:,}. Open the run again to go on from there.")
        self._lock_file = handle
        return True

    def release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # ------------------------------------------------------------------------------ reading back
    def load(self, folder: run_folder.RunFolder, step: int) -> None:
        """What the folder recorded up to its checkpoint at `step` (a reopened run goes on from there); rows
        past it are trained again, so they are left out."""
        old = folder.read_metrics()
        if len(old):
            old = old[old["step"] <= step]
            self.metrics.extend(old.reindex(columns=list(COLUMNS)).to_numpy(dtype=float))
            self._rows_on_disk = len(old)
            self._bound()
        evals = folder.read_evals()
        if len(evals):
            rows = evals[evals["step"] <= step].to_dict("records")
            self.evals = [MappingProxyType(row) for row in rows]
            self._evals_on_disk = len(rows)

    # ------------------------------------------------------------------------------ writing
    def add_rows(self, block: np.ndarray) -> None:
        """Rows (n, len(COLUMNS)) drained from the trainer, in memory until the next write_metrics()."""
        self.metrics.extend(block)

    def write_metrics(self) -> None:
        """Append the rows not yet in metrics.csv (all or none: see run_folder.append_metrics)."""
        pending = self.metrics.view()[self._rows_on_disk:]
        if self.writes and len(pending):
            frame = pd.DataFrame(pending, columns=list(COLUMNS))
            frame["step"] = frame["step"].astype(np.int64)
            run_folder.append_metrics(self.run_dir, frame)
            self._rows_on_disk += len(pending)
        self._bound()

    def _bound(self) -> None:
        """Thin the oldest rows in memory once there are too many (MEMORY_ROWS): only rows metrics.csv holds, or
        any, for a run that saves nothing."""
        settled = self._rows_on_disk if self.run_dir is not None else self.metrics.n
        self._rows_on_disk -= min(self._rows_on_disk, self.metrics.bound(settled))

    def add_eval(self, row: dict[str, float]) -> None:
        """An in-training evaluation, kept read-only (every later snapshot shares it) until write_evals()."""
        self.evals.append(MappingProxyType(row))

    def write_evals(self) -> None:
        """Append the evaluations not yet in evals.csv (also those a failed write owes)."""
        if self.writes:
            run_folder.RunFolder(self.run_dir).append_evals(pd.DataFrame(self.evals[self._evals_on_disk:]))
            self._evals_on_disk = len(self.evals)

    def save_grid(self, step: int, grid: np.ndarray) -> None:
        if self.writes:
            run_folder.save_sample_grid(self.run_dir, step, grid)

    def save_toy(self, step: int, view: object) -> None:
        if self.writes:
            save_toy_frame(self.run_dir, step, view)

    def checkpoint(self, state: dict) -> None:
        if self.writes:
            run_folder.save_checkpoint(self.run_dir, state)
        self.checkpoint_owed = False

    def write_failed(self) -> None:
        """A write failed (a full disk): what is in memory stays; a checkpoint is owed as soon as training goes on."""
        self.checkpoint_owed = True

    # ------------------------------------------------------------------------------ cutting back
    def truncate_past(self, step: int) -> None:
        """What the folder recorded after the checkpoint (everything, for a run killed before its first one) is
        trained again: drop it, so the record stays one row per step."""
        if self.writes:
            run_folder.RunFolder(self.run_dir).truncate_after(step)

    def rewind(self, step: int) -> None:
        """Back to `step` after a divergence: the rows and frames recorded since go, in memory and on disk."""
        self.metrics.truncate(int(np.searchsorted(self.metrics.view()[:, 0], step, side="right")))
        if self.writes and self._rows_on_disk > self.metrics.n:
            run_folder.RunFolder(self.run_dir).truncate_metrics(step)
        if self.writes:
            run_folder.RunFolder(self.run_dir).truncate_frames(step)
        self._rows_on_disk = min(self._rows_on_disk, self.metrics.n)
