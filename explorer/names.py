"""What people read: the one place that names codes (data sets, losses, models, optimizers, priors, devices, run
states, metrics, result columns, steps) for a page, a chart, a caption or a table. Code, the CLI and links keep the
codes; a UI shows `label(kind, code)` and may keep the code in a help text. Nothing here imports torch or Streamlit.

A table here holds every code of its kind (tests/test_names.py checks each choice field of TrainConfig, the run
states and the metrics against it), so an unknown code is a code added elsewhere and not named here yet: it reads as
itself with its underscores as spaces rather than as a raw identifier.
"""

from __future__ import annotations

DATASET_LABELS = {
    "toy1d": "1D Gaussian (Figure 1)",
    "toy1d_bimodal": "1D two Gaussians",
    "ring8": "Ring of 8 Gaussians",
    "grid25": "Grid of 25 Gaussians",
    "moons": "Two moons",
    "spiral": "Spiral",
    "digits8x8": "Digits 8x8 (scikit-learn)",
    "mnist_subset": "MNIST digits, 5,000 offline",
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "folder": "Your image folder",
    "points1d": "Your 1D values (CSV)",
    "points2d": "Your 2D points (CSV)",
}
LOSS_LABELS = {"minimax": "minimax (saturating)", "non_saturating": "non-saturating"}
MODEL_LABELS = {"auto": "auto (by data set)", "paper": "paper (maxout MLPs)", "mlp": "MLP",
                "dcgan": "DCGAN (convolutional)", "toy": "toy MLP"}
OPTIMIZER_LABELS = {"sgd": "SGD with momentum", "adam": "Adam"}
PRIOR_LABELS = {"uniform": "uniform (flat)", "normal": "normal (Gaussian)"}
DEVICE_LABELS = {"auto": "auto (GPU if any)", "cpu": "CPU", "cuda": "CUDA GPU", "mps": "Apple GPU (MPS)"}
PRECISION_LABELS = {"fp32": "32-bit float (exact)", "bf16": "bfloat16 (faster)"}
# A run's state: the runner's (explorer.runs.state.RunState), the catalog's read from disk, a sweep trial's.
STATE_LABELS = {"loading": "loading models", "ready": "ready to start", "running": "training", "paused": "paused",
                "diverged": "diverged", "finished": "finished", "stopped": "stopped", "error": "failed",
                "damaged": "damaged", "demo": "bundled demo", "failed": "failed", "pending": "waiting"}
# States that are plain English already and read as themselves (lower case: a status line and the browser tests
# read "paused", "finished" inside a sentence).
PLAIN_STATES = ("paused", "diverged", "finished", "stopped", "damaged", "failed")
# What a metric is called, wherever it is read: the evaluation protocol's metrics (explorer.metrics.protocol.METRICS),
# the columns of evals.csv, the trainer's per-step columns, and the comparison table's "metric.key" columns.
METRIC_LABELS = {
    # the protocol's metrics (Evaluate's choice)
    "parzen": "Parzen log-likelihood",
    "fid": "Frechet distance",
    "score": "classifier score",
    "coverage": "classes covered",
    "modes": "modes covered",
    "cifar": "CIFAR-10 Inception scores",
    # evals.csv and the toy views
    "frechet_distance": "Frechet distance",
    "classifier_score": "classifier score",
    "classes_covered": "classes covered",
    "kl_to_uniform": "KL to uniform classes",
    "modes_covered": "modes covered",
    "high_quality_fraction": "high-quality samples",
    "precision": "precision (samples near the data)",
    "recall": "recall (data near the samples)",
    "inception_score": "Inception score",
    "inception_score_std": "Inception score (std)",
    "kid_mean": "KID",
    "kid_std": "KID (std)",
    "js": "JS divergence",
    "d_on_data": "mean D on data",
    "value": "C(G)",
    "steps_per_s": "steps per second",
    # the trainer's columns (metrics.csv)
    "d_loss_real": "D loss on real",
    "d_loss_fake": "D loss on fake",
    "g_loss": "G loss",
    "d_x": "mean D(x)",
    "d_g_z": "mean D(G(z))",
    "grad_norm_d": "|grad D|",
    "grad_norm_g": "|grad G|",
    # the comparison table's keys that are only clear with their metric
    "parzen.mean": "Parzen log-likelihood",
    "parzen.std_error": "Parzen std. error",
    "parzen.sigma": "Parzen window width",
    "modes.min_share": "smallest mode's share",
    "coverage.coverage": "coverage (real images' neighbourhoods reached)",  # not "classes covered" twice
}
# The longer form a chart's panel title uses: what the number is and which way is better.
METRIC_TITLES = {
    "frechet_distance": "Frechet distance (lower is better)",
    "classifier_score": "classifier score (max 10)",
    "classes_covered": "classes covered (of 10)",
    "kl_to_uniform": "KL(classes || uniform)",
    "modes_covered": "modes covered",
    "high_quality_fraction": "high-quality samples (fraction)",
}
# Other columns people read: the run tables and Evaluate's comparison table.
COLUMN_LABELS = {"run": "Run", "step": "Step", "G": "G's weights", "samples": "Samples", "name": "Run",
                 "state": "State", "dataset": "Data set", "model": "Model", "loss": "Loss", "k": "k",
                 "lr_d": "lr D", "lr_g": "lr G", "steps": "Steps", "seed": "Seed", "created": "Created",
                 "size_mb": "Size", "sweep": "Sweep", "best_metric": "Best metric", "seconds": "Seconds"}
