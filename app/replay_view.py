"""A recorded run played back: a timeline slider and a Play button over its frames and curves.

Used by the Replay page and by the Train page for a run that is no longer training. It reads the run folder
(explorer.runs.replay.Recording): no models, no training, no GPU. At step s it shows the frame recorded nearest
to s (the sample grid, or the toy's figure as it was) and every curve up to s, on axes that span the whole run so
the curves grow as it plays.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import lecture
from explorer.metrics.toy import Toy1DView, Toy2DView
from explorer.plots import training as plots
from explorer.plots.images import image_grid
from explorer.plots.metric_curves import eval_curves_figure
from explorer.plots.toys import modes_history_figure, toy_metrics_figure
from explorer.runs.replay import FrameError, Recording, frame_steps
from explorer.runs.run_folder import RunFileError, RunFolder

PLAY_SECONDS = 0.4  # one frame per tick while playing
CHART = {"displaylogo": False}  # the toolbar (on hover) keeps its camera: a chart as PNG


def _stamp(run_dir: Path) -> tuple:
    """Changes whenever the run records something (a frame, metrics rows): the cache key of its Recording."""
    parts = []
    folder = RunFolder(run_dir)
    for path in (folder.metrics_file, folder.evals_file, folder.samples_dir):
        try:
            stat = path.stat()
            parts.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            parts.append(None)
    return tuple(parts)


@st.cache_resource(show_spinner=False, max_entries=8)
def _open(run_dir: str, stamp: tuple) -> Recording:
    return Recording.open(Path(run_dir))  # read-only once made: shared by every session, never copied


def recording(run_dir: Path) -> Recording | None:
    """The run's recording, or None with the reason shown (a damaged file names itself)."""
    try:
        return _open(str(run_dir), _stamp(Path(run_dir)))
    except (RunFileError, FileNotFoundError) as e:
        st.error(str(e), icon=":material/error:")
        return None


def has_frames(run_dir: Path | None) -> bool:
    return run_dir is not None and bool(frame_steps(run_dir))


def _next_frame(rec: Recording, step: int) -> int | None:
    """The frame after the one shown at `step` (the nearest), None at the last."""
    later = rec.frame_step_array[rec.frame_step_array > rec.nearest_frame_step(step)]
    return int(later[0]) if len(later) else None


def _set_playing(key: str, rec: Recording, play: bool) -> None:
    """Play or Pause, as the button read when it was pressed: setting, not toggling, so a press on a label that
    is out of date, or a press handled twice, still does what the button said."""
    st.session_state[f"{key}_playing"] = play
    if play:  # from the step the slider shows (the start again when at the end)
        at = int(st.session_state.get(f"{key}_step", 0))
        st.session_state[f"{key}_at"] = 0 if at >= int(rec.frame_step_array[-1]) else at
        st.session_state[f"{key}_step"] = st.session_state[f"{key}_at"]


