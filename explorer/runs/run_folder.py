"""Runs on disk. A run is a folder under the runs directory:

    config.json                   the TrainConfig
    metrics.csv                   one row per step, appended as training goes
    evals.csv                     in-training metrics (FD, score, modes), one row per eval_interval
    samples/step_NNNNNNNN.png     sample grids from the fixed z (image data sets)
    samples/step_NNNNNNNN.npz     toy frames (1D/2D toys; their format is explorer.runs.replay's)
    checkpoints/step_NNNNNNNN.pt  model + optimizer state, written atomically
    .lock                         held (flock) by the one process training the run

This module is the one place that names those files. The names sit in module constants (an archive needs them
relative to the folder) and `RunFolder(path)` gives their paths and reads and writes them; every other module
asks a RunFolder (tests/test_run_folder_layout.py keeps it so). The module functions below (read_config,
read_metrics, latest_checkpoint, ...) take a run folder's path and are what RunFolder's methods call.

Every write either lands whole or leaves the file as it was (a full disk, a killed process): a temp file then
a rename, or for the appended CSVs, a single write cut back to the old size if it fails.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from explorer.game.config import TrainConfig
from explorer.game.uploads import safe_name

RUNS_ENV = "GAN_EXPLORER_RUNS"
# Small runs trained by scripts/make_demo_runs.py and shipped with the app, so a fresh offline machine has
# something to replay and compare. Read-only: they are listed beside the user's runs, never written to.
DEMO_RUNS_DIR = Path(__file__).resolve().parents[2] / "assets" / "demo_runs"
# Sweeps (explorer.sweeps) keep their trials, ordinary run folders, in RUNS/sweeps/SWEEP/; the bundled sweep is
# in assets/demo_sweeps/SWEEP/. Trial names start with their sweep's, so a name finds one run everywhere.
SWEEPS_SUBDIR = "sweeps"
DEMO_SWEEPS_DIR = Path(__file__).resolve().parents[2] / "assets" / "demo_sweeps"
_UMASK = os.umask(0o022)  # read once (it can only be read by setting it), then put back
os.umask(_UMASK)
KEEP_CHECKPOINTS = 5
CHECKSUM_TAG = b"\nGAN-EXPLORER-SHA256:"  # then 64 hex digits, after torch.save's zip

# The layout, relative to a run folder.
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.csv"
EVALS_FILE = "evals.csv"
SAMPLES_DIR = "samples"
CHECKPOINTS_DIR = "checkpoints"
LOCK_FILE = ".lock"
FRAME_SUFFIXES = (".png", ".npz")  # a sample grid, a toy frame
RUN_SUBDIRS = (SAMPLES_DIR, CHECKPOINTS_DIR)
# The files that make a run, relative to its folder: what an archive carries (never the lock or a temp file).
RUN_FILES = re.compile("|".join(re.escape(name) for name in (CONFIG_FILE, METRICS_FILE, EVALS_FILE))
                       + rf"|{SAMPLES_DIR}/step_[0-9]{{8}}\.(?:png|npz)|{CHECKPOINTS_DIR}/step_[0-9]{{8}}\.pt")
RUN_FILES_HELP = (f"{CONFIG_FILE}, {METRICS_FILE}, {EVALS_FILE}, {SAMPLES_DIR}/step_NNNNNNNN.png or .npz, "
                  f"{CHECKPOINTS_DIR}/step_NNNNNNNN.pt")


class CheckpointError(RuntimeError):
    """A checkpoint could not be read; the message says which file and what to do."""


class RunFileError(ValueError):
    """A run's config.json or metrics.csv is damaged; the message names the file and what to do."""


class RunLockedError(RuntimeError):
    """Another process (or another Runner) is already training this run folder."""


