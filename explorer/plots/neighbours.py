"""Figure 2's question in a chart: is G memorising? Pure: distances in, `go.Figure` out (the distances come
from explorer.metrics.neighbours; the image pairs are drawn by plots.images)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.plots import style


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
    series = ((sample_dist, "generated → nearest train", style.C_G),
              (test_dist, "held-out real → nearest train", style.C_HELD_OUT))
    medians = [float(np.median(d)) if len(d) else np.nan for d, _, _ in series]
    # the lower median labelled left of its line, the higher right of its line: the two labels cannot meet
    sides = ("top left", "top right") if medians[0] <= medians[1] else ("top right", "top left")
    for (dist, name, colour), med, side in zip(series, medians, sides, strict=True):
        fig.add_trace(go.Histogram(x=dist, name=name, xbins=xbins, histnorm="probability density",
                                   marker_color=colour, opacity=0.6))
        if len(dist):
            fig.add_vline(x=med, line=dict(color=colour, dash="dash"),
                          annotation_text=f"median {med:.2f}", annotation_position=side)
    return style.apply_layout(fig, 360, margin=dict(l=50, r=10, t=10, b=40),
                        barmode="overlay",
                        xaxis=dict(title=dict(text=style.wrap("pixel L2 distance to the nearest training image",
                                                              style.line_chars()))),
                        yaxis=dict(title=dict(text="density")))
