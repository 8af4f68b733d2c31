"""Sweeps: where does GAN training converge? A sweep trains every combination of a few settings × seeds on Ray
Tune; its stability map colours each combination by a final figure (mean over seeds), diverged ones marked.
Click a cell to replay its run; start a small sweep of a toy below. The parts are in app/sweep_view.py."""

from __future__ import annotations

import streamlit as st

from app import session
from app import sweep_view as view
from app.navigation import use_st_navigation
from explorer.runs.run_folder import SWEEPS_SUBDIR
from explorer.sweeps.sweep_folder import list_sweeps

use_st_navigation()  # first: see app/navigation.py
view.follow_replay()  # a cell or a seed was clicked: its run opens in Replay


def page() -> None:
    st.title("Sweeps")
    reg = session.registry()
    st.caption("A sweep trains every combination of a few settings × seeds, each an ordinary run (the Runs and "
               "Replay pages open them), on a local Ray. Its stability map shows where training converges, where G "
               "collapses to a few modes and where it diverges.")
    view.show_flash()
    sweeps = list_sweeps(reg.runs_dir)
    if not sweeps:
        st.info(f"No sweeps yet: `{reg.runs_dir / SWEEPS_SUBDIR}` holds none and no bundled sweep was found. Start a "
                "small one below, or in a terminal: `python -m explorer sweep --dataset ring8 --grid lr_d=1e-4,1e-3,"
                "1e-2 --grid loss=minimax,non_saturating --seeds 0,1 --steps 500`.", icon=":material/info:")
    else:
        view.show(view.pick(sweeps, reg.runs_dir))
    st.divider()
    view.start_form(reg.runs_dir, expanded=not sweeps)


page()
