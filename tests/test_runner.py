"""The background runner and runs on disk, as the dashboard and a restarted process see them."""

from __future__ import annotations

import copy
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer import CheckpointError, Runner, RunRegistry, TrainConfig
from explorer.runs import recorder, run_folder
from explorer.runs.recorder import COLUMNS
from explorer.runs.run_folder import latest_checkpoint, list_checkpoints, list_runs, read_metrics, sanitize_run_name
from explorer.runs.snapshot import SampledHistory
from tests.conftest import wait_for


@pytest.mark.slow
def test_pause_resume_stop_with_snapshots_read_from_another_thread(runs_dir):
    runner = Runner(TrainConfig(steps=0), runs_dir=runs_dir).start()
    seen: list[list[int]] = [[], []]
    errors, done = [], threading.Event()

    def reader(mine: list[int]):
        try:
            while not done.is_set():
                s = runner.snapshot()
                assert len(s.metrics) == len(s.metrics_array) and (s.metrics["step"].diff().dropna() == 1).all()
                mine.append(s.step)
                time.sleep(0.002)  # a dashboard polls; a pure spin would only measure GIL starvation
        except Exception as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(mine,), daemon=True) for mine in seen]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: runner.snapshot().step > 200)
        runner.pause()
        wait_for(lambda: runner.snapshot().state == "paused")
        paused_at = runner.snapshot().step
        time.sleep(0.5)
        assert runner.snapshot().step == paused_at  # paused means paused
        runner.step_once(5)
        wait_for(lambda: runner.snapshot().step == paused_at + 5)
        assert runner.snapshot().samples_step == paused_at + 5  # each Step shows its samples
        runner.resume()
        wait_for(lambda: runner.snapshot().step > paused_at + 100)
    finally:
        runner.stop()
        done.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert all(mine == sorted(mine) and mine for mine in seen)  # nobody saw time run backwards
    snap = runner.snapshot()
    assert snap.state == "stopped" and len(snap.metrics) == snap.step
    assert snap.toy is not None and snap.toy_history
    assert latest_checkpoint(runner.run_dir).name == f"step_{snap.step:08d}.pt"  # stopping saves where it stopped


def test_periodic_jobs_land_on_their_steps(runs_dir):
    cfg = TrainConfig.for_dataset("ring8", steps=55, sample_interval=10, eval_interval=20, checkpoint_interval=15)
    runner = Runner(cfg, runs_dir=runs_dir, sample_seconds=0.0).start()  # no time limit: samples by steps only
    runner.join(120)
    snap = runner.snapshot()
    assert snap.state == "finished", snap.error
    # Samples every sample_interval steps from the start, and at the last step.
    assert snap.toy_frame["step"].tolist() == [0, 10, 20, 30, 40, 50, 55] and snap.samples_step == 55
    assert list(snap.toy_frame.columns) == ["step", "d_on_data", "js", "value"]
    modes = snap.modes_frame
    assert list(modes.columns) == ["step", "modes_covered"] and modes["modes_covered"].between(0, 8).all()
    assert modes["step"].tolist() == snap.toy_frame["step"].tolist()
    # Evaluations exactly at multiples of eval_interval, on screen and on disk.
    assert [row["step"] for row in snap.eval_history] == [20, 40]
    assert read_metrics(runner.run_dir, "evals.csv")["step"].tolist() == [20, 40]
    # A checkpoint at every multiple of checkpoint_interval, and one where the run finished.
    assert [p.name for p in list_checkpoints(runner.run_dir)] == [
        "step_00000015.pt", "step_00000030.pt", "step_00000045.pt", "step_00000055.pt"]


