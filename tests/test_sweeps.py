"""Sweeps on Ray Tune: the spec, one trial, a local Ray, a separately started Ray head, failures, resume."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from explorer.game.config import TrainConfig
from explorer.runs.run_folder import find_run_dir, list_runs, read_config, read_metrics
from explorer.sweeps.launch import SweepError, SweepOptions, run_sweep
from explorer.sweeps.spec import SweepSpec, SweepSpecError, parse_grid, parse_seeds
from explorer.sweeps.sweep_folder import (
    create_sweep,
    figure_labels,
    read_progress,
    read_results,
    read_spec,
    write_results,
)
from explorer.sweeps.trial import run_trial

REPO = Path(__file__).resolve().parents[1]
TIMING = ["seconds", "steps_per_s"]  # the only columns that may differ between two runs of one sweep


def spec(name="s", grid=("lr_d=1e-3,2e-3", "loss=minimax,non_saturating"), seeds="0", steps=120, **kw) -> SweepSpec:
    return SweepSpec(name=name, dataset=kw.pop("dataset", "toy1d"), preset=None, overrides=kw.pop("overrides", ()),
                     grid=parse_grid(list(grid)), seeds=parse_seeds(seeds), steps=steps)


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


# ------------------------------------------------------------------------------ the spec (no Ray)

def test_trials_cover_every_combination_in_a_fixed_order():
    trials = spec(seeds="0,1").trials()
    assert [(t.params["lr_d"], t.params["loss"], t.seed) for t in trials] == [
        (1e-3, "minimax", 0), (1e-3, "minimax", 1), (1e-3, "non_saturating", 0), (1e-3, "non_saturating", 1),
        (2e-3, "minimax", 0), (2e-3, "minimax", 1), (2e-3, "non_saturating", 0), (2e-3, "non_saturating", 1)]
    assert trials[5].config == TrainConfig.for_dataset("toy1d").replace(
        lr_d=2e-3, loss="minimax", seed=1, steps=120, checkpoint_interval=30)
    assert len({t.name for t in trials}) == 8 and all(t.name.startswith("s-0") for t in trials)


@pytest.mark.parametrize("grid, seeds, message", [
    (("lr_d=abc",), "0", "lr_d"),
    (("colour=red",), "0", "not a setting"),
    (("seed=1,2",), "0", "use --seeds"),
    (("k=1,1",), "0", "repeats"),
    (("k=1,99",), "0", "k=99"),
    (("lr_d",), "0", "FIELD=v1,v2"),
    (("k=1",), "0,0", "repeats a seed"),
    (("k=1",), "x", "--seeds"),
])
def test_a_bad_grid_is_refused_before_anything_is_written(tmp_path, grid, seeds, message):
    with pytest.raises((SweepSpecError, ValueError), match=message):
        create_sweep(tmp_path, spec(grid=grid, seeds=seeds))
    assert not (tmp_path / "sweeps").exists() or not any((tmp_path / "sweeps").iterdir())


@pytest.mark.slow
def test_the_cli_refuses_a_bad_grid_with_a_message():
    out = cli("sweep", "--grid", "lr_d=1e-3,fast", "--steps", "10", "--runs-dir", "/nonexistent/never")
    assert out.returncode == 2
    assert "lr_d" in out.stderr and "expected a number" in out.stderr and "Traceback" not in out.stderr


def test_spec_round_trips_and_a_renamed_sweep_folder_is_named(tmp_path):
    path, s = create_sweep(tmp_path, spec())
    assert read_spec(path) == s
    _, second = create_sweep(tmp_path, spec())
    assert second.name == "s-2" and second.trials()[0].name.startswith("s-2-00")
    path.rename(tmp_path / "sweeps" / "renamed")
    with pytest.raises(SweepSpecError, match="rename the folder back to 's'"):
        read_spec(tmp_path / "sweeps" / "renamed")


# ------------------------------------------------------------------------------ one trial (no Ray)

@pytest.mark.slow
def test_a_trial_is_an_ordinary_run_and_goes_on_from_its_checkpoint(tmp_path):
    path, s = create_sweep(tmp_path, spec(grid=("lr_d=1e-3",), steps=200))
    trial = s.trials()[0]
    row = run_trial(trial, path)
    assert row["state"] == "finished" and row["step"] == 200 and 0 <= row["js"] <= 0.7 and 0 < row["d_on_data"] < 1
    assert read_config(path / trial.name) == trial.config
    assert find_run_dir(tmp_path, trial.name) == path / trial.name  # Replay and Train find it by name
    assert [r.sweep for r in list_runs(tmp_path, sweeps=True)] == ["s"]
    # Scoring a trial that already reached its last step trains nothing more and gives the same figures.
    again = run_trial(trial, path)
    assert again["step"] == 200 and again["js"] == row["js"]
    assert read_metrics(path / trial.name)["step"].tolist() == list(range(1, 201))


def test_a_trial_that_fails_is_a_row_not_an_exception(tmp_path):
    path, s = create_sweep(tmp_path, spec(grid=("dataset=mnist",), overrides=(f"data_root={tmp_path / 'none'}",)))
    row = run_trial(s.trials()[0], path)
    assert row["state"] == "failed" and "MNIST" in row["error"] and row["step"] == 0


def test_a_damaged_results_table_says_what_to_do(tmp_path):
    path, s = create_sweep(tmp_path, spec())
    (path / "results.csv").write_bytes(b"\x00\xff garbage")
    with pytest.raises(SweepSpecError, match="delete it and resume"):
        read_results(path, s)


# ------------------------------------------------------------------------------ on Ray

@pytest.mark.slow
def test_a_four_trial_sweep_on_a_local_ray_with_two_cpus(tmp_path):
    path, s = create_sweep(tmp_path, spec())
    summary = run_sweep(path, SweepOptions(cpus=2))
    assert summary["cluster"] == "2 CPUs" and summary["address"] == "local"
    assert (summary["trials"], summary["ran"], summary["finished"]) == (4, 4, 4)
    results = read_results(path, s)
    assert results["trial"].tolist() == [0, 1, 2, 3]
    for row, trial in zip(results.to_dict("records"), s.trials(), strict=True):
        assert (row["lr_d"], row["loss"], row["seed"]) == (trial.params["lr_d"], trial.params["loss"], trial.seed)
        assert read_config(path / row["run"]) == trial.config  # each row's run folder trained that config
        assert row["state"] == "finished" and row["step"] == 120 and pd.notna(row["js"])
    assert read_progress(path)["state"] == "finished" and read_progress(path)["ended"] == 4

    # The same sweep with the same seeds gives the same table (but for the clocks).
    path2, _ = create_sweep(tmp_path, spec())
    run_sweep(path2, SweepOptions(cpus=2))
    again = read_results(path2)
    assert again.drop(columns=TIMING + ["run"]).equals(results.drop(columns=TIMING + ["run"]))


@pytest.mark.slow
def test_a_failing_trial_is_recorded_and_the_sweep_finishes(tmp_path):
    s = spec(grid=("dataset=toy1d,mnist",), overrides=(f"data_root={tmp_path / 'no-data'}",))
    path, s = create_sweep(tmp_path, s)
    summary = run_sweep(path, SweepOptions(cpus=2))
    assert (summary["finished"], summary["failed"]) == (1, 1)
    rows = read_results(path, s).set_index("dataset")
    assert rows.loc["toy1d", "state"] == "finished"
    assert rows.loc["mnist", "state"] == "failed" and "MNIST" in rows.loc["mnist", "error"]


@pytest.mark.slow
def test_resume_runs_only_what_is_missing_and_goes_on_from_checkpoints(tmp_path):
    path, s = create_sweep(tmp_path, spec(grid=("lr_d=1e-3,2e-3",), steps=200))
    first, second = s.trials()
    done = run_trial(first, path)
    write_results(path, s, [done])  # as if the sweep had stopped after recording its first trial
    stamp = (path / first.name / "metrics.csv").stat().st_mtime_ns
    # The second trial was interrupted at step 100, right after a checkpoint.
    from explorer.runs.runner import Runner

    runner = Runner(second.config.replace(steps=100), runs_dir=path, name=second.name).start()
    runner.join(60)
    (path / second.name / "config.json").write_text(second.config.to_json())
    summary = run_sweep(path, SweepOptions(cpus=2))
    assert (summary["ran"], summary["finished"]) == (1, 2)
    assert (path / first.name / "metrics.csv").stat().st_mtime_ns == stamp  # not trained again
    assert read_metrics(path / second.name)["step"].tolist() == list(range(1, 201))  # no step twice
    fresh_path, _ = create_sweep(tmp_path, spec(name="fresh", grid=("lr_d=1e-3,2e-3",), steps=200))
    run_sweep(fresh_path, SweepOptions(cpus=2))
    assert read_results(path).drop(columns=TIMING + ["run"]).equals(
        read_results(fresh_path).drop(columns=TIMING + ["run"]))  # resumed == uninterrupted


@pytest.mark.slow
def test_more_gpus_per_trial_than_the_cluster_has_is_refused(tmp_path):
    path, _ = create_sweep(tmp_path, spec(grid=("k=1",)))
    with pytest.raises(SweepError, match="GPUs"):
        run_sweep(path, SweepOptions(cpus=2, gpus_per_trial=0.25))
    assert read_results(path).empty


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_head():
    """A Ray head started on its own (`ray start --head` on a free port, 3 CPUs so it cannot be mistaken for
    a local Ray of this machine's 2), stopped with everything it started."""
    port = _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "token")}
    head = subprocess.Popen(["ray", "start", "--head", f"--port={port}", "--num-cpus=3", "--include-dashboard=false",
                             "--block"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env=env)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while subprocess.run(["ray", "status", f"--address={address}"], capture_output=True, env=env).returncode:
            assert head.poll() is None and time.monotonic() < deadline, "the Ray head did not come up"
            time.sleep(1)
        yield address
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(5)  # `ray start --block` rarely exits on SIGTERM alone: measured, it sat out a 20 s wait
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)  # whatever of the head's processes is still there
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_a_sweep_pointed_at_a_ray_head_runs_there(tmp_path, ray_head):
    out = cli("sweep", "--grid", "lr_d=1e-3,2e-3", "--steps", "100", "--runs-dir", str(tmp_path), "--name", "remote",
              "--address", ray_head)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["cluster"] == "3 CPUs" and summary["address"] == ray_head and summary["finished"] == 2
    assert "remote" in out.stderr  # the progress bar names the sweep
    assert len(read_results(tmp_path / "sweeps" / "remote")) == 2


