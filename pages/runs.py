"""Runs: every run on disk (and the bundled demos) in one table. Select one to open, replay, resume, rename,
delete, copy or download it; select several to overlay their curves. A zip made by Export is imported here.
The parts are in app/runs_view.py."""

from __future__ import annotations

import streamlit as st

from app import runs_view as view
from app import session
from app.navigation import use_st_navigation
from explorer.runs import catalog

use_st_navigation()  # first: see app/navigation.py


def page() -> None:
    st.title("Runs")
    reg = session.registry()
    st.caption(f"Every run in `{reg.runs_dir}` (the trials of your sweeps too) and the bundled demos. Select one to "
               "open, resume, rename, delete or download it; select two or more to compare their curves.")
    view.show_flash()
    live = view.live_runs(reg)
    table = catalog.run_table(reg.runs_dir, live_states={n: s.state for n, s in live.items()},
                              live_steps={n: s.step for n, s in live.items()})
    if table.empty:
        st.info(f"No runs yet: `{reg.runs_dir}` holds none and no demo runs are bundled. Train one, or import a "
                "zip made by Export below.", icon=":material/info:")
        st.page_link(session.TRAIN_PAGE, label="Open the Train page", icon=":material/model_training:")
    else:
        mine = table[~table["demo"]]
        st.markdown(f"{len(mine)} runs · {len(table) - len(mine)} demos · "
                    f"{mine['size_bytes'].sum() / 1e6:,.1f} MB of yours on disk")
        shown, selected = view.table(table)
        if shown.empty:
            st.caption("No run matches these filters.")
        elif selected.empty:
            st.caption("Tick a run's row to act on it; tick two or more to compare them.")
        elif len(selected) == 1:
            view.one_run(reg, selected.iloc[0], live)
        else:
            view.compare(selected)
    st.divider()
    view.uploader()


page()
