"""The metrics, one `MetricSpec` each: what it is called, its units, which way is better, which data sets it
applies to, how it scores samples (the Evaluate page and `explorer evaluate`), and what it tracks while training
(evals.csv, a sweep's final figures, the Runs table's best metric). Every consumer reads this registry, so a new
metric is one `register_metric(MetricSpec(...))` call.

A metric's `compute` reads a `Scoring`: the samples and what scoring them needs, each loaded once however many
metrics use it (the test images, the classifier, CIFAR-10's Inception scores). Its `quick` reads a
`QuickScoring`: G's samples drawn on demand (once per count) during training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import torch
from torch import Tensor

from explorer import names
from explorer.game.config import TrainConfig
from explorer.game.datasets import DATASET_REGISTRY, DatasetSpec, dataset_spec, load_dataset
from explorer.game.registry import Names, Registry
from explorer.metrics.classifier import CLASSIFIER_DATASETS
from explorer.metrics.modes import PROTOCOL_N_SAMPLES, mode_metrics
from explorer.metrics.parzen import parzen_data

Progress = Callable[[float, str], None]
BETTER = ("higher", "lower")


@dataclass
class Scoring:
    """What the protocol's metrics read: data-space samples of a model trained with `cfg`, and the loads they
    share, each made on first use."""
    samples: Tensor  # (N, *sample_shape) in data units ([0, 1] for images)
    cfg: TrainConfig
    data_root: str | None = None
    device: torch.device | str = "cpu"
    progress: bool = False  # tqdm bars on stderr (the CLI)
    report: Progress = lambda fraction, message: None  # noqa: E731 - the Evaluate page's progress bar

    @property
    def dataset(self) -> DatasetSpec:
        return dataset_spec(self.cfg.dataset)

    @cached_property
    def real_test(self) -> Tensor:
        """The data set's test split (CPU)."""
        return load_dataset(self.cfg, split="test", data_root=self.data_root).x

    @cached_property
    def classifier(self) -> torch.nn.Module:
        """The shipped small CNN whose feature space the classifier scores use."""
        from explorer.metrics.classifier import load_classifier

        return load_classifier(self.dataset.classifier, device=self.device)

    @cached_property
    def cifar(self) -> dict:
        """CIFAR-10's FID, Inception score and KID, computed together (Inception v3)."""
        from explorer.metrics.cifar import cifar_scores

        return cifar_scores(self.real_test, self.samples, device=self.device)


@dataclass
class QuickScoring:
    """What a metric reads during training: G's samples on demand, 1,000 real images, a 2D mixture's modes."""
    draw: Callable[[int], Tensor]  # n -> n data-space samples of G from a fixed noise stream
    cfg: TrainConfig
    real: Tensor | None  # (n, ...) training images, for distances to the data; None for toys
    modes: Tensor | None  # (n_modes, 2) centres of a 2D mixture
    mode_std: float
    n: int = 1000
    device: torch.device | str = "cpu"
    _drawn: dict[int, Tensor] = field(default_factory=dict)

    def samples(self, n: int | None = None) -> Tensor:
        n = n or self.n
        if n not in self._drawn:
            self._drawn[n] = self.draw(n)
        return self._drawn[n]

    @property
    def dataset(self) -> DatasetSpec:
        return dataset_spec(self.cfg.dataset)

    @cached_property
    def classifier(self) -> torch.nn.Module | None:
        """The shipped small CNN of this data set, or None (no classifier, or CIFAR-10's Inception: too slow to
        run while training)."""
        if self.dataset.classifier not in CLASSIFIER_DATASETS or self.real is None:
            return None
        from explorer.metrics.classifier import load_classifier

        return load_classifier(self.dataset.classifier, device=self.device)


