"""Runs: every run on disk (and the bundled demos) in one table. Select one to open, replay, resume, rename,
delete, copy or download it; select several to overlay their curves. A zip made by Export is imported here.

The page's parts: the filtered run table and its selection, one run's actions and downloads, several runs
compared, and the import of an uploaded zip. The table is explorer.runs.catalog.run_table and the figures are
explorer.plots.compare: this page only wires them to widgets. Actions run in button callbacks, before the page is
drawn again, so the table always shows their result (and a button read by its value would lose its click to the
rerun of app/navigation.py in AppTest). The GIF and MP4 are made in the background by app/media.py.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd
import streamlit as st

from app import session
from app.media import MEDIA_JOB_KEY, MEDIA_KEY, MediaJob, file_bytes, media_progress
from app.navigation import use_st_navigation
from explorer import names
from explorer.lessons.demo_runs import DEMOS
from explorer.plots import style
from explorer.plots.compare import band_figure, overlay_figure
from explorer.runs import catalog, exporters
from explorer.runs.exporters import ExportError
from explorer.runs.importer import ArchiveError
from explorer.runs.registry import RunRegistry
from explorer.runs.run_folder import (
    CONFIG_FILE,
    EVALS_FILE,
    CheckpointError,
    RunFileError,
    RunFolder,
    RunLockedError,
    read_config,
)
from explorer.runs.snapshot import Snapshot

use_st_navigation()  # first: see app/navigation.py

REPLAY_PAGE = "pages/replay.py"
REPLAY_KEY = "replay_run"  # the run pages/replay.py shows
TABLE_KEY = "runs_table"  # the table's selection ({"selection": {"rows": [...]}})
SHOWN_KEY = "runs_shown"  # the run names in the table's rows as last drawn: rows -> names
SELECT_KEY = "runs_select"  # names to select on the next draw (after a rename or a copy)
FLASH_KEY = "runs_flash"  # (kind, message) of the last action, shown once
CONFIRM_KEY = "runs_confirm_delete"  # the run the delete dialog asks about
UPLOAD_KEY = "runs_upload"
IMPORTED_KEY = "runs_imported"  # file ids already imported: the uploader hands the same file to every rerun
IMPORT_FLASH_KEY = "runs_import_flash"  # (kind, message) of the last import, shown under the uploader
NEW_NAME_KEY = "runs_new_name"
SMOOTHING = (1, 5, 10, 25, 50, 100, 250, 500)

COLUMN_CONFIG = {
    "name": st.column_config.TextColumn("Run", pinned=True),
    "state": st.column_config.TextColumn("State", help="finished: reached its steps; stopped: can be resumed; "
                                                       f"bundled demo: read-only; damaged: {CONFIG_FILE} unreadable"),
    "dataset": "Data set", "model": st.column_config.TextColumn("Model", help="The network family used"),
    "loss": "Loss", "k": st.column_config.NumberColumn("k", help="D steps per G step"),
    "lr_d": st.column_config.NumberColumn("lr D", format="%g"),
    "lr_g": st.column_config.NumberColumn("lr G", format="%g"),
    "steps": st.column_config.NumberColumn("Steps", help="The last checkpointed step (a live run: its step now)"),
    "best_metric": st.column_config.TextColumn("Best metric", help=f"From {EVALS_FILE}: the lowest Frechet "
                                                                   "distance, the most modes covered, or the best "
                                                                   "score"),
    "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm",
                                               help="The oldest file in the run folder: when the run was made "
                                                    "(or imported, or copied)"),
    "size_mb": st.column_config.NumberColumn("Size", format="%.1f MB", help="Every file in the run folder"),
    "seed": "Seed",
    "sweep": st.column_config.TextColumn("Sweep", help="The sweep this run is a trial of (the Sweeps page maps it); "
                                                       "empty for a run of its own"),
    "reason": st.column_config.TextColumn("Problem", width="medium"),
}


def _flash(kind: str, message: str, key: str = FLASH_KEY) -> None:
    st.session_state[key] = (kind, message)


def show_flash(key: str = FLASH_KEY) -> None:
    """The last action's message, once, as plain text (it can quote a name from an uploaded zip)."""
    flash = st.session_state.pop(key, None)
    if flash:
        getattr(st, flash[0])(session.as_text(flash[1]))


@st.cache_data(show_spinner=False, max_entries=64)
def _read_cached(path: str, evals: bool, mtime: float, size: int) -> pd.DataFrame:
    folder = RunFolder(path)
    return folder.read_evals() if evals else folder.read_metrics()


