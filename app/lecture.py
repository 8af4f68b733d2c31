"""The one place that lays out a lecture page (Train, Tours, Replay, Side by side, Toy 1D, Toy 2D): a compact
header, then the game's figure and D's outputs side by side at the top, at heights that keep both whole above the
fold of a 1366 x 768 laptop in the normal page, and everything (the buttons, the game, D's chart) on a 1024 x 768
projector in presentation mode, where the figures are drawn for a projector (plots.style.for_projector).

Streamlit cannot know the viewport's height on the server, so the heights are fixed per mode from the budgets below
and checked in a real browser at both sizes (tests/test_browser_lecture.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import presentation
from explorer.metrics.toy import Toy1DView, Toy2DView
from explorer.plots import training
from explorer.plots.style import for_projector
from explorer.plots.toys import figure1, gan_lab_figure

CHART = {"displayModeBar": False}  # a live chart redrawn every second: no toolbar to flicker
# Points per curve in the live charts: a bucket's min and max per ~3 pixels of a half-width chart, so a spike
# still shows; the charts' whole run is re-sent every second, and 2,000 points a curve shipped ~200 KB/s and
# cost the training thread more than the redraw itself (docs/benchmarks.md, "Live page cost").
POINTS = 400


@dataclass(frozen=True)
class Layout:
    """How a lecture page draws, for one viewport class: heights in CSS pixels, and the projector's look or not."""

    present: bool   # presentation mode: large fonts and the projector's palette (plots.style.for_projector)
    figure: int     # the game's figure and the chart beside it (one height, so their axes line up)
    image: int      # a sample grid's longer side, in the game's place
    pair_game: int  # Side by side: each run's game figure (two runs across the page)
    pair_d: int     # Side by side: each run's D chart, under its game figure

    def style(self, fig: go.Figure) -> go.Figure:
        return for_projector(fig) if self.present else fig


# Normal mode, 1366 x 768 with the sidebar: Streamlit's toolbar and the page's top padding (~60), the compact header
# (~80), a row of buttons or selects (~45-70), the status line (~25-50) and the gaps (16 each) leave ~380 px for the
# figures; the Replay page's timeline slider (~60) takes its share, hence 340.
NORMAL = Layout(present=False, figure=340, image=320, pair_game=270, pair_d=200)
# Presentation mode, 1024 x 768, no toolbar, no sidebar, larger fonts: the buttons (~55), a short status line
# (~40), a timeline slider (~60) and the gaps leave ~480.
PRESENT = Layout(present=True, figure=470, image=420, pair_game=330, pair_d=220)
# A lesson's text above the stage (a tour's step, two to four lines, and its milestone's callout) takes this much
# more of the height.
LESSON = {False: 50, True: 130}


def layout(present: bool, lesson: bool = False) -> Layout:
    """The layout of a page in presentation mode or not; `lesson`: a tour's text stands above the stage."""
    base = PRESENT if present else NORMAL
    if not lesson:
        return base
    cut = LESSON[present]
    return replace(base, figure=base.figure - cut, image=base.image - cut)


def header(title: str, caption: str, about: str | None = None, toggle: bool = False) -> None:
    """A short title whose help icon holds any longer explanation (beside it the presentation toggle, on pages
    that have one), then one caption line. Pages leave it out in presentation mode."""
    with st.container(key="lecture_header"):
        # A row as wide as its contents: a long title keeps one line, the toggle is never cut (it wraps instead).
        with st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center"):
            st.title(title, help=about, width="content")
            if toggle:
                presentation.toggle()
        st.caption(caption)


def toolbar():
    """A row of a lecture page's buttons and selects. Each button is as wide as its label (give it no width), a
    select takes the room left, and a row too narrow for them all wraps onto a second line: a label is never cut
    (at 1024 x 768 with the sidebar open, equal columns cut "Next step" and "Resume both", and "Start" to "St…")."""
    return st.container(horizontal=True, vertical_alignment="bottom", gap="small")


def metrics(key: str, items: list[tuple[str, str, str | None]]) -> None:
    """(label, value, help) metrics in one row, each as wide as its label and value, wrapping onto a second line
    rather than cutting either (equal columns cut "0.0879 nats" at 1024 x 768). `key` names the row on its page
    (assets/style.css lets these metrics take their text's width)."""
    with st.container(key=f"metrics_{key}", horizontal=True, gap="medium"):
        for label, value, about in items:
            st.metric(label, value, help=about, width="content")


def stage() -> tuple:
    """The two columns at the top of a lecture page: the game's figure (left) and D's outputs (right)."""
    return tuple(st.columns(2, gap="small"))


def game_figure(view: Toy1DView | Toy2DView, lay: Layout, title: str | None = None, mapping: bool = False,
                d_star: bool = False, gradient: bool = False) -> go.Figure:
    """The game as the toy pages draw it, at the stage's height: Figure 1 for a 1D toy (with G's z -> x row and D*
    when asked), GAN Lab's view for a 2D one (with G's gradient segments when asked)."""
    if isinstance(view, Toy1DView):
        fig = figure1(view, title, height=lay.figure, show_mapping=mapping, show_d_star=d_star)
    else:
        fig = gan_lab_figure(view, height=lay.figure, show_gradient=gradient, title=title)
    return lay.style(fig)


def d_figure(metrics: pd.DataFrame, lay: Layout, smooth: int = 20, x_range: list[float] | None = None
             ) -> go.Figure:
    """D's outputs over training (mean D(x) on data, mean D(G(z))), beside the game."""
    fig = training.d_output_figure(metrics, smooth, POINTS)
    if x_range is not None:
        fig.update_xaxes(range=x_range)
    return side_figure(fig, lay)


def side_figure(fig: go.Figure, lay: Layout) -> go.Figure:
    """Any chart beside the game (D's outputs, a tour's milestone curve) at the game's height, so their axes line
    up. Changes `fig` in place and returns it."""
    fig.update_layout(height=lay.figure)
    return lay.style(fig)


def pair_figures(view: Toy1DView | Toy2DView | None, metrics: pd.DataFrame, lay: Layout, title: str
                 ) -> tuple[go.Figure | None, go.Figure]:
    """One side of two runs compared across the page: its game titled with the side's name (None before the
    models are built) above its D chart, each at the pair's height, so both sides stay whole above the fold."""
    game = None
    if view is not None:
        game = game_figure(view, lay, title=title)
        game.update_layout(height=lay.pair_game)
    return game, lay.style(training.d_output_figure(metrics, 20, POINTS, height=lay.pair_d))
