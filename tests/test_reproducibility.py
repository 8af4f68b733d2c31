"""A seed means the same run: watching it, sampling it, or stopping and resuming it changes nothing."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import torch

from explorer import Runner, TrainConfig, Trainer, load_dataset
from explorer.runs.run_folder import latest_checkpoint, load_checkpoint, save_checkpoint
from tests.conftest import wait_for

# The training metrics (samples_per_s is a wall-clock rate, so it is left out).
TRAINING_COLUMNS = ["d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_g_z", "grad_norm_d", "grad_norm_g"]


def _run(cfg: TrainConfig, runs_dir, watched: bool) -> pd.DataFrame:
    """Train cfg.steps steps in a Runner. Watched: views as often as the runner can draw them, and a reader
    that polls snapshots and samples copies of G and D throughout, as the dashboard's pages do."""
    runner = Runner(cfg, runs_dir=runs_dir, publish_seconds=0.0 if watched else 0.25,
                    sample_seconds=0.0 if watched else 0.4)
    done, errors = threading.Event(), []

    def dashboard() -> None:
        try:
            while not done.is_set():
                snap = runner.snapshot()
                if runner.trainer is not None and snap.step > 0:
                    G, _ = runner.copy_models()
                    with torch.no_grad():
                        G(torch.randn(64, G.z_dim))  # a page sampling the live run
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    reader = threading.Thread(target=dashboard, daemon=True)
    if watched:
        reader.start()
    try:
        runner.start()
        wait_for(lambda: runner.snapshot().state in ("finished", "error"), timeout=240)
    finally:
        done.set()
        runner.stop()
        if watched:
            reader.join(10)
    snap = runner.snapshot()
    assert snap.state == "finished", snap.error
    assert not errors, errors
    if watched:
        assert len(snap.toy_history) > 20  # the views really were drawn, many times, mid-run
    return snap.metrics


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["toy1d", "ring8"])
def test_the_same_seed_gives_the_same_run_headless_or_watched(runs_dir, dataset):
    # 200 steps: the watched run draws a view after every step (ring8's density grid is the slow part)
    cfg = TrainConfig.for_dataset(dataset, steps=200, seed=7, sample_interval=1, checkpoint_interval=10_000)
    headless = _run(cfg, runs_dir, watched=False)
    watched = _run(cfg, runs_dir, watched=True)
    assert len(headless) == len(watched) == 200
    np.testing.assert_array_equal(headless[TRAINING_COLUMNS].to_numpy(), watched[TRAINING_COLUMNS].to_numpy())


def _weights(t: Trainer) -> list[torch.Tensor]:
    return [*t.G.state_dict().values(), *t.D.state_dict().values()]


@pytest.mark.parametrize("cfg", [
    TrainConfig(seed=3),  # the 1D toy
    # the paper's maxout D with dropout; batch 16 of 4,000 images, so the stop falls mid-epoch
    TrainConfig.for_dataset("mnist_subset", model="paper", g_hidden=32, d_hidden=16, batch_size=16, seed=5),
], ids=["toy1d", "paper-dropout"])
@pytest.mark.slow
def test_n_steps_equal_half_then_a_checkpoint_then_the_other_half(tmp_path, cfg):
    dataset = load_dataset(cfg)
    straight = Trainer(cfg, dataset, "cpu")
    all_at_once = straight.train(60)

    first = Trainer(cfg, dataset, "cpu")
    first_half = first.train(30)
    (tmp_path / "checkpoints").mkdir()
    save_checkpoint(tmp_path, first.state_dict())  # through the disk, as a stopped run is resumed
    resumed = Trainer(cfg, dataset, "cpu")
    resumed.load_state_dict(load_checkpoint(latest_checkpoint(tmp_path)))
    second_half = resumed.train(30)

    both = pd.concat([first_half, second_half], ignore_index=True)
    np.testing.assert_array_equal(all_at_once.to_numpy(), both.to_numpy())  # data order, z and dropout too
    assert all(torch.equal(a, b) for a, b in zip(_weights(straight), _weights(resumed), strict=True))


def test_views_do_not_draw_from_the_training_stream():
    cfg = TrainConfig(seed=11)
    t = Trainer(cfg, load_dataset(cfg), "cpu")
    t.train(5)
    before = t.rng.get_state()
    view_a = t.sample(256)
    assert torch.equal(t.rng.get_state(), before)
    assert torch.equal(view_a, t.sample(256))  # the same step shows the same view
    t.train(1)
    assert not torch.equal(view_a, t.sample(256))  # and the next step a new one


def test_a_reproducible_run_keeps_one_cpu_thread_count(monkeypatch):
    """Batch norm's reductions round differently on 1 and 2 threads (measured: the mlp GAN's metrics differ in
    the 7th digit after 30 steps), so a reproducible run never lets the thread tuner switch mid-run."""
    from explorer.game import device

    monkeypatch.setattr(device, "DEFAULT_THREADS", 2)  # as on a 2-core machine, whatever the tests run with
    cfg = TrainConfig.for_dataset("mnist_subset", model="mlp")
    assert device.cpu_thread_candidates(cfg) == (2,)
    assert device.cpu_thread_candidates(cfg.replace(reproducible=False)) == (2, 1)
