"""The live panel: Start / Pause / Resume / Step / Stop, the config controls, the status line and the app's own
figures, in one widget, over an ordinary Runner (its run folder is one the app, the CLI and Replay open).

The Runner trains on its own thread; the panel reads its snapshot from the kernel's event loop (poll.Poller) and
redraws only what changed: the status and the game (a new toy view or sample grid) each second, the curves when
rows were added, every CURVE_SECONDS while it trains. Figures are the dashboard's builders (plots.training,
plots.toys) in plotly FigureWidgets, updated in place (`LiveFigure`): one update message per chart, not a new
figure. Where a frontend cannot load those widgets (VS Code offline), the game and the curves become pictures
(CHART_LOAD_SECONDS).
"""

from __future__ import annotations

import html
import io
import time
from collections.abc import Callable
from pathlib import Path

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import traitlets
from PIL import Image
from plotly.serializers import custom_serializers as plotly_serializers

from explorer import names
from explorer.game.config import TOYS_1D, ConfigError, TrainConfig
from explorer.lessons.presets import preset
from explorer.metrics.toy import Toy1DView, Toy2DView
from explorer.notebook import static
from explorer.notebook.form import LIVE_FIELDS, WIDGET_PX, ConfigForm
from explorer.notebook.poll import Poller
from explorer.plots import training
from explorer.plots.frames import toy_frame
from explorer.plots.style import LiveCurves
from explorer.plots.toys import figure1, gan_lab_figure
from explorer.runs.recorder import COLUMNS
from explorer.runs.run_folder import RunLockedError
from explorer.runs.runner import Runner
from explorer.runs.snapshot import Snapshot
from explorer.runs.state import RunState

SMOOTH = 20  # the Train page's default smoothing (steps) of the curves
LIVE_POINTS = 300  # points per curve (a chart is 450 px wide): what is re-sent each redraw stays small however long
# the run, and its JSON is built on the kernel's main thread, under the GIL the training thread needs too
# How often a training panel redraws: each redraw is plotly charts re-rendered by the browser, which on a laptop
# shares the cores with training (twice a second cost a 2-core machine half its speed: docs/benchmarks.md).
REFRESH_SECONDS = 1.0
# The three curve charts redraw every CURVE_SECONDS while a run trains, as on the Train page: they move slowly,
# and each redraw is Chromium's work on the machine that trains (measured: ~0.6 CPU s a full panel redraw).
CURVE_SECONDS = 3.0
# A frontend that cannot load plotly's chart widget (VS Code with no internet: it fetches anywidget's script from a
# CDN) shows each chart as an error box. A chart that rendered has reported back (plotly.js sends its defaults after
# its first plot); if none has, this long after a click from the frontend (a click proves one runs), the panel shows
# the game and the curves as pictures instead, redrawn every PICTURE_SECONDS (they cost the kernel 0.3-0.6 s to draw).
CHART_LOAD_SECONDS = 10.0
PICTURE_SECONDS = 5.0
CHARTS_NOT_LOADED = (
    "The charts did not load in this frontend, so they are shown as pictures, redrawn every "
    f"{PICTURE_SECONDS:.0f} s. They are plotly widgets built on anywidget: VS Code fetches anywidget's script from a "
    "CDN, which needs internet and your consent (it asks; or set \"jupyter.widgetScriptSources\": "
    "[\"jsdelivr.com\", \"unpkg.com\"]). Then run the cell again.")
NOTHING_DRAWN = (-1, -1, None)  # a panel's last drawn (version, metrics step, samples step) when all must be drawn
GAME_SIZE = (560, 340)  # width, height in pixels: the game beside the controls
CHART_SIZE = (450, 230)  # the curves, two to a row under them
CONTROLS_WIDTH = f"{WIDGET_PX + 8}px"  # the form's widgets and their margins
BUTTONS = {  # key: (label, icon, tooltip)
    "start": ("Start", "play", "Start a new run with these settings (its folder is an ordinary run folder)"),
    "pause": ("Pause", "pause", "Pause between two steps"),
    "resume": ("Resume", "play", "Go on training (with any lr / k changed meanwhile)"),
    "step": ("Step", "step-forward", "While paused: one more step of Algorithm 1 (k D updates, one G update)"),
    "stop": ("Stop", "stop", "Stop: a checkpoint, then the run ends (a later Start begins a new run)"),
}


