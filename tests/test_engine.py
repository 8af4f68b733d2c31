"""The engine as a user of the notebooks and CLI meets it: config errors, data, Algorithm 1, toys."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error

import pytest
import torch

from explorer import ConfigError, DataUnavailableError, TrainConfig, Trainer, load_dataset
from explorer.game.data import load_torchvision
from explorer.metrics.toy import optimal_d, toy_summary
from tests.conftest import ROOT

# ------------------------------------------------------------------------------------------ config

@pytest.mark.parametrize("changes, field", [
    (dict(loss="wasserstein"), "loss"),
    (dict(k=0), "k"),
    (dict(lr_d=-1.0), "lr_d"),
    (dict(batch_size="64"), "batch_size"),
    (dict(dataset="imagenet"), "dataset"),
    (dict(dataset="toy1d", model="dcgan"), "model"),
])
def test_invalid_config_names_field_value_and_what_is_allowed(changes, field):
    with pytest.raises(ConfigError) as e:
        TrainConfig(**changes)
    assert e.value.field_name == field
    assert field in str(e.value) and "allowed" in str(e.value)


def test_config_round_trips_json_and_parses_cli_overrides():
    cfg = TrainConfig.for_dataset("mnist").with_overrides(["loss=minimax", "k=3", "lr_d=1e-3",
                                                            "fresh_noise_for_g=false"])
    assert (cfg.loss, cfg.k, cfg.lr_d, cfg.fresh_noise_for_g) == ("minimax", 3, 1e-3, False)
    assert TrainConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ConfigError, match="k"):
        cfg.with_overrides(["k=three"])
    with pytest.raises(ConfigError, match="nonsense"):
        TrainConfig.from_dict({"nonsense": 1})


# ------------------------------------------------------------------------------------------ data

def test_mnist_loads_through_torchvision_from_the_data_root(shared_data):
    ds = load_dataset(TrainConfig.for_dataset("mnist"), data_root=str(shared_data), download=False)
    assert ds.x.shape == (50000, 1, 28, 28) and ds.x.dtype == torch.float32  # the paper's 50k/10k split
    assert 0.0 <= float(ds.x.min()) and float(ds.x.max()) <= 1.0 and 0.1 < float(ds.x.mean()) < 0.15
    assert ds.labels.unique().tolist() == list(range(10))
    test = load_dataset("fashion_mnist", split="test", data_root=str(shared_data), download=False)
    assert test.x.shape == (10000, 1, 28, 28)
    validation = load_dataset("mnist", split="validation", data_root=str(shared_data), download=False)
    assert validation.x.shape == (10000, 1, 28, 28)  # training images 50,000..59,999
    with pytest.raises(ValueError, match="validation"):
        load_dataset("ring8", split="validation")


def test_missing_data_root_says_where_to_put_the_files(tmp_path):
    with pytest.raises(DataUnavailableError) as e:
        load_torchvision("mnist", tmp_path / "nowhere", download=False)
    msg = str(e.value)
    assert "MNIST/raw" in msg and "train-images-idx3-ubyte" in msg and "mnist_subset" in msg


def test_offline_download_fails_with_the_same_clear_message(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    def offline(self, *a, **k):
        raise urllib.error.URLError("no network")
    monkeypatch.setattr(tvd.MNIST, "download", offline)
    with pytest.raises(DataUnavailableError, match="download failed.*URLError"):
        load_torchvision("mnist", tmp_path, download=True)


def test_offline_image_default_is_real_28x28_digits():
    ds = load_dataset("mnist_subset")
    assert ds.x.shape[1:] == (1, 28, 28) and len(ds.x) == 4000  # 5,000 minus a fixed 20% test split
    assert "subset" in ds.description


@pytest.mark.parametrize("name", ["toy1d", "toy1d_bimodal", "ring8", "grid25", "moons", "spiral"])
def test_toys_are_one_tensor_with_metadata(name):
    ds = load_dataset(name)
    assert ds.x.ndim == 2 and ds.kind in ("toy1d", "toy2d") and len(ds.x) >= 10000
    if name == "ring8":
        assert len(torch.unique(ds.modes.round(decimals=3), dim=0)) == 8  # 8 distinct modes


def test_image_folder_and_its_errors(tmp_path):
    from PIL import Image

    with pytest.raises(DataUnavailableError, match="No images"):
        load_dataset(TrainConfig.for_dataset("folder", data_root=str(tmp_path)))
    for i in range(3):
        Image.new("RGB", (40, 30), (i * 80, 10, 200)).save(tmp_path / f"im{i}.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    ds = load_dataset(TrainConfig.for_dataset("folder", data_root=str(tmp_path), image_size=16))
    assert ds.x.shape == (3, 3, 16, 16) and "unreadable" in ds.description


# ------------------------------------------------------------------------------------------ Algorithm 1

def test_algorithm1_runs_k_discriminator_steps_then_one_generator_step():
    cfg = TrainConfig(k=3, batch_size=32)
    t = Trainer(cfg, load_dataset(cfg), "cpu")
    order: list[str] = []
    for tag, opt in (("D", t.opt_d), ("G", t.opt_g)):
        original = opt.step
        opt.step = lambda *a, _o=original, _t=tag, **k: (order.append(_t), _o(*a, **k))[1]
    t.step()
    t.step()
    assert order == ["D", "D", "D", "G"] * 2
    assert t.optimizer_steps == {"d": 6, "g": 2}


def test_non_saturating_loss_gives_g_a_larger_gradient_when_d_rejects_its_samples():
    norms = {}
    for loss in ("minimax", "non_saturating"):
        cfg = TrainConfig(loss=loss, batch_size=64)
        t = Trainer(cfg, load_dataset(cfg), "cpu")
        with torch.no_grad():
            t.D.net[-1].bias.fill_(-8.0)  # D(G(z)) ~ 3e-4: D confidently rejects G's samples
        logits = t.D(t.G(t._z(64)))
        assert float(torch.sigmoid(logits.detach()).mean()) < 1e-2
        t.G.zero_grad()
        t.g_loss(logits).backward()
        norms[loss] = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in t.G.parameters()])))
    assert norms["non_saturating"] > 100 * norms["minimax"]


def test_fresh_noise_and_reused_fake_batch_both_train():
    for fresh in (True, False):
        cfg = TrainConfig(fresh_noise_for_g=fresh, batch_size=64)
        t = Trainer(cfg, load_dataset(cfg), "cpu")
        frame = t.train(20)
        assert len(frame) == 20 and frame.notna().all().all()


@pytest.mark.slow
def test_g_average_is_a_running_mean_of_g_kept_in_checkpoints(tmp_path):
    from explorer.runs.run_folder import load_models, save_checkpoint

    cfg = TrainConfig.for_dataset("mnist_subset", model="paper", g_hidden=32, d_hidden=16, batch_size=16,
                                  g_average=0.75)
    t = Trainer(cfg, load_dataset(cfg), "cpu")
    t.train(30)
    assert t.average_decay() == 0.75  # past the warm-up: 30 / (30 + 3) > 0.75
    before = [p.detach().clone() for p in t.G_average.parameters()]
    t.step()
    for avg, old, g in zip(t.G_average.parameters(), before, t.G.parameters(), strict=True):
        torch.testing.assert_close(avg, 0.75 * old + 0.25 * g.detach())
    assert not torch.equal(next(t.G_average.parameters()), next(t.G.parameters()))
    assert t.generator_for_eval() is t.G_average
    (tmp_path / "checkpoints").mkdir()
    save_checkpoint(tmp_path, t.state_dict())
    z = t.fixed_z[:4]
    _, G_avg, _, _ = load_models(tmp_path)
    _, G_raw, _, _ = load_models(tmp_path, averaged=False)
    torch.testing.assert_close(G_avg(z), t.G_average(z))
    torch.testing.assert_close(G_raw(z), t.G.eval()(z))
    # a run resumed with averaging newly switched on starts its average from G
    state = t.state_dict()
    del state["G_average"]
    t2 = Trainer(cfg, load_dataset(cfg), "cpu")
    t2.load_state_dict(state)
    torch.testing.assert_close(next(t2.G_average.parameters()), next(t.G.parameters()))


@pytest.mark.slow
def test_paper_preset_builds_the_2014_mnist_networks():
    from explorer.game.data import Dataset
    from explorer.game.models import Maxout
    from explorer.lessons.presets import preset

    cfg = preset("Paper: MNIST MLPs (SGD)")
    assert cfg.g_average == 0.99999  # evaluated with averaged weights; training is the paper's
    fake_mnist = Dataset("mnist", torch.rand(256, 1, 28, 28) * 0.3, "image", "test data")
    t = Trainer(cfg, fake_mnist, "cpu")
    linears = [m for m in t.G.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears] == [1200, 1200, 784] and linears[0].in_features == 100
    assert float(linears[0].weight.detach().abs().max()) <= 0.05
    maxouts = [m for m in t.D.modules() if isinstance(m, Maxout)]
    assert [(m.units, m.pieces) for m in maxouts] == [(240, 5), (240, 5)]
    assert float(maxouts[0].linear.weight.detach().abs().max()) <= 0.005
    assert isinstance(t.opt_d, torch.optim.SGD) and cfg.loss == "non_saturating"
    t.train(3)
    assert t.opt_d.param_groups[0]["lr"] == pytest.approx(0.1 / 1.000004**2)
    assert 0.5 < t.opt_d.param_groups[0]["momentum"] < 0.5001


@pytest.mark.slow
def test_1d_toy_reaches_the_equilibrium_on_cpu_within_a_minute():
    cfg = TrainConfig()  # the 1D Gaussian of Figure 1
    t = Trainer(cfg, load_dataset(cfg), "cpu")
    t.train(3000)
    summary = toy_summary(t)
    assert abs(summary["d_on_data"] - 0.5) <= 0.1, summary
    assert summary["js_estimate"] < 0.05, summary


def test_optimal_discriminator_is_one_half_where_densities_match():
    p = torch.tensor([0.1, 0.2, 0.0, 0.3]).numpy()
    q = torch.tensor([0.1, 0.0, 0.0, 0.1]).numpy()
    assert optimal_d(p, q).tolist() == pytest.approx([0.5, 1.0, 0.5, 0.75])


# ------------------------------------------------------------------------------------------ CLI and layering

@pytest.mark.slow
def test_cli_trains_and_prints_a_json_summary(tmp_path):
    out = subprocess.run([sys.executable, "-m", "explorer", "train", "--dataset", "ring8", "--steps", "60",
                          "--runs-dir", str(tmp_path), "--no-progress"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 60 and summary["final"]["step"] == 60
    assert {"run_dir", "seconds", "d_on_data", "js_estimate"} <= set(summary)
    assert (tmp_path / summary["run_dir"].split("/")[-1] / "config.json").exists()
    _assert_timings_agree(summary, steps_trained=60)

    # resumed: `steps` is the run's count, the timings are this command's
    out = subprocess.run([sys.executable, "-m", "explorer", "train", "--resume", summary["run_dir"], "--steps", "90",
                          "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    resumed = json.loads(out.stdout.strip().splitlines()[-1])
    assert resumed["steps"] == 90
    _assert_timings_agree(resumed, steps_trained=30)


def _assert_timings_agree(summary: dict, steps_trained: int) -> None:
    """The numbers on one line agree: steps_per_s = steps_trained / train_seconds, within train_seconds'
    rounding, and training time is part of the command's wall clock."""
    assert summary["steps_trained"] == steps_trained
    assert 0 < summary["train_seconds"] <= summary["seconds"]
    low, high = (steps_trained / (summary["train_seconds"] + d) for d in (0.005, -0.005))
    assert low - 0.05 <= summary["steps_per_s"] <= high + 0.05