@dataclass(frozen=True)
class MetricSpec:
    name: str  # the code in the CLI (--metric), the Evaluate page and a result's key
    better: str  # "higher" | "lower": which way its headline number is better
    applies_to: Callable[[DatasetSpec], bool]
    compute: Callable[[Scoring], dict[str, Any]]  # -> the result's entries: {name: {...}} (CIFAR-10's: "cifar")
    units: str = ""  # what its headline number counts ("nats", "classes of 10"); "" for a plain score
    help: str = ""  # one line for the Evaluate page: what it measures and what it costs
    stage: str = ""  # the progress bar's message while it computes
    n_samples: int | None = None  # a protocol's own sample count (modes: VEEGAN's 2,500), whatever was asked
    quick: Callable[[QuickScoring], dict[str, float]] | None = None  # columns tracked while training (evals.csv)
    figures: tuple[str, ...] = ()  # of quick's columns, the ones a sweep's results report
    headline: str = ""  # the quick column whose best value the Runs table shows
    best_text: Callable[[float, DatasetSpec | None], str] | None = None  # that value as short text, "FD 31.2"
    label: str = ""  # what people read; "" when explorer.names has it already (the built-in ones)
    column_labels: Mapping[str, str] = field(default_factory=dict)  # quick's columns for people, if not in names

    def __post_init__(self) -> None:
        if self.better not in BETTER:
            raise ValueError(f"better={self.better!r}: use 'higher' or 'lower'")
        if self.headline and self.quick is None:
            raise ValueError(f"metric {self.name!r}: a headline column needs a quick function that writes it")

    def best(self, values: Any) -> float:
        """The best of a column of its values (a pandas Series)."""
        return float(values.min() if self.better == "lower" else values.max())


METRIC_REGISTRY: Registry[MetricSpec] = Registry("metric", "metric")
METRICS: Names = METRIC_REGISTRY.names()  # the protocol's metrics (CLI --metric, the Evaluate page), as registered


def register_metric(spec: MetricSpec) -> MetricSpec:
    METRIC_REGISTRY.register(spec)
    for column, text in spec.column_labels.items():
        names.add_label("metric", column, text)
    return spec


def unregister_metric(name: str) -> MetricSpec:
    spec = METRIC_REGISTRY.unregister(name)
    for column in spec.column_labels:
        names.remove_label("metric", column)
    return spec


def metric(name: str) -> MetricSpec:
    return METRIC_REGISTRY.get(name)


def applicable_metrics(cfg: TrainConfig | DatasetSpec) -> tuple[str, ...]:
    """The metrics that make sense for a config's data set."""
    spec = cfg if isinstance(cfg, DatasetSpec) else DATASET_REGISTRY.find(cfg.dataset)
    return tuple(m.name for m in METRIC_REGISTRY if spec is not None and m.applies_to(spec))


def figure_columns() -> dict[str, MetricSpec]:
    """{column: its metric} for every column a metric reports as a sweep's final figure, in registry order."""
    return {column: m for m in METRIC_REGISTRY for column in m.figures}


def headline_metrics() -> tuple[MetricSpec, ...]:
    """The metrics whose tracked headline column the Runs table can show as a run's best, in registry order."""
    return tuple(m for m in METRIC_REGISTRY if m.headline)


# ------------------------------------------------------------------------------------------ built-ins

def _parzen(s: Scoring) -> dict:
    from explorer.metrics.parzen import parzen_evaluate

    s.report(0.05, "Parzen window: loading validation and test sets")
    validation, test, _ = parzen_data(s.cfg, s.data_root)
    s.report(0.1, f"Parzen window: choosing sigma on {len(validation)} validation images")
    flat = s.samples.reshape(len(s.samples), -1).to(s.device)
    return {"parzen": parzen_evaluate(flat, validation.to(s.device), test.to(s.device), progress=s.progress,
                                      on_progress=lambda f, msg: s.report(0.1 + 0.7 * f, f"Parzen window: {msg}"))}


def _uses_inception(s: Scoring) -> bool:
    return s.dataset.classifier not in CLASSIFIER_DATASETS


def _fid(s: Scoring) -> dict:
    if _uses_inception(s):
        return {"cifar": s.cifar}
    from explorer.metrics.feature_scores import frechet_distance

    return {"fid": {"frechet_distance": frechet_distance(s.real_test.to(s.device), s.samples.to(s.device),
                                                         s.classifier),
                    "n_real": len(s.real_test), "n_fake": len(s.samples)}}


