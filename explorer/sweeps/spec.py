"""What a sweep is: a base config, a grid of hyperparameter values and a list of seeds. Every combination of
grid values and seed is one trial, trained as an ordinary run. The spec is pure data, saved as sweep.json,
so an interrupted sweep can be resumed from its folder alone."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, fields
from typing import Any

from explorer.game.config import TOYS, ConfigError, TrainConfig, parse_value
from explorer.lessons.presets import PRESETS, preset
from explorer.runs.run_folder import sanitize_run_name

# A sweep of hundreds of trials is a typo more often than a plan: past this the spec asks for --max-trials.
MAX_TRIALS = 1000
# Fields a grid may not vary: where a run lives or how it is written, not the game.
NOT_SWEEPABLE = ("data_root", "device", "steps", "seed", "sample_interval", "checkpoint_interval")
# A sweep started from the Sweeps page's form stays lecture-room small; the CLI (`python -m explorer sweep`) has no
# such limits.
MAX_PAGE_TRIALS = 36
MAX_PAGE_STEPS = 2000
NO_AXIS = "(none)"  # the form's second hyperparameter left out
# Values to start from, by field the form offers as an axis.
SUGGESTED = {"lr_d": "1e-4,1e-3,1e-2", "lr_g": "1e-4,1e-3,1e-2", "loss": "minimax,non_saturating", "k": "1,2,5",
             "optimizer": "sgd,adam", "batch_size": "32,128,512", "momentum": "0,0.5,0.9", "dropout": "0,0.5",
             "prior": "uniform,normal"}


class SweepSpecError(ValueError):
    """The sweep's command line or sweep.json is not usable; the message says what to change."""


@dataclass(frozen=True)
class Trial:
    index: int  # position in the spec's order: grid values (first axis slowest), then seed
    name: str  # its run folder's name
    params: dict[str, Any]  # the grid's values for this trial, by field name
    seed: int
    config: TrainConfig


