"""Pure plotly builders for the dashboard's charts: data in, `plotly.graph_objects.Figure` out.

No Streamlit here, so every chart is unit-tested on its own (tests/test_plots.py). The training charts take
the runner's metrics frame (columns `step` + trainer.METRICS); the x axis is always the step. Long series
are smoothed first (a trailing mean over `smooth` steps) and then downsampled to at most `max_points`
points per trace (style.downsample_indices: a bucket's min and max, so a one-step spike stays visible), so a
figure re-sent every second stays small however long the run. A live panel passes a style.LiveCurves instead, the
same curves kept up to date from the new rows alone. The toy views are drawn by plots.toys
(figure1, gan_lab_figure), the same renderers the toy pages use.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from explorer.plots import style
from explorer.plots.style import MAX_POINTS, LiveCurves

Metrics = pd.DataFrame | LiveCurves  # a metrics frame, or a live panel's curves kept up to date (style.LiveCurves)


def _lines(metrics: Metrics, traces, smooth: int, max_points: int) -> list[dict]:
    out = []
    for column, label, color in traces:
        x, y = style.curve(metrics, column, max_points, smooth)
        out.append(dict(type="scatter", x=x, y=y, mode="lines", name=label, line=dict(color=color, width=1.6)))
    return out


def _layout(title: str, y_title: str, height: int, yaxis: dict | None = None, **extra) -> dict:
    return style.layout(height, title, hovermode="x unified", xaxis=dict(title=dict(text="step")),
                        yaxis=dict(title=dict(text=y_title), **(yaxis or {})), **extra)


def loss_figure(metrics: Metrics, smooth: int = 1, max_points: int = MAX_POINTS,
                height: int = 280) -> go.Figure:
    """D's loss on real and on fake minibatches and G's loss against the step, smoothed over `smooth`."""
    title = "Losses" + (f" (mean of {smooth} steps)" if smooth > 1 else "")
    return style.figure(_lines(metrics, style.LOSS_TRACES, smooth, max_points), _layout(title, "loss", height))


def d_output_figure(metrics: Metrics, smooth: int = 1, max_points: int = MAX_POINTS,
                    height: int = 260) -> go.Figure:
    """Mean D(x) on data and mean D(G(z)) on samples; both reach 1/2 at the game's optimum (dashed)."""
    # "1/2" is a tick on the axis, not a note on the plot: the curves end up on that line and would hide it.
    yaxis = dict(range=[0, 1], tickvals=[0, 0.25, 0.5, 0.75, 1], ticktext=["0", "0.25", "1/2", "0.75", "1"])
    half = dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=0.5, y1=0.5, line=style.HALF)
    return style.figure(_lines(metrics, style.D_TRACES, smooth, max_points),
                        _layout("Discriminator outputs", "D", height, yaxis, shapes=[half]))


def grad_norm_figure(metrics: Metrics, smooth: int = 1, max_points: int = MAX_POINTS,
                     height: int = 260, log_y: bool = True) -> go.Figure:
    """Global L2 norms of D's and G's gradients per step (log y: they span orders of magnitude)."""
    lines = _lines(metrics, style.GRAD_TRACES, smooth, max_points)
    # log y: as many ticks as the axis has room for (1, 2, 5 a decade, or powers of 10), each written in full
    values = [v for line in lines for v in line["y"]]
    yaxis = style.log_ticks(values, style.panel_px(height)) if log_y else None
    return style.figure(lines, _layout("Gradient norms", "L2 norm", height, yaxis))
