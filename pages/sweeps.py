"""Sweeps: where does GAN training converge? A sweep trains every combination of a few settings × seeds on Ray
Tune; its stability map colours each combination by a final figure (mean over seeds), diverged ones marked.
Click a cell to replay its run; start a small sweep of a toy below.

The page's parts: the sweep picker, a running sweep's progress with Stop and Resume, the stability map and what a
click on a cell opens, the results table, and the form that starts a small sweep. The sweep itself runs in a
process of its own (explorer.sweeps.process: `python -m explorer sweep --resume DIR` on a local Ray); this page only
reads its folder (progress.json, results.csv). The map's cells are explorer.sweeps.maps and its figure
explorer.plots.sweep; the form's text becomes a SweepSpec in explorer.sweeps.spec (spec_from_form).
"""

from __future__ import annotations

import signal
import subprocess
from dataclasses import fields
from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from app import session
from app.navigation import use_st_navigation
from explorer import names
from explorer.game.config import TOYS, TrainConfig
from explorer.metrics.registry import headline_metrics
from explorer.plots.sweep import stability_figure
from explorer.runs import run_folder
from explorer.runs.run_folder import SWEEPS_SUBDIR
from explorer.sweeps import maps
from explorer.sweeps.demo_sweep import DEMO_SWEEP, DEMO_SWEEP_NOTE
from explorer.sweeps.process import log_tail, start_sweep_process, stop_sweep_process
from explorer.sweeps.spec import (
    MAX_PAGE_STEPS,
    MAX_PAGE_TRIALS,
    NO_AXIS,
    SUGGESTED,
    SweepSpec,
    SweepSpecError,
    spec_from_form,
)
from explorer.sweeps.sweep_folder import (
    SweepInfo,
    create_sweep,
    figure_labels,
    is_running,
    list_sweeps,
    read_progress,
    read_results,
)

use_st_navigation()  # first: see app/navigation.py

REPLAY_PAGE = "pages/replay.py"
REPLAY_KEY = "replay_run"  # the run pages/replay.py shows
SWEEP_KEY = "sweeps_pick"  # the sweep shown (also ?sweep=NAME)
CELL_KEY = "sweeps_cell"  # (sweep, x label, y label) of the cell last clicked: its seeds are offered for replay
JUMP_KEY = "sweeps_jump"  # a run to replay now (a click on a cell of one seed)
FLASH_KEY = "sweeps_flash"  # (kind, message) of the last action, shown once
FORM_KEY = "sweeps_form"
# The settings the form offers as axes (values to start from: SUGGESTED; its limits: MAX_PAGE_TRIALS and
# MAX_PAGE_STEPS, both in explorer/sweeps/spec.py).
FORM_FIELDS = ("lr_d", "lr_g", "loss", "k", "optimizer", "batch_size", "momentum", "dropout", "g_hidden",
               "d_hidden", "z_dim", "prior")
REFRESH_SECONDS = 1.0
_LABELS = {f.name: f.metadata.get("label", f.name) for f in fields(TrainConfig)}


def field_title(name: str) -> str:
    """"D's learning rate (lr_d)": a setting as the sidebar names it, with the name the CLI and tables use."""
    label = _LABELS.get(name)
    return f"{label} ({name})" if label and label != name else name


def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def show_flash() -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        getattr(st, flash[0])(flash[1])


# ------------------------------------------------------------------------------------------ processes

@st.cache_resource(show_spinner=False)
def _processes() -> dict[str, subprocess.Popen]:
    """The sweep processes this server started, by sweep folder: polled, so an ended one is reaped and its exit
    code known."""
    return {}


def _alive(path: Path) -> subprocess.Popen | None:
    proc = _processes().get(str(path))
    return proc if proc is not None and proc.poll() is None else None


def running(path: Path) -> bool:
    """A process drives the sweep (it holds the sweep's lock), or one this server started is still starting."""
    return is_running(path) or _alive(path) is not None


def _start(path: Path) -> None:
    _processes()[str(path)] = start_sweep_process(path)


def _stop(path: Path) -> None:
    if stop_sweep_process(path):
        _flash("info", "Stopping the sweep: the trials that ended stay recorded; Resume goes on with the rest.")
    elif (proc := _alive(path)) is not None:  # still starting (no lock yet): stop it as Ctrl-C would
        proc.send_signal(signal.SIGINT)
        _flash("info", "Stopped the sweep before its first trial started.")
    else:
        _flash("warning", "No process was running this sweep.")


