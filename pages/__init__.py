"""The app's pages (navigation is built by streamlit_app.py with st.navigation).

Streamlit quirk (1.67): a `pages/` folder beside the entry script switches a fresh server into the old
"pages directory" mode until the entry script has called st.navigation once, so a deep link such as
/train?run=NAME opened first after a server start would run pages/train.py directly, without the app's
navigation. Every page imports this package, so the first import flips the process-wide flag that
st.navigation itself sets and reruns, which then goes through streamlit_app.py as intended.
"""


def _use_st_navigation() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except ImportError:  # a Streamlit without this internal: nothing to fix
        return
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        import streamlit as st

        PagesManager.uses_pages_directory = False
        st.rerun()


_use_st_navigation()