def _read_curves(path: Path, evals: bool = False) -> pd.DataFrame:
    """A run's metrics (per step), or with `evals` its in-training metrics, cached by the file's time and size (a
    rerun reads nothing again; a live run's growing file is read again). Empty when missing; RunFileError when
    damaged."""
    folder = RunFolder(path)
    try:
        stat = (folder.evals_file if evals else folder.metrics_file).stat()
    except FileNotFoundError:
        return pd.DataFrame()
    return _read_cached(str(path), evals, stat.st_mtime, stat.st_size)


# ------------------------------------------------------------------------------------------ actions

def _refusal(e: Exception) -> str:
    return str(e) if isinstance(e, (catalog.CatalogError, RunLockedError)) else f"{type(e).__name__}: {e}"


def _resume(reg: RunRegistry, name: str, path: str) -> None:
    reg.forget(name)  # a run this server stopped earlier: start it afresh from its folder
    try:
        runner = reg.open(path).start()
    except (RunLockedError, CheckpointError, RunFileError, OSError) as e:
        _flash("error", f"Could not resume {name}: {_refusal(e)}")
        return
    session.attach(name)
    _flash("success", f"Resumed {name} from step {runner.snapshot().step}: it trains in the background; "
                      f"Open in Train shows it live.")


def _rename(reg: RunRegistry, old: str) -> None:
    new = st.session_state.get(NEW_NAME_KEY, "").strip()
    if not new:
        _flash("error", "Type the new name first.")
        return
    try:
        target = catalog.rename_run(reg.runs_dir, old, new)
    except (catalog.CatalogError, RunLockedError, OSError) as e:
        _flash("error", _refusal(e))
        return
    reg.forget(old)
    if st.session_state.get(session.RUN_KEY) == old:
        session.attach(target.name)
    st.session_state[SELECT_KEY] = [target.name]
    st.session_state[NEW_NAME_KEY] = ""
    _flash("success", f"Renamed {old} to {target.name}.")


def _ask_delete(name: str) -> None:
    st.session_state[CONFIRM_KEY] = name


def _cancel_delete() -> None:
    st.session_state.pop(CONFIRM_KEY, None)


def _delete(reg: RunRegistry, name: str) -> None:
    st.session_state.pop(CONFIRM_KEY, None)
    try:
        catalog.delete_run(reg.runs_dir, name)
    except (catalog.CatalogError, RunLockedError, OSError) as e:
        _flash("error", _refusal(e))
        return
    reg.forget(name)
    if st.session_state.get(session.RUN_KEY) == name:
        session.attach(None)
    _flash("success", f"Deleted {name}.")


@st.dialog("Delete this run?", on_dismiss=_cancel_delete)
def _confirm_delete(reg: RunRegistry, name: str, size_bytes: int, steps: int) -> None:
    if st.session_state.get(CONFIRM_KEY) != name:  # answered (the buttons' callbacks ran): close, show the result
        st.rerun()
    st.markdown(f"**{name}** ({size_bytes / 1e6:,.1f} MB, {steps:,} steps) will be removed from `{reg.runs_dir}` "
                f"with its checkpoints, samples and metrics. This cannot be undone.")
    c1, c2 = st.columns(2)
    c1.button("Delete", key="runs_delete_confirm", type="primary", width="stretch", on_click=_delete,
              args=(reg, name))
    c2.button("Cancel", key="runs_delete_cancel", width="stretch", on_click=_cancel_delete)


def _copy(reg: RunRegistry, name: str) -> None:
    try:
        target = catalog.copy_demo(reg.runs_dir, name)
    except (catalog.CatalogError, OSError) as e:
        _flash("error", _refusal(e))
        return
    st.session_state[SELECT_KEY] = [target.name]
    _flash("success", f"Copied the demo {name} to your runs as {target.name}: resume, rename or delete it there.")


def _import() -> None:
    """The uploader's on_change: import a file once (reruns hand the same file back; its id says so)."""
    upload = st.session_state.get(UPLOAD_KEY)
    done = st.session_state.setdefault(IMPORTED_KEY, set())
    if upload is None or upload.file_id in done:
        return
    done.add(upload.file_id)
    try:
        target = catalog.import_upload(upload.name, upload.getvalue(), session.registry().runs_dir)
    except ArchiveError as e:
        _flash("error", str(e), IMPORT_FLASH_KEY)
        return
    except OSError as e:  # a full disk while extracting: import_zip removed what it wrote
        _flash("error", f"Could not import {upload.name}: {e.strerror or e}. Nothing was imported.", IMPORT_FLASH_KEY)
        return
    st.session_state[SELECT_KEY] = [target.name]
    _flash("success", f"Imported {upload.name} as the run {target.name} (selected in the table above).",
           IMPORT_FLASH_KEY)