def timeline(rec: Recording, key: str, start_at_end: bool = True, present: bool = False) -> None:
    """Play and the slider, then the frame nearest the slider's step beside D's outputs up to it (app/lecture.py's
    layout; large and on the projector's palette when `present`), then the other curves (not when presenting)."""
    if not rec.frames and not len(rec.metrics):
        st.info("This run has recorded nothing yet: no frames and no metrics.")
        return
    last = rec.last_step
    step_key, play_key, at_key = f"{key}_step", f"{key}_playing", f"{key}_at"
    if step_key not in st.session_state or st.session_state[step_key] > last:
        st.session_state[step_key] = last if start_at_end else 0
    playing = bool(st.session_state.get(play_key)) and bool(rec.frames)

    # Play / Pause stands outside the timer's fragment: a press there is a full run, which Streamlit never drops
    # (it stops whatever runs and starts again with the press), and which arms or clears the fragment's timer. Inside
    # the fragment, a press could be lost to a timer tick on a loaded machine: Pause then did nothing for good.
    c1, c2 = st.columns([1.3, 4], vertical_alignment="bottom")  # room for "Pause" at 1024 px, sidebar open
    c1.button("Pause" if playing else "Play", key=f"{key}_play", width="stretch",
              icon=":material/pause:" if playing else ":material/play_arrow:",
              on_click=_set_playing, args=(key, rec, not playing), disabled=not rec.frames,
              help="Play the recording, one saved frame at a time (from the start when at the end)")
    stage = st.empty()  # the fragment redraws the stage here, full width under the slider's row

    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def player() -> None:
        if playing:
            # While playing, the position lives in at_key, not in the slider's key: a timer tick carries the slider's
            # value as the browser last drew it, and when a run outlasts a tick (a loaded machine) that value is a
            # frame behind; read back, it would hold Play on one frame for good. Set here, before the slider is
            # made, the page's value wins over the browser's.
            following = _next_frame(rec, st.session_state.get(at_key, st.session_state[step_key]))
            if following is None:  # the end: stop there, and redraw the page so the button reads Play again
                st.session_state[play_key] = False
                st.session_state[step_key] = st.session_state.get(at_key, st.session_state[step_key])
                st.rerun(scope="app")
            st.session_state[at_key] = st.session_state[step_key] = following
        step = st.slider("Step", 0, max(last, 1), key=step_key, label_visibility="collapsed",
                         help=f"Any step of the run: the picture is the frame recorded nearest to it (every "
                              f"{rec.config.sample_interval} steps), the curves run up to it.")
        with stage.container():
            found = _frame_and_d(rec, step, key, present)
            if not present:
                _more_curves(rec, step, key, found)

    with c2:
        player()


def _frame_and_d(rec: Recording, step: int, key: str, present: bool) -> tuple | None:
    """The lecture's stage: the frame recorded nearest `step` (left), D's outputs up to `step` (right). Returns
    (frame step, frame), None without one."""
    lay = lecture.layout(present)
    try:
        found = rec.frame_at(step)
    except FrameError as e:
        st.error(f"{e}. The other frames still play.", icon=":material/broken_image:")
        found = None
    left, right = lecture.stage()
    with left, st.container(key=f"{key}_frame"):
        if found is None:
            st.caption("No frame recorded for this run (runs record one every sample_interval steps).")
        else:
            frame_step, frame = found
            if isinstance(frame, (Toy1DView, Toy2DView)):
                st.plotly_chart(lecture.game_figure(frame, lay), key=f"{key}_figure",
                                config=CHART)
            else:
                st.image(image_grid(frame, padding=0, target=lay.image))
            st.caption(f"Frame recorded at step {frame_step:,} (nearest to step {step:,}; "
                       f"{len(rec.frames)} frames in all)")
    with right:
        st.plotly_chart(lecture.d_figure(rec.metrics_until(step), lay, x_range=_x_range(rec)),
                        key=f"{key}_d", config=CHART)
    return found


def _x_range(rec: Recording) -> list[int]:
    return [0, max(rec.last_step, 1)]  # the whole run, so the curves grow as it plays


def _more_curves(rec: Recording, step: int, key: str, found: tuple | None) -> None:
    """Under the stage: the losses (or the toy's summary) and the gradient norms, the modes covered and the
    in-training metrics, each up to `step`."""
    x_range, smooth = _x_range(rec), 20
    metrics = rec.metrics_until(step)
    summary = (toy_metrics_figure(rec.toy_history[rec.toy_history["step"] <= step], height=300) if rec.is_toy
               else plots.loss_figure(metrics, smooth, height=300))
    grads = plots.grad_norm_figure(metrics, smooth, height=300)
    for column, fig, name in zip(st.columns(2), (summary, grads), ("right", "grad"), strict=True):
        fig.update_xaxes(range=x_range)
        column.plotly_chart(fig, key=f"{key}_{name}", config=CHART)
    if rec.is_toy and rec.toy_history["modes_covered"].notna().any():
        history = rec.toy_history[rec.toy_history["step"] <= step]
        fig = modes_history_figure(history, getattr(found[1], "n_modes", None) if found else None)
        fig.update_xaxes(range=x_range)
        st.plotly_chart(fig, key=f"{key}_modes", config=CHART)
    if len(rec.evals):
        fig = eval_curves_figure(rec.evals_until(step), height=260)
        fig.update_xaxes(range=x_range)
        st.plotly_chart(fig, key=f"{key}_evals", config=CHART)
