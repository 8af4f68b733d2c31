"""The one palette and the shared layout of every chart, and the one way a long curve is thinned.

A colour names a player, in every chart alike, after the paper's Figure 1: real data is black (p_data
dotted), the generator green (p_g, G(z) points, G's loss and gradient), the discriminator blue (D(x)
dashed, D's loss and gradient). So a reader who learns the colours on one page can read every other page.
"""

from __future__ import annotations

import functools
import math
import re
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
# D(x) over the plane, from red at D = 0 ("generated") through white to blue at D = 1 ("data"), spelt out: a scale
# name such as "RdBu" runs red-to-blue in plotly.py but blue-to-red in plotly.js, which draws it. Captions name these
# ends with colour_name, so they say what the colour bar shows.
HEATMAP = [[0.0, "#b2182b"], [0.25, "#ef8a62"], [0.5, "#f7f7f7"], [0.75, "#67a9cf"], [1.0, "#2166ac"]]
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


def _rgb(colour: str) -> tuple[int, int, int]:
    """(r, g, b) of '#rrggbb', 'rgb(r, g, b)' or one of the CSS names this palette uses."""
    named = {"black": "#000000", "white": "#ffffff", "grey": "#808080", "slategrey": "#708090"}
    colour = named.get(colour.strip().lower(), colour.strip())
    if colour.startswith("#"):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
    if colour.startswith("rgb"):
        r, g, b = (int(float(v)) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
        return r, g, b
    raise ValueError(f"not a colour this palette can name: {colour!r}")


def colour_name(colour: str) -> str:
    """A colour as a caption says it ("blue", "dark green", "black"), from its hue and lightness, so a caption's
    words follow the palette and the colour scale instead of being written beside them."""
    import colorsys

    r, g, b = (c / 255 for c in _rgb(colour))
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    if sat < 0.15 or max(r, g, b) - min(r, g, b) < 0.1:
        return "black" if light < 0.2 else "white" if light > 0.9 else "grey"
    hue *= 360
    name = next(n for limit, n in ((15, "red"), (45, "orange"), (70, "yellow"), (165, "green"), (255, "blue"),
                                   (330, "purple"), (361, "red")) if hue < limit)
    return ("dark " if light < 0.3 else "light " if light > 0.8 else "") + name


def scale_end_names(scale: Sequence[Sequence] = HEATMAP) -> tuple[str, str]:
    """The names of a colour scale's two ends: (at its minimum, at its maximum)."""
    return colour_name(scale[0][1]), colour_name(scale[-1][1])


def d_colorbar() -> dict:
    """The colour bar of D(x) over the plane: its title beside it (not above its top tick) and its ends in words."""
    return dict(title=dict(text="D(x)", side="right"), thickness=12, tickvals=[0, 0.5, 1],
                ticktext=["0: generated", "1/2", "1: data"])


def run_line(i: int, width: float = 1.6) -> dict:
    """The line of the i-th run in a comparison: RUN_COLOURS in turn, then again with the next dash, so the
    7th run is not drawn like the 1st."""
    n = len(RUN_COLOURS)
    return dict(color=RUN_COLOURS[i % n], dash=RUN_DASHES[(i // n) % len(RUN_DASHES)], width=width)


# ------------------------------------------------------------------------------------------- layout
# Every chart's top, from the figure's top edge down: the title (one line), the legend (horizontal, as many rows as
# its names need), the plot area. Title and legend are placed in the figure's own pixels (yref "container"), so
# plotly reserves the top margin they take: a legend that wraps to a third row in a narrow column pushes the plot
# down instead of covering its top ticks, and nothing placed in the plot's paper units (annotations, subplot titles,
# tick labels) can reach them. Axis titles stand off their tick labels and every axis grows the margin it needs
# (automargin), so "step" never sits on the labels of the axis above or beside it.
FONT_PX = 12             # tick labels, axis titles, annotations
LEGEND_FONT_PX = 11
TITLE_FONT = dict(size=14)
TITLE_PAD_PX = 6         # above the title
AXIS_STANDOFF_PX = 6     # between an axis' tick labels and its title
# y tick labels stand off their axis by this much, so the lowest ("0") and the first x tick label ("-2"), both at
# the plot's lower left corner, cannot meet
Y_TICK_STANDOFF_PX = 6
SUBPLOT_TITLE_PX = 22    # a line of a subplot title (plotly's 16 px), above its panel (eval curves, Figure 1's strip)
NARROWEST_PX = 360       # the narrowest chart the app draws (a half column at 1024 px): legend rows are counted at it
LEGEND = dict(orientation="h", xanchor="left", x=0, yref="container", yanchor="top",
              font=dict(size=LEGEND_FONT_PX))


def wrap(text: str, chars: int) -> str:
    """`text` broken into lines of at most `chars` characters at spaces (plotly's <br>): a subplot title that fits
    its panel instead of running into the next one's."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= max(chars, 1):
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def line_chars(width_px: float = NARROWEST_PX) -> int:
    """How many characters a line of text `width_px` wide holds in the projector's font (the largest a chart
    draws): what `wrap` breaks a title at so that it fits in either style."""
    return max(int(width_px / (0.6 * PROJECTOR_FONT)), 8)


def title_px(font_px: int) -> int:
    """The height a one-line title of this font takes at the figure's top, its pad included."""
    return TITLE_PAD_PX + round(1.5 * font_px)


def legend_rows(names: Sequence[str], font_px: int = LEGEND_FONT_PX, width_px: int = NARROWEST_PX) -> int:
    """How many rows a horizontal legend of these entries takes at `width_px` (plotly wraps whole entries: a
    symbol of ~40 px and the name, ~0.6 em a character)."""
    rows, used = 1 if names else 0, 0.0
    for name in names:
        width = 40 + 0.6 * font_px * len(str(name))
        if used and used + width > width_px:
            rows, used = rows + 1, 0.0
        used += width
    return rows


def _legend_names(data: Sequence) -> list[str]:
    """The names a figure's legend shows: one per legend group, traces with showlegend=False left out (plotly's own
    rule hides the legend of a figure with a single trace unless showlegend is set)."""
    seen, out = set(), []
    for trace in data:
        get = trace.get if isinstance(trace, dict) else lambda k, t=trace: getattr(t, k, None)
        if get("showlegend") is False or get("type") == "heatmap":
            continue
        group = get("legendgroup") or id(trace)
        if group not in seen:
            seen.add(group)
            out.append(str(get("name") or ""))
    return out


def top(height: int, title: str | None, names: Sequence[str], title_font_px: int = TITLE_FONT["size"],
        legend_font_px: int = LEGEND_FONT_PX, extra_px: int = 0) -> dict:
    """The title, the legend and the top margin of a figure `height` px high, as layout entries: the title on the
    first line, the legend under it, the plot under both (`extra_px` more for subplot titles above the panels).

    `margin_t` holds one legend row: plotly itself reserves the rows a wider legend wraps to (a legend placed in
    the figure's pixels pushes the plot down), so a wide chart keeps no blank band. Subplot titles, which plotly does
    not move, get the rows the legend takes at the narrowest chart. `top_px` is that narrowest case: what the y
    axes' tick counts are reckoned with."""
    head = title_px(title_font_px) if title else 4
    rows = legend_rows(names, legend_font_px)
    row_px = round(1.9 * legend_font_px)
    widest = head + rows * row_px + 6 + extra_px
    return dict(title=dict(text=title or "", x=0.01, xanchor="left", yref="container", y=1, yanchor="top",
                           pad=dict(t=TITLE_PAD_PX), automargin=True, font=dict(size=title_font_px)),
                legend=dict(LEGEND, y=1 - head / max(height, 1), font=dict(size=legend_font_px)),
                margin_t=widest if extra_px else head + min(rows, 1) * row_px + 6, top_px=widest)


def legend_below() -> dict:
    """A horizontal legend at the figure's foot, in its own reserved margin (a figure whose panels carry titles
    above them and no x tick labels below: Figure 1's strip)."""
    return dict(LEGEND, yref="container", y=0, yanchor="bottom")


_AXIS = re.compile(r"[xy]axis\d*")


def _axis_defaults(layout: dict) -> None:
    """Every axis of `layout` makes room for its tick labels and title (automargin) and stands its title off the
    tick labels."""
    for name in dict.fromkeys(["xaxis", "yaxis", *(k for k in layout if _AXIS.fullmatch(k))]):
        axis = layout.setdefault(name, {})
        axis.setdefault("automargin", True)
        if name.startswith("y"):
            axis.setdefault("ticklabelstandoff", Y_TICK_STANDOFF_PX)
        title = axis.get("title")
        if isinstance(title, str):
            axis["title"] = title = dict(text=title)
        if isinstance(title, dict):
            title.setdefault("standoff", AXIS_STANDOFF_PX)


def layout(height: int, title: str | None = None, legend: dict | None = None, margin: dict | None = None,
           **extra) -> dict:
    """The shared look as a layout dict: height, a small title at the top left, the legend (LEGEND by default)
    and margins. `uirevision` is fixed so a chart redrawn every second keeps the reader's zoom and hidden
    traces. The top (title, legend, top margin) is finished by `figure` / `apply_layout`, which know the legend's
    entries."""
    return dict(title=dict(text=title or "", font=TITLE_FONT), height=height,
                legend=legend or dict(LEGEND), margin=dict(margin) if margin else dict(l=50, r=10, t=10, b=30),
                uirevision="keep", font=dict(size=FONT_PX), **extra)


def _finish(layout: dict, data: Sequence, extra_px: int = 0) -> dict:
    """`layout` with its top laid out for these traces (see `top`) and its axes given room (`_axis_defaults`). A
    legend the builder placed itself (legend_below) keeps its place."""
    title = (layout.get("title") or {}).get("text") or None
    height = int(layout.get("height") or 450)
    shown = layout.get("showlegend", True) is not False and (layout.get("legend") or {}).get("yanchor") != "bottom"
    names = _legend_names(data) if shown else []
    if shown and len(names) < 2 and "showlegend" not in layout:
        names = []  # plotly shows no legend for a single trace
    placed = top(height, title, names, extra_px=extra_px)
    margin = dict(layout.get("margin") or {})
    margin["t"] = max(int(margin.get("t", 0)), placed["margin_t"])
    out = {**layout, "title": {**placed["title"], **{k: v for k, v in (layout.get("title") or {}).items()
                                                      if k == "font"}},
           "margin": margin}
    plot_px = height - max(margin["t"], placed["top_px"]) - int(margin.get("b", 30)) - 30  # less the x axis
    for name in [k for k in out if _AXIS.fullmatch(k) and k.startswith("y")] or ["yaxis"]:
        axis = out[name] = dict(out.get(name) or {})
        lo, hi = axis.get("domain", (0, 1))
        room = y_ticks((hi - lo) * plot_px, FONT_PX)
        if "tickvals" in axis:
            axis.update(thin_ticks(axis["tickvals"], axis.get("ticktext"), room))
        elif axis.get("type") != "log" and "dtick" not in axis:
            axis.setdefault("nticks", room)
    if (layout.get("legend") or {}).get("yanchor") != "bottom":
        out["legend"] = {**placed["legend"], **{k: v for k, v in (layout.get("legend") or {}).items()
                                                if k not in ("y", "yanchor", "yref", "x", "xanchor", "orientation")}}
    _axis_defaults(out)
    return out


def apply_layout(fig: go.Figure, height: int, title: str | None = None, legend: dict | None = None,
                 margin: dict | None = None, **extra) -> go.Figure:
    """`layout(...)` applied to an existing figure (one built up trace by trace)."""
    base = fig.layout.to_plotly_json()
    base.pop("template", None)
    wanted = layout(height, title, legend, margin, **extra)
    merged = {**base, **wanted}
    for name, axis in base.items():  # axes the figure already set up (category orders, ranges) keep their settings
        if _AXIS.fullmatch(name) and name in wanted:
            merged[name] = {**axis, **wanted[name]}
    fig.update_layout(_finish(merged, fig.data))
    return fig


def figure(data: list[dict], layout: dict, grid: Grid | None = None) -> go.Figure:
    """A figure from plain trace dicts (each with its `type`) and a layout dict, built in one unvalidated step.

    plotly validates every property on every `add_trace` / `update_*` call: ~40 ms for a chart of three lines,
    in the server's one interpreter, every second a live page redraws it, while the training thread waits for
    the GIL. Built in one step without validation it costs a few ms (most of it copying plotly's template).
    tests/test_plots.py validates every builder's output (go.Figure(fig.to_dict())), so a typo still fails
    there. `grid`: a `subplots` grid whose axes the figure takes (a layout axis given here is merged into the
    grid's), so `row=`/`col=` updates and add_vline(row="all") keep working on it. The layout's top is finished
    here (title, legend rows, the margin they take: see `top`), with room for the grid's subplot titles."""
    if grid is None:
        return go.Figure(dict(data=data, layout=_finish(layout, data)), _validate=False)
    merged = {**grid.layout, **layout}
    for name, axis in grid.layout.items():
        if name in layout:
            merged[name] = {**axis, **layout[name]}
    titles = [a for a in grid.layout.get("annotations", ()) if a.get("text")]
    lines = max((a["text"].count("<br>") + 1 for a in titles), default=0)
    if titles:  # subplot titles at the figure's title size, not plotly's 16 px
        merged["annotations"] = [{**a, "font": {**a.get("font", {}), "size": TITLE_FONT["size"]}}
                                 for a in merged.get("annotations", ())] + list(layout.get("annotations", ()))
    return go.Figure(dict(data=data, layout=_finish(merged, data, SUBPLOT_TITLE_PX * lines),
                          _grid_ref=grid.ref, _grid_str=grid.text), _validate=False)


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
    projector palette; its top laid out again and its log axes thinned again for the larger fonts, so nothing the
    larger text draws overlaps. Changes `fig` in place and returns it."""
    if height:
        fig.update_layout(height=height)
    fig.update_layout(font=dict(size=PROJECTOR_FONT))
    legend_shown = fig.layout.showlegend is not False and fig.layout.legend.yanchor != "bottom"
    names = _legend_names(fig.data) if legend_shown else []
    if len(names) < 2 and fig.layout.showlegend is None:
        names = []
    titled = any((a.y or 0) >= 0.99 and a.yanchor == "bottom" and a.yref == "paper" for a in fig.layout.annotations)
    placed = top(int(fig.layout.height or 450), fig.layout.title.text or None, names, PROJECTOR_FONT + 2,
                 PROJECTOR_FONT - 2, round(SUBPLOT_TITLE_PX * PROJECTOR_FONT / FONT_PX) if titled else 0)
    fig.update_layout(title=placed["title"], margin=dict(t=max(fig.layout.margin.t or 0, placed["margin_t"])))
    if legend_shown:
        fig.update_layout(legend=dict(y=placed["legend"]["y"], yref="container", yanchor="top"))
    fig.update_layout(legend=dict(font=dict(size=PROJECTOR_FONT - 2)))
    fig.update_annotations(font_size=PROJECTOR_FONT)
    for axes in (fig.update_xaxes, fig.update_yaxes):  # axis labels readable from the back of the room
        axes(tickfont=dict(size=PROJECTOR_FONT - 2), title_font=dict(size=PROJECTOR_FONT))
    fig.update_yaxes(ticklabelstandoff=round(Y_TICK_STANDOFF_PX * PROJECTOR_FONT / FONT_PX))
    _refit_y_ticks(fig, PROJECTOR_FONT - 2, placed["top_px"])
    for trace in fig.data:
        line, marker = getattr(trace, "line", None), getattr(trace, "marker", None)
        if line is not None:
            line.width = 2 * (line.width or 1.5)
            line.color = PROJECTOR_COLOURS.get(line.color, line.color)
        if marker is not None and not isinstance(marker.color, (list, tuple)) and marker.color is not None:
            marker.color = PROJECTOR_COLOURS.get(marker.color, marker.color)
            if "size" in marker and not isinstance(marker.size, (list, tuple)):  # a bar's marker has no size
                marker.size = 1.5 * (marker.size or 6)
    return fig


def panel_px(height: int, rows: int = 1) -> float:
    """About how tall one of `rows` stacked panels of a figure `height` px high draws (the title, a legend row and
    the x axis taken off): what a y axis has for its tick labels."""
    return max((height - 110) / rows, 40.0)


# ------------------------------------------------------------------------------------------ log axes
def log_ticks(values: np.ndarray | Sequence[float], length_px: float, font_px: int = FONT_PX) -> dict:
    """A log axis whose tick labels cannot crowd: 1, 2 and 5 in every decade where the axis is long enough for
    three labels a decade, else only the powers of 10, else every second (third, ...) power. Labels written in
    full ("0.5", not plotly's bare "5"). `length_px`: the axis' length on screen; a label needs ~2 lines. The range
    is set from the values (at least one decade), so the ticks are chosen for the decades the axis really shows
    (plotly's own autorange of one point spans five)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    axis: dict = dict(type="log", tickformat="~g", minor=dict(showgrid=False))
    if not len(v):
        return {**axis, "dtick": 1}
    lo, hi = float(np.log10(v.min())), float(np.log10(v.max()))
    if hi - lo < 1:  # centre a decade on the values
        lo, hi = (lo + hi) / 2 - 0.5, (lo + hi) / 2 + 0.5
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    room = max(length_px / (2.0 * font_px), 1.0)  # labels that fit along the axis
    decades = hi - lo
    dtick: str | int = "D2" if 3 * decades <= room else max(1, math.ceil(decades / room))
    return {**axis, "dtick": dtick, "range": [lo, hi]}


def y_ticks(length_px: float, font_px: int) -> int:
    """The most tick labels a y axis `length_px` long holds in this font with a line's gap between them (plotly's
    nticks: it picks round numbers up to this many)."""
    return max(2, int(length_px / (2.5 * font_px)))


def thin_ticks(values: Sequence, texts: Sequence | None, most: int) -> dict:
    """Given tick values (and their texts) cut to at most `most`, every second (third, ...) one, both ends kept:
    0, 1/4, 1/2, 3/4, 1 on a short axis becomes 0, 1/2, 1."""
    values = list(values)
    if len(values) <= most or len(values) < 3:
        return dict(tickvals=values, ticktext=list(texts) if texts is not None else None)
    stride = next((k for k in range(2, len(values)) if (len(values) - 1) % k == 0 and
                   (len(values) - 1) // k + 1 <= most), len(values) - 1)
    keep = list(range(0, len(values), stride))
    return dict(tickvals=[values[i] for i in keep], ticktext=[texts[i] for i in keep] if texts is not None else None)


def _axis_px(fig: go.Figure, name: str, top_px: int = 0) -> float:
    """The on-screen length of a y axis: its domain's share of the plot height, under a top of at least `top_px`
    (the margins' estimate at the narrowest chart)."""
    axis = fig.layout[name]
    lo, hi = axis.domain if axis.domain else (0, 1)
    margin = fig.layout.margin
    return (hi - lo) * max(int(fig.layout.height or 450) - max(margin.t or 0, top_px) - (margin.b or 0) - 30, 40)


def _refit_y_ticks(fig: go.Figure, font_px: int, top_px: int = 0) -> None:
    """Every y axis of `fig` given no more tick labels than it has room for in a new tick font (for_projector): a
    log axis thinned by log_ticks, a linear one (without ticks of its own) by plotly's nticks."""
    for name in [k for k in fig.layout.to_plotly_json() if _AXIS.fullmatch(k) and k.startswith("y")]:
        axis = fig.layout[name]
        if axis.type != "log":
            room = y_ticks(_axis_px(fig, name, top_px), font_px)
            if axis.tickvals is not None:
                axis.update(thin_ticks(axis.tickvals, axis.ticktext, room))
            elif axis.type in (None, "-", "linear"):
                axis.nticks = room
            continue
        ref = "y" + name[len("yaxis"):]
        values = [np.asarray(t.y, dtype=float) for t in fig.data
                  if (getattr(t, "yaxis", None) or "y") == ref and t.y is not None and len(t.y)]
        values = np.concatenate(values) if values else np.zeros(0)
        fig.layout[name].update(log_ticks(values, _axis_px(fig, name, top_px), font_px))


# ------------------------------------------------------------------------------------- downsampling
MAX_POINTS = 2000


def downsample_indices(values: np.ndarray, max_points: int = MAX_POINTS, steps: np.ndarray | None = None
                       ) -> np.ndarray:
    """Sorted indices of at most `max_points` points of a series that still draw its extremes.

    The first and the last point are kept; the points between are cut into (max_points - 2) // 2 equal
    buckets, and each bucket keeps its smallest and its largest value. Every n-th point would be smaller
    to write, but would drop a one-step spike (a diverging step, a D that suddenly wins), the very thing a
    loss curve is read for. A NaN is kept only where a bucket holds nothing else. Given `steps`, the buckets
    are of equal steps, not rows: a long run's record holds its older steps as means of many (recorder.MEMORY_ROWS).
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n <= max(max_points, 2):
        return np.arange(n)
    inner = values[1:-1]
    buckets = max(0, (max_points - 2) // 2)
    if buckets == 0:
        return np.array([0, n - 1])
    if steps is not None and steps[-1] - steps[0] != n - 1:  # rows of unequal spans: buckets of equal steps
        position = np.asarray(steps[1:-1], dtype=float) - float(steps[1])
        bucket = np.minimum((position * (buckets / max(float(position[-1]), 1.0))).astype(np.int64), buckets - 1)
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        lo, _, hi, _ = _segment_extremes(starts, np.arange(len(inner)), inner[:, None])
        return np.unique(np.concatenate([[0], 1 + lo[:, 0], 1 + hi[:, 0], [n - 1]]))
    size = math.ceil(len(inner) / buckets)  # one row per step (the fast way): buckets of equal rows
    used = math.ceil(len(inner) / size)  # ceil rounding can leave the last buckets empty
    rows = np.full(used * size, np.nan)
    rows[: len(inner)] = inner
    rows = rows.reshape(used, size)  # (buckets, size), the last row padded with NaN
    nan = np.isnan(rows)
    lo, hi = np.where(nan, np.inf, rows).argmin(1), np.where(nan, -np.inf, rows).argmax(1)  # an all-NaN row: its first
    starts = 1 + size * np.arange(used)
    return np.unique(np.concatenate([[0], starts + lo, starts + hi, [n - 1]]))


def smooth_series(values: np.ndarray, window: int, steps: np.ndarray | None = None) -> np.ndarray:
    """Trailing mean over `window` steps (1 = unchanged); NaNs are ignored inside a window. A 2-D array is
    smoothed column by column. Without `steps` each row is one step. With them (increasing), a row stands for the
    steps since the row before it and weighs that much: a long run's older rows are means of many steps
    (recorder.MEMORY_ROWS), and are smoothed over as many steps as the newest, not as many rows."""
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) == 0:
        return values
    if steps is None or steps[-1] - steps[0] == len(steps) - 1:  # one row per step: the fast way
        frame = pd.DataFrame(values) if values.ndim == 2 else pd.Series(values)
        return frame.rolling(int(window), min_periods=1).mean().to_numpy()
    steps = np.asarray(steps, dtype=float)
    weights = np.diff(steps, prepend=steps[0] - 1)[:, None]
    table = values.reshape(len(values), -1)
    known = ~np.isnan(table)
    w = np.where(known, weights, 0.0)
    totals = np.vstack([np.zeros((1, table.shape[1])), np.cumsum(np.where(known, table, 0.0) * w, axis=0)])
    weight_totals = np.vstack([np.zeros((1, table.shape[1])), np.cumsum(w, axis=0)])
    start = steps - window  # each row's window is the steps after this, up to its own
    first = np.searchsorted(steps, start, side="right")  # the first row reaching into it: only its steps inside count
    inside = np.where(known[first], np.minimum(weights[first], (steps[first] - start)[:, None]), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = ((totals[1:] - totals[first + 1] + np.where(known[first], table[first], 0.0) * inside)
               / (weight_totals[1:] - weight_totals[first + 1] + inside))
    return out.reshape(values.shape)


class LiveCurves:
    """The smoothed, thinned curves of a record that grows, kept up to date from its new rows alone.

    A live chart redrawn every few seconds from the whole record builds temporaries as long as the run (a frame,
    a rolling mean, the buckets), and the allocator keeps what they free: the process grows with the run. This
    keeps, per column, at most (max_points - 2) // 2 buckets of consecutive steps, each with its smallest and
    largest smoothed value (downsample_indices' rule), plus the first and last rows. Buckets start one step wide
    and merge in pairs whenever there are too many, so the memory is bounded and each row is handled a few times in
    all; they are spans of steps, not rows, so a record whose older rows stand for many steps each (a long run's,
    recorder.MEMORY_ROWS) is drawn as densely everywhere. The smoothing is smooth_series' trailing mean over steps,
    made from the new rows and those within `smooth` steps before them. Give it to a training chart builder in
    place of the metrics frame: `curve` reads it."""

    def __init__(self, columns: Sequence[str], smooth: int = 1, max_points: int = MAX_POINTS):
        self.columns, self.smooth, self.max_points = list(columns), max(int(smooth), 1), max_points
        self.buckets = max(1, (max_points - 2) // 2)
        self.rows = 0  # rows taken in
        self.width = 1  # steps per new bucket
        width = len(self.columns)
        # The last rows within `smooth` steps (and the one before): the next rows' trailing window.
        self._context, self._context_steps = np.zeros((0, width)), np.zeros(0, np.int64)
        self._pending_steps, self._pending = np.zeros(0, np.int64), np.zeros((0, width))  # a bucket not yet full
        self._open_after = 0  # the bucket being filled holds the steps after this one, up to this + width
        # Full buckets: (bucket, column) step and value of the smallest and of the largest smoothed point.
        self._lo_step = self._hi_step = np.zeros((0, width), np.int64)
        self._lo = self._hi = np.zeros((0, width))
        self._first: tuple[int, np.ndarray] | None = None
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return self.rows

    @property
    def last_step(self) -> int | None:
        """The step of the last row taken in (None before any)."""
        return None if self._last is None else self._last[0]

    def extend(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Take in new rows: `steps` (n,) increasing, after every step taken in before; `values` (n, columns)."""
        if not len(steps):
            return
        steps, values = np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=float).reshape(len(steps), -1)
        window = np.concatenate([self._context, values])
        window_steps = np.concatenate([self._context_steps, steps])
        smoothed = smooth_series(window, self.smooth, window_steps)[len(self._context):]
        # The rows the next rows' windows reach back to, and the one before them, which gives the first its weight.
        keep = max(int(np.searchsorted(window_steps, window_steps[-1] - self.smooth, side="right")) - 1, 0)
        self._context, self._context_steps = window[keep:], window_steps[keep:]
        if self._first is None:
            self._first = (int(steps[0]), smoothed[0].copy())
            self._open_after = int(steps[0]) - 1
        self._last = (int(steps[-1]), smoothed[-1].copy())
        self.rows += len(steps)
        self._pending_steps = np.concatenate([self._pending_steps, steps])
        self._pending = np.concatenate([self._pending, smoothed])
        # Buckets of `width` steps from _open_after on; those whose last step has been taken in are full.
        bucket = (self._pending_steps - self._open_after - 1) // self.width
        full = int((self._pending_steps[-1] - self._open_after) // self.width)
        done = int(np.searchsorted(bucket, full))  # the rows of the full buckets
        if done:
            starts = np.flatnonzero(np.r_[True, bucket[1:done] != bucket[: done - 1]])
            lo_step, lo, hi_step, hi = _segment_extremes(starts, self._pending_steps[:done], self._pending[:done])
            self._lo_step, self._lo = np.concatenate([self._lo_step, lo_step]), np.concatenate([self._lo, lo])
            self._hi_step, self._hi = np.concatenate([self._hi_step, hi_step]), np.concatenate([self._hi, hi])
            self._pending_steps, self._pending = self._pending_steps[done:], self._pending[done:]
        self._open_after += full * self.width
        while len(self._lo) > self.buckets:
            self._merge_pairs()

    def _merge_pairs(self) -> None:
        """Buckets twice as wide: each pair keeps the smaller low and the larger high (an odd last one waits), and
        new buckets are twice as wide."""
        pairs = len(self._lo) // 2 * 2
        starts = np.arange(0, pairs, 2)
        lo_step, lo, _, _ = _segment_extremes(starts, self._lo_step[:pairs], self._lo[:pairs])
        _, _, hi_step, hi = _segment_extremes(starts, self._hi_step[:pairs], self._hi[:pairs])

        def merged(merged_part: np.ndarray, a: np.ndarray) -> np.ndarray:
            return np.concatenate([merged_part, a[pairs:]])

        self._lo_step, self._lo = merged(lo_step, self._lo_step), merged(lo, self._lo)
        self._hi_step, self._hi = merged(hi_step, self._hi_step), merged(hi, self._hi)
        self.width *= 2  # an odd bucket left over keeps its width; the one being filled becomes twice as wide

    def curve(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of `column` to draw: the first row, every bucket's extremes, the last row."""
        if self._first is None or column not in self.columns:
            return np.zeros(0), np.zeros(0)
        c = self.columns.index(column)
        parts_step = [[self._first[0]], self._lo_step[:, c], self._hi_step[:, c]]
        parts_value = [[self._first[1][c]], self._lo[:, c], self._hi[:, c]]
        if len(self._pending_steps):
            pending = _segment_extremes(np.zeros(1, np.int64), self._pending_steps, self._pending[:, [c]])
            parts_step += [pending[0][0], pending[2][0]]
            parts_value += [pending[1][0], pending[3][0]]
        parts_step.append([self._last[0]])
        parts_value.append([self._last[1][c]])
        steps, first = np.unique(np.concatenate(parts_step).astype(np.int64), return_index=True)
        return steps, np.concatenate(parts_value).astype(float)[first]


def _segment_extremes(starts: np.ndarray, steps: np.ndarray, values: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per segment of consecutive rows (segment i: rows starts[i] up to the next start) of `values` (rows, columns)
    and their `steps` ((rows,) or (rows, columns)): the step and value of the smallest and the largest value per
    column, the first where several tie, NaN skipped (an all-NaN segment gives its first row)."""
    rows = len(values)
    steps = np.broadcast_to(steps.reshape(rows, -1), values.shape)
    nan = np.isnan(values)
    low, high = np.where(nan, np.inf, values), np.where(nan, -np.inf, values)
    segment = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, rows]))
    order = np.broadcast_to(np.arange(rows)[:, None], values.shape)
    at_low = np.minimum.reduceat(np.where(low == np.minimum.reduceat(low, starts)[segment], order, rows), starts)
    at_high = np.minimum.reduceat(np.where(high == np.maximum.reduceat(high, starts)[segment], order, rows), starts)
    take = functools.partial(np.take_along_axis, axis=0)
    return take(steps, at_low), take(values, at_low), take(steps, at_high), take(values, at_high)


def curve(frame: pd.DataFrame | LiveCurves | None, column: str, max_points: int = MAX_POINTS, smooth: int = 1
          ) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of one column of a frame with a `step` column, ready to draw: smoothed over `smooth`
    steps, then downsampled keeping its extremes; empty arrays where the column is missing. A LiveCurves is
    already both, and must have been made with the same `smooth` and `max_points`."""
    if isinstance(frame, LiveCurves):
        if (frame.smooth, frame.max_points) != (max(int(smooth), 1), max_points):
            raise ValueError(f"these live curves are smoothed over {frame.smooth} steps and thinned to "
                             f"{frame.max_points} points, not {smooth} and {max_points}")
        return frame.curve(column)
    if frame is None or not len(frame) or column not in frame:
        return np.zeros(0), np.zeros(0)
    steps = frame["step"].to_numpy()
    y = smooth_series(frame[column].to_numpy(dtype=float), smooth, steps)
    idx = downsample_indices(y, max_points, steps)  # after smoothing: the extremes of what is drawn
    return steps[idx], y[idx]


# ------------------------------------------------------------------------------------------ markers
def _x_span(fig: go.Figure, extra: Sequence[float]) -> tuple[float, float]:
    """The first x axis' range: as set, else the span of the traces' x values and `extra`."""
    if fig.layout.xaxis.range:
        lo, hi = fig.layout.xaxis.range
        return float(lo), float(hi)
    xs = [np.asarray(t.x, dtype=float) for t in fig.data if getattr(t, "x", None) is not None and len(t.x)]
    values = np.concatenate([*xs, np.asarray(extra, dtype=float)])
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)


def mark_milestones(fig: go.Figure, steps: Sequence[int], labels: Sequence[str]) -> go.Figure:
    """A vertical dashed line at each step where a guided tour's milestone was reached, on every subplot of
    an existing step-axis figure, and one label per milestone name at the foot (all its steps in it: "collapsed ·
    steps 3, 800"). Labels that would meet along the axis (reckoned at the narrowest chart, in the projector's
    font, so they stay apart there too) go on rows one above the other, and a label near the right edge runs
    leftwards, so no label prints over another. Returns `fig`."""
    if len(steps) != len(labels):
        raise ValueError(f"{len(steps)} steps but {len(labels)} labels")
    grid = {"row": "all", "col": "all"} if fig._has_subplots() else {}
    by_name: dict[str, list[int]] = {}
    for step, label in zip(steps, labels, strict=True):
        fig.add_vline(x=step, line=MILESTONE, **grid)
        by_name.setdefault(label, []).append(int(step))
    lo, hi = _x_span(fig, steps)
    font_px, room_px = 12, 1.4 * PROJECTOR_FONT  # drawn at 12 px; spaced for for_projector's larger font
    row_ends: list[float] = []  # per row of labels: where its rightmost label ends (fraction of the axis)
    for label, at in sorted(by_name.items(), key=lambda item: min(item[1])):
        at = sorted(set(at))
        text = f"{label} · " + (f"step {at[0]:,}" if len(at) == 1 else "steps " + ", ".join(f"{s:,}" for s in at))
        start = (at[0] - lo) / (hi - lo) if hi > lo else 0.0
        width = (0.6 * PROJECTOR_FONT * len(text) + 8) / NARROWEST_PX
        leftwards = start + width > 1.0
        left, right = (start - width, start) if leftwards else (start, start + width)
        row = next((i for i, end in enumerate(row_ends) if end < left), len(row_ends))
        if row == len(row_ends):
            row_ends.append(right)
        row_ends[row] = right
        # at the foot of the plot, on a white ground: the top carries the titles and the legend
        fig.add_annotation(x=at[0], y=0.0, xref="x", yref="paper", text=text, showarrow=False,
                           xanchor="right" if leftwards else "left", yanchor="bottom", yshift=row * room_px,
                           bgcolor="rgba(255,255,255,0.8)", font=dict(color=C_MILESTONE, size=font_px))
    return fig
