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
from collections.abc import Callable
from dataclasses import fields

import streamlit as st
from PIL import Image

from app import config_form, lecture, presentation, replay_view, session, status
from app.navigation import use_st_navigation
from explorer import names
from explorer.game.config import TrainConfig
from explorer.lessons.presets import PRESETS, preset
from explorer.plots import training as plots
from explorer.plots.images import image_grid
from explorer.plots.metric_curves import eval_curves_figure
from explorer.runs.run_folder import RunLockedError
from explorer.runs.state import RunState

use_st_navigation()  # first: see app/navigation.py

LIVE_SECONDS = 1.0
LIVE_POINTS = lecture.POINTS  # per curve: see app/lecture.py
# The curves redraw less often than the game's picture: over a run of thousands of steps a second adds little to
# them, and each chart redrawn costs Chromium ~0.1 s of CPU on this 2-core machine, CPU the training then lacks.
CURVE_SECONDS = 3.0
COMMAND_ERROR = "command_error"  # what a button could not do, shown under the buttons on the next run
ABOUT = ("Algorithm 1 of Goodfellow et al. (2014) trains on a background thread of this server: k steps of D, then "
         "one of G, again and again. Change the settings in the sidebar (the URL keeps them, so a link opens this "
         "experiment), press **Start**, and watch mean D(x) and D(G(z)) head for 1/2 as p_g meets p_data. While "
         "the run trains, its learning rates and k can be changed under the figures; when it ends, the page "
         "becomes its recording: move the slider or press **Play**.")


# ------------------------------------------------------------------------------------------- commands
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
    if r.snapshot().state.can_start:
        try:
            r.start(paused=paused)
        except RunLockedError as e:  # a CLI (or another server) is training it
            _refused(str(e))
        return True
    return False


def _settle(r, settled: Callable[[RunState], bool], timeout: float = 1.0) -> None:
    """Wait briefly for the worker to act on a command, so the page redraws with the new state."""
    end = time.monotonic() + timeout
    while not settled(r.snapshot().state) and time.monotonic() < end:
        time.sleep(0.02)


def _pause(r) -> None:
    r.pause()
    _settle(r, lambda s: not s.training)


def _resume(r) -> None:
    try:
        if not _ensure_started(r, paused=False):
            r.resume()
    except RunLockedError as e:  # a run only looked at until now, which a CLI trains or trained on meanwhile
        _refused(str(e))
        return
    _settle(r, lambda s: s is RunState.RUNNING or s.ended)


def _stop(r) -> None:
    r.stop(wait=True, timeout=10.0)


def _step(r) -> None:
    _ensure_started(r, paused=True)
    try:
        r.step_once()
    except RunLockedError as e:
        _refused(str(e))


def _set_lr(r, which: str, key: str) -> None:
    r.set_learning_rates(**{which: float(st.session_state[key])})


def _set_k(r, key: str) -> None:
    r.set_k(int(st.session_state[key]))


def ready_message(config: TrainConfig | None, error) -> str:
    """Before any run: what Start would train, named from the sidebar as it is (a preset, a link, your data)."""
    if config is None:
        label = {f.name: f.metadata.get("label") for f in fields(TrainConfig)}.get(error.field_name)
        return f"Fix **{label or error.field_name}** in the sidebar, then press **Start**."
    loaded = st.session_state.get("preset_loaded")
    source = (f"Preset **{loaded}** is" if loaded in PRESETS and preset(loaded) == config
              else "The sidebar holds")
    length = (f"{config.steps:,} steps" if config.steps
              else "no step limit (it runs until you press **Stop**)")
    return (f"No run yet. {source} {names.label('dataset', config.dataset)}, the "
            f"{names.label('loss', config.loss)} loss, k = {config.k}, {length}: press **Start**.")


