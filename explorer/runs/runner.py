"""A Trainer on a background thread, driven by commands and read through immutable snapshots.

The worker thread never touches a UI. It publishes a `Snapshot` (under a lock) a few times a second;
readers get the latest one without waiting for training. A NaN/inf loss or exploding gradients restore the
last good weights, pause the run and say what diverged (see health.py); Resume continues with whatever
settings were changed meanwhile. A write that fails (a full disk) pauses the run with everything still in
memory; Resume writes what is owed. One process trains a run folder at a time (run_folder.lock_run).

After each step the worker runs the periodic jobs that are due, each under its own name and rule (see
`_Hooks`): publish a snapshot, append metrics.csv, sample, record a replay frame, evaluate, checkpoint, finish. The
live view samples by time (what a page can show); the recording is on multiples of sample_interval, so a replay's
frames are evenly spaced and the same for the same config (replay.py reads them back). Everything besides the step
is kept small or batched (measured by `python -m explorer bench`, docs/benchmarks.md): one host sync per publish,
metrics appended to disk about once a second, the good weights refreshed in place every few seconds.

The parts it drives, one job each: snapshot.py (what readers see), recorder.py (what the run writes, and what a
failed write owes), recovery.py (the health watch and the last good weights), registry.py (RunRegistry and the
exit hook that stops started runs; re-exported here, as are the snapshot's records and COLUMNS).
"""

from __future__ import annotations

import atexit
import copy
import math
import shutil
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from explorer.game.config import ConfigError, TrainConfig
from explorer.game.data import DataUnavailableError
from explorer.game.datasets import load_dataset
from explorer.game.device import device_label, pick_device
from explorer.game.models import Discriminator, Generator
from explorer.game.trainer import Trainer
from explorer.plots.images import image_grid
from explorer.runs import run_folder
from explorer.runs.recorder import COLUMNS, Recorder
from explorer.runs.recovery import Recovery
from explorer.runs.run_folder import CheckpointError, RunFileError, RunFolder
from explorer.runs.snapshot import (
    MilestoneHit,
    ModesPoint,
    SampledHistory,
    Snapshot,
    ToyPoint,
    Watch,
    ended_or_halted,
)
from explorer.runs.state import RunState

# Failures whose message already says what happened and what to do: no traceback in the server's log.
EXPECTED_FAILURES = (DataUnavailableError, CheckpointError, RunFileError, ConfigError, OSError)
# How often the rows published meanwhile are appended to metrics.csv (and how late a reader of the file, not of
# the snapshot, sees them). Each append costs ~2 ms of pandas on the training thread; at every publish (4 a
# second) that was 0.3-0.6% of an MNIST run's time. A run killed in between loses only rows after its last
# checkpoint, which a resumed run trains again anyway.
WRITE_SECONDS = 1.0
# How often the weights the run would go back to on divergence are refreshed (copied in place: recovery.py).
GOOD_SECONDS = 5.0


# ---------------------------------------------------------------------------------- hooks and their due rules
# Each rule is a comparison or two on plain ints/floats: they run after every step, so they must cost
# nothing next to the step and never touch a tensor (no host sync).
@dataclass(slots=True)
class _EverySeconds:
    """Due once `seconds` of wall-clock time have passed since the job last ran."""

    seconds: float
    last_time: float

    def due(self, now: float) -> bool:
        return now - self.last_time >= self.seconds

    def ran(self, now: float) -> None:
        self.last_time = now


@dataclass(slots=True)
class _EveryStepsAtMostEverySeconds:
    """Due once `steps` steps AND `seconds` seconds have passed since the job last ran: a slow run samples
    by steps, a fast one by time (the page cannot show more than a few grids a second anyway)."""

    steps: int
    seconds: float
    last_step: int
    last_time: float

    def due(self, step: int, now: float) -> bool:
        return step - self.last_step >= self.steps and now - self.last_time >= self.seconds

    def ran(self, step: int, now: float) -> None:
        self.last_step, self.last_time = step, now


