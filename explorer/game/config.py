"""One frozen dataclass describes a run. Its field metadata (help text, UI range, choices) feeds the
Streamlit sidebar, the CLI's `--set field=value` and the notebooks, so there is one source of truth."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

# The data sets and objectives are registries (explorer.game.datasets, explorer.game.objectives): DATASETS, LOSSES
# and the toy groups are live views of their names, so a field's choices include what is registered later. The
# groups are named here too, where the config's rules use them, for the pages and the CLI.
from explorer.game.datasets import (  # noqa: F401 - POINTS, TOYS_1D, TOYS_2D, IMAGE_DEFAULTS: for the app
    DATASET_REGISTRY,
    DATASETS,
    IMAGE_DEFAULTS,
    POINTS,
    TOYS,
    TOYS_1D,
    TOYS_2D,
)
from explorer.game.objectives import LOSSES
from explorer.game.uploads import StoredDataset

MODELS = ("auto", "paper", "mlp", "dcgan", "toy")
OPTIMIZERS = ("sgd", "adam")
PRIORS = ("uniform", "normal")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("fp32", "bf16")


class ConfigError(ValueError):
    """A config value is not allowed; the message names the field, the value and what is allowed."""

    def __init__(self, field_name: str, value: Any, allowed: str):
        self.field_name, self.value, self.allowed = field_name, value, allowed
        super().__init__(f"{field_name}={value!r} is not allowed: {allowed}")


def _f(default: Any, help: str, *, label: str, advanced: bool = False, lo: float | None = None,
       hi: float | None = None, choices: tuple[str, ...] | None = None, log: bool = False, ui: bool = True,
       stops: tuple[float, ...] | None = None) -> Any:
    """A config field with its UI metadata: `label` is what a person reads (the field's name is for code, the
    CLI and links), `advanced` folds it away in the sidebar, `lo`/`hi` bound numbers, `choices` bound strings,
    `log` asks for a log-scale slider, `stops` are the values a UI slider offers for a number whose useful
    values no even step reaches (any value in [lo, hi] stays valid), `ui=False` keeps a field out of the
    sidebar."""
    meta = {"help": help, "label": label, "advanced": advanced, "lo": lo, "hi": hi, "choices": choices, "log": log,
            "ui": ui, "stops": stops}
    return field(default=default, metadata=meta)


def model_family(model: str, dataset: str | None) -> str:
    """The model family `model` means on `dataset` ('auto' resolved): the one rule, for a TrainConfig and for a
    form's values that are not a valid config yet."""
    if model != "auto":
        return model
    spec = DATASET_REGISTRY.find(dataset)
    return spec.default_family if spec is not None else "mlp"


def field_applies(name: str, values: Mapping[str, Any]) -> bool:
    """Whether field `name` changes anything for these (possibly invalid) values, so a form shows only what
    matters: the sidebar and the notebook panel."""
    family = model_family(values.get("model", "auto"), values.get("dataset"))
    if name in ("maxout_pieces", "dropout"):
        return family == "paper"
    if name == "momentum":
        return values.get("optimizer") == "sgd"
    if name == "beta1":
        return values.get("optimizer") == "adam"
    if name == "g_average":  # used by evaluations and the figure pages, which toys do not have
        return family != "toy"
    return True


def log_stops(lo: float, hi: float, current: float | None = None) -> list[float]:
    """1-2-5 steps per decade between lo and hi (plus `current`): the values a log-scale slider offers."""
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = float(f"{m}e{e}")
            if lo <= v <= hi:
                out.append(v)
    if current is not None and lo <= current <= hi and current not in out:
        out.append(float(current))
    return sorted(out)


