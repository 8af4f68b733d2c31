"""Plot builders for evaluation: in-training metric curves and a runs comparison. Pure: data in, Figure out.
Metric names come from explorer.names (the one table of them)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from explorer import names
from explorer.plots import style

PER_ROW = 2  # panels side by side: two titles of ~25 characters a line fit the narrowest chart


def eval_curves_figure(evals: pd.DataFrame, height: int = 300) -> go.Figure:
    """One small panel per in-training metric (evals.csv / Snapshot.eval_frame), x axis in steps, at most PER_ROW
    panels a row (`height` a row). A panel's title is wrapped to its width, so two titles never meet."""
    columns = [c for c in evals.columns if c != "step"] if len(evals) else []
    cols = max(1, min(len(columns), PER_ROW))
    rows = max(1, math.ceil(len(columns) / cols))
    total = height * rows
    chars = style.line_chars(style.NARROWEST_PX / cols)  # what a title line has room for, on a projector too
    titles = tuple(style.wrap(names.metric_title(c), chars) for c in columns)
    # between two rows: the lower row's title (up to two lines) and a gap, as a share of the plot's height
    spacing = min(0.3, 2.5 * style.SUBPLOT_TITLE_PX / max(total - 80, 1)) if rows > 1 else 0.0
    grid = style.subplots(rows, cols, shared_xaxes=True, subplot_titles=titles or ("",),
                          horizontal_spacing=0.12, vertical_spacing=spacing)
    traces = [dict(type="scatter", x=evals["step"], y=evals[c], mode="lines+markers", name=names.label("metric", c),
                   line=dict(color=style.C_G), marker=dict(size=4), **grid.cell(1 + i // cols, 1 + i % cols))
              for i, c in enumerate(columns)]
    x_titles = {f"xaxis{'' if n == 1 else n}": dict(title=dict(text="step"))
                for n in range(1 + (rows - 1) * cols, rows * cols + 1)}
    return style.figure(traces, style.layout(total, showlegend=False, margin=dict(l=40, r=10, t=10, b=40),
                                             **x_titles), grid)


def flatten_result(result: dict) -> dict:
    """One evaluate_run / evaluate_reference result -> a flat row for the comparison table."""
    row = {"run": result.get("run_dir", result.get("samples_from", "")).split("/")[-1],
           "step": result.get("step"), "G": result.get("g_weights", ""), "samples": result.get("n_samples")}
    for metric, values in result.items():  # each metric's entry (explorer.metrics.registry), CIFAR-10's "cifar"
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if isinstance(value, (int, float)) and key not in ("n_samples", "n_test", "n_real", "n_fake"):
                row[f"{metric}.{key}"] = value
    return row
