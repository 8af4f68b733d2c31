"""A panel's config controls, built from TrainConfig's field metadata: the same labels, ranges, choices and
folding as the app's sidebar (app/config_form.py, which this must not import: the engine never imports the app).

One widget per field with `ui=True`, under its label (the field's name and help in the tooltip), the `advanced`
ones folded under "Advanced settings", the irrelevant ones hidden (momentum for Adam, ...). Choosing a data set
loads its recommended defaults. `config()` validates the values as a whole: an invalid combination comes back as
a message naming the field, and the panel starts nothing. While a run trains, only lr_d, lr_g and k stay
enabled: those the Runner changes live (set_learning_rates, set_k).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import ipywidgets as w

from explorer import names
from explorer.game.config import ConfigError, TrainConfig, field_applies, log_stops
from explorer.game.models import AUTO_SIZES, auto_size

LIVE_FIELDS = ("lr_d", "lr_g", "k")  # changed while training, by the Runner
# Measured in JupyterLab's font (13 px system-ui): a label column of 152 px holds "D steps per G step (k)" (143 px
# of text), and a dropdown of 200 px its longest choice, "MNIST digits, 5,000 offline" (171 px, plus ~28 px of
# padding and arrow). A longer label is cut, its whole text in the tooltip.
DESCRIPTION_WIDTH = "152px"
WIDGET_PX = 352  # the panel's controls column is this wide plus margins (live.CONTROLS_WIDTH)
WIDGET_WIDTH = f"{WIDGET_PX}px"


def _options(name: str, codes: tuple[str, ...]) -> list[tuple[str, str]]:
    kind = names.FIELD_KINDS.get(name)  # a field of codes: shown by their labels
    return [(names.label(kind, code) if kind else code, code) for code in codes]


def field_widget(name: str, value: Any) -> w.ValueWidget:
    """One widget for a TrainConfig field, chosen from its metadata (the sidebar's choice of control)."""
    f = {f.name: f for f in fields(TrainConfig)}[name]
    meta, kind = f.metadata, type(f.default).__name__
    common = dict(description=meta["label"], tooltip=f"{meta['help']} ({name})",
                  style={"description_width": DESCRIPTION_WIDTH}, layout=w.Layout(width=WIDGET_WIDTH))
    if meta["choices"]:
        return w.Dropdown(options=_options(name, meta["choices"]), value=value, **common)
    if kind == "bool":
        return w.Checkbox(value=bool(value), indent=True, **common)
    lo, hi = meta["lo"], meta["hi"]
    if meta["stops"] or meta["log"]:
        values = sorted(set(meta["stops"]) | {float(value)}) if meta["stops"] else log_stops(lo, hi, value)
        return w.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=float(value),
                                 continuous_update=False, **common)
    if kind == "int":
        if hi - lo <= 20:
            return w.IntSlider(value=int(value), min=int(lo), max=int(hi), continuous_update=False, **common)
        return w.BoundedIntText(value=int(value), min=int(lo), max=int(hi), **common)
    if 0.1 <= hi - lo <= 1.0:
        return w.FloatSlider(value=float(value), min=float(lo), max=float(hi), step=0.01, continuous_update=False,
                             **common)
    return w.BoundedFloatText(value=float(value), min=float(lo), max=float(hi),
                              step=1e-6 if hi - lo < 0.01 else 0.01, **common)


class ConfigForm:
    """The controls of every shown field; `on_change(form)` runs after any value changes (live or not)."""

    def __init__(self, cfg: TrainConfig, on_change: Callable[[str, Any], None] | None = None):
        self.on_change = on_change
        self._loading = False  # True while a data set's defaults are put into the widgets
        shown = [f for f in fields(TrainConfig) if f.metadata["ui"]]
        self.hidden = {f.name: getattr(cfg, f.name) for f in fields(TrainConfig) if not f.metadata["ui"]}
        self.widgets: dict[str, w.ValueWidget] = {}
        for f in shown:
            widget = field_widget(f.name, getattr(cfg, f.name))
            widget.add_class(f"gan-field-{f.name}")  # for the browser test and for styling
            widget.observe(self._changed(f.name), names="value")
            self.widgets[f.name] = widget
        # Under a size whose 0 means "the family's default", what it becomes (the sidebar's "0 = auto: N").
        self.hints = {name: w.HTML(layout=w.Layout(margin=f"-4px 0 4px {DESCRIPTION_WIDTH}")).add_class(
            f"gan-hint-{name}") for name in AUTO_SIZES if name in self.widgets}

        def rows(advanced: bool) -> list[w.Widget]:
            return [row for f in shown if f.metadata["advanced"] == advanced
                    for row in (self.widgets[f.name], *([self.hints[f.name]] if f.name in self.hints else []))]

        basic, advanced = rows(False), rows(True)
        self.advanced = w.Accordion(children=[w.VBox(advanced)], titles=("Advanced settings",), selected_index=None)
        self.error = w.HTML()
        self.box = w.VBox([*basic, self.advanced, self.error])
        self._show_relevant()

    def values(self) -> dict[str, Any]:
        """The current (possibly invalid) values of every field."""
        return {**self.hidden, **{name: widget.value for name, widget in self.widgets.items()}}

    def config(self) -> tuple[TrainConfig | None, str | None]:
        """(config, None) when the values are valid together, else (None, what is wrong, naming the field)."""
        try:
            return TrainConfig.from_dict(self.values()), None
        except ConfigError as e:
            label = {f.name: f.metadata["label"] for f in fields(TrainConfig)}.get(e.field_name, e.field_name)
            return None, f"{label}: {e}"

    def set_config(self, cfg: TrainConfig) -> None:
        """Put `cfg` into the widgets (a data set's defaults), without a change callback per field."""
        self._loading = True
        try:
            for name, widget in self.widgets.items():
                value = getattr(cfg, name)
                if isinstance(widget, w.SelectionSlider):
                    value, offered = float(value), [v for _, v in widget.options]
                    if value not in offered:
                        widget.options = [(f"{v:g}", v) for v in sorted({*offered, value})]
                widget.value = value
            self.hidden = {name: getattr(cfg, name) for name in self.hidden}
        finally:
            self._loading = False
        self._show_relevant()

    def lock(self, training: bool) -> None:
        """While a run trains only the live fields can change; everything else waits for the next Start."""
        for name, widget in self.widgets.items():
            widget.disabled = training and name not in LIVE_FIELDS

    def _changed(self, name: str) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if self._loading:
                return
            if name == "dataset":  # a new data set starts from its recommended defaults, as in the sidebar
                self.set_config(TrainConfig.for_dataset(change["new"]))
            self._show_relevant()
            if self.on_change is not None:
                self.on_change(name, change["new"])

        return handler

    def _show_relevant(self) -> None:
        values = self.values()
        for name, widget in self.widgets.items():
            widget.layout.display = None if field_applies(name, values) else "none"
        for name, hint in self.hints.items():
            auto = field_applies(name, values) and values[name] == 0
            hint.value = (f"<span style='color:grey;font-size:0.85em'>0 = auto: "
                          f"{auto_size(name, values.get('model', 'auto'), values.get('dataset'))}</span>"
                          if auto else "")
            hint.layout.display = None if auto else "none"
        _, problem = self.config()
        self.error.value = (f"<span style='color:#b00020'><b>Not valid:</b> {html.escape(problem)}</span>"
                            if problem else "")
