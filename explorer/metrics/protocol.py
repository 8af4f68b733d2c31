"""How good is a run, in numbers: the paper's Parzen window, classifier-space scores, 2D mode coverage.

`score_samples` scores samples of G (`explorer.runs.checkpoint_scores.evaluate_run` draws them from a saved
checkpoint); `evaluate_reference` scores real images used as samples (our reference row
beside Table 1); `quick_metrics` is the cheap subset the runner computes during training.
"""

from __future__ import annotations

import time

import torch
from torch import Tensor

from explorer import names
from explorer.game.config import TrainConfig
from explorer.game.datasets import load_dataset
from explorer.game.models import Generator, sample_z
from explorer.metrics.registry import (
    METRIC_REGISTRY,
    METRICS,
    Progress,
    QuickScoring,
    Scoring,
    applicable_metrics,
    metric,
)

PAPER_GAN = "GAN (Goodfellow et al. 2014)"
# The paper's Table 1 (MNIST column), its GAN row only: Parzen log-likelihood, mean and standard error.
PAPER_TABLE1 = {PAPER_GAN: (225.0, 2.0)}
# Ours, not the paper's: real MNIST training images scored as the samples by the same protocol
# (`python -m explorer evaluate --samples-from mnist-train --metric parzen`: 241.2 +/- 2.1, sigma 0.167).
# A ceiling of sorts for the table: what 10,000 perfect samples score.
REFERENCE_ROW = {"real MNIST training images (this engine, --samples-from mnist-train)": (241.2, 2.1)}


class MetricError(ValueError):
    """A metric does not apply to this run or data set; the message says which ones do."""


@torch.no_grad()
def generate(G: Generator, n: int, prior: str, seed: int = 1234, batch: int = 1000,
             device: torch.device | str = "cpu") -> Tensor:
    """n samples of G in data units ([0, 1] for images), from a seeded noise stream."""
    rng = torch.Generator(device=device).manual_seed(seed)
    G = G.to(device).eval()
    x = torch.cat([G.to_data_space(G(sample_z(min(batch, n - i), G.z_dim, prior, device, rng))).float()
                   for i in range(0, n, batch)])
    return x if G.output == "linear" else x.clamp_(0, 1)


def samples_to_score(metrics: tuple[str, ...] | list[str], n_samples: int) -> int:
    """How many samples the protocol scores: a metric's own count where it has one (VEEGAN's 2,500 for `modes`,
    whatever was asked), else n_samples. `modes` applies only to ring8/grid25, where no other metric does, so one
    count serves every metric."""
    own = [metric(m).n_samples for m in metrics if m in METRICS and metric(m).n_samples]
    return own[0] if own else n_samples


def score_samples(samples: Tensor, cfg: TrainConfig, metrics: tuple[str, ...] | list[str],
                  data_root: str | None = None, device: torch.device | str = "cpu",
                  progress: bool = False, on_progress: Progress | None = None) -> dict:
    """Score data-space samples of a model trained with `cfg` on the requested metrics: every metric scores
    all of `samples` (draw `samples_to_score(...)` of them), and the result says how many (`n_samples`)."""
    allowed = applicable_metrics(cfg)
    for m in metrics:
        if m not in METRICS:
            raise MetricError(f"metric={m!r} is not known: use one of {', '.join(METRICS)}")
        if m not in allowed:
            raise MetricError(f"metric={m!r} does not apply to dataset={cfg.dataset!r}; "
                              f"it has: {', '.join(allowed) or 'none (use the Toy pages JS estimate)'}")
    report = on_progress or (lambda f, msg: None)
    scoring = Scoring(samples, cfg, data_root, device, progress, report)
    chosen = [spec for spec in METRIC_REGISTRY if spec.name in metrics]  # in registry order: shared loads once
    out: dict = {"n_samples": len(samples)}
    t0 = time.perf_counter()
    stage = None
    for i, spec in enumerate(chosen):
        if spec.stage != stage:
            stage = spec.stage
            report(0.8 * i / len(chosen), stage or names.label("metric", spec.name))
        out.update(spec.compute(scoring))
    out["seconds"] = round(time.perf_counter() - t0, 2)
    report(1.0, "done")
    return out


def evaluate_reference(source: str, metrics: list[str], n_samples: int = 10_000, data_root: str | None = None,
                       device: str = "cpu", progress: bool = False) -> dict:
    """Real images used as the samples (`mnist-train`, `fashion_mnist-train`, ...): the reference row."""
    name, _, split = source.partition("-")
    if split not in ("train", "test"):
        raise MetricError(f"--samples-from {source!r}: use DATASET-train or DATASET-test, e.g. mnist-train")
    cfg = TrainConfig.for_dataset(name)
    x = load_dataset(cfg, split=split, data_root=data_root).x[:samples_to_score(metrics, n_samples)]
    return {"samples_from": source, "dataset": name, **score_samples(x, cfg, metrics, data_root, device, progress)}


def quick_metrics(G: Generator, cfg: TrainConfig, real: Tensor | None, modes: Tensor | None, mode_std: float,
                  n: int = 1000) -> dict[str, float]:
    """The cheap metrics the runner tracks during training (a sampled version of the full ones): every
    applicable metric's `quick` columns, on samples of G drawn once per count."""
    device = next(G.parameters()).device
    quick = QuickScoring(lambda k: generate(G, k, cfg.prior, device=device), cfg, real, modes, mode_std, n, device)
    out: dict[str, float] = {}
    for name in applicable_metrics(cfg):
        spec = metric(name)
        if spec.quick is not None:
            out.update(spec.quick(quick))
    return out
