"""The runs a process holds: RunRegistry (the app's, by name). The exit hook that stops every started run lives
with Runner (runner.py), which registers each run as it starts."""

from __future__ import annotations

import threading
from pathlib import Path

from explorer.game.config import TrainConfig
from explorer.runs import run_folder
from explorer.runs.runner import Runner
from explorer.runs.snapshot import Snapshot


class RunRegistry:
    """Process-wide, thread-safe set of runs (the app keeps one in st.cache_resource)."""

    def __init__(self, runs_dir: str | Path | None = None):
        self.runs_dir = run_folder.resolve_runs_dir(runs_dir)
        self._runs: dict[str, Runner] = {}
        self._lock = threading.Lock()

    def start(self, cfg: TrainConfig, name: str | None = None, paused: bool = False) -> Runner:
        runner = Runner(cfg, runs_dir=self.runs_dir, name=name)
        with self._lock:
            self._runs[runner.name] = runner
        return runner.start(paused=paused)

    def open(self, run_dir: str | Path) -> Runner:
        """A saved run, reopened (not started) and registered; an already-registered one is returned."""
        name = Path(run_dir).name
        with self._lock:
            if name in self._runs:
                return self._runs[name]
        runner = Runner.open(run_dir)
        with self._lock:
            return self._runs.setdefault(name, runner)

    def get(self, name: str) -> Runner | None:
        with self._lock:
            return self._runs.get(name)

    def forget(self, name: str) -> bool:
        """Drop a run that trains no more (finished, stopped, failed, or reopened and never started), so its name
        means its folder as it is on disk now: after a rename or a delete, or to resume it with a fresh Runner.
        A run still training or held paused stays (False)."""
        with self._lock:
            runner = self._runs.get(name)
            if runner is None or runner.snapshot().state.in_use:
                return False
            del self._runs[name]
            return True

    def runners(self) -> list[Runner]:
        with self._lock:
            return list(self._runs.values())

    def active(self) -> list[Runner]:
        return [r for r in self.runners() if r.snapshot().alive]

    def live_snapshots(self) -> dict[str, Snapshot]:
        """Snapshots of the runs this server trains now (or holds paused), by name: their folders are in use, so the
        table shows their state and step, and Resume, Rename and Delete wait until they end."""
        return {s.name: s for s in (r.snapshot() for r in self.runners()) if s.state.in_use}

    def stop_all(self) -> None:
        for r in self.runners():
            r.stop(wait=True)
