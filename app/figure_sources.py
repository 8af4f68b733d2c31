"""Run pickers and G sources for the figure pages (Toy 1D, Toy 2D, Latent space, Nearest neighbours).

The run registry is the app's own (`session.registry()`); these helpers only choose, among its runs and the saved
runs on disk, the ones a page can draw, and load G for the image pages from a live run or a checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from app import session
from explorer import names
from explorer.game.config import TOYS, TrainConfig
from explorer.game.models import Generator
from explorer.runs.registry import RunRegistry
from explorer.runs.run_folder import (
    CheckpointError,
    RunLockedError,
    latest_checkpoint,
    list_runs,
    load_models,
    visible_runs,
    writer_pid,
)
from explorer.runs.runner import Runner
from explorer.runs.state import RunState

NO_RUN = "—"


def send_to_train(message: str) -> None:
    """What to do when the page has nothing to show: a message and a link to the Train page."""
    st.info(message, icon="ℹ️")
    st.page_link(session.TRAIN_PAGE, label="Open the Train page", icon=":material/model_training:")


def runs_for(reg: RunRegistry, datasets: tuple[str, ...]) -> dict[str, str]:
    """name -> label for registered and saved runs on these data sets, newest registered first. Labels hold no
    live state: a selectbox matches its options by label, so a label that changed would lose the choice."""
    out: dict[str, str] = {}
    for r in reversed(reg.runners()):
        if r.cfg.dataset in datasets:
            out[r.name] = f"{r.name} ({names.label('dataset', r.cfg.dataset)})"
    for info in list_runs(reg.runs_dir):
        if info.config is not None and info.config.dataset in datasets and info.name not in out:
            out[info.name] = f"{info.name} ({names.label('dataset', info.config.dataset)}, saved)"
    return out


def pick_run(reg: RunRegistry, datasets: tuple[str, ...], key: str, prefer: str | None = None) -> Runner | None:
    """A selectbox of the runs this page can draw; the chosen one is returned (a saved run is reopened and
    started paused, so its snapshot carries a view built from its last checkpoint: looking takes no lock and
    writes nothing, so a CLI may train the run meanwhile)."""
    options = runs_for(reg, datasets)
    if not options:
        return None
    attached = st.session_state.get(session.RUN_KEY)
    if st.session_state.get(key) not in options:
        st.session_state[key] = next((n for n in (prefer, attached) if n in options), next(iter(options)))
    name = st.selectbox("Run", list(options), key=key, format_func=options.get,
                        help="Runs of this server and saved runs in the runs folder that this page can draw.")
    runner = session.find_runner(reg, name)
    if runner is not None and runner.snapshot().state.can_start:
        runner.start(paused=True)  # a reopened saved run: build its models from the checkpoint, don't train
    writer = writer_pid(runner.run_dir) if runner is not None and runner.run_dir and not runner.writes else None
    if writer is not None:
        st.info(f"Process {writer} is training this run now: this page shows it as of its last checkpoint "
                f"({names.step_label(runner.snapshot().step)}). Replay shows its record as it grows.")
    return runner


def _resume(runner: Runner, key: str) -> None:
    """Resume; a saved run that was only looked at claims its folder first, which a CLI may hold or have trained
    on meanwhile: then say so instead of training."""
    try:
        runner.resume()
    except RunLockedError as e:
        st.session_state[f"{key}_refused"] = str(e)


def controls(runner: Runner, key: str) -> None:
    """Pause / Resume / Stop for one run (a finished or stopped run can only be looked at)."""
    refused = st.session_state.pop(f"{key}_refused", None)
    if refused:
        st.warning(refused)
    state = runner.snapshot().state
    c1, c2, c3 = st.columns(3)
    c1.button("Pause", key=f"{key}_pause", on_click=runner.pause, width="stretch",
              disabled=not state.can_pause)
    c2.button("Resume", key=f"{key}_resume", on_click=_resume, args=(runner, key), width="stretch",
              disabled=not state.can_resume)
    c3.button("Stop", key=f"{key}_stop", on_click=runner.stop, width="stretch",
              disabled=not state.can_stop,
              help="End the run (a checkpoint is written)")


# ------------------------------------------------------------------------------------------- models

@dataclass(frozen=True)
class LoadedG:
    label: str
    config: TrainConfig
    G: Generator
    step: int


@st.cache_resource(show_spinner="Loading the checkpoint…", max_entries=4)
def _saved_g(run_dir: str, checkpoint_mtime: float) -> tuple[TrainConfig, Generator, int]:
    cfg, G, _, step = load_models(Path(run_dir))
    return cfg, G, step


def image_source(reg: RunRegistry, key: str) -> LoadedG | None:
    """Choose a live run or a saved checkpoint of an image data set and return its G (eval mode, CPU copy).
    Shows what is wrong (and returns None) when there is nothing usable."""
    live = {r.name: r for r in reversed(reg.runners())
            if r.cfg.dataset not in TOYS and r.trainer is not None and r.snapshot().state is not RunState.ERROR}
    # The user's saved runs, then the bundled demos (read-only: only their checkpoint is read).
    saved = {i.name: i for i in visible_runs(reg.runs_dir)
             if i.config is not None and i.config.dataset not in TOYS and i.step > 0}
    toys_only = not live and not saved
    if toys_only:
        has_toys = bool(reg.runners()) or bool(list_runs(reg.runs_dir))
        send_to_train(("Your runs are all toys: this page needs an image data set ("
                       + ", ".join(names.label("dataset", d) for d in ("digits8x8", "mnist_subset", "mnist"))
                       + ", ...). " if has_toys else "No image run yet. ")
                      + "Start one on the Train page (e.g. the 'Digits (offline MNIST subset)' preset).")
        return None
    kinds = [k for k, have in (("Live run", live), ("Saved checkpoint", saved)) if have]
    c1, c2 = st.columns([1, 2])
    kind = c1.radio("Source", kinds, key=f"{key}_kind", horizontal=True,
                    help="A live run is copied between two training steps; a saved run is read from its latest "
                         "checkpoint.")
    if kind == "Live run":
        name = c2.selectbox("Run", list(live), key=f"{key}_live")
        runner = live[name]
        G, _ = runner.copy_models()
        step = runner.snapshot().step
        return LoadedG(f"{name} (live, {names.step_label(step)})", runner.cfg, G, step)
    name = c2.selectbox("Run", list(saved), key=f"{key}_saved",
                        format_func=lambda n: f"{n} ({names.label('dataset', saved[n].config.dataset)}, "
                                              f"{names.step_label(saved[n].step)}"
                                              f"{', bundled demo' if saved[n].demo else ''})")
    info = saved[name]
    try:
        ckpt = latest_checkpoint(info.path)
        cfg, G, step = _saved_g(str(info.path), ckpt.stat().st_mtime if ckpt else 0.0)
    except (CheckpointError, OSError, RuntimeError) as e:
        st.error(f"Could not load {info.path}: {e}")
        return None
    return LoadedG(f"{name} (checkpoint, {names.step_label(step)})", cfg, G, step)
