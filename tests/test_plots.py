"""The dashboard's chart builders are pure functions: metrics / views in, plotly Figures out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explorer.plots import training as plots
from explorer.game.trainer import METRICS


def fake_metrics(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(0.7, 0.2, size=(n, len(METRICS))), columns=list(METRICS))
    frame[["d_x", "d_g_z"]] = rng.uniform(0, 1, size=(n, 2))
    frame[["grad_norm_d", "grad_norm_g"]] = rng.uniform(0.01, 2, size=(n, 2))
    frame.insert(0, "step", np.arange(1, n + 1))
    return frame


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_loss_figure_has_the_three_losses_against_steps():
    m = fake_metrics(500)
    fig = plots.loss_figure(m)
    assert names(fig) == ["D loss on real", "D loss on fake", "G loss"]
    for trace, col in zip(fig.data, ("d_loss_real", "d_loss_fake", "g_loss")):
        np.testing.assert_array_equal(trace.x, m["step"].to_numpy())
        np.testing.assert_allclose(trace.y, m[col].to_numpy())
    assert fig.layout.xaxis.title.text == "step"


def test_d_output_figure_draws_the_half_line():
    fig = plots.d_output_figure(fake_metrics(100))
    assert names(fig) == ["mean D(x)", "mean D(G(z))"]
    halves = [s for s in fig.layout.shapes if s.y0 == 0.5 and s.y1 == 0.5]
    assert len(halves) == 1 and halves[0].line.dash == "dash"
    assert tuple(fig.layout.yaxis.range) == (0, 1)


def test_grad_norm_figure_is_log_scale():
    fig = plots.grad_norm_figure(fake_metrics(100))
    assert names(fig) == ["|grad D|", "|grad G|"] and fig.layout.yaxis.type == "log"


@pytest.mark.parametrize("builder", [plots.loss_figure, plots.d_output_figure, plots.grad_norm_figure])
def test_long_series_are_downsampled_keeping_the_ends(builder):
    m = fake_metrics(50_000)
    fig = builder(m)
    for trace in fig.data:
        assert 1000 < len(trace.x) <= plots.MAX_POINTS
        assert trace.x[0] == 1 and trace.x[-1] == 50_000
        assert np.all(np.diff(trace.x) > 0)
    assert all(len(t.x) <= 300 for t in builder(m, max_points=300).data)


def test_smoothing_is_a_trailing_mean():
    y = np.array([0.0, 2.0, 4.0, 6.0, 8.0])
    np.testing.assert_allclose(plots.smooth_series(y, 1), y)
    np.testing.assert_allclose(plots.smooth_series(y, 2), [0, 1, 3, 5, 7])
    m = fake_metrics(2000)
    raw, smooth = plots.loss_figure(m, smooth=1), plots.loss_figure(m, smooth=100)
    assert np.std(smooth.data[2].y[200:]) < 0.3 * np.std(raw.data[2].y[200:])
    assert "mean of 100 steps" in smooth.layout.title.text


def test_empty_metrics_give_empty_traces():
    empty = pd.DataFrame(columns=["step", *METRICS])
    for builder in (plots.loss_figure, plots.d_output_figure, plots.grad_norm_figure):
        assert all(len(t.x) == 0 for t in builder(empty).data)


def test_toy_figures_from_a_real_trainer():
    from explorer import TrainConfig, Trainer, load_dataset
    from explorer.metrics.toy import toy1d_view, toy2d_view

    for dataset, builder, view_fn in (("toy1d", plots.toy1d_figure, toy1d_view),
                                      ("ring8", plots.toy2d_figure, toy2d_view)):
        cfg = TrainConfig.for_dataset(dataset, steps=5)
        trainer = Trainer(cfg, load_dataset(cfg))
        trainer.train(5)
        fig = builder(view_fn(trainer))
        if dataset == "toy1d":
            assert {"p_data", "p_g", "D(x)"} <= set(names(fig))
            assert fig.layout.yaxis2.range == (0, 1)
        else:
            assert fig.data[0].type == "heatmap" and {"real", "G(z)"} <= set(names(fig))
