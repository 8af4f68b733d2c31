"""A recorded run played back: a timeline slider and a Play button over its frames and curves.

Used by the Replay page and by the Train page for a run that is no longer training. It reads the run folder
(explorer.runs.replay.Recording): no models, no training, no GPU. At step s it shows the frame recorded nearest
to s (the sample grid, or the toy's figure as it was) and every curve up to s, on axes that span the whole run so
the curves grow as it plays.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from explorer.metrics.toy import Toy1DView, Toy2DView
from explorer.plots import training as plots
from explorer.plots.evaluation import eval_curves_figure
from explorer.plots.images import image_grid
from explorer.plots.paper import figure1, gan_lab_figure, modes_history_figure, toy_metrics_figure
from explorer.runs.folder import RunFileError
from explorer.runs.replay import FrameError, Recording, frame_steps

PLAY_SECONDS = 0.4  # one frame per tick while playing
CHART = {"displaylogo": False}  # the toolbar (on hover) keeps its camera: a chart as PNG


def _stamp(run_dir: Path) -> tuple:
    """Changes whenever the run records something (a frame, metrics rows): the cache key of its Recording."""
    parts = []
    for path in (run_dir / "metrics.csv", run_dir / "evals.csv", run_dir / "samples"):
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


def _toggle_play(key: str, rec: Recording) -> None:
    playing = not st.session_state.get(f"{key}_playing", False)
    st.session_state[f"{key}_playing"] = playing
    if playing and st.session_state.get(f"{key}_step", 0) >= int(rec.frame_step_array[-1]):
        st.session_state[f"{key}_step"] = 0  # Play at the end starts again from the beginning


def timeline(rec: Recording, key: str, start_at_end: bool = True) -> None:
    """The slider, Play, the frame nearest the slider's step and the curves up to it."""
    if not rec.frames and not len(rec.metrics):
        st.info("This run has recorded nothing yet: no frames and no metrics.")
        return
    last = rec.last_step
    step_key, play_key = f"{key}_step", f"{key}_playing"
    if step_key not in st.session_state or st.session_state[step_key] > last:
        st.session_state[step_key] = last if start_at_end else 0
    playing = bool(st.session_state.get(play_key)) and bool(rec.frames)

    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def player() -> None:
        if st.session_state.get(play_key):
            following = _next_frame(rec, st.session_state[step_key])
            if following is None:  # the end: stop, and redraw the page so its timer stops too
                st.session_state[play_key] = False
                st.rerun(scope="app")
            st.session_state[step_key] = following
        c1, c2 = st.columns([1, 5], vertical_alignment="bottom")
        c1.button("Pause" if st.session_state.get(play_key) else "Play", key=f"{key}_play", width="stretch",
                  icon=":material/pause:" if st.session_state.get(play_key) else ":material/play_arrow:",
                  on_click=_toggle_play, args=(key, rec), disabled=not rec.frames,
                  help="Play the recording, one saved frame at a time")
        step = c2.slider("Step", 0, max(last, 1), key=step_key,
                         help=f"Any step of the run: the picture is the frame recorded nearest to it (every "
                              f"{rec.config.sample_interval} steps), the curves run up to it.")
        _frame_and_curves(rec, step, key)

    player()


def _frame_and_curves(rec: Recording, step: int, key: str) -> None:
    x_range = [0, max(rec.last_step, 1)]
    smooth = 20
    try:
        found = rec.frame_at(step)
    except FrameError as e:
        st.error(f"{e}. The other frames still play.", icon=":material/broken_image:")
        found = None
    left, right = st.columns([1, 1])
    with left, st.container(key=f"{key}_frame"):
        if found is None:
            st.caption("No frame recorded for this run (runs record one every sample_interval steps).")
        else:
            frame_step, frame = found
            if isinstance(frame, Toy1DView):
                st.plotly_chart(figure1(frame, height=420), key=f"{key}_figure", config=CHART)
            elif isinstance(frame, Toy2DView):
                st.plotly_chart(gan_lab_figure(frame, height=420), key=f"{key}_figure", config=CHART)
            else:
                st.image(image_grid(frame, padding=0, target=360))
            st.caption(f"Frame recorded at step {frame_step:,} (nearest to step {step:,}; "
                       f"{len(rec.frames)} frames in all)")
    metrics = rec.metrics_until(step)
    with right:
        if rec.is_toy:
            history = rec.toy_history[rec.toy_history["step"] <= step]
            fig = toy_metrics_figure(history, height=420)
        else:
            fig = plots.loss_figure(metrics, smooth, height=420)
        fig.update_xaxes(range=x_range)
        st.plotly_chart(fig, key=f"{key}_right", config=CHART)
    c1, c2 = st.columns(2)
    for column, figure, name in ((c1, plots.d_output_figure, "d"), (c2, plots.grad_norm_figure, "grad")):
        fig = figure(metrics, smooth)
        fig.update_xaxes(range=x_range)
        column.plotly_chart(fig, key=f"{key}_{name}", config=CHART)
    if rec.is_toy and rec.toy_history["modes_covered"].notna().any():
        history = rec.toy_history[rec.toy_history["step"] <= step]
        frame = found[1] if found else None
        fig = modes_history_figure(history, getattr(frame, "n_modes", None))
        fig.update_xaxes(range=x_range)
        st.plotly_chart(fig, key=f"{key}_modes", config=CHART)
    evals = rec.evals_until(step)
    if len(rec.evals):
        fig = eval_curves_figure(evals, height=260)
        fig.update_xaxes(range=x_range)
        st.plotly_chart(fig, key=f"{key}_evals", config=CHART)
