"""Faults done for real: a process killed with SIGKILL, damaged files, a full disk, a second writer, running out
of memory, a game that blows up. Each ends in a message that says what happened, and nothing good is lost."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer import Runner, RunRegistry, TrainConfig
from explorer.lessons.presets import preset
from explorer.runs import run_folder
from explorer.runs.run_folder import (
    RunFileError,
    RunLockedError,
    latest_checkpoint,
    list_runs,
    load_checkpoint,
    read_metrics,
)
from tests.conftest import ROOT, wait_for


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args, "--no-progress"], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def finished_run(runs_dir: Path, steps: int = 60, **changes) -> Path:
    runner = Runner(TrainConfig.for_dataset("ring8", steps=steps, checkpoint_interval=30, **changes),
                    runs_dir=runs_dir).start()
    runner.join(120)
    assert runner.snapshot().state == "finished"
    return runner.run_dir


# ------------------------------------------------------------------------------------------ SIGKILL

@pytest.mark.slow
def test_a_cli_run_killed_with_sigkill_resumes_with_no_gap_or_duplicate(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "train", "--dataset", "ring8", "--steps", "0",
                             "--set", "checkpoint_interval=100", "--runs-dir", str(tmp_path), "--name", "killed",
                             "--no-progress"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run_dir = tmp_path / "killed"
    try:
        wait_for(lambda: run_folder.checkpoint_path(run_dir, 300).exists(), timeout=120)
        # While it trains, a second writer is refused and changes nothing.
        config_before = (run_dir / "config.json").read_text()
        second = cli("train", "--resume", str(run_dir), "--steps", "50")
        assert second.returncode == 2 and "already being trained (or held paused) by process" in second.stderr
        assert "Traceback" not in second.stderr
        assert (run_dir / "config.json").read_text() == config_before
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    last = int(latest_checkpoint(run_dir).stem.split("_")[1])
    assert [r.step for r in list_runs(tmp_path)] == [last]  # it appears, with its data up to the checkpoint
    resumed = cli("train", "--resume", str(run_dir), "--steps", str(last + 150))
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout.splitlines()[-1])["steps"] == last + 150
    assert read_metrics(run_dir)["step"].tolist() == list(range(1, last + 151))


@pytest.mark.slow
def test_a_run_killed_before_its_first_checkpoint_starts_over_with_one_record(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "train", "--steps", "0", "--runs-dir", str(tmp_path),
                             "--name", "early", "--no-progress"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(read_metrics(tmp_path / "early")) > 100, timeout=120)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert latest_checkpoint(tmp_path / "early") is None
    resumed = cli("train", "--resume", str(tmp_path / "early"), "--steps", "50")
    assert resumed.returncode == 0, resumed.stderr
    assert read_metrics(tmp_path / "early")["step"].tolist() == list(range(1, 51))


@pytest.mark.slow
def test_a_process_that_exits_stops_its_runs_first_with_a_checkpoint(tmp_path):
    """As the Streamlit server does on Ctrl-C or SIGTERM: the interpreter exits with a run still training.
    It used to abort ("terminate called without an active exception") and lose the run's steps."""
    script = ("import signal, sys, time\n"
              "from explorer import Runner, TrainConfig\n"
              "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))  # what streamlit's handler amounts to\n"
              f"runner = Runner(TrainConfig(steps=0), runs_dir={str(tmp_path)!r}, name='live').start()\n"
              "while True:\n    time.sleep(0.1)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(read_metrics(tmp_path / "live")) > 100, timeout=120)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    step = int(latest_checkpoint(tmp_path / "live").stem.split("_")[1])
    assert step == read_metrics(tmp_path / "live")["step"].max() > 100


def test_a_line_torn_by_a_kill_is_dropped_and_the_record_stays_continuous(runs_dir):
    run_dir = finished_run(runs_dir)
    with open(run_dir / "metrics.csv", "ab") as f:
        f.write(b"61,0.69,0.6")  # the kill came mid-write: no newline
    runner = Runner.open(run_dir, changes={"steps": 90})
    runner.start().join(120)
    assert runner.snapshot().state == "finished"
    assert read_metrics(run_dir)["step"].tolist() == list(range(1, 91))


# ------------------------------------------------------------------------------------------ damaged files

def flip_bytes(path: Path, where: float, n: int = 16) -> None:
    data = bytearray(path.read_bytes())
    at = int(len(data) * where)
    data[at: at + n] = bytes(b ^ 0xFF for b in data[at: at + n])
    path.write_bytes(bytes(data))


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "bit-flipped"])
def test_a_damaged_config_json_is_named_and_every_other_run_still_loads(runs_dir, damage):
    good, bad = finished_run(runs_dir), finished_run(runs_dir)
    config = bad / "config.json"
    if damage == "truncated":
        config.write_text(config.read_text()[:100])
    else:
        flip_bytes(config, 0.5)
    runs = {r.name: r for r in list_runs(runs_dir)}
    assert runs[good.name].error is None and runs[good.name].config is not None
    assert "config.json is damaged" in runs[bad.name].error
    with pytest.raises(RunFileError, match="config.json is damaged"):
        Runner.open(bad)
    out = cli("train", "--resume", str(bad), "--steps", "90")
    assert out.returncode == 2 and "config.json is damaged" in out.stderr and "Traceback" not in out.stderr
    Runner.open(good)  # the other run is untouched


