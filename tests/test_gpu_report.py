"""`bench --device cuda --report` (explorer/bench/gpu_report.py), as far as a CPU can try it: with no CUDA it refuses at
once; on the CPU, with tiny budgets, it runs every step, records each as ok or failed with its error, and a
failing step never stops the next. Its speed and figures are not asserted: they are what it is for."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys

import pytest
import torch

from explorer.bench import gpu_report
from explorer.bench.gpu_report import STEPS, StepFailed, StepRecord, main_report
from tests.conftest import ROOT, wait_for

TINY = dict(device="cpu", skip_tests=True, paper_steps=10, parzen_samples=100, seconds=1.0, rounds=1, quality=2,
            samples=300, bench_args="--no-dashboard --no-runner --no-bf16 --batch-size 32", step_timeout=300)


def report_args(out, **changes) -> argparse.Namespace:
    return argparse.Namespace(**{**TINY, "out": str(out), **changes})


def read(out) -> tuple[dict, dict, str]:
    report = json.loads((out / "report.json").read_text())
    return report, {s["key"]: s for s in report["steps"]}, (out / "report.md").read_text()


def test_the_cuda_report_refuses_at_once_without_cuda_and_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="needs a CUDA GPU and none is visible") as e:
        main_report(argparse.Namespace(device="cuda", out=str(tmp_path / "report")))
    assert "--device cpu" in str(e.value) and "NVIDIA GPU" in str(e.value)
    assert not (tmp_path / "report").exists()  # nothing written


def test_the_bench_command_line_takes_the_report_flags_and_refuses_without_cuda(tmp_path, monkeypatch):
    """`python -m explorer bench --device cuda --report ...`: the report's flags sit beside the bench's own."""
    from explorer import cli

    parser = cli.build_parser()
    bench = next(a for a in parser._subparsers._group_actions if a.dest == "command").choices["bench"]
    if "--report" not in bench._option_string_actions:  # until cli.py wires the flags itself
        gpu_report.add_report_arguments(bench)
    args = parser.parse_args(["bench", "--device", "cuda", "--report", "--out", str(tmp_path / "r"), "--skip-paper",
                              "--paper-steps", "50", "--seconds", "2"])
    assert args.report and args.skip_paper and args.paper_steps == 50 and args.parzen_samples == 10_000
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
        main_report(args)
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_failing_step_is_recorded_with_its_error_and_the_rest_still_run(tmp_path):
    """A data root with no MNIST: the bench, MNIST in a minute and the paper run fail with the engine's own
    message, the Parzen steps say there is no run to score; the device facts and a test run are still there."""
    out = tmp_path / "report"
    summary = main_report(report_args(
        out, data_root=str(tmp_path / "no_data"), skip_tests=False,
        pytest_args="tests/test_parzen.py::test_parzen_matches_the_analytic_log_density_of_a_gaussian"))
    report, steps, md = read(out)
    assert list(steps) == list(STEPS) and report["finished"]
    assert steps["device"]["state"] == "ok" and steps["device"]["result"]["cuda_available"] in (True, False)
    assert steps["tests"]["state"] == "ok" and steps["tests"]["result"]["passed"] == 1
    assert "1 passed" in steps["tests"]["headline"]
    for key in ("bench", "quality", "paper_train", "paper_parzen_average", "paper_parzen_raw"):
        assert steps[key]["state"] == "failed" and steps[key]["error"], key
        assert steps[key]["seconds"] is not None
    assert "MNIST" in steps["bench"]["error"] and "MNIST" in steps["paper_train"]["error"]
    assert "no paper run to score" in steps["paper_parzen_raw"]["error"]
    assert (out / "logs" / "bench.log").read_text().startswith("$ ")  # each step's output kept
    assert sorted(summary["failed"]) == sorted(["bench", "quality", "paper_train", "paper_parzen_average",
                                                 "paper_parzen_raw"])
    for title in STEPS.values():
        assert title in md
    assert "| Paper preset, fresh run | failed |" in md


@pytest.mark.slow
def test_the_cpu_dry_run_records_every_step_and_a_later_command_adds_to_the_same_report(tmp_path, shared_data):
    out = tmp_path / "report"
    # The quality step (bench --quality, tests/test_quality.py's) is skipped: on a CPU it took half this test's time.
    main_report(report_args(out, data_root=str(shared_data), skip_quality=True))
    report, steps, md = read(out)
    assert report["device"] == "cpu" and report["finished"]
    assert steps["tests"]["state"] == steps["quality"]["state"] == "skipped"
    for key, step in steps.items():
        assert step["state"] in ("ok", "failed", "skipped"), key
        assert step["state"] != "failed" or step["error"], key
    for key in ("device", "bench", "paper_train", "paper_parzen_average", "paper_parzen_raw"):
        assert steps[key]["state"] == "ok", (key, steps[key]["error"])
    assert steps["bench"]["result"]["ratio"] > 0 and "vs loop" in steps["bench"]["headline"]
    train = steps["paper_train"]["result"]
    assert train["steps"] == 10 and train["state"] == "finished" and "Paper" in steps["paper_train"]["command"]
    average, raw = steps["paper_parzen_average"]["result"], steps["paper_parzen_raw"]["result"]
    assert average["g_weights"].startswith("average") and raw["g_weights"] == "G"
    assert average["parzen"]["n_samples"] == raw["parzen"]["n_samples"] == 100
    assert "paper's GAN row 225 ± 2" in steps["paper_parzen_raw"]["headline"] and "225 ± 2" in md

    # The paper run must be fresh: the same folder again refuses before anything runs...
    with pytest.raises(ValueError, match="must be fresh"):
        main_report(report_args(out, data_root=str(shared_data)))
    # ...and a later command that skips steps keeps their earlier records in the same report.
    main_report(report_args(out, data_root=str(shared_data), skip_bench=True, skip_quality=True, skip_paper=True))
    _, again, _ = read(out)
    for key in ("bench", "quality", "paper_train", "paper_parzen_average", "paper_parzen_raw"):
        assert again[key]["result"] == steps[key]["result"] and again[key]["state"] == steps[key]["state"], key


def test_a_killed_report_stops_its_step_and_leaves_the_report_so_far(tmp_path):
    out = tmp_path / "report"
    code = ("import argparse; from explorer.bench.gpu_report import main_report; "
            f"main_report(argparse.Namespace(device='cpu', out={str(out)!r}, skip_bench=True, skip_quality=True, "
            "skip_paper=True, skip_tests=True))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        wait_for(lambda: (out / "report.json").exists() and read(out)[1]["device"]["state"] == "running", 120, 0.02)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    report, steps, md = read(out)
    assert "interrupted: the report so far is in" in stderr
    assert not report["finished"] and "stopped before the end" in md
    assert steps["device"]["state"] == "failed" and "interrupted" in steps["device"]["error"]
    assert steps["tests"]["state"] == "pending"


def test_a_step_past_its_time_limit_is_stopped_and_recorded(tmp_path):
    (tmp_path / "logs").mkdir()
    rec = StepRecord("bench", "Bench")
    with pytest.raises(StepFailed, match="timed out after 1 s"):
        gpu_report._run_command([sys.executable, "-c", "import time; print('{\"a\": 1}', flush=True); time.sleep(60)"],
                                tmp_path / "logs" / "bench.log", 1, {}, tmp_path, rec)
    assert rec.result == {"a": 1} and rec.log == "logs/bench.log"  # what it printed before is kept


def test_the_line_that_says_why_a_step_failed():
    assert gpu_report._last_error("warming up\nerror: MNIST not found in /x: download it\n") == (
        "error: MNIST not found in /x: download it")
    assert gpu_report._last_error("Traceback...\n  File x\nRuntimeError: CUDA error: launch failed\n") == (
        "RuntimeError: CUDA error: launch failed")
    pytest_out = "....F\nFAILED tests/a.py::b - AssertionError\n===== 1 failed, 4 passed, 2 skipped in 3.10s =====\n"
    assert gpu_report._last_error(pytest_out) == "1 failed, 4 passed, 2 skipped in 3.10s"
    assert gpu_report._pytest_result(pytest_out) == {"summary": "1 failed, 4 passed, 2 skipped in 3.10s",
                                                     "failed": 1, "passed": 4, "skipped": 2}
    assert gpu_report._last_json('progress\n{"steps": 3}\nwarning: at exit\n') == {"steps": 3}


def test_the_quality_line_gives_the_last_figures_and_whether_the_target_was_met():
    # The figures of the first GPU report's step (H200, 2026-12-04), shortened to what the line reads.
    result = {"preset": "MNIST in a minute", "target": {"classifier_score": 8.0, "frechet_distance": 30.0,
                                                        "classes_covered": 10}, "target_met": True,
              "snapshots": [{"seconds": 30.01, "steps": 2776, "frechet_distance": 211.5, "classifier_score": 4.97,
                             "classes_covered": 10},
                            {"seconds": 60.004, "steps": 5710, "frechet_distance": 28.7252,
                             "classifier_score": 8.1026, "classes_covered": 10}]}
    line = gpu_report._headline("quality", StepRecord("quality", "q", result=result), "cuda")
    assert line == ("at 60 s (5,710 steps): Frechet distance 28.7, classifier score 8.10, 10 classes; "
                    "target (FD <= 30.0, score >= 8.0, 10 classes) met")
