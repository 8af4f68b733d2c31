"""Plot builders for evaluation: in-training metric curves and a runs comparison. Pure: data in, Figure out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

LABELS = {"frechet_distance": "Frechet distance (classifier features, lower is better)",
          "classifier_score": "classifier score (IS analogue, max 10)",
          "classes_covered": "classes covered (of 10)", "kl_to_uniform": "KL(class histogram || uniform)",
          "modes_covered": "modes covered", "high_quality_fraction": "high-quality samples (fraction)"}


def eval_curves_figure(evals: pd.DataFrame, height: int = 300) -> go.Figure:
    """One small panel per in-training metric (evals.csv / Snapshot.eval_frame), x axis in steps."""
    columns = [c for c in evals.columns if c != "step"] if len(evals) else []
    fig = make_subplots(rows=1, cols=max(1, len(columns)), subplot_titles=[LABELS.get(c, c) for c in columns])
    for i, c in enumerate(columns, start=1):
        fig.add_trace(go.Scatter(x=evals["step"], y=evals[c], mode="lines+markers", name=c), row=1, col=i)
        fig.update_xaxes(title_text="step", row=1, col=i)
    fig.update_layout(height=height, showlegend=False, margin=dict(l=40, r=10, t=40, b=40))
    fig.update_annotations(font_size=11)
    return fig


def flatten_result(result: dict) -> dict:
    """One evaluate_run / evaluate_reference result -> a flat row for the comparison table."""
    row = {"run": result.get("run_dir", result.get("samples_from", "")).split("/")[-1],
           "step": result.get("step"), "G": result.get("g_weights", ""), "samples": result.get("n_samples")}
    for metric in ("parzen", "fid", "score", "coverage", "modes", "cifar"):
        for key, value in (result.get(metric) or {}).items():
            if isinstance(value, (int, float)) and key not in ("n_samples", "n_test", "n_real", "n_fake"):
                row[f"{metric}.{key}"] = value
    return row