def _resume(path: Path) -> None:
    if running(path):
        _flash("warning", "This sweep is already running.")
        return
    try:
        _start(path)
    except OSError as e:
        _flash("error", f"Could not start the sweep process: {e}")
        return
    _flash("success", "Resumed: the trials with no result yet are training on the local Ray.")


# ------------------------------------------------------------------------------------------ picking a sweep

def _picked() -> None:
    st.query_params["sweep"] = st.session_state[SWEEP_KEY]


def pick(sweeps: list[SweepInfo], runs_dir: Path) -> SweepInfo:
    """The sweep picker (?sweep=NAME in the URL selects one; the first is the newest of the user's)."""
    by_name = {s.name: s for s in sweeps}
    wanted = st.query_params.get("sweep") or st.session_state.get(SWEEP_KEY)
    if wanted and wanted not in by_name:
        st.warning(f"There is no sweep {session.plain(wanted)} in {runs_dir / run_folder.SWEEPS_SUBDIR} or among the "
                   f"bundled ones (deleted, or renamed?): showing another.")
    if st.session_state.get(SWEEP_KEY) not in by_name or (wanted in by_name and wanted != st.session_state[SWEEP_KEY]):
        st.session_state[SWEEP_KEY] = wanted if wanted in by_name else next(iter(by_name))

    def label(name: str) -> str:
        s = by_name[name]
        return name + (" (bundled)" if s.demo else "") + (" (damaged)" if s.error else "")

    name = st.selectbox("Sweep", list(by_name), key=SWEEP_KEY, on_change=_picked, format_func=label,
                        help=f"Your sweeps in {runs_dir / run_folder.SWEEPS_SUBDIR}, newest first, then the bundled "
                             "one.")
    if st.query_params.get("sweep") != name:
        st.query_params["sweep"] = name
    return by_name[name]


def describe(info: SweepInfo) -> None:
    spec = info.spec
    grid = " × ".join(f"{_LABELS.get(k, k)} ∈ {{{', '.join(str(names.cell_label(k, x)) for x in v)}}}"
                      for k, v in spec.grid) or "no grid"
    seeds = ", ".join(map(str, spec.seeds))
    st.markdown(f"**{spec.name}**{' · bundled' if info.demo else ''} · {names.label('dataset', spec.dataset)} · "
                f"{grid} · seeds {seeds} · "
                f"{spec.steps:,} steps each · {spec.n_trials()} trials")
    if info.demo and spec.name == DEMO_SWEEP.name:
        st.markdown(DEMO_SWEEP_NOTE)


# ------------------------------------------------------------------------------------------ progress

def progress(info: SweepInfo, drawn: tuple[bool, int]) -> None:
    """A running sweep's progress, redrawn every REFRESH_SECONDS while it runs (a fragment); the whole page is
    drawn again when a trial ends or the sweep stops, so the map fills in. `drawn` = (running, trials ended) as
    the page was drawn. A stopped sweep with trials to go gets Resume; a sweep whose process died, its log."""
    path, spec = info.path, info.spec

    @st.fragment(run_every=REFRESH_SECONDS if drawn[0] else None)
    def live() -> None:
        if not path.is_dir():
            st.rerun()
        now = running(path)
        try:
            ended = len(read_results(path, spec))
        except (SweepSpecError, OSError):
            ended = drawn[1]
        if (now, ended) != drawn:
            st.rerun()  # the whole page: the map, the table and the buttons change
        prog = read_progress(path)
        total, steps = spec.n_trials(), spec.steps
        if now:
            training = prog.get("running") or {}
            done = min(total * steps, ended * steps + sum(int(v) for v in training.values()))
            with st.container(key="sweeps_progress"):
                st.progress(ended / total, text=f"{ended} of {total} trials ended")
                st.progress(done / (total * steps), text=f"about {done:,} of {total * steps:,} steps trained · "
                            + (f"{len(training)} trials training" if training else "starting Ray…"))
                st.button("Stop the sweep", key="sweeps_stop", on_click=_stop, args=(path,), icon=":material/stop:",
                          help="As Ctrl-C: the trials that ended stay recorded; Resume goes on with the others.")
            return
        proc = _processes().get(str(path))
        # Ended by an error (Ray could not start, ...): not by Stop, whose Ctrl-C ends it with 130 or -SIGINT.
        failed = proc is not None and proc.returncode not in (None, 0, 130, -signal.SIGINT)
        if ended < total:
            st.caption(f"Stopped with {total - ended} of {total} trials to go.")
            st.button("Resume the sweep", key="sweeps_resume", on_click=_resume, args=(path,),
                      icon=":material/play_arrow:", help="Train the trials with no result yet, on the local Ray.")
        tail = log_tail(path)
        if failed or (tail and prog.get("state") in ("starting", "running")):
            st.error("The sweep's process ended with an error; the end of its log (sweep.log in the sweep's folder):")
            st.code(tail or "(no log)", language=None)
        elif tail:
            with st.expander("The sweep's log"):
                st.code(tail, language=None)

    live()


