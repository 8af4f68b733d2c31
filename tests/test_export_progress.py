"""Long exports show progress: the GIF / MP4 writers report each frame drawn (explorer.runs.exporters), and the Runs
page's "Make GIF and MP4" runs on a background thread with a progress bar, then offers the files."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import BinaryIO

import pytest
from streamlit.testing.v1 import AppTest

from explorer.runs import exporters, replay
from explorer.runs.run_folder import DEMO_RUNS_DIR
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")


def short_run(parent: Path, frames: int = 4) -> Path:
    """The bundled Figure 1 demo with only its first `frames` recorded frames (a toy: each frame is drawn)."""
    run = Path(shutil.copytree(DEMO_RUNS_DIR / "figure1-gaussian", parent / "short-figure1",
                               ignore=shutil.ignore_patterns("checkpoints", ".lock")))
    for _, path in replay.frame_steps(run)[frames:]:
        path.unlink()
    return run


@pytest.mark.parametrize("kind", ["gif", "mp4"])
def test_each_frame_drawn_is_reported_in_order(kind, tmp_path):
    if kind == "mp4":
        pytest.importorskip("imageio_ffmpeg")
    run = short_run(tmp_path)
    heard: list[tuple[int, int]] = []
    writer = exporters.write_gif if kind == "gif" else exporters.write_mp4
    n = writer(run, tmp_path / f"out.{kind}", progress=lambda done, total: heard.append((done, total)))
    assert n == 4 and heard == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert (tmp_path / f"out.{kind}").stat().st_size > 0


def test_make_gif_and_mp4_shows_a_progress_bar_then_the_downloads(registry, runs_dir, monkeypatch):
    from app import media

    short_run(runs_dir)
    release = threading.Event()

    def slow_writer(run_dir: Path, out: BinaryIO, progress=None) -> int:
        progress(1, 2)  # one frame drawn, then held until the test has seen the bar
        release.wait(30)
        progress(2, 2)
        out.write(b"media")  # the page hands writers a stream: no temp folder
        return 2

    monkeypatch.setattr(media.MediaJob, "KINDS", (("gif", slow_writer), ("mp4", slow_writer)))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/runs.py").run()
    shown = at.dataframe(key="runs_table").value["name"].tolist()
    at.session_state["runs_table"] = {"selection": {"rows": [shown.index("short-figure1")]}}
    at.run()
    at.button(key="runs_make_media").click().run()
    assert not at.exception, at.exception
    job = at.session_state[media.MEDIA_JOB_KEY]
    wait_for(lambda: job.done == 1)
    at.run()  # the page is drawn again while the job works: a bar that says how far, the button disabled
    (bar,) = at.get("progress")
    assert "short-figure1: drawing the GIF, frame 1 of 2" in bar.proto.text
    assert at.button(key="runs_make_media").disabled
    release.set()
    wait_for(lambda: job.finished)
    at.run()
    assert not at.exception, at.exception
    assert not at.get("progress") and not at.button(key="runs_make_media").disabled
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Samples over training (.gif)" in labels and "Samples over training (.mp4)" in labels


def test_the_replay_pages_gif_is_drawn_in_the_background_with_a_progress_bar(registry, runs_dir, monkeypatch):
    from app import media

    short_run(runs_dir)
    release = threading.Event()

    def slow_gif(run_dir: Path, out: BinaryIO, progress=None) -> int:
        progress(1, 2)
        release.wait(30)
        progress(2, 2)
        out.write(b"GIF89a")
        return 2

    monkeypatch.setattr(media.MediaJob, "KINDS", (("gif", slow_gif), ("mp4", slow_gif)))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/replay.py")
    at.query_params["run"] = "short-figure1"
    at.run()
    assert not at.get("progress")  # no timer, no bar until a GIF is asked for
    at.button(key="make_gif").click().run()
    assert not at.exception, at.exception
    job = at.session_state["gif_job__short-figure1"]
    assert [kind for kind, _ in job.kinds] == ["gif"]  # the Replay page makes the GIF alone
    wait_for(lambda: job.done == 1)
    at.run()
    (bar,) = at.get("progress")
    assert "short-figure1: drawing the GIF, frame 1 of 2" in bar.proto.text
    assert at.button(key="make_gif").disabled
    release.set()
    wait_for(lambda: job.finished)
    at.run()
    assert not at.exception, at.exception
    assert not at.get("progress") and not at.button(key="make_gif").disabled
    (download,) = [b for b in at.get("download_button") if b.proto.label.startswith("Download the GIF")]
    assert "4 frames" in download.proto.label
