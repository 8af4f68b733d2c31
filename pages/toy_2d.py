"""Toy 2D: GAN Lab in Python. Real and generated points over D(x), the direction G's loss pushes each
generated point, and how many of the mixture's modes G covers as training goes."""

from __future__ import annotations

import streamlit as st

from app import figure_sources, session, status
from app.navigation import use_st_navigation
from explorer.game.config import TOYS_2D
from explorer.game.presets import TOY2D_PRESETS
from explorer.plots import paper as figures

use_st_navigation()  # first: see app/navigation.py

reg = session.registry()
st.title("Toy 2D: the game in the plane")
st.caption("Background: D(x), blue where D says 'data'. Black: real points; green: G(z). Dark green segments: "
           "the direction G's loss moves each generated point (minus its gradient). A G that covers one mode of "
           "the ring and ignores the rest has collapsed.")


def _start(preset: str) -> None:
    st.session_state["toy2d_run"] = reg.start(TOY2D_PRESETS[preset]).name


c1, c2 = st.columns([3, 1])
preset = c1.selectbox("Preset", list(TOY2D_PRESETS), key="toy2d_preset",
                      help="Mixtures of Gaussians (ring of 8, grid of 25) count the modes G covers (VEEGAN's "
                           "protocol); moons and spiral have no modes to count.")
c2.button("Start", key="toy2d_start", type="primary", on_click=_start, args=(preset,), width="stretch")

runner = figure_sources.pick_run(reg, TOYS_2D, "toy2d_run")
if runner is None:
    figure_sources.send_to_train("No 2D run yet: press **Start** above for a preset, or configure one (dataset ring8, "
                         "grid25, moons or spiral) on the Train page.")
    st.stop()
figure_sources.controls(runner, "toy2d")
alive = runner.snapshot().alive


@st.fragment(run_every=1.0 if alive else None)
def live(r, was_alive: bool) -> None:
    s = r.snapshot()
    if was_alive and not s.alive:
        st.rerun(scope="app")
    status.show_problems(s)
    with st.container(key="toy2d_status"):
        st.markdown(status.status_line(s))
    view = s.toy
    if view is None:
        st.caption("The view appears once the models are built…")
        return
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(figures.gan_lab_figure(view), key="gan_lab", config={"displayModeBar": False})
        st.caption(f"Step {s.samples_step}")
    with right:
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
            st.info(f"{s.config.dataset} is not a mixture of Gaussians: there are no modes to count.")
        m1, m2 = st.columns(2)
        m1.metric("mean D(x) on data", f"{view.d_on_data:.3f}", help="1/2 at the optimum")
        m2.metric("JSD estimate", f"{view.js:.3f} nats")
        st.plotly_chart(figures.toy_metrics_figure(s.toy_frame, height=340), key="toy2d_metrics",
                        config={"displayModeBar": False})


live(runner, alive)