def test_learning_rates_and_k_change_while_running(runs_dir):
    runner = Runner(TrainConfig(steps=0), runs_dir=runs_dir).start()
    wait_for(lambda: runner.snapshot().state == "running")
    runner.set_learning_rates(lr_d=1e-4, lr_g=3e-5)
    runner.set_k(2)
    wait_for(lambda: runner.snapshot().k == 2)
    assert runner.trainer.opt_d.param_groups[0]["lr"] == pytest.approx(1e-4)
    d_steps = runner.trainer.optimizer_steps["d"]
    g_steps = runner.trainer.optimizer_steps["g"]
    time.sleep(0.3)
    runner.stop()
    ratio = (runner.trainer.optimizer_steps["d"] - d_steps) / max(1, runner.trainer.optimizer_steps["g"] - g_steps)
    assert ratio == pytest.approx(2, abs=0.1)
    with pytest.raises(ValueError, match="lr_d"):
        runner.set_learning_rates(lr_d=-1)


def test_a_nan_loss_pauses_the_run_with_a_message_and_it_can_resume(runs_dir):
    cfg = TrainConfig(optimizer="sgd", lr_d=0.01, lr_g=0.01, steps=0)
    runner = Runner(cfg, runs_dir=runs_dir).start()
    wait_for(lambda: runner.snapshot().step > 50)
    runner.set_learning_rates(lr_d=1e30, lr_g=1e30)  # a slider dragged much too far
    wait_for(lambda: runner.snapshot().state == "diverged")
    snap = runner.snapshot()
    assert "NaN" in snap.error and "at step" in snap.error and "Lower the learning rates" in snap.error
    assert snap.metrics[["d_loss_real", "d_loss_fake", "g_loss"]].notna().all().all()
    step = snap.step
    runner.set_learning_rates(lr_d=0.01, lr_g=0.01)
    runner.resume()
    wait_for(lambda: runner.snapshot().step > step + 50 and runner.snapshot().state == "running")
    runner.stop()


@pytest.mark.slow
def test_metrics_csv_holds_every_step_the_snapshot_showed_when_the_run_ends(runs_dir):
    """The rows reach the file in batches (about once a second), yet neither a finished run nor a stopped one
    leaves metrics.csv behind what its snapshot shows."""
    cfg = TrainConfig(steps=1500, checkpoint_interval=500)
    finished = Runner(cfg, runs_dir=runs_dir).start()
    finished.join(120)
    stopped = Runner(cfg.replace(steps=0), runs_dir=runs_dir).start()
    wait_for(lambda: stopped.snapshot().step > 700)
    stopped.stop()
    for runner in (finished, stopped):
        snap = runner.snapshot()
        assert snap.state in ("finished", "stopped"), snap.error
        on_disk = read_metrics(runner.run_dir)
        assert on_disk["step"].tolist() == list(range(1, snap.step + 1))
        assert np.allclose(on_disk.to_numpy(), snap.metrics.to_numpy(), rtol=1e-5)  # written with 6 digits


def test_a_second_divergence_goes_back_to_the_same_good_weights(runs_dir, monkeypatch):
    """The remembered good state is a copy of its own: training on after a restore must not change it (the
    optimizers keep the tensors they are loaded from)."""
    from explorer.runs import runner as runner_module

    monkeypatch.setattr(runner_module, "GOOD_SECONDS", 0.0)  # remember the good state at every publish ...
    runner = Runner(TrainConfig(optimizer="adam", steps=0), runs_dir=runs_dir).start()
    wait_for(lambda: runner.snapshot().step > 100)
    monkeypatch.setattr(runner_module, "GOOD_SECONDS", 1e9)  # ... then never again: both restores use one state
    runner.set_learning_rates(lr_d=1e30, lr_g=1e30)
    wait_for(lambda: runner.snapshot().state == "diverged")
    step_1, first = runner.snapshot().step, copy.deepcopy(runner.trainer.state_dict())
    version = runner.snapshot().version
    runner.resume()  # with the same bad settings: "running", then diverged again
    wait_for(lambda: runner.snapshot().version > version + 1 and runner.snapshot().state == "diverged")
    step_2, second = runner.snapshot().step, copy.deepcopy(runner.trainer.state_dict())
    runner.stop()
    assert step_1 == step_2 > 100
    for part in ("G", "D"):
        for name, value in first[part].items():
            assert torch.equal(value, second[part][name]), (part, name)
    for opt in ("opt_d", "opt_g"):
        for i, state in first[opt]["state"].items():  # Adam's moments, which training updates in place
            for key, value in state.items():
                assert torch.equal(value, second[opt]["state"][i][key]), (opt, i, key)


