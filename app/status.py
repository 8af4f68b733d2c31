"""A run's state in one line, with an icon per state, and what went wrong with it (Home, Train, the toy pages)."""

from __future__ import annotations

import streamlit as st

from explorer import names
from explorer.runs.snapshot import Snapshot
from explorer.runs.state import RunState

# Material icons (rendered by Streamlit's own font, so they show in any browser, unlike emoji).
STATE_ICONS = {RunState.LOADING: ":material/hourglass_top:", RunState.READY: ":material/radio_button_unchecked:",
               RunState.RUNNING: ":green[:material/play_circle:]", RunState.PAUSED: ":orange[:material/pause_circle:]",
               RunState.DIVERGED: ":red[:material/warning:]", RunState.FINISHED: ":green[:material/check_circle:]",
               RunState.STOPPED: ":material/stop_circle:", RunState.ERROR: ":red[:material/error:]"}


def step_of(snap: Snapshot, brief: bool = False) -> str:
    """'step **1,234** / 3,000'; a run with no step limit says, while it lasts, what ends it."""
    if snap.config.steps:
        total = f" / {snap.config.steps:,}"
    elif snap.alive:
        total = " (runs until Stop)" if brief else " (no step limit: runs until you press Stop)"
    else:
        total = ""
    return f"step **{snap.step:,}**{total}"


def status_line(snap: Snapshot, brief: bool = False) -> str:
    """The state, the step and, for a toy, how far the game is from its optimum; `brief` (presentation mode, a
    column of Side by side) leaves out the speed, device and learning rates."""
    parts = [f"{STATE_ICONS.get(snap.state, '')} **{names.label('state', snap.state)}**", step_of(snap, brief)]
    if not brief:
        parts += [f"{snap.steps_per_s:,.0f} steps/s", f"{snap.elapsed:,.1f} s elapsed",
                  snap.device or "device: (loading)", f"lr_d {snap.lr_d:g} · lr_g {snap.lr_g:g} · k {snap.k}"]
    if snap.toy_history:
        last = snap.toy_history[-1]
        parts.append(f"JS ≈ {last.js:.3f} nats · D on data {last.d_on_data:.2f}")
    return " · ".join(parts)


def show_problems(snap: Snapshot) -> None:
    """Why the run diverged, failed or paused on a failed write, and a warning about the game while it lasts."""
    if snap.state is RunState.DIVERGED:
        st.error(snap.error or "Training diverged.", icon=":material/local_fire_department:")
    elif snap.state is RunState.ERROR:
        st.error(f"The run failed: {snap.error}", icon=":material/error:")
    elif snap.halted:  # paused on a write that failed: Resume retries it
        st.error(snap.error, icon=":material/sd_card_alert:")
    if snap.warning:
        st.warning(snap.warning, icon=":material/warning:")
