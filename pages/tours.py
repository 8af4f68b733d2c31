"""Tours: each lecture preset as a short guided tour tied to a section of Goodfellow et al. (2014).

Pick a tour (or open a link: `/tours?tour=figure1&step=1`, plus any config field, e.g. `&seed=2`), press
Start: the run trains with the tour's settings and pauses by itself when the step's milestone is reached
(Runner.watch); the callout says what was measured and the chart marks the step. Next applies the next
step's settings (or starts its fresh run) and goes on. The page only sends commands and reads snapshots.
"""

from __future__ import annotations

import time

import streamlit as st

from app import lecture, presentation, session, status
from app.navigation import use_st_navigation
from explorer import names
from explorer.game.config import TrainConfig
from explorer.lessons.tours import TOURS, Tour, begin_step, stop_runs
from explorer.plots import toys
from explorer.plots.images import image_grid
from explorer.plots.metric_curves import eval_curves_figure
from explorer.plots.style import mark_milestones
from explorer.runs.registry import RunRegistry
from explorer.runs.state import RunState

use_st_navigation()  # first: see app/navigation.py

STATE = "tour_state"  # {"tour": name, "index": step (0-based), "runs": [run names], "since": step it began at}
# (streamlit_app.TOUR_STATE names the same key: it stops these runs when the tab leaves this page.)


# --------------------------------------------------------------------------------------------- the link
def _from_url() -> tuple[str, int, dict[str, str]]:
    """(tour name, 0-based step, config parameters) from ?tour=NAME&step=N&field=value..."""
    params = {k: st.query_params[k] for k in st.query_params}
    name = params.pop("tour", next(iter(TOURS)))
    if name not in TOURS:
        st.warning(f"No tour {session.plain(name)}: pick one below.")
        name = next(iter(TOURS))
    try:
        index = max(0, min(int(params.pop("step", "1")) - 1, len(TOURS[name].steps) - 1))
    except ValueError:
        index = 0
    params.pop(session.RUN_KEY, None)
    params.pop(presentation.PARAM, None)
    return name, index, params


def _config(tour: Tour, index: int, overrides: dict[str, str]) -> tuple[TrainConfig, list[str]]:
    """The config step `index` trains, with the link's fields on top (e.g. a seed)."""
    base = tour.config_for(index)
    if not overrides:
        return base, []
    return TrainConfig.from_query({**base.to_query(), **overrides})


# ------------------------------------------------------------------------------------------- commands
def _start_run(reg: RunRegistry, tour: Tour, overrides: dict[str, str], i: int) -> None:
    """Start step i's run (the tour's config, or the step's fresh run) watching for its milestone; this tab's
    earlier tour runs stop (a fresh step's predecessor stays drawn beside it, stopped)."""
    stop_runs(reg, st.session_state.get(STATE, {}).get("runs", []))
    cfg, _ = _config(tour, i, overrides)
    new = reg.start(cfg, paused=True)  # paused until the watch is set: nothing may train before it counts
    wait = time.monotonic() + 60
    while new.snapshot().state is RunState.LOADING and time.monotonic() < wait:
        time.sleep(0.02)
    begin_step(new, tour.steps[i])
    new.resume()
    old = st.session_state.get(STATE, {"runs": []})["runs"] if i > 0 else []
    st.session_state[STATE] = {"tour": tour.name, "index": i, "runs": [*old, new.name], "since": 0}


def _next(reg: RunRegistry, tour: Tour, overrides: dict[str, str]) -> None:
    s = st.session_state[STATE]
    i = s["index"] + 1
    if tour.steps[i].config is not None:  # a fresh run (the other loss, say): same seed, side by side
        _start_run(reg, tour, overrides, i)
        return
    r = reg.get(s["runs"][-1])
    s.update(index=i, since=r.snapshot().step)
    begin_step(r, tour.steps[i])
    r.resume()


def _stop(reg: RunRegistry) -> None:
    for n in st.session_state[STATE]["runs"]:
        if (r := reg.get(n)) is not None:
            r.stop(wait=False)


def _marks(s) -> tuple[list[int], list[str]]:
    return [h.step for h in s.milestones], [h.name for h in s.milestones]


def _figures(s, runs, tour: Tour, layout: lecture.Layout) -> None:
    """The lecture's stage: the tour's live figure (with D*, which the steps name), beside the curve its
    milestones are read from, marked where they were hit."""
    left, right = lecture.stage()
    with left:
        if s.toy is not None:
            st.plotly_chart(lecture.game_figure(s.toy, layout, d_star=True), key="tour_live", config=lecture.CHART)
        elif s.samples is not None:
            st.image(image_grid(s.samples, padding=0, target=layout.image),
                     caption=f"Samples G(z) from a fixed z at {names.step_label(s.samples_step)}")
    with right:
        if tour.name == "minimax":  # G's gradient and D(G(z)): the stuck minimax run beside the fresh one
            frames = {r.snapshot().config.loss.replace("_", "-"): r.snapshot().metrics for r in runs}
            fig = toys.gradient_comparison_figure(frames)
            marks = [h for r in runs for h in r.snapshot().milestones]
            fig = mark_milestones(fig, [h.step for h in marks], [h.name for h in marks])
        elif s.modes_history:
            n_modes = getattr(s.toy, "n_modes", None)
            fig = mark_milestones(toys.modes_history_figure(s.modes_frame, n_modes), *_marks(s))
        elif s.toy_history:
            fig = mark_milestones(toys.toy_metrics_figure(s.toy_frame), *_marks(s))
        elif s.eval_history:
            fig = mark_milestones(eval_curves_figure(s.eval_frame[["step", "classes_covered"]]), *_marks(s))
        else:
            st.caption("The curves appear with the first evaluation.")
            return
        st.plotly_chart(lecture.side_figure(fig, layout), key="tour_chart", config=lecture.CHART)


