"""How good is a run, in numbers: the paper's Parzen window, classifier-space scores, 2D mode coverage.

`score_samples` scores samples of G (`explorer.runs.scoring.evaluate_run` draws them from a saved
checkpoint); `evaluate_reference` scores real images used as samples (our reference row
beside Table 1); `quick_metrics` is the cheap subset the runner computes during training.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import Tensor

from explorer.game.config import TrainConfig
from explorer.game.data import load_dataset
from explorer.game.models import Generator, sample_z
from explorer.metrics.modes import PROTOCOL_N_SAMPLES, mode_metrics
from explorer.metrics.parzen import parzen_data

METRICS = ("parzen", "fid", "score", "coverage", "modes")
PAPER_GAN = "GAN (Goodfellow et al. 2014)"
# The paper's Table 1 (MNIST column), its GAN row only: Parzen log-likelihood, mean and standard error.
PAPER_TABLE1 = {PAPER_GAN: (225.0, 2.0)}
# Ours, not the paper's: real MNIST training images scored as the samples by the same protocol
# (`python -m explorer evaluate --samples-from mnist-train --metric parzen`: 241.2 +/- 2.1, sigma 0.167).
# A ceiling of sorts for the table: what 10,000 perfect samples score.
REFERENCE_ROW = {"real MNIST training images (this engine, --samples-from mnist-train)": (241.2, 2.1)}
CLASSIFIER_FOR = {"mnist": "mnist", "mnist_subset": "mnist", "fashion_mnist": "fashion_mnist"}
Progress = Callable[[float, str], None]


class MetricError(ValueError):
    """A metric does not apply to this run or data set; the message says which ones do."""


def applicable_metrics(cfg: TrainConfig) -> tuple[str, ...]:
    """The metrics that make sense for a config's data set."""
    if cfg.dataset in ("ring8", "grid25"):
        return ("modes",)
    if cfg.dataset in CLASSIFIER_FOR:
        return ("parzen", "fid", "score", "coverage")
    if cfg.dataset == "cifar10":
        return ("parzen", "fid", "score")
    if cfg.dataset in ("digits8x8", "folder"):
        return ("parzen",)
    return ()


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
    """How many samples the protocol scores: VEEGAN's 2,500 for `modes` (whatever was asked), else n_samples.
    `modes` applies only to ring8/grid25, where no other metric does, so one count serves every metric."""
    return PROTOCOL_N_SAMPLES if "modes" in metrics else n_samples


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
    out: dict = {"n_samples": len(samples)}
    t0 = time.perf_counter()
    if "parzen" in metrics:
        from explorer.metrics.parzen import parzen_evaluate

        report(0.05, "Parzen window: loading validation and test sets")
        validation, test, _ = parzen_data(cfg, data_root)
        report(0.1, f"Parzen window: choosing sigma on {len(validation)} validation images")
        flat = samples.reshape(len(samples), -1).to(device)
        out["parzen"] = parzen_evaluate(flat, validation.to(device), test.to(device), progress=progress)
    if any(m in metrics for m in ("fid", "score", "coverage")):
        report(0.6, "classifier-space scores")
        out.update(_classifier_metrics(samples, cfg, metrics, data_root, device))
    if "modes" in metrics:
        ds = load_dataset(cfg)
        out["modes"] = mode_metrics(samples, ds.modes, ds.mode_std)  # its n_samples: what was scored
    out["seconds"] = round(time.perf_counter() - t0, 2)
    report(1.0, "done")
    return out


def _classifier_metrics(samples: Tensor, cfg: TrainConfig, metrics, data_root, device) -> dict:
    real = load_dataset(cfg, split="test", data_root=data_root).x
    if cfg.dataset == "cifar10":
        from explorer.metrics.cifar import cifar_scores

        return {"cifar": cifar_scores(real, samples, device=device)}
    from explorer.metrics.classifier import load_classifier
    from explorer.metrics.feature_scores import class_coverage, classifier_score, features, frechet_distance, prdc

    clf = load_classifier(CLASSIFIER_FOR[cfg.dataset], device=device)
    samples, real = samples.to(device), real.to(device)
    out: dict = {}
    if "fid" in metrics:
        out["fid"] = {"frechet_distance": frechet_distance(real, samples, clf), "n_real": len(real),
                      "n_fake": len(samples)}
    if "score" in metrics:
        out["score"] = {"classifier_score": classifier_score(samples, clf)}
    if "coverage" in metrics:
        cov = class_coverage(samples, clf)
        out["coverage"] = {**{k: v for k, v in cov.items() if k != "histogram"},
                           "histogram": [float(v) for v in cov["histogram"]],
                           **prdc(features(real, clf), features(samples, clf))}
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
    """The cheap metrics the runner tracks during training (a sampled version of the full ones)."""
    device = next(G.parameters()).device
    if modes is not None:
        m = mode_metrics(generate(G, PROTOCOL_N_SAMPLES, cfg.prior, device=device), modes, mode_std)
        return {"modes_covered": m["modes_covered"], "high_quality_fraction": m["high_quality_fraction"]}
    if cfg.dataset in CLASSIFIER_FOR and real is not None:
        from explorer.metrics.classifier import load_classifier
        from explorer.metrics.feature_scores import class_coverage, classifier_score, frechet_distance

        clf = load_classifier(CLASSIFIER_FOR[cfg.dataset], device=device)
        fake = generate(G, n, cfg.prior, device=device)
        cov = class_coverage(fake, clf)
        return {"frechet_distance": frechet_distance(real[:n], fake, clf),
                "classifier_score": classifier_score(fake, clf),
                "classes_covered": cov["classes_covered"], "kl_to_uniform": cov["kl_to_uniform"]}
    return {}
