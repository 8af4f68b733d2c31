"""Toy 2D: GAN Lab in Python. Real and generated points over D(x), the direction G's loss pushes each
generated point, and how many of the mixture's modes G covers as training goes."""

from __future__ import annotations

import streamlit as st

from app import figure_sources, lecture, presentation, session, status
from app.navigation import use_st_navigation
from explorer import names
from explorer.game.config import TOYS_2D
from explorer.lessons.presets import TOY2D_PRESETS
from explorer.plots import toys as figures
from explorer.runs.registry import RunRegistry

use_st_navigation()  # first: see app/navigation.py


def _start(reg: RunRegistry, preset: str) -> None:
    st.session_state["toy2d_run"] = reg.start(TOY2D_PRESETS[preset]).name


def live(r, was_alive: bool, present: bool, layout: lecture.Layout) -> None:
    s = r.snapshot()
    if was_alive and not s.alive:
        st.rerun(scope="app")
    status.show_problems(s)
    with st.container(key="toy2d_status"):
        st.markdown(status.status_line(s, brief=present))
    view = s.toy
    if view is None:
        st.caption("The view appears once the models are built…")
        return
    left, right = lecture.stage()
    with left:  # the page's whole figure: with G's gradient segments
        fig = lecture.game_figure(view, layout, title=names.step_label(s.samples_step), gradient=True)
        st.plotly_chart(fig, key="gan_lab", config=lecture.CHART)
    with right:
        st.plotly_chart(lecture.d_figure(s.metrics, layout), key="toy2d_d", config=lecture.CHART)
    if present:  # the projector shows the game and D's outputs, all on screen
        return
    left, right = st.columns(2)
    with left:
        history = s.modes_frame
        if view.n_modes is not None:
            previous = int(history["modes_covered"].iloc[-2]) if len(history) > 1 else None
            st.metric("modes covered", f"{view.modes_covered} / {view.n_modes}",
                      delta=None if previous is None else view.modes_covered - previous,
                      help="A mode is covered when at least one of 2,500 samples lies within 3 std of it and it "
                           "is that sample's nearest mode (VEEGAN's protocol).")
            st.plotly_chart(figures.modes_history_figure(history, view.n_modes), key="modes_history",
                            config={"displayModeBar": False})
        else:
            st.info(f"{names.label('dataset', s.config.dataset)} is not a mixture of Gaussians: there are no modes "
                    f"to count.")
    with right:
        lecture.metrics("toy2d", [("mean D(x) on data", f"{view.d_on_data:.3f}", "1/2 at the optimum"),
                                  ("JSD estimate", f"{view.js:.3f} nats", "0 at the optimum")])
        st.plotly_chart(figures.toy_metrics_figure(s.toy_frame, height=300), key="toy2d_metrics",
                        config=lecture.CHART)


def page() -> None:
    reg = session.registry()
    present = presentation.enabled()  # a projector view: no sidebar, the buttons, the game and D's outputs drawn large
    layout = lecture.layout(present)
    if not present:
        lecture.header("Toy 2D: the game in the plane", "Real points and G's over D(x); the segments show where G's "
                       "loss moves each point.", toggle=True,
                       about=figures.gan_lab_caption())  # its colour words come from the figure's own colours
    with lecture.toolbar():
        preset = st.selectbox("Preset", list(TOY2D_PRESETS), key="toy2d_preset",
                              help="Mixtures of Gaussians (ring of 8, grid of 25) count the modes G covers (VEEGAN's "
                                   "protocol); moons and spiral have no modes to count.")
        st.button("Start", key="toy2d_start", type="primary", on_click=_start, args=(reg, preset))
        runner = figure_sources.pick_run(reg, TOYS_2D, "toy2d_run")
        if present:
            presentation.toggle()
    if runner is None:
        figure_sources.send_to_train("No 2D run yet: press **Start** above for a preset, or configure one on the Train "
                                     "page (data set: " + ", ".join(names.label("dataset", d) for d in TOYS_2D) + ").")
        st.stop()
    figure_sources.controls(runner, "toy2d")
    alive = runner.snapshot().alive
    st.fragment(run_every=1.0 if alive else None)(live)(runner, alive, present, layout)


page()