@dataclass(frozen=True)
class TrainConfig:
    # --- data ---
    dataset: str = _f("toy1d", "Which p_data to learn.", choices=DATASETS, label="Data set")
    data_root: str = _f("", "Folder holding torchvision data sets (or your images for 'folder', or your CSV file "
                        "for 'points1d'/'points2d'); empty means $GAN_EXPLORER_DATA, else ./data.", ui=False,
                        label="Data folder", advanced=True)
    image_size: int = _f(0, "Resize images to this side length (0 keeps the data set's own).",
                         lo=0, hi=64, ui=False, label="Image size", advanced=True)
    # --- models ---
    model: str = _f("auto", "Network family: 'paper' = the 2014 MNIST MLPs (ReLU G, maxout D, sigmoid); "
                    "'mlp' = LeakyReLU + batch-norm MLPs with tanh (PyTorch-GAN's gan.py); 'dcgan' = small "
                    "convolutional nets for 32x32 images; 'toy' = small MLPs for 1D/2D; 'auto' picks by data set.",
                    choices=MODELS, label="Network family")
    z_dim: int = _f(0, "Size of the noise vector z fed to G (0 = the family's default: 100 for images, "
                    "1 for the 1D toy, 2 for 2D toys).", lo=0, hi=256, label="Noise size (z)", advanced=True)
    prior: str = _f("uniform", "Noise prior p_z: uniform on [-sqrt 3, sqrt 3] (unit variance, as in the "
                    "paper's code) or a standard normal.", choices=PRIORS, label="Noise prior p_z", advanced=True)
    g_hidden: int = _f(0, "Width of G's hidden layers (0 = the family's default).", lo=0, hi=2048,
                       label="G's hidden width")
    d_hidden: int = _f(0, "Width of D's hidden layers (0 = the family's default).", lo=0, hi=2048,
                       label="D's hidden width")
    maxout_pieces: int = _f(5, "Linear pieces per maxout unit in the paper's D.", lo=1, hi=10,
                            label="Maxout pieces", advanced=True)
    dropout: float = _f(0.5, "Dropout on D's hidden units (the paper keeps half). Regularises D so it "
                        "cannot win outright.", lo=0.0, hi=0.9, label="D's dropout")
    # --- the game ---
    loss: str = _f("non_saturating", "G's objective: 'minimax' descends log(1 - D(G(z))) exactly as "
                   "Algorithm 1; 'non_saturating' ascends log D(G(z)) (section 3), which keeps G's gradient "
                   "alive when D rejects its samples early on.", choices=LOSSES, label="G's loss")
    k: int = _f(1, "Discriminator steps per generator step (Algorithm 1's k; the paper used 1).", lo=1, hi=10,
                label="D steps per G step (k)")
    batch_size: int = _f(256, "Minibatch size m for both the data and the noise.", lo=1, hi=1024, label="Batch size")
    optimizer: str = _f("adam", "SGD with momentum (the paper) or Adam (common today).", choices=OPTIMIZERS,
                        label="Optimizer")
    lr_d: float = _f(2e-3, "Learning rate of D. A D that learns faster than G (two time-scales) keeps it near "
                     "D* so G follows the true JS gradient.", lo=1e-6, hi=1.0, log=True, label="D's learning rate")
    lr_g: float = _f(5e-4, "Learning rate of G. Too high and p_g overshoots p_data and oscillates.",
                     lo=1e-6, hi=1.0, log=True, label="G's learning rate")
    lr_decay: float = _f(1.0, "Divide both learning rates by this every update (paper: 1.000004).",
                         lo=1.0, hi=1.001, label="Learning-rate decay", advanced=True)
    lr_min: float = _f(0.0, "Learning rates never decay below this (paper: 1e-6).", lo=0.0, hi=1.0, ui=False,
                       label="Smallest learning rate", advanced=True)
    momentum: float = _f(0.5, "SGD momentum at the start (paper: 0.5). Ignored by Adam.", lo=0.0, hi=0.99,
                         label="Momentum")
    momentum_final: float = _f(-1.0, "SGD momentum reached after `momentum_ramp_steps` (paper: 0.7); "
                               "-1 keeps it constant.", lo=-1.0, hi=0.99, ui=False,
                               label="Final momentum", advanced=True)
    momentum_ramp_steps: int = _f(0, "Updates over which momentum rises linearly to `momentum_final`.",
                                  lo=0, hi=10_000_000, ui=False, label="Momentum ramp (steps)", advanced=True)
    beta1: float = _f(0.5, "Adam's beta1 (0.5 is the DCGAN choice for GANs).", lo=0.0, hi=0.999,
                      label="Adam beta1", advanced=True)
    beta2: float = _f(0.999, "Adam's beta2.", lo=0.0, hi=0.9999, ui=False, label="Adam beta2", advanced=True)
    fresh_noise_for_g: bool = _f(True, "Draw a fresh z for the G update, as Algorithm 1 is written. Off reuses "
                                 "the fake batch of the last D step (what most code does for k=1; a little faster).",
                                 label="Fresh noise for G's step", advanced=True)
    g_average: float = _f(0.0, "Also keep an exponential moving average of G's weights with this decay (0 = off; "
                          "0.999 averages over about the last 1,000 updates; until then the average spans about "
                          "the later half of the run, weighing update s by s^2). Evaluations and the figure pages "
                          "use the average; training never reads it, so the game is unchanged. Averaging G's iterates "
                          "removes much of the game's oscillation (Yazici et al., 2019).", lo=0.0, hi=0.99999,
                          stops=(0.0, 0.9, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99995, 0.99997, 0.99999),
                          label="Average of G's weights", advanced=True)
    # --- run ---
    seed: int = _f(0, "Random seed for weights, data order and noise.", lo=0, hi=2**31 - 1, label="Seed")
    device: str = _f("auto", "Where to train: 'auto' picks CUDA, then MPS, then CPU.", choices=DEVICES,
                     label="Device", advanced=True)
    precision: str = _f("fp32", "bf16 runs the matrix products in bfloat16 autocast (fast on CPUs with "
                        "AVX-512 BF16 and on GPUs); fp32 is exact.", choices=PRECISIONS,
                        label="Precision", advanced=True)
    reproducible: bool = _f(True, "Same seed, same run, to the last bit on a CPU: the thread count stays fixed. "
                            "Off lets the engine time one thread against one per core while it trains and keep the "
                            "faster (much faster on a busy machine, but the last bits of the maths then depend on "
                            "which it picked, and they can grow). On CUDA, on asks for PyTorch's deterministic "
                            "algorithms (somewhat slower); off lets cuDNN pick its fastest kernels.",
                            label="Reproducible", advanced=True)
    steps: int = _f(3000, "Generator updates to train for; the run stops there. 0: no limit, the run trains until "
                    "you press Stop.",
                    lo=0, hi=10_000_000, label="Steps")
    sample_interval: int = _f(50, "Steps between the frames recorded for replay: sample grids from the fixed z, "
                            "or the toy's figure (the live view also refreshes by time).", lo=1, hi=100_000,
                              label="Steps between recorded frames", advanced=True)
    checkpoint_interval: int = _f(5000, "Steps between checkpoints on disk (one is also written at the end).",
                                  lo=1, hi=10_000_000, ui=False, label="Steps between checkpoints", advanced=True)
    eval_interval: int = _f(0, "Steps between in-training metrics, computed on 1,000 samples: modes covered for "
                            "ring8/grid25, classifier scores for MNIST-like data (0 = off).", lo=0, hi=10_000_000,
                            label="Steps between in-training metrics", advanced=True)

    def __post_init__(self) -> None:
        for f in fields(self):
            value, meta = getattr(self, f.name), f.metadata
            expected = _type_of(f)
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
                value = float(value)
            if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
                raise ConfigError(f.name, value, f"expected {_a(expected.__name__)}")
            if expected is float and not math.isfinite(value):
                raise ConfigError(f.name, value, f"a finite number in [{meta['lo']}, {meta['hi']}]")
            if meta["choices"] and value not in meta["choices"]:
                raise ConfigError(f.name, value, "one of " + ", ".join(meta["choices"]))
            if meta["lo"] is not None and not (meta["lo"] <= value <= meta["hi"]):
                raise ConfigError(f.name, value, f"a number in [{meta['lo']}, {meta['hi']}]")
        if self.model == "dcgan" and self.dataset in TOYS:
            raise ConfigError("model", self.model, "'dcgan' needs an image data set; use 'toy' or 'auto' for toys")
        if self.model == "toy" and self.dataset not in TOYS:
            raise ConfigError("model", self.model, "'toy' is for 1D/2D toys; use 'paper', 'mlp' or 'dcgan'")
        if self.model == "dcgan" and self.image_size not in (0, 32):
            raise ConfigError("image_size", self.image_size, "0 or 32 for 'dcgan' (its images are resized to 32x32)")
        if self.family in ("mlp", "dcgan") and self.batch_size < 2:
            raise ConfigError("batch_size", self.batch_size, f"at least 2 for '{self.family}' (batch norm needs two "
                                                             f"samples to normalise)")
        if self.momentum_final >= 0 and self.momentum_ramp_steps == 0:
            raise ConfigError("momentum_ramp_steps", 0, "> 0 when momentum_final is set")
        if self.lr_min > min(self.lr_d, self.lr_g):
            raise ConfigError("lr_min", self.lr_min, f"at most the smaller learning rate, "
                                                     f"{min(self.lr_d, self.lr_g):g} (it is a floor for decay)")

    # --- derived ---
    @property
    def family(self) -> str:
        """The model family actually used ('auto' resolved)."""
        return model_family(self.model, self.dataset)

    @classmethod
    def for_dataset(cls, dataset: str, **changes: Any) -> TrainConfig:
        """The recommended starting config for a data set (the defaults suit the 1D toy)."""
        if dataset not in DATASETS:
            raise ConfigError("dataset", dataset, "one of " + ", ".join(DATASETS))
        return cls(**{**DATASET_REGISTRY.get(dataset).defaults, "dataset": dataset, **changes})

    @classmethod
    def for_stored(cls, stored: StoredDataset) -> TrainConfig:
        """The recommended config for a kept upload (Your data), pointed at its file or folder, with a batch no
        larger than the data."""
        base = cls.for_dataset(stored.dataset)
        return base.replace(data_root=str(stored.path.resolve()), batch_size=min(base.batch_size, stored.count))

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(unknown[0], d[unknown[0]], "a known field: " + ", ".join(sorted(names)))
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        return cls.from_dict(json.loads(text))

    def to_query(self) -> dict[str, str]:
        """The config as a link's query parameters: the data set and each field that differs from its defaults,
        as text that `from_query` reads back to this very config (floats in full, so nothing is rounded)."""
        base = TrainConfig.for_dataset(self.dataset).to_dict()
        return {"dataset": self.dataset, **{name: _query_text(value) for name, value in self.to_dict().items()
                                            if name != "dataset" and value != base[name]}}

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> tuple[TrainConfig, list[str]]:
        """(config, problems) from a link's query parameters: the link's data set's defaults, then each known
        field in field order; an unknown name or a value that is not allowed is left out and described in
        `problems` ("lr_d=abc: expected a number"), the rest is kept."""
        problems = []
        dataset = params.get("dataset", "toy1d")
        if dataset not in DATASETS:
            problems.append(f"dataset={dataset}: not one of {', '.join(DATASETS)}")
            dataset = "toy1d"
        cfg = cls.for_dataset(dataset)
        by_name = {f.name: f for f in fields(cls)}
        problems += [f"{name}: not a setting" for name in params if name not in by_name]
        parsed = {}
        for name, f in by_name.items():
            if name != "dataset" and name in params:
                try:
                    parsed[name] = parse_value(f, params[name])
                except ConfigError as e:
                    problems.append(f"{name}={params[name]}: {e.allowed}")
        try:
            return cfg.replace(**parsed), problems  # all at once: two fields that must agree arrive together
        except ConfigError:
            pass
        for name, value in parsed.items():  # one at a time, in field order, leaving out what is refused
            try:
                cfg = cfg.replace(**{name: value})
            except ConfigError as e:
                problems.append(f"{name}={params[name]}: {e.allowed}")
        return cfg, problems

    def with_overrides(self, assignments: list[str]) -> TrainConfig:
        """Apply CLI-style `field=value` strings, parsing each value by the field's type."""
        return self.replace(**parse_overrides(assignments))


