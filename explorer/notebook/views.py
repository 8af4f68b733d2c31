"""Panels over recorded runs: `ReplayPanel` (a step slider and Play over one run's frames and curves; it follows a run
that another process, the CLI or the app, is training) and `ComparePanel` (several runs' curves on shared axes, runs
that differ only in their seed as a mean ± std band).

Both read run folders only (explorer.runs.replay.Recording, metrics.csv): no models, no training. The frame and the
curves up to a step are the Replay page's (app/replay_view.py), drawn by the same builders; Play runs in the
browser (ipywidgets.Play linked to the slider), and each step it reaches redraws the panel from the kernel.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go

from explorer import names
from explorer.game.config import TrainConfig
from explorer.lessons.demo_runs import DEMOS
from explorer.notebook import static
from explorer.notebook.live import (
    CHART_SIZE,
    LIVE_POINTS,
    SMOOTH,
    GameArea,
    LiveFigure,
    curve_figures,
    game_figure,
    png_bytes,
)
from explorer.notebook.poll import Poller
from explorer.plots import style
from explorer.plots.compare import band_figure, overlay_figure
from explorer.plots.frames import toy_frame
from explorer.runs import catalog
from explorer.runs.replay import Recording
from explorer.runs.run_folder import (
    RunFileError,
    locate_run,
    read_config,
    read_metrics,
    resolve_runs_dir,
    writer_pid,
)
from explorer.runs.runner import Runner

PLAY_MS = 400  # one frame per tick while playing (the Replay page's pace)
FOLLOW_SECONDS = 1.0  # how often a followed run's folder is looked at (more often when reading it is quick)


def run_folder(run: str | Path | Runner | object, runs_dir: str | Path | None = None) -> Path:
    """The folder of a run given as a folder path, a Runner or a panel (its run), or a name in the runs folder or
    among the bundled demos; a ValueError that says where it looked when there is none."""
    runner = getattr(run, "runner", run)
    if isinstance(runner, Runner):
        if runner.run_dir is None:
            raise ValueError(f"run {runner.name} is not saved to a folder, so there is nothing to replay")
        return Path(runner.run_dir)
    found = locate_run(run, runs_dir)
    if found is None:
        raise ValueError(f"no run {str(run)!r}: not a run folder, not a run in {resolve_runs_dir(runs_dir)} and not "
                         f"a bundled demo ({', '.join(DEMOS)})")
    return found


def _full_x(fig: go.Figure, last_step: int) -> go.Figure:
    """Axes that span the whole run, so the curves grow as the replay plays."""
    return fig.update_xaxes(range=[0, max(1, last_step)])


class ReplayPanel:
    """A recorded run's timeline; display it to see it. See explorer.notebook.replay.

    While another process trains the run (`writer_pid`: the CLI, the app, another kernel) the panel follows it: a
    Poller on the kernel's loop re-reads the folder when it has grown, the slider gains the new frames and, with
    "Follow" ticked, moves to the newest one. When the writer lets go the panel says so and stops looking."""

    def __init__(self, rec: Recording):
        self.rec = rec
        steps = self._steps()
        self.slider = w.SelectionSlider(options=[(f"{s:,}", s) for s in steps], value=steps[-1], description="Step",
                                        continuous_update=True, layout=w.Layout(width="600px"))
        self.slider.add_class("gan-replay-step")
        self.play = w.Play(min=0, max=len(steps) - 1, value=len(steps) - 1, interval=PLAY_MS, repeat=False)
        w.jslink((self.play, "value"), (self.slider, "index"))
        self.slider.observe(lambda _change: self.show(self.slider.value), names="value")
        self.writer = writer_pid(rec.run_dir)
        self.follow = w.Checkbox(value=self.writer is not None, indent=False, description="Follow the live run",
                                 layout=w.Layout(width="200px", display="" if self.writer else "none"))
        self.title = w.HTML()
        self.charts = {key: LiveFigure(fig) for key, fig in self._curves(steps[-1]).items()}
        self.game = w.Box()
        self._game = GameArea(self.game)
        self.widget = w.VBox([self.title, w.HBox([self.play, self.slider, self.follow]),
                              w.HBox([self.game, self.charts["d_output"].widget]),
                              w.HBox([self.charts["losses"].widget, self.charts["grad_norms"].widget])]
                             ).add_class("gan-replay")
        self.step = steps[-1]
        self._seen = self._folder_state()
        self._title()
        self.show(steps[-1])
        self.poller = Poller(self.refresh, lambda: self.writer is not None, FOLLOW_SECONDS)
        if self.writer is not None:
            self.poller.start()

    @property
    def following(self) -> bool:
        """Whether another process is training the run, as of the last look."""
        return self.writer is not None

    def _steps(self) -> list[int]:
        return [int(s) for s in self.rec.frame_step_array] if self.rec.frames else sorted({0, self.rec.last_step})

    def _folder_state(self) -> tuple:
        """What says the folder has grown: metrics.csv's size and the number of frames."""
        return self.rec.size_marks()

    def _title(self) -> None:
        rec = self.rec
        live = (f" · <span style='color:#1a7f37'>live: trained by process {self.writer}</span>" if self.writer
                else "")
        self.title.value = (f"<b>Replay: {html.escape(rec.name)}</b> · "
                            f"{html.escape(names.label('dataset', rec.config.dataset))} · {len(rec.frames)} frames, "
                            f"{names.step_label(rec.last_step)} last{live}")

    def refresh(self) -> None:
        """Look at a followed run's folder once (the poller calls this every second from the kernel's loop): take
        in what it recorded since, and notice when its writer lets go."""
        self.writer = writer_pid(self.rec.run_dir)
        marks = self.rec.size_marks()
        if marks != self._seen:
            try:
                self.rec = Recording.open(self.rec.run_dir)
            except (RunFileError, OSError, ValueError):  # a line half written this instant: the next look reads it
                return
            self._seen = marks
            steps = self._steps()
            at_end = self.follow.value or self.slider.value == self.slider.options[-1][1]
            self.play.max = len(steps) - 1
            keep = self.slider.value
            self.slider.options = [(f"{s:,}", s) for s in steps]  # resets the value: put it back, or at the end
            self.slider.value = steps[-1] if at_end or keep not in steps else keep
            # Play is linked to the slider's index in the browser (jslink): new options reset that index there, so
            # Play must be told too, or it pushes the old index back and the slider's handle sits at 0.
            self.play.value = self.slider.index
            self.show(self.slider.value)
        if self.writer is None:
            self.follow.layout.display = "none"
        self._title()

    def _curves(self, step: int) -> dict[str, go.Figure]:
        return {key: _full_x(fig, self.rec.last_step)
                for key, fig in curve_figures(self.rec.metrics_until(step)).items()}

    def show(self, step: int) -> None:
        """The frame recorded nearest `step` and every curve up to it."""
        self.step = int(step)
        for key, fig in self._curves(step).items():
            self.charts[key].show(fig)
        frame = self.rec.frame_at(step)
        if frame is None:
            self._game.note("<p style='color:grey'>This run recorded no frames.</p>")
        elif isinstance(frame[1], np.ndarray):
            image = self._game.widget("image", lambda: w.Image(format="png", layout=w.Layout(width="340px")))
            image.value = png_bytes(frame[1])
        else:
            self._game.show_figure(game_figure(frame[1], frame[0]))

    def static_picture(self) -> bytes:
        frame = self.rec.frame_at(self.step)
        picture = None if frame is None else (frame[1] if isinstance(frame[1], np.ndarray)
                                              else toy_frame(frame[1], frame[0]))
        return static.png(list(self._curves(self.step).values()), picture)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        line = (f"{names.label('dataset', self.rec.config.dataset)} · {len(self.rec.frames)} frames · shown at "
                f"{names.step_label(self.step)} of {self.rec.last_step:,}")
        title = f"Replay: {self.rec.name}"
        page = static.html_block(title, [line, f"run folder: {self.rec.run_dir}"], self.static_picture())
        return static.bundle(self.widget._repr_mimebundle_(), f"{title}\n{line}", page)


