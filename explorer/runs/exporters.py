"""Runs you can keep and share: a run folder as a zip (what runs/importer.py reads back), its metrics as a CSV,
its sample grids over training as a GIF or MP4, its scalars for TensorBoard, and a seeded sample grid from its
latest checkpoint as a PNG.

The exporters write to a path (through a temp file beside it, renamed at the end: never half a file) or to an
open binary stream (an io.BytesIO for a download button: no temp folder). Only the MP4 needs a file of its own
(ffmpeg writes it by name and seeks back to finish it): for a stream, it is made in a temp folder here and copied.
What they read is trusted (a run folder of ours); reading untrusted zips is runs/importer.py's job, apart.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from explorer.game.config import TOYS
from explorer.plots.images import image_grid
from explorer.runs import replay, run_folder
from explorer.runs.run_folder import SAMPLES_DIR, RunFolder

GIF_MAX_FRAMES = 200  # every frame stays in memory while the GIF is written; more steps are thinned evenly
FRAMES_PER_SECOND = 8
MAX_SAMPLE_GRID = 1024  # images in one `sample` grid

# Told after each frame an animation has drawn: (frames done, frames in all). Called on the exporting thread.
Progress = Callable[[int, int], None]
# Where an exporter writes: a file path, or an open binary stream (written as it is; the caller owns it).
Output = str | os.PathLike | BinaryIO

MP4_NEEDS = "MP4 export needs an encoder: pip install imageio-ffmpeg (it ships its own ffmpeg)"
TENSORBOARD_NEEDS = "TensorBoard export needs TensorBoard: pip install tensorboard"


class ExportError(ValueError):
    """An export cannot be made (no frames yet, an encoder missing, a toy run's image grid); the message says
    what to do."""


def run_files(run_dir: Path) -> list[tuple[Path, str]]:
    """(path, name relative to the run folder) of the files that travel: folder.RunFolder.files."""
    return RunFolder(run_dir).files()


def _is_stream(file: Output) -> bool:
    """An open binary file (an io.BytesIO, say) rather than a path."""
    return not isinstance(file, str | os.PathLike)


@contextlib.contextmanager
def _writing(out: Output) -> Iterator[BinaryIO]:
    """A binary file to write `out` through: a stream is written as it is (the caller owns it, and what a failed
    export left in it); a path gets a temp file beside it that replaces it at the end (`_replacing`)."""
    if _is_stream(out):
        yield out
        return
    with _replacing(Path(out)) as tmp, open(tmp, "xb") as f:
        yield f


@contextlib.contextmanager
def _writing_by_name(out: Output, suffix: str) -> Iterator[Path]:
    """A file path to write `out` through, for a writer that takes only a path (ffmpeg): for a path, a temp file
    beside it (`_replacing`); for a stream, a temp file in a private temp folder, copied to the stream at the end."""
    if not _is_stream(out):
        with _replacing(Path(out), suffix) as tmp:
            yield tmp
        return
    with tempfile.TemporaryDirectory(prefix="gan-explorer-export-") as folder:
        tmp = Path(folder) / f"export{suffix}"
        yield tmp
        with open(tmp, "rb") as f:
            shutil.copyfileobj(f, out)


def export_zip(run_dir: Path, out: Output) -> Output:
    """The run folder as a zip whose one top folder is the run's name (what `import_zip` reads back), written to
    `out` (a path, never left half a zip, or a binary stream); returns `out`. A run still training can be
    exported: a checkpoint rotated away meanwhile is left out, a torn last CSV line is dropped on import."""
    folder = RunFolder(run_dir)
    folder.read_config()  # a folder that is not a run, or a damaged config, is refused here
    top = folder.path.resolve().name
    with _writing(out) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, strict_timestamps=False) as zf:
        for path, rel in folder.files():
            try:
                zf.write(path, f"{top}/{rel}")
            except FileNotFoundError:  # the runner deleted an old checkpoint while we listed
                continue
    return out


@contextlib.contextmanager
def _replacing(out_path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temp path beside `out_path` to write; it replaces `out_path` when the block ends without an error
    and is removed otherwise, so `out_path` is never half a file. (Not mkstemp: its files are private, 0600,
    and an export is meant to be shared.)"""
    tmp = out_path.with_name(f".{out_path.name}.{secrets.token_hex(6)}{suffix}")
    try:
        yield tmp
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def export_metrics_csv(run_dir: Path, out: Output) -> Output:
    """A copy of the run's metrics (one row per step), written to `out` (a path or a binary stream); returns it."""
    source = RunFolder(run_dir).metrics_file
    if not source.is_file():
        raise ExportError(f"{run_dir} has no {source.name} yet: train it for a few steps first.")
    with open(source, "rb") as src, _writing(out) as f:
        shutil.copyfileobj(src, f)
    return out


def sample_steps(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, path) of the run's saved sample grids (PNG), in step order."""
    return [(step, path) for step, path in replay.frame_steps(run_dir) if path.suffix == ".png"]


def frames_to_animate(run_dir: Path, max_frames: int | None = None) -> list[tuple[int, Path]]:
    """The recorded frames an animation shows (sample grids, or a toy's frames), in step order: all of them,
    or `max_frames` evenly spread (first and last kept). A run with none yet is refused with what to do."""
    frames = replay.frame_steps(run_dir)
    if not frames:
        raise ExportError(f"{Path(run_dir).name} has no recorded frames ({SAMPLES_DIR}/step_*) yet: train it past "
                           f"its first sample_interval. (Toy runs made before replay existed recorded none.)")
    if max_frames is not None and len(frames) > max_frames:
        keep = np.unique(np.linspace(0, len(frames) - 1, max_frames).round().astype(int))
        frames = [frames[i] for i in keep]
    return frames


def _frame_images(frames: list[tuple[int, Path]], progress: Progress | None = None) -> Iterator[Image.Image]:
    """Each frame as an RGB image: a grid as saved, a toy frame drawn (plots.frames) with its y axis fixed
    across the animation so the axes stay still. One frame in memory at a time; `progress` hears of each frame
    once its consumer has taken it."""
    for done, image in enumerate(_drawn(frames), start=1):
        yield image
        if progress is not None:
            progress(done, len(frames))


def _drawn(frames: list[tuple[int, Path]]) -> Iterator[Image.Image]:
    if not frames or frames[0][1].suffix == ".png":
        yield from (_read_rgb(path) for _, path in frames)
        return
    from explorer.plots.frames import toy_frame

    y_max = None
    first = replay.load_toy_frame(frames[0][1])
    if hasattr(first, "p_g"):  # 1D: room for p_g up to 2.5x p_data's peak; a collapsed G's spike is cut off
        y_max = max(1.05, 2.5 * float(first.p_data.max()))
    for step, path in frames:
        yield Image.fromarray(toy_frame(replay.load_toy_frame(path), step, y_max))


def write_gif(run_dir: Path, out: Output, max_frames: int = GIF_MAX_FRAMES, progress: Progress | None = None
              ) -> int:
    """An animated GIF of the run over training, one frame per recorded step in step order (thinned evenly past
    `max_frames`), looping: the sample grid, or for a toy its figure (Figure 1, GAN Lab's view), written to `out`
    (a path or a binary stream). Returns the number of frames; `progress` hears of each frame drawn."""
    frames = [im.quantize(256) for im in _frame_images(frames_to_animate(run_dir, max_frames), progress)]
    with _writing(out) as f:
        frames[0].save(f, format="GIF", save_all=True, append_images=frames[1:], loop=0,
                       duration=round(1000 / FRAMES_PER_SECOND), disposal=1)
    return len(frames)


def require(extra: str) -> None:
    """Refuse early, with the pip command, when an optional encoder ('mp4' or 'tensorboard') is missing."""
    try:
        if extra == "mp4":
            import imageio_ffmpeg  # noqa: F401
        else:
            from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        raise ExportError(MP4_NEEDS if extra == "mp4" else TENSORBOARD_NEEDS) from None


def write_mp4(run_dir: Path, out: Output, progress: Progress | None = None) -> int:
    """An H.264 MP4 of the sample grid over training, one frame per saved grid in step order (imageio-ffmpeg's
    own ffmpeg), written to `out` (a path or a binary stream: see the module's note). Returns the number of
    frames; `progress` hears of each frame drawn."""
    require("mp4")
    import imageio_ffmpeg

    frames = frames_to_animate(run_dir)
    images = _frame_images(frames, progress)  # one at a time: a long run's frames need not fit in memory
    first = next(images)
    width, height = first.size
    size = (width + width % 2, height + height % 2)  # yuv420p wants even sides
    with _writing_by_name(out, suffix=".mp4") as tmp:  # ffmpeg picks the format from the suffix
        writer = imageio_ffmpeg.write_frames(str(tmp), size, fps=FRAMES_PER_SECOND, macro_block_size=2,
                                             ffmpeg_log_level="error")
        writer.send(None)  # start ffmpeg
        try:
            for im in itertools.chain([first], images):
                writer.send(_on_white(im, size).tobytes())
        finally:
            writer.close()
    return len(frames)


def write_tensorboard(run_dir: Path, log_dir: Path) -> Path:
    """The run's scalars (its metrics' columns, the in-training metrics under eval/) and sample grids as a
    TensorBoard log in log_dir/RUN_NAME (`tensorboard --logdir log_dir`). Returns that folder."""
    require("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    folder = RunFolder(run_dir)
    out = Path(log_dir) / folder.path.resolve().name
    writer = SummaryWriter(str(out))
    try:
        for frame, prefix in ((folder.read_metrics(), ""), (folder.read_evals(), "eval/")):
            for column in (c for c in frame.columns if c != "step"):
                for step, value in zip(frame["step"].astype(int), frame[column], strict=True):
                    if np.isfinite(value):
                        writer.add_scalar(prefix + column, float(value), int(step))
        for step, path in sample_steps(run_dir):
            writer.add_image("samples", np.asarray(_read_rgb(path)), step, dataformats="HWC")
    finally:
        writer.close()
    return out


def _read_rgb(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def _on_white(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`im` at the top left of a white canvas of `size` (cropped if larger)."""
    if im.size == size:
        return im
    canvas = Image.new("RGB", size, (255, 255, 255))
    canvas.paste(im, (0, 0))
    return canvas


# --------------------------------------------------------------------------------------- sample

def sample_grid(run_dir: Path, n: int = 64, seed: int = 0, checkpoint: Path | None = None, averaged: bool = True,
                nrow: int | None = None) -> tuple[np.ndarray, int]:
    """(uint8 grid (H, W, 3), step) of n samples of the run's latest checkpoint (or `checkpoint`), G's weight
    average when the run keeps one and `averaged`; the noise comes from `seed`, so the same call gives the
    same picture."""
    from explorer.metrics.protocol import generate

    if not 1 <= n <= MAX_SAMPLE_GRID:
        raise ValueError(f"the number of samples (-n) must be between 1 and {MAX_SAMPLE_GRID}, got {n}")
    cfg = run_folder.read_config(run_dir)
    if cfg.dataset in TOYS:
        raise ExportError(f"`sample` draws image grids: {Path(run_dir).name} is a {cfg.dataset} run (a 1D/2D "
                           f"toy); its samples are shown on the Train page and in the notebooks.")
    cfg, G, _, step = run_folder.load_models(Path(run_dir), checkpoint, averaged=averaged)
    x = generate(G, n, cfg.prior, seed=seed)  # (n, C, H, W) in [0, 1]
    return image_grid(x, nrow=nrow), step


def write_png(out: Output, grid: np.ndarray) -> Output:
    """A uint8 image (H, W, 3) as a PNG, written to `out` (a path, atomically, or a binary stream); returns it."""
    with _writing(out) as f:
        Image.fromarray(grid).save(f, format="PNG")
    return out
