"""The Train page's configuration form, built from TrainConfig's field metadata.

The config lives in `st.session_state[CONFIG_KEY]` as a plain dict (not in widgets, which Streamlit drops
when their page is not shown); `config_sidebar()` renders one widget per TrainConfig field with `ui=True`
and returns the validated TrainConfig or the ConfigError.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import streamlit as st

from explorer.game.config import DATASETS, TOYS, ConfigError, TrainConfig

CONFIG_KEY = "train_cfg"
WIDGET_PREFIX = "cfg_"


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
