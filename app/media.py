"""Sample grids over training as a GIF and an MP4, made on a background thread with a progress bar: the Runs
page's "Make GIF and MP4" and the Replay page's "Make a GIF". The files are explorer.runs.exporters'; this module
only runs them off the script thread and shows how far they got.
"""

from __future__ import annotations

import io
import threading
from functools import partial
from pathlib import Path

import streamlit as st

from explorer.runs import exporters
from explorer.runs.exporters import ExportError
from explorer.runs.run_folder import RunFileError

MEDIA_KEY = "runs_media"  # the GIF / MP4 made for one run: {"run", "gif", "mp4", "gif_error", "mp4_error"}
MEDIA_JOB_KEY = "runs_media_job"  # the MediaJob making them, until it is done


def file_bytes(writer, run_dir: Path) -> bytes:
    """What an exporter (export_zip, write_gif, ...) writes for a run, as bytes: written to memory."""
    out = io.BytesIO()
    writer(run_dir, out)
    return out.getvalue()


class MediaJob:
    """One "Make GIF and MP4": both files written on a background thread, so the page stays usable and shows
    how far it got (15-25 s for a few hundred frames). The thread writes only this object, never Streamlit; the
    page reads `fraction` and, once `finished`, takes `media` (MEDIA_KEY's dict)."""

    KINDS = (("gif", exporters.write_gif), ("mp4", exporters.write_mp4))

    def __init__(self, name: str, run_dir: Path, only: tuple[str, ...] = ("gif", "mp4")):
        self.name = name
        self.kinds = tuple((kind, writer) for kind, writer in self.KINDS if kind in only)
        self.media: dict = {"run": name}
        self.kind, self.done, self.total = "gif", 0, 0
        self._thread = threading.Thread(target=self._work, args=(Path(run_dir),), name=f"media-{name}", daemon=True)
        self._thread.start()

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def fraction(self) -> float:
        """How much of both files is drawn: the GIF is the first half, the MP4 the second."""
        part = [k for k, _ in self.kinds].index(self.kind)
        return min(1.0, (part + (self.done / self.total if self.total else 0.0)) / len(self.kinds))

    def text(self) -> str:
        if not self.total:
            return f"{self.name}: drawing the first frame of the {self.kind.upper()}..."
        return f"{self.name}: drawing the {self.kind.upper()}, frame {self.done:,} of {self.total:,}"

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _work(self, run_dir: Path) -> None:
        for kind, writer in self.kinds:
            self.kind, self.done, self.total = kind, 0, 0
            try:
                self.media[kind] = file_bytes(partial(writer, progress=self._progress), run_dir)
            except (ExportError, RunFileError, OSError) as e:
                self.media[f"{kind}_error"] = str(e)
            except Exception as e:  # a frame that fails to draw: said on the page, not lost with the thread
                self.media[f"{kind}_error"] = f"Could not make the {kind.upper()}: {type(e).__name__}: {e}"



@st.fragment(run_every=0.5)
def media_progress(job_key: str = MEDIA_JOB_KEY, media_key: str = MEDIA_KEY, where: str = "runs") -> None:
    """The progress bar of this tab's MediaJob (in session_state[job_key]); when it is done, its files go to
    session_state[media_key] and the page is redrawn, so they become download buttons (the Runs and Replay
    pages)."""
    job = st.session_state.get(job_key)
    if job is None:
        return
    if job.finished:
        st.session_state[media_key] = st.session_state.pop(job_key).media
        st.rerun(scope="app")  # the download buttons appear and the button that made them is enabled again
    with st.container(key=f"{where}_media_progress"):
        st.progress(job.fraction(), text=job.text())