def empty_metrics() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="int64" if name == "step" else "float64") for name in COLUMNS})


def curve_figures(metrics: training.Metrics) -> dict[str, go.Figure]:
    """The Train page's three charts of a metrics frame (or of live_curves), sized for the panel."""
    width, height = CHART_SIZE
    figs = {"d_output": training.d_output_figure(metrics, SMOOTH, LIVE_POINTS, height=height),
            "losses": training.loss_figure(metrics, SMOOTH, LIVE_POINTS, height=height),
            "grad_norms": training.grad_norm_figure(metrics, SMOOTH, LIVE_POINTS, height=height)}
    for fig in figs.values():
        fig.update_layout(width=width, margin=dict(l=50, r=10, t=40, b=40))
    return figs


def live_curves() -> LiveCurves:
    """What curve_figures draws while a run trains, kept up to date from the record's new rows (not rebuilt from
    the whole record at each redraw: that made the kernel grow with the run, docs/benchmarks.md)."""
    return LiveCurves(COLUMNS[1:], SMOOTH, LIVE_POINTS)


def game_figure(view: Toy1DView | Toy2DView, step: int) -> go.Figure:
    """Figure 1 (1D toys) or GAN Lab's view (2D toys), the toy pages' renderers, sized for the panel."""
    width, height = GAME_SIZE
    title = names.step_label(step)
    if isinstance(view, Toy1DView):
        fig = figure1(view, title=title, height=height)
    else:
        fig = gan_lab_figure(view, height=height, title=title)
    return fig.update_layout(width=width)


