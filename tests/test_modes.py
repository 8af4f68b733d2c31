"""VEEGAN's mode metrics on the 8-Gaussian ring: what a collapsed or a spread-out G would score."""

import pytest
import torch

from explorer.game.datasets import make_toy
from explorer.metrics.modes import mode_metrics


@pytest.fixture(scope="module")
def ring():
    return make_toy("ring8", n=2_500)


def test_samples_at_every_mode_cover_all_eight(ring):
    samples = ring.modes.repeat(2_500 // 8 + 1, 1)[:2_500]
    m = mode_metrics(samples, ring.modes, ring.mode_std)
    assert m["modes_covered"] == 8 and m["n_modes"] == 8
    assert m["high_quality_fraction"] == 1.0


def test_real_ring_data_covers_all_modes_with_nearly_all_samples_high_quality(ring):
    m = mode_metrics(ring.x, ring.modes, ring.mode_std)
    assert m["modes_covered"] == 8
    assert m["high_quality_fraction"] > 0.98  # 2D Gaussian: P(r < 3 std) = 1 - exp(-4.5) = 0.989


def test_a_collapsed_generator_covers_one_mode(ring):
    samples = ring.modes[3] + ring.mode_std * torch.randn(2_500, 2, generator=torch.Generator().manual_seed(0))
    m = mode_metrics(samples, ring.modes, ring.mode_std)
    assert m["modes_covered"] == 1 and m["per_mode"][3] == sum(m["per_mode"])
    assert m["high_quality_fraction"] > 0.95


def test_far_away_points_are_not_high_quality_and_cover_nothing(ring):
    samples = torch.zeros(2_500, 2)  # the ring's centre: 2 units = 100 std from every mode
    m = mode_metrics(samples, ring.modes, ring.mode_std)
    assert m["high_quality_fraction"] == 0.0 and m["modes_covered"] == 0
