"""MNIST in a minute: the preset, and `bench --quality SECONDS` on a tiny budget (no timing assertions)."""

from __future__ import annotations

import json
from argparse import Namespace

import pytest

from explorer.bench.quality import checkpoints, main_quality, meets_target
from explorer.game.config import TrainConfig
from explorer.lessons.presets import MNIST_IN_A_MINUTE, PRESET_NOTES, PRESETS, preset

SNAPSHOT_KEYS = {"at_s", "seconds", "steps", "steps_per_s", "classifier_score", "frechet_distance",
                 "classes_covered", "kl_to_uniform", "precision", "recall", "meets_target"}


def test_the_preset_is_a_valid_mnist_config_with_a_note():
    cfg = preset(MNIST_IN_A_MINUTE)
    assert isinstance(cfg, TrainConfig) and cfg.dataset == "mnist" and cfg.family == "mlp"
    assert cfg.g_average > 0, "the figures are for G's weight average; the preset must keep one"
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert MNIST_IN_A_MINUTE in PRESETS and PRESET_NOTES[MNIST_IN_A_MINUTE]
    assert set(PRESETS) == set(PRESET_NOTES)


def test_the_snapshots_fall_at_a_sixth_a_half_and_the_end_of_the_budget():
    assert checkpoints(60) == [10, 30, 60]
    assert checkpoints(3) == [0.5, 1.5, 3]


def test_the_target_needs_all_three_figures():
    good = {"classifier_score": 8.5, "frechet_distance": 20.0, "classes_covered": 10}
    assert meets_target(good)
    assert not meets_target({**good, "classifier_score": 7.9})
    assert not meets_target({**good, "frechet_distance": 31.0})
    assert not meets_target({**good, "classes_covered": 9})


@pytest.mark.slow
def test_quality_mode_on_a_tiny_budget_scores_three_snapshots(capsys):
    args = Namespace(quality=3.0, dataset="mnist_subset", data_root=None, json=True, device="cpu", samples=300)
    fig = main_quality(args)
    out = capsys.readouterr().out
    snaps = fig["snapshots"]
    assert [s["at_s"] for s in snaps] == [0.5, 1.5, 3.0]
    for s in snaps:
        assert SNAPSHOT_KEYS <= set(s)
        assert s["seconds"] >= s["at_s"] and s["steps"] >= 1
        assert 1.0 <= s["classifier_score"] <= 10.0 and s["frechet_distance"] >= 0
        assert 0 <= s["classes_covered"] <= 10
    assert [s["steps"] for s in snaps] == sorted(s["steps"] for s in snaps)  # training went on between copies
    assert fig["n_samples"] == 300 and fig["preset"] == MNIST_IN_A_MINUTE
    assert fig["load_average_before"] is not None and isinstance(fig["target_met"], bool)
    json.dumps(fig)  # the CLI prints it as the last stdout line
    # the report a person reads: one row per moment, the verdict and the load average
    assert "Frechet" in out and "load average" in out and "target" in out
    assert sum(line.lstrip().startswith(("0.5s", "1.5s", "3s")) for line in out.splitlines()) == 3


@pytest.mark.slow
def test_quality_mode_without_json_returns_nothing_to_print(capsys):
    args = Namespace(quality=1.0, dataset="mnist_subset", data_root=None, json=False, device="cpu", samples=200)
    assert main_quality(args) is None
    assert "target" in capsys.readouterr().out


def test_quality_mode_refuses_a_data_set_it_cannot_score():
    with pytest.raises(ValueError, match="mnist_subset"):
        main_quality(Namespace(quality=1.0, dataset="cifar10", data_root=None, json=False, device="cpu"))
