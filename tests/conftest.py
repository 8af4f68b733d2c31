from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

# Under pytest-xdist two workers, and the kernels, servers and CLI runs they start, share the machine's cores. Each
# process's torch keeps one OpenMP thread per core, and those threads then wait on one another: the notebook and tour
# tests took 296 s on two workers, and 97 s with one thread per process. So one, unless the environment says more
# (set here, before any test module imports torch; the processes the tests start inherit it).
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def wait_for(predicate, timeout: float = 90.0, every: float = 0.05) -> bool:
    """Poll until predicate() is true (tests on a loaded 2-core machine must not rely on fixed sleeps)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def shared_data() -> Path:
    """Real MNIST / Fashion-MNIST beside the repo (../shared/data); CI always has it."""
    if not (SHARED_DATA / "MNIST" / "raw").exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED_DATA} is missing on CI")
        pytest.skip(f"real MNIST not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "runs"
    monkeypatch.setenv("GAN_EXPLORER_RUNS", str(d))
    return d


@pytest.fixture
def registry(runs_dir):
    """The app's run registry (process-wide, in st.cache_resource) made fresh on this test's runs dir, with the
    cached data cleared; every run it started is stopped afterwards."""
    import streamlit as st

    from app import session

    st.cache_resource.clear()
    st.cache_data.clear()
    reg = session.registry()
    assert reg.runs_dir == runs_dir
    yield reg
    reg.stop_all()
    st.cache_resource.clear()


# Under pytest-xdist (`-n 2 --dist loadgroup`) each group runs on one worker, one test at a time. Each Ray test
# starts a cluster. Browser tests check what moves on screen within seconds (Play's frames, a live chart): two of
# them at once would starve each other on two cores, and even beside one busy worker they missed now and then, so
# the README's test command runs them apart, after the rest.
XDIST_GROUPS = {"test_browser": "browser", "test_sweeps.py": "ray", "test_sweep_page.py": "ray"}


def pytest_collection_modifyitems(config, items) -> None:
    """Every test in a tests/test_browser*.py module drives Chromium: mark it `browser`, so the fast loop
    (`-m "not slow and not browser"`) leaves it out without each file having to say so; and put it in its
    xdist group (see XDIST_GROUPS)."""
    for item in items:
        if item.path.name.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
        for prefix, group in XDIST_GROUPS.items():
            if item.path.name.startswith(prefix):
                item.add_marker(pytest.mark.xdist_group(group))
