"""`python -m explorer bench --quality SECONDS`: how good G gets in a fixed wall-clock budget.

Trains the "MNIST in a minute" preset with the bare `Trainer` for SECONDS of wall-clock time, copies the G that
evaluations use (its weight average) at 1/6, 1/2 and all of the budget (10, 30 and 60 s for `--quality 60`),
then, off the clock, scores each copy by the evaluate CLI's protocol: 10,000 samples against the 10,000 test
images in our classifier's features (`evaluate RUN --metric fid --metric score --metric coverage`).

The clock is wall-clock time and starts at the first step (loading the data and building the models come
before it), so the figures depend on what else the machine is doing: the report gives the load average and
the steps each snapshot had. The target: classifier score >= 8, Frechet distance <= 30, all 10 classes.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import time
from argparse import Namespace
from collections.abc import Callable

import torch

from explorer.bench.speed import load_average
from explorer.game.datasets import load_dataset
from explorer.game.device import device_label, pick_device
from explorer.game.models import Generator
from explorer.game.trainer import Trainer
from explorer.lessons.presets import MNIST_IN_A_MINUTE, preset
from explorer.metrics.protocol import generate

FRACTIONS = (1 / 6, 1 / 2, 1.0)  # of the budget: 10, 30 and 60 s for a minute
TARGET = {"classifier_score": 8.0, "frechet_distance": 30.0, "classes_covered": 10}
N_SAMPLES = 10_000  # the evaluate CLI's protocol
SAMPLE_SEED = 1234  # generate()'s default: the evaluate CLI's samples


def checkpoints(seconds: float) -> list[float]:
    """The moments (seconds into training) at which G is copied: 10, 30, 60 for a 60 s budget."""
    return [round(seconds * f, 3) for f in FRACTIONS]


def meets_target(scores: dict) -> bool:
    return (scores["classifier_score"] >= TARGET["classifier_score"]
            and scores["frechet_distance"] <= TARGET["frechet_distance"]
            and scores["classes_covered"] >= TARGET["classes_covered"])


def train_for(trainer: Trainer, moments: list[float]) -> list[dict]:
    """Step `trainer` until the last moment (wall-clock seconds from the first step), copying the G that
    evaluations use as each moment passes. The clock is read once per step (a step takes milliseconds), and a
    copy is made at the first step end past its moment, so a snapshot's `seconds` can exceed its moment by up
    to one step. Metrics are drained as the runner does, so the buffer never grows."""
    snaps: list[dict] = []
    pending = list(moments)
    t0 = time.perf_counter()
    while pending:
        trainer.step()
        trainer.drain_when_full()
        elapsed = time.perf_counter() - t0
        if pending and elapsed >= pending[0] and trainer.device.type == "cuda":
            torch.cuda.synchronize()  # the GPU may trail the host by many queued steps: count their time too
            elapsed = time.perf_counter() - t0
        while pending and elapsed >= pending[0]:
            G = copy.deepcopy(trainer.generator_for_eval()).eval()  # a copy: training goes on meanwhile
            snaps.append({"at_s": pending.pop(0), "seconds": round(elapsed, 3), "steps": trainer.step_count,
                          "G": G})
    trainer.drain()
    return snaps


def score_generator(G: Generator, prior: str, real: torch.Tensor, n_samples: int,
                    device: torch.device) -> dict:
    """The evaluate CLI's classifier-space scores of `n_samples` samples of G against `real` (the test split)."""
    from explorer.metrics.classifier import load_classifier
    from explorer.metrics.feature_scores import image_scores

    clf = load_classifier("mnist", device=device)
    fake = generate(G, n_samples, prior, seed=SAMPLE_SEED, device=device)
    scores = image_scores(real.to(device), fake, clf)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items()}


