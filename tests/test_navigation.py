"""app/navigation.py works around a Streamlit quirk; these tests fail loudly when a Streamlit upgrade changes it.

The quirk (read in streamlit/runtime/pages_manager.py and scriptrunner/script_runner.py): the first
PagesManager of a process sets the class attribute `PagesManager.uses_pages_directory` to whether a `pages/`
folder lies beside the entry script; while it is true, the script runner ignores the entry script's code
and runs the old "pages directory" navigation (`_mpa_v1`), so a page opened by a deep link runs on its own,
without streamlit_app.py. Only `st.navigation` sets the flag to False. If a test here fails after an
upgrade, read app/navigation.py's docstring again: the workaround may have to change, or may be deletable.
"""

from __future__ import annotations

import ast
import textwrap

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGES = sorted((ROOT / "pages").glob("*.py"))


@pytest.fixture
def pages_flag():
    """Save and restore the process-wide flag these tests (and AppTest) change."""
    from streamlit.runtime.pages_manager import PagesManager

    saved = PagesManager.uses_pages_directory
    yield PagesManager
    PagesManager.uses_pages_directory = saved


def test_the_streamlit_internals_the_workaround_uses_exist():
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    # a plain class attribute (process-wide), not a property or an instance attribute
    assert "uses_pages_directory" in vars(PagesManager), "PagesManager.uses_pages_directory is gone"
    assert not isinstance(vars(PagesManager)["uses_pages_directory"], property)
    assert callable(get_script_run_ctx)
    assert get_script_run_ctx(suppress_warning=True) is None  # outside a script run, so the workaround no-ops


def test_this_app_starts_in_pages_directory_mode(pages_flag):
    """A fresh server for streamlit_app.py, with pages/ beside it, starts in the old mode: still needed."""
    assert (ROOT / "pages").is_dir() and (ROOT / "streamlit_app.py").is_file()
    pages_flag.uses_pages_directory = None  # a fresh process
    pages_flag(str(ROOT / "streamlit_app.py"))
    assert pages_flag.uses_pages_directory is True, (
        "Streamlit no longer enters pages-directory mode for an entry script with pages/ beside it: "
        "app/navigation.py's workaround may be obsolete")


def test_leaving_the_mode_holds_for_later_sessions(pages_flag):
    """What use_st_navigation() sets is what later sessions see: a new PagesManager does not reset it."""
    pages_flag.uses_pages_directory = False
    pages_flag(str(ROOT / "streamlit_app.py"))
    assert pages_flag.uses_pages_directory is False


def test_the_workaround_is_a_no_op_outside_a_script_run(pages_flag):
    from app.navigation import use_st_navigation

    pages_flag.uses_pages_directory = True
    use_st_navigation()  # no ScriptRunContext: must neither raise nor flip the flag
    assert pages_flag.uses_pages_directory is True


def _mini_app(tmp_path):
    """An entry script whose navigation counts its runs, and two pages beside it, one with the workaround."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import streamlit as st

        st.session_state["shell"] = st.session_state.get("shell", 0) + 1


        def home() -> None:
            st.write("home")


        st.navigation([st.Page(home, title="Home", default=True), st.Page("pages/with_fix.py"),
                       st.Page("pages/without_fix.py")]).run()
        """))
    (tmp_path / "pages" / "with_fix.py").write_text(textwrap.dedent("""
        import streamlit as st

        from app.navigation import use_st_navigation

        use_st_navigation()
        st.write(f"shell ran {st.session_state.get('shell', 0)}")
        """))
    (tmp_path / "pages" / "without_fix.py").write_text(textwrap.dedent("""
        import streamlit as st

        st.write(f"shell ran {st.session_state.get('shell', 0)}")
        """))
    return str(tmp_path / "main.py")


@pytest.mark.parametrize(("page", "shell_runs"), [("pages/without_fix.py", 0), ("pages/with_fix.py", 1)])
def test_a_deep_link_first_runs_the_page_through_the_entry_script_only_with_the_workaround(
        tmp_path, pages_flag, page, shell_runs):
    """A deep link as a fresh server's first request (AppTest starts each run as a fresh server would).

    Without the workaround the page runs on its own (the entry script ran 0 times): the quirk still exists.
    With it the page reruns through the entry script's st.navigation (the entry script ran once).
    """
    at = AppTest.from_file(_mini_app(tmp_path), default_timeout=30)
    at.switch_page(page).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == [f"shell ran {shell_runs}"], (
        "Streamlit's pages-directory behaviour changed: re-check app/navigation.py")


def _first_statement_after_imports(tree: ast.Module) -> ast.stmt | None:
    for i, node in enumerate(tree.body):
        docstring = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if not (docstring or isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)):
            return node
    return None


def _calls_use_st_navigation(node: ast.stmt | None) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return (isinstance(func, ast.Name) and func.id == "use_st_navigation") or (
        isinstance(func, ast.Attribute) and func.attr == "use_st_navigation")


def test_there_are_pages():
    assert PAGES, "no page scripts found in pages/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_calls_use_st_navigation_first(page):
    """Before a page draws anything, it leaves pages-directory mode (see app/navigation.py)."""
    tree = ast.parse(page.read_text(encoding="utf-8"), filename=str(page))
    first = _first_statement_after_imports(tree)
    imported = any(isinstance(n, ast.ImportFrom) and (n.module == "app.navigation" or (
        n.module == "app" and any(a.name == "navigation" for a in n.names))) for n in tree.body)
    assert imported and _calls_use_st_navigation(first), (
        f"pages/{page.name}: the first statement after the imports must be `use_st_navigation()` from "
        f"app.navigation (line {getattr(first, 'lineno', '?')} is not)")
