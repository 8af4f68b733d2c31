"""The paper's figure builders (explorer.plots.toys): pure data -> plotly figures, checked without Streamlit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from explorer.game.config import TrainConfig
from explorer.game.datasets import load_dataset
from explorer.game.trainer import Trainer
from explorer.lessons.presets import FIGURE1_PRESETS
from explorer.metrics.toy import LOG4, Toy1DView, Toy2DView, optimal_d, toy1d_view, toy2d_view
from explorer.plots import style
from explorer.plots import toys as figures
from explorer.plots.neighbours import distance_histogram


def gaussian(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-((x - mu) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))


def test_optimal_d_on_known_densities():
    x = np.linspace(-5, 5, 201)
    p = gaussian(x, 0, 1)
    assert np.allclose(optimal_d(p, p), 0.5)  # p_g = p_data: D* = 1/2 everywhere (Proposition 1)
    q = gaussian(x, 1, 1)
    d_star = optimal_d(p, q)
    # For two unit Gaussians D*(x) = sigmoid(log p - log q) = sigmoid(1/2 - x): exactly 1/2 at x = 1/2.
    assert np.allclose(d_star, 1 / (1 + np.exp(-(0.5 - x))), atol=1e-9)
    assert optimal_d(np.array([0.0]), np.array([0.0]))[0] == 0.5  # both vanish: no evidence either way


def synthetic_view(shift: float = 0.0) -> Toy1DView:
    x = np.linspace(-2, 6, 120)
    p_data, p_g = gaussian(x, 2, 0.5), gaussian(x, 2 + shift, 0.6)
    z = np.linspace(-math.sqrt(3), math.sqrt(3), 12)
    return Toy1DView(x, p_data, p_g, np.full_like(x, 0.5), optimal_d(p_data, p_g), z, 2 + 0.3 * z,
                     np.zeros(8), 0.5, 0.01, -LOG4 + 0.02)


def toy2d_synthetic() -> Toy2DView:
    xs = ys = np.linspace(-3, 3, 20)
    fake = np.array([[0.0, 0.0], [1.0, 1.0]])
    return Toy2DView(xs, ys, np.full((20, 20), 0.3), np.ones((5, 2)), fake, np.array([[1.0, 0.0], [0.0, -2.0]]),
                     0.5, 0.1, -1.2, 3, 8)


def by_name(fig) -> dict:
    return {t.name: t for t in fig.data}


def test_figure1_draws_the_papers_lines_and_the_mapping():
    view = synthetic_view(shift=0.5)
    fig = figures.figure1(view)
    t = by_name(fig)
    assert t["p_data"].line.color == "black" and t["p_data"].line.dash == "dot"
    assert t["p_g (G(z) samples)"].line.color == style.C_G  # G's one green (plots.style)
    assert t["D(x)"].line.dash == "dash" and t["D(x)"].line.color == style.C_D
    shown = np.array(t["D*(x) = p_data / (p_data + p_g)"].y, dtype=float)
    has_mass = (view.p_data + view.p_g) > 1e-3 * (view.p_data + view.p_g).max()
    assert np.allclose(shown[has_mass], view.d_star[has_mass]) and np.isnan(shown[~has_mass]).all()
    assert has_mass.sum() > len(has_mass) / 3  # D* is drawn wherever either density has mass
    assert list(t["D = 1/2"].y) == [0.5, 0.5]
    # The lower panel: one segment per z, from (z, 0) up to (G(z), 1), separated by gaps.
    seg = t["x = G(z)"]
    assert list(seg.y[:3]) == [0.0, 1.0, None] and len(seg.x) == 3 * len(view.z)
    assert seg.x[0] == pytest.approx(view.z[0]) and seg.x[1] == pytest.approx(view.g_of_z[0])
    assert seg.yaxis == "y2"  # drawn in the lower row


def test_figure1_strip_has_one_labelled_panel_per_capture():
    views = [synthetic_view(s) for s in (2.0, 1.0, 0.3, 0.0)]
    fig = figures.figure1_strip(views, [10, 200, 1000, 3000])
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["(a) step 10", "(b) step 200", "(c) step 1,000", "(d) step 3,000"]
    assert sum(t.name == "p_data" for t in fig.data) == 4
    assert sum(bool(t.showlegend) for t in fig.data if t.name == "p_g (G(z) samples)") == 1  # one legend entry
    with pytest.raises(ValueError, match="at least one"):
        figures.figure1_strip([], [])
    with pytest.raises(ValueError, match="steps"):
        figures.figure1_strip(views, [1, 2])


def test_toy_metrics_figure_marks_the_optimum():
    frame = pd.DataFrame({"step": [50, 100, 150], "d_on_data": [0.8, 0.6, 0.51], "js": [0.4, 0.1, 0.01]})
    frame["value"] = -LOG4 + 2 * frame["js"]
    t = by_name(figures.toy_metrics_figure(frame))
    assert list(t["-log 4 (global optimum)"].y) == [-LOG4, -LOG4]
    assert list(t["D = 1/2 (optimum)"].y) == [0.5, 0.5]
    assert list(t["C(G) = -log 4 + 2 JSD"].y) == pytest.approx(list(frame["value"]))
    figures.toy_metrics_figure(frame.iloc[:0])  # an empty history (a just-reopened run) still draws


def test_gradient_comparison_is_log_scaled_with_one_line_per_run():
    runs = {name: pd.DataFrame({"step": range(1, 6), "grad_norm_g": np.geomspace(1e-4, 1e-3, 5) * k,
                                "d_g_z": np.full(5, 1e-4)}) for name, k in (("minimax", 1), ("non-saturating", 1e4))}
    fig = figures.gradient_comparison_figure(runs)
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data if t.showlegend is not False] == ["minimax", "non-saturating"]


def test_gan_lab_figure_heatmap_points_and_gradient_segments():
    view = toy2d_synthetic()
    fake = view.fake
    t = by_name(figures.gan_lab_figure(view))
    assert t["D(x)"].type == "heatmap" and t["D(x)"].zmin == 0 and t["D(x)"].zmax == 1
    seg = t["G's step (-gradient)"]
    xy = np.array([seg.x, seg.y], dtype=float).T
    # Segments start at the generated points and point along the gradient; the longest spans 8% of the plot.
    assert np.allclose(xy[0], fake[0]) and np.allclose(xy[3], fake[1])
    assert xy[1][0] > 0 and xy[1][1] == 0 and xy[4][1] < 1
    assert np.linalg.norm(xy[4] - xy[3]) == pytest.approx(0.08 * 6)
    assert np.isnan(xy[2]).all()


def test_modes_history_and_distance_histogram():
    hist = pd.DataFrame({"step": [100, 200], "modes_covered": [2, 7]})
    fig = figures.modes_history_figure(hist, 8)
    assert list(fig.data[0].y) == [2, 7] and list(fig.data[1].y) == [8, 8]
    rng = np.random.default_rng(0)
    fig = distance_histogram(rng.normal(5, 1, 200), rng.normal(6, 1, 200))
    assert [t.type for t in fig.data] == ["histogram", "histogram"]
    assert fig.data[0].xbins.size == fig.data[1].xbins.size  # the same bins, so they compare
    assert sum("median" in a.text for a in fig.layout.annotations) == 2


def test_builders_accept_the_engines_own_views():
    cfg = TrainConfig(steps=20)
    t = Trainer(cfg, load_dataset(cfg), "cpu")
    t.train(20)
    view = toy1d_view(t)
    assert len(figures.figure1(view).data) == 8
    cfg2 = TrainConfig.for_dataset("ring8", steps=5)
    t2 = Trainer(cfg2, load_dataset(cfg2), "cpu")
    t2.train(5)
    assert by_name(figures.gan_lab_figure(toy2d_view(t2)))["D(x)"].z.shape == (80, 80)


def test_the_poor_g_preset_saturates_minimax_but_not_non_saturating():
    runs = FIGURE1_PRESETS["Minimax vs non-saturating from a poor G"]
    grads, means = {}, {}
    for label, cfg in runs.items():
        t = Trainer(cfg, load_dataset(cfg), "cpu")
        assert abs(float(t.sample(1000).mean()) - 2.0) > 1.5  # G's first samples are far from N(2, 0.5^2)
        frame = t.train(80)
        grads[label], means[label] = float(frame["grad_norm_g"].median()), float(t.sample(1000).mean())
    assert grads["minimax"] < 0.1 * grads["non-saturating"]  # log(1 - D(G(z))) saturates
    assert abs(means["minimax"] - 2.0) > abs(means["non-saturating"] - 2.0)  # and that G is left behind
