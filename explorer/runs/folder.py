"""Runs on disk. A run is a folder under the runs directory:

    config.json              the TrainConfig
    metrics.csv              one row per step, appended as training goes
    samples/step_NNNNNNNN.png sample grids from the fixed z (image data sets)
    checkpoints/step_NNNNNNNN.pt  model + optimizer state, written atomically
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from explorer.game.config import TrainConfig

RUNS_ENV = "GAN_EXPLORER_RUNS"
KEEP_CHECKPOINTS = 5
CHECKSUM_TAG = b"\nGAN-EXPLORER-SHA256:"  # then 64 hex digits, after torch.save's zip


class CheckpointError(RuntimeError):
    """A checkpoint could not be read; the message says which file and what to do."""


def resolve_runs_dir(runs_dir: str | os.PathLike | None = None) -> Path:
    """--runs-dir, else $GAN_EXPLORER_RUNS, else ./runs."""
    return Path(runs_dir or os.environ.get(RUNS_ENV) or "runs").expanduser()


def sanitize_run_name(name: str) -> str:
    """Letters, digits, '-', '_' and '.' only, no leading dot: a run name can never leave the runs dir."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip(".-_")
    clean = re.sub(r"\.{2,}", ".", clean)
    if not clean:
        raise ValueError(f"run name {name!r} has no usable characters (letters, digits, '-', '_', '.')")
    return clean[:80]


def new_run_dir(runs_dir: Path, cfg: TrainConfig, name: str | None = None) -> Path:
    """Create a fresh run folder; the default name is dataset-loss-timestamp, made unique."""
    runs_dir = Path(runs_dir)
    base = sanitize_run_name(name or f"{cfg.dataset}-{cfg.family}-{time.strftime('%Y%m%d-%H%M%S')}")
    path, i = runs_dir / base, 1
    while path.exists():
        i += 1
        path = runs_dir / f"{base}-{i}"
    assert path.resolve().parent == runs_dir.resolve(), "run names are sanitised"
    (path / "checkpoints").mkdir(parents=True)
    (path / "samples").mkdir()
    atomic_write_text(path / "config.json", cfg.to_json())
    return path


def atomic_write_text(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
        f.write(text)
    os.replace(f.name, path)


def read_config(run_dir: Path) -> TrainConfig:
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no config.json)")
    return TrainConfig.from_json(path.read_text())


# --------------------------------------------------------------------------------------- checkpoints

def checkpoint_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"step_{step:08d}.pt"


def save_checkpoint(run_dir: Path, state: dict, keep: int = KEEP_CHECKPOINTS) -> Path:
    """Write atomically (temp file + rename) so a killed process never leaves half a checkpoint, with a
    SHA-256 of the payload at the end: torch.load alone accepts many damaged files without a word."""
    path = checkpoint_path(run_dir, int(state["step"]))
    payload = io.BytesIO()
    torch.save(state, payload)
    payload = payload.getvalue()
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload + CHECKSUM_TAG + hashlib.sha256(payload).hexdigest().encode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for old in list_checkpoints(run_dir)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Checkpoints of a run, oldest first."""
    return sorted((Path(run_dir) / "checkpoints").glob("step_*.pt"))


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
        raise CheckpointError(
            f"Checkpoint {path} is damaged or not a GAN Explorer checkpoint ({type(e).__name__}: {e}). "
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

def append_metrics(run_dir: Path, frame: pd.DataFrame, filename: str = "metrics.csv") -> None:
    path = Path(run_dir) / filename
    frame.to_csv(path, mode="a", header=not path.exists(), index=False, float_format="%.6g")


def read_metrics(run_dir: Path, filename: str = "metrics.csv") -> pd.DataFrame:
    """metrics.csv (per step) or evals.csv (in-training metrics) of a run; empty if none yet."""
    path = Path(run_dir) / filename
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame()
    return pd.read_csv(path)


def truncate_metrics(run_dir: Path, last_step: int) -> None:
    """Drop rows after `last_step`, so a run resumed from a checkpoint keeps one continuous record."""
    frame = read_metrics(run_dir)
    if len(frame) and frame["step"].max() > last_step:
        path = Path(run_dir) / "metrics.csv"
        tmp = path.with_suffix(".tmp")
        frame[frame["step"] <= last_step].to_csv(tmp, index=False, float_format="%.6g")
        os.replace(tmp, path)


def save_sample_grid(run_dir: Path, step: int, grid: np.ndarray) -> Path:
    from PIL import Image

    path = Path(run_dir) / "samples" / f"step_{step:08d}.png"
    tmp = path.with_suffix(".tmp.png")
    Image.fromarray(grid).save(tmp)
    os.replace(tmp, path)
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


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run folder under runs_dir, newest first; unreadable ones carry an error, not an exception."""
    runs_dir = Path(runs_dir)
    if not runs_dir.exists():
        return []
    out = []
    for p in runs_dir.iterdir():
        if not (p / "config.json").exists():
            continue
        ckpt = latest_checkpoint(p)
        step = int(ckpt.stem.split("_")[1]) if ckpt else 0
        try:
            cfg, err = read_config(p), None
        except (ValueError, json.JSONDecodeError) as e:
            cfg, err = None, f"config.json unreadable: {e}"
        out.append(RunInfo(p, p.name, cfg, step, p.stat().st_mtime, err))
    return sorted(out, key=lambda r: r.modified, reverse=True)
