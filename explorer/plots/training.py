"""Pure plotly builders for the dashboard's charts: data in, `plotly.graph_objects.Figure` out.

No Streamlit here, so every chart is unit-tested on its own (tests/test_plots.py). The training charts take
the runner's metrics frame (columns `step` + trainer.METRICS); the x axis is always the step. Long series
are smoothed first (a trailing mean over `smooth` steps) and then downsampled to at most `max_points`
points per trace, so a figure re-sent every second stays small however long the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

MAX_POINTS = 2000
LEGEND = dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, font=dict(size=11))

# Figure 1's conventions: p_data black dotted, p_g green solid, D blue dashed.
C_DATA, C_G, C_D = "#222222", "#2ca02c", "#1f77b4"
C_REAL, C_FAKE = "#222222", "#d62728"
LOSS_TRACES = (("d_loss_real", "D loss on real", "#1f77b4"), ("d_loss_fake", "D loss on fake", "#ff7f0e"),
               ("g_loss", "G loss", "#2ca02c"))
D_TRACES = (("d_x", "mean D(x)", C_DATA), ("d_g_z", "mean D(G(z))", C_FAKE))
GRAD_TRACES = (("grad_norm_d", "|grad D|", "#1f77b4"), ("grad_norm_g", "|grad G|", "#2ca02c"))


def downsample_indices(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """At most `max_points` evenly spaced indices into a series of length n, always keeping the last."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max(2, max_points)).round().astype(np.int64))


def smooth_series(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over `window` points (1 = unchanged); NaNs are ignored inside a window."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) == 0:
        return values
    return pd.Series(values).rolling(int(window), min_periods=1).mean().to_numpy()


def _series(metrics: pd.DataFrame, column: str, smooth: int, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    if metrics is None or len(metrics) == 0 or column not in metrics:
        return np.zeros(0), np.zeros(0)
    steps = metrics["step"].to_numpy()
    y = smooth_series(metrics[column].to_numpy(dtype=float), smooth)
    idx = downsample_indices(len(steps), max_points)
    return steps[idx], y[idx]


def _layout(fig: go.Figure, title: str, y_title: str, height: int) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), height=height,
                      margin=dict(l=10, r=10, t=40, b=10), legend=LEGEND, uirevision="keep",
                      hovermode="x unified")
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text=y_title)
    return fig


def _lines(metrics: pd.DataFrame, traces, smooth: int, max_points: int) -> go.Figure:
    fig = go.Figure()
    for column, label, color in traces:
        x, y = _series(metrics, column, smooth, max_points)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label, line=dict(color=color, width=1.6)))
    return fig


def loss_figure(metrics: pd.DataFrame, smooth: int = 1, max_points: int = MAX_POINTS,
                height: int = 280) -> go.Figure:
    """D's loss on real and on fake minibatches and G's loss against the step, smoothed over `smooth`."""
    fig = _lines(metrics, LOSS_TRACES, smooth, max_points)
    title = "Losses" + (f" (mean of {smooth} steps)" if smooth > 1 else "")
    return _layout(fig, title, "loss", height)


def d_output_figure(metrics: pd.DataFrame, smooth: int = 1, max_points: int = MAX_POINTS,
                    height: int = 260) -> go.Figure:
    """Mean D(x) on data and mean D(G(z)) on samples; both reach 1/2 at the game's optimum (dashed)."""
    fig = _lines(metrics, D_TRACES, smooth, max_points)
    fig.add_hline(y=0.5, line=dict(color="#888888", dash="dash", width=1.2),
                  annotation_text="1/2 (p_g = p_data)", annotation_position="top left")
    _layout(fig, "Discriminator outputs", "D", height)
    fig.update_yaxes(range=[0, 1])
    return fig


def grad_norm_figure(metrics: pd.DataFrame, smooth: int = 1, max_points: int = MAX_POINTS,
                     height: int = 260, log_y: bool = True) -> go.Figure:
    """Global L2 norms of D's and G's gradients per step (log y: they span orders of magnitude)."""
    fig = _lines(metrics, GRAD_TRACES, smooth, max_points)
    _layout(fig, "Gradient norms", "L2 norm", height)
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def toy1d_figure(view, height: int = 300, title: str | None = None) -> go.Figure:
    """Figure 1 in one panel: p_data (black dotted), p_g (green), D(x) (blue dashed, right axis, with 1/2).

    `view` is an explorer.metrics.toy.Toy1DView (or anything with x, p_data, p_g, d arrays)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=view.x, y=view.p_data, name="p_data", mode="lines",
                             line=dict(color=C_DATA, dash="dot", width=2)))
    fig.add_trace(go.Scatter(x=view.x, y=view.p_g, name="p_g", mode="lines", line=dict(color=C_G, width=2)))
    fig.add_trace(go.Scatter(x=view.x, y=view.d, name="D(x)", mode="lines", yaxis="y2",
                             line=dict(color=C_D, dash="dash", width=2)))
    x0, x1 = float(np.min(view.x)), float(np.max(view.x))
    fig.add_trace(go.Scatter(x=[x0, x1], y=[0.5, 0.5], name="1/2", mode="lines", yaxis="y2", showlegend=False,
                             line=dict(color="#aaaaaa", dash="dash", width=1), hoverinfo="skip"))
    top = float(max(np.max(view.p_data), np.max(view.p_g))) if len(view.x) else 1.0
    fig.update_layout(
        title=dict(text=title or "p_data, p_g and D(x)", x=0.01, font=dict(size=14)), height=height,
        margin=dict(l=10, r=10, t=40, b=10), legend=LEGEND, uirevision="keep",
        xaxis=dict(title="x", range=[x0, x1]),
        yaxis=dict(title="density", range=[0, 1.1 * top if np.isfinite(top) and top > 0 else 1]),
        yaxis2=dict(title="D(x)", overlaying="y", side="right", range=[0, 1], showgrid=False,
                    tickmode="array", tickvals=[0, 0.25, 0.5, 0.75, 1]),
    )
    return fig


def toy2d_figure(view, height: int = 380, title: str | None = None, max_points: int = 1000) -> go.Figure:
    """Real (black) and generated (red) points over D's heatmap (blue = D says data).

    `view` is an explorer.metrics.toy.Toy2DView (or anything with xs, ys, d, real, fake)."""
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=view.xs, y=view.ys, z=view.d, zmin=0, zmax=1, colorscale="RdBu",
                             colorbar=dict(title="D", thickness=10), name="D(x)", hoverinfo="skip"))
    for pts, name, color in ((view.real, "real", C_REAL), (view.fake, "G(z)", C_FAKE)):
        pts = np.asarray(pts)[:max_points]
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name,
                                 marker=dict(color=color, size=3, opacity=0.6)))
    fig.update_layout(title=dict(text=title or "Real vs generated over D", x=0.01, font=dict(size=14)),
                      height=height, margin=dict(l=10, r=10, t=36, b=10), uirevision="keep",
                      legend=LEGEND,
                      xaxis=dict(range=[float(view.xs[0]), float(view.xs[-1])], constrain="domain"),
                      yaxis=dict(range=[float(view.ys[0]), float(view.ys[-1])], scaleanchor="x"))
    return fig
