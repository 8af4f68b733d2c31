"""Home's parts (streamlit_app.home): the game before any reading, and the ways in.

- `player()`: the bundled Figure 1 demo run (assets/demo_runs/figure1-gaussian) playing from its recorded
  frames, looping, with a line on what is happening at each step. It reads the run folder through
  explorer.runs.replay.Recording: no training, no models.
- `open_preset(name)`: a preset into the Train page's form, ready to Start (the "Train this yourself" button
  and the preset buttons).
- `runs_in_progress(reg)`: one compact line per live run, with a button that opens it.
"""

from __future__ import annotations

import math

import streamlit as st

from app import config_form, session, status
from explorer import names
from explorer.lessons.presets import PRESET_NOTES, PRESETS, preset
from explorer.metrics.toy import Toy1DView
from explorer.plots.toys import figure1
from explorer.runs.registry import RunRegistry
from explorer.runs.replay import FrameError, Recording
from explorer.runs.run_folder import DEMO_RUNS_DIR, RunFileError

DEMO = "figure1-gaussian"  # explorer.lessons.demo_runs.DEMOS: Figure 1's Gaussian, 61 frames over 3,000 steps
FIGURE1_PRESET = "Figure 1: 1D Gaussian"  # the preset that trains what the demo recorded
TICK_SECONDS = 0.7  # one recorded frame per tick: the whole run in about 45 s
HOLD_TICKS = 4  # the last frame stays this many ticks before the loop starts again
TICK_KEY = "home_tick"  # this tab's position in the loop
FIGURE_HEIGHT = 380
FLAT = 0.15  # D counts as flat where the densities are when its values there span at most this
CHART = {"displayModeBar": False}
# Small preset buttons, so that all of them fit the first screen beside the figure even at 1024 x 768.
CSS = """<style>
.st-key-home_presets { gap: 0.35rem; }
.st-key-home_presets button { min-height: 1.75rem; padding: 0.05rem 0.55rem; }
.st-key-home_presets button p { font-size: 0.85rem; }
h1 { padding-top: 0; padding-bottom: 0.25rem; }
</style>"""


@st.cache_resource(show_spinner=False)
def _demo() -> Recording:
    return Recording.open(DEMO_RUNS_DIR / DEMO)  # read-only: shared by every session


def demo_recording() -> Recording | None:
    """The Figure 1 demo's recording, or None with the reason shown (the assets folder is part of the app)."""
    try:
        rec = _demo()
    except (RunFileError, FileNotFoundError) as e:
        st.warning(f"The bundled Figure 1 demo could not be read, so nothing plays here: {e}")
        return None
    if not rec.frames or not rec.is_toy:
        st.warning(f"The bundled Figure 1 demo in {rec.run_dir} has no recorded frames, so nothing plays here.")
        return None
    return rec


def loop_index(tick: int, n_frames: int, hold: int = HOLD_TICKS) -> int:
    """The frame shown at `tick` of the loop: each frame once, the last one `hold` ticks more, then again."""
    return min(tick % (n_frames + hold), n_frames - 1)


def d_span(view: Toy1DView, mass: float = 0.01) -> tuple[float, float]:
    """(lowest, highest) D(x) where p_data + p_g is above `mass` of its peak: the part of D that G feels."""
    weight = view.p_data + view.p_g
    where = weight > mass * weight.max()
    return float(view.d[where].min()), float(view.d[where].max())


def frame_caption(step: int, last_step: int, view: Toy1DView) -> str:
    """One line on what the frame at `step` shows, read from the frame itself (JS, D where the densities are)."""
    low, high = d_span(view)
    if high - low <= FLAT:
        d_text = f"D is nearly flat there, {low:.2f}-{high:.2f}: it can no longer tell them apart"
    else:
        d_text = f"D runs from {low:.2f} to {high:.2f} there, and its slope tells G where to move"
    if view.js >= 0.3:
        game = f"p_g barely overlaps p_data (JS {view.js:.2f} nats; {math.log(2):.2f} is none at all)"
    elif view.js >= 0.03:
        game = f"G has moved p_g most of the way onto p_data (JS {view.js:.3f} nats)"
    else:
        game = f"p_g almost matches p_data (JS {view.js:.3f} nats)"
    return f"**{names.step_label(step)} of {last_step:,}:** {game}; {d_text}."


def player() -> None:
    """The demo playing, one frame per tick, looping; nothing is drawn when the demo cannot be read."""
    rec = demo_recording()
    if rec is None:
        return

    @st.fragment(run_every=TICK_SECONDS)
    def frames() -> None:
        tick = st.session_state.get(TICK_KEY, -1) + 1
        st.session_state[TICK_KEY] = tick
        step = int(rec.frame_step_array[loop_index(tick, len(rec.frames))])
        try:
            _, view = rec.frame_at(step)
        except FrameError as e:
            st.warning(f"{e}. The next frame follows.")
            return
        with st.container(key="home_player"):
            st.plotly_chart(figure1(view, height=FIGURE_HEIGHT, show_d_star=False), key="home_figure", config=CHART)
            with st.container(key="home_caption"):
                st.markdown(frame_caption(step, rec.last_step, view))

    frames()


def open_preset(name: str) -> None:
    """Load preset `name` into the Train page's form and go there, ready to Start (no run attached)."""
    config_form.set_config(preset(name))
    st.session_state["preset_loaded"] = name
    session.attach(None)
    st.session_state["no_adopt"] = True
    st.switch_page(session.TRAIN_PAGE)


def preset_buttons() -> None:
    """Every preset as a small button in a wrapping row; its note is the button's help text."""
    with st.container(horizontal=True, key="home_presets"):
        for i, name in enumerate(PRESETS):
            if st.button(name, key=f"preset_{i}", help=PRESET_NOTES.get(name), wrap=True):
                open_preset(name)


def runs_in_progress(reg: RunRegistry) -> None:
    """One line per run training or held paused in this server, each a button that opens it on Train."""
    active = reg.active()
    with st.container(key="home_runs"):
        if not active:
            st.caption("No run in progress.")
            return
        st.caption("Runs in progress (this server):")
        with st.container(horizontal=True):
            for r in active:
                s = r.snapshot()
                if st.button(f"{status.STATE_ICONS.get(s.state, '')} {s.name} · {names.label('state', s.state)}, "
                             f"{names.step_label(s.step)}", key=f"open_{s.name}", help="Open it on the Train page"):
                    session.attach(s.name)
                    st.switch_page(session.TRAIN_PAGE)
