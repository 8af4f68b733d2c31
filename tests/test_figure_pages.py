"""The figure pages (Toy 1D, Toy 2D, Latent space, Nearest neighbours) through streamlit.testing.v1.AppTest.

Each page renders on a saved run (reopened from disk) and on a live one, and a page with no run says what to
do. Tiny budgets: saved runs are trained once per module (a few hundred steps, small models, a checkpoint
every 50 steps) and copied into each test's runs folder. `run_every` never fires in AppTest, so a test
calls `at.run()` again to see a later state.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import Runner, TrainConfig
from explorer.runs import run_folder
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 90
IMAGE_CFG = TrainConfig(dataset="digits8x8", model="mlp", g_hidden=16, d_hidden=32, z_dim=2, batch_size=64,
                        lr_d=2e-4, lr_g=2e-4, steps=150, sample_interval=50, checkpoint_interval=50)
SAVED = {"toy1d-saved": TrainConfig(steps=300, checkpoint_interval=100),
         "ring8-saved": TrainConfig.for_dataset("ring8", steps=100, checkpoint_interval=50),
         "digits-saved": IMAGE_CFG}


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory) -> Path:
    """Finished runs on disk, trained once for the module."""
    d = tmp_path_factory.mktemp("saved_runs")
    runners = [Runner(cfg, runs_dir=d, name=name).start() for name, cfg in SAVED.items()]
    for r in runners:
        r.join(timeout=240)
        assert r.snapshot().state == "finished", r.snapshot().error
    return d


def with_saved(runs_dir: Path, saved_runs: Path, *names: str) -> None:
    for name in names:
        shutil.copytree(saved_runs / name, runs_dir / name)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return found[0]


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


@pytest.mark.parametrize("page, needs", [("toy_1d", "No 1D run"), ("toy_2d", "No 2D run"),
                                         ("latent", "No image run"), ("neighbours", "No image run")])
def test_a_page_without_a_run_says_what_to_do(registry, page, needs, tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder, "DEMO_RUNS_DIR", tmp_path / "no-demos")  # an install without the demos
    at = open_page(page)
    assert any(needs in i.value for i in at.info), [i.value for i in at.info]
    assert at.get("page_link"), "a link to the Train page"


KEYS = {"latent": "latent", "neighbours": "nn"}  # each page's image_source key


@pytest.mark.slow
def test_image_pages_open_on_the_bundled_digits_demo_on_a_fresh_runs_folder(registry):
    for page in ("latent", "neighbours"):
        at = open_page(page)
        assert at.selectbox(key=f"{KEYS[page]}_saved").value == "mnist-subset-digits"
        assert at.get("image"), "samples drawn from the demo's G"


@pytest.mark.slow
def test_image_pages_explain_that_toys_do_not_apply(registry, runs_dir, saved_runs, tmp_path, monkeypatch):
    monkeypatch.setattr(run_folder, "DEMO_RUNS_DIR", tmp_path / "no-demos")
    with_saved(runs_dir, saved_runs, "toy1d-saved")
    for page in ("latent", "neighbours"):
        at = open_page(page)
        assert any("all toys" in i.value for i in at.info)


def test_toy_1d_on_a_saved_run_then_capture_frames(registry, runs_dir, saved_runs):
    with_saved(runs_dir, saved_runs, "toy1d-saved")
    at = open_page("toy_1d")
    runner = registry.get("toy1d-saved")
    assert runner is not None, "the saved run is reopened"
    wait_for(lambda: runner.snapshot().toy is not None)
    at.run()
    assert not at.exception, at.exception
    assert runner.snapshot().state == "paused" and runner.snapshot().step == 300  # looked at, not trained
    assert 0.0 < float(metric(at, "mean D(x) on data")) < 1.0
    assert charts(at) == 3  # Figure 1 beside D's outputs, the value over training
    for _ in range(2):
        at.button(key="toy1d_capture").click().run()
    assert charts(at) == 4 and len(at.session_state["toy1d_captures"]) == 2  # plus the (a)-(b) strip


def test_toy_1d_starts_a_preset_and_follows_it_live(registry):
    at = open_page("toy_1d")
    at.selectbox(key="toy1d_preset").select("Minimax vs non-saturating from a poor G").run()
    at.button(key="toy1d_start").click().run()
    assert not at.exception, at.exception
    runs = registry.runners()
    assert sorted(r.cfg.loss for r in runs) == ["minimax", "non_saturating"]
    wait_for(lambda: all(r.snapshot().step > 30 and r.snapshot().toy is not None for r in runs))
    at.run()
    assert not at.exception, at.exception
    assert any("Minimax vs non-saturating" in h.value for h in at.subheader)
    assert charts(at) == 4  # Figure 1, D's outputs, the value over training, the gradient comparison
    at.button(key="toy1d_pause").click().run()
    shown = registry.get(at.session_state["toy1d_run"])
    wait_for(lambda: shown.snapshot().state == "paused")


def test_toy_2d_on_a_saved_run_and_a_live_one(registry, runs_dir, saved_runs):
    with_saved(runs_dir, saved_runs, "ring8-saved")
    at = open_page("toy_2d")
    runner = registry.get("ring8-saved")
    wait_for(lambda: runner.snapshot().toy is not None)
    at.run()
    covered, n = metric(at, "modes covered").split(" / ")
    assert n == "8" and 0 <= int(covered) <= 8
    at.button(key="toy2d_start").click().run()  # the ring preset, live
    live = registry.get(at.session_state["toy2d_run"])
    assert live is not runner
    wait_for(lambda: len(live.snapshot().modes_history) >= 2)
    at.run()
    assert not at.exception, at.exception
    assert metric(at, "modes covered").endswith("/ 8") and charts(at) == 4  # GAN Lab's view, D, modes, value


def _folder_bytes(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.name != ".lock"}


@pytest.mark.parametrize("page, run", [("toy_1d", "toy1d-saved"), ("latent", "digits-saved")])
def test_a_cli_resume_succeeds_while_a_page_shows_the_same_saved_run(registry, runs_dir, saved_runs, page, run):
    with_saved(runs_dir, saved_runs, run)
    before = _folder_bytes(runs_dir / run)
    at = open_page(page)
    at.run()
    assert not at.exception, at.exception
    assert run_folder.writer_pid(runs_dir / run) is None  # looking takes no lock...
    assert _folder_bytes(runs_dir / run) == before  # ...and writes nothing
    steps = SAVED[run].steps + 50
    out = subprocess.run([sys.executable, "-m", "explorer", "train", "--resume", str(runs_dir / run), "--steps",
                          str(steps), "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["steps"] == steps
    viewer = registry.get(run)
    if viewer is not None and viewer.trainer is not None:  # the Toy 1D page's view, at the old step
        with pytest.raises(run_folder.RunLockedError, match="trained on elsewhere"):
            viewer.resume()  # going on from older weights would overwrite the CLI's steps
    at.run()
    assert not at.exception, at.exception


def test_latent_page_on_a_saved_checkpoint_and_a_live_run(registry, runs_dir, saved_runs):
    with_saved(runs_dir, saved_runs, "digits-saved")
    at = open_page("latent")
    assert not at.info
    headers = [h.value for h in at.subheader]
    assert "The whole learned manifold" in headers  # z_dim = 2
    assert len(at.get("image")) == 3  # interpolation rows, walk grid, manifold
    at.radio(key="latent_how").set_value("Pick two samples").run()
    at.number_input(key="latent_b").set_value(0).run()
    assert any("two different samples" in w.value for w in at.warning)
    registry.start(IMAGE_CFG.replace(steps=0, z_dim=8))
    wait_for(lambda: any(r.trainer is not None for r in registry.runners()))
    at.run()
    at.radio(key="latent_kind").set_value("Live run").run()
    assert not at.exception, at.exception
    assert "The whole learned manifold" not in [h.value for h in at.subheader]  # z_dim = 8 now
    assert any("live, step" in m.value for m in at.markdown)


def test_neighbours_page_on_a_saved_checkpoint_and_a_live_run(registry, runs_dir, saved_runs):
    with_saved(runs_dir, saved_runs, "digits-saved")
    at = open_page("neighbours")
    assert float(metric(at, "median: held-out real → train")) > 0
    assert float(metric(at, "ratio")) > 0
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 12  # one row per sample
    assert charts(at) == 1 and (at.success or at.warning)
    registry.start(IMAGE_CFG.replace(steps=0))
    wait_for(lambda: any(r.trainer is not None for r in registry.runners()))
    at.run()
    at.radio(key="nn_kind").set_value("Live run").run()
    assert not at.exception, at.exception
    assert any("live, step" in m.value for m in at.markdown)
    assert float(metric(at, "ratio")) > 0
