"""The Train page's configuration form, built from TrainConfig's field metadata.

The config lives in `st.session_state[CONFIG_KEY]` as a plain dict (not in widgets, which Streamlit drops
when their page is not shown); `config_sidebar()` renders one widget per TrainConfig field with `ui=True`, under
its human label (the field's name is in the help), the advanced ones folded, and returns the validated
TrainConfig or the ConfigError.

The config also lives in the URL (as TensorFlow Playground keeps its state): `load_from_url()` reads a link's
query parameters into the form (what it could not use is shown, the rest kept) and `sync_url()` writes the form
back, so the address bar, and the sidebar's "Share this configuration", are always a link to the experiment.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import streamlit as st

from explorer import names
from explorer.game.config import (
    DATASETS,
    POINTS,
    ConfigError,
    TrainConfig,
    field_applies,
    log_stops,
)
from explorer.game.models import AUTO_SIZES, auto_size

CONFIG_KEY = "train_cfg"
WIDGET_PREFIX = "cfg_"
URL_KEY = "url_config"  # the config part of the URL as last read or written by this session
URL_NOTE_KEY = "url_note"  # what a link held that could not be used
APP_PARAMS = ("run", "present", "tour", "step", "embed", "embed_options")  # not the config's


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


def _fmt(v: float) -> str:
    return f"{v:g}"


def _choice_label(name: str):
    """How a choice field's options read in its select: names.label of the field's kind, else the code itself."""
    kind = names.FIELD_KINDS.get(name)
    return (lambda code: names.label(kind, code)) if kind else str


def _codes(name: str, choices) -> str:
    """The help text's line of codes, for links and the CLI: (`loss`: minimax = minimax (saturating), ...)."""
    kind = names.FIELD_KINDS.get(name)
    pairs = ", ".join(f"`{c}`" + (f" = {names.label(kind, c)}" if kind else "") for c in choices)
    return f"(`{name}`: {pairs})"


def _on_dataset_change() -> None:
    name = st.session_state[WIDGET_PREFIX + "dataset"]
    # An uploaded CSV keeps its path (the Your data page set it); every other data set starts from its defaults.
    kept = {"data_root": config_dict().get("data_root", "")} if name in POINTS else {}
    set_config(TrainConfig.for_dataset(name, **kept))
    st.session_state[WIDGET_PREFIX + "dataset"] = name


def field_widget(name: str, value: Any, *, key: str, container=st, on_change=None, args: tuple = (),
                 label: str | None = None, disabled: bool = False) -> Any:
    """One widget for a TrainConfig field, chosen from its metadata; returns the widget's value.
    The value is seeded into session_state under `key` if the widget has none yet."""
    f = _fields()[name]
    meta, kind = f.metadata, type(f.default).__name__
    label = label or meta["label"]
    if key not in st.session_state:
        st.session_state[key] = value
    common = dict(key=key, help=f"{meta['help']} (`{name}`)", on_change=on_change, args=args, disabled=disabled)
    if meta["choices"]:
        return container.selectbox(label, list(meta["choices"]), format_func=_choice_label(name),
                                   **{**common, "help": f"{meta['help']} {_codes(name, meta['choices'])}"})
    if kind == "bool":
        return container.checkbox(label, **common)
    lo, hi = meta["lo"], meta["hi"]
    if meta["stops"]:
        options = sorted(set(meta["stops"]) | {float(st.session_state[key])})
        return container.select_slider(label, options=options, format_func=_fmt, **common)
    if meta["log"]:
        options = log_stops(lo, hi, st.session_state[key])
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


def _field(name: str, f: Any, values: dict[str, Any], container) -> None:
    values[name] = field_widget(name, values.get(name, f.default), key=WIDGET_PREFIX + name, container=container)
    if name in AUTO_SIZES and values[name] == 0:
        container.caption(f"0 = auto: {auto_size(name, values.get('model', 'auto'), values.get('dataset'))}")


