"""Runs compared on shared axes (the Runs page): one line per run, or one mean line with a mean ± std band per
group of runs that differ only in their seed. Pure: data in, `plotly.graph_objects.Figure` out.

A curve is a frame with a `step` column (metrics.csv, evals.csv): any of its columns can be drawn. Lines are
smoothed and thinned as on the Train page (style.curve). A band needs its runs on one step grid: each run is
interpolated onto the union of their steps (a regular grid of at most `max_points` steps when that is longer),
never past its own first or last step, and the mean and std at a step are over the runs present there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from explorer.plots import style
from explorer.plots.style import MAX_POINTS

BAND_OPACITY = 0.2


def _layout(fig: go.Figure, title: str, y_title: str, height: int, smooth: int,
            reference: tuple[float, str] | None, y_range: tuple[float, float] | None) -> go.Figure:
    if reference is not None:
        value, text = reference
        fig.add_hline(y=value, line=style.HALF, annotation_text=text, annotation_position="top left")
    style.apply_layout(fig, height, title + (f" (mean of {smooth} steps)" if smooth > 1 else ""),
                       hovermode="x unified")
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text=y_title, range=list(y_range) if y_range else None)
    return fig


def overlay_figure(curves: Mapping[str, pd.DataFrame], column: str, title: str, y_title: str, smooth: int = 1,
                   height: int = 300, max_points: int = MAX_POINTS, reference: tuple[float, str] | None = None,
                   y_range: tuple[float, float] | None = None) -> go.Figure:
    """One line per run ({run name: frame}) of `column` against the step, in style.run_line's colours; a run
    whose frame lacks the column is left out of the figure. `reference` = (y, label) draws a grey dashed line
    (e.g. D = 1/2)."""
    fig = go.Figure()
    for i, (name, frame) in enumerate(curves.items()):
        x, y = style.curve(frame, column, max_points, smooth)
        if len(x):
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=style.run_line(i)))
    return _layout(fig, title, y_title, height, smooth, reference, y_range)


def mean_std(frames: Sequence[pd.DataFrame], column: str, smooth: int = 1, max_points: int = MAX_POINTS
             ) -> pd.DataFrame:
    """Columns step, mean, std, n of `column` over the frames that have it, on one step grid (see the module
    docstring). std is the sample standard deviation (n - 1), 0 where one run is present; mean and std are NaN
    where none is."""
    runs = []
    for frame in frames:
        if frame is not None and len(frame) and column in frame:
            steps = frame["step"].to_numpy(dtype=float)
            runs.append((steps, style.smooth_series(frame[column].to_numpy(dtype=float), smooth, steps)))
    if not runs:
        return pd.DataFrame({"step": [], "mean": [], "std": [], "n": []})
    grid = np.unique(np.concatenate([steps for steps, _ in runs]))
    if len(grid) > max_points:
        grid = np.linspace(grid[0], grid[-1], max_points)
    values = np.stack([np.interp(grid, steps, y, left=np.nan, right=np.nan) for steps, y in runs])  # (runs, grid)
    present = ~np.isnan(values)
    n = present.sum(axis=0)
    total = np.where(present, values, 0.0).sum(axis=0)
    mean = np.divide(total, n, out=np.full(len(grid), np.nan), where=n > 0)
    squares = np.where(present, (values - mean) ** 2, 0.0).sum(axis=0)
    std = np.divide(squares, n - 1, out=np.zeros(len(grid)), where=n > 1) ** 0.5
    std[n == 0] = np.nan
    return pd.DataFrame({"step": grid, "mean": mean, "std": std, "n": n})


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def band_figure(groups: Mapping[str, Sequence[pd.DataFrame]], column: str, title: str, y_title: str,
                smooth: int = 1, height: int = 300, max_points: int = MAX_POINTS,
                reference: tuple[float, str] | None = None,
                y_range: tuple[float, float] | None = None) -> go.Figure:
    """Per group ({label: its runs' frames}): a shaded band from mean - std to mean + std (one closed trace,
    named "<label> ± std", out of the legend) and the mean line (named by the label), in the group's colour."""
    fig = go.Figure()
    for i, (label, frames) in enumerate(groups.items()):
        stats = mean_std(frames, column, smooth, max_points).dropna(subset=["mean"])
        if not len(stats):
            continue
        line = style.run_line(i)
        x = stats["step"].to_numpy()
        upper, lower = (stats["mean"] + stats["std"]).to_numpy(), (stats["mean"] - stats["std"]).to_numpy()
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([upper, lower[::-1]]),
                                 mode="lines", fill="toself", fillcolor=_rgba(line["color"], BAND_OPACITY),
                                 line=dict(width=0), name=f"{label} ± std", legendgroup=label, showlegend=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=stats["mean"].to_numpy(), mode="lines", name=label, legendgroup=label,
                                 line=line, customdata=np.stack([stats["std"], stats["n"]], axis=1),
                                 hovertemplate="%{y:.4g} ± %{customdata[0]:.2g} (%{customdata[1]} runs)"))
    return _layout(fig, title, y_title, height, smooth, reference, y_range)
