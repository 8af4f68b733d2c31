"""What readers see of a run: an immutable Snapshot, published by the runner's thread a few times a second,
and the small records it carries (toy summaries, modes covered, milestones reached).

A Snapshot costs no copy to take: its metrics are a view of rows the worker never writes again (recorder.py),
and its frames are built on demand. Pages, notebooks and the CLI poll snapshots; none waits for training.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import numpy as np
import pandas as pd

from explorer.game.config import TrainConfig
from explorer.runs.recorder import COLUMNS
from explorer.runs.state import RunState


@dataclass(frozen=True, slots=True)
class ToyPoint:
    """The toy view's summary at one sampled step (Snapshot.toy_history)."""

    step: int
    d_on_data: float  # mean D(x) over the data; 1/2 at the optimum
    js: float  # Jensen-Shannon divergence estimate between p_data and p_g, in nats
    value: float  # C(G) = -log 4 + 2 JSD: the game's value with D at its optimum D*


@dataclass(frozen=True, slots=True)
class ModesPoint:
    """Modes of a 2D mixture covered by G at one sampled step (Snapshot.modes_history)."""

    step: int
    modes_covered: int


P = TypeVar("P")  # a sampled view's summary


class SampledHistory(Generic[P]):
    """The summaries of a run's sampled views (ToyPoint, ModesPoint), bounded however long it trains, as its
    metrics rows are (recorder.py): the newest `tail` all, and before them every `stride`-th from the first on, the
    stride doubling whenever they pass `older`, so what is kept stays evenly spread over the run. Unbounded, a toy
    sampled 2.4 times a second kept 26 KB more a minute, and each sample copied all of it into its snapshot."""

    def __init__(self, older: int = 2_048, tail: int = 1_024):
        self._older: list[tuple[int, P]] = []  # (index among all points appended, point)
        self._tail: deque[tuple[int, P]] = deque()
        self._max_older, self._max_tail = older, tail
        self._stride, self._appended = 1, 0

    def append(self, point: P) -> tuple[P, ...]:
        """Add the newest point; what is kept, oldest first, for the snapshot."""
        self._tail.append((self._appended, point))
        self._appended += 1
        if len(self._tail) > self._max_tail:
            leaving = self._tail.popleft()
            if leaving[0] % self._stride == 0:
                self._older.append(leaving)
            if len(self._older) > self._max_older:
                self._stride *= 2
                self._older = [kept for kept in self._older if kept[0] % self._stride == 0]
        return tuple(point for _, point in self._older) + tuple(point for _, point in self._tail)


@dataclass(frozen=True, slots=True)
class MilestoneHit:
    """A watched milestone reached (Snapshot.milestones): where, which, and what it measured."""

    step: int
    name: str
    message: str


class Watch(Protocol):
    """What Runner.watch takes (tours.Milestone is one): a name, and a pure test of a snapshot that returns
    what it saw (a short message) once the milestone is reached after step `since`, else None. It runs in the
    worker after each publish, so it may only read the snapshot's small records and last rows."""

    name: str

    def __call__(self, snap: Snapshot, since: int) -> str | None: ...


def _records_frame(records: tuple, kind: type) -> pd.DataFrame:
    """One row per record, one column per field (in field order), also when there are no records yet."""
    names = [f.name for f in fields(kind)]
    row = attrgetter(*names)  # a tuple of the fields, without dataclasses.asdict's deep copy
    return pd.DataFrame([row(r) for r in records], columns=names)


@dataclass(frozen=True)
class Snapshot:
    """A consistent, read-only copy of a run's state. `metrics` is built on demand from an array view
    that the worker never writes again, so taking a snapshot costs no copy."""

    name: str
    run_dir: Path | None
    config: TrainConfig
    state: RunState  # what the run does and which commands act (a state given as its code becomes the member)
    step: int
    steps_per_s: float
    elapsed: float
    device: str
    lr_d: float
    lr_g: float
    k: int
    # (rows, len(COLUMNS)): one row per step, except that a long run's older steps are held as means of consecutive
    # steps (recorder.MEMORY_ROWS); the run folder's metrics.csv holds every step.
    metrics_array: np.ndarray = field(repr=False)
    samples: np.ndarray | None = field(default=None, repr=False)  # uint8 grid (H, W, 3) from the fixed z
    samples_step: int = 0
    toy: object | None = field(default=None, repr=False)  # toy.Toy1DView / Toy2DView
    toy_history: tuple[ToyPoint, ...] = ()  # one per sampled step on toys
    modes_history: tuple[ModesPoint, ...] = ()  # one per sampled step on 2D mixture toys
    # Read-only {"step": ..., metric: value} rows every cfg.eval_interval steps. Mappings, not a record type:
    # the metric names depend on the dataset (quick_metrics) and the rows round-trip through evals.csv.
    eval_history: tuple[Mapping[str, float], ...] = ()
    error: str | None = None  # why the run diverged, failed, or paused on a failed write
    warning: str | None = None  # a sign of trouble while it lasts (D winning), the run going on
    # A watched milestone (Runner.watch) that was reached: its message ("D on data = 0.52 ... at step 1,250"),
    # the step it paused at, and every milestone reached so far (a chart marks them).
    milestone: str | None = None
    milestone_step: int = 0
    milestones: tuple[MilestoneHit, ...] = ()
    version: int = 0  # increases with every publish

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", RunState(self.state))  # an unknown code fails here, naming itself

    @property
    def metrics(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.metrics_array, columns=list(COLUMNS))
        frame["step"] = frame["step"].astype(np.int64)
        return frame

    @property
    def toy_frame(self) -> pd.DataFrame:
        """toy_history with columns step, d_on_data, js, value."""
        return _records_frame(self.toy_history, ToyPoint)

    @property
    def modes_frame(self) -> pd.DataFrame:
        """modes_history with columns step, modes_covered."""
        return _records_frame(self.modes_history, ModesPoint)

    @property
    def eval_frame(self) -> pd.DataFrame:
        """eval_history with columns step and the dataset's metrics."""
        return pd.DataFrame(list(self.eval_history))

    @property
    def alive(self) -> bool:
        """The run may still train (RunState.alive)."""
        return self.state.alive

    @property
    def halted(self) -> bool:
        """Held by trouble a person must see to: diverged, or paused on a write that failed (free some space, then
        Resume). Nothing trains until then, so a headless loop (Runner.wait) stops waiting."""
        return self.state is RunState.DIVERGED or (self.state is RunState.PAUSED and bool(self.error))


def ended_or_halted(snap: Snapshot) -> bool:
    """Where a headless run stops waiting (Runner.wait's rule): it ended, or it is held by trouble that only a
    person can clear."""
    return snap.state.ended or snap.halted