@pytest.mark.slow
def test_a_reopened_run_resumes_with_a_continuous_step_count(runs_dir):
    first = Runner(TrainConfig(steps=150), runs_dir=runs_dir).start()
    first.join(60)
    assert first.snapshot().state == "finished"
    run_dir = first.run_dir
    assert latest_checkpoint(run_dir).name == "step_00000150.pt"

    again = Runner.open(run_dir, changes={"steps": 300})  # a new process would do exactly this
    assert again.snapshot().step == 150 and again.snapshot().config.steps == 300
    again.start()
    again.join(60)
    metrics = read_metrics(run_dir)
    assert again.snapshot().state == "finished"
    assert metrics["step"].tolist() == list(range(1, 301))
    assert [r.name for r in list_runs(runs_dir)] == [run_dir.name]


def test_a_corrupt_checkpoint_gives_a_clear_error(runs_dir):
    runner = Runner(TrainConfig(steps=20), runs_dir=runs_dir).start()
    runner.join(60)
    ckpt = latest_checkpoint(runner.run_dir)
    ckpt.write_bytes(ckpt.read_bytes()[:500])  # a disk that filled up, a copy cut short
    with pytest.raises(CheckpointError) as e:
        Runner.open(runner.run_dir)
    assert ckpt.name in str(e.value) and "damaged" in str(e.value)