def run_quality(seconds: float = 60.0, dataset: str = "mnist", data_root: str | None = None,
                device: str = "auto", n_samples: int = N_SAMPLES, log: Callable[[str], None] | None = None,
                out: Callable[[str], None] = print) -> dict:
    """Train the preset for `seconds`, score G at 1/6, 1/2 and the whole budget; print the report through `out`
    and return the figures."""
    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    if dataset not in ("mnist", "mnist_subset"):
        raise ValueError(f"dataset={dataset!r} is not allowed: 'mnist' or 'mnist_subset'")
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"--quality {seconds}: give the training budget in seconds, > 0")
    dev = pick_device(device)
    cfg = preset(MNIST_IN_A_MINUTE, dataset=dataset, device=dev.type, data_root=data_root or "")
    data = load_dataset(cfg, data_root=data_root, device=dev, download=False)
    real = load_dataset(cfg, split="test", data_root=data_root, download=False).x
    load_before = load_average()
    moments = checkpoints(seconds)
    log(f"quality: training {MNIST_IN_A_MINUTE!r} on {dataset} for {seconds:g} s of wall-clock time on "
        f"{dev.type}; copies of G at {', '.join(f'{m:g}' for m in moments)} s")
    trainer = Trainer(cfg, data, dev)
    snaps = train_for(trainer, moments)
    load_after = load_average()
    threads = trainer.threads.threads or None
    rows = []
    for s in snaps:
        log(f"quality: scoring G at {s['at_s']:g} s ({s['steps']:,} steps) on {n_samples:,} samples")
        scores = score_generator(s.pop("G"), cfg.prior, real, n_samples, dev)
        rows.append({**s, "steps_per_s": round(s["steps"] / s["seconds"], 1), **scores,
                     "meets_target": meets_target(scores)})
    fig = {"preset": MNIST_IN_A_MINUTE, "dataset": dataset, "device": device_label(dev), "torch": torch.__version__,
           "seconds": seconds, "cpu_threads": threads, "n_samples": n_samples, "n_real": len(real),
           "load_average_before": load_before, "load_average_after": load_after, "cpus": os.cpu_count(),
           "target": TARGET, "target_met": rows[-1]["meets_target"], "snapshots": rows}
    _report(fig, out)
    return fig


def _report(fig: dict, out: Callable[[str], None]) -> None:
    out(f"MNIST in a minute: preset {fig['preset']!r} on {fig['dataset']}, {fig['device']}, torch {fig['torch']}"
        + (f", {fig['cpu_threads']} CPU thread(s) at the end" if fig["cpu_threads"] else ""))
    out(f"scored on {fig['n_samples']:,} samples against {fig['n_real']:,} test images (our classifier's features)")
    out(f"{'at':>6} {'steps':>7} {'steps/s':>8} {'score':>6} {'Frechet':>8} {'classes':>7} {'precision':>9} "
        f"{'recall':>6}")
    for r in fig["snapshots"]:
        out(f"{r['at_s']:>5g}s {r['steps']:>7,} {r['steps_per_s']:>8.1f} {r['classifier_score']:>6.2f} "
            f"{r['frechet_distance']:>8.1f} {r['classes_covered']:>7d} {r['precision']:>9.2f} {r['recall']:>6.2f}")
    t = fig["target"]
    out(f"target (score >= {t['classifier_score']:g}, Frechet distance <= {t['frechet_distance']:g}, "
        f"{t['classes_covered']} classes) at {fig['seconds']:g} s: {'met' if fig['target_met'] else 'NOT met'}")

    def load(x: list[float] | None) -> str:
        return " ".join(f"{v:.2f}" for v in x) if x else "n/a"

    out(f"load average (1, 5, 15 min) before: {load(fig['load_average_before'])}; after: "
        f"{load(fig['load_average_after'])} ({fig['cpus']} CPUs; wall-clock figures: a busy machine trains fewer "
        f"steps)")


def main_quality(args: Namespace) -> dict | None:
    """CLI entry (`bench --quality SECONDS`): prints the report; with --json the caller prints the returned
    figures as the last stdout line (as `main_bench` does). Reads args.quality, args.dataset, args.data_root,
    args.device, args.json, and args.samples if present (default 10,000)."""
    fig = run_quality(seconds=float(args.quality), dataset=getattr(args, "dataset", "mnist") or "mnist",
                      data_root=getattr(args, "data_root", None), device=getattr(args, "device", "auto") or "auto",
                      n_samples=int(getattr(args, "samples", None) or N_SAMPLES))
    sys.stdout.flush()
    return fig if getattr(args, "json", False) else None
