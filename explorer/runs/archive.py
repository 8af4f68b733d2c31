"""Runs you can keep and share: a run folder as a zip and back again, its sample grids over training as a GIF
or MP4, its scalars for TensorBoard, and a seeded sample grid from its latest checkpoint.

The exporters write to a path (through a temp file beside it, renamed at the end: never half a file) or to an
open binary stream (an io.BytesIO for a download button: no temp folder). Only the MP4 needs a file of its own
(ffmpeg writes it by name and seeks back to finish it): for a stream, it is made in a temp folder here and copied.

A zip to import is untrusted input (a download, an upload on the Runs page), so everything is checked before a
run appears: first the listing (names, file types, sizes, compression ratios, nothing but a run's own files),
then each member's content (config.json is a valid TrainConfig, the CSVs read as folder.read_metrics reads them,
PNGs open with PIL, checkpoints pass folder.load_checkpoint: checksum, then weights_only=True, so no pickled
code ever runs). Members are staged in a hidden folder of the runs dir and the run appears with one rename at
the end; anything refused leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import shutil
import stat
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from explorer.game.config import TOYS, TrainConfig
from explorer.plots.images import image_grid
from explorer.runs import folder as runs_io
from explorer.runs import replay
from explorer.runs.folder import (
    CONFIG_FILE,
    RUN_FILES,
    RUN_FILES_HELP,
    RUN_SUBDIRS,
    SAMPLES_DIR,
    CheckpointError,
    RunFileError,
    RunFolder,
)

# Limits on an imported zip: far above any real run, far below what would fill a disk. The largest configs
# (g_hidden=2048, Adam, a weight average) write checkpoints of a few hundred MB, and a run keeps 5 of them.
MAX_TOTAL_BYTES = 2 * 1024**3  # uncompressed, all members together
MAX_MEMBER_BYTES = 1024**3  # uncompressed, one member
MAX_MEMBERS = 100_000  # a run that sampled every 0.4 s (the runner's fastest) for 11 hours holds this many grids
MAX_RATIO = 100.0  # uncompressed / compressed: weights and PNGs barely compress, CSVs about 4x; deflate bombs ~1000x
RATIO_FLOOR_BYTES = 1024**2  # a member smaller than this may compress any amount: it cannot fill a disk
MAX_CONFIG_BYTES = 1024**2  # config.json is ~2 KB; json.loads of a huge one would only waste memory

GIF_MAX_FRAMES = 200  # every frame stays in memory while the GIF is written; more steps are thinned evenly
FRAMES_PER_SECOND = 8
MAX_SAMPLE_GRID = 1024  # images in one `sample` grid

# Told after each frame an animation has drawn: (frames done, frames in all). Called on the exporting thread.
Progress = Callable[[int, int], None]
# Where an exporter writes: a file path, or an open binary stream (written as it is; the caller owns it).
Output = str | os.PathLike | BinaryIO

# A run's files travel in an archive (folder.RUN_FILES: never the lock, temp files or anything else); a zip may
# also list these folders.
RUN_FOLDERS = ("", *(f"{sub}/" for sub in RUN_SUBDIRS))

MP4_NEEDS = "MP4 export needs an encoder: pip install imageio-ffmpeg (it ships its own ffmpeg)"
TENSORBOARD_NEEDS = "TensorBoard export needs TensorBoard: pip install tensorboard"


class ArchiveError(ValueError):
    """A zip was refused, or an export cannot be made; the message names the member (or file) and the reason."""


@dataclass(frozen=True)
class ArchiveLimits:
    """What an imported zip may hold (the module constants by default; tests pass small ones)."""

    total_bytes: int = MAX_TOTAL_BYTES
    member_bytes: int = MAX_MEMBER_BYTES
    members: int = MAX_MEMBERS
    ratio: float = MAX_RATIO
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES


DEFAULT_LIMITS = ArchiveLimits()


# --------------------------------------------------------------------------------------- export

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
        raise ArchiveError(f"{run_dir} has no {source.name} yet: train it for a few steps first.")
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
        raise ArchiveError(f"{Path(run_dir).name} has no recorded frames ({SAMPLES_DIR}/step_*) yet: train it past "
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
        raise ArchiveError(MP4_NEEDS if extra == "mp4" else TENSORBOARD_NEEDS) from None


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
    from explorer.metrics.evaluate import generate

    if not 1 <= n <= MAX_SAMPLE_GRID:
        raise ValueError(f"the number of samples (-n) must be between 1 and {MAX_SAMPLE_GRID}, got {n}")
    cfg = runs_io.read_config(run_dir)
    if cfg.dataset in TOYS:
        raise ArchiveError(f"`sample` draws image grids: {Path(run_dir).name} is a {cfg.dataset} run (a 1D/2D "
                           f"toy); its samples are shown on the Train page and in the notebooks.")
    cfg, G, _, step = runs_io.load_models(Path(run_dir), checkpoint, averaged=averaged)
    x = generate(G, n, cfg.prior, seed=seed)  # (n, C, H, W) in [0, 1]
    return image_grid(x, nrow=nrow), step


def write_png(out: Output, grid: np.ndarray) -> Output:
    """A uint8 image (H, W, 3) as a PNG, written to `out` (a path, atomically, or a binary stream); returns it."""
    with _writing(out) as f:
        Image.fromarray(grid).save(f, format="PNG")
    return out


# --------------------------------------------------------------------------------------- import

class _Refused(Exception):
    """A zip is refused: `member` is the name in the zip it is refused for (None: the zip as a whole), and
    `reason` finishes the sentence."""

    def __init__(self, member: str | None, reason: str):
        super().__init__(member, reason)
        self.member, self.reason = member, reason

    def message(self, zip_name: str) -> str:
        what = f"member {self.member!r}" if self.member is not None else "it"
        return f"Refused {zip_name}: {what} {self.reason}. Nothing was imported."


def import_zip(zip_file: str | os.PathLike | BinaryIO, runs_dir: Path, name: str | None = None,
               limits: ArchiveLimits = DEFAULT_LIMITS, zip_name: str | None = None) -> Path:
    """A zip made by `export_zip`, a path or an open binary stream (an upload's bytes in an io.BytesIO), becomes
    a new run folder under runs_dir, named `name`, else the zip's top folder, else the zip's file name (`zip_name`,
    which the messages name too; by default a path's own name), sanitised and made unique. Everything is checked
    first; a refused zip raises ArchiveError naming the member and the reason, and leaves nothing behind."""
    runs_dir = Path(runs_dir)
    if _is_stream(zip_file):
        label = zip_name or "upload.zip"
    else:
        zip_file = Path(zip_file)
        label = zip_name or zip_file.name
    try:
        zf = zipfile.ZipFile(zip_file)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as e:  # a damaged central directory
        raise ArchiveError(f"Refused {label}: not a zip file that can be read ({_short(e)}). "
                           f"Nothing was imported.") from None
    try:
        with zf:
            prefix, members = _check_listing(zf.infolist(), limits)
            base = runs_io.sanitize_run_name(name or prefix or Path(label).stem)
            return _stage_and_move(zf, members, runs_dir, base, limits)
    except _Refused as e:
        raise ArchiveError(e.message(label)) from None


def _check_listing(infos: list[zipfile.ZipInfo], limits: ArchiveLimits = DEFAULT_LIMITS
                  ) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """(top folder, {name relative to the run folder: member}) of a zip's listing, if it holds a run and
    nothing else, within the limits; raises _Refused otherwise.
    Reads only the central directory: nothing is decompressed."""
    if len(infos) > limits.members:
        raise _Refused(None, f"has {len(infos):,} members, over the limit of {limits.members:,}")
    seen_names: set[str] = set()
    seen_offsets: set[int] = set()
    for info in infos:
        problem = _path_problem(info.filename) or _type_problem(info) or _size_problem(info, limits)
        if problem is None and info.filename in seen_names:
            problem = "appears twice"
        if problem is None and info.header_offset in seen_offsets:
            problem = "shares its data with another member (an overlapping-member zip bomb)"
        if problem:
            raise _Refused(info.filename, problem)
        seen_names.add(info.filename)
        seen_offsets.add(info.header_offset)
    total = sum(info.file_size for info in infos)
    if total > limits.total_bytes:
        raise _Refused(None, f"holds {total:,} bytes uncompressed, over the limit of {limits.total_bytes:,}")
    prefix = _top_folder([info.filename for info in infos])
    members = {}
    for info in infos:
        rel = info.filename[len(prefix) + 1:] if prefix else info.filename
        if info.is_dir() and rel not in RUN_FOLDERS:
            raise _Refused(info.filename, f"is not a folder a run folder holds ({', '.join(RUN_FOLDERS[1:])})")
        if not info.is_dir() and not RUN_FILES.fullmatch(rel):
            raise _Refused(info.filename, f"is not a file a run folder holds ({RUN_FILES_HELP})")
        if rel == CONFIG_FILE and info.file_size > MAX_CONFIG_BYTES:
            raise _Refused(info.filename, f"is {info.file_size:,} bytes, too large for a config")
        members[rel] = info
    if CONFIG_FILE not in members:
        raise _Refused(None, f"has no {CONFIG_FILE}: it is not a run exported by GAN Explorer")
    return prefix, members


def _path_problem(name: str) -> str | None:
    """Why a member's path could land outside the run folder, if it could."""
    if "\\" in name:
        return "has a backslash in its path (zip paths use '/')"
    if name.startswith("/"):
        return "has an absolute path"
    if re.match(r"[A-Za-z]:", name):
        return "starts with a drive letter"
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        return "has '..' in its path (it would leave the run folder)"
    if any(part in ("", ".") for part in parts):
        return "has an empty or '.' part in its path"
    return None


def _type_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a member is not a plain file (or folder), if it is not: the Unix mode sits in external_attr's top
    16 bits (0 from tools that record none, taken as a plain file)."""
    if info.flag_bits & 0x1:
        return "is encrypted"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    kind = stat.S_IFMT(mode)
    if kind and kind != (stat.S_IFDIR if info.is_dir() else stat.S_IFREG):
        return "is not a regular file"
    return None


def _size_problem(info: zipfile.ZipInfo, limits: ArchiveLimits) -> str | None:
    if info.file_size > limits.member_bytes:
        return f"is {info.file_size:,} bytes uncompressed, over the limit of {limits.member_bytes:,}"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_floor_bytes and ratio > limits.ratio:
        return f"expands {ratio:,.0f} times when decompressed, over the limit of {limits.ratio:g} (a zip bomb)"
    return None


def _top_folder(names: list[str]) -> str:
    """The one top folder every member sits in ("" when the run's files are at the zip's top)."""
    if CONFIG_FILE in names:
        return ""
    tops = {name.split("/", 1)[0] for name in names}
    return tops.pop() if len(tops) == 1 and all("/" in name for name in names) else ""


def _stage_and_move(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], runs_dir: Path, base: str,
                    limits: ArchiveLimits) -> Path:
    """Extract and check every member in a hidden folder of runs_dir (so the last step is a rename on one
    filesystem), then rename it in as a new run; on any failure remove everything this made."""
    made_runs_dir = not runs_dir.exists()
    runs_dir.mkdir(parents=True, exist_ok=True)
    # A dot name: no run can have it (sanitize_run_name) and list_runs skips it (its run is one level down).
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=runs_dir))
    done = False
    try:
        run = staging / "run"
        RunFolder(run).make_subdirs()
        for rel, info in members.items():
            if not info.is_dir():
                _extract(zf, info, run / rel, limits.member_bytes)
                _check_content(run, rel, info.filename)
        target = runs_io.make_unique_dir(runs_dir, base)  # ours, empty: no other process takes the name
        try:
            os.replace(run, target)  # onto the empty folder just claimed: the run appears whole
        except OSError:
            target.rmdir()
            raise
        done = True
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made_runs_dir and not done:
            with contextlib.suppress(OSError):  # rmdir, not rmtree: another process may have put a run there
                runs_dir.rmdir()


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, limit: int) -> None:
    """Copy one member out in chunks, never past its declared size or the limit (the listing is not trusted)."""
    allowed = min(info.file_size, limit)
    written = 0
    with open(dest, "xb") as out:  # a failed write (a full disk) stays an OSError: the zip is not to blame
        for chunk in _member_chunks(zf, info):
            written += len(chunk)
            if written > allowed:
                raise _Refused(info.filename, "holds more bytes than its header says")
            out.write(chunk)
    if written != info.file_size:
        raise _Refused(info.filename, "holds fewer bytes than its header says")


def _member_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = 1 << 20):
    """A member's bytes, decompressed a chunk at a time; a damaged member (bad CRC, bad deflate stream, an
    unknown compression method) is refused."""
    try:
        with zf.open(info) as src:
            while chunk := src.read(size):
                yield chunk
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, RuntimeError, ValueError, OSError) as e:
        raise _Refused(info.filename, f"cannot be read ({_short(e)})") from None


def _check_content(run: Path, rel: str, member: str) -> None:
    """Refuse a staged member whose content is not what a run's file of that name holds."""
    path = run / rel
    if rel == CONFIG_FILE:
        try:
            TrainConfig.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, TypeError, AttributeError, RecursionError) as e:  # JSON, ConfigError, a list...
            raise _Refused(member, f"is not a valid TrainConfig ({_short(e)})") from None
    elif rel.endswith(".csv"):
        try:
            runs_io.read_metrics(run, rel)
        except RunFileError as e:
            raise _Refused(member, _own_words(e, path)) from None
    elif rel.endswith(".png"):
        _check_png(path, member)
    elif rel.endswith(".npz"):
        try:
            replay.load_toy_frame(path)  # allow_pickle=False, and the arrays a frame holds
        except replay.FrameError as e:
            raise _Refused(member, _own_words(e, path)) from None
    else:
        _check_checkpoint(path, member, step=runs_io.checkpoint_step(path))


