"""The Side by side page: one Start trains two runs that differ only in the compared choice, from the same seed,
drawn in two columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer.lessons.presets import POOR_G, SIDE_BY_SIDE, side_by_side
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/side_by_side.py"


@pytest.mark.parametrize("name", list(SIDE_BY_SIDE))
def test_each_comparison_changes_one_choice_and_keeps_the_seed(name):
    (_, a), (_, b) = side_by_side(name, "ring8", seed=7, steps=500)
    differ = {k for k, v in a.to_dict().items() if b.to_dict()[k] != v}
    assert differ and differ <= {"loss", "k", "optimizer", "lr_d", "lr_g", "momentum"}
    assert a.seed == b.seed == 7 and a.steps == b.steps == 500 and a.dataset == b.dataset == "ring8"


def test_each_comparison_starts_where_its_difference_shows():
    """The minimax comparison starts from the minimax tour's poor G (from the defaults both losses converge alike);
    each caption is a claim measured by scripts/measure_lessons.py on seeds 0, 1 and 2."""
    (_, minimax), (_, ns) = side_by_side("Minimax vs non-saturating loss (section 3)", "toy1d", seed=1)
    for side in (minimax, ns):
        assert (side.optimizer, side.momentum, side.k, side.lr_d, side.lr_g) == (
            POOR_G.optimizer, POOR_G.momentum, POOR_G.k, POOR_G.lr_d, POOR_G.lr_g)
    for comparison in SIDE_BY_SIDE.values():
        assert "seeds 0, 1 and 2" in comparison.caption


@pytest.mark.slow
def test_one_start_trains_both_sides_in_two_columns(registry):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    assert any("Start both" in i.value for i in at.info)
    at.selectbox(key="sbs_comparison").set_value("Minimax vs non-saturating loss (section 3)")
    at.number_input(key="sbs_steps").set_value(200)
    at.button(key="sbs_start").click().run()
    assert not at.exception, at.exception
    runs = registry.runners()
    assert len(runs) == 2
    assert {r.cfg.loss for r in runs} == {"minimax", "non_saturating"}
    assert runs[0].cfg.replace(loss="minimax") == runs[1].cfg.replace(loss="minimax")  # nothing else differs
    for r in runs:
        r.join(120)
    at.run()
    assert not at.exception, at.exception
    charts = [c.key for c in at.get("plotly_chart")]
    assert charts == ["sbs_figure_0", "sbs_d_0", "sbs_figure_1", "sbs_d_1", "sbs_gradients"]
    # each side's game is titled with what it changed, above its status line
    titles = [c.proto.spec for c in at.get("plotly_chart") if c.key.startswith("sbs_figure_")]
    assert ["minimax: G descends log(1 - D(G(z)))" in t for t in titles] == [True, False]
    assert ["non-saturating: G ascends log D(G(z))" in t for t in titles] == [False, True]
    assert sum("step **" in m.value for m in at.markdown) == 2
    wait_for(lambda: all(not r.snapshot().alive for r in runs))
