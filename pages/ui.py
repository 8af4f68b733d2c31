"""Widgets and helpers shared by every page of the app.

- `registry()`: the process-wide RunRegistry (st.cache_resource), so every tab and page sees the same runs.
- The Train config lives in `st.session_state[CONFIG_KEY]` as a plain dict (not in widgets, which Streamlit
  drops when their page is not shown); `config_sidebar()` renders one widget per TrainConfig field with
  `ui=True` from the field's metadata and returns the validated TrainConfig or the ConfigError.
- The attached run: its name is kept in `st.session_state["run"]` and in the URL (`?run=NAME`), so a reload
  or a second tab shows the same run. `attached_runner()` resolves it (reopening a saved run if the server
  restarted); `run_picker()` attaches to another.
- `status_line(snapshot)`: one line of step, steps/s, elapsed, device, state.

The training thread never calls Streamlit: pages only read `runner.snapshot()` and send commands.
"""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import streamlit as st

from explorer.config import DATASETS, TOYS, ConfigError, TrainConfig
from explorer.runner import Runner, RunRegistry, Snapshot
from explorer.runs import list_runs, resolve_runs_dir, sanitize_run_name

CONFIG_KEY = "train_cfg"
RUN_KEY = "run"
WIDGET_PREFIX = "cfg_"
TRAIN_PAGE = "pages/train.py"

# Material icons (rendered by Streamlit's own font, so they show in any browser, unlike emoji).
STATE_ICONS = {"loading": ":material/hourglass_top:", "ready": ":material/radio_button_unchecked:",
               "running": ":green[:material/play_circle:]", "paused": ":orange[:material/pause_circle:]",
               "diverged": ":red[:material/warning:]", "finished": ":green[:material/check_circle:]",
               "stopped": ":material/stop_circle:", "error": ":red[:material/error:]"}


# ------------------------------------------------------------------------------------------- registry

def _release(reg: RunRegistry) -> None:
    reg.stop_all()


@st.cache_resource(show_spinner=False, on_release=_release)
def _registry(runs_dir: str) -> RunRegistry:
    return RunRegistry(runs_dir)


def registry() -> RunRegistry:
    """The one RunRegistry of this server process, for $GAN_EXPLORER_RUNS else ./runs."""
    return _registry(str(resolve_runs_dir()))


@st.cache_resource(show_spinner=False)
def device_text() -> str:
    """'GPU: <name>' or 'CPU (n cores)' for the device `auto` picks."""
    from explorer.trainer import device_label, pick_device

    return device_label(pick_device())


# ------------------------------------------------------------------------------------------- config

def _fields() -> dict[str, Any]:
    return {f.name: f for f in fields(TrainConfig)}


def config_dict() -> dict[str, Any]:
    """The Train page's current (possibly invalid) config values."""
    if CONFIG_KEY not in st.session_state:
        st.session_state[CONFIG_KEY] = TrainConfig().to_dict()
    return dict(st.session_state[CONFIG_KEY])


def set_config(cfg: TrainConfig | dict[str, Any]) -> None:
    """Replace the Train page's config (a preset, a data set's defaults) and reset its widgets to it."""
    st.session_state[CONFIG_KEY] = cfg.to_dict() if isinstance(cfg, TrainConfig) else dict(cfg)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(WIDGET_PREFIX)]:
        del st.session_state[key]


def _family(values: dict[str, Any]) -> str:
    if values.get("model", "auto") != "auto":
        return values["model"]
    ds = values.get("dataset")
    return "toy" if ds in TOYS else ("dcgan" if ds == "cifar10" else "mlp")


def relevant(name: str, values: dict[str, Any]) -> bool:
    """Whether a field changes anything for the config so far (so the sidebar shows only what matters)."""
    if name in ("maxout_pieces", "dropout"):
        return _family(values) == "paper"
    if name == "momentum":
        return values.get("optimizer") == "sgd"
    if name == "beta1":
        return values.get("optimizer") == "adam"
    if name == "g_average":  # used by evaluations and figure pages, which toys do not have
        return _family(values) != "toy"
    return True


