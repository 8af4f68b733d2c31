"""`python -m explorer bench`: the engine against a conventional PyTorch GAN loop, in one process.

The conventional loop is written the usual way (PyTorch-GAN's gan.py): a torchvision MNIST data set object,
a DataLoader with ToTensor + Normalize((0.5,), (0.5,)), shuffle, Adam(2e-4, betas (0.5, 0.999)), G's update
then D's on the same fake batch, and `.item()` logging every step. Both sides train the same networks
(`build_models` of the 'mlp' family) with the same batch size on the same images.

The user's path is timed too: the engine inside a `Runner` (what `python -m explorer train` and the app run),
saving to a temporary runs folder as the CLI does, against the bare `Trainer` on the same config.

Timing: every variant is warmed up, then timed windows alternate (baseline, engine, engine, ..., baseline,
...) over several rounds, so a machine whose load drifts affects every variant alike. Ratios are taken per
round (engine window / the baseline window of the same round; runner window / the bare trainer's window)
and reported as median [min-max].
"""

from __future__ import annotations

import math
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from explorer.game.config import TrainConfig
from explorer.game.data import load_torchvision, resolve_data_root
from explorer.game.datasets import load_dataset
from explorer.game.models import build_models
from explorer.runs.run_folder import METRICS_FILE
from explorer.runs.state import RunState

# ---------------------------------------------------------------------------------------- the baseline

def _default_threads() -> int:
    from explorer.game.device import DEFAULT_THREADS  # PyTorch's own default: one thread per core

    return DEFAULT_THREADS


