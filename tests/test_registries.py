"""The registries (explorer.game.datasets, explorer.game.objectives, explorer.metrics.registry): a data set, a
metric and an objective added in THIS FILE ALONE (then removed) are offered everywhere the built-in ones are: the
CLI's choices, TrainConfig's field metadata and the Train page's sidebar, the Evaluate page's metric list, a
sweep's final figures and the Runs table; a run with them trains, is scored and is listed."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator

import pytest
import streamlit as st
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from explorer import names
from explorer.cli import build_parser
from explorer.game.config import DATASETS, LOSSES, TOYS_1D, TrainConfig, field_info
from explorer.game.data import Dataset, gaussian_mixture
from explorer.game.datasets import DatasetSpec, LoadRequest, register_dataset, unregister_dataset
from explorer.game.objectives import ObjectiveSpec, register_objective, unregister_objective
from explorer.metrics.registry import (
    METRICS,
    MetricSpec,
    QuickScoring,
    Scoring,
    applicable_metrics,
    register_metric,
    unregister_metric,
)
from explorer.runs import catalog
from explorer.runs.checkpoint_scores import evaluate_run
from explorer.runs.runner import Runner
from explorer.sweeps import maps
from explorer.sweeps.spec import SweepSpec
from explorer.sweeps.sweep_folder import create_sweep, figure_labels, lower_is_better, read_results, write_results
from explorer.sweeps.trial import run_trial
from tests.conftest import ROOT

TINY_SET, TINY_METRIC, TINY_LOSS = "tiny_bumps", "bump_gap", "hinge"
SET_LABEL, METRIC_LABEL, LOSS_LABEL, COLUMN_LABEL = "Tiny two bumps", "Distance to the bumps", "hinge (tiny)", "gap"


# ------------------------------------------------------------------------------ the three additions

def _bumps(r: LoadRequest) -> Dataset:
    """Two narrow bumps at -1 and 1 (a test split drawn from the next seed, as the built-in toys do)."""
    return gaussian_mixture(r.name, torch.tensor([[-1.0], [1.0]]), 0.1, r.n, r.seed + (r.split != "train"))


def _gap(x: torch.Tensor) -> float:
    """Mean distance of samples to the nearer bump."""
    return float((x.abs() - 1).abs().mean())


def _hinge_d(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return F.relu(1 - real_logits).mean(), F.relu(1 + fake_logits).mean()


TINY_DATASET = DatasetSpec(TINY_SET, "toy1d", "two narrow bumps at -1 and 1", _bumps, (1,), label=SET_LABEL,
                           defaults=dict(steps=40, batch_size=32, sample_interval=20, lr_d=2e-3, lr_g=1e-3))
TINY_METRIC_SPEC = MetricSpec(
    TINY_METRIC, "lower", lambda d: d.name == TINY_SET,
    compute=lambda s: {TINY_METRIC: {"gap": _gap(s.samples)}}, units="data units",
    help="how far G's samples lie from the nearer bump", quick=lambda q: {"bump_gap_quick": _gap(q.samples(200))},
    figures=("bump_gap_quick",), headline="bump_gap_quick", best_text=lambda v, d: f"gap {v:.3f}",
    label=METRIC_LABEL, column_labels={"bump_gap_quick": COLUMN_LABEL})
TINY_OBJECTIVE = ObjectiveSpec(TINY_LOSS, _hinge_d, lambda fake_logits: -fake_logits.mean(), label=LOSS_LABEL)


@contextlib.contextmanager
def registered() -> Iterator[None]:
    register_dataset(TINY_DATASET)
    register_metric(TINY_METRIC_SPEC)
    register_objective(TINY_OBJECTIVE)
    try:
        yield
    finally:
        unregister_objective(TINY_LOSS)
        unregister_metric(TINY_METRIC)
        unregister_dataset(TINY_SET)


@pytest.fixture
def tiny(runs_dir) -> Iterator[None]:
    st.cache_resource.clear()
    with registered():
        yield
    st.cache_resource.clear()


def tiny_config(**changes) -> TrainConfig:
    return TrainConfig.for_dataset(TINY_SET, loss=TINY_LOSS, **changes)


# ------------------------------------------------------------------------------ offered everywhere

def test_the_cli_offers_them_and_its_help_names_them(tiny, capsys):
    parser = build_parser()
    assert parser.parse_args(["train", "--dataset", TINY_SET]).dataset == TINY_SET
    assert parser.parse_args(["evaluate", "a-run", "--metric", TINY_METRIC]).metric == [TINY_METRIC]
    for command in (["train", "--help"], ["evaluate", "--help"]):
        with pytest.raises(SystemExit):
            parser.parse_args(command)
    shown = capsys.readouterr().out
    assert TINY_SET in shown and TINY_METRIC in shown
    with pytest.raises(SystemExit):  # and an unknown one is still refused
        parser.parse_args(["evaluate", "a-run", "--metric", "no_such_metric"])


def test_the_config_and_its_field_metadata_offer_them_with_their_defaults_and_labels(tiny):
    assert TINY_SET in field_info("dataset")["choices"] and TINY_LOSS in field_info("loss")["choices"]
    assert TINY_SET in DATASETS and TINY_SET in TOYS_1D and TINY_LOSS in LOSSES and TINY_METRIC in METRICS
    cfg = tiny_config()
    assert (cfg.family, cfg.steps, cfg.batch_size) == ("toy", 40, 32)  # a toy's family; its own defaults
    assert TrainConfig.from_query(cfg.to_query()) == (cfg, [])  # a link to it opens it
    assert names.label("dataset", TINY_SET) == SET_LABEL and names.label("loss", TINY_LOSS) == LOSS_LABEL
    assert names.label("metric", TINY_METRIC) == METRIC_LABEL
    assert applicable_metrics(cfg) == (TINY_METRIC,) and applicable_metrics(TrainConfig()) == ()


def test_the_train_pages_sidebar_offers_them_under_their_labels(tiny, registry):
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    dataset = at.sidebar.selectbox(key="cfg_dataset")
    assert SET_LABEL in dataset.options
    dataset.set_value(TINY_SET).run()
    assert not at.exception, at.exception
    assert at.sidebar.number_input(key="cfg_steps").value == 40  # its defaults loaded
    loss = at.sidebar.selectbox(key="cfg_loss")
    assert LOSS_LABEL in loss.options
    loss.set_value(TINY_LOSS).run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_a_sweep_reports_the_new_metric_as_a_final_figure(tiny, runs_dir):
    assert figure_labels()["bump_gap_quick"] == COLUMN_LABEL and lower_is_better("bump_gap_quick")
    spec = SweepSpec("tiny", TINY_SET, None, (f"loss={TINY_LOSS}",), (("lr_g", ("1e-3", "2e-3")),), (0,), 20)
    sweep_dir, spec = create_sweep(runs_dir, spec)
    rows = [run_trial(trial, sweep_dir, poll_seconds=0.05) for trial in spec.trials()]
    assert [r["state"] for r in rows] == ["finished", "finished"], rows
    write_results(sweep_dir, spec, rows)
    results = read_results(sweep_dir, spec)
    assert results["bump_gap_quick"].notna().all() and results["js"].notna().all()
    assert "bump_gap_quick" in maps.offered_figures(results)
    assert maps.sweep_axes(results) == ["lr_g"]


# ------------------------------------------------------------------------------ a run with them

@pytest.fixture
def tiny_run(tiny, runs_dir) -> Runner:
    runner = Runner(tiny_config(eval_interval=20), runs_dir=runs_dir).start()
    runner.join(120)
    snap = runner.snapshot()
    assert snap.state == "finished", snap.error
    return runner


def test_a_run_with_the_new_data_set_and_objective_trains_and_tracks_the_new_metric(tiny_run):
    snap = tiny_run.snapshot()
    assert snap.step == 40 and snap.config.loss == TINY_LOSS
    assert all(math.isfinite(v) for v in snap.metrics.iloc[-1])
    # the hinge's G loss is -mean D logit: what Trainer.g_loss gives on any logits
    logits = torch.tensor([[0.5], [-1.5]])
    assert float(tiny_run.trainer.g_loss(logits)) == pytest.approx(0.5)
    evals = snap.eval_frame
    assert evals["step"].tolist() == [20, 40] and evals["bump_gap_quick"].notna().all()


def test_the_runs_table_lists_it_with_its_best_value_of_the_new_metric(tiny_run, runs_dir):
    table = catalog.run_table(runs_dir, demo_dir=runs_dir / "no-demos")
    row = table.set_index("name").loc[tiny_run.name]
    best = tiny_run.snapshot().eval_frame["bump_gap_quick"].min()
    assert (row["dataset"], row["loss"], row["model"]) == (TINY_SET, TINY_LOSS, "toy")
    assert row["best_metric"] == f"gap {best:.3f}"


def test_the_evaluate_page_offers_the_new_metric_and_scores_it(tiny_run):
    result = evaluate_run(tiny_run.run_dir, [TINY_METRIC], n_samples=500)
    assert result["n_samples"] == 500 and 0 <= result[TINY_METRIC]["gap"] < 10
    at = AppTest.from_file(str(ROOT / "pages" / "evaluate.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    run = at.selectbox[0]
    run.select_index(next(i for i, o in enumerate(run.options) if o.startswith(tiny_run.name))).run()
    chosen = at.multiselect[0]
    assert list(chosen.options) == [METRIC_LABEL] and chosen.value == [TINY_METRIC]
    assert "data units" in chosen.help and "lower is better" in chosen.help
    at.button[0].click().run()
    end = time.monotonic() + 120
    while not at.dataframe and not at.error:
        assert time.monotonic() < end, "the evaluation did not end in time"
        time.sleep(0.5)
        at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(c.startswith(METRIC_LABEL) for c in at.dataframe[0].value.columns), at.dataframe[0].value.columns


def test_scoring_reads_what_it_needs_once():
    """Metrics that share a load (the test images, a classifier) get it from one Scoring, loaded on first use."""
    scoring = Scoring(torch.zeros(4, 1), TrainConfig.for_dataset("toy1d"))
    assert scoring.real_test is scoring.real_test and scoring.dataset.name == "toy1d"
    drawn = []
    quick = QuickScoring(lambda n: drawn.append(n) or torch.zeros(n, 1), TrainConfig(), None, None, 0.0)
    assert quick.samples(10) is quick.samples(10) and quick.samples().shape == (1000, 1) and drawn == [10, 1000]


# ------------------------------------------------------------------------------ and gone again

def test_unregistered_they_are_offered_nowhere_and_a_name_is_registered_once():
    with registered():
        with pytest.raises(ValueError, match="registered already"):
            register_dataset(TINY_DATASET)
    assert TINY_SET not in DATASETS and TINY_SET not in field_info("dataset")["choices"]
    assert TINY_LOSS not in LOSSES and TINY_METRIC not in METRICS and "bump_gap_quick" not in figure_labels()
    assert TINY_SET not in names.DATASET_LABELS and "bump_gap_quick" not in names.METRIC_LABELS
    with pytest.raises(ValueError, match="dataset='tiny_bumps' is not allowed"):
        TrainConfig.for_dataset(TINY_SET)
    with pytest.raises(ValueError, match="lower-case"):
        register_dataset(DatasetSpec("Bad Name", "toy1d", "", _bumps))
    with pytest.raises(ValueError, match="better="):
        MetricSpec("x", "best", lambda d: True, lambda s: {})
