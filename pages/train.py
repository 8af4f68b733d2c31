"""Train: configure a GAN in the sidebar, start it, and watch the game live.

The page never trains: it sends commands to a Runner in the process-wide registry and reads its snapshot.
The live area is fragments that rerun while the run is alive (and not at all otherwise): the status line and the
game's picture every second, the curves every few seconds, so the rest of the page (sidebar, buttons) is not
redrawn by the timers. The server trains in this process, so what the page does costs the training thread:
scripts/page_cost.py measures it.
"""

from __future__ import annotations

import io
import time

import streamlit as st
from PIL import Image

from app import config_form, presentation, replay_view, session, status
from app.navigation import use_st_navigation
from explorer.game.config import TOYS_1D
from explorer.plots import training as plots
from explorer.plots.evaluation import eval_curves_figure
from explorer.plots.images import image_grid
from explorer.plots.paper import figure1, gan_lab_figure
from explorer.plots.style import for_projector
from explorer.runs.folder import RunLockedError

use_st_navigation()  # first: see app/navigation.py

LIVE_SECONDS = 1.0
# Points per curve in the live charts: a bucket's min and max per ~3 pixels of a half-width chart, so a spike
# still shows; the charts' whole run is re-sent every second, and 2,000 points a curve shipped ~200 KB/s and
# cost the training thread more than the redraw itself (docs/benchmarks.md, "Live page cost").
LIVE_POINTS = 400
# The curves redraw less often than the game's picture: over a run of thousands of steps a second adds little to
# them, and each chart redrawn costs Chromium ~0.1 s of CPU on this 2-core machine, CPU the training then lacks.
CURVE_SECONDS = 3.0

reg = session.registry()
present = presentation.enabled()  # a projector view: no sidebar, three buttons, the game drawn large
if config_form.load_from_url():  # a shared link: its experiment, ready to Start (no other run adopted)
    st.session_state["no_adopt"] = True
if present:  # the configuration stays as it was (and in the URL), out of sight
    cfg, cfg_error = config_form.current_config()
else:
    cfg, cfg_error = config_form.config_sidebar()
config_form.sync_url(cfg)
runner = session.attached_runner(reg, adopt_active=not st.session_state.get("no_adopt", False))
if not present:
    config_form.share_link(cfg)
    st.sidebar.divider()
    session.run_picker(reg, runner)

if not present:
    presentation.header("Train", "Algorithm 1 of Goodfellow et al. (2014) on a background thread: k steps of D, "
                        "then one of G. Change the settings in the sidebar, press Start, and watch D(x) and D(G(z)) "
                        "head for 1/2.")


# ------------------------------------------------------------------------------------------- commands
COMMAND_ERROR = "command_error"  # what a button could not do, shown under the buttons on the next run


def _refused(message: str) -> None:
    st.session_state[COMMAND_ERROR] = message


def _start() -> None:
    config, error = config_form.current_config()
    if config is None:  # invalid: nothing starts (the sidebar already says which field)
        return
    try:
        new = session.registry().start(config)
    except OSError as e:  # the runs folder cannot be written (full disk, permissions)
        _refused(f"Could not create the run folder: {e.strerror or e} ({e.filename}). "
                 f"Free some space or set $GAN_EXPLORER_RUNS to a writable folder.")
        return
    session.attach(new.name)


def _ensure_started(r, paused: bool) -> bool:
    """A reopened saved run has no thread yet: start it (from its checkpoint). True if it was started."""
    if r.snapshot().state == "ready":
        try:
            r.start(paused=paused)
        except RunLockedError as e:  # a CLI (or another server) is training it
            _refused(str(e))
        return True
    return False


def _settle(r, states: tuple[str, ...], timeout: float = 1.0) -> None:
    """Wait briefly for the worker to act on a command, so the page redraws with the new state."""
    end = time.monotonic() + timeout
    while r.snapshot().state not in states and time.monotonic() < end:
        time.sleep(0.02)


def _pause(r) -> None:
    r.pause()
    _settle(r, ("paused", "finished", "stopped", "error", "diverged"))


def _resume(r) -> None:
    if not _ensure_started(r, paused=False):
        r.resume()
    _settle(r, ("running", "finished", "error"))


def _stop(r) -> None:
    r.stop(wait=True, timeout=10.0)


def _step(r) -> None:
    _ensure_started(r, paused=True)
    r.step_once()


def _set_lr(r, which: str, key: str) -> None:
    r.set_learning_rates(**{which: float(st.session_state[key])})


def _set_k(r, key: str) -> None:
    r.set_k(int(st.session_state[key]))


snap = runner.snapshot() if runner is not None else None
state = snap.state if snap else None
alive = bool(snap and snap.alive)
never_started = state == "ready"



