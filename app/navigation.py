"""The one workaround for how Streamlit treats the pages/ folder (navigation is built by streamlit_app.py).

Streamlit quirk (1.67): a `pages/` folder beside the entry script switches a fresh server into the old
"pages directory" mode until the entry script has called st.navigation once, so a deep link such as
/train?run=NAME opened first after a server start would run pages/train.py directly, without the app's
navigation. Every page calls `use_st_navigation()` first, which flips the process-wide flag that
st.navigation itself sets and reruns, which then goes through streamlit_app.py as intended.
"""


def use_st_navigation() -> None:
    """Leave the old pages-directory mode (see the module docstring); a no-op once st.navigation has run."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except ImportError:  # the app still runs; tests/test_navigation.py fails loudly on such an upgrade
        return
    if PagesManager.uses_pages_directory and get_script_run_ctx() is not None:
        import streamlit as st

        PagesManager.uses_pages_directory = False
        st.rerun()
