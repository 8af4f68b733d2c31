"""Your own data sets, kept in the runs folder: an upload checked by game/uploads.py becomes
RUNS/.datasets/NAME.csv (points) or RUNS/.datasets/NAME/ (images, re-encoded as PNG), so a run's config names it
by path (data_root) and a reload, another tab or a resumed run finds it again.

A refused upload writes nothing; an accepted one appears whole, with one link or rename, under a name no other
data set has (nothing is ever replaced: runs refer to these files).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from explorer.game.config import TrainConfig
from explorer.game.uploads import DEFAULT_LIMITS, UploadError, UploadLimits, validate_image_zip, validate_points_csv
from explorer.runs.run_folder import sanitize_run_name

DATASETS_FOLDER = ".datasets"  # in the runs folder; a dot name, so no run can have it and list_runs passes it by
POINTS_SUFFIX = ".csv"


@dataclass(frozen=True)
class StoredDataset:
    """A data set kept in the runs folder: its name, the config dataset it trains as, its path (data_root),
    its size on disk and how many rows (points) or images it holds."""

    name: str
    dataset: str  # "points1d" | "points2d" | "folder"
    path: Path
    size_bytes: int
    count: int

    @property
    def kind(self) -> str:
        return {"points1d": "1D values", "points2d": "2D points"}.get(self.dataset, "images")

    def train_config(self) -> TrainConfig:
        """The data set's recommended config, pointed at this data (a batch no larger than the data)."""
        base = TrainConfig.for_dataset(self.dataset)
        return base.replace(data_root=str(self.path.resolve()), batch_size=min(base.batch_size, self.count))


def datasets_dir(runs_dir: str | os.PathLike) -> Path:
    return Path(runs_dir) / DATASETS_FOLDER


def store_upload(filename: str, data: bytes, runs_dir: str | os.PathLike,
                 limits: UploadLimits = DEFAULT_LIMITS) -> StoredDataset:
    """An uploaded .csv or .zip checked and stored under its file name (made unique). A refusal raises
    UploadError ("Refused NAME: why. Nothing was stored.") and writes nothing."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix not in (".csv", ".zip"):
            raise UploadError("only a .csv file (1D values or 2D points) or a .zip of PNG/JPEG images is taken")
        try:
            name = sanitize_run_name(Path(filename).stem)
        except ValueError:
            name = "upload"
        if suffix == ".csv":
            return store_points(validate_points_csv(data, limits), runs_dir, name)
        return store_images(validate_image_zip(data, limits), runs_dir, name)
    except UploadError as e:
        raise UploadError(f"Refused {filename}: {e}. Nothing was stored.") from None


def store_points(points: np.ndarray, runs_dir: str | os.PathLike, name: str) -> StoredDataset:
    """(N, 1) or (N, 2) points as RUNS/.datasets/NAME.csv (a header, then full-precision rows), written to a
    temp file and linked in under the first free name, so the file is never seen half written nor replaced."""
    folder = datasets_dir(runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    header = "x" if points.shape[1] == 1 else "x,y"
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in points)
    tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        tmp.write_text(f"{header}\n{body}\n", encoding="utf-8")
        target = _claim(folder, name, lambda path: os.link(tmp, path), suffix=POINTS_SUFFIX)
    finally:
        tmp.unlink(missing_ok=True)
    return _describe(target)


def store_images(images: np.ndarray, runs_dir: str | os.PathLike, name: str) -> StoredDataset:
    """uint8 images (N, S, S) or (N, S, S, 3) as PNGs in RUNS/.datasets/NAME/, written in a hidden staging
    folder, then renamed in whole under the first free name."""
    folder = datasets_dir(runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=folder))
    try:
        for i, image in enumerate(images):
            Image.fromarray(image).save(staging / f"{i:05d}.png", format="PNG")

        def move_in(path: Path) -> None:
            path.mkdir()  # claims the name; then the staging folder replaces the empty one
            try:
                os.replace(staging, path)
            except OSError:
                path.rmdir()
                raise

        target = _claim(folder, name, move_in)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _describe(target)


def _claim(folder: Path, base: str, create, suffix: str = "") -> Path:
    """`create(path)` for folder/base, base-2, base-3, ...: the first name no data set (points or images) has;
    `create` raises FileExistsError when another process took it meanwhile."""
    for i in range(1, 100_000):
        name = base if i == 1 else f"{base}-{i}"
        if (folder / name).exists() or (folder / f"{name}{POINTS_SUFFIX}").exists():
            continue
        with contextlib.suppress(FileExistsError):
            create(folder / f"{name}{suffix}")
            return folder / f"{name}{suffix}"
    raise RuntimeError(f"no free data set name like {base} in {folder}")


def _describe(path: Path) -> StoredDataset:
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix == ".png"]
        return StoredDataset(path.name, "folder", path, sum(p.stat().st_size for p in files), len(files))
    with open(path, "rb") as f:
        header = f.readline()
        rows = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    dataset = "points2d" if b"," in header else "points1d"
    return StoredDataset(path.stem, dataset, path, path.stat().st_size, rows)


def list_datasets(runs_dir: str | os.PathLike) -> list[StoredDataset]:
    """The stored data sets, newest first (temp files, staging folders and links are passed by)."""
    folder = datasets_dir(runs_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if not p.name.startswith(".") and not p.is_symlink()
             and (p.is_dir() or (p.is_file() and p.suffix == POINTS_SUFFIX))]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    out = []
    for p in found:
        with contextlib.suppress(OSError):  # deleted by another tab meanwhile
            out.append(_describe(p))
    return out


def delete_dataset(runs_dir: str | os.PathLike, name: str) -> None:
    """Remove a stored data set. Runs trained on it keep their results; resuming them asks for the data."""
    folder = datasets_dir(runs_dir)
    clean = sanitize_run_name(name)
    for path in (folder / f"{clean}{POINTS_SUFFIX}", folder / clean):
        if path.is_symlink() or path.is_file():
            path.unlink()
            return
        if path.is_dir():
            shutil.rmtree(path)
            return
    raise FileNotFoundError(f"no data set named {name} in {folder}")


def preview_images(path: str | os.PathLike, n: int = 64) -> np.ndarray:
    """The first `n` images of a stored image set: uint8 (n, S, S, 3)."""
    files = sorted(Path(path).glob("*.png"))[:n]
    out = []
    for p in files:
        with Image.open(p) as im:
            out.append(np.asarray(im.convert("RGB")))
    return np.stack(out)
