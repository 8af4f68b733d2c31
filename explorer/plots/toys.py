"""The 1D and 2D toys drawn in plotly: pure functions, data in, `go.Figure` out.

Figure 1 (the 1D game), its four-panel strip, the toy metrics over training, GAN Lab's 2D view, the 2D
mixtures' modes over training and the minimax vs non-saturating gradient comparison.
Colours and dashes follow the paper (plots.style): p_data black dotted, p_g green solid, D blue dashed.
figure1 and gan_lab_figure are THE renderers of the 1D and 2D toys: the Train page draws them too, smaller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from explorer.metrics.toy import LOG4, Toy1DView, Toy2DView
from explorer.plots import style


def _toy1d_traces(view: Toy1DView, cell: dict, mapping_cell: dict | None, showlegend: bool,
                  show_d_star: bool = True) -> list[dict]:
    """The traces of one Figure 1 panel: densities and D in `cell` ({"xaxis": ..., "yaxis": ...}) and, given a
    `mapping_cell`, the z -> x mapping of G there."""
    x = view.x
    lines = [("p_data", "p_data", view.p_data, style.P_DATA), ("p_g (G(z) samples)", "p_g", view.p_g, style.P_G),
             ("D(x)", "d", view.d, style.D_LINE)]
    if show_d_star:
        lines.append(("D*(x) = p_data / (p_data + p_g)", "d_star", d_star_where_defined(view), style.D_STAR))
    traces = [dict(type="scatter", x=x, y=y, name=name, line=line, legendgroup=group, showlegend=showlegend, **cell)
              for name, group, y, line in lines]
    traces.append(dict(type="scatter", x=[x[0], x[-1]], y=[0.5, 0.5], name="D = 1/2", line=style.HALF, mode="lines",
                       legendgroup="half", showlegend=showlegend, **cell))
    if mapping_cell is None:
        return traces
    # Lower panel, as in the paper: z on the lower line (y=0), x = G(z) on the upper line (y=1).
    sx: list[float | None] = []
    sy: list[float | None] = []
    for z, gz in zip(view.z, view.g_of_z, strict=True):
        sx += [float(z), float(gz), None]
        sy += [0.0, 1.0, None]
    return [*traces,
            dict(type="scatter", x=sx, y=sy, mode="lines", name="x = G(z)", line=style.MAPPING, legendgroup="map",
                 showlegend=showlegend, hoverinfo="skip", **mapping_cell),
            dict(type="scatter", x=view.z, y=np.zeros_like(view.z), mode="markers", name="z ~ p_z",
                 marker=dict(color=style.C_DATA, size=5), legendgroup="z", showlegend=showlegend, **mapping_cell),
            dict(type="scatter", x=view.g_of_z, y=np.ones_like(view.g_of_z), mode="markers", name="G(z)",
                 marker=dict(color=style.C_G, size=5), legendgroup="gz", showlegend=showlegend, **mapping_cell)]


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
    # D lives on [0, 1] and shares the density axis, as in the paper, so the axis always reaches 1.
    y_top = max(1.05, float(np.nanmax(view.p_data)) * 1.1, min(float(np.nanmax(view.p_g)) * 1.1, 3.0))
    x_range = _x_range([view], show_mapping)
    if not show_mapping:  # one panel; the axis carries x alone, so it is named
        traces = _toy1d_traces(view, {}, None, showlegend=True, show_d_star=show_d_star)
        return style.figure(traces, style.layout(height, title, xaxis=dict(range=x_range, title=dict(text="x")),
                                                 yaxis=dict(range=[0, y_top], title=dict(text="density / D(x)"))))
    grid = style.subplots(2, 1, shared_xaxes=True, row_heights=(0.72, 0.28), vertical_spacing=0.1)
    traces = _toy1d_traces(view, grid.cell(1, 1), grid.cell(2, 1), showlegend=True, show_d_star=show_d_star)
    # With the mapping row the axis carries z and x alike, so it is left unnamed.
    return style.figure(traces, style.layout(
        height, title, xaxis=dict(range=x_range), xaxis2=dict(range=x_range),
        yaxis=dict(range=[0, y_top], title=dict(text="density / D(x)")),
        yaxis2=dict(range=[-0.3, 1.3], tickvals=[0, 1], ticktext=["z", "x"])), grid)


def figure1_strip(views: Sequence[Toy1DView], steps: Sequence[int]) -> go.Figure:
    """The paper's four-panel strip: (a)..(d), one captured frame each, left to right in capture order."""
    if not views:
        raise ValueError("figure1_strip needs at least one captured view")
    if len(views) != len(steps):
        raise ValueError(f"{len(views)} views but {len(steps)} steps")
    n = len(views)
    titles = tuple(f"({chr(ord('a') + i)}) step {s:,}" for i, s in enumerate(steps)) + ("",) * n
    grid = style.subplots(2, n, shared_xaxes=True, row_heights=(0.75, 0.25), vertical_spacing=0.05,
                          horizontal_spacing=0.02, subplot_titles=titles)
    traces = [t for i, view in enumerate(views)
              for t in _toy1d_traces(view, grid.cell(1, i + 1), grid.cell(2, i + 1), showlegend=i == 0,
                                     show_d_star=False)]
    fig = style.figure(traces, style.layout(360, legend=style.legend_below(),
                                            margin=dict(l=40, r=10, t=10, b=10)), grid)
    y_top = max(1.05, max(float(np.nanmax(v.p_data)) for v in views) * 1.1)
    fig.update_yaxes(range=[0, y_top], row=1)
    fig.update_yaxes(range=[-0.15, 1.15], tickvals=[0, 1], ticktext=["z", "x"], row=2)
    for c in range(2, n + 1):
        fig.update_yaxes(showticklabels=False, row=1, col=c)
        fig.update_yaxes(showticklabels=False, row=2, col=c)
    fig.update_xaxes(range=_x_range(views), showticklabels=False)
    return fig