# ------------------------------------------------------------------------------------------ downloads

def _make_media(name: str, path: str) -> None:
    st.session_state.pop(MEDIA_KEY, None)
    st.session_state[MEDIA_JOB_KEY] = MediaJob(name, Path(path))


def _downloads(row: pd.Series) -> None:
    """The zip and the CSV are built when their button is pressed (a callable `data`); the GIF and MP4, which
    take longer and can fail with a message (a toy run without frames), when "Make GIF and MP4" is."""
    name, path = row["name"], Path(row["path"])
    st.markdown("**Downloads**")
    c1, c2, c3 = st.columns(3)
    c1.download_button("Run folder (.zip)", data=partial(file_bytes, exporters.export_zip, path),
                       file_name=f"{name}.zip", mime="application/zip", on_click="ignore", key="runs_dl_zip",
                       width="stretch", help="The whole run (config, metrics, samples, checkpoints): import it "
                                             "here or with `python -m explorer import`.")
    metrics_file = RunFolder(path).metrics_file
    has_metrics = metrics_file.is_file()
    c2.download_button("Metrics (.csv)", data=partial(file_bytes, exporters.export_metrics_csv, path),
                       file_name=f"{name}-metrics.csv", mime="text/csv", on_click="ignore", key="runs_dl_csv",
                       width="stretch", disabled=not has_metrics,
                       help="One row per step." if has_metrics else f"This run has no {metrics_file.name} yet.")
    job = st.session_state.get(MEDIA_JOB_KEY)
    c3.button("Make GIF and MP4", key="runs_make_media", on_click=_make_media, args=(name, str(path)),
              width="stretch", disabled=job is not None,
              help="The sample grids over training, one frame per saved grid (one run's at a time; the page "
                   "stays usable meanwhile).")
    if job is not None:  # another run's, too: it says whose, and its files wait for that run to be opened
        media_progress()
    try:
        exporters.require("mp4")
        mp4_missing = None
    except ExportError as e:
        mp4_missing = str(e)
    media = st.session_state.get(MEDIA_KEY)
    if media and media["run"] == name:
        c4, c5 = st.columns(2)
        for col, kind, mime in ((c4, "gif", "image/gif"), (c5, "mp4", "video/mp4")):
            error = media.get(f"{kind}_error")
            if kind in media:
                col.download_button(f"Samples over training (.{kind})", data=media[kind], mime=mime,
                                    file_name=f"{name}.{kind}", on_click="ignore", key=f"runs_dl_{kind}",
                                    width="stretch")
            elif kind == "gif" or (error != mp4_missing and error != media.get("gif_error")):  # each reason once
                col.error(error)
    if mp4_missing:
        st.caption(mp4_missing)


# ------------------------------------------------------------------------------------------ one run

def one_run(reg: RunRegistry, row: pd.Series, live: dict[str, Snapshot]) -> None:
    """One run's name, what is wrong with it, its actions and its downloads."""
    name, state, demo, sweep = row["name"], row["state"], bool(row["demo"]), row["sweep"]
    damaged, running = state == "damaged", name in live
    st.subheader(name)
    if demo and name in DEMOS:
        st.caption(f"Demo run: {DEMOS[name].note}")
    if damaged:
        st.warning(f"This run is damaged: {row['reason']} Only Delete works on it.", icon=":material/warning:")
    elif row["reason"]:
        st.caption(row["reason"])
    if sweep:
        st.caption(f"A trial of the sweep {sweep}: its results table names it, so it keeps its name and is deleted "
                   "only with its sweep. The Sweeps page maps it beside the other trials.")
    busy = "It is training (or held paused) in this app: stop it on the Train page first."
    in_sweep = f"Part of the sweep {sweep}: its results table names this run." if sweep else None
    c = st.columns(5)
    if c[0].button("Open in Train", key="runs_open", width="stretch", disabled=demo or damaged,
                   help="A demo opens in Replay, or in Train once copied to your runs." if demo else None):
        session.attach(name)
        st.switch_page(session.TRAIN_PAGE)
    if c[1].button("Replay", key="runs_replay", width="stretch", disabled=damaged,
                   help="Play it back: the samples or the toy's figure at any step, and the curves up to it."):
        # The Replay page's own run (a demo must not become the Train page's attached run).
        st.session_state[REPLAY_KEY] = name
        st.query_params["run"] = name
        st.switch_page(REPLAY_PAGE)
    resume_help = ("Demos are read-only: copy it to your runs first." if demo else busy if running else
                   "It reached its steps: `python -m explorer train --resume RUN_DIR --steps N` trains it further."
                   if state == "finished" else "Continue training from its last checkpoint, in the background.")
    c[2].button("Resume", key="runs_resume", width="stretch", on_click=_resume, args=(reg, name, row["path"]),
                disabled=demo or damaged or running or state == "finished", help=resume_help)
    c[3].button("Delete…", key="runs_delete", width="stretch", on_click=_ask_delete, args=(name,),
                disabled=demo or running or bool(sweep), help="Demos are read-only." if demo else busy if running
                else in_sweep or "Asks first.")
    if demo:
        c[4].button("Copy to my runs", key="runs_copy", width="stretch", on_click=_copy, args=(reg, name),
                    help="A copy in your runs folder, as an ordinary run you can resume, rename and delete.")
    else:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            fixed = damaged or running or bool(sweep)
            st.text_input("New name", key=NEW_NAME_KEY, placeholder=name, disabled=fixed, width=360,
                          help=busy if running else in_sweep or "Letters, digits, '-', '_' and '.'.")
            st.button("Rename", key="runs_rename", on_click=_rename, args=(reg, name), disabled=fixed,
                      help=in_sweep)
    if st.session_state.get(CONFIRM_KEY) == name:
        _confirm_delete(reg, name, int(row["size_bytes"]), int(row["steps"]))
    if not damaged:
        _downloads(row)


