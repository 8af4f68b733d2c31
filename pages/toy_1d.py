"""Toy 1D: Figure 1 of the paper, live. p_data (black dotted), p_g (green), D(x) (blue dashed), D* and 1/2
above; the z -> x mapping of G below; the game's value over training beside it. Capture up to four frames
into the paper's (a)-(d) strip."""

from __future__ import annotations

import streamlit as st

from app import figure_sources, lecture, presentation, session, status
from app.navigation import use_st_navigation
from explorer import names
from explorer.game.config import TOYS_1D
from explorer.lessons.presets import FIGURE1_PRESETS
from explorer.plots import toys as figures
from explorer.runs.registry import RunRegistry

use_st_navigation()  # first: see app/navigation.py

CAPTURES = "toy1d_captures"  # [(step, Toy1DView), ...], at most 4
GROUP = "toy1d_group"        # {label: run name} of the preset started last on this page
ABOUT = ("Figure 1 of the paper, live: p_data (black dotted), p_g (green), D(x) (blue dashed), its optimum "
         "D*(x) = p_data / (p_data + p_g) and the line D = 1/2 above; G's map from z to x below. At the optimum "
         "p_g = p_data and D(x) = 1/2 everywhere, where the game's value C(G) = -log 4 + 2 JSD(p_data || p_g) "
         "reaches -log 4. Capture up to four frames into the paper's (a)-(d) strip.")


def _start(reg: RunRegistry, preset: str) -> None:
    group = {label: reg.start(cfg).name for label, cfg in FIGURE1_PRESETS[preset].items()}
    st.session_state[GROUP] = group
    st.session_state["toy1d_run"] = next(iter(group.values()))
    st.session_state[CAPTURES] = []


def _capture(view, step: int) -> None:
    caps = st.session_state.setdefault(CAPTURES, [])
    caps.append((step, view))
    del caps[:-4]


def live(r, was_alive: bool, reg: RunRegistry, present: bool, layout: lecture.Layout) -> None:
    s = r.snapshot()
    if was_alive and not s.alive:
        st.rerun(scope="app")  # finished or stopped: redraw the buttons and stop the timer
    status.show_problems(s)
    with st.container(key="toy1d_status"):
        st.markdown(status.status_line(s, brief=present))
    if s.toy is None:
        st.caption("The view appears once the models are built…")
        return
    left, right = lecture.stage()
    with left:  # the page's whole figure: with D* and G's z -> x map
        st.plotly_chart(lecture.game_figure(s.toy, layout, mapping=True, d_star=True), key="figure1",
                        config=lecture.CHART)
    with right:
        st.plotly_chart(lecture.d_figure(s.metrics, layout), key="toy1d_d", config=lecture.CHART)
    if present:  # the projector shows the game and D's outputs, all on screen
        return
    with lecture.toolbar():
        st.button("Capture this frame", key="toy1d_capture", on_click=_capture, args=(s.toy, s.samples_step),
                  help="Freeze the current view into the (a)-(d) strip below (the last four are kept).")
    lecture.metrics("toy1d", [("mean D(x) on data", f"{s.toy.d_on_data:.3f}", "1/2 at the optimum"),
                              ("JSD(p_data || p_g)", f"{s.toy.js:.4f} nats", "0 at the optimum"),
                              ("C(G)", f"{s.toy.value:.3f}", "-log 4 = -1.386 at the optimum")])
    st.plotly_chart(figures.toy_metrics_figure(s.toy_frame, height=300), key="toy1d_metrics",
                    config=lecture.CHART)
    group_runs = {label: reg.get(name) for label, name in st.session_state.get(GROUP, {}).items()}
    if len(group_runs) > 1 and all(group_runs.values()):
        st.subheader("Minimax vs non-saturating: G's gradient")
        st.caption("Early on D rejects G's samples with confidence. log(1 - D(G(z))) then saturates: the minimax "
                   "G's gradient is tiny and G barely moves, while -log D(G(z)) keeps it strong (section 3).")
        frames = {label: g.snapshot().metrics for label, g in group_runs.items()}
        st.plotly_chart(figures.gradient_comparison_figure(frames), key="toy1d_grads",
                        config={"displayModeBar": False})
    caps = st.session_state.get(CAPTURES, [])
    if caps:
        st.subheader("Captured frames")
        steps, views = zip(*caps, strict=True)
        st.plotly_chart(figures.figure1_strip(list(views), list(steps)), key="toy1d_strip",
                        config={"displayModeBar": False})


def page() -> None:
    reg = session.registry()
    present = presentation.enabled()  # a projector view: no sidebar, the buttons, the game and D's outputs drawn large
    layout = lecture.layout(present)
    if not present:
        lecture.header("Toy 1D: Figure 1", "G learns a 1D p_data while D learns to tell them apart, until D(x) = 1/2 "
                       "everywhere.", toggle=True, about=ABOUT)
    group = st.session_state.get(GROUP, {})
    with lecture.toolbar():
        preset = st.selectbox("Preset", list(FIGURE1_PRESETS), key="toy1d_preset",
                              help="The paper's Gaussian; a two-mode p_data; or minimax vs non-saturating G losses "
                                   "started from a poor G (two runs side by side).")
        st.button("Start", key="toy1d_start", type="primary", on_click=_start, args=(reg, preset))
        runner = figure_sources.pick_run(reg, TOYS_1D, "toy1d_run", prefer=next(iter(group.values()), None))
        if present:
            presentation.toggle()
    if runner is None:
        figure_sources.send_to_train("No 1D run yet: press **Start** above for a preset, or configure one on the Train "
                                     "page (data set: " + ", ".join(names.label("dataset", d) for d in TOYS_1D) + ").")
        st.stop()
    figure_sources.controls(runner, "toy1d")
    alive = runner.snapshot().alive
    st.fragment(run_every=1.0 if alive else None)(live)(runner, alive, reg, present, layout)


page()
