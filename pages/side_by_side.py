"""Side by side: two runs that differ in one choice (the loss, k, the optimizer), from the same seed and so the
same initial weights and the same fixed z, started with one button and drawn in two columns as they train."""

from __future__ import annotations

import streamlit as st

from app import presentation, session, status
from app.navigation import use_st_navigation
from explorer.game.config import TOYS_1D
from explorer.game.presets import SIDE_BY_SIDE, SIDE_BY_SIDE_DATASETS, side_by_side
from explorer.plots import training as plots
from explorer.plots.paper import figure1, gan_lab_figure, gradient_comparison_figure
from explorer.plots.style import for_projector

use_st_navigation()  # first: see app/navigation.py

PAIR_KEY = "side_by_side_pair"  # [(label, run name), (label, run name)] of this tab's comparison

reg = session.registry()
present = presentation.enabled()
if not present:
    presentation.header("Side by side", "One choice changed, everything else the same: the same data, the same "
                        "seed (the same initial weights and the same fixed z). Press Start and watch the two games "
                        "diverge.")

c1, c2, c3, c4 = st.columns([3, 2, 1, 1], vertical_alignment="bottom")
comparison = c1.selectbox("Compare", list(SIDE_BY_SIDE), key="sbs_comparison")
dataset = c2.selectbox("Data set", SIDE_BY_SIDE_DATASETS, key="sbs_dataset",
                       help="The 1D toys draw Figure 1, the 2D ones GAN Lab's view.")
seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="sbs_seed")
steps = c4.number_input("Steps", 100, 100_000, 3000, step=500, key="sbs_steps")


def _runners() -> list:
    pair = st.session_state.get(PAIR_KEY, [])
    found = [(label, reg.get(name)) for label, name in pair]
    return [(label, r) for label, r in found if r is not None]


def _start() -> None:
    for _, r in _runners():  # a comparison still running is replaced, not left training unseen
        r.stop(wait=False)
    sides = side_by_side(comparison, dataset, int(seed), int(steps))
    st.session_state[PAIR_KEY] = [(label, reg.start(cfg).name) for label, cfg in sides]


def _each(command: str) -> None:
    for _, r in _runners():
        getattr(r, command)()


pair = _runners()
alive = any(r.snapshot().alive for _, r in pair)
running = any(r.snapshot().state in ("running", "loading") for _, r in pair)
b = st.columns(4)
b[0].button("Start both", key="sbs_start", type="primary", on_click=_start, width="stretch",
            help="Two new runs, one per side, from the same seed")
b[1].button("Pause both", key="sbs_pause", on_click=_each, args=("pause",), width="stretch", disabled=not running)
b[2].button("Resume both", key="sbs_resume", on_click=_each, args=("resume",), width="stretch",
            disabled=not alive or running)
b[3].button("Stop both", key="sbs_stop", on_click=_each, args=("stop",), width="stretch", disabled=not alive)

if len(pair) != 2:
    st.info("Pick what to compare and press **Start both**. Each side is an ordinary run: the Runs page keeps both, "
            "and Replay plays them back.")
    st.stop()


def _figure(s, height: int):
    if s.toy is None:
        return None
    if s.config.dataset in TOYS_1D:
        return figure1(s.toy, height=height, show_mapping=False, show_d_star=False)
    return gan_lab_figure(s.toy, height=height, show_gradient=False)


@st.fragment(run_every=1.0 if alive else None)
def columns(pair: list, was_alive: bool) -> None:
    snaps = [(label, r.snapshot()) for label, r in pair]
    if was_alive and not any(s.alive for _, s in snaps):
        st.rerun(scope="app")  # both ended: redraw the buttons and stop the timer
    height = 430 if present else 340
    for i, (column, (label, s)) in enumerate(zip(st.columns(2), snaps, strict=True)):
        with column, st.container(key=f"sbs_side_{i}"):
            st.markdown(f"#### {label}")
            st.markdown(status.status_line(s))
            status.show_problems(s)
            fig = _figure(s, height)
            if fig is not None:
                st.plotly_chart(for_projector(fig) if present else fig, key=f"sbs_figure_{i}",
                                config={"displayModeBar": False})
            d_fig = plots.d_output_figure(s.metrics, 20, height=260)
            st.plotly_chart(for_projector(d_fig) if present else d_fig, key=f"sbs_d_{i}",
                            config={"displayModeBar": False})
    st.subheader("G's gradient, both sides")
    if comparison.startswith("Minimax"):
        st.caption("With the minimax loss, G's gradient vanishes while D rejects its samples with confidence; the "
                   "non-saturating loss keeps it strong (section 3).")
    st.plotly_chart(gradient_comparison_figure({label: s.metrics for label, s in snaps}), key="sbs_gradients",
                    config={"displayModeBar": False})


columns(pair, alive)
