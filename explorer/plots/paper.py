"""Plotly builders for the paper's figures: pure functions, data in, `go.Figure` out.

Figure 1 (the 1D game), its four-panel strip, the toy metrics over training, GAN Lab's 2D view, the
minimax vs non-saturating gradient comparison, and Figure 2's "is it memorising?" histogram.
Colours and dashes follow the paper: p_data black dotted, p_g green solid, D blue dashed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.game.config import TrainConfig
from explorer.metrics.toy import LOG4, Toy1DView, Toy2DView

# ------------------------------------------------------------------------------------ builders
P_DATA = dict(color="black", dash="dot", width=2.5)
P_G = dict(color="green", width=2.5)
D_LINE = dict(color="royalblue", dash="dash", width=2.5)
D_STAR = dict(color="darkorange", dash="dashdot", width=1.5)
HALF = dict(color="grey", dash="longdash", width=1)
MAPPING = dict(color="grey", width=1)


def _add_toy1d_panel(fig: go.Figure, view: Toy1DView, col: int, showlegend: bool, show_d_star: bool = True) -> None:
    """The upper (densities and D) and lower (z -> x) rows of one Figure 1 panel in column `col`."""
    x = view.x
    traces = [
        go.Scatter(x=x, y=view.p_data, name="p_data", line=P_DATA, legendgroup="p_data"),
        go.Scatter(x=x, y=view.p_g, name="p_g (G(z) samples)", line=P_G, legendgroup="p_g"),
        go.Scatter(x=x, y=view.d, name="D(x)", line=D_LINE, legendgroup="d"),
    ]
    if show_d_star:
        traces.append(go.Scatter(x=x, y=d_star_where_defined(view), name="D*(x) = p_data / (p_data + p_g)",
                                 line=D_STAR, legendgroup="d_star"))
    traces.append(go.Scatter(x=[x[0], x[-1]], y=[0.5, 0.5], name="D = 1/2", line=HALF, mode="lines",
                             legendgroup="half"))
    for t in traces:
        t.showlegend = showlegend
        fig.add_trace(t, row=1, col=col)
    # Lower panel, as in the paper: z on the lower line (y=0), x = G(z) on the upper line (y=1).
    sx: list[float | None] = []
    sy: list[float | None] = []
    for z, gz in zip(view.z, view.g_of_z):
        sx += [float(z), float(gz), None]
        sy += [0.0, 1.0, None]
    fig.add_trace(go.Scatter(x=sx, y=sy, mode="lines", name="x = G(z)", line=MAPPING, legendgroup="map",
                             showlegend=showlegend, hoverinfo="skip"), row=2, col=col)
    fig.add_trace(go.Scatter(x=view.z, y=np.zeros_like(view.z), mode="markers", name="z ~ p_z",
                             marker=dict(color="black", size=5), legendgroup="z", showlegend=showlegend),
                  row=2, col=col)
    fig.add_trace(go.Scatter(x=view.g_of_z, y=np.ones_like(view.g_of_z), mode="markers", name="G(z)",
                             marker=dict(color="green", size=5), legendgroup="gz", showlegend=showlegend),
                  row=2, col=col)


def d_star_where_defined(view: Toy1DView, floor: float = 1e-3) -> np.ndarray:
    """D* with gaps where neither density has mass (below `floor` x the peak): there the ratio of two
    vanishing numbers is noise (a KDE tail of exactly 0 would draw D* = 1 across the empty axis)."""
    total = view.p_data + view.p_g
    return np.where(total > floor * float(np.max(total, initial=0.0)), view.d_star, np.nan)


def _x_range(views: Sequence[Toy1DView]) -> list[float]:
    lo = min(min(float(v.x[0]), float(v.z.min()), float(v.g_of_z.min())) for v in views)
    hi = max(max(float(v.x[-1]), float(v.z.max()), float(v.g_of_z.max())) for v in views)
    return [lo, hi]


def figure1(view: Toy1DView, title: str | None = None, height: int = 460) -> go.Figure:
    """Figure 1 live: densities, D, D* and D = 1/2 above; the z -> x mapping of G below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.04)
    _add_toy1d_panel(fig, view, 1, showlegend=True)
    y_top = max(1.05, float(np.nanmax(view.p_data)) * 1.1, min(float(np.nanmax(view.p_g)) * 1.1, 3.0))
    fig.update_yaxes(range=[0, y_top], row=1, col=1, title_text="density / D(x)")
    fig.update_yaxes(range=[-0.15, 1.15], tickvals=[0, 1], ticktext=["z", "x"], row=2, col=1)
    fig.update_xaxes(range=_x_range([view]))
    fig.update_layout(title=title, height=height, margin=dict(l=50, r=10, t=40 if title else 10, b=30),
                      uirevision="keep",
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig


def figure1_strip(views: Sequence[Toy1DView], steps: Sequence[int]) -> go.Figure:
    """The paper's four-panel strip: (a)..(d), one captured frame each, left to right in capture order."""
    if not views:
        raise ValueError("figure1_strip needs at least one captured view")
    if len(views) != len(steps):
        raise ValueError(f"{len(views)} views but {len(steps)} steps")
    n = len(views)
    titles = [f"({chr(ord('a') + i)}) step {s:,}" for i, s in enumerate(steps)]
    fig = make_subplots(rows=2, cols=n, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.05,
                        horizontal_spacing=0.02, subplot_titles=titles + [""] * n)
    for i, view in enumerate(views):
        _add_toy1d_panel(fig, view, i + 1, showlegend=i == 0, show_d_star=False)
    y_top = max(1.05, max(float(np.nanmax(v.p_data)) for v in views) * 1.1)
    fig.update_yaxes(range=[0, y_top], row=1)
    fig.update_yaxes(range=[-0.15, 1.15], tickvals=[0, 1], ticktext=["z", "x"], row=2)
    for c in range(2, n + 1):
        fig.update_yaxes(showticklabels=False, row=1, col=c)
        fig.update_yaxes(showticklabels=False, row=2, col=c)
    fig.update_xaxes(range=_x_range(views), showticklabels=False)
    fig.update_layout(height=360, margin=dict(l=40, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.05, yanchor="top", x=0))
    return fig


def toy_metrics_figure(frame: pd.DataFrame, height: int = 420) -> go.Figure:
    """Over training: mean D on data (optimum 1/2) above; JS and C(G) = -log 4 + 2 JSD (optimum -log 4) below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("mean D(x) on data", "JSD(p_data || p_g) and C(G)"))
    steps = frame["step"] if len(frame) else pd.Series(dtype=float)
    x_span = [float(steps.min()), float(steps.max())] if len(frame) else [0.0, 1.0]
    fig.add_trace(go.Scatter(x=steps, y=frame.get("d_on_data"), name="mean D(x) on data",
                             line=dict(color="royalblue")), row=1, col=1)
    fig.add_trace(go.Scatter(x=x_span, y=[0.5, 0.5], name="D = 1/2 (optimum)", line=HALF, mode="lines"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=steps, y=frame.get("js"), name="JSD estimate (nats)", line=dict(color="green")),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=steps, y=frame.get("value"), name="C(G) = -log 4 + 2 JSD",
                             line=dict(color="black")), row=2, col=1)
    fig.add_trace(go.Scatter(x=x_span, y=[-LOG4, -LOG4], name="-log 4 (global optimum)",
                             line=dict(color="red", dash="dot"), mode="lines"), row=2, col=1)
    fig.update_yaxes(range=[0, 1], row=1, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=30, b=30),
                      legend=dict(orientation="h", y=-0.15, yanchor="top", x=0))
    return fig


def gradient_comparison_figure(frames: Mapping[str, pd.DataFrame], max_points: int = 2000) -> go.Figure:
    """G's gradient norm (log scale) and mean D(G(z)) over steps, one line per run (e.g. minimax vs
    non-saturating): the minimax gradient vanishes while D confidently rejects G's samples."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("||grad of G's loss||  (log scale)", "mean D(G(z))"))
    colours = ["crimson", "seagreen", "royalblue", "darkorange"]
    for i, (label, frame) in enumerate(frames.items()):
        frame = _downsample(frame, max_points)
        colour = colours[i % len(colours)]
        fig.add_trace(go.Scatter(x=frame["step"], y=frame["grad_norm_g"], name=label, legendgroup=label,
                                 line=dict(color=colour)), row=1, col=1)
        fig.add_trace(go.Scatter(x=frame["step"], y=frame["d_g_z"], name=label, legendgroup=label,
                                 showlegend=False, line=dict(color=colour)), row=2, col=1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    fig.update_layout(height=420, margin=dict(l=50, r=10, t=30, b=30))
    return fig


def _downsample(frame: pd.DataFrame, max_points: int) -> pd.DataFrame:
    if len(frame) <= max_points:
        return frame
    return frame.iloc[:: math.ceil(len(frame) / max_points)]


def gan_lab_figure(view: Toy2DView, arrow_scale: float | None = None, height: int = 520,
                   max_points: int = 1000) -> go.Figure:
    """GAN Lab's view: D(x) as a heatmap, real and generated points, and G's gradient on generated points
    drawn as line segments (one trace) from each point towards where G's loss pushes it."""
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=view.xs, y=view.ys, z=view.d, zmin=0, zmax=1, colorscale="RdBu",
                             reversescale=False, opacity=0.55, name="D(x)",
                             colorbar=dict(title="D(x)", thickness=12)))
    real, fake = view.real[:max_points], view.fake[:max_points]
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real (p_data)",
                             marker=dict(color="black", size=3, opacity=0.5)))
    fig.add_trace(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated (p_g)",
                             marker=dict(color="limegreen", size=4, opacity=0.8)))
    grad = np.asarray(view.g_grad, dtype=float)
    starts = view.fake[: len(grad)]
    if len(grad):
        norms = np.linalg.norm(grad, axis=1)
        if arrow_scale is None:  # the longest arrow spans about 8% of the plot
            span = float(max(view.xs[-1] - view.xs[0], view.ys[-1] - view.ys[0]))
            arrow_scale = 0.08 * span / max(float(norms.max()), 1e-12)
        ends = starts + arrow_scale * grad
        seg = np.full((len(grad) * 3, 2), np.nan)
        seg[0::3], seg[1::3] = starts, ends
        fig.add_trace(go.Scatter(x=seg[:, 0], y=seg[:, 1], mode="lines", name="G's gradient (descent direction)",
                                 line=dict(color="darkgreen", width=1), hoverinfo="skip", connectgaps=False))
    fig.update_xaxes(range=[float(view.xs[0]), float(view.xs[-1])], constrain="domain")
    fig.update_yaxes(range=[float(view.ys[0]), float(view.ys[-1])], scaleanchor="x", scaleratio=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), uirevision="keep",
                      legend=dict(orientation="h", y=-0.02, yanchor="top", x=0))
    return fig