@pytest.mark.slow
def test_a_bit_flipped_checkpoint_is_refused_by_its_checksum_not_resumed_silently(runs_dir):
    """64 flipped bytes that leave G's and D's weights readable: torch.load alone would take the file."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    runner = Runner(TrainConfig.for_dataset("ring8", steps=60, checkpoint_interval=30), runs_dir=runs_dir).start()
    runner.join(120)
    ckpt = latest_checkpoint(runner.run_dir)
    data = bytearray(ckpt.read_bytes())
    middle = len(data) // 3
    data[middle: middle + 64] = bytes(b ^ 0xFF for b in data[middle: middle + 64])
    ckpt.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as e:
        Runner.open(runner.run_dir)
    assert ckpt.name in str(e.value) and "checksum" in str(e.value)
    out = subprocess.run([sys.executable, "-m", "explorer", "train", "--resume", str(runner.run_dir), "--steps",
                          "90", "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and ckpt.name in out.stderr and "Traceback" not in out.stderr
    assert not out.stdout.strip()  # no summary of a run that did not train


def test_missing_data_becomes_an_error_state_not_a_crash(runs_dir, tmp_path):
    cfg = TrainConfig.for_dataset("cifar10", data_root=str(tmp_path))
    import explorer.game.data as data

    original = data.load_torchvision
    data.load_torchvision = lambda *a, **k: original(*a, **{**k, "download": False})
    try:
        runner = Runner(cfg, runs_dir=runs_dir).start()
        runner.join(30)
    finally:
        data.load_torchvision = original
    snap = runner.snapshot()
    assert snap.state == "error" and "cifar-10-batches-py" in snap.error


def test_a_failed_download_says_why_in_one_message_and_leaves_nothing_behind(runs_dir, tmp_path, monkeypatch,
                                                                             capfd):
    import torchvision.datasets as tvd

    def offline(self):  # torchvision's own error when every mirror is unreachable, after it made the folders
        Path(self.raw_folder).mkdir(parents=True, exist_ok=True)
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://mirror/, got:\n"
                           "<urlopen error [Errno -2] Name or service not known>\n")

    monkeypatch.setattr(tvd.MNIST, "download", offline)
    data_root = tmp_path / "data"
    runner = Runner(TrainConfig.for_dataset("mnist", data_root=str(data_root)), runs_dir=runs_dir).start()
    runner.join(60)
    snap = runner.snapshot()
    assert snap.state == "error"
    assert "download failed (RuntimeError: urlopen error [Errno -2] Name or service not known)" in snap.error
    assert "MNIST/raw" in snap.error and "mnist_subset" in snap.error  # where the files go, what to use now
    assert "Traceback" not in capfd.readouterr().err
    assert not data_root.exists()  # no empty MNIST/raw left behind
    assert snap.run_dir is None and not list(runs_dir.iterdir())  # nor an empty run folder


def test_run_names_cannot_escape_the_runs_directory(runs_dir):
    assert sanitize_run_name("../../etc/passwd") == "etc-passwd"
    assert sanitize_run_name("my run: #1") == "my-run-1"
    with pytest.raises(ValueError):
        sanitize_run_name("../..")
    registry = RunRegistry(runs_dir)
    runner = registry.start(TrainConfig(steps=5), name="../outside")
    runner.join(30)
    assert runner.run_dir.parent == runs_dir and registry.get(runner.name) is runner


def test_models_of_a_live_run_and_of_a_saved_run_can_be_sampled(runs_dir):
    from explorer.runs.run_folder import load_models

    runner = Runner(TrainConfig(steps=0), runs_dir=runs_dir).start()
    wait_for(lambda: runner.snapshot().step > 20)
    G, D = runner.copy_models()
    assert not G.training and G(torch.zeros(4, G.z_dim)).shape == (4, 1)
    runner.stop()
    cfg, G2, D2, step = load_models(runner.run_dir)
    assert step == runner.snapshot().step and cfg == runner.cfg
    assert torch.equal(G2(torch.ones(3, 1)), runner.trainer.G.eval()(torch.ones(3, 1)))


def test_a_reopened_run_started_paused_is_only_looked_at_until_resume_or_step_claims_it(runs_dir):
    first = Runner(TrainConfig(steps=120, checkpoint_interval=60, sample_interval=30), runs_dir=runs_dir).start()
    first.join(120)
    run_dir = first.run_dir
    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"}
    viewer = Runner.open(run_dir).start(paused=True)
    wait_for(lambda: viewer.snapshot().toy is not None)
    assert not viewer.writes and run_folder.writer_pid(run_dir) is None
    viewer.stop()
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"} == files
    assert viewer.snapshot().state == "stopped"

    again = Runner.open(run_dir)  # looked at, then stepped: now it is the writer
    again.cfg = again.cfg.replace(steps=200)
    again.start(paused=True)
    wait_for(lambda: again.trainer is not None)
    again.step_once(3)
    assert again.writes and run_folder.writer_pid(run_dir) == os.getpid()
    wait_for(lambda: again.snapshot().step == 123)
    again.stop()
    assert again.snapshot().state == "stopped" and run_folder.latest_checkpoint(run_dir).name == "step_00000123.pt"


def _metric_rows(first_step: int, n: int, rng: np.random.Generator) -> np.ndarray:
    rows = rng.normal(size=(n, len(COLUMNS)))
    rows[:, 0] = np.arange(first_step, first_step + n)
    return rows


def _means_over_steps(rows: np.ndarray, full: np.ndarray) -> np.ndarray:
    """What each of `rows` should hold: the mean of the `full` record's rows since the row before it (NaN left out)."""
    ends = rows[:, 0].astype(int)
    starts = np.r_[int(full[0, 0]), ends[:-1] + 1]
    by_step = {int(s): i for i, s in enumerate(full[:, 0])}
    return np.array([np.nanmean(full[by_step[a]: by_step[b] + 1, 1:], axis=0)
                     for a, b in zip(starts, ends, strict=True)])