@dataclass(frozen=True, slots=True)
class _OnMultiplesOf:
    """Due at steps that are multiples of `every` (0: never). Multiples, not "N steps since the last run",
    so a resumed run or one restored after divergence lands on the same steps."""

    every: int

    def due(self, step: int) -> bool:
        return self.every > 0 and step % self.every == 0


@dataclass(frozen=True, slots=True)
class _AtStep:
    """Due once the step count reaches `step` (0: never, the run goes on until stopped)."""

    step: int

    def due(self, step: int) -> bool:
        return self.step > 0 and step >= self.step


@dataclass(slots=True)
class _Hooks:
    """The jobs run after a step (Lightning's on_train_batch_end, one name per job), each with its own rule.
    Named attributes, not a list of callbacks: publishing gates the rest (a diverged publish restores the
    weights, so nothing may evaluate or save the bad ones) and sampling rides along in the publish."""

    publish: _EverySeconds  # drain metrics, check them for NaN/inf, publish a snapshot
    write: _EverySeconds  # ... and append the rows not yet on disk to metrics.csv (every publish that ends a run,
    # pauses it or precedes a checkpoint writes too, so a checkpoint never runs ahead of metrics.csv)
    sample: _EveryStepsAtMostEverySeconds  # add a sample grid / toy view to that publish
    record: _OnMultiplesOf  # ... and save it as a replay frame (never when not saving)
    evaluate: _OnMultiplesOf  # quick_metrics on 1,000 samples
    checkpoint: _OnMultiplesOf  # a checkpoint on disk (never when not saving)
    finish: _AtStep  # cfg.steps reached

    @classmethod
    def for_run(cls, runner: Runner, step: int, now: float) -> _Hooks:
        cfg = runner.cfg
        return cls(publish=_EverySeconds(runner.publish_seconds, now),
                   write=_EverySeconds(runner.write_seconds, now),
                   sample=_EveryStepsAtMostEverySeconds(cfg.sample_interval, runner.sample_seconds, step, now),
                   record=_OnMultiplesOf(cfg.sample_interval if runner.save else 0),
                   evaluate=_OnMultiplesOf(cfg.eval_interval),
                   checkpoint=_OnMultiplesOf(cfg.checkpoint_interval if runner.save else 0),
                   finish=_AtStep(cfg.steps))


