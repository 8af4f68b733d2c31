"""The Evaluate page through AppTest: no run, then a saved 2D-toy run scored and compared."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explorer import Runner, TrainConfig
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "evaluate.py")


@pytest.fixture(autouse=True)
def fresh_registry(runs_dir):
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_without_a_saved_run_the_page_says_what_to_do(runs_dir):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("No saved run" in i.value for i in at.info)


def test_a_saved_ring_run_is_scored_and_its_training_curves_shown(runs_dir):
    cfg = TrainConfig.for_dataset("ring8", steps=200, eval_interval=100)
    Runner(cfg, runs_dir=runs_dir).start().join(120)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.multiselect[0].value == ["modes"]
    assert at.get("plotly_chart"), "the in-training mode-coverage curve is drawn"
    at.button[0].click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["step"].tolist() == [200] and 0 <= table["modes.modes_covered"].iloc[0] <= 8


def test_a_run_that_averages_g_offers_both_weights_and_the_table_says_which(runs_dir):
    cfg = TrainConfig.for_dataset("mnist_subset", model="mlp", g_hidden=16, d_hidden=32, steps=30, g_average=0.9)
    Runner(cfg, runs_dir=runs_dir).start().join(120)
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    weights = at.radio[0]
    assert weights.label == "G's weights" and weights.value is True
    at.multiselect[0].set_value(["score"])
    at.select_slider[0].set_value(500)
    weights.set_value(False).run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert table["G"].tolist() == ["G"] and 1.0 <= table["score.classifier_score"].iloc[0] <= 10.0
