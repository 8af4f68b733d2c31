"""The dashboard's chart builders are pure functions: metrics / views in, plotly Figures out; and the one
curve downsampler (explorer.plots.style) they all use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from explorer.game.trainer import METRICS
from explorer.plots import compare, metric_curves, neighbours, points, style, toys
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
    grads = toys.gradient_comparison_figure({"run": frame}, max_points=400).data[0]
    assert len(grads.x) <= 400 and max(grads.y) == 1e3


def test_nans_are_not_drawn_unless_a_bucket_holds_nothing_else():
    y = np.arange(10_000, dtype=float)
    y[::2] = np.nan  # a column logged every other step
    idx = style.downsample_indices(y, 200)
    assert len(idx) <= 200 and not np.isnan(y[idx[1:]]).any()  # only the kept first point is a NaN
    assert len(style.downsample_indices(np.full(5_000, np.nan), 100)) <= 100


def test_a_thinned_record_is_drawn_as_densely_in_every_part_of_the_run():
    """A long run's record holds its first and last steps one row each and the steps between as means
    (recorder.MEMORY_ROWS): buckets of equal steps, not rows, so the end is drawn no denser than the middle."""
    rng = np.random.default_rng(0)
    steps = np.r_[np.arange(1, 4097), np.arange(4097 + 23, 190_000, 24), np.arange(190_000, 198_193)]
    y = rng.normal(size=len(steps))
    y[-5_000] = 9.0  # a spike in the tail, and one row of the history
    y[6_000] = -9.0
    idx = style.downsample_indices(y, 300, steps)
    assert len(idx) <= 300 and idx[0] == 0 and idx[-1] == len(y) - 1 and np.all(np.diff(idx) > 0)
    assert len(y) - 5_000 in idx and 6_000 in idx
    drawn = steps[idx]
    assert np.mean(drawn > 190_000) < 0.1  # the last 4% of the steps: one row each, about 4% of the points
    frame = pd.DataFrame({"step": steps, "g_loss": y})
    x, _ = style.curve(frame, "g_loss", 300, smooth=20)
    assert len(x) <= 300 and np.mean(x > 190_000) < 0.1
    for smooth in (1, 20):  # the notebook panel's curves, fed the rows a few thousand at a time
        x, y_live = style.curve(_fed_in_chunks(frame, ["g_loss"], smooth, 300), "g_loss", 300, smooth)
        assert len(x) <= 300 and np.mean(x > 190_000) < 0.1 and np.all(np.diff(x) > 0)
        whole = style.smooth_series(y, smooth, steps)
        np.testing.assert_allclose(y_live, whole[np.searchsorted(steps, x)], rtol=1e-9, atol=1e-12)
        assert np.nanmax(y_live) == np.nanmax(whole) and np.nanmin(y_live) == np.nanmin(whole)


def _fed_in_chunks(frame: pd.DataFrame, columns: list[str], smooth: int, max_points: int) -> style.LiveCurves:
    live, rng, at = style.LiveCurves(columns, smooth, max_points), np.random.default_rng(1), 0
    while at < len(frame):  # as a panel gets them: a few rows to a few thousand at a time
        end = min(len(frame), at + int(rng.integers(1, 3000)))
        live.extend(frame["step"].to_numpy()[at:end], frame[columns].to_numpy()[at:end])
        at = end
    return live


@pytest.mark.parametrize("smooth", [1, 20])
def test_live_curves_fed_in_chunks_draw_what_the_whole_record_draws(smooth):
    m = fake_metrics(60_000)
    m.loc[23_456, "g_loss"] = 40.0  # a one-step spike
    m.loc[100:140, "d_x"] = np.nan  # a gap
    columns = ["d_loss_real", "g_loss", "d_x"]
    live = _fed_in_chunks(m, columns, smooth, 300)
    assert len(live) == 60_000
    for column in columns:
        x, y = style.curve(live, column, 300, smooth)
        whole = style.smooth_series(m[column].to_numpy(), smooth)
        assert len(x) <= 300 and np.all(np.diff(x) > 0) and x[0] == 1 and x[-1] == 60_000  # ends kept, in order
        np.testing.assert_allclose(y, whole[x - 1], rtol=1e-9, atol=1e-9)  # every point is a point of the curve
        np.testing.assert_allclose([np.nanmin(y), np.nanmax(y)], [np.nanmin(whole), np.nanmax(whole)], rtol=1e-9)
    g_loss = plots.loss_figure(live, smooth, 300).data[2]  # a chart builder takes it in place of the frame
    assert len(g_loss.x) <= 300
    if smooth == 1:
        assert max(g_loss.y) == 40.0 and 23_457 in list(g_loss.x)  # the one-step spike is drawn
    short = _fed_in_chunks(m.iloc[:120], columns, smooth, 300)  # fewer rows than points: drawn whole
    x, y = style.curve(short, "g_loss", 300, smooth)
    np.testing.assert_array_equal(x, m["step"].to_numpy()[:120])


def test_live_curves_stay_small_and_name_a_mismatch():
    live = style.LiveCurves(["d_x"], smooth=20, max_points=300)
    for start in range(0, 400_000, 1000):
        live.extend(np.arange(start, start + 1000) + 1, np.random.default_rng(start).random((1000, 1)))
    assert len(live._lo) <= 149 and len(live._pending_steps) < 2 * live.width  # bounded, whatever the run's length
    assert live.width * 149 >= 400_000 / 2
    with pytest.raises(ValueError, match="smoothed over 20 steps"):
        plots.d_output_figure(live, smooth=1, max_points=300)
    assert len(plots.d_output_figure(live, smooth=20, max_points=300).data[0].x) <= 300
    empty = style.LiveCurves(["d_x"])
    empty.extend(np.zeros(0), np.zeros((0, 1)))  # a redraw with no new rows
    assert style.curve(empty, "d_x")[0].size == 0  # nothing yet: an empty curve


def test_smoothing_is_a_trailing_mean():
    y = np.array([0.0, 2.0, 4.0, 6.0, 8.0])
    np.testing.assert_allclose(style.smooth_series(y, 1), y)
    np.testing.assert_allclose(style.smooth_series(y, 2), [0, 1, 3, 5, 7])
    # Over steps: a row that stands for several steps (a long run's thinned record) counts as many, and only
    # those of its steps inside a window count there. The row at step 13 is the mean of steps 4-13.
    np.testing.assert_allclose(style.smooth_series(y, 2, np.array([1, 2, 3, 13, 14])), [0, 1, 3, 6, 7])
    np.testing.assert_allclose(style.smooth_series(y, 20, np.array([1, 2, 3, 13, 14])), [0, 1, 2, 66 / 13, 74 / 14])
    y2 = np.column_stack([y, [np.nan, 1, np.nan, 1, 1]])  # column by column; NaN left out
    np.testing.assert_allclose(style.smooth_series(y2, 3, np.arange(1, 6)), [[0, np.nan], [1, 1], [2, 1], [4, 1],
                                                                             [6, 1]])
    m = fake_metrics(2000)
    raw, smooth = plots.loss_figure(m, smooth=1), plots.loss_figure(m, smooth=100)
    assert np.std(smooth.data[2].y[200:]) < 0.3 * np.std(raw.data[2].y[200:])
    assert "mean of 100 steps" in smooth.layout.title.text


def test_empty_metrics_give_empty_traces():
    empty = pd.DataFrame(columns=["step", *METRICS])
    for builder in (plots.loss_figure, plots.d_output_figure, plots.grad_norm_figure):
        assert all(len(t.x) == 0 for t in builder(empty).data)


def test_the_train_pages_toy_views_from_a_real_trainer():
    """The Train page draws the toys with the toy pages' renderers (toys.figure1, toys.gan_lab_figure),
    compact: the densities and D without the z -> x row, real and generated points over D without arrows."""
    from explorer import TrainConfig, Trainer, load_dataset
    from explorer.metrics.toy import toy1d_view, toy2d_view

    for dataset in ("toy1d", "ring8"):
        cfg = TrainConfig.for_dataset(dataset, steps=5)
        trainer = Trainer(cfg, load_dataset(cfg))
        trainer.train(5)
        if dataset == "toy1d":
            fig = toys.figure1(toy1d_view(trainer), height=300, show_mapping=False, show_d_star=False)
            assert {"p_data", "p_g (G(z) samples)", "D(x)"} <= set(names(fig))
            assert "x = G(z)" not in names(fig) and "yaxis2" not in fig.layout  # no mapping row
            low, high = fig.layout.yaxis.range
            assert low == 0 and high >= 1  # D's whole range [0, 1] is on the axis
        else:
            fig = toys.gan_lab_figure(toy2d_view(trainer), height=380, show_gradient=False)
            assert fig.data[0].type == "heatmap" and {"real (p_data)", "generated (p_g)"} <= set(names(fig))
            assert "G's step (-gradient)" not in names(fig)


def test_one_palette_real_is_black_and_g_is_green_everywhere():
    from tests.test_figures import synthetic_view, toy2d_synthetic

    by = {t.name: t for t in toys.figure1(synthetic_view(0.5)).data}
    by2 = {t.name: t for t in toys.gan_lab_figure(toy2d_synthetic()).data}
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
               toys.figure1(synthetic_view(0.5)), toys.figure1(synthetic_view(0.5), "t", show_mapping=False),
               toys.figure1_strip([synthetic_view(0.5)] * 2, [10, 20]), toys.toy_metrics_figure(toy),
               toys.gradient_comparison_figure({"a": m, "b": m}), toys.gan_lab_figure(toy2d_synthetic()),
               toys.modes_history_figure(pd.DataFrame({"step": [1, 2], "modes_covered": [3, 5]}), 8)]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # validates every property; raises on an unknown one
        assert len(checked.data) == len(fig.data) and checked.to_json()


def test_subplot_figures_keep_their_grid():
    """A figure built on a subplot grid still takes row/col updates (the tours mark milestones on every row)."""
    fig = toys.toy_metrics_figure(pd.DataFrame({"step": [1, 2], "d_on_data": [0.9, 0.8], "js": [0.5, 0.4],
                                                 "value": [-0.4, -0.6]}))
    style.mark_milestones(fig, [2], ["D at 1/2"])
    assert len(fig.layout.shapes) == 2  # one line in each row
    assert [t.yaxis for t in fig.data] == ["y", "y", "y2", "y2", "y2"]


# ------------------------------------------------------------------------------------- text that cannot overlap

def test_log_axes_show_only_as_many_ticks_as_fit():
    wide = np.geomspace(0.05, 8000, 100)  # five decades on a short axis: powers of 10 only
    assert style.log_ticks(wide, 150)["dtick"] == 1
    assert style.log_ticks(wide, 40)["dtick"] >= 2  # every second decade or sparser
    assert style.log_ticks(np.geomspace(0.5, 4, 10), 300)["dtick"] == "D2"  # one decade: 1, 2, 5 fit
    fig = plots.grad_norm_figure(pd.DataFrame({"step": np.arange(100), "grad_norm_d": np.geomspace(0.1, 1e4, 100),
                                               "grad_norm_g": np.ones(100)}), height=260)
    assert fig.layout.yaxis.dtick == 1 and fig.layout.yaxis.tickformat == "~g"
    big = style.for_projector(toys.gradient_comparison_figure({"a": fake_metrics(50)}))
    assert big.layout.yaxis.type == "log" and big.layout.yaxis.dtick is not None


def test_title_and_legend_sit_above_the_plot_in_their_own_margin():
    fig = plots.loss_figure(fake_metrics(50), height=300)
    legend, title = fig.layout.legend, fig.layout.title
    assert title.yref == "container" and title.y == 1 and title.yanchor == "top"
    assert legend.yref == "container" and legend.yanchor == "top" and legend.orientation == "h"
    assert legend.y < 1  # under the title
    head_px = (1 - legend.y) * 300
    assert fig.layout.margin.t >= head_px + 20  # a legend row; plotly reserves more where the legend wraps
    big = style.for_projector(plots.loss_figure(fake_metrics(50), height=300))
    assert big.layout.margin.t > fig.layout.margin.t and big.layout.legend.y < legend.y  # more room, larger fonts
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        assert axis.automargin and axis.title.standoff


def test_milestones_of_one_name_are_one_label_and_close_ones_are_stacked():
    toy = pd.DataFrame({"step": np.arange(0, 1001, 10), "d_on_data": 0.7, "js": 0.1, "value": -1.0})
    fig = style.mark_milestones(toys.toy_metrics_figure(toy), [3, 800, 20], ["collapsed", "collapsed", "D → 1/2"])
    texts = {a.text: a for a in fig.layout.annotations}
    assert "collapsed · steps 3, 800" in texts and "D → 1/2 · step 20" in texts
    shifts = sorted(a.yshift or 0 for a in texts.values())
    assert shifts[0] == 0 and shifts[1] > 0  # steps 3 and 20 would print over each other: two rows
    assert len(fig.layout.shapes) == 2 * 3  # every milestone still drawn, on both panels


def test_the_toy_2d_caption_names_the_colours_the_colour_bar_shows():
    """The caption's colour words come from the scale the figure draws: red at D = 0, blue at D = 1 (an explicit
    list: plotly.js reads the name "RdBu" the other way round from plotly.py)."""
    from tests.test_figures import toy2d_synthetic

    heat = toys.gan_lab_figure(toy2d_synthetic()).data[0]
    scale = [list(stop) for stop in heat.colorscale]
    assert not heat.reversescale and isinstance(style.HEATMAP, list)
    at_0, at_1 = style.colour_name(scale[0][1]), style.colour_name(scale[-1][1])
    assert (at_0, at_1) == style.scale_end_names(style.HEATMAP) == ("red", "blue")
    caption = toys.gan_lab_caption()
    assert f"{at_1} where D says 'data' (D = 1)" in caption and f"{at_0} where it says 'generated' (D = 0)" in caption
    assert list(heat.colorbar.ticktext) == ["0: generated", "1/2", "1: data"]
    assert style.colour_name(style.C_G) == "green" and style.colour_name(style.C_DATA) == "black"
    assert style.colour_name("rgb(5,10,172)") == "blue" and style.colour_name("#b2182b") == "red"


def test_eval_panels_wrap_their_titles_and_use_the_one_metric_table():
    from explorer import names

    evals = pd.DataFrame({"step": [1, 2], "frechet_distance": [9, 8], "classifier_score": [2, 3],
                          "classes_covered": [4, 5], "kl_to_uniform": [1, 0.5]})
    fig = metric_curves.eval_curves_figure(evals, height=260)
    titles = [a.text for a in fig.layout.annotations]
    assert [t.replace("<br>", " ") for t in titles] == [names.metric_title(c) for c in evals.columns[1:]]
    assert all(len(line) <= style.line_chars(style.NARROWEST_PX / 2) for t in titles for line in t.split("<br>"))
    assert fig.layout.height == 2 * 260  # two panels a row, two rows


def _builders():
    """Every chart builder of explorer.plots, on data that fills its legend and its axes."""
    from tests.test_figures import synthetic_view, toy2d_synthetic

    m = fake_metrics(3000)
    m["grad_norm_g"] = np.geomspace(0.05, 8000, 3000)
    toy = pd.DataFrame({"step": np.arange(1, 51), "d_on_data": np.linspace(0.9, 0.5, 50),
                        "js": np.linspace(0.6, 0.01, 50), "value": np.linspace(-0.2, -1.38, 50)})
    evals = pd.DataFrame({"step": [100, 200, 300], "frechet_distance": [200, 100, 50], "classifier_score": [2, 4, 6],
                          "classes_covered": [3, 7, 9], "kl_to_uniform": [1, 0.5, 0.2]})
    rng = np.random.default_rng(0)
    return {
        "loss": lambda: plots.loss_figure(m, 20, height=420),
        "d_output": lambda: plots.d_output_figure(m, 20),
        "grad_norm": lambda: plots.grad_norm_figure(m, 20),
        "figure1": lambda: toys.figure1(synthetic_view(0.5), height=420),
        "figure1_compact": lambda: toys.figure1(synthetic_view(0.5), show_mapping=False, show_d_star=False,
                                                 height=340),
        "toy_metrics": lambda: style.mark_milestones(toys.toy_metrics_figure(toy, height=340), [3, 5, 48],
                                                     ["collapsed", "collapsed", "D → 1/2"]),
        "gradients": lambda: toys.gradient_comparison_figure({"minimax: G descends log(1 - D(G(z)))": m,
                                                               "non-saturating: G ascends log D(G(z))": m}),
        "gan_lab": lambda: toys.gan_lab_figure(toy2d_synthetic(), height=420),
        "modes": lambda: toys.modes_history_figure(pd.DataFrame({"step": [1, 2, 3], "modes_covered": [3, 5, 8]}), 8),
        "histogram": lambda: neighbours.distance_histogram(rng.normal(5, 1, 500), rng.normal(5.2, 1, 500)),
        "evals": lambda: metric_curves.eval_curves_figure(evals, height=260),
        "overlay": lambda: compare.overlay_figure({f"run-{i}-ring8-seed{i}": m for i in range(4)}, "d_x",
                                                  "Mean D(x) on data", "D", reference=(0.5, "1/2 (p_g = p_data)"),
                                                  y_range=(0, 1), height=260),
        "band": lambda: compare.band_figure({"ring8 lr 1e-3": [m, m], "ring8 lr 1e-2": [m]}, "g_loss", "G loss",
                                            "loss", smooth=10),
        "points": lambda: points.points_figure(rng.normal(size=(300, 2))),
    }


# Per chart: pairs of its visible SVG texts (ticks, titles, legend, annotations) whose boxes share more than 2 px in
# both directions, and texts that reach outside the chart's own box.
_OVERLAPS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
    const boxes = [], out = [], g = gd.getBoundingClientRect();
    for (const el of gd.querySelectorAll('svg text')) {
        const text = (el.textContent || '').trim();
        if (!text || el.closest('.hoverlayer') || !el.checkVisibility({opacityProperty: true})) continue;
        const r = el.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) continue;
        if (r.left < g.left - 2 || r.right > g.right + 2 || r.top < g.top - 2 || r.bottom > g.bottom + 2)
            out.push(text + ' (outside the chart)');
        for (const [t, b] of boxes)
            if (Math.min(r.right, b.right) - Math.max(r.left, b.left) > 2
                    && Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top) > 2)
                out.push(t + ' / ' + text);
        boxes.push([text, r]);
    }
    return out;
})"""