def config_sidebar() -> tuple[TrainConfig | None, ConfigError | None]:
    """The sidebar form: data set first (loading its defaults on change), then every field that matters, in
    groups, the advanced ones folded. Returns (config, None) when valid, else (None, error); the error is also
    shown with st.error."""
    values = config_dict()
    sb = st.sidebar
    sb.header("Configuration")
    key = WIDGET_PREFIX + "dataset"
    if key not in st.session_state:
        st.session_state[key] = values.get("dataset", "toy1d")
    values["dataset"] = sb.selectbox("Data set", list(DATASETS), key=key, on_change=_on_dataset_change,
                                     format_func=_choice_label("dataset"),
                                     help=_fields()["dataset"].metadata["help"] + " Changing it loads the data "
                                     "set's recommended defaults. " + _codes("dataset", DATASETS))
    groups = {"model": "Models", "loss": "The game", "seed": "Run"}
    shown = [(name, f) for name, f in _fields().items() if name != "dataset" and f.metadata["ui"]]
    for name, f in shown:  # the settings a lecture touches, in groups; the advanced ones folded below them
        if name in groups:
            sb.subheader(groups[name])
        if not f.metadata["advanced"] and field_applies(name, values):
            _field(name, f, values, sb)
    advanced = sb.expander("Advanced settings", icon=":material/tune:")
    for name, f in shown:
        if f.metadata["advanced"] and field_applies(name, values):
            _field(name, f, values, advanced)
    st.session_state[CONFIG_KEY] = values
    try:
        return TrainConfig.from_dict(values), None
    except ConfigError as e:
        sb.error(f"**{_fields()[e.field_name].metadata['label'] if e.field_name in _fields() else e.field_name}**"
                 f": {e}")
        return None, e
    except TypeError as e:  # a widget produced the wrong type: treat as a config error on that field
        err = ConfigError("config", values, str(e))
        sb.error(str(err))
        return None, err


# ------------------------------------------------------------------------------------------- the URL

def _url_config() -> dict[str, str]:
    return {k: v for k, v in st.query_params.to_dict().items() if k not in APP_PARAMS}


def load_from_url() -> bool:
    """A link's configuration into the form, once per link: when the URL's config parameters are not the ones
    this session last read or wrote. What could not be used is kept for `show_url_note`. True if loaded."""
    params = _url_config()
    if not params or params == st.session_state.get(URL_KEY):
        return False
    cfg, problems = TrainConfig.from_query(params)
    set_config(cfg)
    st.session_state[URL_KEY] = params
    st.session_state[URL_NOTE_KEY] = (problems, cfg.to_query())
    return True


def show_url_note(cfg: TrainConfig | None) -> None:
    """What the link held that could not be used, while the settings are still the link's."""
    problems, loaded = st.session_state.get(URL_NOTE_KEY, ([], None))
    if problems and cfg is not None and cfg.to_query() == loaded:
        from app.session import as_text

        st.warning("The link's settings are loaded, except: " + as_text("; ".join(problems)[:600])
                   + ". Those keep their defaults.", icon=":material/link_off:")


def sync_url(cfg: TrainConfig | None) -> None:
    """The form's (valid) config into the URL, keeping the app's own parameters (?run=)."""
    if cfg is None:
        return
    wanted = cfg.to_query()
    if wanted == _url_config():
        return
    for name in _url_config():
        if name not in wanted:
            del st.query_params[name]
    st.query_params.update(wanted)
    st.session_state[URL_KEY] = wanted


def share_link(cfg: TrainConfig | None, container=st.sidebar) -> None:
    """The configuration as a link, in a code block (its copy button copies it)."""
    if cfg is None:
        return
    from urllib.parse import urlencode

    base = (st.context.url or "").split("?")[0]
    with container.expander("Share this configuration", icon=":material/link:"):
        st.caption("This link opens the Train page with exactly these settings (the address bar holds it too).")
        st.code(f"{base}?{urlencode(cfg.to_query())}", language=None, wrap_lines=True)


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
