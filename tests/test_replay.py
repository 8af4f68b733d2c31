"""Replay: what a run records (evenly spaced frames, toy frames that round-trip, hostile frames refused), the
Recording that reads it back (the frame nearest any step, curves up to it), the Replay page and the Train page's
timeline, and the bundled demo runs."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from explorer import Runner, TrainConfig
from explorer.lessons.demo_runs import DEMOS
from explorer.runs import replay, run_folder
from explorer.runs.replay import FrameError, Recording

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
REPLAY = "pages/replay.py"
TIMEOUT = 60


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    """A 1D toy run (frames every 40 steps), a ring8 run and a digits run (grids every 20), trained once."""
    runs = tmp_path_factory.mktemp("recorded")
    configs = {"toy": TrainConfig(dataset="toy1d", steps=120, sample_interval=40, checkpoint_interval=60),
               "ring": TrainConfig.for_dataset("ring8", steps=60, sample_interval=30),
               "digits": TrainConfig.for_dataset("digits8x8", steps=60, sample_interval=20, g_hidden=64,
                                                 d_hidden=64, batch_size=32)}
    out = {}
    for name, cfg in configs.items():
        runner = Runner(cfg, runs_dir=runs, name=name).start()
        runner.join(300)
        assert runner.snapshot().state == "finished", runner.snapshot().error
        out[name] = runner.run_dir
    return out


def test_a_run_records_a_frame_on_every_multiple_of_its_interval_and_at_its_end(recorded, tmp_path):
    assert [s for s, _ in replay.frame_steps(recorded["toy"])] == [0, 40, 80, 120]
    assert [s for s, _ in replay.frame_steps(recorded["digits"])] == [0, 20, 40, 60]
    assert {p.suffix for _, p in replay.frame_steps(recorded["toy"])} == {".npz"}
    # A run stopped between two multiples records where it stopped, so its replay ends where the run did.
    runner = Runner(TrainConfig(dataset="toy1d", steps=0, sample_interval=1000), runs_dir=tmp_path).start()
    from tests.conftest import wait_for

    wait_for(lambda: runner.snapshot().step >= 30)
    runner.stop()
    steps = [s for s, _ in replay.frame_steps(runner.run_dir)]
    assert steps == [0, runner.snapshot().step]


def test_replay_at_a_step_shows_the_frame_saved_nearest_to_it(recorded):
    rec = Recording.open(recorded["digits"])
    saved = {step: np.asarray(Image.open(path).convert("RGB")) for step, path in rec.frames}
    for asked, nearest in ((0, 0), (9, 0), (11, 20), (30, 20), (31, 40), (59, 60), (10_000, 60)):
        step, grid = rec.frame_at(asked)
        assert step == nearest and np.array_equal(grid, saved[nearest]), asked
    assert rec.metrics_until(30)["step"].max() == 30 and len(rec.metrics_until(30)) == 30
    assert rec.last_step == 60


def test_a_toy_frame_keeps_what_its_figure_draws(recorded):
    rec = Recording.open(recorded["ring"])
    step, view = rec.frame_at(60)
    assert step == 60 and view.n_modes == 8 and 0 <= view.modes_covered <= 8
    assert view.d.shape == (len(view.ys), len(view.xs)) and 0 <= view.d.min() <= view.d.max() <= 1
    assert view.fake.shape == (replay.TOY_FAKE_POINTS, 2) and view.real.shape == (replay.TOY_REAL_POINTS, 2)
    history = rec.toy_history
    assert history["step"].tolist() == [0, 30, 60] and history["modes_covered"].notna().all()
    # 1D: the densities and D come back to float16's precision, and D* is recomputed from them.
    _, view1d = Recording.open(recorded["toy"]).frame_at(120)
    assert len(view1d.x) == len(view1d.p_g) == len(view1d.d_star) == 240
    np.testing.assert_allclose(view1d.d_star, runs_io_optimal(view1d), atol=1e-9)
    sizes = [path.stat().st_size for _, path in rec.frames]
    assert max(sizes) < 20_000  # compact: about 12 KB a 2D frame


def runs_io_optimal(view) -> np.ndarray:
    from explorer.metrics.toy import optimal_d

    return optimal_d(view.p_data, view.p_g)


@pytest.mark.parametrize("case", ["pickled object", "not an npz", "missing array", "wrong shape", "nan"])
def test_a_frame_that_is_not_one_the_runner_writes_is_refused_by_name(recorded, tmp_path, case):
    good = dict(np.load(replay.frame_steps(recorded["toy"])[-1][1]))
    path = tmp_path / "step_00000001.npz"
    buffer = io.BytesIO()
    if case == "pickled object":
        np.savez(buffer, **{**good, "scalars": np.array([object()], dtype=object)})
    elif case == "not an npz":
        buffer.write(b"PK\x03\x04 not really a zip")
    elif case == "missing array":
        np.savez(buffer, **{k: v for k, v in good.items() if k != "d"})
    elif case == "wrong shape":
        np.savez(buffer, **{**good, "p_g": good["p_g"][:10]})
    else:
        np.savez(buffer, **{**good, "d": np.full_like(good["d"], np.nan)})
    path.write_bytes(buffer.getvalue())
    with pytest.raises(FrameError, match=r"step_00000001\.npz"):
        replay.load_toy_frame(path)


def test_a_resumed_run_records_again_from_its_checkpoint_the_same_frames(recorded, tmp_path):
    run = Path(shutil.copytree(recorded["toy"], tmp_path / "toy", ignore=shutil.ignore_patterns(".lock")))
    before = {step: path.read_bytes() for step, path in replay.frame_steps(run)}
    run_folder.checkpoint_path(run, 120).unlink()  # as if killed after the checkpoint at step 60
    runner = Runner.open(run)
    runner.start().join(300)
    assert runner.snapshot().state == "finished", runner.snapshot().error
    after = {step: path.read_bytes() for step, path in replay.frame_steps(run)}
    assert sorted(after) == [0, 40, 80, 120]
    assert after == before  # same seed, same run: the frames recorded again are the same bytes


# ------------------------------------------------------------------------------------------- pages

def replay_page(run: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(REPLAY)
    if run:
        at.query_params["run"] = run
    at.run()
    assert not at.exception, at.exception
    return at


def frame_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Frame recorded at step"))


def test_the_replay_page_moves_through_a_run_with_its_slider_and_play(registry, recorded):
    shutil.copytree(recorded["digits"], registry.runs_dir / "digits", ignore=shutil.ignore_patterns(".lock"))
    at = replay_page("digits")
    slider = at.slider(key="replay__digits_step")
    assert slider.value == 0 and slider.max == 60
    assert frame_caption(at).startswith("Frame recorded at step 0 (nearest to step 0; 4 frames")
    slider.set_value(33).run()
    assert frame_caption(at).startswith("Frame recorded at step 40 (nearest to step 33")
    at.button(key="replay__digits_play").click().run()  # Play: each rerun (the timer's tick) shows the next frame
    assert frame_caption(at).startswith("Frame recorded at step 60")
    at.run()  # past the last frame: it stops by itself
    assert at.button(key="replay__digits_play").label == "Play"


def test_the_replay_page_plays_a_bundled_demo_on_a_fresh_runs_folder(registry):
    at = replay_page()
    options = at.selectbox(key="replay_run").options
    assert set(DEMOS) <= {o.removesuffix(" (demo)") for o in options}
    at.selectbox(key="replay_run").set_value("figure1-gaussian").run()
    assert not at.exception, at.exception
    charts = [c.key for c in at.get("plotly_chart")]
    assert "replay__figure1-gaussian_figure" in charts
    at.slider(key="replay__figure1-gaussian_step").set_value(1000).run()
    assert frame_caption(at).startswith("Frame recorded at step 1,000 (nearest to step 1,000")
    assert not list(run_folder.DEMO_RUNS_DIR.glob("*/.lock"))  # replay never writes into a demo


def test_a_finished_run_on_the_train_page_gets_the_timeline(registry, recorded):
    shutil.copytree(recorded["toy"], registry.runs_dir / "toy", ignore=shutil.ignore_patterns(".lock"))
    at = AppTest.from_file(str(ROOT / "pages/train.py"), default_timeout=TIMEOUT)
    at.query_params["run"] = "toy"
    at.run()
    assert not at.exception, at.exception
    slider = at.slider(key="train_replay__toy_step")
    assert slider.value == 120  # it opens at the end, as the run left it
    slider.set_value(50).run()
    assert frame_caption(at).startswith("Frame recorded at step 40 (nearest to step 50")


# ------------------------------------------------------------------------------------------- demos

@pytest.mark.parametrize("name", sorted(DEMOS))
def test_each_bundled_demo_is_a_complete_run_made_by_its_script(name):
    run = run_folder.DEMO_RUNS_DIR / name
    assert run_folder.read_config(run) == DEMOS[name].config  # the script's config is what is shipped
    rec = Recording.open(run)
    interval, steps = rec.config.sample_interval, rec.config.steps
    assert [s for s, _ in rec.frames] == list(range(0, steps + 1, interval))
    assert rec.metrics["step"].tolist() == list(range(1, steps + 1))
    assert [p.name for p in run_folder.list_checkpoints(run)] == [f"step_{steps:08d}.pt"]
    run_folder.load_checkpoint(run_folder.latest_checkpoint(run))
    assert not (run / ".lock").exists()


def test_the_bundled_demos_stay_small():
    total = sum(p.stat().st_size for p in run_folder.DEMO_RUNS_DIR.rglob("*") if p.is_file())
    assert total < 8e6, f"assets/demo_runs is {total / 1e6:.1f} MB"