# ------------------------------------------------------------------------------------------ the map

def _ask_replay(run: str) -> None:
    st.session_state[JUMP_KEY] = run


def follow_replay() -> None:
    """Open the Replay page on the run a click asked for (buttons and the chart only ask, in their callbacks: a
    page switch happens in the script)."""
    run = st.session_state.pop(JUMP_KEY, None)
    if run:
        st.session_state[REPLAY_KEY] = run
        st.switch_page(REPLAY_PAGE, query_params={"run": run})



def _clicked(chart_key: str, sweep: str, runs_by_cell: dict[tuple[str, str], tuple[str, ...]]) -> None:
    """The chart's on_select: remember the cell clicked; a cell of one run is replayed at once."""
    points = st.session_state[chart_key]["selection"]["points"]
    cell = maps.cell_of_point(points[-1]) if points else None
    if cell is None or cell not in runs_by_cell:
        return  # a click that deselected, or on a cell whose trials have not ended
    st.session_state[CELL_KEY] = (sweep, *cell)
    if len(runs_by_cell[cell]) == 1:
        st.session_state[JUMP_KEY] = runs_by_cell[cell][0]


def _choose(label: str, options: list[str], key: str, **kwargs) -> str:
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    return st.selectbox(label, options, key=key, **kwargs)


def stability(info: SweepInfo, results: pd.DataFrame) -> None:
    """The map of a chosen figure over two chosen hyperparameters (others fixed at a chosen value), the sentence
    on how to read it, and the selected cell's seeds to replay."""
    spec, name = info.spec, info.name
    axes = spec.axes
    if not axes:
        st.info("This sweep varies only the seed: there is no map to draw. The table below has its trials.")
        return
    figures = maps.offered_figures(results) or ["js"]
    # The figure that tells most first: a metric's headline (Frechet distance for images, modes for the
    # mixtures), else JS.
    first = next((m.headline for m in headline_metrics() if m.headline in figures),
                 "js" if "js" in figures else figures[0])
    figures = [first] + [f for f in figures if f != first]
    levels = {a: [t.params[a] for t in spec.trials()] for a in axes}
    c = st.columns([2, 2, 2] + [2] * (len(axes) - 2))
    with c[0]:
        figure = _choose("Figure", figures, f"sweeps_figure__{name}", format_func=lambda f: figure_labels().get(f, f))
    with c[1]:
        x = _choose("Across (x)", axes, f"sweeps_x__{name}", format_func=field_title)
    y = None
    if len(axes) > 1:
        with c[2]:
            y = _choose("Down (y)", [a for a in axes if a != x], f"sweeps_y__{name}", format_func=field_title)
    fixed = {}
    for i, other in enumerate(a for a in axes if a not in (x, y)):
        with c[3 + i]:
            options = [maps.value_label(v) for v in maps.axis_levels(levels[other])]
            fixed[other] = _choose(f"with {_LABELS.get(other, other)} =", options, f"sweeps_fixed__{name}__{other}",
                                   format_func=lambda v, o=other: names.cell_label(o, v),
                                   help=f"The map shows the trials with this value of `{other}`; pick another to "
                                        "see theirs.")
    smap = maps.stability_map(results, figure, x, y, fixed=fixed, levels=levels)
    better = "lower" if smap.lower_is_better else "higher"
    seeds = len(spec.seeds)
    st.markdown(f"Each cell is the mean over {seeds} seed{'s' if seeds > 1 else ''} of **{smap.label}** after "
                f"{spec.steps:,} steps on {names.label('dataset', spec.dataset)}; darker is better ({better}); "
                "✕ diverged, ! failed, … not ended yet. Hover a cell for each seed's value; click it to replay "
                "its run.")
    selected = st.session_state.get(CELL_KEY)
    highlight = tuple(selected[1:]) if selected and selected[0] == name else None
    fields_of = {"x": x, "y": y}
    fig = stability_figure(smap.cells, smap.label, field_title(x), field_title(y) if y else None,
                           smap.lower_is_better, highlight=highlight,
                           tick_label=lambda axis, level: names.cell_label(fields_of[axis], level))
    chart_key = f"sweeps_map__{name}"
    runs_by_cell = {(r.x_label, r.y_label): r.runs for r in smap.cells.itertuples() if r.runs}
    with st.container(key="sweeps_map"):
        st.plotly_chart(fig, key=chart_key, on_select=partial(_clicked, chart_key, name, runs_by_cell),
                        selection_mode="points", width="content", config={"displayModeBar": False})
    if highlight is not None:
        cell = smap.cell(*highlight)
        if cell is not None and cell["runs"]:
            _cell_runs(cell, smap, x, y)


