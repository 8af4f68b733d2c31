"""The dashboard's chart builders are pure functions: metrics / views in, plotly Figures out; and the one
curve downsampler (explorer.plots.style) they all use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from explorer.game.trainer import METRICS
from explorer.plots import paper, style
from explorer.plots import training as plots


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
    for trace, col in zip(fig.data, ("d_loss_real", "d_loss_fake", "g_loss"), strict=True):
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
        assert 1000 < len(trace.x) <= style.MAX_POINTS
        assert trace.x[0] == 1 and trace.x[-1] == 50_000
        assert np.all(np.diff(trace.x) > 0)
    assert all(len(t.x) <= 300 for t in builder(m, max_points=300).data)


@pytest.mark.parametrize("n, max_points", [(10, 2000), (2001, 2000), (50_000, 2000), (50_000, 300), (1001, 7),
                                           (100, 3), (100, 2)])
def test_downsample_indices_keeps_the_ends_within_the_budget(n, max_points):
    y = np.random.default_rng(0).normal(size=n)
    idx = style.downsample_indices(y, max_points)
    assert len(idx) <= max(max_points, 2) and len(idx) == len(np.unique(idx))
    assert idx[0] == 0 and idx[-1] == n - 1 and np.all(np.diff(idx) > 0)  # in step order, both ends kept
    if n <= max_points:
        np.testing.assert_array_equal(idx, np.arange(n))  # a short series is drawn whole


def test_a_one_step_spike_survives_downsampling():
    # Every n-th point would step over a single diverging step; a bucket's min and max cannot.
    for where, value in ((12_345, 50.0), (31_337, -50.0), (1, 9.0), (49_998, 9.0)):
        y = np.full(50_000, 0.7)
        y[where] = value
        idx = style.downsample_indices(y, 500)
        assert where in idx and len(idx) <= 500
    m = fake_metrics(50_000)
    m.loc[23_456, "g_loss"] = 40.0  # one step where G's loss explodes
    g_loss = plots.loss_figure(m).data[2]
    assert max(g_loss.y) == 40.0 and 23_457 in list(g_loss.x)
    frame = m[["step", "grad_norm_g", "d_g_z"]].copy()
    frame.loc[777, "grad_norm_g"] = 1e3
    grads = paper.gradient_comparison_figure({"run": frame}, max_points=400).data[0]
    assert len(grads.x) <= 400 and max(grads.y) == 1e3


def test_nans_are_not_drawn_unless_a_bucket_holds_nothing_else():
    y = np.arange(10_000, dtype=float)
    y[::2] = np.nan  # a column logged every other step
    idx = style.downsample_indices(y, 200)
    assert len(idx) <= 200 and not np.isnan(y[idx[1:]]).any()  # only the kept first point is a NaN
    assert len(style.downsample_indices(np.full(5_000, np.nan), 100)) <= 100


def test_smoothing_is_a_trailing_mean():
    y = np.array([0.0, 2.0, 4.0, 6.0, 8.0])
    np.testing.assert_allclose(style.smooth_series(y, 1), y)
    np.testing.assert_allclose(style.smooth_series(y, 2), [0, 1, 3, 5, 7])
    m = fake_metrics(2000)
    raw, smooth = plots.loss_figure(m, smooth=1), plots.loss_figure(m, smooth=100)
    assert np.std(smooth.data[2].y[200:]) < 0.3 * np.std(raw.data[2].y[200:])
    assert "mean of 100 steps" in smooth.layout.title.text


def test_empty_metrics_give_empty_traces():
    empty = pd.DataFrame(columns=["step", *METRICS])
    for builder in (plots.loss_figure, plots.d_output_figure, plots.grad_norm_figure):
        assert all(len(t.x) == 0 for t in builder(empty).data)


def test_the_train_pages_toy_views_from_a_real_trainer():
    """The Train page draws the toys with the toy pages' renderers (paper.figure1, paper.gan_lab_figure),
    compact: the densities and D without the z -> x row, real and generated points over D without arrows."""
    from explorer import TrainConfig, Trainer, load_dataset
    from explorer.metrics.toy import toy1d_view, toy2d_view

    for dataset in ("toy1d", "ring8"):
        cfg = TrainConfig.for_dataset(dataset, steps=5)
        trainer = Trainer(cfg, load_dataset(cfg))
        trainer.train(5)
        if dataset == "toy1d":
            fig = paper.figure1(toy1d_view(trainer), height=300, show_mapping=False, show_d_star=False)
            assert {"p_data", "p_g (G(z) samples)", "D(x)"} <= set(names(fig))
            assert "x = G(z)" not in names(fig) and "yaxis2" not in fig.layout  # no mapping row
            low, high = fig.layout.yaxis.range
            assert low == 0 and high >= 1  # D's whole range [0, 1] is on the axis
        else:
            fig = paper.gan_lab_figure(toy2d_view(trainer), height=380, show_gradient=False)
            assert fig.data[0].type == "heatmap" and {"real (p_data)", "generated (p_g)"} <= set(names(fig))
            assert "G's gradient (descent direction)" not in names(fig)


def test_one_palette_real_is_black_and_g_is_green_everywhere():
    from tests.test_figures import synthetic_view, toy2d_synthetic

    by = {t.name: t for t in paper.figure1(synthetic_view(0.5)).data}
    by2 = {t.name: t for t in paper.gan_lab_figure(toy2d_synthetic()).data}
    assert by["p_g (G(z) samples)"].line.color == by2["generated (p_g)"].marker.color == style.C_G
    assert by["p_data"].line.color == by2["real (p_data)"].marker.color == style.C_DATA
    traces = {t.name: t for f in (plots.loss_figure, plots.d_output_figure, plots.grad_norm_figure)
              for t in f(fake_metrics(10)).data}
    assert {traces[n].line.color for n in ("G loss", "|grad G|", "mean D(G(z))")} == {style.C_G}
    assert traces["|grad D|"].line.color == by["D(x)"].line.color == style.C_D


def test_the_projector_version_of_a_figure_is_larger_and_colour_blind_safe():
    from explorer.plots.style import C_G, PROJECTOR_COLOURS, for_projector

    frame = pd.DataFrame({"step": np.arange(1, 50), "d_x": np.linspace(0.9, 0.5, 49),
                          "d_g_z": np.linspace(0.1, 0.5, 49)})
    normal = plots.d_output_figure(frame)
    big = for_projector(plots.d_output_figure(frame), height=470)
    assert big.layout.height == 470 and big.layout.font.size >= 18 and big.layout.yaxis.tickfont.size >= 16
    assert [t.line.width for t in big.data] == [2 * t.line.width for t in normal.data]
    assert big.data[1].line.color == PROJECTOR_COLOURS[C_G] != normal.data[1].line.color


def test_every_builder_draws_a_figure_plotly_accepts():
    """The builders skip plotly's validation for speed (style.figure): what they build must still pass it, so
    a misspelt property fails here rather than drawing nothing in the browser."""
    import plotly.graph_objects as go

    from tests.test_figures import synthetic_view, toy2d_synthetic

    m = fake_metrics(3000)
    toy = pd.DataFrame({"step": np.arange(1, 51), "d_on_data": np.linspace(0.9, 0.5, 50),
                        "js": np.linspace(0.6, 0.01, 50), "value": np.linspace(-0.2, -1.38, 50)})
    figures = [plots.loss_figure(m, 20, 400), plots.d_output_figure(m), plots.grad_norm_figure(m, log_y=False),
               paper.figure1(synthetic_view(0.5)), paper.figure1(synthetic_view(0.5), "t", show_mapping=False),
               paper.figure1_strip([synthetic_view(0.5)] * 2, [10, 20]), paper.toy_metrics_figure(toy),
               paper.gradient_comparison_figure({"a": m, "b": m}), paper.gan_lab_figure(toy2d_synthetic()),
               paper.modes_history_figure(pd.DataFrame({"step": [1, 2], "modes_covered": [3, 5]}), 8)]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # validates every property; raises on an unknown one
        assert len(checked.data) == len(fig.data) and checked.to_json()


def test_subplot_figures_keep_their_grid():
    """A figure built on a subplot grid still takes row/col updates (the tours mark milestones on every row)."""
    fig = paper.toy_metrics_figure(pd.DataFrame({"step": [1, 2], "d_on_data": [0.9, 0.8], "js": [0.5, 0.4],
                                                 "value": [-0.4, -0.6]}))
    style.mark_milestones(fig, [2], ["D at 1/2"])
    assert len(fig.layout.shapes) == 2  # one line in each row
    assert [t.yaxis for t in fig.data] == ["y", "y", "y2", "y2", "y2"]