# What Evaluate's results say for which of G's weights were scored.
G_WEIGHTS_LABELS = {"G": "G as trained", "g_average": "G's weight average", "ema": "G's weight average"}

_BY_KIND = {"dataset": DATASET_LABELS, "loss": LOSS_LABELS, "model": MODEL_LABELS, "optimizer": OPTIMIZER_LABELS,
            "prior": PRIOR_LABELS, "device": DEVICE_LABELS, "precision": PRECISION_LABELS, "state": STATE_LABELS,
            "metric": METRIC_LABELS, "column": COLUMN_LABELS, "g_weights": G_WEIGHTS_LABELS}
# The TrainConfig fields whose values are codes of a kind above (the sidebar's selects, the run tables' cells).
FIELD_KINDS = {"dataset": "dataset", "loss": "loss", "model": "model", "optimizer": "optimizer", "prior": "prior",
               "device": "device", "precision": "precision", "state": "state"}


def label(kind: str, code: str) -> str:
    """What a person reads for `code` of this kind ("dataset", "loss", ...); an unknown code reads as itself with
    its underscores as spaces, never as a raw identifier. An unknown kind is a programming error (KeyError)."""
    return _BY_KIND[kind].get(code, str(code).replace("_", " "))


def add_label(kind: str, code: str, text: str) -> bool:
    """Name a code registered later (a data set, objective or metric spec's label: explorer.game.registry calls
    this), so it reads like the built-in ones. A code named here already keeps its label (returns False)."""
    if "_" in text or not text.strip():
        raise ValueError(f"label {text!r} for {kind} {code!r}: a label is what people read (no underscores)")
    if code in _BY_KIND[kind]:
        return False
    _BY_KIND[kind][code] = text
    return True


def remove_label(kind: str, code: str) -> None:
    """Forget a label `add_label` gave (its spec was unregistered)."""
    _BY_KIND[kind].pop(code, None)


def kinds() -> tuple[str, ...]:
    """The kinds `label` knows."""
    return tuple(_BY_KIND)


def metric_title(code: str) -> str:
    """A metric as a chart's panel title names it: with its direction or its scale where that helps."""
    return METRIC_TITLES.get(code) or label("metric", code)


def metric_column_label(column: str) -> str:
    """A column of Evaluate's comparison table (plots.metric_curves.flatten_result) for people:
    'fid.frechet_distance' -> 'Frechet distance', 'parzen.mean' -> 'Parzen log-likelihood', 'G' -> "G's weights"."""
    if column in METRIC_LABELS:
        return METRIC_LABELS[column]
    metric, _, key = column.partition(".")
    if not key:
        return label("column", column)
    return METRIC_LABELS.get(key) or f"{label('metric', metric)}: {label('metric', key)}"


def cell_label(column: str, value: object) -> object:
    """A table cell for people: a code in a column of codes (dataset, loss, model, ..., state) named by `label`;
    anything else as it is."""
    kind = FIELD_KINDS.get(column)
    if kind is None or not isinstance(value, str) or not value:
        return value
    return label(kind, value)


def step_label(step: int) -> str:
    """A step as people write it: 'step 4,000' (not 'step_00004000')."""
    return f"step {int(step):,}"
