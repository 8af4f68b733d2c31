"""RunState says what each run state allows, and Runner.wait() is the one headless "train until it ends" loop."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from explorer import names
from explorer.game.config import TrainConfig
from explorer.notebook.live import enabled_buttons
from explorer.runs.runner import Runner
from explorer.runs.snapshot import Snapshot, ended_or_halted
from explorer.runs.state import RunState

# What each state allows, written out by hand (not derived from the code under test): 1 allowed, 0 not.
RULES = ("ended", "alive", "in_use", "training", "can_start", "can_pause", "can_resume", "can_step", "can_stop",
         "can_change_config")
TABLE = {
    #                  ended alive in_use training start pause resume step stop config
    RunState.READY:    (0,   1,    0,     0,       1,    0,    1,     1,   0,   1),
    RunState.LOADING:  (0,   1,    1,     1,       0,    1,    0,     0,   1,   1),
    RunState.RUNNING:  (0,   1,    1,     1,       0,    1,    0,     0,   1,   1),
    RunState.PAUSED:   (0,   1,    1,     0,       0,    0,    1,     1,   1,   1),
    RunState.DIVERGED: (0,   1,    1,     0,       0,    0,    1,     1,   1,   1),
    RunState.FINISHED: (1,   0,    0,     0,       0,    0,    0,     0,   0,   0),
    RunState.STOPPED:  (1,   0,    0,     0,       0,    0,    0,     0,   0,   0),
    RunState.ERROR:    (1,   0,    0,     0,       0,    0,    0,     0,   0,   0),
}


def test_the_table_covers_every_state():
    assert set(TABLE) == set(RunState)


@pytest.mark.parametrize("state", list(RunState), ids=str)
def test_each_state_allows_what_the_table_says(state):
    assert {rule: int(getattr(state, rule)) for rule in RULES} == dict(zip(RULES, TABLE[state], strict=True))


@pytest.mark.parametrize("state", list(RunState), ids=str)
def test_a_state_is_its_own_code_in_json_csv_and_labels(state):
    code = state.value
    # str() is what the csv module and pandas write; == and hash are what dict lookups and old callers use
    assert state == code and RunState(code) is state and str(state) == code and f"{state}" == code
    assert {code: 1}[state] == 1
    assert json.loads(json.dumps({"state": state})) == {"state": code}  # the CLI's JSON line is unchanged
    assert names.label("state", state) == names.STATE_LABELS[code]  # a label for people, kept in step


@pytest.mark.parametrize("state", list(RunState), ids=str)
def test_the_notebook_panel_enables_what_the_state_allows(state):
    usable = enabled_buttons(state, config_ok=True)
    if state.ended:
        assert usable == {"start"}  # a new run; the ended one takes no command
    else:
        assert usable == {key for key in ("pause", "resume", "step", "stop") if getattr(state, f"can_{key}")}
    assert enabled_buttons(None, config_ok=True) == {"start"} and enabled_buttons(None, config_ok=False) == set()


def _snapshot(**changes) -> Snapshot:
    return replace(Runner(TrainConfig(), save=False).snapshot(), **changes)


def test_a_snapshot_holds_a_run_state_and_refuses_an_unknown_code():
    assert _snapshot().state is RunState.READY
    assert _snapshot(state="finished").state is RunState.FINISHED  # a code (JSON, a test) becomes the member
    with pytest.raises(ValueError, match="'finishd' is not a valid RunState"):
        _snapshot(state="finishd")


@pytest.mark.parametrize("state, error, halted", [
    (RunState.DIVERGED, "NaN in D's loss", True),
    (RunState.PAUSED, "Could not write to the run folder: No space left on device", True),  # a failed write
    (RunState.PAUSED, None, False),  # Pause, a Step done, a milestone: a person will go on
    (RunState.RUNNING, None, False),
    (RunState.FINISHED, None, False),
])
def test_halted_is_trouble_only_a_person_can_clear_and_a_headless_loop_stops_there(state, error, halted):
    snap = _snapshot(state=state, error=error)
    assert snap.halted is halted
    assert ended_or_halted(snap) is (halted or state.ended)


# ------------------------------------------------------------------------------------------------- wait()

def test_wait_returns_the_finished_snapshot_and_reports_progress_on_the_way():
    runner = Runner(TrainConfig(steps=300), save=False).start()
    seen: list[int] = []
    snap = runner.wait(timeout=120, on_progress=lambda s: seen.append(s.step), poll=0.02)
    assert snap.state is RunState.FINISHED and snap.step == 300 and not runner.snapshot().state.alive
    assert seen == sorted(seen) and seen[-1] == 300 and len(seen) >= 2  # every look, the last one included
    t0 = time.monotonic()
    assert runner.wait(timeout=60).state is RunState.FINISHED and time.monotonic() - t0 < 1.0  # ended: at once


def test_wait_gives_up_after_its_timeout_and_leaves_the_run_training():
    runner = Runner(TrainConfig(steps=0), save=False).start()  # no step limit: it never ends by itself
    try:
        t0 = time.monotonic()
        snap = runner.wait(timeout=0.6, poll=0.1)
        waited = time.monotonic() - t0
        assert 0.6 <= waited < 10.0, waited  # generous: the machine may be loaded
        assert snap.state.alive and not snap.halted
        assert runner.snapshot().state.alive  # wait() never stops a run
    finally:
        runner.stop()
    assert runner.snapshot().state is RunState.STOPPED


def test_wait_until_a_rule_of_the_callers_and_a_divergence_ends_the_default_wait():
    runner = Runner(TrainConfig(optimizer="sgd", lr_d=0.01, lr_g=0.01, steps=0), save=False).start()
    try:
        snap = runner.wait(timeout=120, poll=0.02, until=lambda s: s.step >= 100)
        assert snap.step >= 100 and snap.state is RunState.RUNNING  # the caller's rule, met while it trains
        runner.set_learning_rates(lr_d=1e30, lr_g=1e30)  # a slider dragged much too far: NaN soon
        snap = runner.wait(timeout=120, poll=0.02)
        assert snap.state is RunState.DIVERGED and snap.halted and "NaN" in snap.error
        assert runner.snapshot().state is RunState.DIVERGED  # held for a person, not ended
    finally:
        runner.stop()
    assert runner.snapshot().state is RunState.STOPPED  # why it ended is in the snapshot wait() returned


def test_wait_refuses_a_run_never_started_and_a_poll_of_zero():
    runner = Runner(TrainConfig(), save=False)
    with pytest.raises(RuntimeError, match="never started: call start"):
        runner.wait(timeout=1)
    with pytest.raises(ValueError, match="poll=0"):
        runner.wait(poll=0)


def test_the_commands_a_state_allows_do_what_it_says():
    """One live run walked through its states, each command sent only where RunState allows it."""
    runner = Runner(TrainConfig(steps=0), save=False)
    assert runner.snapshot().state.can_start
    runner.start()
    snap = runner.wait(timeout=120, poll=0.02, until=lambda s: s.state is RunState.RUNNING and s.step > 20)
    assert snap.state.can_pause and not snap.state.can_step
    runner.pause()
    snap = runner.wait(timeout=60, poll=0.02, until=lambda s: s.state is RunState.PAUSED)
    assert snap.state.can_step and snap.state.can_resume and not snap.state.can_pause
    at = snap.step
    runner.step_once(3)
    snap = runner.wait(timeout=60, poll=0.02, until=lambda s: s.step >= at + 3)
    time.sleep(0.3)
    assert runner.snapshot().step == at + 3 and runner.snapshot().state is RunState.PAUSED  # exactly 3, then held
    runner.resume()
    runner.wait(timeout=60, poll=0.02, until=lambda s: s.state is RunState.RUNNING and s.step > at + 3)
    assert runner.snapshot().state.can_stop
    runner.stop()
    snap = runner.snapshot()
    assert snap.state is RunState.STOPPED and snap.state.ended and not snap.state.in_use


def test_the_runs_page_holds_back_only_the_runs_whose_folder_is_in_use(registry, tmp_path):
    """Resume, Rename and Delete wait for a run this server trains or holds paused; a run that failed, like one that
    finished, holds nothing (before RunState, a failed run stayed "training" there until the server restarted)."""
    paused = registry.start(TrainConfig(steps=0), paused=True)
    failed = registry.start(TrainConfig(dataset="mnist", data_root=str(tmp_path / "none")))  # no data: an error
    done = registry.start(TrainConfig(steps=50))
    for runner, state in ((paused, RunState.PAUSED), (failed, RunState.ERROR), (done, RunState.FINISHED)):
        assert runner.wait(timeout=120, poll=0.02, until=lambda s, state=state: s.state is state).state is state
    assert set(registry.live_snapshots()) == {paused.name}
