"""Where training runs: the device `auto` picks, its label for people, and the CPU thread count.

On the CPU the fastest thread count depends on the model and on what else the machine is doing, so
`ThreadTuner` measures the candidates while training instead of guessing once.
"""

from __future__ import annotations

import os
import statistics
import time

import torch

from explorer.game.config import TrainConfig

# cuBLAS reads this once, when a process first uses it: set before any CUDA work so that a reproducible run
# (below) can ask for deterministic cuBLAS. It only caps cuBLAS's scratch space; a user's own value wins.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def set_cuda_determinism(on: bool) -> None:
    """PyTorch's deterministic mode on CUDA for `reproducible` runs: deterministic cuDNN kernels, no kernel
    autotuning, and deterministic algorithms wherever PyTorch has them (a warning names any op that has
    none). Process-wide in PyTorch, so the last run started in a process sets it for all its CUDA runs."""
    torch.backends.cudnn.deterministic = on
    torch.backends.cudnn.benchmark = not on
    torch.use_deterministic_algorithms(on, warn_only=True)


def pick_device(name: str = "auto") -> torch.device:
    """CUDA when available, then MPS, else CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' but no CUDA GPU is visible; use device='auto' or 'cpu'")
    return torch.device(name)


DEFAULT_THREADS = torch.get_num_threads()
THREADS_ENV = "GAN_EXPLORER_THREADS"  # a fixed CPU thread count (no tuning), e.g. for benchmarks


def cpu_thread_candidates(cfg: TrainConfig) -> tuple[int, ...]:
    """Thread counts the engine may use on the CPU, the preferred one first.

    Toys are too small for intra-op threads: one thread is ~5x faster than two on them. Image models use
    one thread per core on an idle machine; but when other processes keep the cores busy, the threads of
    each parallel matrix product wait for one another and one thread can be several times faster, so
    `ThreadTuner` measures both while training, unless the config asks for a reproducible run (the default).
    $GAN_EXPLORER_THREADS fixes the count.
    """
    fixed = os.environ.get(THREADS_ENV, "").strip()
    if fixed:
        return (max(1, int(fixed)),)
    if cfg.family == "toy" or DEFAULT_THREADS == 1:
        return (1,)
    if cfg.reproducible:  # some kernels (batch norm's reductions) round differently on another thread count
        return (DEFAULT_THREADS,)
    return (DEFAULT_THREADS, 1)


class ThreadTuner:
    """Picks the CPU thread count that steps fastest now: after a short warm-up, and again later, it times
    alternating blocks of steps at each candidate (`block` steps, or fewer once `block_s` seconds have
    passed) and keeps the fastest. A candidate 1.5x slower than the best after one pass is not timed again
    in that tuning (on a busy machine one step on two threads can take 50x longer), and while the choice
    stays the same the interval between tunings doubles from `every_s` up to `max_every_s`. Only the speed
    changes, never the maths (results may differ in the last bits, as with any thread count). With no
    candidates (not on the CPU) it does nothing."""

    def __init__(self, candidates: tuple[int, ...], block: int = 6, block_s: float = 0.2, repeats: int = 2,
                 every_s: float = 20.0, max_every_s: float = 160.0, warmup_steps: int = 2):
        self.candidates, self.block, self.block_s = tuple(candidates), block, block_s
        self.repeats, self.every_s, self.max_every_s = repeats, every_s, max_every_s
        self._interval = every_s
        self.threads = self.candidates[0] if self.candidates else 0
        self.history: list[dict[int, float]] = []  # mean seconds per step of each candidate, per tuning
        self._warmup, self._next = warmup_steps, 0.0
        self._plan: list[int] = []  # candidates still to time in this tuning, one per block
        self._times: dict[int, list[float]] = {}
        self._block: list[float] = []
        self._t0 = 0.0

    def start(self) -> None:
        """At the start of a step: use this step's thread count (another trainer in this thread may have
        changed it)."""
        if self.candidates:
            want = self._plan[0] if self._plan else self.threads
            if torch.get_num_threads() != want:
                torch.set_num_threads(want)
            self._t0 = time.perf_counter()

    def stop(self) -> None:
        """At the end of a step: time it (only the step itself, never a pause between steps)."""
        if len(self.candidates) < 2:
            return
        now = time.perf_counter()
        if self._warmup > 0:
            self._warmup -= 1
        elif not self._plan:
            if now >= self._next:  # start a tuning: the next step opens the first block
                self._plan, self._times, self._block = list(self.candidates) * self.repeats, {}, []
        else:
            self._block.append(now - self._t0)
            if len(self._block) >= self.block or sum(self._block) >= self.block_s:
                self._times.setdefault(self._plan.pop(0), []).append(statistics.fmean(self._block))
                self._block = []
                if len(self._times) == len(self.candidates):  # after each pass: drop clear losers
                    best = min(statistics.fmean(t) for t in self._times.values())
                    self._plan = [c for c in self._plan if statistics.fmean(self._times[c]) < 1.5 * best]
                    if len(set(self._plan)) < 2:
                        self._plan = []
                if not self._plan:  # done: keep the fastest
                    means = {c: statistics.fmean(t) for c, t in self._times.items()}
                    self.history.append(means)
                    choice = min(means, key=means.get)
                    self._interval = (min(2 * self._interval, self.max_every_s) if choice == self.threads
                                      else self.every_s)
                    self.threads = choice
                    self._next = now + self._interval


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    return f"CPU ({os.cpu_count()} cores)" if device.type == "cpu" else device.type.upper()
