"""Guided tours (explorer/lessons/tours.py, pages/tours.py): each tour shows what it says, for seeds 0, 1 and 2.

Every tour is played headless as the page plays it: a Runner started paused, the step's milestone watched,
resumed; it must pause by itself at the milestone within the step's budget, and the snapshot must say so.
Views are sampled by steps only (sample_seconds=0), so a toy milestone lands on the same step on any machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from explorer.game.config import TrainConfig
from explorer.lessons.tours import TOURS, Milestone, begin_step, d_of_g_z_below, d_on_data_near_half, reached_in_budget
from explorer.plots import toys
from explorer.plots.style import mark_milestones
from explorer.runs.recorder import COLUMNS
from explorer.runs.runner import Runner
from explorer.runs.snapshot import MilestoneHit, Snapshot
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
TOURS_PAGE = "pages/tours.py"


def play(name: str, seed: int, runs_dir: Path) -> list[Snapshot]:
    """Play every step of a tour; the snapshot at each step's pause (its milestone checked within budget)."""
    tour, runner, since, seen = TOURS[name], None, 0, []
    try:
        for i, step in enumerate(tour.steps):
            if runner is None or step.config is not None:
                if runner is not None:
                    runner.stop()
                runner = Runner(tour.config_for(i).replace(seed=seed), runs_dir=runs_dir, sample_seconds=0.0)
                runner.start(paused=True)
                wait_for(lambda r=runner: r.snapshot().state != "loading", timeout=120)
                since = 0
            begin_step(runner, step)
            runner.resume()
            wait_for(lambda r=runner: r.snapshot().state == "paused" and r.snapshot().milestone is not None
                     or not r.snapshot().alive, timeout=600)
            snap = runner.snapshot()
            assert snap.state == "paused", f"{name} seed {seed} step {i + 1}: {snap.state} {snap.error}"
            assert reached_in_budget(snap, since, step), (
                f"{name} seed {seed} step {i + 1}: {snap.milestone!r} at {snap.milestone_step}, since {since}, "
                f"budget {step.budget_steps}")
            assert snap.milestones[-1] == MilestoneHit(snap.milestone_step, step.milestone.name, snap.milestone)
            assert snap.step == snap.milestone_step  # paused right there: no step ran past the milestone
            print(f"{name} seed {seed} step {i + 1}: {snap.milestone_step - since} steps: {snap.milestone}")
            seen.append(snap)
            since = snap.step
    finally:
        if runner is not None:
            runner.stop()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", ["figure1", "minimax", "mode-collapse", "k"])
def test_tour_reaches_each_milestone_within_its_budget(name, seed, tmp_path):
    seen = play(name, seed, tmp_path)
    assert len(seen) == len(TOURS[name].steps)
    if name == "k":  # the claim: at k = 1 D was not at D*; at k = 5 it got there
        assert "k = 1" in seen[0].milestone and "k = 5" in seen[1].milestone
        weight = seen[0].toy.p_data + seen[0].toy.p_g
        gap = float(np.sum(np.abs(seen[0].toy.d - seen[0].toy.d_star) * weight) / np.sum(weight))
        assert gap > 0.05
    if name == "minimax":  # the stuck minimax G vs the non-saturating G from the same start
        assert seen[0].config.loss == "minimax" and seen[1].config.loss == "non_saturating"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mnist_tour_digits_appear(seed, tmp_path):
    """About a minute a seed on a quiet 2-core CPU (8 classes at steps 2,250 / 1,750 / 2,000 of a 3,000 budget)."""
    play("mnist", seed, tmp_path)


# ---------------------------------------------------------------------------------- pure predicates
def _snap(**changes) -> Snapshot:
    base = dict(name="t", run_dir=None, config=TrainConfig(), state="running", step=0, steps_per_s=0.0,
                elapsed=0.0, device="cpu", lr_d=1e-3, lr_g=1e-3, k=1, metrics_array=np.zeros((0, len(COLUMNS))))
    return Snapshot(**{**base, **changes})


def test_d_near_half_needs_g_near_p_data_too():
    from explorer.runs.snapshot import ToyPoint

    m = d_on_data_near_half(0.05, 0.03)
    assert m(_snap(toy_history=(ToyPoint(25, 0.5, 0.6, 0.0),))) is None  # an untrained D also says 1/2
    msg = m(_snap(toy_history=(ToyPoint(425, 0.52, 0.02, 0.0),)))
    assert msg is not None and "0.52" in msg and "425" in msg
    assert m(_snap(toy_history=(ToyPoint(425, 0.52, 0.02, 0.0),)), since=425) is None  # only what comes after


