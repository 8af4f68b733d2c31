"""A run shared as a zip (made by runs/exporters.py's export_zip), imported: untrusted input (a download, an
upload on the Runs page), so everything is checked before a run appears.

First the listing, against RUN_ZIP (the one `ZipLimits` record, shared with the data-set uploads of
game/uploads.py): names, file types, sizes, compression ratios, nothing but a run's own files. Then each
member's content: config.json is a valid TrainConfig, the CSVs read as run_folder.read_metrics reads them, PNGs
open with PIL, checkpoints pass run_folder.load_checkpoint (checksum, then weights_only=True, so no pickled
code ever runs). Members are staged in a hidden folder of the runs dir and the run appears with one rename at
the end; anything refused leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from explorer.game.config import TrainConfig
from explorer.game.uploads import RUN_ZIP, ZipLimits
from explorer.runs import replay, run_folder
from explorer.runs.run_folder import (
    CONFIG_FILE,
    RUN_FILES,
    RUN_FILES_HELP,
    RUN_SUBDIRS,
    CheckpointError,
    RunFileError,
    RunFolder,
)

MAX_CONFIG_BYTES = 1024**2  # config.json is ~2 KB; json.loads of a huge one would only waste memory

# A run's files travel in an archive (run_folder.RUN_FILES: never the lock, temp files or anything else); a zip may
# also list these folders.
RUN_FOLDERS = ("", *(f"{sub}/" for sub in RUN_SUBDIRS))


class ArchiveError(ValueError):
    """A zip to import was refused; the message names the member and the reason."""


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
               limits: ZipLimits = RUN_ZIP, zip_name: str | None = None) -> Path:
    """A zip made by `export_zip`, a path or an open binary stream (an upload's bytes in an io.BytesIO), becomes
    a new run folder under runs_dir, named `name`, else the zip's top folder, else the zip's file name (`zip_name`,
    which the messages name too; by default a path's own name), sanitised and made unique. Everything is checked
    first; a refused zip raises ArchiveError naming the member and the reason, and leaves nothing behind."""
    runs_dir = Path(runs_dir)
    if not isinstance(zip_file, str | os.PathLike):  # an open binary stream
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
            base = run_folder.sanitize_run_name(name or prefix or Path(label).stem)
            return _stage_and_move(zf, members, runs_dir, base, limits)
    except _Refused as e:
        raise ArchiveError(e.message(label)) from None


def _check_listing(infos: list[zipfile.ZipInfo], limits: ZipLimits = RUN_ZIP
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


def _size_problem(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    if info.file_size > limits.member_bytes:
        return f"is {info.file_size:,} bytes uncompressed, over the limit of {limits.member_bytes:,}"
    return limits.ratio_problem(info)


def _top_folder(names: list[str]) -> str:
    """The one top folder every member sits in ("" when the run's files are at the zip's top)."""
    if CONFIG_FILE in names:
        return ""
    tops = {name.split("/", 1)[0] for name in names}
    return tops.pop() if len(tops) == 1 and all("/" in name for name in names) else ""


def _stage_and_move(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], runs_dir: Path, base: str,
                    limits: ZipLimits) -> Path:
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
        target = run_folder.make_unique_dir(runs_dir, base)  # ours, empty: no other process takes the name
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
            run_folder.read_metrics(run, rel)
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
        _check_checkpoint(path, member, step=run_folder.checkpoint_step(path))


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
        state = run_folder.load_checkpoint(path)  # checksum, then weights_only=True: no pickled code runs
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
    """A run_folder.py message about a staged file, as a reason about the member: without the temp path, the
    'Checkpoint' lead-in, or the advice on deleting files from a run folder."""
    text = str(e).splitlines()[0].replace(f"Checkpoint {path} ", "").replace(f"{path} ", "")
    return text.split(". Delete")[0].split(" Delete ")[0].rstrip(".")
