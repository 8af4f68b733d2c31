"""Evaluation as a user runs it: the CLI on a run and on real images, and metrics during training."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from explorer import Runner, TrainConfig
from explorer.metrics.protocol import MetricError, score_samples
from explorer.runs.checkpoint_scores import evaluate_run
from tests.conftest import ROOT


def _cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", "evaluate", *args, "--no-progress"], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_real_mnist_as_samples_scores_near_the_papers_reference_row(shared_data):
    out = _cli("--samples-from", "mnist-train", "--metric", "parzen", "--data-root", str(shared_data))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    parzen = result["parzen"]
    # the paper's protocol (10,000 samples): real training images score about 241, the paper's GAN 225 +/- 2
    assert 236 < parzen["mean"] < 246 and parzen["std_error"] < 3 and 0.1 <= parzen["sigma"] <= 0.3
    assert result["n_samples"] == parzen["n_samples"] == 10_000
    # Table 1 has the paper's GAN row only; our real-images row is apart, under its own name
    assert result["paper_table1"] == {"GAN (Goodfellow et al. 2014)": {"mean": 225.0, "std_error": 2.0}}
    (name, row), = result["reference_row"].items()
    assert "real MNIST training images" in name and abs(row["mean"] - parzen["mean"]) < 3


@pytest.mark.slow
def test_only_mnist_parzen_results_carry_the_papers_table1():
    out = _cli("--samples-from", "digits8x8-train", "--metric", "parzen", "--samples", "300")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n_samples"] == result["parzen"]["n_samples"] == 300
    assert "paper_table1" not in result and "reference_row" not in result


@pytest.mark.slow
def test_evaluate_a_2d_toy_run_counts_its_modes(runs_dir):
    runner = Runner(TrainConfig.for_dataset("ring8", steps=300), runs_dir=runs_dir).start()
    runner.join(120)
    out = _cli(str(runner.run_dir), "--metric", "modes")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    modes = result["modes"]
    assert modes["n_modes"] == 8 and 0 <= modes["modes_covered"] <= 8
    assert 0.0 <= modes["high_quality_fraction"] <= 1.0
    # VEEGAN's protocol scores 2,500 samples, and that is what the result says (the default --samples is 10,000)
    assert result["n_samples"] == modes["n_samples"] == 2_500
    assert sum(modes["per_mode"]) == round(modes["high_quality_fraction"] * 2_500)


@pytest.mark.slow
def test_a_metric_that_does_not_apply_says_which_do(runs_dir):
    with pytest.raises(MetricError, match="dataset='ring8'; it has: modes"):
        score_samples(torch.zeros(10, 2), TrainConfig.for_dataset("ring8"), ["parzen"])
    out = _cli("--metric", "parzen")
    assert out.returncode == 2 and "RUN_DIR or --samples-from" in out.stderr


@pytest.mark.slow
def test_mnist_like_run_gets_classifier_scores_and_in_training_curves(runs_dir):
    cfg = TrainConfig.for_dataset("mnist_subset", model="mlp", g_hidden=16, d_hidden=32, steps=60,
                                  eval_interval=30, checkpoint_interval=60)
    runner = Runner(cfg, runs_dir=runs_dir).start()
    runner.join(180)
    snap = runner.snapshot()
    assert snap.state == "finished", snap.error
    curves = snap.eval_frame
    assert curves["step"].tolist() == [30, 60]
    assert {"frechet_distance", "classifier_score", "classes_covered"} <= set(curves.columns)
    result = evaluate_run(runner.run_dir, ["score", "coverage", "fid"], n_samples=500)
    assert result["step"] == 60 and 1.0 <= result["score"]["classifier_score"] <= 10.0
    assert 0 <= result["coverage"]["classes_covered"] <= 10 and result["fid"]["frechet_distance"] > 0


@pytest.mark.slow
def test_a_run_that_averages_g_is_scored_on_the_average_unless_raw_g_is_asked(runs_dir):
    cfg = TrainConfig.for_dataset("mnist_subset", model="mlp", g_hidden=16, d_hidden=32, steps=40,
                                  g_average=0.9)
    runner = Runner(cfg, runs_dir=runs_dir).start()
    runner.join(180)
    assert runner.snapshot().state == "finished", runner.snapshot().error
    results = [json.loads(_cli(str(runner.run_dir), "--metric", "score", "--samples", "500", *extra)
                          .stdout.strip().splitlines()[-1]) for extra in ((), ("--raw-g",))]
    assert [r["g_weights"] for r in results] == ["average (decay 0.9)", "G"]
    scores = [r["score"]["classifier_score"] for r in results]
    assert scores[0] != scores[1] and all(1.0 <= s <= 10.0 for s in scores)