def test_d_of_g_z_below_counts_consecutive_steps():
    rows = np.zeros((60, len(COLUMNS)))
    rows[:, 0] = np.arange(1, 61)
    rows[:, COLUMNS.index("d_g_z")] = 0.001
    m: Milestone = d_of_g_z_below(0.01, 50)
    assert "50 steps" in m(_snap(metrics_array=rows))
    rows[-1, COLUMNS.index("d_g_z")] = 0.2
    assert m(_snap(metrics_array=rows)) is None


def test_watch_pauses_a_run_and_a_new_watch_clears_it(tmp_path):
    runner = Runner(TrainConfig(steps=0), runs_dir=tmp_path, sample_seconds=0.0)
    at_40 = Milestone("forty", "step 40", lambda s, since: f"step {s.step}" if s.step >= since + 40 else None)
    runner.start(paused=True)
    try:
        wait_for(lambda: runner.snapshot().state == "paused")
        runner.watch(at_40)
        runner.resume()
        wait_for(lambda: runner.snapshot().state == "paused" and runner.snapshot().milestone)
        s = runner.snapshot()
        assert s.milestone_step >= 40 and s.step == s.milestone_step and len(s.milestones) == 1
        runner.watch(at_40)
        assert runner.snapshot().milestone is None  # cleared until the next hit
        runner.resume()
        wait_for(lambda: runner.snapshot().state == "paused" and runner.snapshot().milestone)
        assert runner.snapshot().milestone_step >= s.milestone_step + 40
        assert len(runner.snapshot().milestones) == 2
    finally:
        runner.stop()


def test_mark_milestones_draws_a_labelled_line_on_every_panel():
    import pandas as pd

    frame = pd.DataFrame({"step": [0, 100, 200], "d_on_data": [0.5, 0.8, 0.5], "js": [0.6, 0.1, 0.02],
                          "value": [0.0, -1.1, -1.3]})
    fig = mark_milestones(toys.toy_metrics_figure(frame), [150], ["D → 1/2"])
    assert len(fig.layout.shapes) == 2 and fig.layout.shapes[0].x0 == 150
    assert any("D → 1/2" in a.text for a in fig.layout.annotations)


# ---------------------------------------------------------------------------------------- the page
def tours_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(TOURS_PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_renders_a_tour_from_a_link_and_start_starts_its_config(registry):
    at = tours_page({"tour": "k", "seed": "2"})
    assert at.selectbox(key="tour_pick").value == "k" and TOURS["k"].title in at.caption[0].value
    assert "Step 1 of 2" in "\n".join(i.value for i in at.info)
    at.button(key="tour_start").click().run()
    assert not at.exception, at.exception
    (runner,) = registry.runners()
    assert runner.cfg == TOURS["k"].config.replace(seed=2)
    runner.stop()


def test_page_shows_the_callout_at_a_milestone(registry):
    at = tours_page({"tour": "figure1"})
    at.button(key="tour_start").click().run()
    (runner,) = registry.runners()
    wait_for(lambda: runner.snapshot().state == "paused" and runner.snapshot().milestone, timeout=120)
    at.run()
    assert not at.exception, at.exception
    body = "\n".join(a.value for a in at.success)
    assert "Milestone: D on data" in body
    assert not at.button(key="tour_next").disabled
    at.button(key="tour_next").click().run()
    assert "Step 2 of 2" in "\n".join(i.value for i in at.info)
    runner.stop()


# ------------------------------------------------------------------------------------------ cleaning up
def test_stop_runs_stops_the_live_ones_and_names_them(tmp_path):
    from explorer.lessons.tours import stop_runs
    from explorer.runs.registry import RunRegistry

    reg = RunRegistry(tmp_path)
    paused = reg.start(TrainConfig(steps=0), paused=True)
    ended = reg.start(TrainConfig(steps=5))
    try:
        ended.join(60)
        wait_for(lambda: paused.snapshot().state == "paused")
        assert stop_runs(reg, [paused.name, ended.name, "no-such-run"]) == [paused.name]
        assert not paused.snapshot().alive and not reg.active()  # ended when it returns
    finally:
        reg.stop_all()


def test_a_tour_stops_its_old_run_when_started_again_and_its_runs_when_left(registry):
    at = tours_page({"tour": "figure1"})
    at.button(key="tour_start").click().run()
    (first,) = registry.runners()
    wait_for(lambda: first.snapshot().state == "paused" and first.snapshot().milestone, timeout=120)
    at.run()
    at.button(key="tour_start").click().run()  # "Start again": a fresh run; the paused one is not left behind
    assert not at.exception, at.exception
    assert not first.snapshot().alive
    (second,) = registry.active()
    assert second.name != first.name
    at.switch_page("pages/train.py").run()  # the lecturer moves on: no tour run left for Home's "in progress"
    assert not at.exception, at.exception
    assert not second.snapshot().alive and not registry.active()
