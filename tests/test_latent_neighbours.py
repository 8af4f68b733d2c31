"""Latent walks (explorer.plots.latent), the nearest-neighbour check (explorer.metrics.neighbours), the
images that show them (explorer.plots.images: the one image grid, Figure 2's pairs), and the Latent space page
on the bundled digits demo."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from explorer.game.config import TrainConfig
from explorer.game.models import build_models
from explorer.metrics import neighbours
from explorer.metrics.classifier import load_classifier, predict_logits
from explorer.plots import images, latent
from explorer.runs import run_folder
from explorer.runs.run_folder import load_models
from tests.conftest import ROOT


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
    img = images.neighbour_pairs_image(samples, nbrs, np.array([1.0, 2.0, 3.0]), pairs_per_row=2)
    yellow = np.all(img == np.array(images.OUTLINE, np.uint8), axis=-1)
    assert yellow.sum() > 3 * 4 * 56  # a border around each of the three neighbours
    assert (img == 0).all(-1).sum() >= 3 * 56 * 56 * 0.9  # the black samples are there, unoutlined
    with pytest.raises(ValueError, match="differ"):
        images.neighbour_pairs_image(samples, torch.ones(2, 1, 8, 8))


def test_neighbour_pairs_keep_each_sample_beside_its_own_neighbour():
    samples = torch.stack([torch.full((1, 8, 8), v) for v in (0.0, 0.2, 0.4)])
    nbrs = torch.stack([torch.full((1, 8, 8), v) for v in (0.6, 0.8, 0.9)])
    img = images.neighbour_pairs_image(samples, nbrs, pairs_per_row=3)
    row = img[8 + 3 + 28]  # through the middle of the first row of cells
    grey = row[(row[:, 0] == row[:, 1]) & (row[:, 1] == row[:, 2]) & (row[:, 0] < 255), 0]  # no white, no yellow
    assert list(dict.fromkeys(int(v) for v in grey)) == [0, 153, 51, 204, 102, 230]  # sample, its neighbour, ...


def test_image_grid_enlarges_by_nearest_neighbour():
    x = torch.rand(4, 1, 8, 8)
    grid = images.image_grid(x, nrow=2, padding=2)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 58 + 2, 2 * 58 + 2, 3)  # 8 px -> 56 px cells (7x)
    cell = grid[2: 2 + 56, 2: 2 + 56, 0]
    assert np.array_equal(cell, np.repeat(np.repeat(cell[::7, ::7], 7, 0), 7, 1))  # blocks, no blur
    assert images.image_grid(x, nrow=2, scale=1).shape == (2 * 10 + 2, 2 * 10 + 2, 3)


def test_image_grid_target_fits_the_grid_and_takes_a_composed_uint8_image():
    x = torch.rand(4, 1, 8, 8)
    big = images.image_grid(x, nrow=2, padding=2, target=360)
    assert max(big.shape[:2]) <= 360 and max(big.shape[:2]) + 2 * 20 > 360  # the largest that fits
    # The runner publishes a composed uint8 grid; the Train page enlarges it to ~360 px the same way.
    small = images.image_grid(x, nrow=2, padding=2, scale=1)  # (22, 22, 3)
    shown = images.image_grid(small, padding=0, target=360)
    factor = 360 // 22
    assert shown.shape == (22 * factor, 22 * factor, 3)
    assert np.array_equal(shown, np.repeat(np.repeat(small, factor, 0), factor, 1))
    assert np.array_equal(images.image_grid(big, padding=0, target=360), big)  # already large: unchanged
    with pytest.raises(ValueError, match="uint8"):
        images.image_grid(small.astype(float), padding=0)


# ------------------------------------------------------------------ the bundled digits demo, as a class sees it

DIGITS_DEMO = "mnist-subset-digits"
ENDPOINT_FLOOR = 10.0  # pixel L2: the endpoints chosen are 12.7, 12.3, 11.8 apart (seeds 0-2); two plain draws: 8.2


def open_latent_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/latent.py")
    at.run()
    assert not at.exception, at.exception
    return at


def image_captions(at: AppTest) -> list[str]:
    return [img.caption for el in at.get("image") for img in el.proto.imgs]


def test_the_digits_demo_interpolates_between_distinct_digits_from_the_default_seed(registry):
    """Latent space on a fresh runs folder opens on the digits demo; on seeds 0, 1 and 2 its interpolation runs
    between two images that differ (pixel distance over a floor) and that our MNIST classifier reads as two
    different digits, and the walk around the first one crosses to other digits."""
    cfg, G, _, _ = load_models(run_folder.DEMO_RUNS_DIR / DIGITS_DEMO)  # what the page shows: G's weight average
    classifier = load_classifier("mnist")
    at = open_latent_page()
    assert at.selectbox(key="latent_saved").value == DIGITS_DEMO
    for seed in (0, 1, 2):
        if seed:
            at.number_input(key="latent_seed").set_value(seed).run()
        rows, walk = image_captions(at)
        found = re.search(r"draws (\d) and (\d) of 8 from seed (\d+)", rows)
        assert found and int(found.group(3)) == seed, rows
        i, j = int(found.group(1)), int(found.group(2))
        pool = latent.random_z(8, G.z_dim, cfg.prior, seed)
        ends = latent.decode(G, pool[[i, j]])
        distance = float((ends[0] - ends[1]).norm())
        assert distance > ENDPOINT_FLOOR, f"seed {seed}: endpoints {distance:.2f} apart"
        digits = predict_logits(classifier, ends).argmax(1).tolist()
        assert digits[0] != digits[1], f"seed {seed}: both endpoints read as {digits[0]}"
        span = float(re.search(r"±([\d.]+)", walk).group(1))
        grid = latent.decode(G, latent.walk_grid(pool[i], 7, span, 0))
        assert len(set(predict_logits(classifier, grid).argmax(1).tolist())) >= 2, f"seed {seed}: one digit"