def presentation_buttons(runner, state: RunState | None, cfg: TrainConfig | None, alive: bool) -> None:
    """Start (Resume while paused), Pause, Step, and the toggle back."""
    cols = st.columns([1, 1, 1, 2], vertical_alignment="center")
    if state is not None and state.can_resume:
        cols[0].button("Resume", key="resume", type="primary", on_click=_resume, args=(runner,), width="stretch")
    else:
        cols[0].button("Start", key="start", type="primary", on_click=_start, disabled=cfg is None or alive,
                       width="stretch")
    cols[1].button("Pause", key="pause", on_click=_pause, args=(runner,), width="stretch",
                   disabled=state is None or not state.can_pause)
    cols[2].button("Step", key="step", on_click=_step, args=(runner,), width="stretch",
                   disabled=state is None or not state.can_step)
    presentation.toggle(cols[3])


def buttons(runner, state: RunState | None, cfg: TrainConfig | None, cfg_error) -> None:
    cols = st.columns(5)
    cols[0].button("Start", key="start", type="primary", on_click=_start, disabled=cfg is None, width="stretch",
                   help="Start a new run with the sidebar's settings" if cfg is not None
                   else f"Fix {cfg_error.field_name} in the sidebar first")
    cols[1].button("Pause", key="pause", on_click=_pause, args=(runner,), width="stretch",
                   disabled=state is None or not state.can_pause, help="Pause after the current step")
    cols[2].button("Resume", key="resume", on_click=_resume, args=(runner,), width="stretch",
                   disabled=state is None or not state.can_resume,
                   help="Continue training (with any learning rate / k you changed)")
    cols[3].button("Stop", key="stop", on_click=_stop, args=(runner,), width="stretch",
                   disabled=state is None or not state.can_stop, help="End the run (a checkpoint is written)")
    cols[4].button("Step", key="step", on_click=_step, args=(runner,), width="stretch",
                   disabled=state is None or not state.can_step,
                   help="While paused: one more step of Algorithm 1 (k D-updates, then one G-update)")


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


def live_status(r, drawn_state: RunState, present: bool) -> None:
    s = r.snapshot()
    if s.state != drawn_state and drawn_state is not RunState.READY:
        # paused / resumed elsewhere, finished, failed: redraw the buttons (and stop the timers if it ended)
        st.rerun(scope="app")
    with st.container(key="status"):
        st.markdown(status.status_line(s, brief=present))
    status.show_problems(s)


def live_view(r, present: bool, layout: lecture.Layout) -> None:
    """The game's picture: the toy's figure (compact: no z -> x row, no D*, no gradient segments), or the sample
    grid from a fixed z as one image, enlarged (nearest) so a small grid of digits stays crisp."""
    s = r.snapshot()
    with st.container(key="live_view"):
        if s.toy is not None:
            # The frame's own step: the status line above is drawn by another fragment, a moment apart.
            title = None if present else "Live view · frame at " + names.step_label(s.samples_step)
            st.plotly_chart(lecture.game_figure(s.toy, layout, title=title), key="toy_chart", config=lecture.CHART)
        elif s.samples is not None:
            st.image(_grid_png(r.name, s.samples_step, s.samples, layout.image, id(s.samples)),
                     caption=f"Samples G(z) from a fixed z at {names.step_label(s.samples_step)}")
        else:
            st.caption("The game appears once the models are built.")


def live_d(r, smooth: int, layout: lecture.Layout) -> None:
    """D's outputs beside the game: the whole run so far, smoothed."""
    st.plotly_chart(lecture.d_figure(r.snapshot().metrics, layout, smooth), key="d_chart", config=lecture.CHART)


def live_curves(r, smooth: int) -> None:
    """Under the stage: the losses and the gradient norms (at most LIVE_POINTS points a curve), and the sampled
    quality metrics when the run evaluates as it trains (eval_interval > 0)."""
    s = r.snapshot()
    for column, figure, name in zip(st.columns(2), (plots.loss_figure, plots.grad_norm_figure), ("loss", "grad"),
                                    strict=True):
        column.plotly_chart(figure(s.metrics, smooth, LIVE_POINTS), key=f"{name}_chart", config=lecture.CHART)
    if s.eval_history:
        st.plotly_chart(_eval_figure(r.name, len(s.eval_history), s, 260), key="eval_chart", config=lecture.CHART)


