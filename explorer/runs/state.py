"""What a run is doing, and what each state allows: the one place that decides which commands act, when a run has
ended and when its folder is in use. The engine, the CLI, sweeps, the notebook panel and the pages ask these
properties instead of comparing names; people read `names.label("state", state)`.

A `StrEnum`, so a state is its own code: `snap.state == "finished"` holds, and JSON lines, CSVs and links keep the
same values as before there was an enum.

    ready --start()--> loading --> running <--Pause / Resume--> paused
                                       |--NaN/inf--> diverged --Resume--> running
                                       '--> finished (cfg.steps) | stopped (Stop) | error (a failure)
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    """A Runner's state (Snapshot.state), in the order a run usually passes through them."""

    READY = "ready"  # built (a new config, or a saved run reopened) and not started: start() trains it
    LOADING = "loading"  # started: loading the data, building or restoring the models
    RUNNING = "running"  # training, step after step
    PAUSED = "paused"  # held between two steps: Pause, a Step done, a milestone reached, or a write that failed
    DIVERGED = "diverged"  # held after a NaN/inf loss or exploding gradients, with the last good weights back
    FINISHED = "finished"  # reached cfg.steps; a checkpoint was written
    STOPPED = "stopped"  # ended before cfg.steps: Stop, an interrupted CLI or sweep, the process exiting
    ERROR = "error"  # failed: bad data, out of memory, a bug (Snapshot.error says which)

    @property
    def ended(self) -> bool:
        """Its worker is over: nothing will change it again, it holds no lock, and another Runner may open its
        folder. A diverged run has not ended (it waits, paused, for new settings); a ready one has not started."""
        return self in (RunState.FINISHED, RunState.STOPPED, RunState.ERROR)

    @property
    def alive(self) -> bool:
        """It may still train: not ended, a ready run included (it can be started). A page redraws an alive run on a
        timer and a registry keeps it."""
        return not self.ended

    @property
    def in_use(self) -> bool:
        """Started and not ended: the worker is up, training or held paused with its models built. Its folder
        belongs to this Runner until the run ends (it holds the folder's lock once it writes: a saved run only
        looked at claims it on its first Resume or Step), so nothing else may resume, rename or delete it."""
        return self.alive and self is not RunState.READY

    @property
    def training(self) -> bool:
        """Time alone changes it: the worker trains, or builds the models it will train."""
        return self in (RunState.LOADING, RunState.RUNNING)

    @property
    def can_start(self) -> bool:
        """Runner.start() trains it: it was built and never started."""
        return self is RunState.READY

    @property
    def can_pause(self) -> bool:
        """Pause holds it after the current step (while loading: it starts paused)."""
        return self.training

    @property
    def can_resume(self) -> bool:
        """Resume trains it on, with any lr or k changed meanwhile: a paused or diverged run, or a ready one (which
        Resume starts)."""
        return self in (RunState.READY, RunState.PAUSED, RunState.DIVERGED)

    @property
    def can_step(self) -> bool:
        """Step runs exactly n more steps and holds it paused again: the same states as Resume (a person walks a
        class through the game between two pauses)."""
        return self.can_resume

    @property
    def can_stop(self) -> bool:
        """Stop ends it with a checkpoint: any run whose worker is up (a ready run has nothing to stop)."""
        return self.in_use

    @property
    def can_change_config(self) -> bool:
        """lr_d, lr_g and k sent now change this run: applied between two steps (a ready run's when it starts).
        The rest of a run's config is fixed for its life; a form keeps it for the next run."""
        return self.alive
