"""Side by side: two runs that differ in one choice (the loss, k, the optimizer), from the same seed and so the
same initial weights and the same fixed z, started with one button and drawn in two columns as they train."""

from __future__ import annotations

import streamlit as st

from app import lecture, presentation, session, status
from app.navigation import use_st_navigation
from explorer import names
from explorer.lessons.presets import SIDE_BY_SIDE, SIDE_BY_SIDE_DATASETS, side_by_side
from explorer.plots.toys import gradient_comparison_figure
from explorer.runs.registry import RunRegistry

use_st_navigation()  # first: see app/navigation.py

PAIR_KEY = "side_by_side_pair"  # [(label, run name), (label, run name)] of this tab's comparison


def _runners(reg: RunRegistry) -> list:
    pair = st.session_state.get(PAIR_KEY, [])
    found = [(label, reg.get(name)) for label, name in pair]
    return [(label, r) for label, r in found if r is not None]


def _start(reg: RunRegistry, comparison: str, dataset: str, seed: int, steps: int) -> None:
    for _, r in _runners(reg):  # a comparison still running is replaced, not left training unseen
        r.stop(wait=False)
    sides = side_by_side(comparison, dataset, int(seed), int(steps))
    st.session_state[PAIR_KEY] = [(label, reg.start(cfg).name) for label, cfg in sides]


def _each(reg: RunRegistry, command: str) -> None:
    for _, r in _runners(reg):
        getattr(r, command)()


def columns(pair: list, was_alive: bool, present: bool, comparison: str) -> None:
    snaps = [(label, r.snapshot()) for label, r in pair]
    if was_alive and not any(s.alive for _, s in snaps):
        st.rerun(scope="app")  # both ended: redraw the buttons and stop the timer
    for i, (column, (label, s)) in enumerate(zip(st.columns(2), snaps, strict=True)):
        with column, st.container(key=f"sbs_side_{i}"):
            st.markdown(status.status_line(s, brief=True))
            status.show_problems(s)
            game, d = lecture.pair_figures(s.toy, s.metrics, lecture.layout(present), title=label)
            if game is not None:
                st.plotly_chart(game, key=f"sbs_figure_{i}", config=lecture.CHART)
            st.plotly_chart(d, key=f"sbs_d_{i}", config=lecture.CHART)
    if present:  # the projector shows the two games and D, all on screen
        return
    st.subheader("G's gradient, both sides")
    st.caption(SIDE_BY_SIDE[comparison].caption)  # what was measured from this start (docs/results.md)
    st.plotly_chart(gradient_comparison_figure({label: s.metrics for label, s in snaps}), key="sbs_gradients",
                    config=lecture.CHART)


def page() -> None:
    reg = session.registry()
    present = presentation.enabled()
    if not present:
        lecture.header("Side by side", "One choice changed, everything else the same. Press Start and watch the two "
                       "games part.", toggle=True,
                       about="The two runs share the data, the seed (so the same initial weights and the same fixed z) "
                             "and every setting but the one compared, chosen in the sidebar. Each side is an ordinary "
                             "run: the Runs page keeps both, and Replay plays them back.")

    # The comparison is chosen in the sidebar, like the Train page's configuration, so the two games start high on the
    # page (presentation mode hides the sidebar and keeps these choices).
    st.sidebar.subheader("Comparison")
    comparison = st.sidebar.selectbox("Compare", list(SIDE_BY_SIDE), key="sbs_comparison")
    dataset = st.sidebar.selectbox("Data set", SIDE_BY_SIDE_DATASETS, key="sbs_dataset",
                                   format_func=lambda code: names.label("dataset", code),
                                   help="The 1D toys draw Figure 1, the 2D ones GAN Lab's view.")
    seed = st.sidebar.number_input("Seed", 0, 2**31 - 1, 0, key="sbs_seed")
    steps = st.sidebar.number_input("Steps", 100, 100_000, 3000, step=500, key="sbs_steps")
    pair = _runners(reg)
    alive = any(r.snapshot().alive for _, r in pair)
    running = any(r.snapshot().state.training for _, r in pair)
    with lecture.toolbar():  # one button per command, for both runs at once
        st.button("Start both", key="sbs_start", type="primary", on_click=_start,
                  args=(reg, comparison, dataset, seed, steps), help="Two new runs, one per side, from the same seed")
        st.button("Pause both", key="sbs_pause", on_click=_each, args=(reg, "pause"), disabled=not running)
        st.button("Resume both", key="sbs_resume", on_click=_each, args=(reg, "resume"), disabled=not alive or running)
        st.button("Stop both", key="sbs_stop", on_click=_each, args=(reg, "stop"), disabled=not alive)
        if present:
            presentation.toggle()

    if len(pair) != 2:
        st.info("Pick what to compare in the sidebar and press **Start both**.")
        st.stop()
    st.fragment(run_every=1.0 if alive else None)(columns)(pair, alive, present, comparison)


page()