@pytest.mark.slow
def test_a_stopped_cli_sweep_says_how_to_resume_and_resumes(tmp_path):
    args = ["sweep", "--grid", "lr_d=1e-3,2e-3,3e-3,4e-3", "--steps", "400", "--runs-dir", str(tmp_path),
            "--name", "stopme", "--cpus", "1", "--no-progress"]
    proc = subprocess.Popen([sys.executable, "-m", "explorer", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    path = tmp_path / "sweeps" / "stopme"
    deadline = time.monotonic() + 180
    while not (path / "results.csv").exists():  # the first trial has ended
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert 0 < summary["interrupted"] < 4 and "sweep --resume" in stderr
    out = cli("sweep", "--resume", str(path), "--no-progress")
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1])["finished"] == 4
    assert read_results(path)["state"].tolist() == ["finished"] * 4


def test_every_figure_has_a_label():
    assert set(figure_labels()) >= {"js", "d_on_data", "modes_covered", "frechet_distance", "classifier_score",
                            "classes_covered"}


def test_the_bundled_sweep_is_complete_and_is_the_scripts():
    from explorer.runs.replay import frame_steps
    from explorer.runs.run_folder import DEMO_SWEEPS_DIR
    from explorer.sweeps.demo_sweep import DEMO_SWEEP

    path = DEMO_SWEEPS_DIR / DEMO_SWEEP.name
    assert read_spec(path) == DEMO_SWEEP
    results = read_results(path)
    assert results["state"].tolist() == ["finished"] * DEMO_SWEEP.n_trials()
    for row, trial in zip(results.to_dict("records"), DEMO_SWEEP.trials(), strict=True):
        assert row["run"] == trial.name and read_config(path / trial.name) == trial.config
        assert len(read_metrics(path / trial.name)) == DEMO_SWEEP.steps  # a replay's curves
        assert frame_steps(path / trial.name)[-1][0] == DEMO_SWEEP.steps  # and its frames, to the end
    # The map the note describes: collapse where G outruns D, all or most modes in between.
    modes = results.groupby(["lr_d", "lr_g"])["modes_covered"].mean()
    assert modes[(2e-4, 5e-3)] <= 1 and modes[(2e-4, 1e-3)] <= 1 and modes[(5e-3, 2e-4)] <= 3
    assert modes[(1e-3, 2e-4)] == 8
    assert sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) < 4.5e6
