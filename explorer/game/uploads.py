"""Your own data, checked and kept: a CSV of 1D values or 2D points, or a zip of PNG/JPEG images, from bytes to
arrays; what passes is stored in the runs folder as RUNS/.datasets/NAME.csv (points) or RUNS/.datasets/NAME/
(images, re-encoded as PNG), so a run's config names it by path (data_root) and a reload, another tab or a resumed
run finds it again (data.py loads a kept CSV through `read_points`).

An upload is untrusted input and is treated as runs/importer.py treats a zip of a run: sizes and counts are
checked before anything is parsed or decoded, and every refusal (UploadError) says what is wrong, where (the
line, the member) and what to do. What a zip may hold, the images' zip here and a run's zip there, is one
`ZipLimits` record defined here (the lowest layer that reads a zip), so the two can never drift apart. A refused
upload writes nothing; an accepted one appears whole, with one link or rename, under a name no other data set has
(nothing is ever replaced: runs refer to these files).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import secrets
import shutil
import stat
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

STORE_SIZE = 64  # images are kept at 64x64, the largest image_size a config allows (the folder loader resizes)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
IMAGE_FORMATS = ("PNG", "JPEG")  # what PIL must find inside, whatever the name says
# Left out of a zip without a word: what macOS's and Windows' zip tools add beside the images.
SKIPPED_PARTS = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")

# A zip bomb: weights, PNGs and JPEGs barely compress and CSVs about 4x, while deflate bombs expand ~1000x; a
# member smaller than the floor may compress any amount, as it cannot fill a disk.
MAX_RATIO, RATIO_FLOOR_BYTES = 100.0, 1024**2


@dataclass(frozen=True)
class ZipLimits:
    """What an untrusted zip may hold, checked from its listing before anything is decompressed. The one record
    for both zips the app takes: a data set's images (IMAGE_ZIP, here) and a run (RUN_ZIP, runs/importer.py)."""

    members: int  # files it may hold (a run's files, or images)
    member_bytes: int  # one member, uncompressed
    total_bytes: int  # all members together, uncompressed
    zip_bytes: int | None = None  # the zip itself, when it comes as bytes in memory (None: not checked)
    ratio: float = MAX_RATIO  # uncompressed / compressed, for a member over ratio_floor_bytes
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES

    def replace(self, **changes: int | float | None) -> ZipLimits:
        return dataclasses.replace(self, **changes)

    def ratio_problem(self, info: zipfile.ZipInfo) -> str | None:
        """Why a member is a zip bomb, if it is: it expands more than `ratio` times (and is not tiny)."""
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > self.ratio_floor_bytes and ratio > self.ratio:
            return f"expands {ratio:,.0f} times when decompressed, over the limit of {self.ratio:g} (a zip bomb)"
        return None


# A run's zip: far above any real run, far below what would fill a disk. The largest configs (g_hidden=2048,
# Adam, a weight average) write checkpoints of a few hundred MB, and a run keeps 5 of them; a run that sampled
# every 0.4 s (the runner's fastest) for 11 hours holds 100,000 grids.
RUN_ZIP = ZipLimits(members=100_000, member_bytes=1024**3, total_bytes=2 * 1024**3)
# An images' zip: Streamlit's own upload limit is 200 MB; 20,000 images at 64x64 colour are 245 MB in memory
# while they are checked; no one image needs more than 20 MB.
IMAGE_ZIP = ZipLimits(members=20_000, member_bytes=20 * 1024**2, total_bytes=1024**3, zip_bytes=200 * 1024**2)

# What else an upload may be. A CSV: at least enough points to estimate a density from (the JS estimate, the
# toy views); at most 200,000 rows (checked in about a second on a CPU, far more than a 1D/2D GAN needs);
# 20 MB holds 200,000 rows of two numbers written with full precision, with room to spare. An images' zip
# holds at least 16 images; 4096x4096 pixels is a large photo (PIL's own decompression-bomb check stops at
# 89 million).
MIN_POINTS, MAX_POINTS, MAX_CSV_BYTES = 50, 200_000, 20 * 1024**2
MIN_IMAGES = 16
MAX_IMAGE_PIXELS = 4096 * 4096

CSV_HELP = ("Each line holds one number (1D values) or two separated by a comma (x, y points); only the first "
            "line may be a header")