def png_bytes(grid: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(grid).save(out, format="PNG")
    return out.getvalue()


def _layout_of(fig: go.Figure) -> dict:
    return {k: v for k, v in fig.layout.to_plotly_json().items() if k != "template"}


def _same(a: object, b: object) -> bool:
    """Equal plotly JSON values (dicts, lists, numpy arrays, scalars), arrays compared by value."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and bool(
            np.array_equal(a, b))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _trace_props(trace) -> tuple[dict, dict]:
    """A trace's properties as (points, the rest): the x and y a live curve changes each redraw, and what it
    mostly keeps (name, line, hover template...)."""
    props = trace.to_plotly_json()
    props.pop("type", None)
    return {k: props.pop(k) for k in ("x", "y") if k in props}, props


def _from_browser() -> traitlets.Dict:
    """A plotly message trait from the browser (`_js2py_*`), not echoed back to it: ipywidgets 8 sends every state
    a frontend sets back to all frontends (`echo_update`), which for these one-off messages, that no view reads, was
    about 30 KB a second to the browser while a run trained (measured, docs/benchmarks.md)."""
    return traitlets.Dict(allow_none=True).tag(sync=True, echo_update=False, **plotly_serializers)


class PanelFigureWidget(go.FigureWidget):
    """plotly's FigureWidget, less the trace defaults the browser sends back after each redraw, and less the echo
    of what the browser sends.

    After every update plotly.js sends each trace's resolved defaults to the kernel (`_js2py_traceDeltas`, ~14 KB),
    and a numpy x or y comes back as a typed array, a dict of index -> value. plotly.py then fails in
    `_remove_overlapping_props` ("truth value of an array ... is ambiguous", plotly.py#4160) at every redraw: the
    kernel formats a traceback each time, under the GIL the training thread needs, and JupyterLab's log console
    flashes without end (Chromium restyling ~35 times a second: measured, docs/benchmarks.md). The panel never reads
    those defaults, so they are acknowledged and dropped."""

    _js2py_traceDeltas = _from_browser()
    _js2py_layoutDelta = _from_browser()
    _js2py_restyle = _from_browser()
    _js2py_relayout = _from_browser()
    _js2py_update = _from_browser()
    _js2py_pointsCallback = _from_browser()
    rendered = False  # a view of it has been drawn: plotly.js reports its defaults after its first plot

    @traitlets.observe("_js2py_traceDeltas")
    def _handler_js2py_traceDeltas(self, change: dict) -> None:  # plotly's name: this replaces its handler
        message = change["new"]  # plotly's own handler ends the edit and acknowledges; it gets no deltas to apply
        self.rendered = True
        super()._handler_js2py_traceDeltas({"new": message and {**message, "trace_deltas": []}})

    @traitlets.observe("_js2py_layoutDelta")
    def _layout_reported(self, _change: dict) -> None:
        self.rendered = True


class LiveFigure:
    """A plotly FigureWidget kept showing the latest figure from a builder: the traces' data updated in place
    when the traces are the same kinds in the same order (else replaced), only their x and y when nothing else
    about them changed (the usual redraw of a live curve: the rest is neither validated nor sent again), and a
    relayout only of the layout keys that differ from the last figure shown. Compared with what was sent, never
    with the widget's own layout, which the browser's autorange writes back into."""

    def __init__(self, fig: go.Figure):
        self.widget = PanelFigureWidget(fig)
        self._layout = _layout_of(fig)
        self._styles = [_trace_props(t)[1] for t in fig.data]  # each trace's props but x and y, as last sent

    def show(self, fig: go.Figure) -> None:
        widget = self.widget
        if [(t.type, t.name) for t in widget.data] != [(t.type, t.name) for t in fig.data]:
            widget.data = ()
            widget.add_traces(list(fig.data))
            self._styles = [_trace_props(t)[1] for t in fig.data]
            self._relayout(fig)
            return
        # One batch: the browser gets a single update (traces and layout) and redraws the chart once, not once
        # for the restyle and again for the relayout (a new title each step).
        with widget.batch_update():
            for i, (old, new) in enumerate(zip(widget.data, fig.data, strict=True)):
                points, style = _trace_props(new)
                if _same(style, self._styles[i]):
                    old.update(points)
                else:
                    old.update({**style, **points}, overwrite=True)
                    self._styles[i] = style
            self._relayout(fig)

    def _relayout(self, fig: go.Figure) -> None:
        layout = _layout_of(fig)
        changed = {k: v for k, v in layout.items() if self._layout.get(k) != v}
        if changed:
            self.widget.update_layout(changed, overwrite=True)
        self._layout = layout


class GameArea:
    """The box a panel draws its game in. Each kind of content (the figure, a picture, a note) gets one widget, made
    the first time the box shows it and reused from then on. A new FigureWidget costs the browser plotly.js again
    (5 MB over the kernel's websocket and about a second of CPU, measured in JupyterLab) and leaves the old
    widget's model behind: that happened each time a run on another data set turned the box back to a figure."""

    def __init__(self, box: w.Box):
        self.box = box
        self.kind: str | None = None  # what the box shows: "figure", "note" or another kind's name
        self._figure: LiveFigure | None = None
        self._made: dict[str, w.Widget] = {}

    def show_figure(self, fig: go.Figure) -> None:
        if self._figure is None:
            self._figure = LiveFigure(fig)
        else:
            self._figure.show(fig)
        self._show("figure", self._figure.widget)

    def widget(self, kind: str, make: Callable[[], w.Widget]) -> w.Widget:
        """The box's widget of `kind`, made by `make` the first time, shown."""
        if kind not in self._made:
            self._made[kind] = make()
        return self._show(kind, self._made[kind])

    def note(self, html_text: str) -> None:
        self.widget("note", w.HTML).value = html_text

    def _show(self, kind: str, widget: w.Widget) -> w.Widget:
        if self.kind != kind:
            self.box.children = (widget,)
            self.kind = kind
        return widget


def status_lines(snap: Snapshot | None, cfg: TrainConfig) -> list[str]:
    """What the status line says (the app's app/status.py, in words a notebook shows): state, step, speed,
    device, the live learning rates and k, and for toys how close p_g is to p_data."""
    if snap is None:
        return [f"{names.label('state', RunState.READY)} · press Start · {names.label('dataset', cfg.dataset)}, "
                f"{names.label('loss', cfg.loss)} loss, {names.label('optimizer', cfg.optimizer)}, k {cfg.k}, "
                f"lr_d {cfg.lr_d:g}, lr_g {cfg.lr_g:g}, "
                + (f"{cfg.steps:,} steps" if cfg.steps else "until stopped")]
    total = f" / {snap.config.steps:,}" if snap.config.steps else ""
    parts = [names.label("state", snap.state), f"{names.step_label(snap.step)}{total}",
             f"{snap.steps_per_s:,.0f} steps/s", f"{snap.elapsed:,.1f} s training", snap.device or "device: (loading)",
             f"lr_d {snap.lr_d:g} · lr_g {snap.lr_g:g} · k {snap.k}"]
    if snap.toy_history:
        last = snap.toy_history[-1]
        parts.append(f"JS ≈ {last.js:.3f} nats · D on data {last.d_on_data:.2f}")
    folder = f"run folder: {snap.run_dir}" if snap.run_dir is not None else ""
    return [" · ".join(parts), folder]


def problems(snap: Snapshot | None) -> list[str]:
    """Why the run diverged, failed or paused on a failed write, and a warning about the game while it lasts."""
    if snap is None:
        return []
    out = []
    if snap.state is RunState.DIVERGED:
        out.append(snap.error or "Training diverged.")
    elif snap.state is RunState.ERROR:
        out.append(f"The run failed: {snap.error}")
    elif snap.halted:  # paused on a write that failed: Resume retries it
        out.append(snap.error)
    if snap.warning:
        out.append(snap.warning)
    return out


def enabled_buttons(state: RunState | None, config_ok: bool) -> set[str]:
    """Which buttons do something in this state (None: no run yet): the run's commands as RunState allows them,
    the Train page's rules; Start (a new run) once there is none or it has ended."""
    if state is None or state.ended:
        return {"start"} if config_ok else set()
    allowed = {"pause": state.can_pause, "resume": state.can_resume, "step": state.can_step, "stop": state.can_stop}
    return {key for key, ok in allowed.items() if ok}


class TrainPanel:
    """A live training panel; display it (the last line of a cell) to see it. See explorer.notebook.train."""

    def __init__(self, cfg: TrainConfig, *, runs_dir: str | Path | None = None, name: str | None = None,
                 runner: Runner | None = None, refresh_seconds: float = REFRESH_SECONDS):
        self.runs_dir, self.run_name = runs_dir, name
        self.runner = runner
        self.message = ""  # what went wrong with the last command (a locked run folder...)
        self.form = ConfigForm(runner.cfg if runner else cfg, on_change=self._form_changed)
        self.buttons = {key: w.Button(description=label, icon=icon, tooltip=tip, layout=w.Layout(width="96px"))
                        for key, (label, icon, tip) in BUTTONS.items()}
        actions: dict[str, Callable[[], object]] = {"start": self.start, "pause": self.pause, "resume": self.resume,
                                                    "step": self.step, "stop": self.stop}
        for key, button in self.buttons.items():
            button.add_class(f"gan-{key}")
            button.on_click(lambda _b, act=actions[key]: act())
            button.on_msg(self._from_frontend)  # only a frontend's messages: Button.click() from Python sends none
        self.status = w.HTML().add_class("gan-status")
        self.trouble = w.HTML().add_class("gan-problems")
        figs = curve_figures(empty_metrics())
        self.charts = {key: LiveFigure(fig) for key, fig in figs.items()}
        # A FigureWidget's view ignores CSS classes: a box around each carries one (for tests and styling).
        boxed = {key: w.Box([chart.widget]).add_class(f"gan-chart-{key}") for key, chart in self.charts.items()}
        self._chart_boxes = list(boxed.values())
        # The curves as one picture, shown in the charts' place where they did not load (picture_mode).
        self.curves_picture = w.Image(format="png", layout=w.Layout(width=f"{GAME_SIZE[0]}px", display="none"))
        self._clicked_at: float | None = None  # time.monotonic() of the first click a frontend sent
        self.picture_mode = False  # the game and curves shown as pictures: the charts did not load (CHART_LOAD_SECONDS)
        self._picture_at = -PICTURE_SECONDS  # time.monotonic() of the picture's last redraw
        self.game = w.Box(layout=w.Layout(min_height=f"{GAME_SIZE[1]}px")).add_class("gan-game")
        self._game = GameArea(self.game)
        # (snapshot version, last metrics row's step, samples step) last drawn; NOTHING_DRAWN redraws all, the game's
        # note before any run included (-1 is "no samples yet", which left the box empty before Start)
        self._drawn: tuple[int, int, int | None] = NOTHING_DRAWN
        self._curves_at = -CURVE_SECONDS  # time.monotonic() of the curves' last redraw
        self._live, self._live_run = live_curves(), None  # the curves drawn, and the run (name, folder) they are of
        self.poller = Poller(self.refresh, self._training, refresh_seconds)
        controls = w.VBox([self.form.box], layout=w.Layout(width=CONTROLS_WIDTH, flex="0 0 auto"))
        controls.add_class("gan-controls")
        wrap = w.Layout(flex_flow="row wrap")
        # The controls left of the game; where the notebook is too narrow for both (a projector at 1024 with the
        # file browser open), "wrap-reverse" stacks the second line above the first: the game stays in sight
        # under the buttons and the form follows it, rather than the form pushing the game below the fold.
        game_first_when_narrow = w.Layout(flex_flow="row wrap-reverse", align_items="stretch")  # both top-aligned
        self.widget = w.VBox([
            w.HBox(list(self.buttons.values()), layout=wrap), self.status, self.trouble,
            w.HBox([controls, w.VBox([self.game, boxed["d_output"], self.curves_picture])],
                   layout=game_first_when_narrow),
            w.HBox([boxed["losses"], boxed["grad_norms"]], layout=wrap),
        ]).add_class("gan-panel")
        self._draw(self.snapshot())
        if runner is not None:
            self.poller.start()

    # ------------------------------------------------------------------------------ commands
    def start(self) -> TrainPanel:
        """A new run with the controls' settings (nothing starts when they are not valid together)."""
        if self.runner is not None and self.runner.snapshot().alive:
            return self
        cfg, problem = self.form.config()
        if cfg is None:
            self.message = f"Nothing started: {problem}"
        else:
            try:
                self.runner = Runner(cfg, runs_dir=self.runs_dir, name=self.run_name).start()
                self.message = ""
            except (RunLockedError, ConfigError, OSError) as e:
                self.runner, self.message = None, f"Nothing started: {e}"
        self._after_command()
        return self

    def pause(self) -> TrainPanel:
        if self.runner is not None:
            self.runner.pause()
        return self._after_command()

    def resume(self) -> TrainPanel:
        if self.runner is not None:
            self._claiming(self.runner.resume)
        return self._after_command()

    def step(self, n: int = 1) -> TrainPanel:
        """Pause (if training) and run exactly `n` more steps."""
        if self.runner is not None:
            self._claiming(lambda: self.runner.step_once(n))
        return self._after_command()

    def _claiming(self, command: Callable[[], None]) -> None:
        """A command that may first claim the run folder: a refusal (another process trains it) is shown."""
        try:
            command()
            self.message = ""
        except RunLockedError as e:
            self.message = str(e)

    def stop(self) -> TrainPanel:
        """Stop the run: a checkpoint, then its folder holds a finished record (Replay opens it)."""
        if self.runner is not None:
            self.runner.stop(wait=False)
        return self._after_command()

    def wait(self, timeout: float | None = None) -> TrainPanel:
        """Block until the run trains no more (finished, stopped, failed, paused or diverged) and return the panel,
        so a cell that ends in `.wait()` shows the end: for scripts, nbconvert and CI. In a live notebook it holds
        the kernel, so the panel cannot redraw until it returns."""
        snap = self.snapshot()
        if snap is not None and not snap.state.can_start:  # a run opened and never started waits on nothing
            self.runner.wait(timeout, poll=0.05, until=lambda s: not s.state.training)
        self.refresh()
        return self

    def snapshot(self) -> Snapshot | None:
        return self.runner.snapshot() if self.runner is not None else None

    def _training(self) -> bool:
        snap = self.snapshot()
        return snap is not None and snap.alive

    def _after_command(self) -> TrainPanel:
        self._drawn = NOTHING_DRAWN  # redraw the buttons and status at once, even if the snapshot is the same
        self.refresh()
        self.poller.start()
        return self

    def _form_changed(self, name: str, value: object) -> None:
        snap = self.snapshot()
        if name in LIVE_FIELDS and snap is not None and snap.state.can_change_config:
            if name == "k":
                self.runner.set_k(int(value))
            else:
                self.runner.set_learning_rates(**{name: float(value)})
        self._drawn = (-1, *self._drawn[1:])
        self.refresh()

    # ------------------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Redraw what changed since the last call (the poller calls this from the kernel's event loop)."""
        snap = self.snapshot()
        version = snap.version if snap is not None else 0
        if version != self._drawn[0] or self._use_pictures() != self.picture_mode:
            self._draw(snap)

    def _from_frontend(self, _button: w.Button, content: dict, _buffers: list) -> None:
        if content.get("event") == "click" and self._clicked_at is None:
            self._clicked_at = time.monotonic()

    def _use_pictures(self) -> bool:
        """Whether to show the figures as pictures: a frontend runs (it sent a click) and none of the charts has been
        drawn in it, CHART_LOAD_SECONDS on. A chart drawn later (its script came after all) turns them back."""
        if any(chart.widget.rendered for chart in self.charts.values()):
            return False
        return self._clicked_at is not None and time.monotonic() - self._clicked_at >= CHART_LOAD_SECONDS

    def _draw(self, snap: Snapshot | None) -> None:
        pictures = self._use_pictures()
        if pictures != self.picture_mode:
            self.picture_mode, self._drawn = pictures, NOTHING_DRAWN
            for box in self._chart_boxes:
                box.layout.display = "none" if pictures else None
            self.curves_picture.layout.display = None if pictures else "none"
        cfg = snap.config if snap is not None else (self.form.config()[0] or TrainConfig())
        lines = status_lines(snap, cfg)
        # Lines as tall as the text's, not ipywidgets' 28 px control height: at 1024 the status wraps to four
        # lines, 112 px of a projector's 768 (now 80).
        self.status.value = "<div style='line-height: 1.5'>" + "<br>".join(
            f"<span>{html.escape(line)}</span>" for line in lines if line) + "</div>"
        issues = problems(snap) + ([self.message] if self.message else [])
        notes = [CHARTS_NOT_LOADED] if self.picture_mode else []
        said = [f"<div style='color:#b00020'>{html.escape(p)}</div>" for p in issues] + [
            f"<div style='color:#7a5c00'>{html.escape(n)}</div>" for n in notes]
        self.trouble.value = "<div style='line-height: 1.5'>" + "".join(said) + "</div>" if said else ""
        state = snap.state if snap is not None else None
        usable = enabled_buttons(state, self.form.config()[0] is not None)
        for key, button in self.buttons.items():
            button.disabled = key not in usable
        self.form.lock(snap is not None and snap.alive)
        # The last row's step, not the number of rows: the recorder thins its older rows (recorder.MEMORY_ROWS).
        recorded = int(snap.metrics_array[-1, 0]) if snap is not None and len(snap.metrics_array) else 0
        samples_step = snap.samples_step if snap is not None and (snap.toy is not None or snap.samples is not None) \
            else -1
        if self.picture_mode:
            self._drawn = (snap.version if snap is not None else 0, *self._drawn[1:])
            self._draw_picture(snap, recorded, samples_step)
            return
        due = snap is None or not snap.state.training or time.monotonic() - self._curves_at >= CURVE_SECONDS
        if (recorded != self._drawn[1] and due) or snap is None:
            for key, fig in curve_figures(self._curves(snap) if snap is not None else empty_metrics()).items():
                self.charts[key].show(fig)
            self._curves_at = time.monotonic()
        else:
            recorded = self._drawn[1]  # not drawn yet: the next redraw that is due draws them
        if samples_step != self._drawn[2]:
            self._draw_game(snap)
        self._drawn = (snap.version if snap is not None else 0, recorded, samples_step)

    def _draw_picture(self, snap: Snapshot | None, recorded: int, samples_step: int) -> None:
        """The game and the curves as pictures (matplotlib, as where no frontend runs: static.py), in place of charts
        this frontend could not load: redrawn every PICTURE_SECONDS while training, else when they changed."""
        due = snap is None or not snap.state.training or time.monotonic() - self._picture_at >= PICTURE_SECONDS
        if (recorded, samples_step) == self._drawn[1:] or not due:
            return  # the next redraw that is due draws them
        if snap is not None and snap.toy is not None:
            self._game.widget("game picture", lambda: w.Image(format="png", layout=w.Layout(
                width=f"{GAME_SIZE[0]}px"))).value = png_bytes(toy_frame(snap.toy, snap.samples_step))
        else:
            self._draw_game(snap)  # a sample grid is a picture already; before any step, the note
        if snap is not None:
            # 6.5 inches at 90 dpi: about the box's width, so its text is drawn at the size it is read
            self.curves_picture.value = static.png(list(curve_figures(snap.metrics).values()), width=6.5)
        self._picture_at = time.monotonic()
        self._drawn = (snap.version if snap is not None else 0, recorded, samples_step)

    def _curves(self, snap: Snapshot) -> LiveCurves:
        """The run's curves, given the rows recorded since the last redraw (anew for another run, or a record cut
        back). Found by step: the recorder thins its older rows (recorder.MEMORY_ROWS), so row numbers shift."""
        steps, run = snap.metrics_array[:, 0], (snap.name, snap.run_dir)
        last = self._live.last_step
        if self._live_run != run or (last is not None and (not len(steps) or steps[-1] < last)):
            self._live, self._live_run, last = live_curves(), run, None
        new = snap.metrics_array[0 if last is None else int(np.searchsorted(steps, last, side="right")):]
        self._live.extend(new[:, 0], new[:, 1:])
        return self._live

    def _draw_game(self, snap: Snapshot | None) -> None:
        if snap is not None and snap.toy is not None:
            fig = game_figure(snap.toy, snap.samples_step)
            self._game.show_figure(fig)
        elif snap is not None and snap.samples is not None:
            data = png_bytes(snap.samples)
            title, image = self._game.widget("image", lambda: w.VBox(
                [w.HTML(), w.Image(format="png", layout=w.Layout(width="340px"))])).children
            title.value = f"<b>Samples from a fixed z</b>, {names.step_label(snap.samples_step)}"
            image.value = data
        elif snap is not None and snap.state.training and self._game.kind is not None:
            return  # a new run's first view is a moment away: keep the last one meanwhile, not a flash of the note
        else:
            cfg = snap.config if snap is not None else (self.form.config()[0] or TrainConfig())
            what = "Figure 1 (the 1D game)" if cfg.dataset in TOYS_1D else (
                "GAN Lab's view (D's heatmap, real and generated points)" if cfg.family == "toy"
                else "samples from a fixed z")
            self._game.note(f"<p style='color:grey'>Press Start: {what} appears here.</p>")

    # ------------------------------------------------------------------------------ display
    def static_picture(self) -> bytes | None:
        """The panel's figures as one PNG (the game, then the curves), or None before any step."""
        snap = self.snapshot()
        if snap is None:
            return None
        picture = None
        if snap.toy is not None:
            picture = toy_frame(snap.toy, snap.samples_step)
        elif snap.samples is not None:
            picture = snap.samples
        return static.png(list(curve_figures(snap.metrics).values()), picture)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        snap = self.snapshot()
        cfg = snap.config if snap is not None else (self.form.config()[0] or TrainConfig())
        lines = status_lines(snap, cfg)
        title = f"GAN Explorer: {names.label('dataset', cfg.dataset)}"
        page = static.html_block(title, lines, self.static_picture(), problems(snap))
        return static.bundle(self.widget._repr_mimebundle_(), f"{title}\n" + "\n".join(lines), page)

    def __repr__(self) -> str:
        snap = self.snapshot()
        return f"TrainPanel({status_lines(snap, snap.config if snap else TrainConfig())[0]})"


def config_of(what: str | TrainConfig | None, dataset: str | None, changes: dict) -> TrainConfig:
    """The config `train()` starts from: a preset's name, a TrainConfig, or a data set's defaults (the 1D toy when
    neither is given), with field `changes` on top; a bad name or value is a ConfigError saying what is allowed."""
    if what is not None and dataset is not None:
        raise ConfigError("dataset", dataset, "either a preset / config or dataset=..., not both")
    if isinstance(what, TrainConfig):
        base = what
    elif isinstance(what, str):
        base = preset(what)
    elif what is None:
        base = TrainConfig.for_dataset(dataset or "toy1d")
    else:
        raise ConfigError("preset", what, "a preset's name, a TrainConfig or dataset=...")
    return TrainConfig.from_dict({**base.to_dict(), **changes})
