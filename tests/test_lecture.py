"""The lecture layout through streamlit.testing.v1.AppTest (app/lecture.py; the browser checks of what fits the
screen are in tests/test_browser_lecture.py): the Train page says what Start would train, names a run that never
ends, and keeps presentation mode on the recorded timeline of a run that has ended; the toy pages have a
presentation mode too (the game and D's outputs, large, and nothing under them)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import lecture
from explorer import Runner, TrainConfig
from explorer.plots.style import C_G, PROJECTOR_COLOURS

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
TRAIN = "pages/train.py"
TIMEOUT = 60


def train_page(params: dict[str, str], page: str = TRAIN) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_before_a_run_one_message_names_what_the_sidebar_holds(registry):
    at = train_page({"dataset": "ring8", "loss": "minimax"})  # a link on a slide
    [message] = [i.value for i in at.info]
    assert "Ring of 8 Gaussians" in message and "minimax (saturating) loss" in message
    assert "1D Gaussian" not in message and "10,000 steps" in message

    at = train_page({"dataset": "toy1d", "steps": "0"})
    [message] = [i.value for i in at.info]
    assert "1D Gaussian (Figure 1)" in message and "runs until you press **Stop**" in message


def test_a_run_that_ended_stays_in_presentation_mode(registry):
    runner = Runner(TrainConfig(dataset="toy1d", steps=120, sample_interval=40), runs_dir=registry.runs_dir,
                    name="toy").start()
    runner.join(120)
    assert runner.snapshot().state == "finished"
    at = train_page({"run": "toy", "present": "1"})
    # The recording: Play, the slider, the game beside D's outputs, and nothing below them.
    charts = at.get("plotly_chart")
    assert [c.key for c in charts] == ["train_replay__toy_figure", "train_replay__toy_d"]
    assert at.slider(key="train_replay__toy_step").value == 120
    # drawn for the projector: G's colour is the projector's, the fonts are large
    spec = json.loads(charts[1].proto.spec)
    assert PROJECTOR_COLOURS[C_G] in [t["line"]["color"] for t in spec["data"]]
    assert spec["layout"]["font"]["size"] >= 18
    labels = [b.label for b in at.button]  # reopened from its folder, the run could be resumed
    assert labels in (["Start", "Pause", "Step", "Play"], ["Resume", "Pause", "Step", "Play"]), labels


def drawn(at: AppTest) -> AppTest:
    """Run the page again until its view is drawn: a saved run reopened on a toy page builds its models first."""
    for _ in range(60):
        if at.get("plotly_chart"):
            return at
        time.sleep(0.25)
        at.run()
    raise AssertionError(f"no chart drawn: {[m.value for m in at.markdown]} {[c.value for c in at.caption]}")


@pytest.mark.parametrize(("page", "dataset", "charts"), [("pages/toy_1d.py", "toy1d", ["figure1", "toy1d_d"]),
                                                         ("pages/toy_2d.py", "ring8", ["gan_lab", "toy2d_d"])])
def test_the_toy_pages_present_the_game_and_d_large_and_nothing_under_them(registry, page, dataset, charts):
    runner = Runner(TrainConfig(dataset=dataset, steps=60, sample_interval=20), runs_dir=registry.runs_dir,
                    name="toy").start()
    runner.join(120)
    normal = drawn(train_page({}, page))
    assert [c.key for c in normal.get("plotly_chart")][:2] == charts
    assert len(normal.get("plotly_chart")) > 2 and normal.metric  # the normal page goes on under the stage
    at = drawn(train_page({"present": "1"}, page))
    assert [c.key for c in at.get("plotly_chart")] == charts and not at.metric
    assert not at.title  # no header: the toggle sits in the buttons' row
    assert [t.label for t in at.toggle] == ["Presentation mode"] and at.toggle[0].value
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        assert spec["layout"]["font"]["size"] >= 18, chart.key
        assert spec["layout"]["height"] == lecture.PRESENT.figure, chart.key