def _check_png(path: Path, member: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # a huge canvas in a small file
            with Image.open(path) as im:
                if im.format != "PNG":
                    raise ValueError(f"it is {im.format}")
                im.verify()
    except Exception as e:  # noqa: BLE001 - PIL raises many kinds for a bad file
        raise _Refused(member, f"is not a PNG image that opens ({_short(e)})") from None


def _check_checkpoint(path: Path, member: str, step: int) -> None:
    try:
        state = runs_io.load_checkpoint(path)  # checksum, then weights_only=True: no pickled code runs
    except CheckpointError as e:
        reason = _own_words(e, path)
        if e.__cause__ is not None:
            reason = f"does not load with weights_only=True ({_short(e.__cause__)})"
        raise _Refused(member, reason) from None
    if not isinstance(state["step"], int) or state["step"] != step:
        raise _Refused(member, f"holds step {state['step']!r}, not the step {step} of its name")
    try:
        TrainConfig.from_dict(state["config"])
    except (ValueError, TypeError, AttributeError) as e:
        raise _Refused(member, f"holds a config that is not a valid TrainConfig ({_short(e)})") from None


def _short(e: BaseException) -> str:
    """An exception as one short line: its type and the first sentence of its message."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    text = text.split(". ")[0][:200]
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _own_words(e: BaseException, path: Path) -> str:
    """A folder.py message about a staged file, as a reason about the member: without the temp path, the
    'Checkpoint' lead-in, or the advice on deleting files from a run folder."""
    text = str(e).splitlines()[0].replace(f"Checkpoint {path} ", "").replace(f"{path} ", "")
    return text.split(". Delete")[0].split(" Delete ")[0].rstrip(".")
