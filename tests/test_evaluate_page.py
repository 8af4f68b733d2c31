"""The Evaluate page through AppTest: no run, the bundled demos scored read-only, a saved 2D-toy run scored and
compared, and a run that averages G. Scoring runs in a background thread; AppTest never fires the page's poll
timer, so `evaluate` reruns the page until the result is in."""

from __future__ import annotations

import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explorer import Runner, TrainConfig
from explorer.runs import run_folder
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "evaluate.py")


@pytest.fixture(autouse=True)
def fresh_registry(runs_dir):
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def evaluate(at: AppTest, timeout: float = 240.0) -> AppTest:
    """Press Evaluate and rerun the page until the comparison table (or an error) shows."""
    at.button[0].click().run()
    assert not at.exception
    end = time.monotonic() + timeout
    while not at.dataframe and not at.error:
        assert time.monotonic() < end, "the evaluation did not end in time"
        progress = [p for p in at.get("progress")]
        assert progress, "a progress bar while it runs"
        time.sleep(1.0)
        at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_without_a_saved_run_or_demos_the_page_says_what_to_do(runs_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder, "DEMO_RUNS_DIR", tmp_path / "no-demos")  # an install without the demos
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("No saved run" in i.value for i in at.info)


@pytest.mark.slow
def test_a_fresh_runs_folder_lists_the_demos_and_scores_one_without_writing_to_it(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    run = at.selectbox[0]
    labels = list(run.options)  # what the select shows
    assert "mnist-subset-digits · bundled demo (MNIST digits, 5,000 offline, step 6,000)" in labels, labels
    assert not any("figure1-gaussian" in o for o in labels), "a demo with no metric here is not offered"
    run.select_index(labels.index(next(o for o in labels if o.startswith("mnist-subset-digits")))).run()
    assert any("read-only" in c.value for c in at.caption)
    assert at.multiselect[0].value == ["fid", "score", "coverage"]
    assert list(at.multiselect[0].options) == ["Parzen log-likelihood", "Frechet distance", "classifier score",
                                               "classes covered"]
    demo = run_folder.DEMO_RUNS_DIR / "mnist-subset-digits"
    before = {p: p.stat().st_mtime_ns for p in demo.rglob("*")}
    at.multiselect[0].set_value(["score", "coverage"])
    at.select_slider[0].set_value(500)
    evaluate(at.run())
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["Run", "Step", "G's weights", "Samples"]
    assert table["Run"].tolist() == ["mnist-subset-digits"] and table["Samples"].tolist() == [500]
    assert 6.0 <= table["classifier score"].iloc[0] <= 10.0, "the shipped digits are recognisable"
    assert {p: p.stat().st_mtime_ns for p in demo.rglob("*")} == before, "nothing in the demo was written"


def test_a_saved_ring_run_is_scored_and_its_training_curves_shown(runs_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder, "DEMO_RUNS_DIR", tmp_path / "no-demos")
    cfg = TrainConfig.for_dataset("ring8", steps=200, eval_interval=100)
    Runner(cfg, runs_dir=runs_dir).start().join(300)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.multiselect[0].value == ["modes"]
    assert at.get("plotly_chart"), "the in-training mode-coverage curve is drawn"
    evaluate(at)
    table = at.dataframe[0].value
    assert table["Step"].tolist() == [200] and 0 <= table["modes covered"].iloc[0] <= 8
    assert not [c for c in table.columns if "." in c or "_" in c], f"codes as column names: {list(table.columns)}"


def test_a_run_that_averages_g_offers_both_weights_and_the_table_says_which(runs_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder, "DEMO_RUNS_DIR", tmp_path / "no-demos")
    cfg = TrainConfig.for_dataset("mnist_subset", model="mlp", g_hidden=16, d_hidden=32, steps=30, g_average=0.9)
    Runner(cfg, runs_dir=runs_dir).start().join(300)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    weights = at.radio[0]
    assert weights.label == "G's weights" and weights.value is True
    at.multiselect[0].set_value(["score"])
    at.select_slider[0].set_value(500)
    weights.set_value(False).run()
    evaluate(at)
    table = at.dataframe[0].value
    assert table["G's weights"].tolist() == ["G as trained"] and 1.0 <= table["classifier score"].iloc[0] <= 10.0


@pytest.mark.slow
def test_cancel_stops_a_running_evaluation_and_records_nothing(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    labels = list(at.selectbox[0].options)
    at.selectbox[0].select_index(next(i for i, o in enumerate(labels) if o.startswith("mnist-subset-digits"))).run()
    at.multiselect[0].set_value(["parzen"]).run()  # 10,000 samples: long enough to cancel half way
    at.button[0].click().run()
    end = time.monotonic() + 120
    while "Parzen" not in " ".join(p.proto.text for p in at.get("progress")):  # sampling done, the window runs
        assert time.monotonic() < end and not at.error, "the evaluation never reached its Parzen window"
        time.sleep(0.5)
        at.run()
    at.button(key="eval_cancel").click().run()
    end = time.monotonic() + 60
    while not any("cancelled" in i.value for i in at.info):
        assert time.monotonic() < end, "Cancel did not stop the evaluation"
        time.sleep(0.5)
        at.run()
    assert not at.dataframe and not at.error  # nothing joined the comparison table
    assert not at.button[0].disabled  # Evaluate can start another