def log_options(lo: float, hi: float, current: float | None = None) -> list[float]:
    """1-2-5 steps per decade between lo and hi (plus `current`), for log-scale select sliders."""
    out = []
    for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = float(f"{m}e{e}")
            if lo <= v <= hi:
                out.append(v)
    if current is not None and lo <= current <= hi and current not in out:
        out.append(float(current))
    return sorted(out)


def _fmt(v: float) -> str:
    return f"{v:g}"


def _on_dataset_change() -> None:
    name = st.session_state[WIDGET_PREFIX + "dataset"]
    set_config(TrainConfig.for_dataset(name))
    st.session_state[WIDGET_PREFIX + "dataset"] = name


def field_widget(name: str, value: Any, *, key: str, container=st, on_change=None, args: tuple = (),
                 label: str | None = None, disabled: bool = False) -> Any:
    """One widget for a TrainConfig field, chosen from its metadata; returns the widget's value.
    The value is seeded into session_state under `key` if the widget has none yet."""
    f = _fields()[name]
    meta, kind = f.metadata, type(f.default).__name__
    label = label or name
    if key not in st.session_state:
        st.session_state[key] = value
    common = dict(key=key, help=meta["help"], on_change=on_change, args=args, disabled=disabled)
    if meta["choices"]:
        return container.selectbox(label, list(meta["choices"]), **common)
    if kind == "bool":
        return container.checkbox(label, **common)
    lo, hi = meta["lo"], meta["hi"]
    if meta["stops"]:
        options = sorted(set(meta["stops"]) | {float(st.session_state[key])})
        return container.select_slider(label, options=options, format_func=_fmt, **common)
    if meta["log"]:
        options = log_options(lo, hi, st.session_state[key])
        if st.session_state[key] not in options:
            st.session_state[key] = min(options, key=lambda o: abs(math.log(o) - math.log(max(value, 1e-12))))
        return container.select_slider(label, options=options, format_func=_fmt, **common)
    if kind == "int":
        if hi - lo <= 20:
            return container.slider(label, int(lo), int(hi), step=1, **common)
        return container.number_input(label, int(lo), int(hi), step=1, **common)
    if hi - lo <= 1.0 and hi - lo >= 0.1:
        return container.slider(label, float(lo), float(hi), step=0.01, **common)
    return container.number_input(label, float(lo), float(hi), step=1e-6 if hi - lo < 0.01 else 0.01,
                                  format="%.6f" if hi - lo < 0.01 else "%.4f", **common)


def config_sidebar() -> tuple[TrainConfig | None, ConfigError | None]:
    """The sidebar form: data set first (loading its defaults on change), then every field that matters.
    Returns (config, None) when valid, else (None, error); the error is also shown with st.error."""
    values = config_dict()
    sb = st.sidebar
    sb.header("Configuration")
    key = WIDGET_PREFIX + "dataset"
    if key not in st.session_state:
        st.session_state[key] = values.get("dataset", "toy1d")
    values["dataset"] = sb.selectbox("dataset", list(DATASETS), key=key, on_change=_on_dataset_change,
                                     help=_fields()["dataset"].metadata["help"] + " Changing it loads the data "
                                     "set's recommended defaults.")
    groups = {"model": "Models", "loss": "The game", "seed": "Run"}
    for name, f in _fields().items():
        if name == "dataset" or not f.metadata["ui"]:
            continue
        if name in groups:
            sb.subheader(groups[name])
        if not relevant(name, values):
            continue
        values[name] = field_widget(name, values.get(name, f.default), key=WIDGET_PREFIX + name, container=sb)
    st.session_state[CONFIG_KEY] = values
    try:
        return TrainConfig.from_dict(values), None
    except ConfigError as e:
        sb.error(f"**{e.field_name}**: {e}")
        return None, e
    except TypeError as e:  # a widget produced the wrong type: treat as a config error on that field
        err = ConfigError("config", values, str(e))
        sb.error(str(err))
        return None, err