@dataclass(frozen=True)
class SweepSpec:
    name: str
    dataset: str  # the base config's data set (a grid over `dataset` overrides it per trial)
    preset: str | None  # start from this preset instead of the data set's defaults
    overrides: tuple[str, ...]  # `field=value` applied to every trial (the CLI's --set)
    grid: tuple[tuple[str, tuple[str, ...]], ...]  # (field, values as written), in axis order
    seeds: tuple[int, ...]
    steps: int

    def __post_init__(self) -> None:
        names = {f.name for f in fields(TrainConfig)}
        if not self.seeds:
            raise SweepSpecError("no seeds: give at least one, e.g. --seeds 0")
        if len(set(self.seeds)) != len(self.seeds):
            raise SweepSpecError(f"--seeds repeats a seed: {', '.join(map(str, self.seeds))}")
        if self.steps < 1:
            raise SweepSpecError(f"--steps {self.steps}: a trial needs at least 1 step")
        if self.preset is not None and self.preset not in PRESETS:
            raise SweepSpecError(f"no preset {self.preset!r}; the presets are: {', '.join(PRESETS)}")
        seen = set()
        for name, values in self.grid:
            if name not in names:
                raise SweepSpecError(f"--grid {name}=...: {name!r} is not a setting; the settings are: "
                                     f"{', '.join(sorted(names))}")
            if name in NOT_SWEEPABLE:
                raise SweepSpecError(f"--grid {name}=...: {name} is set by the sweep itself"
                                     + (" (use --seeds)" if name == "seed" else " (use --steps)" if name == "steps"
                                        else ""))
            if name in seen:
                raise SweepSpecError(f"--grid {name} is given twice: put all its values in one --grid {name}=a,b,c")
            if not values or any(v == "" for v in values):
                raise SweepSpecError(f"--grid {name}={','.join(values)}: an empty value (values are comma-separated)")
            if len(set(values)) != len(values):
                raise SweepSpecError(f"--grid {name}={','.join(values)} repeats a value")
            seen.add(name)

    # ------------------------------------------------------------------------------ trials
    @property
    def axes(self) -> list[str]:
        return [name for name, _ in self.grid]

    def n_trials(self) -> int:
        n = len(self.seeds)
        for _, values in self.grid:
            n *= len(values)
        return n

    def base_config(self, dataset: str | None = None) -> TrainConfig:
        """The config every trial starts from (before its grid values and seed)."""
        dataset = dataset or self.dataset
        if self.preset:
            cfg = preset(self.preset).replace(dataset=dataset)
        else:
            cfg = TrainConfig.for_dataset(dataset)
        cfg = cfg.with_overrides(list(self.overrides)).replace(steps=self.steps)
        # Checkpoints often enough that an interrupted trial goes on from near where it stopped.
        return cfg.replace(checkpoint_interval=min(cfg.checkpoint_interval, max(1, self.steps // 4)))

    def trials(self) -> list[Trial]:
        """Every trial in a fixed order, each with a valid config; a combination that is not allowed is refused
        here, before anything trains, naming the trial."""
        if self.n_trials() > MAX_TRIALS:
            raise SweepSpecError(f"{self.n_trials()} trials is more than {MAX_TRIALS}: use fewer grid values or seeds")
        by_name = {f.name: f for f in fields(TrainConfig)}
        axes = [[(name, parse_value(by_name[name], v)) for v in values] for name, values in self.grid]
        out = []
        for combo in itertools.product(*axes, [("seed", s) for s in self.seeds]):
            params = dict(combo[:-1])
            seed = combo[-1][1]
            try:
                cfg = self.base_config(params.get("dataset")).replace(**params, seed=seed)
            except ConfigError as e:
                shown = ", ".join(f"{k}={v}" for k, v in params.items())
                raise SweepSpecError(f"trial {shown}, seed {seed}: {e}") from None
            out.append(Trial(len(out), trial_name(self.name, len(out), params, seed), params, seed, cfg))
        return out

    # ------------------------------------------------------------------------------ on disk
    def to_json(self) -> str:
        return json.dumps({"name": self.name, "dataset": self.dataset, "preset": self.preset,
                           "overrides": list(self.overrides), "grid": {k: list(v) for k, v in self.grid},
                           "seeds": list(self.seeds), "steps": self.steps}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> SweepSpec:
        try:
            d = json.loads(text)
            return cls(name=str(d["name"]), dataset=str(d["dataset"]), preset=d.get("preset"),
                       overrides=tuple(map(str, d.get("overrides", ()))),
                       grid=tuple((str(k), tuple(map(str, v))) for k, v in d["grid"].items()),
                       seeds=tuple(int(s) for s in d["seeds"]), steps=int(d["steps"]))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise SweepSpecError(f"not a sweep spec ({type(e).__name__}: {e})") from None


def trial_name(sweep: str, index: int, params: dict[str, Any], seed: int) -> str:
    """`SWEEP-07-lr_d-0.001-minimax-s1`: unique within the sweep by its index, readable in the Runs table.
    The sweep's name leads so a trial's name is unique among all runs too (find_run_dir looks in sweeps)."""
    parts = [f"{sweep}-{index:02d}"] + [f"{k}-{v:g}" if isinstance(v, float) else
                                       (str(v) if k in ("loss", "optimizer", "dataset", "model", "prior",
                                                        "precision") else f"{k}-{v}") for k, v in params.items()]
    return sanitize_run_name("-".join(parts + [f"s{seed}"]))


def parse_grid(items: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`--grid lr_d=1e-4,3e-4 --grid loss=minimax,non_saturating` -> (("lr_d", ("1e-4", "3e-4")), ...)."""
    out = []
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise SweepSpecError(f"--grid {item!r}: write FIELD=v1,v2,... (e.g. --grid lr_d=1e-4,3e-4)")
        out.append((name.strip(), tuple(v.strip() for v in raw.split(","))))
    return tuple(out)


def parse_seeds(text: str) -> tuple[int, ...]:
    """`0,1,2` or a range `0-4` (both ends included)."""
    try:
        if "-" in text.strip("-") and "," not in text:
            lo, hi = (int(p) for p in text.split("-", 1))
            if hi < lo:
                raise ValueError
            return tuple(range(lo, hi + 1))
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise SweepSpecError(f"--seeds {text!r}: write seeds as 0,1,2 or a range 0-4") from None


def spec_from_form(name: str, dataset: str, axes: list[tuple[str, str]], seeds: str, steps: int) -> SweepSpec:
    """The SweepSpec the form describes, checked as the page's limits ask; SweepSpecError says what to change.
    `axes` is [(field, "v1,v2,...")]; a field of NO_AXIS is left out."""
    if dataset not in TOYS:
        raise SweepSpecError(f"{dataset!r} is not a toy data set: the page sweeps {', '.join(TOYS)} (the CLI any)")
    grid_items = []
    for field, values in axes:
        if field == NO_AXIS:
            continue
        if not values.strip():
            raise SweepSpecError(f"Give the values of {field}, comma-separated (e.g. {SUGGESTED.get(field, '1,2')}).")
        grid_items.append(f"{field}={values}")
    fields_used = [f for f, _ in axes if f != NO_AXIS]
    if len(set(fields_used)) < len(fields_used):
        raise SweepSpecError(f"Both axes are {fields_used[0]}: pick two different hyperparameters (or (none)).")
    if not seeds.strip():
        raise SweepSpecError("Give at least one seed, e.g. 0,1,2.")
    if not 1 <= steps <= MAX_PAGE_STEPS:
        raise SweepSpecError(f"{steps:,} steps: a sweep started here trains 1 to {MAX_PAGE_STEPS:,} steps per trial "
                             f"(`python -m explorer sweep` has no limit).")
    try:
        name = name.strip() or f"{dataset}-sweep-{time.strftime('%Y%m%d-%H%M%S')}"
        spec = SweepSpec(name=sanitize_run_name(name), dataset=dataset, preset=None, overrides=(),
                         grid=parse_grid(grid_items), seeds=parse_seeds(seeds.strip()), steps=int(steps))
    except ValueError as e:  # SweepSpecError, or the name's
        raise SweepSpecError(str(e).replace("--grid ", "").replace("--seeds ", "seeds ")) from None
    if spec.n_trials() > MAX_PAGE_TRIALS:
        raise SweepSpecError(f"{spec.n_trials()} trials is more than the {MAX_PAGE_TRIALS} a sweep started here may "
                             f"have: use fewer values or seeds (or `python -m explorer sweep` in a terminal).")
    try:
        spec.trials()  # every value parsed and every combination allowed, before anything is written
    except ConfigError as e:
        raise SweepSpecError(str(e)) from None
    return spec