def presentation_buttons() -> None:
    """Start (Resume while paused), Pause, Step, and the toggle back."""
    cols = st.columns([1, 1, 1, 2], vertical_alignment="center")
    if state in ("paused", "diverged") or never_started:
        cols[0].button("Resume", key="resume", type="primary", on_click=_resume, args=(runner,), width="stretch")
    else:
        cols[0].button("Start", key="start", type="primary", on_click=_start, disabled=cfg is None or alive,
                       width="stretch")
    cols[1].button("Pause", key="pause", on_click=_pause, args=(runner,), width="stretch",
                   disabled=state not in ("running", "loading"))
    cols[2].button("Step", key="step", on_click=_step, args=(runner,), width="stretch",
                   disabled=not (state in ("paused", "diverged") or never_started))
    presentation.toggle(cols[3])


def buttons() -> None:
    cols = st.columns(5)
    cols[0].button("Start", key="start", type="primary", on_click=_start, disabled=cfg is None, width="stretch",
                   help="Start a new run with the sidebar's settings" if cfg is not None
                   else f"Fix {cfg_error.field_name} in the sidebar first")
    cols[1].button("Pause", key="pause", on_click=_pause, args=(runner,), width="stretch",
                   disabled=state not in ("running", "loading"), help="Pause after the current step")
    cols[2].button("Resume", key="resume", on_click=_resume, args=(runner,), width="stretch",
                   disabled=not (state in ("paused", "diverged") or never_started),
                   help="Continue training (with any learning rate / k you changed)")
    cols[3].button("Stop", key="stop", on_click=_stop, args=(runner,), width="stretch",
                   disabled=not alive or never_started, help="End the run (a checkpoint is written)")
    cols[4].button("Step", key="step", on_click=_step, args=(runner,), width="stretch",
                   disabled=not (state in ("paused", "diverged") or never_started),
                   help="While paused: one more step of Algorithm 1 (k D-updates, then one G-update)")


if present:
    presentation_buttons()
else:
    buttons()

config_form.show_url_note(cfg)
if st.session_state.get(COMMAND_ERROR):
    st.error(st.session_state.pop(COMMAND_ERROR), icon=":material/block:")
if runner is None and st.session_state.get("preset_loaded"):
    st.info(f"Preset **{st.session_state['preset_loaded']}** loaded into the sidebar: press **Start**.")
if runner is None:
    st.info("No run yet. The defaults train the 1D Gaussian of Figure 1 (no download needed): press **Start**.")
    st.stop()

if alive and not present:
    with st.expander("Change while running: learning rates and k (take effect at the next step)", expanded=False):
        c1, c2, c3 = st.columns(3)
        k1, k2, k3 = (f"live_{n}__{runner.name}" for n in ("lr_d", "lr_g", "k"))
        config_form.field_widget("lr_d", snap.lr_d, key=k1, container=c1, on_change=_set_lr, args=(runner, "lr_d", k1),
                        label="lr_d (live)")
        config_form.field_widget("lr_g", snap.lr_g, key=k2, container=c2, on_change=_set_lr, args=(runner, "lr_g", k2),
                        label="lr_g (live)")
        config_form.field_widget("k", snap.k, key=k3, container=c3, on_change=_set_k, args=(runner, k3),
                                 label="k (live)")

if not present:
    st.markdown(f"Run **{runner.name}** · `{snap.config.dataset}` · model `{snap.config.family}` · "
                f"loss `{snap.config.loss}` · {snap.config.optimizer} · batch {snap.config.batch_size}")