# ------------------------------------------------------------------------------------------ comparison

def compare(rows: pd.DataFrame) -> None:
    """Losses, D's outputs and the in-training metrics of several runs on shared axes, or grouped by seed."""
    usable = rows[rows["state"] != "damaged"]
    if len(usable) < len(rows):
        st.caption("Damaged runs are left out of the comparison.")
    if len(usable) < 2:
        return
    st.subheader(f"{len(usable)} runs compared")
    paths = dict(zip(usable["name"], usable["path"].map(Path), strict=True))
    metrics, evals = {}, {}
    for name, path in paths.items():
        try:
            metrics[name], evals[name] = _read_curves(path), _read_curves(path, evals=True)
        except RunFileError as e:
            st.warning(str(e))
    configs = {name: read_config(paths[name]) for name in metrics}
    groups = catalog.seed_groups(configs)
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    smooth = c1.select_slider("Smoothing (steps)", SMOOTHING, key="runs_smooth",
                              help="A trailing mean over this many steps, on every line.")
    losses = {column: label for column, label, _ in style.LOSS_TRACES}
    loss = c2.selectbox("Loss", list(losses), format_func=losses.get, key="runs_loss")
    grouped = c3.toggle("Group runs that differ only in seed (mean ± std)", key="runs_grouped",
                        disabled=all(len(names) == 1 for names in groups.values()),
                        help="Runs whose configs are equal in every field but the seed become one line, their mean, "
                             "in a band of ± one standard deviation across seeds.")

    def chart(curves: dict, column: str, title: str, y_title: str, key: str, **kwargs) -> None:
        if grouped:
            fig = band_figure({label: [curves[n] for n in names if n in curves] for label, names in groups.items()},
                              column, title, y_title, smooth=smooth, **kwargs)
        else:
            fig = overlay_figure(curves, column, title, y_title, smooth=smooth, **kwargs)
        st.plotly_chart(fig, key=key)

    chart(metrics, loss, losses[loss], "loss", "runs_cmp_loss")
    c1, c2 = st.columns(2)
    half = dict(reference=(0.5, "1/2 (p_g = p_data)"), y_range=(0, 1), height=260)
    with c1:
        chart(metrics, "d_x", "Mean D(x) on data", "D", "runs_cmp_d_x", **half)
    with c2:
        chart(metrics, "d_g_z", "Mean D(G(z)) on samples", "D", "runs_cmp_d_g_z", **half)
    columns = list(dict.fromkeys(c for frame in evals.values() for c in frame.columns if c != "step"))
    if not columns:
        st.caption("None of these runs tracked metrics while training (eval_interval = 0 on the Train page).")
    for i, column in enumerate(columns):
        if i % 2 == 0:
            pair = st.columns(2)
        with pair[i % 2]:
            chart(evals, column, names.metric_title(column), "", f"runs_cmp_{column}", height=260)


# ------------------------------------------------------------------------------------------ the table

