"""Refreshing a panel from the kernel's own event loop.

Training runs on the Runner's background thread; the widgets must be changed from the kernel's main thread, because
ipykernel 7 drops widget messages sent from other threads (ipywidgets#4001, ipykernel#1450). So a panel never
hears from the training thread: an asyncio task on the kernel's running loop reads the runner's snapshot every
`seconds` and redraws what changed. Outside a kernel (a script, a test) there is no running loop and no task:
call `panel.refresh()` yourself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Poller:
    """Calls `tick()` every `seconds` (a fixed rate) on the running event loop while `active()` says so, then once
    more (so the last state is drawn) and ends; `start()` again after a command that makes it active."""

    def __init__(self, tick: Callable[[], None], active: Callable[[], bool], seconds: float = 1.0):
        self.tick, self.active, self.seconds = tick, active, seconds
        self.ticks = 0  # how many times tick() ran: the refresh rate a benchmark reads
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start the task on the running loop (once); False when there is none (not inside a kernel)."""
        if self.running:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._task = loop.create_task(self._loop())
        return True

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _loop(self) -> None:
        # A fixed rate: a tick's own time counts in its period (a 1 s poll with 30 ms redraws is 1 a second, not
        # 0.97); after a tick that overran its period the next waits a whole one, rather than redraws bunching.
        loop = asyncio.get_running_loop()
        due = loop.time()
        while self.active():
            self._tick()
            due += self.seconds
            if due <= loop.time():
                due = loop.time() + self.seconds
            await asyncio.sleep(due - loop.time())
        self._tick()

    def _tick(self) -> None:
        self.tick()  # an exception ends the task; asyncio reports it in the kernel's log
        self.ticks += 1