def test_a_damaged_metrics_csv_is_named_with_its_line(runs_dir):
    good, bad = finished_run(runs_dir), finished_run(runs_dir)
    metrics = bad / "metrics.csv"
    lines = metrics.read_text().splitlines(keepends=True)
    original = lines[20]  # step 20, on line 21
    lines[20] = "20,0.6\x8d\x00garbage,0.7,x\n"
    metrics.write_text("".join(lines), errors="surrogateescape")
    with pytest.raises(RunFileError, match=r"metrics.csv is damaged: line 21 is not numbers"):
        Runner.open(bad)
    lines[20] = "5" + original[2:]  # a step number bit-flipped into the past
    metrics.write_text("".join(lines))
    with pytest.raises(RunFileError, match="the steps stop increasing at line 21"):
        read_metrics(bad)
    assert len(read_metrics(good)) == 60 and Runner.open(good).snapshot().step == 60


def test_the_app_lists_and_shows_other_runs_beside_a_damaged_one(runs_dir):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    good, bad = finished_run(runs_dir), finished_run(runs_dir)
    (bad / "config.json").write_text("{")
    st.cache_resource.clear()  # the app's run registry, on this runs_dir
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, at.exception
    picker = at.sidebar.selectbox(key="run_picker")
    assert any(good.name in o for o in picker.options) and not any(bad.name in o for o in picker.options)
    # A fresh tab shows the newest run it can open: the good one, the damaged one left out.
    assert not at.exception and f"Run **{good.name}**" in "\n".join(m.value for m in at.markdown)
    # A link to the damaged run says what is wrong instead of failing.
    at.query_params["run"] = bad.name
    at.run()
    assert not at.exception, at.exception
    assert any("config.json is damaged" in w.value for w in at.warning)
    st.cache_resource.clear()


# ------------------------------------------------------------------------------------------ a full disk

