"""A sweep run by the CLI in a process of its own (the app starts sweeps this way): Ray and the trials live
outside the web server, the sweep goes on if the page is closed, and stopping it is Ctrl-C's clean stop.
Progress is read from the sweep folder (progress.json, results.csv), not from the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from explorer.sweeps.sweep_folder import is_running, read_progress

LOG_FILE = "sweep.log"  # the sweep process's stderr: Ray's messages, a failure's traceback


def start_sweep_process(sweep_dir: str | os.PathLike, *, cpus: int = 0, address: str | None = None,
                        max_concurrent: int = 0) -> subprocess.Popen:
    """`python -m explorer sweep --resume SWEEP_DIR` in the background (a new session: a Ctrl-C meant for the
    server is not the sweep's). Its output goes to SWEEP_DIR/sweep.log."""
    sweep_dir = Path(sweep_dir)
    cmd = [sys.executable, "-m", "explorer", "sweep", "--resume", str(sweep_dir), "--no-progress"]
    if cpus:
        cmd += ["--cpus", str(cpus)]
    if address:
        cmd += ["--address", address]
    if max_concurrent:
        cmd += ["--max-concurrent", str(max_concurrent)]
    with open(sweep_dir / LOG_FILE, "ab") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def stop_sweep_process(sweep_dir: str | os.PathLike) -> bool:
    """Stop the process driving this sweep the way Ctrl-C would (trials that ended stay recorded; `sweep
    --resume` goes on). False if no process drives it. The pid comes from progress.json and is only signalled
    while the sweep's lock is held, so a pid the system has since given to another process is never hit."""
    pid = read_progress(sweep_dir).get("pid")
    if not isinstance(pid, int) or not is_running(sweep_dir):
        return False
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return False
    return True


def log_tail(sweep_dir: str | os.PathLike, lines: int = 20) -> str:
    """The last lines of the sweep's log ("" if it has none)."""
    try:
        text = (Path(sweep_dir) / LOG_FILE).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
