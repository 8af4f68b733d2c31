"""A sweep's stability map: one square per cell of two hyperparameters, coloured by the mean of a figure over the
cell's seeds (explorer.sweeps.maps makes the cells). Pure: data in, `plotly.graph_objects.Figure` out; the Sweeps
page and notebooks draw it with this one function.

The cells are a scatter of large square markers on category axes, not a `go.Heatmap`: Streamlit's point selection
(st.plotly_chart(on_select=...)) sees clicks on scatter points but returns nothing for heatmap cells (plotly.js
gives heatmaps no click event data: streamlit#8760, #15042), and a click on a cell is how a run is opened. So the
figure has a fixed size, with squares that fill their cells: draw it with st.plotly_chart(width="content").

Each point carries its cell as customdata ([row in `cells`, x label, y label]), so a selected point names its cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from explorer.plots import style

MARGIN = dict(l=150, r=20, t=40, b=60)  # room for tick labels such as "non_saturating"
COLOURBAR_PX = 110  # the colour bar and its title, right of the cells
GAP_PX = 3  # white between two squares
ONE_ROW = "·"  # the row of a sweep over one hyperparameter (its y axis has no labels)


def _fmt(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.3g}"


def cell_px(n_x: int, n_y: int) -> int:
    """The side of a cell in pixels: large enough for its value in a lecture room, the map within ~640 x 480."""
    return int(max(44, min(110, 640 // max(n_x, 1), 480 // max(n_y, 1))))


def _hover(cell: pd.Series, value_label: str, x_title: str, y_title: str | None) -> str:
    where = f"{x_title} = {cell['x_label']}" + (f" · {y_title} = {cell['y_label']}" if y_title else "")
    if cell["status"] == "pending":
        return f"{where}<br>no trial has ended yet"
    if cell["n"]:
        spread = f" ± {_fmt(cell['std'])}" if cell["n"] > 1 else ""
        seeds = "seeds" if cell["n"] > 1 else "seed"
        head = f"{value_label}: {_fmt(cell['mean'])}{spread} over {cell['n']} {seeds}"
    elif cell["status"] == "finished":
        head = f"{value_label}: no value"
    else:
        head = f"{cell['status']}: every seed"
    per_seed = [f"seed {s}: {_fmt(v) if state == 'finished' else state}"
                for s, v, state in zip(cell["seeds"], cell["values"], cell["states"], strict=True)]
    return "<br>".join([where, head, *per_seed, "click to replay"])


def _text(cell: pd.Series) -> str:
    """What is written in a cell: its mean, and how many of its seeds diverged or failed besides."""
    if cell["status"] == "diverged":
        return "✕<br><span style='font-size:10px'>diverged</span>"
    if cell["status"] == "failed":
        return "!<br><span style='font-size:10px'>failed</span>"
    if cell["status"] == "pending":
        return "…"
    text = _fmt(cell["mean"])
    lost = [f"{cell[k]} {mark}" for k, mark in (("diverged", "✕"), ("failed", "!")) if cell[k]]
    return text + (f"<br><span style='font-size:10px'>{' '.join(lost)}</span>" if lost else "")


def stability_figure(cells: pd.DataFrame, value_label: str, x_title: str, y_title: str | None = None,
                     lower_is_better: bool = False, title: str | None = None,
                     highlight: tuple[str, str] | None = None,
                     tick_label: Callable[[str, str], str] | None = None) -> go.Figure:
    """The map of `cells` (maps.stability_map(...).cells: x_label, y_label, status, mean, std, n, ...).

    Colour is the cell's mean of the figure (`value_label` names it) on style.SWEEP_SCALE, turned so that the
    better end is the darker for every figure (`lower_is_better` for JS, Frechet distance); the value is written in
    the cell. Diverged cells are grey with ✕, failed ones pale with "!", cells without a finished trial yet are
    empty. `highlight` = (x_label, y_label) outlines the cell the page has selected. `tick_label(axis, label)`
    ("x" or "y") is what a level's tick reads (a code such as "non_saturating" named for people); the cells and
    their customdata keep the level as given."""
    cells = cells.assign(y_label=cells["y_label"].replace("", ONE_ROW))  # plotly reads an empty category as missing
    x_labels = list(dict.fromkeys(cells["x_label"]))
    y_labels = list(dict.fromkeys(cells["y_label"]))
    side = cell_px(len(x_labels), len(y_labels))
    marker_px = side - GAP_PX
    fig = go.Figure()
    hover = [_hover(c, value_label, x_title, y_title) for _, c in cells.iterrows()]
    text = [_text(c) for _, c in cells.iterrows()]
    rows = np.arange(len(cells))
    valued = (cells["status"] == "finished").to_numpy()
    means = cells["mean"].to_numpy(dtype=float)
    coloured = valued & np.isfinite(means)
    lo, hi = (float(np.nanmin(means[coloured])), float(np.nanmax(means[coloured]))) if coloured.any() else (0, 1)
    same = {"unselected": dict(marker=dict(opacity=1)), "selected": dict(marker=dict(opacity=1))}

    def add(mask: np.ndarray, name: str, marker: dict, font_colour) -> None:
        idx = rows[mask]
        if not len(idx):
            return
        fig.add_trace(go.Scatter(
            x=cells["x_label"].to_numpy()[idx], y=cells["y_label"].to_numpy()[idx], mode="markers+text", name=name,
            marker=dict(symbol="square", size=marker_px, **marker), text=[text[i] for i in idx],
            textfont=dict(color=font_colour if isinstance(font_colour, str) else [font_colour[i] for i in idx],
                          size=13),
            hovertext=[hover[i] for i in idx], hovertemplate="%{hovertext}<extra></extra>",
            customdata=[[int(i), cells["x_label"].iat[i], "" if y_title is None else cells["y_label"].iat[i]]
                        for i in idx], showlegend=False,
            **same))

    # Darker is better: on a scale reversed for "lower is better", a low value sits at the dark end.
    position = (means - lo) / (hi - lo) if hi > lo else np.full(len(means), 0.5)
    darkness = 1 - position if lower_is_better else position
    font = ["white" if d > 0.55 else "black" for d in np.nan_to_num(darkness)]
    add(coloured, value_label, dict(color=means[coloured].tolist(), colorscale=style.SWEEP_SCALE, cmin=lo, cmax=hi,
                                    reversescale=lower_is_better, showscale=True,
                                    colorbar=dict(title=dict(text=value_label + ("<br>(lower is better)" if
                                                                                 lower_is_better else ""),
                                                             side="right"), thickness=14)), font)
    add(valued & ~np.isfinite(means), "no value", dict(color=style.C_FAILED), "black")
    add((cells["status"] == "diverged").to_numpy(), "diverged", dict(color=style.C_DIVERGED), "black")
    add((cells["status"] == "failed").to_numpy(), "failed",
        dict(color=style.C_FAILED, line=dict(color=style.C_DIVERGED, width=2)), "black")
    add((cells["status"] == "pending").to_numpy(), "pending",
        dict(color=style.C_PENDING, line=dict(color=style.C_FAILED, width=2)), style.C_DIVERGED)
    if highlight is not None and highlight[0] in x_labels and highlight[1] in y_labels:
        i, j = x_labels.index(highlight[0]), y_labels.index(highlight[1])
        fig.add_shape(type="rect", x0=i - 0.5, x1=i + 0.5, y0=j - 0.5, y1=j + 0.5, xref="x", yref="y",
                      line=dict(color=style.C_ACCENT, width=3))
    # The plot area is exactly the cells (the margins hold the labels and the colour bar): the squares fill it.
    margin = {**MARGIN, "r": MARGIN["r"] + (COLOURBAR_PX if coloured.any() else 0)}
    width = margin["l"] + margin["r"] + side * len(x_labels)
    height = margin["t"] + margin["b"] + side * len(y_labels)
    style.apply_layout(fig, height, title, margin=margin, width=width, dragmode=False, plot_bgcolor="white",
                       hovermode="closest", hoverlabel=dict(bgcolor="white", font=dict(color="black"), align="left"))
    named = tick_label or (lambda axis, level: level)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x_labels, range=[-0.5, len(x_labels) - 0.5],
                     title_text=x_title, showgrid=False, zeroline=False, fixedrange=True, tickmode="array",
                     tickvals=x_labels, ticktext=[named("x", v) for v in x_labels])
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=y_labels, range=[-0.5, len(y_labels) - 0.5],
                     title_text=y_title or "", showgrid=False, zeroline=False, fixedrange=True,
                     showticklabels=bool(y_title), tickmode="array", tickvals=y_labels,
                     ticktext=[named("y", v) for v in y_labels])
    return fig