def parse_overrides(assignments: list[str]) -> dict[str, Any]:
    """CLI-style `field=value` strings as {field: value}, each value parsed by its field's type (ConfigError for an
    unknown field or a value that does not parse): the changes `with_overrides` and `Runner.open` apply."""
    changes: dict[str, Any] = {}
    by_name = {f.name: f for f in fields(TrainConfig)}
    for a in assignments:
        name, sep, raw = a.partition("=")
        name = name.strip()
        if not sep or name not in by_name:
            raise ConfigError(name or a, raw, "field=value with a known field: " + ", ".join(by_name))
        changes[name] = parse_value(by_name[name], raw.strip())
    return changes


def _a(type_name: str) -> str:
    return {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string"}[type_name]


def _type_of(f: dataclasses.Field) -> type:
    return {"str": str, "int": int, "float": float, "bool": bool}[f.type if isinstance(f.type, str)
                                                                  else f.type.__name__]


def parse_value(f: dataclasses.Field, raw: str) -> Any:
    """Parse a string (CLI, query string) into the field's type; errors name the field."""
    t = _type_of(f)
    try:
        if t is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        return t(raw)
    except ValueError:
        raise ConfigError(f.name, raw, f"expected {_a(t.__name__)}") from None


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def field_info(name: str) -> dict[str, Any]:
    """UI metadata of one field (help, lo, hi, choices, log, ui) plus its default and type name."""
    f = {f.name: f for f in fields(TrainConfig)}[name]
    return {**f.metadata, "default": f.default, "type": _type_of(f).__name__}