# The server trains in this process: every millisecond the page's script spends building a figure is taken from
# the training thread (the GIL), so what does not change between two redraws is built once and kept.
@st.cache_data(max_entries=16, show_spinner=False)
def _grid_png(run: str, step: int, _samples, target: int, version: int) -> bytes:
    """The runner's sample grid enlarged for the page, as PNG bytes (the grid changes every sample_interval
    steps, the page redraws every second). `version` tells apart two grids at one step (a run restored after
    divergence); `_samples` is not hashed."""
    buffer = io.BytesIO()
    Image.fromarray(image_grid(_samples, padding=0, target=target)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@st.cache_resource(max_entries=16, show_spinner=False)
def _eval_figure(run: str, rows: int, _snap, height: int):
    """The in-training metrics' chart, rebuilt only when an evaluation adds a row (`_snap` is not hashed)."""
    return eval_curves_figure(_snap.eval_frame, height=height)


@st.fragment(run_every=LIVE_SECONDS if alive else None)
def live_status(r, drawn_state: str) -> None:
    s = r.snapshot()
    if s.state != drawn_state and drawn_state != "ready":
        # paused / resumed elsewhere, finished, failed: redraw the buttons (and stop the timers if it ended)
        st.rerun(scope="app")
    with st.container(key="status"):
        st.markdown(status.status_line(s))
    status.show_problems(s)
    if s.state == "finished":
        st.success(f"Finished {s.step} steps in {s.elapsed:.1f} s of training.")
    if present:
        projector_view(s)


@st.fragment(run_every=LIVE_SECONDS if alive else None)
def live_view(r) -> None:
    s = r.snapshot()
    with st.container(key="live_view"):
        if s.toy is not None:
            # The toy pages' own renderers, compact: no z -> x row, no D*, no gradient segments.
            fig = (figure1(s.toy, "p_data, p_g and D(x)", height=300, show_mapping=False, show_d_star=False)
                   if s.config.dataset in TOYS_1D
                   else gan_lab_figure(s.toy, height=380, show_gradient=False, title="Real vs generated over D"))
            st.plotly_chart(fig, key="toy_chart", config={"displayModeBar": False})
            st.caption(f"Live view from step {s.samples_step}")
        elif s.samples is not None:
            # The runner's grid as one image, enlarged (nearest) so a small grid of digits stays crisp.
            st.image(_grid_png(r.name, s.samples_step, s.samples, 360, id(s.samples)),
                     caption=f"Samples G(z) from a fixed z at step {s.samples_step}")
        else:
            st.caption("Samples appear once the models are built.")


@st.fragment(run_every=CURVE_SECONDS if alive else None)
def live_curves(r, smooth: int, charts: tuple[str, ...]) -> None:
    """Some of the training curves: the whole run so far, smoothed, at most LIVE_POINTS points a curve."""
    s = r.snapshot()
    metrics = s.metrics
    columns = st.columns(len(charts)) if len(charts) > 1 else [st.container()]
    for column, chart in zip(columns, charts, strict=True):
        with column:
            st.plotly_chart(CURVES[chart](metrics, smooth, LIVE_POINTS), key=f"{chart}_chart",
                            config={"displayModeBar": False})
    if "grad" in charts and s.eval_history:  # cfg.eval_interval > 0: sampled quality metrics over training
        st.plotly_chart(_eval_figure(r.name, len(s.eval_history), s, 260), key="eval_chart",
                        config={"displayModeBar": False})


CURVES = {"loss": plots.loss_figure, "d": plots.d_output_figure, "grad": plots.grad_norm_figure}


def live_area(r, drawn_state: str) -> None:
    """The run as it trains: the status line and the game's picture every LIVE_SECONDS, the curves every
    CURVE_SECONDS, each in its own fragment (only what is due is rebuilt and shipped)."""
    live_status(r, drawn_state)
    if present:
        return
    smooth = st.slider("Smoothing (steps)", 1, 500, 20, key="smooth",
                       help="Trailing mean over this many steps: minibatch losses are noisy.")
    left, right = st.columns([1, 1])
    with left:
        live_view(r)
    with right:
        live_curves(r, smooth, ("loss",))
    live_curves(r, smooth, ("d", "grad"))


def recorded_area(r) -> None:
    """A run that is not training is a recording: the same timeline as the Replay page."""
    s = r.snapshot()
    with st.container(key="status"):
        st.markdown(status.status_line(s))
    status.show_problems(s)
    if s.state == "finished":
        st.success(f"Finished {s.step} steps in {s.elapsed:.1f} s of training. Move the slider (or press Play) "
                   f"to see it again from the start.")
    rec = replay_view.recording(s.run_dir)
    if rec is not None:
        replay_view.timeline(rec, key=f"train_replay__{r.name}")


def projector_view(s) -> None:
    """Presentation mode's live view: the game's picture and D's outputs side by side, large, above the fold."""
    left, right = st.columns([1, 1])
    with left, st.container(key="live_view"):
        if s.toy is not None:
            fig = (figure1(s.toy, height=470, show_mapping=False) if s.config.dataset in TOYS_1D
                   else gan_lab_figure(s.toy, height=470, show_gradient=False))
            st.plotly_chart(for_projector(fig), key="toy_chart", config={"displayModeBar": False})
        elif s.samples is not None:
            st.image(_grid_png(s.name, s.samples_step, s.samples, 440, id(s.samples)))
    with right:
        fig = for_projector(plots.d_output_figure(s.metrics, 20, LIVE_POINTS), height=470)
        st.plotly_chart(fig, key="d_chart", config={"displayModeBar": False})


# Not training (finished, stopped, failed, or a saved run reopened and not resumed): show what it recorded.
if state in ("finished", "stopped", "error", "ready") and replay_view.has_frames(snap.run_dir):
    recorded_area(runner)
else:
    live_area(runner, state)
