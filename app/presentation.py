"""Presentation mode: a lecture page (Train, Tours, Side by side, Replay, Toy 1D, Toy 2D) for a projector. A toggle
on the page, or `present=1` in the URL (so a link on a slide opens it that way), hides the sidebar and Streamlit's
header, leaves the few buttons a lecture needs in large type, and has app/lecture.py draw the game and D's outputs
large, in the projector palette (plots.style.for_projector), all on a 1024 x 768 projector, while a run trains and
after."""

from __future__ import annotations

import streamlit as st

PARAM = "present"
TOGGLE_KEY = "present_toggle"
CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] { display: none; }
.block-container { padding-top: 0.8rem; max-width: 100%; }
.stButton button p { font-size: 1.35rem; font-weight: 600; }
.st-key-status p { font-size: 1.45rem; margin-bottom: 0; }
[data-testid="stSliderThumbValue"], [data-testid="stWidgetLabel"] p { font-size: 1.1rem; }
[data-testid="stAlertContainer"] p { font-size: 1.3rem; }
.st-key-tour_step [data-testid="stAlertContainer"] p { font-size: 1.15rem; }
</style>"""


def _on_toggle() -> None:
    if st.session_state[TOGGLE_KEY]:
        st.query_params[PARAM] = "1"
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def enabled() -> bool:
    """On when the URL says present=1 (a link), or this tab's toggle is on; the toggle follows the URL."""
    on = st.query_params.get(PARAM, "").lower() in ("1", "true", "yes", "on")
    st.session_state[TOGGLE_KEY] = on
    if on:
        st.html(CSS)
    return on


def toggle(container=st) -> None:
    container.toggle("Presentation mode", key=TOGGLE_KEY, on_change=_on_toggle,
                     help="For a projector: hides the sidebar, leaves the few buttons a lecture needs, draws the "
                          "game and D's outputs large and colour-blind safe. Also a link: add present=1 to the URL.")
