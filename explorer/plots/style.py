"""The one palette and the shared layout of every chart, and the one way a long curve is thinned.

A colour names a player, in every chart alike, after the paper's Figure 1: real data is black (p_data
dotted), the generator green (p_g, G(z) points, G's loss and gradient), the discriminator blue (D(x)
dashed, D's loss and gradient). So a reader who learns the colours on one page can read every other page.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# ------------------------------------------------------------------------------------------ colours
C_DATA = "black"         # real data: p_data, real points, mean D(x) on data
C_G = "#2ca02c"          # G: p_g, generated points, G's loss and gradient norm
C_G_DARK = "#1a661a"     # G's gradient segments: G's green, darker so they read over the green points
C_D = "#1f77b4"          # D: D(x), D's loss on real data and its gradient norm
C_ACCENT = "#ff7f0e"     # D's second line: its loss on generated data, its optimum D*
C_REF = "grey"           # reference lines (D = 1/2, a ceiling) and G's z -> x mapping
C_OPTIMUM = "#d62728"    # the game's optimum value, -log 4
C_HELD_OUT = "slategrey"  # held-out real images, Figure 2's baseline (black would hide an overlaid histogram)
# One per run when runs are compared (then cycled with a new dash: run_line): Okabe & Ito's colour-blind-safe set,
# without its black (real data) and yellow (unreadable on white).
RUN_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9")
RUN_DASHES = ("solid", "dash", "dot", "dashdot")
HEATMAP = "RdBu"         # D(x) over the plane: blue where D says "data", red where it says "generated"
OUTLINE = (255, 215, 0)  # RGB: Figure 2 outlines a sample's nearest training image in yellow
C_MILESTONE = "#CC79A7"  # a guided tour's milestone marker (Okabe & Ito's reddish purple)
# A sweep's stability map (plots.sweep): one sequential hue, darker is better whichever way a figure runs; cells
# without a value are grey: a diverged cell mid grey under its ✕, a failed one pale with a grey outline.
SWEEP_SCALE = [[i / 6, c] for i, c in enumerate(("#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c",
                                                   "#08306b"))]  # ColorBrewer Blues without its near-white
C_DIVERGED = "#9e9e9e"
C_FAILED = "#f2f2f2"
C_PENDING = "white"

# ------------------------------------------------------------------------------ lines and markers
P_DATA = dict(color=C_DATA, dash="dot", width=2.5)
P_G = dict(color=C_G, width=2.5)
D_LINE = dict(color=C_D, dash="dash", width=2.5)
D_STAR = dict(color=C_ACCENT, dash="dashdot", width=1.5)
HALF = dict(color=C_REF, dash="dash", width=1)  # D = 1/2: thinner and grey, so it is not taken for D itself
MAPPING = dict(color=C_REF, width=1)
OPTIMUM = dict(color=C_OPTIMUM, dash="dot")
MILESTONE = dict(color=C_MILESTONE, dash="dash", width=2)
REAL_POINTS = dict(color=C_DATA, size=3, opacity=0.5)
FAKE_POINTS = dict(color=C_G, size=4, opacity=0.8)

# The training charts' traces: (metrics column, legend label, colour).
LOSS_TRACES = (("d_loss_real", "D loss on real", C_D), ("d_loss_fake", "D loss on fake", C_ACCENT),
               ("g_loss", "G loss", C_G))
D_TRACES = (("d_x", "mean D(x)", C_DATA), ("d_g_z", "mean D(G(z))", C_G))
GRAD_TRACES = (("grad_norm_d", "|grad D|", C_D), ("grad_norm_g", "|grad G|", C_G))


def run_line(i: int, width: float = 1.6) -> dict:
    """The line of the i-th run in a comparison: RUN_COLOURS in turn, then again with the next dash, so the
    7th run is not drawn like the 1st."""
    n = len(RUN_COLOURS)
    return dict(color=RUN_COLOURS[i % n], dash=RUN_DASHES[(i // n) % len(RUN_DASHES)], width=width)


# ------------------------------------------------------------------------------------------- layout
LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, font=dict(size=11))
TITLE_FONT = dict(size=14)


def legend_below(y: float) -> dict:
    """A horizontal legend under the plot; `y` (paper units, negative) clears the x axis of that figure."""
    return dict(orientation="h", yanchor="top", y=y, x=0)


def layout(height: int, title: str | None = None, legend: dict | None = None, margin: dict | None = None,
           **extra) -> dict:
    """The shared look as a layout dict: height, a small title at the top left, the legend (LEGEND by default)
    and margins. `uirevision` is fixed so a chart redrawn every second keeps the reader's zoom and hidden
    traces."""
    return dict(title=dict(text=title or "", x=0.01, font=TITLE_FONT), height=height, legend=legend or LEGEND,
                margin=margin or dict(l=50, r=10, t=40 if title else 10, b=30), uirevision="keep", **extra)


def apply_layout(fig: go.Figure, height: int, title: str | None = None, legend: dict | None = None,
                 margin: dict | None = None, **extra) -> go.Figure:
    """`layout(...)` applied to an existing figure (one built up trace by trace)."""
    fig.update_layout(layout(height, title, legend, margin, **extra))
    return fig


def figure(data: list[dict], layout: dict, grid: Grid | None = None) -> go.Figure:
    """A figure from plain trace dicts (each with its `type`) and a layout dict, built in one unvalidated step.

    plotly validates every property on every `add_trace` / `update_*` call: ~40 ms for a chart of three lines,
    in the server's one interpreter, every second a live page redraws it, while the training thread waits for
    the GIL. Built in one step without validation it costs a few ms (most of it copying plotly's template).
    tests/test_plots.py validates every builder's output (go.Figure(fig.to_dict())), so a typo still fails
    there. `grid`: a `subplots` grid whose axes the figure takes (a layout axis given here is merged into the
    grid's), so `row=`/`col=` updates and add_vline(row="all") keep working on it."""
    if grid is None:
        return go.Figure(dict(data=data, layout=layout), _validate=False)
    merged = {**grid.layout, **layout}
    for name, axis in grid.layout.items():
        if name in layout:
            merged[name] = {**axis, **layout[name]}
    return go.Figure(dict(data=data, layout=merged, _grid_ref=grid.ref, _grid_str=grid.text), _validate=False)


@dataclass(frozen=True)
class Grid:
    """make_subplots' axes (layout without the template) and subplot grid, for `figure(..., grid=...)`."""

    layout: dict
    ref: list
    text: str

    def cell(self, row: int, col: int) -> dict:
        """The axis references of a trace in that cell: {"xaxis": "x2", "yaxis": "y2"}."""
        return dict(self.ref[row - 1][col - 1][0].trace_kwargs)


@functools.lru_cache(maxsize=32)
def subplots(rows: int, cols: int, **kwargs) -> Grid:
    """make_subplots(rows, cols, **kwargs)'s grid, made once per arguments (hashable: tuples, not lists).
    Never modify what it returns."""
    fig = make_subplots(rows=rows, cols=cols, **{k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()})
    layout = fig.layout.to_plotly_json()
    layout.pop("template", None)
    return Grid(layout, fig._grid_ref, fig._grid_str)


# ------------------------------------------------------------------------------------- the projector
# Presentation mode: the same figures, for the back of a room. Okabe & Ito's colour-blind-safe hues for the
# players (G bluish green, D blue, the accent vermillion), black data; lines twice as thick, fonts at 18 px.
PROJECTOR_COLOURS = {C_G: "#009E73", C_G_DARK: "#00563F", C_D: "#0072B2", C_ACCENT: "#D55E00", C_REF: "#555555"}
PROJECTOR_FONT = 18


def for_projector(fig: go.Figure, height: int | None = None) -> go.Figure:
    """`fig` made readable on a projector (any figure of plots.*): larger fonts and markers, thicker lines, the
    projector palette. Changes `fig` in place and returns it."""
    fig.update_layout(font=dict(size=PROJECTOR_FONT), legend=dict(font=dict(size=PROJECTOR_FONT - 2)),
                      title=dict(font=dict(size=PROJECTOR_FONT + 2)))
    if height:
        fig.update_layout(height=height)
    fig.update_annotations(font_size=PROJECTOR_FONT)
    for axes in (fig.update_xaxes, fig.update_yaxes):  # axis labels readable from the back of the room
        axes(tickfont=dict(size=PROJECTOR_FONT - 2), title_font=dict(size=PROJECTOR_FONT))
    for trace in fig.data:
        line, marker = getattr(trace, "line", None), getattr(trace, "marker", None)
        if line is not None:
            line.width = 2 * (line.width or 1.5)
            line.color = PROJECTOR_COLOURS.get(line.color, line.color)
        if marker is not None and not isinstance(marker.color, (list, tuple)) and marker.color is not None:
            marker.color = PROJECTOR_COLOURS.get(marker.color, marker.color)
            marker.size = 1.5 * (marker.size or 6) if not isinstance(marker.size, (list, tuple)) else marker.size
    return fig


# ------------------------------------------------------------------------------------- downsampling
MAX_POINTS = 2000


def downsample_indices(values: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Sorted indices of at most `max_points` points of a series that still draw its extremes.

    The first and the last point are kept; the points between are cut into (max_points - 2) // 2 equal
    buckets, and each bucket keeps its smallest and its largest value. Every n-th point would be smaller
    to write, but would drop a one-step spike (a diverging step, a D that suddenly wins), the very thing a
    loss curve is read for. A NaN is kept only where a bucket holds nothing else.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n <= max(max_points, 2):
        return np.arange(n)
    inner = values[1:-1]
    buckets = max(0, (max_points - 2) // 2)
    if buckets == 0:
        return np.array([0, n - 1])
    size = math.ceil(len(inner) / buckets)
    used = math.ceil(len(inner) / size)  # ceil rounding can leave the last buckets empty
    rows = np.full(used * size, np.nan)
    rows[: len(inner)] = inner
    rows = rows.reshape(used, size)  # (buckets, size), the last row padded with NaN
    nan = np.isnan(rows)
    lo = np.where(nan, np.inf, rows).argmin(1)  # an all-NaN row gives 0: its own first point
    hi = np.where(nan, -np.inf, rows).argmax(1)
    starts = 1 + size * np.arange(used)
    return np.unique(np.concatenate([[0], starts + lo, starts + hi, [n - 1]]))


def smooth_series(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over `window` points (1 = unchanged); NaNs are ignored inside a window."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) == 0:
        return values
    return pd.Series(values).rolling(int(window), min_periods=1).mean().to_numpy()


def curve(frame: pd.DataFrame | None, column: str, max_points: int = MAX_POINTS, smooth: int = 1
          ) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of one column of a frame with a `step` column, ready to draw: smoothed over `smooth`
    steps, then downsampled keeping its extremes; empty arrays where the column is missing."""
    if frame is None or not len(frame) or column not in frame:
        return np.zeros(0), np.zeros(0)
    y = smooth_series(frame[column].to_numpy(dtype=float), smooth)
    idx = downsample_indices(y, max_points)  # after smoothing: the extremes of what is drawn
    return frame["step"].to_numpy()[idx], y[idx]


# ------------------------------------------------------------------------------------------ markers
def mark_milestones(fig: go.Figure, steps: Sequence[int], labels: Sequence[str]) -> go.Figure:
    """A vertical dashed line at each step where a guided tour's milestone was reached, on every subplot of
    an existing step-axis figure, labelled once (at the foot) with the milestone's name. Returns `fig`."""
    if len(steps) != len(labels):
        raise ValueError(f"{len(steps)} steps but {len(labels)} labels")
    grid = {"row": "all", "col": "all"} if fig._has_subplots() else {}
    for step, label in zip(steps, labels, strict=True):
        fig.add_vline(x=step, line=MILESTONE, **grid)
        # at the foot of the plot, on a white ground: the top carries the subplot titles and the legend
        fig.add_annotation(x=step, y=0.0, xref="x", yref="paper", text=f"{label} · step {step:,}",
                           showarrow=False, xanchor="left", yanchor="bottom", bgcolor="rgba(255,255,255,0.8)",
                           font=dict(color=C_MILESTONE, size=12))
    return fig
