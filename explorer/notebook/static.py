"""A panel's picture for places with no widget frontend: nbconvert, nbclient (CI), GitHub, a closed notebook.

A widget shows as "Loading widget..." (or nothing) where no widget manager runs. So a panel's display bundle
carries, beside the widget view, text/plain (its status line) and text/html: the status line, its problems and one
PNG of the panel's figures, drawn with matplotlib's Agg canvas (no display, no browser: plotly's own image export
needs Chrome through kaleido). The charts are the very plotly figures the widgets show, redrawn trace by trace
(`draw`), and the toy's game is plots.frames' matplotlib Figure 1 / GAN Lab view, so the picture reads like the
panel. nbconvert shows the widget view only when the notebook saved the widget state, else this HTML.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from explorer.plots.frames import DASHES

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _colour(spec: str | None, default: str = "grey") -> tuple[float, float, float, float]:
    """A plotly colour ("#2ca02c", "black", "rgba(31, 119, 180, 0.2)") as matplotlib RGBA."""
    if not spec:
        return to_rgba(default)
    if spec.startswith("rgba(") or spec.startswith("rgb("):
        parts = [float(p) for p in spec[spec.index("(") + 1: -1].split(",")]
        return (parts[0] / 255, parts[1] / 255, parts[2] / 255, parts[3] if len(parts) == 4 else 1.0)
    return to_rgba(spec)


def _dash(dash: str | None) -> str:
    return DASHES.get(dash, "-")


def draw(ax, fig: go.Figure) -> None:
    """Draw a one-axis plotly figure of plots.training / plots.compare on a matplotlib axes: its scatter traces
    (lines, markers, filled bands), horizontal reference lines, title, axis titles, ranges, log y and y ticks."""
    for trace in fig.data:
        if trace.type != "scatter" or trace.x is None or trace.y is None:
            continue
        x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
        line = trace.line
        colour = _colour(line.color if line is not None else None)
        if trace.fill == "toself":
            ax.fill(x, y, color=_colour(trace.fillcolor), linewidth=0)
            continue
        label = trace.name if trace.showlegend is not False else None
        if trace.mode and "lines" not in trace.mode:
            ax.scatter(x, y, s=6, color=colour, label=label)
        else:
            ax.plot(x, y, color=colour, linestyle=_dash(line.dash if line else None),
                    linewidth=(line.width or 1.6) * 0.7 if line else 1.1, label=label)
    for shape in fig.layout.shapes or ():
        if shape.type == "line" and shape.y0 == shape.y1:
            ax.axhline(float(shape.y0), color=_colour(shape.line.color), linestyle=_dash(shape.line.dash),
                       linewidth=0.8)
    layout = fig.layout
    if layout.title and layout.title.text:
        ax.set_title(layout.title.text, fontsize=9, loc="left")
    if layout.xaxis.title and layout.xaxis.title.text:
        ax.set_xlabel(layout.xaxis.title.text, fontsize=8)
    if layout.yaxis.title and layout.yaxis.title.text:
        ax.set_ylabel(layout.yaxis.title.text, fontsize=8)
    if layout.yaxis.type == "log" and ax.has_data():
        ax.set_yscale("log")
    if layout.xaxis.range:
        ax.set_xlim(*layout.xaxis.range)
    if layout.yaxis.range:  # plotly gives a log axis's range in powers of 10
        low, high = layout.yaxis.range
        ax.set_ylim(*((10 ** low, 10 ** high) if layout.yaxis.type == "log" else (low, high)))
    if layout.yaxis.tickvals:
        ax.set_yticks(list(layout.yaxis.tickvals), list(layout.yaxis.ticktext or layout.yaxis.tickvals))
    ax.tick_params(labelsize=7)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, frameon=False, loc="best")
    if not ax.has_data():
        ax.text(0.5, 0.5, "nothing recorded yet", ha="center", va="center", transform=ax.transAxes, color="grey")


def png(charts: Sequence[go.Figure], picture: np.ndarray | None = None, columns: int = 2, width: float = 10.0
        ) -> bytes:
    """One PNG: `picture` (the game: uint8 (H, W, 3), e.g. a sample grid or a plots.frames figure) first, then
    each chart, `columns` to a row."""
    cells = ([picture] if picture is not None else []) + list(charts)
    rows = max(1, -(-len(cells) // columns))
    fig = Figure(figsize=(width, 3.1 * rows), dpi=90)
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax, cell in zip(axes, cells, strict=False):
        if isinstance(cell, np.ndarray):
            ax.imshow(cell, interpolation="nearest")
            ax.set_axis_off()
        else:
            draw(ax, cell)
    for ax in axes[len(cells):]:
        ax.set_axis_off()
    fig.tight_layout(pad=0.8)
    out = io.BytesIO()
    FigureCanvasAgg(fig).print_png(out)
    return out.getvalue()


def html_block(title: str, lines: Sequence[str], image: bytes | None, problems: Sequence[str] = ()) -> str:
    """The static view as HTML: a title, the status lines, any problems in red, and the PNG inline."""
    parts = [f"<div class='gan-explorer-static'><p><b>{html.escape(title)}</b></p>"]
    parts += [f"<p>{html.escape(line)}</p>" for line in lines if line]
    parts += [f"<p style='color:#b00020'>{html.escape(p)}</p>" for p in problems if p]
    if image is not None:
        data = base64.b64encode(image).decode("ascii")
        parts.append(f"<img alt='{html.escape(title)}' src='data:image/png;base64,{data}'/>")
    return "".join(parts) + "</div>"


def bundle(widget_bundle: dict, text: str, html_text: str) -> dict:
    """The display bundle: the widget's view for a live frontend, plain text and HTML for everything else."""
    return {WIDGET_VIEW: widget_bundle[WIDGET_VIEW], "text/plain": text, "text/html": html_text}