# The curves a comparison can draw: metrics column -> (title, y axis title, reference line, y range).
HALF = (0.5, "1/2 (p_g = p_data)")
CURVES: dict[str, tuple[str, str, tuple[float, str] | None, tuple[float, float] | None]] = {
    "d_x": ("Mean D(x) on data", "D", HALF, (0.0, 1.0)),
    "d_g_z": ("Mean D(G(z)) on samples", "D", HALF, (0.0, 1.0)),
    **{column: (label, "loss", None, None) for column, label, _ in style.LOSS_TRACES},
    **{column: (label, "L2 norm", None, None) for column, label, _ in style.GRAD_TRACES},
}


class ComparePanel:
    """Several runs' curves on shared axes; display it to see it. See explorer.notebook.compare."""

    def __init__(self, folders: Sequence[Path]):
        self.metrics = {p.name: read_metrics(p) for p in folders}
        self.configs: dict[str, TrainConfig] = {p.name: read_config(p) for p in folders}
        self.groups = catalog.seed_groups(self.configs)
        can_group = any(len(members) > 1 for members in self.groups.values())
        self.column = w.Dropdown(options=[(title, column) for column, (title, *_) in CURVES.items()], value="d_x",
                                 description="Curve")
        self.smooth = w.IntSlider(value=SMOOTH, min=1, max=500, description="Smoothing", continuous_update=False)
        self.grouped = w.Checkbox(value=can_group, disabled=not can_group, indent=False,
                                  description="Runs that differ only in seed: mean ± std")
        for control in (self.column, self.smooth, self.grouped):
            control.observe(lambda _change: self.redraw(), names="value")
        self.chart = LiveFigure(self.figure())
        self.widget = w.VBox([w.HBox([self.column, self.smooth, self.grouped]), self.chart.widget]
                             ).add_class("gan-compare")

    def figure(self) -> go.Figure:
        title, y_title, reference, y_range = CURVES[self.column.value]
        width, _ = CHART_SIZE
        common = dict(smooth=self.smooth.value, height=340, max_points=LIVE_POINTS, reference=reference,
                      y_range=y_range)
        if self.grouped.value:
            fig = band_figure({label: [self.metrics[n] for n in members] for label, members in self.groups.items()},
                              self.column.value, title, y_title, **common)
        else:
            fig = overlay_figure(self.metrics, self.column.value, title, y_title, **common)
        if self.column.value.startswith("grad_norm"):
            fig.update_yaxes(type="log")
        return fig.update_layout(width=2 * width)

    def redraw(self) -> None:
        self.chart.show(self.figure())

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        runs = ", ".join(self.metrics)
        line = f"{len(self.metrics)} runs: {runs}"
        page = static.html_block("Runs compared", [line], static.png([self.figure()], columns=1, width=9.0))
        return static.bundle(self.widget._repr_mimebundle_(), f"Runs compared\n{line}", page)