class Runner:
    """Start, pause, resume, stop, step once; change lr and k while running; read `snapshot()`."""

    def __init__(self, cfg: TrainConfig, *, runs_dir: str | Path | None = None, name: str | None = None,
                 save: bool = True, run_dir: Path | None = None, publish_seconds: float = 0.25,
                 sample_seconds: float = 0.4):
        self.cfg = cfg
        self.save = save
        self.run_dir = run_dir
        self._made_run_dir = save and run_dir is None  # a run that fails before its first step leaves nothing
        if self._made_run_dir:
            self.run_dir = run_folder.new_run_dir(run_folder.resolve_runs_dir(runs_dir), cfg, name)
        self.name = self.run_dir.name if self.run_dir else (name or f"{cfg.dataset}-unsaved")
        self.publish_seconds, self.sample_seconds = publish_seconds, sample_seconds
        self.write_seconds = WRITE_SECONDS
        self.trainer: Trainer | None = None
        self._lock = threading.Lock()
        self._step_lock = threading.Lock()  # held during each step: copy_models() waits for a step boundary
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._paused = False
        self._step_budget = 0  # steps to run while paused (Step button)
        self._pending: dict[str, float] = {}
        self._watch: tuple[Watch, int] | None = None  # (milestone, the step it was set at): see watch()
        # What the run writes, and the lock that lets it: held from start() (or the first Resume/Step) to the end.
        self._recorder = Recorder(self.run_dir if save else None)
        self._truncate_owed = False  # claimed after the trainer was built: drop what lies past its checkpoint
        self._opened: tuple[Path, int, dict] | None = None  # (file, mtime_ns, state) of the checkpoint open() read
        self._recovery: Recovery | None = None  # made with the trainer, from the config it trains with
        self._toy_history: SampledHistory[ToyPoint] = SampledHistory()
        self._modes_history: SampledHistory[ModesPoint] = SampledHistory()
        self._rate_marks: deque[tuple[float, int, int]] = deque()
        self._pauses = 0  # counted, so the steps/s window never spans one
        self._thread: threading.Thread | None = None
        self._elapsed = 0.0
        self._snap = Snapshot(self.name, self.run_dir, cfg, RunState.READY, 0, 0.0, 0.0, "", cfg.lr_d, cfg.lr_g, cfg.k,
                              self._recorder.metrics.view())

    # ------------------------------------------------------------------------------ opening
    @classmethod
    def open(cls, run_dir: str | Path, changes: Mapping[str, Any] | None = None, **kwargs) -> Runner:
        """Reopen a run folder (e.g. after the process died); `start()` resumes from its last checkpoint.
        `changes` (TrainConfig fields, e.g. {"steps": 5000}) apply to the saved config before the snapshot is made,
        so it shows the new config; ConfigError for an unknown field or a bad value. Writing the changed config to
        the folder is the caller's, once it holds the folder (cli.py). Each file is read once: the checkpoint's
        state is kept for start(), which builds the models from it."""
        folder = RunFolder(run_dir)
        cfg = folder.read_config()
        if changes:
            cfg = TrainConfig.from_dict({**cfg.to_dict(), **changes})
        runner = cls(cfg, run_dir=folder.path, **kwargs)
        ckpt = folder.latest_checkpoint()
        if ckpt is not None:
            modified = ckpt.stat().st_mtime_ns
            runner._opened = (ckpt, modified, run_folder.load_checkpoint(ckpt))  # damaged: a clear error now
            step = run_folder.checkpoint_step(ckpt)
            runner._recorder.load(folder, step)
            runner._snap = replace(runner._snap, step=step, metrics_array=runner._recorder.metrics.view(),
                                   eval_history=tuple(runner._recorder.evals))
        return runner

    def _checkpoint_state(self, device: str | torch.device) -> dict | None:
        """The state of the run's latest checkpoint, for _build: the one open() read while it is still the latest
        (taken once: it is not kept after), else read now (a Runner not made by open(), or a folder trained on
        elsewhere since)."""
        opened, self._opened = self._opened, None
        ckpt = RunFolder(self.run_dir).latest_checkpoint() if self.run_dir else None
        if ckpt is None:
            return None
        if opened is not None and opened[0] == ckpt and opened[1] == ckpt.stat().st_mtime_ns:
            return opened[2]
        return run_folder.load_checkpoint(ckpt, map_location=device)

    # ------------------------------------------------------------------------------ commands
    def start(self, paused: bool = False) -> Runner:
        """Train on a background thread; raises RunLockedError if another process trains this run folder.
        A reopened run started paused is only looked at: it builds its models from the checkpoint, writes nothing
        and takes no lock (a CLI may resume it meanwhile) until its first Resume or Step claims the folder."""
        if self._thread is not None:
            return self
        if not (paused and self.save and not self._made_run_dir):
            self.claim()
        self._paused = paused
        self._set(state=RunState.LOADING)
        _STARTED.add(self)
        self._thread = threading.Thread(target=self._worker, name=f"train-{self.name}", daemon=True)
        self._thread.start()
        return self

    def claim(self) -> None:
        """Take the run folder's lock (once): a second writer gets RunLockedError, before it writes anything.
        A run that was only looked at is refused too when its folder was trained on meanwhile (by a CLI, say):
        going on from the older weights here would overwrite that work."""
        t = self.trainer
        if self._recorder.claim(self.name, None if t is None else t.step_count) and t is not None:
            self._truncate_owed = True

    @property
    def writes(self) -> bool:
        """Whether this Runner writes to its run folder: only the holder of its lock does."""
        return self._recorder.writes

    def pause(self) -> None:
        self._paused = True
        self._wake.set()

    def resume(self) -> None:
        """Go on training; RunLockedError when a run that was only looked at cannot claim its folder."""
        self.claim()
        if self._snap.state.in_use:  # a ready run is started instead (start())
            self._paused = False
            self._wake.set()

    def step_once(self, n: int = 1) -> None:
        """While paused, run exactly n more steps (for walking a class through the game); RunLockedError as
        for resume()."""
        self.claim()
        self._paused = True
        with self._lock:
            self._step_budget += max(1, int(n))
        self._wake.set()

    def stop(self, wait: bool = True, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if wait and self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None, on_progress: Callable[[Snapshot], None] | None = None,
             poll: float = 0.2, until: Callable[[Snapshot], bool] | None = None) -> Snapshot:
        """Block until the run trains no more by itself and return the snapshot that said so: the one loop that
        trains a run headless (the CLI's train, a sweep trial, a script). By default that is when it ended or halted
        (`ended_or_halted`: nobody is there to press Resume); `until` sets another rule (a sweep trial that is only
        scored also stops once paused). Every `poll` seconds `on_progress` gets the latest snapshot (a progress
        bar). After `timeout` seconds it returns the snapshot of that moment, the rule not met.
        It never stops the run, and Ctrl-C reaches the caller: the caller stops it. Keep the snapshot returned to
        tell why it ended (a diverged run, once stopped, reads "stopped")."""
        if poll <= 0:
            raise ValueError(f"poll={poll!r} is not allowed: seconds between two looks, > 0")
        if self.snapshot().state.can_start:
            raise RuntimeError(f"run {self.name} was never started: call start() before wait()")
        done = until or ended_or_halted
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            snap = self.snapshot()
            if on_progress is not None:
                on_progress(snap)
            if done(snap):
                return snap
            if deadline is not None and time.monotonic() >= deadline:
                return snap
            time.sleep(poll if deadline is None else min(poll, max(0.0, deadline - time.monotonic())))

    def set_learning_rates(self, lr_d: float | None = None, lr_g: float | None = None) -> None:
        for name, v in (("lr_d", lr_d), ("lr_g", lr_g)):
            if v is not None:
                if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                    raise ValueError(f"{name}={v!r} is not allowed: a positive number")
                with self._lock:
                    self._pending[name] = float(v)
        self._wake.set()

    def set_k(self, k: int) -> None:
        if int(k) < 1:
            raise ValueError(f"k={k!r} is not allowed: an integer >= 1")
        with self._lock:
            self._pending["k"] = int(k)
        self._wake.set()

    def watch(self, milestone: Watch | None) -> None:
        """Pause the run by itself once `milestone` is reached (a guided tour's step; None: watch nothing).
        Only what happens after this call counts; the snapshot's `milestone` is cleared until the next hit."""
        with self._lock:
            self._watch = None if milestone is None else (milestone, self._snap.step)
            self._snap = replace(self._snap, milestone=None, version=self._snap.version + 1)

    def copy_models(self) -> tuple[Generator, Discriminator]:
        """Eval-mode CPU copies of G (its weight average when the run keeps one) and D taken between two
        steps, for pages that sample or probe a live run (the trainer's own modules would race with training).
        On the CPU like `load_models`' models: their users feed them CPU tensors, wherever the run trains."""
        if self.trainer is None:
            raise RuntimeError(f"run {self.name} has not built its models yet (state: {self._snap.state})")
        with self._step_lock:
            G, D = copy.deepcopy(self.trainer.generator_for_eval()), copy.deepcopy(self.trainer.D)
        return G.cpu().eval(), D.cpu().eval()

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snap

    # ------------------------------------------------------------------------------ worker
    def _set(self, **changes) -> None:
        with self._lock:
            self._snap = replace(self._snap, version=self._snap.version + 1, **changes)

    def _build(self) -> Trainer:
        device = pick_device(self.cfg.device)
        dataset = load_dataset(self.cfg, device=device)
        trainer = Trainer(self.cfg, dataset, device)
        state = self._checkpoint_state(device)
        if state is not None:
            trainer.load_state_dict(state)
        if self.run_dir is not None and self.writes:
            self._truncate_past(trainer.step_count)
        return trainer

    def _truncate_past(self, step: int) -> None:
        """What was recorded after the checkpoint is trained again: drop it (Recorder.truncate_past)."""
        self._recorder.truncate_past(step)
        self._truncate_owed = False

    def _worker(self) -> None:
        try:
            t = self._on_start()
            hooks = _Hooks.for_run(self, t.step_count, time.perf_counter())
            finished = False
            while not finished and not self._stop.is_set():
                try:
                    finished = self._iteration(t, hooks)
                except OSError as e:  # a full disk: pause with everything in memory, retry on Resume
                    self._write_failed(e)
            self._on_end(finished)
        except Exception as e:  # bad data, out of memory, a bug: say it, keep the app alive
            self._failed(failure_message(e, self.cfg))
            if not isinstance(e, EXPECTED_FAILURES) and not _out_of_memory(e):
                traceback.print_exc()  # a bug: the server log keeps the details for a bug report
        finally:
            self._recorder.release()

    def _iteration(self, t: Trainer, hooks: _Hooks) -> bool:
        """Apply commands, then (unless paused) one step and the jobs due after it; True when finished."""
        self._apply_pending()
        if self._truncate_owed:  # claimed by a Resume or Step after the models were built
            self._truncate_past(t.step_count)
        if self._wait_while_paused():
            return False
        stepping = self._train_step(t)
        return self._on_step_end(hooks, stepping)

    def _write_failed(self, e: OSError) -> None:
        self._paused = True
        self._recorder.write_failed()
        self._set(state=RunState.PAUSED, error=f"Could not write to the run folder: {e.strerror or e} "
                                        f"({e.filename or self.run_dir}). Nothing already on disk was replaced "
                                        f"and the run is paused with everything in memory: free some space, then "
                                        f"resume it (Resume on the Train page, or train --resume RUN_DIR).")

    def _failed(self, message: str) -> None:
        """The error state; a run this Runner created that never got its models loses its folder again, so
        a missing data set or a bad setting leaves no empty run behind."""
        run_dir = self.run_dir
        if self._made_run_dir and self.trainer is None and run_dir is not None:
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir = None
        self._set(state=RunState.ERROR, error=message, run_dir=run_dir)

    def _on_start(self) -> Trainer:
        """Build (or restore) the trainer and publish a first snapshot with samples."""
        self.trainer = t = self._build()
        self._recovery = Recovery(self.cfg)
        self._set(device=device_label(t.device), step=t.step_count, lr_d=t.lr_d, lr_g=t.lr_g, k=t.k)
        self._recovery.remember(t)
        self._publish(samples=True, record=t.step_count % self.cfg.sample_interval == 0)  # step 0: G untrained
        self._set(state=RunState.PAUSED if self._paused else RunState.RUNNING)
        return t

    def _wait_while_paused(self) -> bool:
        """True while paused with no Step budget: publish once on entering the pause, then wait for a command.
        Otherwise make sure the state says "running" (a Step from a pause leaves it "paused")."""
        if self._paused and self._step_budget == 0:
            if self._snap.state is RunState.RUNNING:
                if self._publish(samples=True):  # False: diverged, and that state must stay visible
                    self._set(state=RunState.PAUSED)
                self._pauses += 1
            self._wake.wait(0.1)
            self._wake.clear()
            return True
        if self._snap.state is not RunState.RUNNING and not self._paused:
            self._set(state=RunState.RUNNING, error=None)
        return False

    def _train_step(self, t: Trainer) -> bool:
        """One Trainer.step() between two step boundaries; True when it spent the Step button's budget."""
        t0 = time.perf_counter()
        with self._step_lock:
            t.step()
        self._elapsed += time.perf_counter() - t0
        stepping = self._step_budget > 0
        if stepping:
            with self._lock:
                self._step_budget -= 1
        return stepping

    def _on_step_end(self, hooks: _Hooks, stepping: bool) -> bool:
        """Run the jobs that are due after this step, in order; True when the run reached cfg.steps."""
        step, now = self.trainer.step_count, time.perf_counter()
        finished = hooks.finish.due(step)
        record = finished or hooks.record.due(step)  # the last step is recorded too: a replay ends where the run did
        samples = stepping or record or hooks.sample.due(step, now)  # a Step and the last step show samples
        if samples or hooks.publish.due(now):
            write = finished or stepping or hooks.write.due(now)
            if not self._publish(samples=samples, record=record, write=write):
                return False  # diverged: paused with the good weights back, so nothing runs on the bad ones
            hooks.publish.ran(now)
            if samples:
                hooks.sample.ran(step, now)
            if write:
                hooks.write.ran(now)
        if hooks.evaluate.due(step):
            self._evaluate()
        if hooks.checkpoint.due(step) or self._recorder.checkpoint_owed:
            # Metrics on disk first: a run killed after this checkpoint resumes from it with no gap in
            # metrics.csv; and the weights saved have passed the health checks up to this step.
            if not self._publish():
                return False
            self._checkpoint()
        return finished

    def _on_end(self, finished: bool) -> None:
        """A checkpoint at the end either way; a stopped run first publishes what it had not yet."""
        if not finished:
            self._publish(samples=True, record=True)
        self._recorder.write_metrics()  # the checkpoint never runs ahead of metrics.csv
        self._checkpoint()
        self._set(state=RunState.FINISHED if finished else RunState.STOPPED)

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        t = self.trainer
        t.set_learning_rates(pending.get("lr_d"), pending.get("lr_g"))
        if "k" in pending:
            t.set_k(int(pending["k"]))
        self._set(lr_d=t.lr_d, lr_g=t.lr_g, k=t.k)

    def _publish(self, samples: bool = False, record: bool = False, write: bool = True) -> bool:
        """Drain metrics (one host sync), check them, publish a new snapshot (with samples, saved as a replay
        frame when `record`) and, when `write`, append what is not yet on disk. Returns False when the losses
        diverged (the run is then paused with its good weights back)."""
        t = self.trainer
        rows = t.drain()  # (n_new, len(METRICS)) float32
        n_new = len(rows)
        changes: dict = {}
        if n_new:
            first = t.step_count - n_new + 1
            alarm = self._recovery.check(rows, first)
            if alarm is not None and alarm.stops_run:
                self._diverged(alarm.message)
                return False
            changes["warning"] = alarm.message if alarm is not None else None
            rate = self._rate(t.step_count)
            block = np.empty((n_new, len(COLUMNS)))  # (n_new, len(COLUMNS)): step, METRICS, samples_per_s
            block[:, 0] = np.arange(first, first + n_new)
            block[:, 1:-1] = rows
            block[:, -1] = rate * t.cfg.batch_size * (t.k + 1)
            self._recorder.add_rows(block)
            if self._recovery.older_than(GOOD_SECONDS):
                self._recovery.remember(t)
        else:
            rate = self._snap.steps_per_s
        if write:
            self._recorder.write_metrics()  # also what a failed write still owes
        changes.update(step=t.step_count, steps_per_s=rate, elapsed=self._elapsed,
                       metrics_array=self._recorder.metrics.view())
        if samples:
            changes.update(self._samples(record=record and self.save))
        self._set(**changes)
        self._check_watch()
        return True

    def _check_watch(self) -> None:
        """After a publish or an evaluation: a watched milestone (see watch()) that the new snapshot reaches
        pauses the run before its next step and says what it saw. Costs one predicate on small records."""
        with self._lock:
            watch, snap = self._watch, self._snap
        if watch is None:
            return
        milestone, since = watch
        message = milestone(snap, since)
        if message is None:
            return
        with self._lock:
            if self._watch is not watch:  # a new watch was set meanwhile: that one counts
                return
            self._watch = None
        self._paused = True
        step = self.trainer.step_count  # an evaluation runs ahead of the last publish: its own step counts
        self._set(milestone=message, milestone_step=step,
                  milestones=(*snap.milestones, MilestoneHit(step, milestone.name, message)))

    def _rate(self, step: int, window: float = 3.0) -> float:
        """Steps per wall-clock second over the last few seconds of running (pauses excluded)."""
        now = time.perf_counter()
        marks = self._rate_marks
        if marks and marks[-1][2] != self._pauses:  # a pause in between: start the window again
            marks.clear()
        marks.append((now, step, self._pauses))
        while len(marks) > 2 and now - marks[1][0] >= window:
            marks.popleft()
        (t0, s0, _), (t1, s1, _) = marks[0], marks[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 and s1 > s0 else self._snap.steps_per_s

    def _samples(self, record: bool = False) -> dict:
        """The live view's samples (a grid, or the toy view), saved as a replay frame when `record`."""
        t = self.trainer
        if t.dataset.kind == "image":
            grid = image_grid(t.sample())
            if record:
                self._recorder.save_grid(t.step_count, grid)
            return dict(samples=grid, samples_step=t.step_count)
        from explorer.metrics.toy import toy1d_view, toy2d_view

        view = toy1d_view(t) if t.dataset.kind == "toy1d" else toy2d_view(t)
        if record:
            self._recorder.save_toy(t.step_count, view)
        toy_history = self._toy_history.append(ToyPoint(t.step_count, view.d_on_data, view.js, view.value))
        out = dict(toy=view, samples_step=t.step_count, toy_history=toy_history)
        if getattr(view, "modes_covered", None) is not None:
            out["modes_history"] = self._modes_history.append(ModesPoint(t.step_count, view.modes_covered))
        return out

    def _evaluate(self) -> None:
        """Sampled metrics every eval_interval steps, on a copy of G or its weight average (the trainer's G
        stays in train mode)."""
        from explorer.metrics.protocol import quick_metrics

        t = self.trainer
        self._recorder.add_eval({"step": t.step_count,
                                 **quick_metrics(copy.deepcopy(t.generator_for_eval()), self.cfg, t.dataset.x[:1000],
                                                 t.dataset.modes, t.dataset.mode_std)})
        self._set(eval_history=tuple(self._recorder.evals))
        self._check_watch()
        self._recorder.write_evals()

    def _diverged(self, what: str) -> None:
        """Put the last good weights back, drop the metrics recorded since, pause, and say why."""
        t = self.trainer
        lr_d, lr_g, k = t.lr_d, t.lr_g, t.k  # kept by the restore: any settings the user changed since
        good_step = self._recovery.restore(t)
        self._recorder.rewind(good_step)
        self._paused = True
        message = (f"{what} Now: lr_d={lr_d:g}, lr_g={lr_g:g}, k={k}, {self.cfg.optimizer}. The weights were "
                   f"restored to step {good_step} and the run is paused: change the settings, then press Resume.")
        self._set(state=RunState.DIVERGED, error=message, warning=None, step=good_step,
                  metrics_array=self._recorder.metrics.view(), **self._samples())

    def _checkpoint(self) -> None:
        if self.trainer is not None:
            self._recorder.checkpoint(self.trainer.state_dict())


def _out_of_memory(e: BaseException) -> bool:
    return isinstance(e, (torch.cuda.OutOfMemoryError, MemoryError)) or (
        isinstance(e, RuntimeError) and ("out of memory" in str(e) or "can't allocate memory" in str(e)))


def failure_message(e: BaseException, cfg: TrainConfig) -> str:
    """What a failed run says: the error's own message where it is written for the user, a suggestion for
    running out of memory, the exception's type and text for anything else (a bug)."""
    if _out_of_memory(e):
        where = "GPU memory" if isinstance(e, torch.cuda.OutOfMemoryError) or "CUDA" in str(e) else "memory"
        return (f"Out of {where} with batch_size={cfg.batch_size}, g_hidden={cfg.g_hidden or 'auto'}, "
                f"d_hidden={cfg.d_hidden or 'auto'}: start again with a smaller batch size or narrower networks "
                f"(or on the CPU). Other runs are not affected.")
    if isinstance(e, OSError) and not isinstance(e, FileNotFoundError):
        return (f"Could not write to the run folder: {e.strerror or e} ({e.filename or ''}). The last "
                f"checkpoint on disk is intact: free some space and resume the run from it.")
    return f"{type(e).__name__}: {e}"


# Every started Runner is stopped when the process exits (the server stopped with Ctrl-C or SIGTERM, a notebook
# kernel shut down): each writes its checkpoint, and no training thread is still inside torch when the interpreter
# tears down (that aborted the process: "terminate called without an active exception").
_STARTED: weakref.WeakSet[Runner] = weakref.WeakSet()


@atexit.register
def _stop_runs_at_exit() -> None:
    for runner in list(_STARTED):
        runner.stop(wait=True, timeout=30.0)
