"""Latent walks (explorer.plots.latent) and the nearest-neighbour check (explorer.metrics.neighbours)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explorer.plots import latent
from explorer.metrics import neighbours
from explorer.game.config import TrainConfig
from explorer.game.models import build_models


def test_lerp_endpoints_and_midpoint():
    z0, z1 = torch.tensor([0.0, 2.0, -4.0]), torch.tensor([2.0, 0.0, 4.0])
    path = latent.lerp(z0, z1, 5)
    assert path.shape == (5, 3)
    assert torch.equal(path[0], z0) and torch.equal(path[-1], z1)
    assert torch.allclose(path[2], torch.tensor([1.0, 1.0, 0.0]))


def test_slerp_keeps_endpoints_and_the_norm_between_equal_norm_endpoints():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(100, generator=g), torch.randn(100, generator=g)
    z1 = z1 * (z0.norm() / z1.norm())  # equal norms
    path = latent.slerp(z0, z1, 9)
    assert torch.equal(path[0], z0) and torch.equal(path[-1], z1)
    assert torch.allclose(path.norm(dim=1), z0.norm().expand(9), rtol=1e-5)
    # A straight line cuts inside the sphere: its midpoint is shorter. slerp's is not.
    assert latent.lerp(z0, z1, 9)[4].norm() < 0.9 * z0.norm()
    # On the unit circle, slerp moves at constant angular speed.
    arc = latent.slerp(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), 3)
    assert torch.allclose(arc[1], torch.tensor([math.sqrt(0.5), math.sqrt(0.5)]), atol=1e-6)
    # (Anti)parallel endpoints have no unique great circle: a straight line is returned.
    assert torch.allclose(latent.slerp(torch.ones(4), 2 * torch.ones(4), 3)[1], 1.5 * torch.ones(4))


def test_walk_grid_and_manifold_grid():
    centre = torch.zeros(10)
    grid = latent.walk_grid(centre, 5, span=2.0, seed=3)
    assert grid.shape == (25, 10)
    assert torch.allclose(grid[12], centre)  # the middle of the grid is the centre
    dirs = latent.orthogonal_directions(10, seed=3)
    assert torch.allclose(dirs @ dirs.T, torch.eye(2), atol=1e-5)
    assert torch.allclose((grid[14] - grid[12]).norm(), torch.tensor(2.0))  # the row's end: span away
    m = latent.manifold_grid(4, "uniform")
    assert m.shape == (16, 2) and float(m.abs().max()) == pytest.approx(math.sqrt(3))
    assert m[0, 0] < m[3, 0] and m[0, 1] > m[12, 1]  # z1 grows to the right, z2 grows upwards


def test_decoding_an_image_generator_to_one_image():
    cfg = TrainConfig(dataset="digits8x8", model="mlp", g_hidden=16, d_hidden=32, z_dim=2)
    G, _ = build_models(cfg, (1, 8, 8))
    z0, z1 = latent.random_z(2, 2, "uniform", seed=0)
    img = latent.interpolation_rows(G, z0, z1, 6)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[1] > 5 * img.shape[0] / 2  # two rows of six
    assert torch.equal(latent.random_z(3, 2, "uniform", 7), latent.random_z(3, 2, "uniform", 7))


def test_nearest_train_finds_a_planted_duplicate_exactly():
    g = torch.Generator().manual_seed(0)
    train = torch.rand(3000, 1, 28, 28, generator=g)
    queries = torch.rand(40, 1, 28, 28, generator=g)
    queries[17] = train[1234]  # a memorised training image
    dist, idx = neighbours.nearest_train(queries, train, chunk=16)
    assert idx[17] == 1234 and dist[17] == 0.0
    brute = torch.cdist(queries.reshape(40, -1).double(), train.reshape(3000, -1).double())
    assert torch.equal(idx, brute.argmin(1))
    assert torch.allclose(dist.double(), brute.min(1).values, atol=1e-4)
    with pytest.raises(ValueError, match="values each"):
        neighbours.nearest_train(queries, torch.rand(5, 3, 8, 8))


def test_memorisation_report_tells_copies_from_fresh_samples():
    g = torch.Generator().manual_seed(1)
    train, test = torch.rand(500, 64, generator=g), torch.rand(100, 64, generator=g)
    copies = train[:100] + 0.01 * torch.rand(100, 64, generator=g)
    fresh = torch.rand(100, 64, generator=g)
    copied, honest = (neighbours.memorisation_report(s, train, test) for s in (copies, fresh))
    assert copied.ratio < 0.1 and "copying" in copied.verdict
    assert 0.9 < honest.ratio < 1.1 and "no sign" in honest.verdict
    assert honest.test_median == pytest.approx(float(np.median(honest.test_dist)))


def test_neighbour_pairs_image_outlines_the_neighbour_in_yellow():
    samples, nbrs = torch.zeros(3, 1, 8, 8), torch.ones(3, 1, 8, 8)
    img = neighbours.neighbour_pairs_image(samples, nbrs, np.array([1.0, 2.0, 3.0]), pairs_per_row=2)
    yellow = np.all(img == np.array(neighbours.OUTLINE, np.uint8), axis=-1)
    assert yellow.sum() > 3 * 4 * 56  # a border around each of the three neighbours
    assert (img == 0).all(-1).sum() >= 3 * 56 * 56 * 0.9  # the black samples are there, unoutlined
    with pytest.raises(ValueError, match="differ"):
        neighbours.neighbour_pairs_image(samples, torch.ones(2, 1, 8, 8))
