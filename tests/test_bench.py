"""`python -m explorer bench`: its output is well formed (its speed is measured by hand, not here)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SHARED_DATA


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    data = (["--data-root", str(SHARED_DATA)] if (SHARED_DATA / "MNIST" / "raw").exists()
            else ["--dataset", "mnist_subset"])
    return subprocess.run([sys.executable, "-m", "explorer", "bench", *data, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.slow
def test_bench_prints_both_loops_their_ratio_the_users_path_dashboard_load_and_a_json_last_line():
    out = bench("--seconds", "2", "--rounds", "1", "--batch-size", "32", "--device", "cpu", "--json")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    text = "\n".join(lines[:-1])
    for expected in ("conventional loop", "engine fp32", "fresh noise", "engine bf16", "steps/s", "vs loop",
                     "dashboard load", "snapshot latency", "peak RSS", "load average", "batch 32", "CPU threads",
                     "runner fp32", "runner bf16", "the user's path", "runner/bare", "a checkpoint every 5,000"):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    fig = json.loads(lines[-1])
    for key in ("engine_steps_per_s", "baseline_steps_per_s", "ratio", "engine_fresh_steps_per_s",
                "engine_bf16_steps_per_s", "ratio_bf16", "dashboard_steps_per_s", "dashboard_cost",
                "snapshot_read_ms_median", "peak_rss_mib", *(f"{kind}_{precision}_{figure}"
                for precision in ("fp32", "bf16") for kind, figure in (("runner", "steps_per_s"),
                ("bare", "steps_per_s"), ("runner", "ratio"), ("runner", "ratio_min"), ("runner", "ratio_max")))):
        assert isinstance(fig[key], (int, float)) and math.isfinite(fig[key]), key
    # the ratio is the runner's steps/s over the bare trainer's, round by round (one round here)
    assert fig["bare_fp32_steps_per_s"] == fig["engine_steps_per_s"]
    assert math.isclose(fig["runner_fp32_ratio"], fig["runner_fp32_steps_per_s"] / fig["bare_fp32_steps_per_s"],
                        rel_tol=1e-3)
    for key in ("engine_steps_per_s", "baseline_steps_per_s", "ratio", "peak_rss_mib"):
        assert fig[key] > 0, key
    assert fig["batch_size"] == 32 and fig["engine_reuses_fake_batch"] is True
    assert "peak_gpu_mib" not in fig  # CPU run


@pytest.mark.slow
def test_bench_without_json_prints_only_the_report():
    out = bench("--seconds", "1", "--rounds", "1", "--device", "cpu", "--no-bf16", "--no-dashboard", "--no-runner")
    assert out.returncode == 0, out.stderr
    assert "engine bf16" not in out.stdout and "dashboard load" not in out.stdout
    assert "runner" not in out.stdout and "user's path" not in out.stdout
    assert not out.stdout.strip().splitlines()[-1].startswith("{")
    assert "round 1/1" in out.stderr  # progress goes to stderr


@pytest.mark.slow
def test_bench_without_mnist_says_where_to_put_it(tmp_path):
    out = subprocess.run([sys.executable, "-m", "explorer", "bench", "--data-root", str(tmp_path / "nowhere"),
                          "--seconds", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2
    assert "MNIST/raw" in out.stderr and "mnist_subset" in out.stderr and "Traceback" not in out.stderr
