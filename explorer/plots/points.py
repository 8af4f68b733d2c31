"""A preview of your own points (the Your data page): a histogram of 1D values, a scatter of 2D points, in
real data's black. Pure: an array in, a small figure out (binned or thinned on the server, so a 200,000-row
upload sends a few thousand numbers to the browser)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.plots.style import C_DATA, REAL_POINTS, apply_layout

MAX_BINS = 80
MAX_SCATTER = 5_000


def points_figure(points: np.ndarray, height: int = 320, title: str | None = None) -> go.Figure:
    """(N, 1) values as a density histogram, or (N, 2) points as a scatter of at most MAX_SCATTER of them."""
    points = np.asarray(points, dtype=float)
    fig = go.Figure()
    if points.shape[1] == 1:
        density, edges = np.histogram(points[:, 0], bins=min(MAX_BINS, max(10, int(np.sqrt(len(points))))),
                                      density=True)
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=density, width=np.diff(edges), name="p_data",
                    marker=dict(color=C_DATA, opacity=0.6), hovertemplate="x %{x:.3g}: density %{y:.3g}"
                                                                         "<extra></extra>")
        fig.update_yaxes(title_text="density")
        fig.update_xaxes(title_text="x")
    else:
        shown = points
        if len(points) > MAX_SCATTER:
            shown = points[np.random.default_rng(0).choice(len(points), MAX_SCATTER, replace=False)]
        fig.add_scattergl(x=shown[:, 0], y=shown[:, 1], mode="markers", marker=REAL_POINTS, name="p_data",
                          hoverinfo="skip")
        fig.update_yaxes(scaleanchor="x", scaleratio=1, title_text="y")
        fig.update_xaxes(title_text="x")
    return apply_layout(fig, height, title, showlegend=False)