@contextlib.contextmanager
def small_filesystem(path: Path, mount: bool, megabytes: int = 4):
    """A real tmpfs of a few MB at `path` where mounting is allowed (root on Linux); a plain folder elsewhere."""
    path.mkdir(parents=True)
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    command = ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)]
    mounted = mount and is_root and subprocess.run(command, capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the disk says it is full."""
    filler = directory / "filler"
    with open(filler, "wb") as f:
        with contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    return filler


class _FullDiskFile:
    """A file whose writes land half, then fail as a full disk does (the simulation where mounting is not
    allowed): what reaches the disk is exactly what a real ENOSPC leaves."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        self._f.write(data[: len(data) // 2])
        self._f.flush()
        raise OSError(errno.ENOSPC, "No space left on device", getattr(self._f, "name", None))

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


@pytest.mark.parametrize("disk", ["tmpfs", "simulated"])
def test_a_full_disk_pauses_the_run_replaces_nothing_good_and_resume_goes_on(tmp_path, monkeypatch, disk):
    runs_dir = tmp_path / "small"
    with small_filesystem(runs_dir, mount=disk == "tmpfs") as mounted:
        if disk == "tmpfs" and not mounted:
            pytest.skip("mounting a tmpfs needs root on Linux; the simulated case covers the rest")
        runner = Runner(TrainConfig.for_dataset("ring8", steps=0, checkpoint_interval=40), runs_dir=runs_dir)
        runner.start()
        wait_for(lambda: latest_checkpoint(runner.run_dir) is not None, timeout=120)
        if mounted:
            filler = fill(runs_dir)
        else:  # simulated: every write of the run folder fails halfway from now on
            real_open, real_fdopen = open, os.fdopen
            monkeypatch.setattr(run_folder, "open", lambda *a, **k: _FullDiskFile(real_open(*a, **k)), raising=False)
            monkeypatch.setattr(run_folder.os, "fdopen", lambda *a, **k: _FullDiskFile(real_fdopen(*a, **k)))
        wait_for(lambda: runner.snapshot().state == "paused" and runner.snapshot().error, timeout=120)
        snap = runner.snapshot()
        assert "No space left on device" in snap.error and "Nothing already on disk was replaced" in snap.error
        good = latest_checkpoint(runner.run_dir)
        assert load_checkpoint(good)["step"] >= 40  # the last good checkpoint still loads
        on_disk = read_metrics(runner.run_dir)["step"].tolist()  # no half row
        assert on_disk == list(range(1, len(on_disk) + 1))
        assert not list(runner.run_dir.rglob("*.tmp*"))

        if mounted:
            filler.unlink()
        else:
            monkeypatch.undo()
        runner.resume()
        wait_for(lambda: runner.snapshot().state == "running" and runner.snapshot().step > snap.step + 100)
        runner.stop()
        final = runner.snapshot()
        assert final.state == "stopped" and final.error is None
        assert read_metrics(runner.run_dir)["step"].tolist() == list(range(1, final.step + 1))
        assert load_checkpoint(latest_checkpoint(runner.run_dir))["step"] == final.step


def test_a_run_folder_that_cannot_be_created_is_an_error_with_nothing_left(tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "runs" / "x" / "config.json"))

    monkeypatch.setattr(run_folder, "atomic_write_text", no_space)
    out_dir = tmp_path / "runs"
    with pytest.raises(OSError):
        Runner(TrainConfig(), runs_dir=out_dir)
    assert not any(out_dir.iterdir())
    from explorer.cli import main

    assert main(["train", "--runs-dir", str(out_dir), "--no-progress"]) == 2


# ------------------------------------------------------------------------------------------ one writer

def test_a_second_writer_of_a_run_folder_is_refused(runs_dir):
    first = Runner(TrainConfig(steps=0), runs_dir=runs_dir).start()
    wait_for(lambda: first.snapshot().step > 10)
    second = Runner.open(first.run_dir)
    with pytest.raises(RunLockedError, match=rf"already being trained \(or held paused\) by process {os.getpid()}"):
        second.start()
    assert second.snapshot().state == "ready"  # refused before anything ran or was written
    first.stop()
    second.start().stop()  # the lock is free once the first writer is done
    assert second.snapshot().state == "stopped"


# ------------------------------------------------------------------------------------------ memory

def test_running_out_of_memory_fails_that_run_with_advice_and_the_others_go_on(runs_dir, monkeypatch, capsys):
    from explorer.game.trainer import Trainer

    registry = RunRegistry(runs_dir)
    other = registry.start(TrainConfig(steps=0))
    real_step = Trainer.step

    def step(self):
        if self.cfg.batch_size == 999:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        real_step(self)

    monkeypatch.setattr(Trainer, "step", step)
    doomed = registry.start(TrainConfig(batch_size=999, steps=0))
    wait_for(lambda: doomed.snapshot().state == "error")
    message = doomed.snapshot().error
    assert "Out of GPU memory with batch_size=999" in message and "smaller batch size" in message
    assert "Traceback" not in capsys.readouterr().err
    step_then = other.snapshot().step
    wait_for(lambda: other.snapshot().step > step_then + 20 and other.snapshot().state == "running")
    registry.stop_all()


# ------------------------------------------------------------------------------------------ the game blows up

def test_exploding_gradients_pause_the_run_before_nan_and_the_last_checkpoint_loads(runs_dir):
    runner = Runner(TrainConfig(steps=0, checkpoint_interval=50), runs_dir=runs_dir).start()
    wait_for(lambda: latest_checkpoint(runner.run_dir) is not None)
    runner.set_learning_rates(lr_d=1.0, lr_g=1.0)  # Adam at lr 1: the norms leave any healthy range at once
    wait_for(lambda: runner.snapshot().state == "diverged")
    snap = runner.snapshot()
    assert "Exploding gradients" in snap.error or "NaN" in snap.error
    assert "restored to step" in snap.error and "Lower the learning rates" in snap.error
    assert np.isfinite(snap.metrics.drop(columns="samples_per_s").to_numpy()).all()
    runner.stop()
    state = load_checkpoint(latest_checkpoint(runner.run_dir))
    assert all(torch.isfinite(v).all() for v in state["G"].values() if v.is_floating_point())