def modes_history_figure(frame: pd.DataFrame, n_modes: int | None) -> go.Figure:
    """Modes covered over training (a collapsed G sits at 1), with the number of modes as the ceiling."""
    fig = go.Figure()
    if "modes_covered" in frame:
        frame = frame.dropna(subset=["modes_covered"])
    fig.add_trace(go.Scatter(x=frame.get("step"), y=frame.get("modes_covered"), mode="lines+markers",
                             name="modes covered", line=dict(color="seagreen"), marker=dict(size=4)))
    if n_modes:
        span = [float(frame["step"].min()), float(frame["step"].max())] if len(frame) else [0.0, 1.0]
        fig.add_trace(go.Scatter(x=span, y=[n_modes, n_modes], mode="lines", name=f"all {n_modes} modes",
                                 line=dict(color="grey", dash="dot")))
    fig.update_yaxes(range=[0, (n_modes or 1) + 0.5], title_text="modes covered")
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=260, margin=dict(l=50, r=10, t=10, b=30), showlegend=False)
    return fig


def distance_histogram(sample_dist: np.ndarray, test_dist: np.ndarray, bins: int = 40) -> go.Figure:
    """Figure 2's question in numbers: distances from generated samples to their nearest training image,
    beside distances from held-out real images to theirs. A memorising G sits far left of the real ones."""
    sample_dist, test_dist = np.asarray(sample_dist, float), np.asarray(test_dist, float)
    both = np.concatenate([sample_dist, test_dist])
    if not len(both):
        raise ValueError("no distances to plot")
    lo, hi = float(both.min()), float(both.max())
    size = (hi - lo) / bins if hi > lo else 1.0
    xbins = dict(start=lo, end=hi + size, size=size)
    fig = go.Figure()
    for dist, name, colour in ((sample_dist, "generated → nearest train", "seagreen"),
                               (test_dist, "held-out real → nearest train", "slategrey")):
        fig.add_trace(go.Histogram(x=dist, name=name, xbins=xbins, histnorm="probability density",
                                   marker_color=colour, opacity=0.6))
        if len(dist):
            med = float(np.median(dist))
            fig.add_vline(x=med, line=dict(color=colour, dash="dash"),
                          annotation_text=f"median {med:.2f}", annotation_position="top")
    fig.update_layout(barmode="overlay", height=360, margin=dict(l=50, r=10, t=30, b=40),
                      xaxis_title="pixel L2 distance to the nearest training image", yaxis_title="density",
                      legend=dict(orientation="h", y=-0.22, yanchor="top", x=0))
    return fig