def toy_metrics_figure(frame: pd.DataFrame, height: int = 420, max_points: int = style.MAX_POINTS) -> go.Figure:
    """Over training: mean D on data (optimum 1/2) above; JS and C(G) = -log 4 + 2 JSD (optimum -log 4) below."""
    # Each panel named on its y axis, not above it: the top of a figure is the title's and the legend's.
    grid = style.subplots(2, 1, shared_xaxes=True, vertical_spacing=0.08)
    top, bottom = grid.cell(1, 1), grid.cell(2, 1)
    steps = frame["step"] if len(frame) else pd.Series(dtype=float)
    x_span = [float(steps.min()), float(steps.max())] if len(frame) else [0.0, 1.0]

    def line(column: str, name: str, colour: str, cell: dict) -> dict:
        x, y = style.curve(frame, column, max_points)
        return dict(type="scatter", x=x, y=y, name=name, line=dict(color=colour), **cell)

    traces = [line("d_on_data", "mean D(x) on data", style.C_D, top),
              dict(type="scatter", x=x_span, y=[0.5, 0.5], name="D = 1/2 (optimum)", line=style.HALF, mode="lines",
                   **top),
              line("js", "JSD estimate (nats)", style.C_G, bottom),
              line("value", "C(G) = -log 4 + 2 JSD", style.C_DATA, bottom),
              dict(type="scatter", x=x_span, y=[-LOG4, -LOG4], name="-log 4 (global optimum)", line=style.OPTIMUM,
                   mode="lines", **bottom)]
    return style.figure(traces, style.layout(height, margin=dict(l=50, r=10, t=10, b=30),
                                             yaxis=dict(range=[0, 1], title=dict(text="D(x) on data")),
                                             yaxis2=dict(title=dict(text="nats")),
                                             xaxis2=dict(title=dict(text="step"))), grid)


def gradient_comparison_figure(frames: Mapping[str, pd.DataFrame],
                               max_points: int = style.MAX_POINTS) -> go.Figure:
    """G's gradient norm (log scale) and mean D(G(z)) over steps, one line per run (e.g. minimax vs
    non-saturating): the minimax gradient vanishes while D confidently rejects G's samples."""
    grid = style.subplots(2, 1, shared_xaxes=True, vertical_spacing=0.08)
    traces, norms = [], []
    for i, (label, frame) in enumerate(frames.items()):
        colour = style.RUN_COLOURS[i % len(style.RUN_COLOURS)]
        x, y = style.curve(frame, "grad_norm_g", max_points)
        norms.append(y)
        traces.append(dict(type="scatter", x=x, y=y, name=label, legendgroup=label, line=dict(color=colour),
                           **grid.cell(1, 1)))
        x, y = style.curve(frame, "d_g_z", max_points)
        traces.append(dict(type="scatter", x=x, y=y, name=label, legendgroup=label, showlegend=False,
                           line=dict(color=colour), **grid.cell(2, 1)))
    height = 420
    # Each panel named on its y axis (nothing above the panels to meet the legend); the log axis thinned to fit.
    log_axis = style.log_ticks(np.concatenate(norms) if norms else np.zeros(0), style.panel_px(height, 2))
    return style.figure(traces, style.layout(height, margin=dict(l=50, r=10, t=10, b=30),
                                             yaxis=dict(log_axis, title=dict(text="|grad G| (log)")),
                                             yaxis2=dict(range=[0, 1], title=dict(text="mean D(G(z))")),
                                             xaxis2=dict(title=dict(text="step"))), grid)