def _score(s: Scoring) -> dict:
    if _uses_inception(s):
        return {"cifar": s.cifar}
    from explorer.metrics.feature_scores import classifier_score

    return {"score": {"classifier_score": classifier_score(s.samples.to(s.device), s.classifier)}}


def _coverage(s: Scoring) -> dict:
    from explorer.metrics.feature_scores import class_coverage, features, prdc

    samples = s.samples.to(s.device)
    cov = class_coverage(samples, s.classifier)
    return {"coverage": {**{k: v for k, v in cov.items() if k != "histogram"},
                         "histogram": [float(v) for v in cov["histogram"]],
                         **prdc(features(s.real_test.to(s.device), s.classifier), features(samples, s.classifier))}}


def _modes(s: Scoring) -> dict:
    ds = load_dataset(s.cfg)
    return {"modes": mode_metrics(s.samples, ds.modes, ds.mode_std)}  # its n_samples: what was scored


def _fid_quick(q: QuickScoring) -> dict[str, float]:
    from explorer.metrics.feature_scores import frechet_distance

    return {} if q.classifier is None else {"frechet_distance": frechet_distance(q.real[:q.n], q.samples(),
                                                                                 q.classifier)}


def _score_quick(q: QuickScoring) -> dict[str, float]:
    from explorer.metrics.feature_scores import classifier_score

    return {} if q.classifier is None else {"classifier_score": classifier_score(q.samples(), q.classifier)}


def _coverage_quick(q: QuickScoring) -> dict[str, float]:
    from explorer.metrics.feature_scores import class_coverage

    if q.classifier is None:
        return {}
    cov = class_coverage(q.samples(), q.classifier)
    return {"classes_covered": cov["classes_covered"], "kl_to_uniform": cov["kl_to_uniform"]}


def _modes_quick(q: QuickScoring) -> dict[str, float]:
    if q.modes is None:
        return {}
    m = mode_metrics(q.samples(PROTOCOL_N_SAMPLES), q.modes, q.mode_std)
    return {"modes_covered": m["modes_covered"], "high_quality_fraction": m["high_quality_fraction"]}


def _has_classifier(d: DatasetSpec) -> bool:
    return d.classifier is not None


CLASSIFIER_STAGE = "classifier-space scores"

for _spec in (
    MetricSpec("parzen", "higher", lambda d: d.kind == "image", _parzen, units="nats",
               help="Table 1 (slow on a CPU: ~20 s for 10,000 samples)", stage="Parzen window"),
    MetricSpec("fid", "lower", _has_classifier, _fid,
               help="in the shipped classifier's feature space (CIFAR-10: Inception v3's)", stage=CLASSIFIER_STAGE,
               quick=_fid_quick, figures=("frechet_distance",), headline="frechet_distance",
               best_text=lambda v, d: f"FD {v:.1f}"),
    MetricSpec("score", "higher", _has_classifier, _score, units="1 to 10",
               help="in the shipped classifier's feature space", stage=CLASSIFIER_STAGE, quick=_score_quick,
               figures=("classifier_score",), headline="classifier_score", best_text=lambda v, d: f"score {v:.2f}"),
    MetricSpec("coverage", "higher", lambda d: d.classifier in CLASSIFIER_DATASETS, _coverage, units="of 10 classes",
               help="in the shipped classifier's feature space", stage=CLASSIFIER_STAGE, quick=_coverage_quick,
               figures=("classes_covered",)),
    MetricSpec("modes", "higher", lambda d: d.modes > 0, _modes, help="VEEGAN's 2D count",
               stage="modes covered", n_samples=PROTOCOL_N_SAMPLES, quick=_modes_quick,
               figures=("modes_covered", "high_quality_fraction"), headline="modes_covered",
               best_text=lambda v, d: f"modes {int(v)}" + (f"/{d.modes}" if d is not None and d.modes else "")),
):
    register_metric(_spec)