def change_while_running(r, snap) -> None:
    with st.expander("Change while running: learning rates and k (take effect at the next step)", expanded=False):
        c1, c2, c3 = st.columns(3)
        k1, k2, k3 = (f"live_{n}__{r.name}" for n in ("lr_d", "lr_g", "k"))
        config_form.field_widget("lr_d", snap.lr_d, key=k1, container=c1, on_change=_set_lr, args=(r, "lr_d", k1),
                                 label="lr_d (live)")
        config_form.field_widget("lr_g", snap.lr_g, key=k2, container=c2, on_change=_set_lr, args=(r, "lr_g", k2),
                                 label="lr_g (live)")
        config_form.field_widget("k", snap.k, key=k3, container=c3, on_change=_set_k, args=(r, k3),
                                 label="k (live)")


def live_area(r, snap, present: bool, layout: lecture.Layout) -> None:
    """The run as it trains: the status line and the game's picture every LIVE_SECONDS, D's outputs beside it and
    the other curves under it every CURVE_SECONDS, each in its own fragment (only what is due is rebuilt).
    `snap`: the snapshot the page was drawn from (its state, and whether the timers run)."""
    drawn_state = snap.state
    every, curves_every = (LIVE_SECONDS, CURVE_SECONDS) if snap.alive else (None, None)
    st.fragment(run_every=every)(live_status)(r, drawn_state, present)
    smooth = int(st.session_state.get("smooth", 20))  # the slider is under the stage; D's chart uses it too
    left, right = lecture.stage()
    with left:
        st.fragment(run_every=every)(live_view)(r, present, layout)
    with right:
        st.fragment(run_every=curves_every)(live_d)(r, smooth, layout)
    if present:
        return
    if drawn_state.can_change_config:
        change_while_running(r, snap)
    st.slider("Smoothing (steps)", 1, 500, 20, key="smooth",
              help="Trailing mean over this many steps: minibatch losses are noisy.")
    st.fragment(run_every=curves_every)(live_curves)(r, smooth)


def recorded_area(r, present: bool) -> None:
    """A run that is not training is a recording: the same timeline as the Replay page, in presentation mode
    too (large, on the projector's palette)."""
    s = r.snapshot()
    with st.container(key="status"):
        st.markdown(status.status_line(s, brief=present))
    status.show_problems(s)
    rec = replay_view.recording(s.run_dir)
    if rec is not None:
        replay_view.timeline(rec, key=f"train_replay__{r.name}", present=present)


def page() -> None:
    reg = session.registry()
    present = presentation.enabled()  # a projector view: no sidebar, three buttons, the game drawn large
    layout = lecture.layout(present)
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
        lecture.header("Train", "Algorithm 1: k steps of D, then one of G. Press Start and watch D(x) and D(G(z)) head "
                       "for 1/2.", about=ABOUT, toggle=True)
    snap = runner.snapshot() if runner is not None else None
    state = snap.state if snap else None
    alive = bool(snap and snap.alive)
    if present:
        presentation_buttons(runner, state, cfg, alive)
    else:
        buttons(runner, state, cfg, cfg_error)

    config_form.show_url_note(cfg)
    if st.session_state.get(COMMAND_ERROR):
        st.error(st.session_state.pop(COMMAND_ERROR), icon=":material/block:")
    if runner is None:
        st.info(ready_message(cfg, cfg_error), icon=":material/info:")
        st.stop()

    if not present:
        c = snap.config
        st.markdown(f"Run **{runner.name}** · {names.label('dataset', c.dataset)} · {names.label('model', c.family)} · "
                    f"{names.label('loss', c.loss)} loss · {names.label('optimizer', c.optimizer)} · "
                    f"batch {c.batch_size}")

    # Not training (finished, stopped, failed, or a saved run reopened and not resumed): show what it recorded.
    if not state.in_use and replay_view.has_frames(snap.run_dir):
        recorded_area(runner, present)
    else:
        live_area(runner, snap, present, layout)


page()