@pytest.mark.slow
def test_the_cli_reports_a_run_that_blew_up_and_keeps_its_good_checkpoint(tmp_path):
    out = cli("train", "--runs-dir", str(tmp_path), "--name", "sgd-at-1", "--steps", "0", "--set", "optimizer=sgd",
              "--set", "lr_d=1", "--set", "lr_g=1", "--set", "momentum=0.99")
    assert out.returncode == 2 and "Traceback" not in out.stderr and not out.stdout.strip()
    assert "Exploding gradients" in out.stderr and "--resume" in out.stderr
    state = load_checkpoint(latest_checkpoint(tmp_path / "sgd-at-1"))
    assert all(torch.isfinite(v).all() for v in state["G"].values() if v.is_floating_point())


def test_exploding_gradients_are_named_as_such_when_they_come_first():
    from explorer.runs.health import HealthWatch

    watch = HealthWatch(TrainConfig())
    healthy = np.tile([0.6, 0.7, 0.7, 0.5, 0.5, 1.0, 1.0], (300, 1))
    assert watch.check(healthy, 1) is None
    blowing_up = healthy[:3].copy()
    blowing_up[1, 5] = 5e4  # D's gradient norm, one step before the losses turn NaN
    blowing_up[2, :3] = np.nan
    alarm = watch.check(blowing_up, 301)
    assert alarm.kind == "exploding" and alarm.step == 302 and alarm.stops_run
    assert "norm of D's gradient reached 5e+04 at step 302" in alarm.message


@pytest.mark.slow
def test_a_discriminator_that_wins_outright_raises_a_warning_while_it_lasts():
    """Section 3's poor G under the minimax loss: D rejects every sample and G's gradient vanishes."""
    runner = Runner(preset("Minimax from a poor G"), save=False).start()
    warnings = set()
    while runner.snapshot().alive:
        if runner.snapshot().warning:
            warnings.add(runner.snapshot().warning)
        time.sleep(0.05)
    assert runner.snapshot().state == "finished"
    assert any(w.startswith("D is winning") and "non_saturating" in w for w in warnings)


# ------------------------------------------------------------------------------------------ bad input

@pytest.mark.slow
def test_a_batch_larger_than_the_data_set_is_refused_naming_both(runs_dir, tmp_path):
    from PIL import Image

    images = tmp_path / "five"
    images.mkdir()
    for i in range(5):
        Image.new("L", (32, 32), color=i * 40).save(images / f"{i}.png")
    runner = Runner(TrainConfig(dataset="folder", data_root=str(images), batch_size=64), runs_dir=runs_dir)
    runner.start().join(60)
    snap = runner.snapshot()
    assert snap.state == "error" and "batch_size=64 is not allowed: at most the 5 examples" in snap.error
    assert not runs_dir.exists() or not any(runs_dir.iterdir())  # no run folder left behind
    out = cli("train", "--dataset", "folder", "--set", f"data_root={images}", "--set", "batch_size=64",
              "--runs-dir", str(runs_dir))
    assert out.returncode == 2 and "batch_size=64" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("assignment, field", [
    ("lr_d=nan", "lr_d"), ("lr_g=inf", "lr_g"), ("lr_d=-0.1", "lr_d"), ("lr_d=1e9", "lr_d"), ("k=0", "k"),
    ("z_dim=-1", "z_dim"), ("batch_size=0", "batch_size"), ("g_hidden=1e3", "g_hidden"), ("loss=wgan", "loss"),
    ("lr_min=0.5", "lr_min"),
])
def test_the_cli_refuses_bad_settings_before_training_with_the_field_named(tmp_path, capsys, assignment, field):
    from explorer.cli import main

    assert main(["train", "--runs-dir", str(tmp_path / "runs"), "--set", assignment, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field}=") and "is not allowed" in err
    assert not (tmp_path / "runs").exists()  # nothing was created