def live(r, drawn_state: RunState, since: int, reg: RunRegistry, tour: Tour, index: int,
         layout: lecture.Layout) -> None:
    step = tour.steps[index]
    s = r.snapshot()
    if s.state != drawn_state and drawn_state not in (RunState.READY, RunState.LOADING):
        st.rerun(scope="app")  # paused at the milestone, finished, failed: redraw the buttons
    with st.container(key="status"):
        st.markdown(status.status_line(s, brief=True))  # the step's text and its milestone take the room
    status.show_problems(s)
    with st.container(key="tour_callout"):
        if s.state is RunState.PAUSED and s.milestone:
            more = "press **Next step**." if index + 1 < len(tour.steps) else "the end of this tour."
            st.success(f"**Milestone: {s.milestone}** — {more}", icon=":material/flag:")
        elif step.milestone is not None and s.alive:
            spent = s.step - since
            if spent > step.budget_steps:
                st.warning(f"Not reached within this step's budget of {step.budget_steps:,} steps "
                           f"({spent:,} so far): watching for {step.milestone.watch_for}.")
            else:
                st.caption(f"Watching for: {step.milestone.watch_for} (within {step.budget_steps:,} steps; "
                           f"{spent:,} so far).")
    _figures(s, [g for n in st.session_state[STATE]["runs"] if (g := reg.get(n)) is not None], tour, layout)


def page() -> None:
    reg = session.registry()
    present = presentation.enabled()  # a projector view: no sidebar, the buttons, the step, the game drawn large
    layout = lecture.layout(present, lesson=True)  # the step's text stands above the figures
    url_tour, url_index, overrides = _from_url()
    if st.session_state.get(STATE, {}).get("tour") not in (None, url_tour) and "tour_pick" not in st.session_state:
        stop_runs(reg, st.session_state.pop(STATE)["runs"])  # a link to another tour: this tab's old runs stop
    top = st.container()  # the header, drawn once the tour is known
    row = lecture.toolbar()  # the picker, then the buttons (drawn below, once the run is known)
    if present:  # the tour of the link (the URL keeps it): no picker on the projector, the toggle back instead
        name = url_tour
    else:
        name = row.selectbox("Tour", list(TOURS), index=list(TOURS).index(url_tour), key="tour_pick",
                             format_func=lambda n: TOURS[n].title, label_visibility="collapsed",
                             help="Each tour is a lecture preset in two or three steps.")
    tour = TOURS[name]
    state = st.session_state.get(STATE)
    if state is not None and state["tour"] != name:  # another tour picked: its own steps, no run yet
        state = None
        stop_runs(reg, st.session_state.pop(STATE)["runs"])
    index = state["index"] if state else (url_index if name == url_tour else 0)
    runner = reg.get(state["runs"][-1]) if state and state["runs"] else None
    st.query_params["tour"] = name
    st.query_params["step"] = str(index + 1)

    if not present:
        with top:
            # The picker below names the tour: the title stays short, so the figures start high.
            lecture.header("Tours", f"{tour.title}: Goodfellow et al. (2014), {tour.section}", about=tour.intro,
                           toggle=True)
    step = tour.steps[index]
    with st.container(key="tour_step"):
        where = f"Step {index + 1} of {len(tour.steps)}"
        if present:  # no picker on the projector: the step names its tour
            title = tour.title.replace("*", r"\*")  # the D* of a title is not markdown's emphasis
            where = f"{title} · {where.lower()}"
        st.info(f"**{where}.** {step.text}", icon=":material/school:")

    snap = runner.snapshot() if runner is not None else None
    alive = bool(snap and snap.alive)
    at_milestone = bool(snap and snap.state is RunState.PAUSED and snap.milestone)
    row.button("Start" if runner is None else "Restart", key="tour_start", type="primary",
               on_click=_start_run, args=(reg, tour, overrides, 0 if runner is not None else index),
               help="Train this tour's run; it pauses by itself at the step's milestone")
    row.button("Next step", key="tour_next", on_click=_next, args=(reg, tour, overrides),
               disabled=(not (at_milestone or (snap is not None and step.milestone is None))
                         or index + 1 >= len(tour.steps)),
               help="Apply the next step's settings and go on")
    row.button("Stop", key="tour_stop", on_click=_stop, args=(reg,), disabled=not alive, help="End this tour's runs")
    if present:
        presentation.toggle(row)

    problems = _config(tour, index, overrides)[1]
    if problems:
        st.warning("Left out of the link: " + "; ".join(session.plain(p) for p in problems))
    if runner is None:
        cfg = _config(tour, index, overrides)[0]
        st.caption(f"Press **Start**: {names.label('dataset', cfg.dataset)}, the {names.label('loss', cfg.loss)} loss, "
                   f"k = {cfg.k}, seed {cfg.seed}.")
        st.stop()
    st.fragment(run_every=1.0 if alive else None)(live)(runner, snap.state, st.session_state[STATE].get("since", 0),
                                                        reg, tour, index, layout)


page()