class _ArrayImages(torch.utils.data.Dataset):
    """uint8 (N, 28, 28) images served like torchvision's MNIST: a PIL image per item through `transform`
    (used for the offline `mnist_subset`, which is not a torchvision data set)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform: Callable):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i], mode="L")), int(self.labels[i])


class ConventionalLoop:
    """The usual PyTorch GAN training loop (PyTorch-GAN's gan.py), one `step()` per G and D update."""

    def __init__(self, cfg: TrainConfig, dataset: str, root: Path, device: torch.device):
        import torchvision.datasets as tvd
        import torchvision.transforms as T

        transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
        if dataset == "mnist":
            data = tvd.MNIST(str(root), train=True, download=False, transform=transform)
        else:  # the engine's own offline images, as uint8, served the same way
            x = load_dataset(cfg, download=False).x
            data = _ArrayImages((x[:, 0] * 255).round().to(torch.uint8).numpy(), np.zeros(len(x)), transform)
        self.loader = torch.utils.data.DataLoader(data, batch_size=cfg.batch_size, shuffle=True, drop_last=True)
        self.device, self.batch_size = device, cfg.batch_size
        self.threads = int(os.environ.get("GAN_EXPLORER_THREADS") or 0) or _default_threads()
        G, D = build_models(cfg, (1, 28, 28))
        self.G, self.D = G.to(device), D.to(device)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        self.adversarial_loss = torch.nn.BCEWithLogitsLoss()  # D returns logits; BCE on sigmoid, fused
        self.log: list[tuple[float, float]] = []
        self._batches = iter(self.loader)

    def _next(self) -> torch.Tensor:
        try:
            imgs, _ = next(self._batches)
        except StopIteration:  # a new epoch
            self._batches = iter(self.loader)
            imgs, _ = next(self._batches)
        return imgs

    def step(self) -> None:
        imgs = self._next()
        real_imgs = imgs.to(self.device)
        valid = torch.ones(imgs.size(0), device=self.device)
        fake = torch.zeros(imgs.size(0), device=self.device)
        # -----  Train Generator
        self.opt_G.zero_grad()
        z = torch.randn(imgs.size(0), self.G.z_dim, device=self.device)
        gen_imgs = self.G(z)
        g_loss = self.adversarial_loss(self.D(gen_imgs), valid)
        g_loss.backward()
        self.opt_G.step()
        # -----  Train Discriminator
        self.opt_D.zero_grad()
        real_loss = self.adversarial_loss(self.D(real_imgs), valid)
        fake_loss = self.adversarial_loss(self.D(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        self.opt_D.step()
        self.log.append((d_loss.item(), g_loss.item()))

    def sync(self) -> None:
        pass  # `.item()` already waited for every step

    def prepare(self) -> None:
        """Before each window: PyTorch's default thread count (or --threads), whatever an engine set."""
        if self.device.type == "cpu":
            torch.set_num_threads(self.threads)


class EngineLoop:
    """The engine's Trainer; `sync()` drains its metrics buffer (one host transfer, which waits for the
    device), as the dashboard's runner does a few times a second."""

    def __init__(self, trainer):
        self.trainer = trainer

    def step(self) -> None:
        self.trainer.step()
        self.trainer.drain_when_full()

    def sync(self) -> None:
        self.trainer.drain()

    def prepare(self) -> None:
        pass  # the engine sets its own CPU threads at every step (ThreadTuner)


class RunnerLoop:
    """The user's path: `Runner(cfg)` with save=True, as `python -m explorer train` makes it, writing to
    `runs_dir`: metrics.csv, sample grids and replay frames every sample_interval steps, checkpoints every
    checkpoint_interval, snapshots and health checks at the default cadence. It trains on its own thread; a
    window resumes it, counts the steps it makes between two step boundaries while the bench's thread sleeps,
    and pauses it again (outside the window, so its pause-time publish costs no other variant)."""

    def __init__(self, cfg: TrainConfig, runs_dir: Path):
        from explorer.runs.runner import Runner

        self.runner = Runner(cfg, runs_dir=runs_dir, name=f"bench-{cfg.precision}").start(paused=True)
        self._wait_for(RunState.PAUSED)
        self.trainer = self.runner.trainer  # for the warm-up's thread timing (_run_windows)
        self.timed_s = self.in_step_s = 0.0  # the windows' wall-clock time, and of it inside Trainer.step()

    def _wait_for(self, state: RunState, timeout: float = 600.0) -> None:
        snap = self.runner.wait(timeout, poll=0.005, until=lambda s: s.state is state or s.state.ended)
        if snap.state is not state:
            raise RuntimeError(snap.error or f"the bench's runner did not reach {state} (it is {snap.state})")

    def _next_step(self) -> tuple[int, float, float]:
        """Just after the runner's next step (polled every ms): its step count, the time, and its seconds inside
        Trainer.step() so far (the runner's own clock, which snapshots publish late). The clock moves right
        after the step count, so the three agree."""
        before = self.runner._elapsed
        while (elapsed := self.runner._elapsed) == before:
            if not self.runner.snapshot().alive:
                raise RuntimeError(self.runner.snapshot().error or "the bench's runner stopped")
            time.sleep(0.001)
        return self.runner.trainer.step_count, time.perf_counter(), elapsed

    def window(self, seconds: float) -> float:
        self.runner.resume()
        s0, t0, e0 = self._next_step()
        time.sleep(seconds)
        s1, t1, e1 = self._next_step()
        self.runner.pause()
        self._wait_for(RunState.PAUSED)
        self.timed_s += t1 - t0
        self.in_step_s += e1 - e0
        return (s1 - s0) / (t1 - t0)

    def reset_clock(self) -> None:
        self.timed_s = self.in_step_s = 0.0

    def close(self) -> None:
        self.runner.stop(wait=True)


# ---------------------------------------------------------------------------------------- timing

@dataclass
class Variant:
    key: str
    label: str
    loop: object
    rates: list[float] = field(default_factory=list)
    peak_gpu: int = 0


def _window(loop, seconds: float, device: torch.device) -> float:
    """Steps/s over one window of about `seconds` (at least one step); waits for the device at the end."""
    if isinstance(loop, RunnerLoop):  # it trains on its own thread and times itself
        return loop.window(seconds)
    loop.prepare()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    n, t0 = 0, time.perf_counter()
    end = t0 + seconds
    while n == 0 or time.perf_counter() < end:
        loop.step()
        n += 1
    loop.sync()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return n / (time.perf_counter() - t0)


def _run_windows(variants: list[Variant], rounds: int, window: float, warmup: float, device: torch.device,
                 log: Callable[[str], None]) -> None:
    for v in variants:
        _window(v.loop, warmup, device)
        if isinstance(v.loop, RunnerLoop):
            v.loop.reset_clock()
        tuner = getattr(getattr(v.loop, "trainer", None), "threads", None)  # the engine's first thread timing
        deadline = time.perf_counter() + 60
        while tuner and len(tuner.candidates) > 1 and not tuner.history and time.perf_counter() < deadline:
            _window(v.loop, 0.2, device)
    for r in range(rounds):
        order = variants if r % 2 == 0 else variants[::-1]  # alternate, and flip the order each round
        for v in order:
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            v.rates.append(_window(v.loop, window, device))
            if device.type == "cuda":
                v.peak_gpu = max(v.peak_gpu, torch.cuda.max_memory_allocated(device))
        log(f"round {r + 1}/{rounds}: " + ", ".join(f"{v.key} {v.rates[-1]:.1f}" for v in variants))


def _summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def _fmt(s: dict, digits: int = 1, unit: str = "") -> str:
    return f"{s['median']:.{digits}f}{unit} [{s['min']:.{digits}f}-{s['max']:.{digits}f}]"


# ---------------------------------------------------------------------------------------- dashboard load

def _dashboard(cfg: TrainConfig, rounds: int, window: float, warmup: float, log: Callable[[str], None]) -> dict:
    """The engine in a background Runner (as the app runs it); windows alternate between no reader and a
    reader thread that takes a snapshot and builds its metrics frame every 100 ms."""
    from explorer.runs.runner import Runner

    runner = Runner(cfg.replace(steps=0), save=False).start()
    try:
        snap = runner.wait(600, poll=0.02, until=lambda s: s.state is RunState.RUNNING or s.state.ended)
        if snap.state is RunState.ERROR:
            raise RuntimeError(snap.error)
        time.sleep(warmup)
        rates: dict[str, list[float]] = {"idle": [], "reading": []}
        latency_snapshot: list[float] = []
        latency_read: list[float] = []

        def steps_per_s(seconds: float, reading: bool) -> float:
            stop = threading.Event()

            def reader() -> None:
                while not stop.wait(0.1):
                    t0 = time.perf_counter()
                    snap = runner.snapshot()
                    t1 = time.perf_counter()
                    frame = snap.metrics  # what a dashboard page draws from
                    _ = len(frame), snap.samples
                    t2 = time.perf_counter()
                    latency_snapshot.append(t1 - t0)
                    latency_read.append(t2 - t0)

            thread = threading.Thread(target=reader, daemon=True) if reading else None
            if thread:
                thread.start()
            s0, t0 = runner.trainer.step_count, time.perf_counter()
            time.sleep(seconds)
            s1, t1 = runner.trainer.step_count, time.perf_counter()
            stop.set()
            if thread:
                thread.join()
            return (s1 - s0) / (t1 - t0)

        for r in range(rounds):
            for mode in (("idle", "reading") if r % 2 == 0 else ("reading", "idle")):
                rates[mode].append(steps_per_s(window, mode == "reading"))
            log(f"dashboard round {r + 1}/{rounds}: no reader {rates['idle'][-1]:.1f}, "
                f"reader every 100 ms {rates['reading'][-1]:.1f}")
        if runner.snapshot().state is RunState.ERROR:
            raise RuntimeError(runner.snapshot().error)
    finally:
        runner.stop()
    cost = [1 - b / a for a, b in zip(rates["idle"], rates["reading"], strict=True) if a > 0] or [float("nan")]

    def ms(seconds: list[float]) -> list[float]:
        return [1000 * x for x in seconds] or [float("nan")]

    return {"idle": _summary(rates["idle"]), "reading": _summary(rates["reading"]), "cost": _summary(cost),
            "snapshot_ms": _summary(ms(latency_snapshot)), "read_ms": _summary(ms(latency_read)),
            "read_p95_ms": float(np.percentile(ms(latency_read), 95)), "reads": len(latency_read)}


# ---------------------------------------------------------------------------------------- the bench

def _rss_peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, rounded to 0.01 (None where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _load() -> str:
    load = load_average()
    return " ".join(f"{x:.2f}" for x in load) if load else "n/a"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_bench(device: str = "auto", batch_size: int = 64, seconds: float = 60.0, rounds: int = 5,
              dataset: str = "mnist", data_root: str | None = None, threads: int = 0, bf16: bool = True,
              dashboard: bool = True, runner: bool = True, log: Callable[[str], None] | None = None,
              out: Callable[[str], None] = print) -> dict:
    """Run the bench, print the human-readable report through `out`, return the figures as a dict."""
    from explorer.game.device import device_label, pick_device
    from explorer.game.trainer import Trainer

    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    if dataset not in ("mnist", "mnist_subset"):
        raise ValueError(f"dataset={dataset!r} is not allowed: 'mnist' or 'mnist_subset'")
    if threads:
        os.environ["GAN_EXPLORER_THREADS"] = str(threads)  # read by the engine's thread policy
    load_before = _load()
    dev = pick_device(device)
    root = resolve_data_root(data_root)
    base_cfg = TrainConfig.for_dataset(dataset, model="mlp", batch_size=batch_size, device=dev.type,
                                       data_root=str(root), steps=0, precision="fp32", fresh_noise_for_g=False)
    if dataset == "mnist":
        load_torchvision("mnist", root, train=True, download=False)  # the clear DataUnavailableError first
    engine_data = load_dataset(base_cfg, device=dev, download=False)

    variants = [Variant("baseline", "conventional loop (DataLoader, .item() every step)",
                        ConventionalLoop(base_cfg, dataset, root, dev))]
    engine_cfgs = [("engine", "engine fp32, fake batch reused for G (same updates as the loop)", base_cfg),
                   ("engine_fresh", "engine fp32, fresh noise for G (Algorithm 1 as written)",
                    base_cfg.replace(fresh_noise_for_g=True))]
    if bf16:
        engine_cfgs.append(("engine_bf16", "engine bf16 autocast, fake batch reused for G",
                            base_cfg.replace(precision="bf16")))
    trainers = {}
    for key, label, cfg in engine_cfgs:
        trainers[key] = Trainer(cfg, engine_data, dev)
        variants.append(Variant(key, label, EngineLoop(trainers[key])))
    # The user's path against the bare trainer of the same config: (runner key, bare key, precision).
    paths = [("runner_fp32", "engine", "fp32")] + ([("runner_bf16", "engine_bf16", "bf16")] if bf16 else [])
    with tempfile.TemporaryDirectory(prefix="gan-explorer-bench-") as runs_dir:
        try:
            for key, _, precision in paths if runner else []:
                log(f"bench: starting the {precision} Runner (loads its own copy of the data)")
                variants.append(Variant(key, f"runner {precision}: train's path (Runner, saving), reused fake batch",
                                        RunnerLoop(base_cfg.replace(precision=precision), Path(runs_dir))))
            n_windows = rounds * (len(variants) + (2 if dashboard else 0))
            window = seconds / n_windows
            warmup = max(0.2, min(3.0, window))
            log(f"bench: {len(variants)} variants x {rounds} rounds x {window:.2f} s windows after {warmup:.2f} s "
                f"warm-up each, on {dev.type}")
            _run_windows(variants, rounds, window, warmup, dev, log)
        finally:
            for v in variants:
                if isinstance(v.loop, RunnerLoop):
                    v.loop.close()
    dash = _dashboard(base_cfg, rounds, window, warmup, log) if dashboard else None

    base = variants[0]
    ratios = {v.key: [e / b for e, b in zip(v.rates, base.rates, strict=True)] for v in variants[1:]}
    by_key = {v.key: v for v in variants}
    user_path = {key: (by_key[bare], [r / b for r, b in zip(by_key[key].rates, by_key[bare].rates, strict=True)])
                 for key, bare, _ in paths if key in by_key}
    engine = trainers["engine"]
    fig = {
        "device": device_label(dev).split(" (")[0], "cpu": cpu_name(), "torch": torch.__version__, "dataset": dataset,
        "batch_size": batch_size, "baseline_threads": variants[0].loop.threads if dev.type == "cpu" else None,
        "engine_threads": engine.threads.threads or None,
        "engine_thread_choices": list(engine.threads.candidates) or None, "rounds": rounds,
        "window_s": round(window, 3), "engine_reuses_fake_batch": True,
        "engine_compiled": bool(getattr(engine, "compiled", False)),
        "engine_steps_per_s": statistics.median(variants[1].rates),
        "baseline_steps_per_s": statistics.median(base.rates),
        "ratio": statistics.median(ratios["engine"]),
        "ratio_min": min(ratios["engine"]), "ratio_max": max(ratios["engine"]),
    }
    for v in variants:
        fig[f"{v.key}_steps_per_s_min"], fig[f"{v.key}_steps_per_s_max"] = min(v.rates), max(v.rates)
    for v in variants[2:]:  # the other engine variants, and the runners
        fig[f"{v.key}_steps_per_s"] = statistics.median(v.rates)
        fig[f"ratio_{v.key.removeprefix('engine_')}"] = statistics.median(ratios[v.key])
    for key, (bare, rel) in user_path.items():  # runner_fp32_ratio = runner / bare trainer, per round
        precision = key.removeprefix("runner_")
        fig[f"bare_{precision}_steps_per_s"] = statistics.median(bare.rates)
        fig[f"{key}_ratio"], fig[f"{key}_ratio_min"], fig[f"{key}_ratio_max"] = (
            statistics.median(rel), min(rel), max(rel))
        loop = by_key[key].loop
        fig[f"{key}_in_step"] = loop.in_step_s / loop.timed_s if loop.timed_s > 0 else float("nan")
    if dash:
        fig.update(dashboard_idle_steps_per_s=dash["idle"]["median"],
                   dashboard_steps_per_s=dash["reading"]["median"], dashboard_cost=dash["cost"]["median"],
                   snapshot_ms_median=dash["snapshot_ms"]["median"], snapshot_read_ms_median=dash["read_ms"]["median"],
                   snapshot_read_ms_p95=dash["read_p95_ms"], snapshot_reads=dash["reads"])
    fig["peak_rss_mib"] = round(_rss_peak_mib(), 1)
    if dev.type == "cuda":
        fig["peak_gpu_mib"] = {v.key: round(v.peak_gpu / 2**20, 1) for v in variants}
    fig["load_average_before"], fig["load_average_after"] = load_before, _load()

    # ------------------------------------------------------------------ the report
    data_desc = (f"MNIST train, {len(engine_data.x):,} images from {root}" if dataset == "mnist"
                 else f"mnist_subset, {len(engine_data.x):,} real digits (offline)")
    out(f"GAN Explorer bench  |  torch {torch.__version__}  |  {fig['device']}  |  {fig['cpu']}")
    out(f"data: {data_desc}; model 'mlp' (G 100-128-256-512-1024-784 BN+LeakyReLU+tanh, "
        f"D 784-512-256-1 LeakyReLU), batch {batch_size}, Adam 2e-4 (0.5, 0.999), non-saturating G loss")
    out(f"timing: {rounds} rounds of alternating {window:.2f} s windows per variant, after a {warmup:.2f} s "
        f"warm-up each (for the engine, also until it first timed its CPU threads); median [min-max] over "
        f"windows; ratio per round against the loop's window")
    out(f"engine: data on the device, on-device batch indices and metrics buffer (drained in batches), "
        f"one D forward over real+fake, fused/foreach Adam{', torch.compile' if fig['engine_compiled'] else ''}")
    if dev.type == "cpu":
        tuned = engine.threads
        if len(tuned.candidates) > 1:
            times = ", ".join(f"{c} thread{'s' if c > 1 else ''} {1000 * t:.1f} ms/step"
                              for c, t in sorted(tuned.history[-1].items())) if tuned.history else "not yet timed"
            engine_threads = (f"the engine times {list(tuned.candidates)} while training and keeps the faster: "
                              f"{tuned.threads} (last timing: {times})")
        else:
            engine_threads = f"the engine {tuned.threads}"
        out(f"CPU threads: the loop {fig['baseline_threads']} ({'--threads' if threads else 'PyTorch default'}); "
            f"{engine_threads}")
    width = max(len(v.label) for v in variants)
    out(f"  {'variant':<{width}}  {'steps/s':>24}  {'vs loop':>22}")
    for v in variants:
        rel = "1.00x" if v is base else _fmt(_summary(ratios[v.key]), 2, "x")
        out(f"  {v.label:<{width}}  {_fmt(_summary(v.rates)):>24}  {rel:>22}")
    out("  the engine reuses G's fake batch for the G update in the rows that say so (as most code does "
        "for k=1); 'fresh noise' draws a new z for it, as Algorithm 1 is written (config fresh_noise_for_g)")
    if user_path:
        out(f"the user's path: Runner(cfg) with save=True (as `train` runs it), to a temporary runs folder: "
            f"{METRICS_FILE}, a sample grid and replay frame every {base_cfg.sample_interval} steps, a checkpoint "
            f"every {base_cfg.checkpoint_interval:,}, snapshots and health checks every 0.25 s; its own "
            f"thread, the bench's asleep; steps counted between step boundaries")
        for key, (bare, rel) in user_path.items():
            out(f"  {key.removeprefix('runner_')}: runner {_fmt(_summary(by_key[key].rates))} steps/s, bare trainer "
                f"{_fmt(_summary(bare.rates))}: runner/bare {_fmt(_summary(rel), 3, 'x')}; inside "
                f"Trainer.step() {100 * fig[f'{key}_in_step']:.1f}% of the runner's timed windows")
    if dash:
        out(f"dashboard load (engine fp32 in a background Runner, reused fake batch): no reader "
            f"{_fmt(dash['idle'])} steps/s, snapshot + metrics frame read every 100 ms "
            f"{_fmt(dash['reading'])} steps/s; cost {100 * dash['cost']['median']:.1f}% "
            f"[{100 * dash['cost']['min']:.1f} to {100 * dash['cost']['max']:.1f}%]")
        out(f"snapshot latency: snapshot() {dash['snapshot_ms']['median']:.3f} ms median; snapshot + metrics "
            f"frame {dash['read_ms']['median']:.3f} ms median, {dash['read_p95_ms']:.3f} ms p95 "
            f"({dash['reads']} reads)")
    n_runners = len(user_path) + bool(dash)
    out(f"peak RSS (whole bench process: the loop, {len(trainers)} engines"
        f"{f' and {n_runners} Runner' + ('s' if n_runners > 1 else '') if n_runners else ''}): "
        f"{fig['peak_rss_mib']:.0f} MiB")
    if dev.type == "cuda":
        out("peak GPU memory: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in fig["peak_gpu_mib"].items()))
    out(f"load average (1, 5, 15 min) before: {load_before}; after: {fig['load_average_after']} "
        f"({os.cpu_count()} CPUs)")
    return {k: ((round(v, 4) if math.isfinite(v) else None) if isinstance(v, float) else v) for k, v in fig.items()}


def main_bench(args) -> dict | None:
    """CLI entry (see cli.py): prints the report; with --json the last stdout line is the JSON figures."""
    fig = run_bench(device=args.device, batch_size=args.batch_size, seconds=args.seconds, rounds=args.rounds,
                    dataset=args.dataset, data_root=args.data_root, threads=args.threads, bf16=not args.no_bf16,
                    dashboard=not args.no_dashboard, runner=not args.no_runner)
    sys.stdout.flush()
    return fig if args.json else None

