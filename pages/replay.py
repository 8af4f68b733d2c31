"""Replay: any recorded run played back with a timeline, without training (a bundled demo, an imported run, a
run of this or an earlier server). The run is chosen here or arrives as ?run=NAME (the Runs page's Replay)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import lecture, media, presentation, replay_view, session
from app.navigation import use_st_navigation
from explorer import names
from explorer.runs import run_folder
from explorer.runs.run_folder import list_runs, visible_runs

use_st_navigation()  # first: see app/navigation.py

REPLAY_KEY = "replay_run"  # this page's run: a demo must not become the Train page's attached run


def _picked() -> None:
    st.query_params["run"] = st.session_state[REPLAY_KEY]  # before the next run reads the URL


def _make_gif(name: str, run_dir: Path, job_key: str, media_key: str) -> None:
    st.session_state.pop(media_key, None)
    st.session_state[job_key] = media.MediaJob(name, run_dir, only=("gif",))  # drawn on its own thread


def page() -> None:
    reg = session.registry()
    present = presentation.enabled()  # a projector view: the run, Play, the game and D's outputs drawn large
    if not present:
        lecture.header("Replay", "Play back a recorded run: the game as it was at any step, and the curves up to it.",
                       about="Nothing trains, so it works on a laptop without a GPU, on runs made anywhere: a bundled "
                             "demo, an imported run, a run of this or an earlier server.", toggle=True)

    choices = {i.name: i for i in visible_runs(reg.runs_dir, sweeps=True) if i.config is not None}
    wanted = st.query_params.get("run") or st.session_state.get(REPLAY_KEY)
    if wanted and wanted not in choices and (found := run_folder.find_run_dir(reg.runs_dir, wanted)) is not None:
        # A trial of the bundled sweep (the Sweeps page's cells open them): offered with the other trials of its sweep.
        choices.update({i.name: i for i in list_runs(found.parent, demo=run_folder.is_demo(found))
                        if i.config is not None})
    if not choices:
        st.info("No runs yet, and no bundled demos were found. Train one on the Train page; it can be replayed here "
                "while and after it trains.")
        st.page_link(session.TRAIN_PAGE, label="Open the Train page", icon=":material/model_training:")
        st.stop()

    if wanted and wanted not in choices:
        st.warning(f"Run {session.plain(wanted)} is not in {reg.runs_dir} or among the demos: showing another.")
    if (st.session_state.get(REPLAY_KEY) not in choices
            or (wanted in choices and wanted != st.session_state[REPLAY_KEY])):

        st.session_state[REPLAY_KEY] = wanted if wanted in choices else next(iter(choices))
    if present:  # the toggle back beside the run: no header on the projector
        picker, corner = st.columns([3, 2], vertical_alignment="bottom")
        presentation.toggle(corner)
    else:
        picker = st.container()
    name = picker.selectbox("Run", list(choices), key=REPLAY_KEY, on_change=_picked,
                            format_func=lambda n: f"{n} (demo)" if choices[n].demo else n,
                            help=f"Your runs in {reg.runs_dir}, then the demos shipped with the app.")
    if st.query_params.get("run") != name:
        st.query_params["run"] = name
    info = choices[name]
    cfg = info.config
    if not present:
        st.markdown(f"**{name}**{' · bundled demo' if info.demo else ''} · {names.label('dataset', cfg.dataset)} · "
                    f"{names.label('model', cfg.family)} · {names.label('loss', cfg.loss)} loss · k {cfg.k} · "
                    f"{names.label('optimizer', cfg.optimizer)} (lr_d {cfg.lr_d:g}, lr_g {cfg.lr_g:g}) · "
                    f"batch {cfg.batch_size} · seed {cfg.seed}")
    if reg.get(name) is not None and reg.get(name).snapshot().alive:
        st.caption("This run is training: the replay shows what it has recorded so far (reload for more).")

    rec = replay_view.recording(info.path)
    if rec is None:
        st.stop()
    replay_view.timeline(rec, key=f"replay__{name}", start_at_end=False, present=present)
    if present:
        st.stop()  # the projector shows the recording, not the export
    job_key, media_key = f"gif_job__{name}", f"gif__{name}"
    with st.container(key="replay_export"):
        c1, c2 = st.columns([1, 3], vertical_alignment="center")
        c1.button("Make a GIF", key="make_gif", on_click=_make_gif, args=(name, info.path, job_key, media_key),
                  disabled=not rec.frames or job_key in st.session_state,
                  help="An animated GIF of the frames above, in step order, drawn in the background with its progress "
                       "shown (the Runs page has MP4, CSV and zip too)")
        if job_key in st.session_state:  # its timer runs only while a GIF is being drawn
            with c2:
                media.media_progress(job_key, media_key, where="replay")
        made = st.session_state.get(media_key)
        if made and made.get("gif_error"):
            c2.error(made["gif_error"])
        elif made and made.get("gif"):
            data = made["gif"]
            c2.download_button(f"Download the GIF ({len(rec.frames)} frames, {len(data) / 1e6:.1f} MB)", data,
                               f"{name}.gif", "image/gif", key="download_gif")


page()