def _cell_runs(cell: pd.Series, smap: maps.StabilityMap, x: str, y: str | None) -> None:
    """The selected cell's seeds, one Replay button each."""
    where = (f"{_LABELS.get(x, x)} = {names.cell_label(x, cell['x_label'])}"
             + (f" · {_LABELS.get(y, y)} = {names.cell_label(y, cell['y_label'])}" if y else ""))
    summary = (f"{smap.label} {cell['mean']:.3g}" + (f" ± {cell['std']:.3g}" if cell["n"] > 1 else "")
               + f" over {cell['n']} seed{'s' if cell['n'] != 1 else ''}") if cell["n"] else cell["status"]
    with st.container(key="sweeps_cell_runs"):
        st.markdown(f"**{where}**: {summary}. Replay a seed:")
        with st.container(horizontal=True):
            for run, seed, value, state in zip(cell["runs"], cell["seeds"], cell["values"], cell["states"],
                                               strict=True):
                shown = f"{value:.3g}" if state == "finished" and value == value else names.label("state", state)
                st.button(f"Seed {seed} · {shown}", key=f"sweeps_replay_seed{seed}", help=f"Replay {run}",
                          on_click=_ask_replay, args=(run,))


def table(results: pd.DataFrame, spec: SweepSpec) -> None:
    if results.empty:
        return
    figures = maps.offered_figures(results)
    columns = ["run", "state", *spec.axes, "seed", "step", *figures, "seconds"]
    if results["error"].notna().any():
        columns.append("error")
    labels = figure_labels()
    config = {"run": st.column_config.TextColumn("Run", pinned=True), "state": "State", "seed": "Seed",
              "step": st.column_config.NumberColumn("Steps", format="%d"),
              "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
              "error": st.column_config.TextColumn("Why", width="large"),
              **{a: st.column_config.Column(_LABELS.get(a, a), help=field_title(a)) for a in spec.axes},
              **{f: st.column_config.NumberColumn(labels[f], format="%.3g") for f in figures}}
    shown = results[columns].copy()
    for column in ("state", *spec.axes):  # codes (a state, a loss) read as names.py names them
        shown[column] = shown[column].map(lambda v, c=column: names.cell_label(c, v))
    st.dataframe(shown, hide_index=True, column_config=config, key="sweeps_table")


def show(info: SweepInfo) -> None:
    """A sweep: what it is, its progress, its map and its results table; or why it cannot be read."""
    if info.error:
        st.error(f"This sweep cannot be read: {info.error}", icon=":material/error:")
        return
    describe(info)
    try:
        results = read_results(info.path, info.spec)
    except SweepSpecError as e:
        st.error(str(e), icon=":material/error:")
        return
    except OSError as e:  # removed or made unreadable since it was listed
        st.error(f"{info.path} cannot be read any more ({e.strerror or e}): reload the page.")
        return
    now = not info.demo and running(info.path)
    if not info.demo:
        progress(info, (now, len(results)))
    if results.empty:
        st.info("No trial has ended yet: the map fills in as trials end." if now else
                "No trial of this sweep has ended yet: Resume trains them.")
    stability(info, results)
    table(results, info.spec)


# ------------------------------------------------------------------------------------------ a new sweep

def _form_value(key: str, default=None):
    return st.session_state.get(f"{FORM_KEY}_{key}", default)


