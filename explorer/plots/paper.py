"""Plotly builders for the paper's figures: pure functions, data in, `go.Figure` out.

Figure 1 (the 1D game), its four-panel strip, the toy metrics over training, GAN Lab's 2D view, the
minimax vs non-saturating gradient comparison, and Figure 2's "is it memorising?" histogram.
Colours and dashes follow the paper (plots.style): p_data black dotted, p_g green solid, D blue dashed.
figure1 and gan_lab_figure are THE renderers of the 1D and 2D toys: the Train page draws them too, smaller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.metrics.toy import LOG4, Toy1DView, Toy2DView
from explorer.plots import style


def _add_toy1d_panel(fig: go.Figure, view: Toy1DView, col: int, showlegend: bool, show_d_star: bool = True,
                     show_mapping: bool = True) -> None:
    """The upper (densities and D) and, with `show_mapping`, lower (z -> x) rows of one Figure 1 panel."""
    x = view.x
    traces = [
        go.Scatter(x=x, y=view.p_data, name="p_data", line=style.P_DATA, legendgroup="p_data"),
        go.Scatter(x=x, y=view.p_g, name="p_g (G(z) samples)", line=style.P_G, legendgroup="p_g"),
        go.Scatter(x=x, y=view.d, name="D(x)", line=style.D_LINE, legendgroup="d"),
    ]
    if show_d_star:
        traces.append(go.Scatter(x=x, y=d_star_where_defined(view), name="D*(x) = p_data / (p_data + p_g)",
                                 line=style.D_STAR, legendgroup="d_star"))
    traces.append(go.Scatter(x=[x[0], x[-1]], y=[0.5, 0.5], name="D = 1/2", line=style.HALF, mode="lines",
                             legendgroup="half"))
    for t in traces:
        t.showlegend = showlegend
        fig.add_trace(t, row=1, col=col)
    if not show_mapping:
        return
    # Lower panel, as in the paper: z on the lower line (y=0), x = G(z) on the upper line (y=1).
    sx: list[float | None] = []
    sy: list[float | None] = []
    for z, gz in zip(view.z, view.g_of_z, strict=True):
        sx += [float(z), float(gz), None]
        sy += [0.0, 1.0, None]
    fig.add_trace(go.Scatter(x=sx, y=sy, mode="lines", name="x = G(z)", line=style.MAPPING, legendgroup="map",
                             showlegend=showlegend, hoverinfo="skip"), row=2, col=col)
    fig.add_trace(go.Scatter(x=view.z, y=np.zeros_like(view.z), mode="markers", name="z ~ p_z",
                             marker=dict(color=style.C_DATA, size=5), legendgroup="z", showlegend=showlegend),
                  row=2, col=col)
    fig.add_trace(go.Scatter(x=view.g_of_z, y=np.ones_like(view.g_of_z), mode="markers", name="G(z)",
                             marker=dict(color=style.C_G, size=5), legendgroup="gz", showlegend=showlegend),
                  row=2, col=col)


def d_star_where_defined(view: Toy1DView, floor: float = 1e-3) -> np.ndarray:
    """D* with gaps where neither density has mass (below `floor` x the peak): there the ratio of two
    vanishing numbers is noise (a KDE tail of exactly 0 would draw D* = 1 across the empty axis)."""
    total = view.p_data + view.p_g
    return np.where(total > floor * float(np.max(total, initial=0.0)), view.d_star, np.nan)


def _x_range(views: Sequence[Toy1DView], with_mapping: bool = True) -> list[float]:
    """The density grid's span, widened to every z and G(z) when the mapping row is drawn."""
    lo = min(float(v.x[0]) for v in views)
    hi = max(float(v.x[-1]) for v in views)
    if with_mapping:
        lo = min(lo, *(min(float(v.z.min()), float(v.g_of_z.min())) for v in views))
        hi = max(hi, *(max(float(v.z.max()), float(v.g_of_z.max())) for v in views))
    return [lo, hi]