@pytest.mark.browser
def test_no_two_texts_of_a_chart_overlap_in_a_browser(tmp_path):
    """Every builder drawn by plotly.js in Chromium at the narrowest chart the app draws up to a wide one, in the
    normal and the projector style: no tick, title, legend entry or annotation is drawn over another or cut off."""
    import plotly
    import plotly.io as pio

    from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip

    sync_playwright = _browser_or_skip()
    figures = [(f"{name}{' (projector)' if big else ''}", style.for_projector(build()) if big else build())
               for name, build in _builders().items() for big in (False, True)]
    (tmp_path / "plotly.min.js").write_bytes((Path(plotly.__file__).parent / "package_data/plotly.min.js").read_bytes())
    found = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            for width in (style.NARROWEST_PX, 480, 700):
                charts = "".join(f"<div id='f{i}' style='width:{width}px'></div><script>var F = {pio.to_json(fig)};"
                                 f"Plotly.newPlot('f{i}', F.data, F.layout, {{displayModeBar: false}})</script>"
                                 for i, (_, fig) in enumerate(figures))
                page_file = tmp_path / f"charts{width}.html"
                page_file.write_text("<html><head><meta charset='utf-8'><script src='plotly.min.js'></script></head>"
                                     f"<body>{charts}</body></html>")
                page = browser.new_page(viewport={"width": 1000, "height": 800})
                page.goto(page_file.as_uri())
                page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= "
                                       f"{len(figures)}", timeout=60_000)
                page.wait_for_timeout(500)
                for (name, _), problems in zip(figures, page.evaluate(_OVERLAPS_JS), strict=True):
                    if problems:
                        found[f"{name} at {width} px"] = problems
                if width == style.NARROWEST_PX:
                    OUTPUT.mkdir(exist_ok=True)
                    page.screenshot(path=str(OUTPUT / "plots-narrowest.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert not found, f"texts drawn over each other: {found}"