def current_config() -> tuple[TrainConfig | None, ConfigError | None]:
    """The config as the sidebar widgets hold it right now (usable in callbacks, which run before the page)."""
    values = config_dict()
    for key, value in st.session_state.items():
        if isinstance(key, str) and key.startswith(WIDGET_PREFIX) and key[len(WIDGET_PREFIX):] in values:
            values[key[len(WIDGET_PREFIX):]] = value
    try:
        return TrainConfig.from_dict(values), None
    except ConfigError as e:
        return None, e


# ------------------------------------------------------------------------------------------- runs

def attach(name: str | None) -> None:
    """Show run `name` on the Train page (also in the URL, so reloads and shared links keep it)."""
    if name:
        st.session_state[RUN_KEY] = name
        st.session_state.pop("no_adopt", None)
        st.session_state.pop("preset_loaded", None)
        if st.query_params.get(RUN_KEY) != name:
            st.query_params[RUN_KEY] = name
    else:
        st.session_state.pop(RUN_KEY, None)
        if RUN_KEY in st.query_params:
            del st.query_params[RUN_KEY]


def find_runner(reg: RunRegistry, name: str) -> Runner | None:
    """A registered run, else a saved run folder of that name reopened (not started)."""
    runner = reg.get(name)
    if runner is not None:
        return runner
    try:
        run_dir = Path(reg.runs_dir) / sanitize_run_name(name)
    except ValueError:
        return None
    if (run_dir / "config.json").exists():
        try:
            return reg.open(run_dir)
        except Exception as e:  # damaged checkpoint, unreadable config: say so, keep the page alive
            st.warning(f"Could not reopen {run_dir}: {type(e).__name__}: {e}")
    return None


def attached_runner(reg: RunRegistry, adopt_active: bool = True) -> Runner | None:
    """The run this tab shows: ?run= in the URL, else this session's, else (a fresh tab) the newest live run."""
    name = st.query_params.get(RUN_KEY) or st.session_state.get(RUN_KEY)
    runner = find_runner(reg, name) if name else None
    if runner is None and adopt_active:
        active = reg.active()
        runner = active[-1] if active else None
    if runner is not None:
        attach(runner.name)
    elif name:
        st.warning(f"Run '{name}' is not in this server's registry or in {reg.runs_dir}.")
        attach(None)
    return runner


def _on_pick() -> None:
    choice = st.session_state.get("run_picker")
    if choice and choice != "—":
        runner = find_runner(registry(), choice)
        attach(runner.name if runner else None)


def run_picker(reg: RunRegistry, current: Runner | None, container=st.sidebar) -> None:
    """Attach to any run in the registry, or reopen a saved one from the runs directory."""
    live = {r.name: r for r in reg.runners()}
    saved = [info.name for info in list_runs(reg.runs_dir) if info.name not in live and info.config is not None]
    options = ["—", *live, *saved]

    def label(name: str) -> str:
        if name == "—":
            return "(no run)"
        # Labels must not change while the page is open (the widget is matched by them): no live state here.
        return name if name in live else f"{name} (saved)"

    st.session_state["run_picker"] = current.name if current is not None and current.name in options else "—"
    container.selectbox("Run", options, key="run_picker", format_func=label, on_change=_on_pick,
                        help="Attach this page to any run of this server, or reopen a saved run from "
                             f"{reg.runs_dir} (Resume continues it from its last checkpoint).")


def status_line(snap: Snapshot) -> str:
    total = f" / {snap.config.steps}" if snap.config.steps else ""
    parts = [f"{STATE_ICONS.get(snap.state, '')} **{snap.state}**", f"step **{snap.step}**{total}",
             f"{snap.steps_per_s:,.0f} steps/s", f"{snap.elapsed:,.1f} s elapsed",
             snap.device or "device: (loading)", f"lr_d {snap.lr_d:g} · lr_g {snap.lr_g:g} · k {snap.k}"]
    if snap.toy_history:
        _, d_on_data, js, _ = snap.toy_history[-1]
        parts.append(f"JS ≈ {js:.3f} nats · D on data {d_on_data:.2f}")
    return " · ".join(parts)