def figure1(view: Toy1DView, title: str | None = None, height: int = 460, show_mapping: bool = True,
            show_d_star: bool = True) -> go.Figure:
    """Figure 1 live: densities, D, D* and D = 1/2 above; the z -> x mapping of G below.

    The Train page's compact view is the same figure without the mapping row and D* (show_* = False)."""
    if show_mapping:
        fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.04)
    else:
        fig = make_subplots(rows=1, cols=1)
    _add_toy1d_panel(fig, view, 1, showlegend=True, show_d_star=show_d_star, show_mapping=show_mapping)
    # D lives on [0, 1] and shares the density axis, as in the paper, so the axis always reaches 1.
    y_top = max(1.05, float(np.nanmax(view.p_data)) * 1.1, min(float(np.nanmax(view.p_g)) * 1.1, 3.0))
    fig.update_yaxes(range=[0, y_top], row=1, col=1, title_text="density / D(x)")
    if show_mapping:
        fig.update_yaxes(range=[-0.15, 1.15], tickvals=[0, 1], ticktext=["z", "x"], row=2, col=1)
    fig.update_xaxes(range=_x_range([view], show_mapping))
    if not show_mapping:  # with the mapping row the axis carries z and x alike, so it is left unnamed
        fig.update_xaxes(title_text="x")
    return style.apply_layout(fig, height, title)


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
    return style.apply_layout(fig, 360, legend=style.legend_below(-0.05), margin=dict(l=40, r=10, t=50, b=10))


def toy_metrics_figure(frame: pd.DataFrame, height: int = 420, max_points: int = style.MAX_POINTS) -> go.Figure:
    """Over training: mean D on data (optimum 1/2) above; JS and C(G) = -log 4 + 2 JSD (optimum -log 4) below."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("mean D(x) on data", "JSD(p_data || p_g) and C(G)"))
    steps = frame["step"] if len(frame) else pd.Series(dtype=float)
    x_span = [float(steps.min()), float(steps.max())] if len(frame) else [0.0, 1.0]
    x, y = style.curve(frame, "d_on_data", max_points)
    fig.add_trace(go.Scatter(x=x, y=y, name="mean D(x) on data", line=dict(color=style.C_D)), row=1, col=1)
    fig.add_trace(go.Scatter(x=x_span, y=[0.5, 0.5], name="D = 1/2 (optimum)", line=style.HALF, mode="lines"),
                  row=1, col=1)
    x, y = style.curve(frame, "js", max_points)
    fig.add_trace(go.Scatter(x=x, y=y, name="JSD estimate (nats)", line=dict(color=style.C_G)), row=2, col=1)
    x, y = style.curve(frame, "value", max_points)
    fig.add_trace(go.Scatter(x=x, y=y, name="C(G) = -log 4 + 2 JSD", line=dict(color=style.C_DATA)),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=x_span, y=[-LOG4, -LOG4], name="-log 4 (global optimum)", line=style.OPTIMUM,
                             mode="lines"), row=2, col=1)
    fig.update_yaxes(range=[0, 1], row=1, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    return style.apply_layout(fig, height, legend=style.legend_below(-0.15),
                              margin=dict(l=50, r=10, t=30, b=30))


def gradient_comparison_figure(frames: Mapping[str, pd.DataFrame],
                               max_points: int = style.MAX_POINTS) -> go.Figure:
    """G's gradient norm (log scale) and mean D(G(z)) over steps, one line per run (e.g. minimax vs
    non-saturating): the minimax gradient vanishes while D confidently rejects G's samples."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("||grad of G's loss||  (log scale)", "mean D(G(z))"))
    for i, (label, frame) in enumerate(frames.items()):
        colour = style.RUN_COLOURS[i % len(style.RUN_COLOURS)]
        x, y = style.curve(frame, "grad_norm_g", max_points)
        fig.add_trace(go.Scatter(x=x, y=y, name=label, legendgroup=label, line=dict(color=colour)), row=1, col=1)
        x, y = style.curve(frame, "d_g_z", max_points)
        fig.add_trace(go.Scatter(x=x, y=y, name=label, legendgroup=label, showlegend=False,
                                 line=dict(color=colour)), row=2, col=1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    return style.apply_layout(fig, 420, margin=dict(l=50, r=10, t=30, b=30))


def gan_lab_figure(view: Toy2DView, arrow_scale: float | None = None, height: int = 520,
                   max_points: int = 1000, show_gradient: bool = True, title: str | None = None) -> go.Figure:
    """GAN Lab's view: D(x) as a heatmap, real and generated points, and (with `show_gradient`) G's gradient
    on generated points drawn as line segments (one trace) from each point towards where G's loss pushes it.

    The Train page's compact view is the same figure, smaller and without the segments."""
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=view.xs, y=view.ys, z=view.d, zmin=0, zmax=1, colorscale=style.HEATMAP,
                             reversescale=False, opacity=0.55, name="D(x)",
                             colorbar=dict(title="D(x)", thickness=12)))
    real, fake = view.real[:max_points], view.fake[:max_points]
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real (p_data)",
                             marker=style.REAL_POINTS))
    fig.add_trace(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated (p_g)",
                             marker=style.FAKE_POINTS))
    grad = np.asarray(view.g_grad, dtype=float) if show_gradient else np.zeros((0, 2))
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
                                 line=dict(color=style.C_G_DARK, width=1), hoverinfo="skip", connectgaps=False))
    fig.update_xaxes(range=[float(view.xs[0]), float(view.xs[-1])], constrain="domain")
    fig.update_yaxes(range=[float(view.ys[0]), float(view.ys[-1])], scaleanchor="x", scaleratio=1)
    return style.apply_layout(fig, height, title, legend=style.legend_below(-0.02),
                        margin=dict(l=10, r=10, t=40 if title else 10, b=10))