def test_thinning_merges_consecutive_steps_into_their_means():
    rng = np.random.default_rng(0)
    full = _metric_rows(1, 1000, rng)
    full[5, 2] = np.nan  # a metric not measured at one step: the mean of the others
    once, weights = recorder.thin(full, np.ones(1000, np.int64), 64)
    assert len(once) <= 64 and weights.sum() == 1000 and weights.max() <= weights.min() + 1  # even in steps
    assert once[-1, 0] == 1000 and (np.diff(once[:, 0]) == weights[1:]).all()
    assert np.allclose(once[:, 1:], _means_over_steps(once, full))
    # Thinned again (a long run is, each time it grows past the bound): still the means of the steps themselves.
    full[5, 2] = 0.0
    once, weights = recorder.thin(full, np.ones(1000, np.int64), 64)
    twice, weights = recorder.thin(once, weights, 7)
    assert len(twice) <= 7 and weights.sum() == 1000
    assert np.allclose(twice[:, 1:], _means_over_steps(twice, full))


def test_a_long_run_keeps_a_bounded_record_in_memory_and_every_step_on_disk(tmp_path, monkeypatch):
    """Past MEMORY_ROWS the rows in memory between the first HEAD_ROWS and the newest TAIL_ROWS become means of
    consecutive steps; head and tail stay one row per step, rows a failed write still owes are never thinned, and
    metrics.csv gets every step once."""
    monkeypatch.setattr(recorder, "MEMORY_ROWS", 400)
    monkeypatch.setattr(recorder, "HEAD_ROWS", 50)
    monkeypatch.setattr(recorder, "TAIL_ROWS", 100)
    monkeypatch.setattr(recorder, "HISTORY_ROWS", 100)
    rec = recorder.Recorder(tmp_path)
    assert rec.claim("long", None)
    rng, written, step, failed_writes = np.random.default_rng(1), [], 0, 0
    real_append = run_folder.append_metrics
    for block_no in range(80):
        block = _metric_rows(step + 1, 37, rng)
        step += 37
        written.append(block)
        rec.add_rows(block)
        full_disk = 30 <= block_no < 45  # a full disk for a while: what is owed stays whole in memory
        monkeypatch.setattr(run_folder, "append_metrics", _failing if full_disk else real_append)
        try:
            rec.write_metrics()
        except OSError:
            failed_writes += 1
            owed = np.concatenate(written)[-37 * failed_writes:]
            assert np.array_equal(rec.metrics.view()[-len(owed):], owed)
    full = np.concatenate(written)
    assert failed_writes == 15
    on_disk = read_metrics(tmp_path).to_numpy()
    assert on_disk[:, 0].tolist() == list(range(1, step + 1))
    memory = rec.metrics.view()
    assert len(memory) <= 400 and memory[-1, 0] == step
    assert np.array_equal(memory[:50], full[:50]) and np.array_equal(memory[-100:], full[-100:])  # as trained
    assert np.allclose(memory[:, 1:], _means_over_steps(memory, on_disk), rtol=1e-4, atol=1e-5)
    # A divergence rewinds into the tail: memory and file end at the good step, and go on from there.
    rec.rewind(step - 50)
    rec.add_rows(_metric_rows(step - 49, 10, rng))
    rec.write_metrics()
    assert rec.metrics.view()[-1, 0] == step - 40
    assert read_metrics(tmp_path)["step"].tolist() == list(range(1, step - 39))
    rec.release()


def test_a_long_run_keeps_a_bounded_history_of_its_sampled_views():
    """The toys' view summaries (Snapshot.toy_history, modes_history): the first and the newest `tail` always, the
    older ones evenly spaced, never more than older + tail however many are sampled, oldest first."""
    history = SampledHistory(older=64, tail=16)
    for n in range(1, 5_001):
        kept = history.append(n)
        assert len(kept) <= 64 + 16 and kept[0] == 1 and kept[-1] == n
        assert list(kept[-16:]) == list(range(max(1, n - 15), n + 1))  # the newest, every one (tours read these)
    older = np.diff(kept[:-16])
    assert len(kept) > 32 + 16 and len(set(older.tolist())) == 1  # evenly spread over the whole run
    assert older[0] * len(older) > 4_000  # from the first view on, not only the recent past


def _failing(*_args, **_kwargs) -> None:
    raise OSError(28, "No space left on device")