def test_cli_reports_a_bad_setting_without_a_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "explorer", "train", "--set", "loss=hinge", "--runs-dir",
                          str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "loss='hinge' is not allowed" in out.stderr
    assert "Traceback" not in out.stderr


def test_engine_never_imports_streamlit():
    code = ("import sys, pkgutil, importlib, explorer\n"
            "for m in pkgutil.iter_modules(explorer.__path__):\n"
            "    if m.name != '__main__': importlib.import_module('explorer.' + m.name)\n"
            "assert 'streamlit' not in sys.modules, 'explorer imported streamlit'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_js_estimate_is_zero_for_equal_densities_and_log2_for_disjoint_ones():
    import math

    import numpy as np

    from explorer.metrics.toy import js_divergence

    x = np.linspace(-5, 5, 501)
    p = np.exp(-x**2 / 2)
    assert js_divergence(p, p, x[1] - x[0]) == pytest.approx(0.0, abs=1e-9)
    far = np.where(x > 4, 1.0, 0.0)
    assert js_divergence(np.where(x < -4, 1.0, 0.0), far, x[1] - x[0]) == pytest.approx(math.log(2))
    assert js_divergence(p, np.zeros_like(p), x[1] - x[0]) == pytest.approx(math.log(2))


def test_2d_js_estimate_tells_a_matched_generator_from_a_collapsed_one():
    from explorer.game.datasets import make_toy
    from explorer.metrics.toy import js_monte_carlo

    ring = make_toy("ring8", seed=0)
    matched = make_toy("ring8", seed=3).x
    collapsed = ring.modes[0] + 0.02 * torch.randn(2000, 2)
    assert js_monte_carlo(ring, matched) < 0.05
    assert js_monte_carlo(ring, collapsed) == pytest.approx(0.497, abs=0.05)  # 1 of 8 modes, analytically


def test_kde_is_the_sum_of_gaussian_kernels_and_integrates_to_one():
    """Figure 1's p_g curve and the 2D JS estimate rest on kde(): the textbook kernel sum, whatever the blocks."""
    import math

    import numpy as np

    from explorer.metrics.toy import kde

    gen = torch.Generator().manual_seed(0)
    for d, n, m, h in ((1, 5000, 500, 0.2), (2, 700, 500, 0.05)):  # 1D in 3 blocks of grid rows, 2D in one
        points, grid = torch.randn(n, d, generator=gen), torch.randn(m, d, generator=gen)
        sq = ((grid.double()[:, None, :] - points.double()[None]) ** 2).sum(-1).numpy()
        expected = np.exp(-sq / (2 * h**2)).sum(1) / (n * (h * math.sqrt(2 * math.pi)) ** d)
        np.testing.assert_allclose(kde(points, grid, h), expected, rtol=1e-9, atol=1e-300)
    x = torch.linspace(-6, 6, 1201)[:, None]
    density = kde(torch.randn(5000, 1, generator=gen), x)  # Scott's bandwidth
    assert density.sum() * float(x[1] - x[0]) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
def test_cli_killed_with_sigterm_stops_cleanly_with_a_checkpoint(tmp_path):
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "explorer", "train", "--steps", "0", "--runs-dir",
                             str(tmp_path), "--no-progress"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 60
    while time.monotonic() < end and not list(tmp_path.glob("*/metrics.csv")):
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["state"] == "stopped" and summary["steps"] > 0
    assert list(tmp_path.glob("*/checkpoints/step_*.pt"))