def gan_lab_figure(view: Toy2DView, arrow_scale: float | None = None, height: int = 520,
                   max_points: int = 1000, show_gradient: bool = True, title: str | None = None) -> go.Figure:
    """GAN Lab's view: D(x) as a heatmap, real and generated points, and (with `show_gradient`) G's gradient
    on generated points drawn as line segments (one trace) from each point towards where G's loss pushes it.

    The Train page's compact view is the same figure, smaller and without the segments."""
    real, fake = view.real[:max_points], view.fake[:max_points]
    traces = [dict(type="heatmap", x=view.xs, y=view.ys, z=view.d, zmin=0, zmax=1, colorscale=style.HEATMAP,
                   reversescale=False, opacity=0.55, name="D(x)", colorbar=style.d_colorbar()),
              dict(type="scatter", x=real[:, 0], y=real[:, 1], mode="markers", name="real (p_data)",
                   marker=style.REAL_POINTS),
              dict(type="scatter", x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated (p_g)",
                   marker=style.FAKE_POINTS)]
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
        traces.append(dict(type="scatter", x=seg[:, 0], y=seg[:, 1], mode="lines",
                           name="G's step (-gradient)", line=dict(color=style.C_G_DARK, width=1),
                           hoverinfo="skip", connectgaps=False))
    return style.figure(traces, style.layout(
        height, title, margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(range=[float(view.xs[0]), float(view.xs[-1])], constrain="domain"),
        # both axes give up plot area (not range) to keep x and y at one scale in a column of any shape
        yaxis=dict(range=[float(view.ys[0]), float(view.ys[-1])], scaleanchor="x", scaleratio=1,
                   constrain="domain")))


def gan_lab_caption() -> str:
    """What gan_lab_figure draws, in words taken from its colours (style.HEATMAP's ends, the players' colours)."""
    at_0, at_1 = style.scale_end_names(style.HEATMAP)
    return (f"Background: D(x), {at_1} where D says 'data' (D = 1), {at_0} where it says 'generated' (D = 0). "
            f"{style.colour_name(style.C_DATA).capitalize()}: real points; {style.colour_name(style.C_G)}: G(z). "
            f"{style.colour_name(style.C_G_DARK).capitalize()} segments: the direction G's loss moves each generated "
            "point (minus its gradient). A G that covers one mode of the ring and ignores the rest has collapsed.")


def modes_history_figure(frame: pd.DataFrame, n_modes: int | None) -> go.Figure:
    """Modes covered over training (a collapsed G sits at 1), with the number of modes as the ceiling."""
    if "modes_covered" in frame:
        frame = frame.dropna(subset=["modes_covered"])
    x, y = (frame[c].to_numpy() if c in frame else np.zeros(0) for c in ("step", "modes_covered"))
    traces = [dict(type="scatter", x=x, y=y, mode="lines+markers",
                   name="modes covered", line=dict(color=style.C_G), marker=dict(size=4))]
    if n_modes:
        span = [float(frame["step"].min()), float(frame["step"].max())] if len(frame) else [0.0, 1.0]
        traces.append(dict(type="scatter", x=span, y=[n_modes, n_modes], mode="lines", name=f"all {n_modes} modes",
                           line=dict(color=style.C_REF, dash="dot")))
    return style.figure(traces, style.layout(260, showlegend=False,
                                             yaxis=dict(range=[0, (n_modes or 1) + 0.5],
                                                        title=dict(text="modes covered")),
                                             xaxis=dict(title=dict(text="step"))))