def modes_history_figure(frame: pd.DataFrame, n_modes: int | None) -> go.Figure:
    """Modes covered over training (a collapsed G sits at 1), with the number of modes as the ceiling."""
    fig = go.Figure()
    if "modes_covered" in frame:
        frame = frame.dropna(subset=["modes_covered"])
    fig.add_trace(go.Scatter(x=frame.get("step"), y=frame.get("modes_covered"), mode="lines+markers",
                             name="modes covered", line=dict(color=style.C_G), marker=dict(size=4)))
    if n_modes:
        span = [float(frame["step"].min()), float(frame["step"].max())] if len(frame) else [0.0, 1.0]
        fig.add_trace(go.Scatter(x=span, y=[n_modes, n_modes], mode="lines", name=f"all {n_modes} modes",
                                 line=dict(color=style.C_REF, dash="dot")))
    fig.update_yaxes(range=[0, (n_modes or 1) + 0.5], title_text="modes covered")
    fig.update_xaxes(title_text="step")
    return style.apply_layout(fig, 260, showlegend=False)


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
    for dist, name, colour in ((sample_dist, "generated → nearest train", style.C_G),
                               (test_dist, "held-out real → nearest train", style.C_HELD_OUT)):
        fig.add_trace(go.Histogram(x=dist, name=name, xbins=xbins, histnorm="probability density",
                                   marker_color=colour, opacity=0.6))
        if len(dist):
            med = float(np.median(dist))
            fig.add_vline(x=med, line=dict(color=colour, dash="dash"),
                          annotation_text=f"median {med:.2f}", annotation_position="top")
    return style.apply_layout(fig, 360, legend=style.legend_below(-0.22), margin=dict(l=50, r=10, t=30, b=40),
                        barmode="overlay", xaxis_title="pixel L2 distance to the nearest training image",
                        yaxis_title="density")