def _submit(runs_dir: Path) -> None:
    axes = [(_form_value("x"), _form_value("x_values", "")), (_form_value("y"), _form_value("y_values", ""))]
    try:
        spec = spec_from_form(_form_value("name", ""), _form_value("dataset"), axes, _form_value("seeds", ""),
                              int(_form_value("steps", 0)))
        path, spec = create_sweep(runs_dir, spec)
    except SweepSpecError as e:
        _flash("error", f"Not started: {e}")
        return
    except OSError as e:
        _flash("error", f"Not started: could not write the sweep's folder ({e.strerror or e}).")
        return
    try:
        _start(path)
    except OSError as e:
        _flash("error", f"The sweep {spec.name} was made but its process could not start ({e}): Resume it below.")
    else:
        _flash("success", f"Started the sweep {spec.name}: {spec.n_trials()} trials of {spec.steps:,} steps on the "
                          f"local Ray. The map fills in as trials end; you can leave the page meanwhile.")
    st.session_state[SWEEP_KEY] = spec.name
    st.query_params["sweep"] = spec.name


def start_form(runs_dir: Path, expanded: bool) -> None:
    """A small sweep of a toy: two hyperparameters with their values, seeds and steps, within the page's limits."""
    with st.expander("Start a sweep", expanded=expanded, icon=":material/add:"):
        st.caption(f"Every combination of the values × the seeds is one trial, an ordinary run, trained on a local Ray "
                   f"with this machine's cores. Up to {MAX_PAGE_TRIALS} trials of up to {MAX_PAGE_STEPS:,} steps here; "
                   "`python -m explorer sweep --help` for larger sweeps, presets and Ray clusters.")
        with st.form(FORM_KEY, border=False):
            c1, c2 = st.columns(2)
            c1.selectbox("Data set", list(TOYS), index=TOYS.index("ring8"), key=f"{FORM_KEY}_dataset",
                         format_func=lambda d: names.label("dataset", d))
            c2.text_input("Name (optional)", key=f"{FORM_KEY}_name", placeholder="DATASET-sweep-DATE")
            c1, c2 = st.columns([1, 2])
            c1.selectbox("First hyperparameter", FORM_FIELDS, key=f"{FORM_KEY}_x", format_func=field_title)
            c2.text_input("Its values", SUGGESTED["lr_d"], key=f"{FORM_KEY}_x_values",
                          help="Comma-separated, e.g. 1e-4,3e-4,1e-3 or minimax,non_saturating")
            c1, c2 = st.columns([1, 2])
            c1.selectbox("Second hyperparameter", (NO_AXIS, *FORM_FIELDS), index=1 + FORM_FIELDS.index("loss"),
                         key=f"{FORM_KEY}_y", format_func=lambda f: f if f == NO_AXIS else field_title(f))
            c2.text_input("Its values", SUGGESTED["loss"], key=f"{FORM_KEY}_y_values")
            c1, c2 = st.columns(2)
            c1.text_input("Seeds", "0,1", key=f"{FORM_KEY}_seeds", help="0,1,2 or a range 0-4")
            c2.number_input("Steps per trial", 1, MAX_PAGE_STEPS, 500, step=100, key=f"{FORM_KEY}_steps")
            st.form_submit_button("Start the sweep", type="primary", on_click=_submit, args=(runs_dir,),
                                  icon=":material/play_arrow:")


def page() -> None:
    follow_replay()  # a cell or a seed was clicked: its run opens in Replay
    st.title("Sweeps")
    reg = session.registry()
    st.caption("A sweep trains every combination of a few settings × seeds, each an ordinary run (the Runs and "
               "Replay pages open them), on a local Ray. Its stability map shows where training converges, where G "
               "collapses to a few modes and where it diverges.")
    show_flash()
    sweeps = list_sweeps(reg.runs_dir)
    if not sweeps:
        st.info(f"No sweeps yet: `{reg.runs_dir / SWEEPS_SUBDIR}` holds none and no bundled sweep was found. Start a "
                "small one below, or in a terminal: `python -m explorer sweep --dataset ring8 --grid lr_d=1e-4,1e-3,"
                "1e-2 --grid loss=minimax,non_saturating --seeds 0,1 --steps 500`.", icon=":material/info:")
    else:
        show(pick(sweeps, reg.runs_dir))
    st.divider()
    start_form(reg.runs_dir, expanded=not sweeps)


page()