@dataclass(frozen=True)
class RunFolder:
    """One run's folder: where each of its files lives, and thin methods over this module's functions that read
    and write them. Made from a str or a Path; nothing on disk is touched until a method is called."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))  # a str in, a Path kept (frozen: set once, here)

    @property
    def name(self) -> str:
        return self.path.name

    # ---------------------------------------------------------------------------------- the layout
    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS_FILE

    @property
    def evals_file(self) -> Path:
        return self.path / EVALS_FILE

    @property
    def samples_dir(self) -> Path:
        return self.path / SAMPLES_DIR

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / CHECKPOINTS_DIR

    @property
    def lock_file(self) -> Path:
        return self.path / LOCK_FILE

    def checkpoint_file(self, step: int) -> Path:
        return self.checkpoints_dir / f"step_{step:08d}.pt"

    def frame_file(self, step: int, suffix: str) -> Path:
        """The frame recorded at `step`: suffix ".png" for a sample grid, ".npz" for a toy frame."""
        if suffix not in FRAME_SUFFIXES:
            raise ValueError(f"a frame is one of {FRAME_SUFFIXES}, not {suffix!r}")
        return self.samples_dir / f"step_{step:08d}{suffix}"

    def is_run(self) -> bool:
        """Whether this folder holds a run (its config): what every listing and look-up asks."""
        return self.config_file.is_file()

    def make_subdirs(self) -> None:
        """samples/ and checkpoints/ (and the folder itself, when it is not there yet)."""
        for sub in RUN_SUBDIRS:
            (self.path / sub).mkdir(parents=True)

    def files(self) -> list[tuple[Path, str]]:
        """(path, name relative to the folder) of the files that make the run (RUN_FILES), in a stable order:
        regular files only, never a symlink (it would carry whatever it points at), the lock or a temp file."""
        candidates = [self.config_file, self.metrics_file, self.evals_file]
        for sub in RUN_SUBDIRS:
            folder = self.path / sub
            if folder.is_dir() and not folder.is_symlink():
                candidates += sorted(folder.iterdir())
        return [(path, rel) for path in candidates
                if RUN_FILES.fullmatch(rel := path.relative_to(self.path).as_posix())
                and path.is_file() and not path.is_symlink()]

    def frames(self) -> list[tuple[int, Path]]:
        """(step, path) of the recorded frames (sample grids or toy frames), in step order."""
        found = []
        for p in self.samples_dir.glob("step_*"):
            number = p.stem[5:]
            if p.suffix in FRAME_SUFFIXES and len(number) >= 8 and number.isdigit():
                found.append((int(number), p))
        return sorted(found)

    # ---------------------------------------------------------------------------------- reading and writing
    def read_config(self) -> TrainConfig:
        return read_config(self.path)

    def write_config(self, cfg: TrainConfig) -> None:
        """Replace the config (atomically): the run goes on with this one."""
        atomic_write_text(self.config_file, cfg.to_json())

    def read_metrics(self) -> pd.DataFrame:
        return read_metrics(self.path, METRICS_FILE)

    def read_evals(self) -> pd.DataFrame:
        return read_metrics(self.path, EVALS_FILE)

    def append_metrics(self, frame: pd.DataFrame) -> None:
        append_metrics(self.path, frame, METRICS_FILE)

    def append_evals(self, frame: pd.DataFrame) -> None:
        append_metrics(self.path, frame, EVALS_FILE)

    def truncate_metrics(self, last_step: int) -> None:
        truncate_metrics(self.path, last_step, METRICS_FILE)

    def truncate_frames(self, last_step: int) -> None:
        """Drop frames after `last_step` (a run resumed from an earlier checkpoint records them again)."""
        for step, path in self.frames():
            if step > last_step:
                path.unlink(missing_ok=True)

    def truncate_after(self, last_step: int) -> None:
        """Drop everything recorded after `last_step` (metrics, evals, frames): a run resumed from the checkpoint
        of that step trains those steps again, and its record stays one row per step."""
        truncate_metrics(self.path, last_step, METRICS_FILE)
        truncate_metrics(self.path, last_step, EVALS_FILE)
        self.truncate_frames(last_step)

    def save_sample_grid(self, step: int, grid: np.ndarray) -> Path:
        return save_sample_grid(self.path, step, grid)

    def list_checkpoints(self) -> list[Path]:
        return list_checkpoints(self.path)

    def latest_checkpoint(self) -> Path | None:
        return latest_checkpoint(self.path)

    def last_checkpoint_step(self) -> int:
        """The step of the latest checkpoint; 0 when there is none."""
        latest = self.latest_checkpoint()
        return checkpoint_step(latest) if latest is not None else 0

    def save_checkpoint(self, state: dict, keep: int = KEEP_CHECKPOINTS) -> Path:
        return save_checkpoint(self.path, state, keep)

    # ---------------------------------------------------------------------------------- the writer's lock
    def lock(self):
        """See `lock_run`: the open lock file, held until closed; RunLockedError naming another holder."""
        return lock_run(self.path)

    def writer_pid(self) -> int | None:
        return writer_pid(self.path)


def resolve_runs_dir(runs_dir: str | os.PathLike | None = None) -> Path:
    """--runs-dir, else $GAN_EXPLORER_RUNS, else ./runs."""
    return Path(runs_dir or os.environ.get(RUNS_ENV) or "runs").expanduser()


def sanitize_run_name(name: str) -> str:
    """Letters, digits, '-', '_' and '.' only, no leading dot: a run name can never leave the runs dir."""
    return safe_name(name, "run name")


def find_run_dir(runs_dir: Path, name: str, demo_dir: Path = DEMO_RUNS_DIR) -> Path | None:
    """The folder of run `name`: the user's runs folder first, then the bundled demos; None if neither holds a
    run of that name (or the name could never be a run's)."""
    try:
        clean = sanitize_run_name(name)
    except ValueError:
        return None
    if clean != name:
        return None
    for parent in (Path(runs_dir), Path(demo_dir)):
        if RunFolder(parent / clean).is_run():
            return parent / clean
    for sweeps in (Path(runs_dir) / SWEEPS_SUBDIR, DEMO_SWEEPS_DIR):
        for sweep in _sweeps_named_like(sweeps, clean):
            if RunFolder(sweep / clean).is_run():
                return sweep / clean
    return None


def _sweeps_named_like(sweeps: Path, trial: str) -> list[Path]:
    """Sweep folders whose name a trial named `trial` could start with (a trial is SWEEP-NN-...)."""
    try:
        return [p for p in sweeps.iterdir() if trial.startswith(p.name + "-") and p.is_dir()]
    except OSError:
        return []


def is_demo(run_dir: Path, demo_dir: Path = DEMO_RUNS_DIR) -> bool:
    """True for a bundled demo run or a trial of the bundled sweep (read-only)."""
    parent = Path(run_dir).resolve().parent
    return parent == Path(demo_dir).resolve() or parent.parent == DEMO_SWEEPS_DIR.resolve()


def new_run_dir(runs_dir: Path, cfg: TrainConfig, name: str | None = None) -> Path:
    """Create a fresh run folder; the default name is dataset-loss-timestamp, made unique."""
    runs_dir = Path(runs_dir)
    base = sanitize_run_name(name or f"{cfg.dataset}-{cfg.family}-{time.strftime('%Y%m%d-%H%M%S')}")
    path = make_unique_dir(runs_dir, base)
    try:
        RunFolder(path).make_subdirs()
        RunFolder(path).write_config(cfg)
    except OSError:  # a full disk: no half-made run folder left behind
        shutil.rmtree(path, ignore_errors=True)
        raise
    return path


def make_unique_dir(parent: Path, base: str) -> Path:
    """Create parent/base, or parent/base-2, -3, ...: the first free name, claimed by mkdir itself (a check
    then a create would let two processes take the same name)."""
    parent.mkdir(parents=True, exist_ok=True)
    for i in range(1, 100_000):
        path = parent / (base if i == 1 else f"{base}-{i}")
        assert path.resolve().parent == parent.resolve(), "run names are sanitised"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"no free run name like {base} in {parent}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, then rename: `path` is either the old file or the new one. The file
    gets the usual permissions (mkstemp's are owner-only, which a shared runs folder would trip over)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def read_config(run_dir: Path) -> TrainConfig:
    path = RunFolder(run_dir).config_file
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no {CONFIG_FILE})")
    try:
        return TrainConfig.from_json(path.read_text())
    except (ValueError, TypeError, UnicodeDecodeError) as e:  # truncated, bit-flipped, edited by hand
        raise RunFileError(f"{path} is damaged ({e}). Its checkpoints keep a copy of the config: restore the "
                           f"file from a backup, or start the run again; other runs are not affected.") from None


# --------------------------------------------------------------------------------------- the writer's lock

def lock_run(run_dir: Path):
    """Take the run's lock for this process and return the open lock file (closing it releases the lock; so
    does the process dying, even by SIGKILL). A second writer gets RunLockedError naming the holder."""
    path = RunFolder(run_dir).lock_file
    handle = open(path, "a+")  # noqa: SIM115 - held open for the whole run
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; one writer per run is then up to the user
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise RunLockedError(f"Run {Path(run_dir).name} is already being trained (or held paused) by {holder}. "
                             f"Stop it there first (one writer per run folder), or train a new run.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    return handle


def writer_pid(run_dir: Path) -> int | None:
    """The process training this run folder now (holding its lock), or None; it never takes the lock, so looking
    cannot refuse a writer. On Linux the kernel's lock table (/proc/locks) says whether the lock is held; elsewhere,
    whether the process named in the lock file is alive (a process that let go of the lock but lives on reads
    as the writer there)."""
    path = RunFolder(run_dir).lock_file
    try:
        text, inode = path.read_text().strip(), path.stat().st_ino
    except OSError:
        return None
    pid = int(text.split()[-1]) if text.startswith("process ") and text.split()[-1].isdigit() else None
    if pid is None:
        return None
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        table = None
    if table is not None:  # lines like "1: FLOCK  ADVISORY  WRITE 1234 00:2f:5678 0 EOF"
        held = any(len(f) > 5 and f[1] == "FLOCK" and f[5].rsplit(":", 1)[-1] == str(inode)
                   for f in (line.split() for line in table.splitlines()))
        return pid if held else None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        pass
    return pid


# --------------------------------------------------------------------------------------- checkpoints

def checkpoint_path(run_dir: Path, step: int) -> Path:
    return RunFolder(run_dir).checkpoint_file(step)


def checkpoint_step(path: Path) -> int:
    """The step a checkpoint file holds, from its name (step_NNNNNNNN.pt)."""
    return int(Path(path).stem[5:])


def save_checkpoint(run_dir: Path, state: dict, keep: int = KEEP_CHECKPOINTS) -> Path:
    """Write atomically (temp file + rename) so a killed process never leaves half a checkpoint, with a
    SHA-256 of the payload at the end: torch.load alone accepts many damaged files without a word."""
    path = checkpoint_path(run_dir, int(state["step"]))
    payload = io.BytesIO()
    torch.save(state, payload)
    payload = payload.getvalue()
    atomic_write_bytes(path, payload + CHECKSUM_TAG + hashlib.sha256(payload).hexdigest().encode())
    for old in list_checkpoints(run_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Checkpoints of a run, oldest first (by step number: past step 99,999,999 the names grow a digit)."""
    found = RunFolder(run_dir).checkpoints_dir.glob("step_*.pt")
    return sorted((p for p in found if p.stem[5:].isdigit()), key=checkpoint_step)


def _verified_payload(path: Path, data: bytes) -> bytes:
    """The checkpoint's bytes without its checksum trailer, if the checksum matches (files written before
    checkpoints carried one are taken as they are)."""
    payload, tag, digest = data.rpartition(CHECKSUM_TAG)
    if not tag or len(digest) != 64:
        return data
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        raise CheckpointError(
            f"Checkpoint {path} is damaged: its contents no longer match the checksum written with it (a disk "
            f"or copy error). Delete it and resume from an earlier one in {path.parent}, or start the run again.")
    return payload


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """Check the checksum, load with weights_only=True; any damage becomes a CheckpointError naming the file."""
    path = Path(path)
    try:
        payload = _verified_payload(path, path.read_bytes())
        state = torch.load(io.BytesIO(payload), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"Checkpoint {path} does not exist.") from None
    except CheckpointError:
        raise
    except Exception as e:  # truncated zip, bad pickle, unsafe globals...
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else ""  # torch's own text spans lines
        raise CheckpointError(
            f"Checkpoint {path} is damaged or not a GAN Explorer checkpoint ({type(e).__name__}: {first_line}). "
            f"Delete it and resume from an earlier one in {path.parent}, or start the run again.") from e
    missing = {"version", "config", "step", "G", "D"} - set(state if isinstance(state, dict) else ())
    if missing:
        raise CheckpointError(f"Checkpoint {path} lacks {sorted(missing)}: not a GAN Explorer checkpoint.")
    return state


def load_models(run_dir: Path, checkpoint: Path | None = None, device: str | torch.device = "cpu",
                averaged: bool = True):
    """(config, G, D, step) of a saved run, eval mode, from `checkpoint` or the run's latest one. G holds
    the weight average of G when the run kept one (`g_average`) unless `averaged` is False."""
    from explorer.game.models import build_models

    ckpt = checkpoint or latest_checkpoint(run_dir)
    if ckpt is None:
        raise CheckpointError(f"{run_dir} has no checkpoint yet: train it for at least one checkpoint interval.")
    state = load_checkpoint(ckpt, map_location=device)
    cfg = TrainConfig.from_dict(state["config"])
    G, D = build_models(cfg, tuple(state["sample_shape"]))
    G.load_state_dict(state["G_average"] if averaged and "G_average" in state else state["G"])
    D.load_state_dict(state["D"])
    return cfg, G.to(device).eval(), D.to(device).eval(), int(state["step"])


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


# --------------------------------------------------------------------------------------- metrics

def metrics_path(run_dir: Path, filename: str = METRICS_FILE) -> Path:
    return Path(run_dir) / filename


def append_metrics(run_dir: Path, frame: pd.DataFrame, filename: str = METRICS_FILE) -> None:
    """Append rows; if the write fails (a full disk) the file is cut back to its old size, so it never keeps
    part of them. Unbuffered: a buffered file would retry the failed flush when cut back, and fail again."""
    path = Path(run_dir) / filename
    with open(path, "a+b", buffering=0) as f:
        size = _cut_torn_line(f)
        data = memoryview(frame.to_csv(header=size == 0, index=False, float_format="%.6g").encode())
        try:
            while data:
                data = data[f.write(data):]
        except OSError:
            f.truncate(size)
            raise


def _cut_torn_line(f) -> int:
    """Cut a last line left without its newline (a process killed mid-write) off an open CSV; its new size."""
    size = f.seek(0, os.SEEK_END)
    if size == 0:
        return 0
    f.seek(size - 1)
    if f.read(1) == b"\n":
        return size
    f.seek(max(0, size - 65536))
    tail = f.read()
    size = size - len(tail) + tail.rfind(b"\n") + 1 if b"\n" in tail else 0
    f.truncate(size)
    return size


def read_metrics(run_dir: Path, filename: str = METRICS_FILE) -> pd.DataFrame:
    """metrics.csv (per step) or evals.csv (in-training metrics) of a run; empty if none yet. A last line
    without its newline (the process was killed mid-write) is dropped; anything else that does not parse
    as a table of numbers with increasing steps is a RunFileError naming the file and the line."""
    path = Path(run_dir) / filename
    data = path.read_bytes() if path.exists() else b""
    data = data[: data.rfind(b"\n") + 1]
    if not data:
        return pd.DataFrame()
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (ValueError, UnicodeDecodeError) as e:
        raise RunFileError(f"{path} is damaged ({e}). Delete it to resume the run without its history, "
                           f"or start the run again; other runs are not affected.") from None
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    not_numbers = (numeric.isna() & frame.notna()).any(axis=1).to_numpy()
    problem = None
    if "step" not in frame.columns:
        problem = "its header has no step column"
    elif not_numbers.any():
        problem = f"line {int(not_numbers.argmax()) + 2} is not numbers"
    elif (not_increasing := (numeric["step"].diff() <= 0).to_numpy()).any():
        problem = f"the steps stop increasing at line {int(not_increasing.argmax()) + 2}"
    if problem:
        raise RunFileError(f"{path} is damaged: {problem}. Delete it to resume the run without its history, "
                           f"or start the run again; other runs are not affected.")
    return numeric


def truncate_metrics(run_dir: Path, last_step: int, filename: str = METRICS_FILE) -> None:
    """Drop rows after `last_step`, so a run resumed from a checkpoint keeps one continuous record."""
    frame = read_metrics(run_dir, filename)
    if len(frame) and frame["step"].max() > last_step:
        kept = frame[frame["step"] <= last_step]
        atomic_write_text(Path(run_dir) / filename, kept.to_csv(index=False, float_format="%.6g"))


def save_sample_grid(run_dir: Path, step: int, grid: np.ndarray) -> Path:
    from PIL import Image

    path = RunFolder(run_dir).frame_file(step, ".png")
    png = io.BytesIO()
    grey = grid.ndim == 3 and (grid == grid[..., :1]).all()  # MNIST-like: one channel is a third of the bytes
    Image.fromarray(grid[..., 0] if grey else grid).save(png, format="PNG")
    atomic_write_bytes(path, png.getvalue())
    return path


# --------------------------------------------------------------------------------------- listing

@dataclass(frozen=True)
class RunInfo:
    path: Path
    name: str
    config: TrainConfig | None
    step: int  # last checkpointed step
    modified: float
    error: str | None = None
    demo: bool = False  # a bundled demo (read-only)

    @property
    def sweep(self) -> str | None:
        """The sweep this run is a trial of (None for a run of its own)."""
        return self.path.parent.name if (self.path.parent / "sweep.json").is_file() else None


def list_runs(runs_dir: Path, sweeps: bool = False, demo: bool = False) -> list[RunInfo]:
    """Every run folder under runs_dir (with `sweeps`, also the trials of the sweeps in runs_dir/sweeps/),
    newest first, marked `demo` when asked (runs_dir holds bundled ones); unreadable ones carry an error, not an
    exception."""
    runs_dir = Path(runs_dir)
    if not runs_dir.exists():
        return []
    out = []
    folders = list(runs_dir.iterdir())
    if sweeps and (runs_dir / SWEEPS_SUBDIR).is_dir():
        folders += [p for sweep in (runs_dir / SWEEPS_SUBDIR).iterdir() if sweep.is_dir() for p in sweep.iterdir()]
    for p in folders:
        folder = RunFolder(p)
        if not folder.is_run():
            continue
        step = folder.last_checkpoint_step()
        try:
            cfg, err = read_config(p), None
        except RunFileError as e:
            cfg, err = None, str(e)
        out.append(RunInfo(p, p.name, cfg, step, p.stat().st_mtime, err, demo))
    return sorted(out, key=lambda r: r.modified, reverse=True)


def visible_runs(runs_dir: Path, *, sweeps: bool = False, demo_dir: Path | None = None) -> list[RunInfo]:
    """The runs a user can open by name: theirs (with `sweeps`, their sweeps' trials too), newest first, then the
    bundled demos (marked `demo`) that no run of theirs hides: a name opens the user's run first (find_run_dir),
    so listing both would show two runs under one name. The one "my runs plus the demos" every list uses."""
    demo_dir = DEMO_RUNS_DIR if demo_dir is None else demo_dir  # read when called: tests move the demos away
    mine = list_runs(runs_dir, sweeps=sweeps)
    if Path(runs_dir).resolve() == Path(demo_dir).resolve():
        return mine
    taken = {info.name for info in mine}
    return mine + [info for info in list_runs(demo_dir, demo=True) if info.name not in taken]


def locate_run(run: str | os.PathLike, runs_dir: str | os.PathLike | None = None) -> Path | None:
    """A run given as a folder (a path holding a run), else as a name under the runs dir, its sweeps or the demos
    (find_run_dir); None when it is neither. The one way the CLI, the app and notebooks turn what a user typed
    into a run folder."""
    path = Path(run).expanduser()
    if RunFolder(path).is_run():
        return path
    return find_run_dir(resolve_runs_dir(runs_dir), str(run))