class UploadError(ValueError):
    """An upload was refused; the message says what is wrong, where, and what to do."""


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may hold (the module constants by default; tests pass small ones)."""

    min_points: int = MIN_POINTS
    max_points: int = MAX_POINTS
    csv_bytes: int = MAX_CSV_BYTES
    min_images: int = MIN_IMAGES
    pixels: int = MAX_IMAGE_PIXELS
    images: ZipLimits = IMAGE_ZIP  # the zip's own limits: its size, the images' count, sizes and ratios


DEFAULT_LIMITS = UploadLimits()


# ------------------------------------------------------------------------------------------- points

def validate_points_csv(data: bytes, limits: UploadLimits = DEFAULT_LIMITS) -> np.ndarray:
    """The points of a CSV: (N, 1) values or (N, 2) points, float64. Separators: a comma, a semicolon (then a
    decimal comma is read too), a tab or spaces; blank lines and lines starting with '#' are passed over; the
    first line may be a header. Anything else is refused with the line and what to do."""
    if len(data) > limits.csv_bytes:
        raise UploadError(f"it is {len(data):,} bytes, over the limit of {limits.csv_bytes:,}: keep at most "
                          f"{limits.max_points:,} rows (a random sample of them is as good for a GAN)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UploadError(f"it is not text (byte {e.start:,} is not UTF-8): save it as a CSV file (UTF-8)") from None
    rows: list[list[float]] = []
    columns = sep = None
    first = True  # the first line with text on it, which may be a header
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if columns is None:  # the separator is the first data row's (a header may differ)
            sep = ";" if ";" in line else "\t" if "\t" in line else "," if "," in line else " "
        fields = [f.strip() for f in (line.split(sep) if sep != " " else line.split())]
        if sep != ";" and len(fields) > 1 and fields[-1] == "":
            fields = fields[:-1]  # a trailing comma
        values = [_number(f, sep) for f in fields]
        if None in values:
            if first:
                first = False
                continue  # the header
            bad = fields[values.index(None)]
            raise UploadError(f"line {number}: {_quote(bad)} is not a number. {CSV_HELP}")
        if not all(np.isfinite(values)):
            bad = fields[next(i for i, v in enumerate(values) if not np.isfinite(v))]
            raise UploadError(f"line {number}: {_quote(bad)} is not a finite number: remove that row or fill in "
                              f"a value")
        first = False
        if columns is None:
            columns = len(values)
            if columns not in (1, 2):
                raise UploadError(f"line {number} has {columns} columns: use one column (1D values) or two (x, y "
                                  f"points); remove the others (a label, an index) and upload it again")
        elif len(values) != columns:
            raise UploadError(f"line {number} has {len(values)} column{'s' * (len(values) != 1)}, but the first "
                              f"row has {columns}: every line needs the same number")
        rows.append(values)
        if len(rows) > limits.max_points:
            raise UploadError(f"it holds more than {limits.max_points:,} rows: keep at most that many (a random "
                              f"sample of them is as good for a GAN)")
    if len(rows) < limits.min_points:
        raise UploadError(f"it holds {len(rows)} row{'s' * (len(rows) != 1)} of numbers; at least "
                          f"{limits.min_points} are needed to learn a distribution from. {CSV_HELP}")
    points = np.asarray(rows, dtype=np.float64)
    if np.all(points == points[0]):
        raise UploadError(f"all {len(points):,} rows are the same point: there is no distribution to learn")
    return points


def _number(field: str, sep: str) -> float | None:
    if sep == ";":
        field = field.replace(",", ".")
    try:
        return float(field)
    except ValueError:
        return None


def _quote(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def scale_note(points: np.ndarray) -> str | None:
    """A note when the points are on a scale the toy networks (initialised for values of order 1) learn
    slowly on; None when they are fine."""
    spread = float(np.abs(points).max())
    if spread > 100:
        return (f"The values reach {spread:,.4g}: the small networks learn fastest on values of order 1 to 10. "
                f"Dividing them by a power of ten before uploading makes training much quicker.")
    if float(points.std(0).max()) < 0.01:
        return "The values spread less than 0.01: scaling them up (say by 100) before uploading trains better."
    return None


# ------------------------------------------------------------------------------------------- images

def validate_image_zip(data: bytes, limits: UploadLimits = DEFAULT_LIMITS) -> np.ndarray:
    """The images of a zip, squashed to STORE_SIZE x STORE_SIZE as the folder loader resizes (bicubic, from
    RGB): uint8 (N, S, S) when every image is grey, else (N, S, S, 3). Only PNG and JPEG files; no path that
    leaves the zip, no link, sizes and counts within `limits`; PIL's decompression-bomb check on."""
    zip_bytes = limits.images.zip_bytes
    if zip_bytes is not None and len(data) > zip_bytes:
        raise UploadError(f"it is {len(data):,} bytes, over the limit of {zip_bytes:,}: zip fewer or "
                          f"smaller images")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as e:
        raise UploadError(f"it is not a zip file that can be read ({_short(e)})") from None
    with zf:
        members = _image_members(zf.infolist(), limits)
        arr = np.stack([_read_image(zf, info, limits) for info in members])  # (N, S, S, 3)
    if np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2]):
        arr = arr[..., 0]
    return arr