def _keep_selection(names: list[str]) -> None:
    """Rows are positions: when the rows change (a filter, a rename, a new run) select the same runs again,
    or those an action asked for (SELECT_KEY)."""
    wanted = st.session_state.pop(SELECT_KEY, None)
    shown, state = st.session_state.get(SHOWN_KEY), st.session_state.get(TABLE_KEY)
    if wanted is None and shown is not None and shown != names and state is not None:
        wanted = [shown[i] for i in state["selection"]["rows"] if i < len(shown)]
    if wanted is not None:
        st.session_state[TABLE_KEY] = {"selection": {"rows": [names.index(n) for n in wanted if n in names],
                                                     "columns": [], "cells": []}}
    st.session_state[SHOWN_KEY] = names


def _filtered(runs: pd.DataFrame) -> pd.DataFrame:
    filters = [("dataset", "Data set"), ("state", "State")]
    if runs["sweep"].ne("").any():  # sweep trials are listed: filter by sweep ("" is a run of its own)
        filters.append(("sweep", "Sweep"))
    c1, *cols = st.columns([2] + [1] * len(filters))
    text = c1.text_input("Name contains", key="runs_filter_name", placeholder="filter by name")
    picked = {}
    for col, (column, label) in zip(cols, filters, strict=True):
        options = sorted(runs[column].dropna().unique())
        key = f"runs_filter_{column}"
        if key in st.session_state:  # a value whose last run was deleted is no longer an option
            st.session_state[key] = [v for v in st.session_state[key] if v in options]
        picked[column] = col.multiselect(label, options, key=key, placeholder="all",
                                         format_func=lambda v, c=column: names.cell_label(c, v) or "not in a sweep")
    keep = runs["name"].str.contains(text.strip(), case=False, regex=False)
    for column, values in picked.items():
        if values:
            keep &= runs[column].isin(values)
    return runs[keep].reset_index(drop=True)




def table(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The filters and the table of runs (catalog.run_table's frame); returns (the rows shown, the rows ticked)."""
    shown = _filtered(runs)
    _keep_selection(shown["name"].tolist())
    frame = shown.assign(size_mb=shown["size_bytes"].astype(float) / 1e6)
    for column in ("dataset", "model", "loss", "state"):  # codes read as names.py names them; filters keep the codes
        frame[column] = frame[column].map(lambda v, c=column: names.cell_label(c, v))
    columns = [c for c in COLUMN_CONFIG if c not in ("reason", "sweep") or frame[c].ne("").any()]
    event = st.dataframe(frame[columns], key=TABLE_KEY, on_select="rerun", selection_mode="multi-row",
                         hide_index=True, column_config=COLUMN_CONFIG)
    selected = shown.iloc[[i for i in event.selection.rows if i < len(shown)]]
    if len(selected) != 1 or st.session_state.get(CONFIRM_KEY) != selected.iloc[0]["name"]:
        _cancel_delete()  # the dialog asks about the one run selected, or not at all
    return shown, selected


def uploader() -> None:
    """Import a zip made by Export: checked by importer.import_zip, once per uploaded file."""
    st.file_uploader("Import a run (.zip made by Export)", type="zip", key=UPLOAD_KEY, on_change=_import,
                     help="The zip is checked before anything is written: only a run's own files, sizes within "
                          "limits, a valid config, checkpoints that load safely. It becomes a run like any other.")
    show_flash(IMPORT_FLASH_KEY)


def page() -> None:
    st.title("Runs")
    reg = session.registry()
    st.caption(f"Every run in `{reg.runs_dir}` (the trials of your sweeps too) and the bundled demos. Select one to "
               "open, resume, rename, delete or download it; select two or more to compare their curves.")
    show_flash()
    live = reg.live_snapshots()
    runs = catalog.run_table(reg.runs_dir, live_states={n: s.state for n, s in live.items()},
                             live_steps={n: s.step for n, s in live.items()})
    if runs.empty:
        st.info(f"No runs yet: `{reg.runs_dir}` holds none and no demo runs are bundled. Train one, or import a "
                "zip made by Export below.", icon=":material/info:")
        st.page_link(session.TRAIN_PAGE, label="Open the Train page", icon=":material/model_training:")
    else:
        mine = runs[~runs["demo"]]
        st.markdown(f"{len(mine)} runs · {len(runs) - len(mine)} demos · "
                    f"{mine['size_bytes'].sum() / 1e6:,.1f} MB of yours on disk")
        shown, selected = table(runs)
        if shown.empty:
            st.caption("No run matches these filters.")
        elif selected.empty:
            st.caption("Tick a run's row to act on it; tick two or more to compare them.")
        elif len(selected) == 1:
            one_run(reg, selected.iloc[0], live)
        else:
            compare(selected)
    st.divider()
    uploader()


page()
