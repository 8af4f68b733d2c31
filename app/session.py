"""The server's run registry and the run this browser tab shows.

- `registry()`: the process-wide RunRegistry (st.cache_resource), so every tab and page sees the same runs.
- The attached run: its name is kept in `st.session_state["run"]` and in the URL (`?run=NAME`), so a reload
  or a second tab shows the same run. `attached_runner()` resolves it (reopening a saved run if the server
  restarted); `run_picker()` attaches to another.
"""

from __future__ import annotations

import re

import streamlit as st

from explorer import names
from explorer.runs.registry import RunRegistry
from explorer.runs.run_folder import find_run_dir, is_demo, list_runs, resolve_runs_dir
from explorer.runs.runner import Runner

RUN_KEY = "run"
TRAIN_PAGE = "pages/train.py"


def _release(reg: RunRegistry) -> None:
    reg.stop_all()


@st.cache_resource(show_spinner=False, on_release=_release)
def _registry(runs_dir: str) -> RunRegistry:
    return RunRegistry(runs_dir)


def registry() -> RunRegistry:
    """The one RunRegistry of this server process, for $GAN_EXPLORER_RUNS else ./runs."""
    return _registry(str(resolve_runs_dir()))


@st.cache_resource(show_spinner=False)
def device_text() -> str:
    """'GPU: <name>' or 'CPU (n cores)' for the device `auto` picks."""
    from explorer.game.device import device_label, pick_device

    return device_label(pick_device())


def plain(text: str, limit: int = 80) -> str:
    """Text from a URL or a file, shown as itself: in code formatting, so markdown, links and HTML in it are
    not rendered, and cut to `limit` characters."""
    text = text[:limit].replace("`", "'").replace("\n", " ")
    return f"`{text}`"


def as_text(text: str) -> str:
    """A message shown as itself, whole, by st.error / st.success and the like, though it quotes untrusted text
    (a file name, a member of an uploaded zip): every ASCII punctuation mark is escaped, so no markdown, icon
    (`:material/...:`) or LaTeX in it renders, and an invisible word joiner (U+2060) follows each ':', '@' and
    the first 'w' of 'www', which GitHub-flavoured markdown would otherwise turn into a link even when escaped."""
    text = re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)
    return re.sub(r"(\\[:@])|((?i:w)(?=(?i:ww)))", "\\g<0>\u2060", text)


def attach(name: str | None) -> None:
    """Show run `name` on the Train page (also in the URL, so reloads and shared links keep it)."""
    if name:
        st.session_state[RUN_KEY] = name
        st.session_state.pop("no_adopt", None)
        st.session_state.pop("preset_loaded", None)
        if st.query_params.get(RUN_KEY) != name:
            st.query_params[RUN_KEY] = name
    else:
        st.session_state.pop(RUN_KEY, None)
        if RUN_KEY in st.query_params:
            del st.query_params[RUN_KEY]


def find_runner(reg: RunRegistry, name: str) -> Runner | None:
    """A registered run, else a saved run folder of that name reopened (not started)."""
    runner = reg.get(name)
    if runner is not None:
        return runner
    run_dir = find_run_dir(reg.runs_dir, name)  # the user's run, or a trial of one of their sweeps; not a demo
    if run_dir is not None and not is_demo(run_dir):
        try:
            return reg.open(run_dir)
        except Exception as e:  # damaged checkpoint, unreadable config: say so, keep the page alive
            st.warning(f"Could not reopen {run_dir}: {type(e).__name__}: {e}")
    return None


def attached_runner(reg: RunRegistry, adopt_active: bool = True) -> Runner | None:
    """The run this tab shows: ?run= in the URL, else this session's, else (a fresh tab) the newest live run, else
    the newest saved one."""
    name = st.query_params.get(RUN_KEY) or st.session_state.get(RUN_KEY)
    runner = find_runner(reg, name) if name else None
    if runner is None and adopt_active:
        active = reg.active()
        newest_saved = next((i.name for i in list_runs(reg.runs_dir) if i.config is not None), None)
        runner = active[-1] if active else find_runner(reg, newest_saved) if newest_saved else None
    if runner is not None:
        attach(runner.name)
    elif name:
        st.warning(f"Run {plain(name)} is not in this server's registry or in {reg.runs_dir}.")
        attach(None)
    return runner


def _on_pick() -> None:
    choice = st.session_state.get("run_picker")
    if choice and choice != "—":
        runner = find_runner(registry(), choice)
        attach(runner.name if runner else None)


def run_picker(reg: RunRegistry, current: Runner | None, container=st.sidebar) -> None:
    """Attach to any run in the registry, or reopen a saved one from the runs directory."""
    live = {r.name: r for r in reg.runners()}
    infos = {info.name: info for info in list_runs(reg.runs_dir) if info.name not in live and info.config is not None}
    options = ["—", *live, *infos]

    def label(name: str) -> str:
        if name == "—":
            return "(no run)"
        # Labels must not change while the page is open (the widget is matched by them): no live state here.
        if name in live:
            return f"{name} ({names.label('dataset', live[name].cfg.dataset)})"
        return f"{name} ({names.label('dataset', infos[name].config.dataset)}, saved)"

    st.session_state["run_picker"] = current.name if current is not None and current.name in options else "—"
    container.selectbox("Run", options, key="run_picker", format_func=label, on_change=_on_pick,
                        help="Attach this page to any run of this server, or reopen a saved run from "
                             f"{reg.runs_dir} (Resume continues it from its last checkpoint).")