def _image_members(infos: list[zipfile.ZipInfo], limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """The members to read, after the listing's checks (names, types, counts, sizes)."""
    out, total = [], 0
    for info in infos:
        name = info.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or ".." in path.parts or ":" in name or "\x00" in name:
            raise UploadError(f"member {_quote(name)} has a path that leaves the zip: zip the images themselves")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UploadError(f"member {_quote(name)} is a symbolic link: zip the images themselves")
        if info.is_dir() or any(part in SKIPPED_PARTS or part.startswith("._") for part in path.parts):
            continue
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # zip tools often set no file type at all: fine
            raise UploadError(f"member {_quote(name)} is not a regular file")
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise UploadError(f"member {_quote(name)} is not a PNG or JPEG image: only .png, .jpg and .jpeg files "
                              f"are taken; zip again without the others")
        if info.flag_bits & 0x1:
            raise UploadError(f"member {_quote(name)} is encrypted: zip it without a password")
        zipped = limits.images
        if info.file_size > zipped.member_bytes:
            raise UploadError(f"member {_quote(name)} is {info.file_size:,} bytes, over the limit of "
                              f"{zipped.member_bytes:,} for one image: shrink it")
        bomb = zipped.ratio_problem(info)
        if bomb:
            raise UploadError(f"member {_quote(name)} {bomb}")
        total += info.file_size
        if total > zipped.total_bytes:
            raise UploadError(f"its images add up to more than {zipped.total_bytes:,} bytes uncompressed: zip "
                              f"fewer or smaller images")
        out.append(info)
        if len(out) > zipped.members:
            raise UploadError(f"it holds more than {zipped.members:,} images: zip at most that many")
    if len(out) < limits.min_images:
        raise UploadError(f"it holds {len(out)} image{'s' * (len(out) != 1)}; at least {limits.min_images} are "
                          f"needed (PNG or JPEG files)")
    return out


def _read_image(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: UploadLimits) -> np.ndarray:
    """One member decoded and resized: uint8 (S, S, 3). The header's size is checked before any pixel is
    decoded; PIL's decompression-bomb warning counts as a refusal."""
    name = _quote(info.filename)
    try:
        with zf.open(info) as src:
            raw = src.read(info.file_size + 1)  # never more than the (checked) declared size, plus one to notice
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, RuntimeError, ValueError, OSError) as e:
        raise UploadError(f"member {name} cannot be read ({_short(e)})") from None
    if len(raw) != info.file_size:
        raise UploadError(f"member {name} does not hold the bytes its header says")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as im:
                if im.format not in IMAGE_FORMATS:
                    raise UploadError(f"member {name} is a {im.format} file, not a PNG or JPEG image")
                width, height = im.size
                if width * height > limits.pixels:
                    raise UploadError(f"member {name} is {width:,}x{height:,} pixels, over the limit of "
                                      f"{limits.pixels:,}: shrink it (it would be resized to {STORE_SIZE}x"
                                      f"{STORE_SIZE} anyway)")
                im.draft("RGB", (STORE_SIZE, STORE_SIZE))  # JPEG: decode at a reduced scale, much faster
                small = im.convert("RGB").resize((STORE_SIZE, STORE_SIZE), Image.BICUBIC)
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise UploadError(f"member {name} is refused by PIL's decompression-bomb check ({_short(e)})") from None
    except Exception as e:  # noqa: BLE001 - PIL raises many kinds for a damaged file
        raise UploadError(f"member {name} does not open as an image ({_short(e)})") from None
    return np.asarray(small)


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0][:160] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def read_points(path: str | Path, limits: UploadLimits = DEFAULT_LIMITS) -> np.ndarray:
    """A stored CSV's points, checked again as an upload is (it is a file any config can name)."""
    path = Path(path)
    size = path.stat().st_size
    if size > limits.csv_bytes:
        raise UploadError(f"it is {size:,} bytes, over the limit of {limits.csv_bytes:,}")
    return validate_points_csv(path.read_bytes(), limits)


def safe_name(name: str, what: str = "name") -> str:
    """Letters, digits, '-', '_' and '.' only, no leading dot: a name (a run's, a sweep's, a data set's) that can
    never leave the folder it is made in."""
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip(".-_")
    clean = re.sub(r"\.{2,}", ".", clean)
    if not clean:
        raise ValueError(f"{what} {name!r} has no usable characters (letters, digits, '-', '_', '.')")
    return clean[:80]


# ------------------------------------------------------------------------------ kept in the runs folder

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
            name = safe_name(Path(filename).stem)
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
    clean = safe_name(name)
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
