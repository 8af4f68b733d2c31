"""Your own data (issue 13): a CSV of 1D values or 2D points, or a zip of images, checked, stored in the runs
folder and trained on; hostile or malformed uploads refused with the line or member named and nothing written;
the Your data page lists what is stored and loads it into the Train page."""

from __future__ import annotations

import io
import math
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from explorer import DataUnavailableError, TrainConfig, load_dataset
from explorer.game import uploads
from explorer.game.uploads import UploadError, UploadLimits
from explorer.metrics.toy import Toy1DView, Toy2DView
from explorer.runs.runner import Runner

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/your_data.py"


def csv_1d(n: int = 400, header: str = "value") -> bytes:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(-2, 0.4, n // 2), rng.normal(2, 0.4, n - n // 2)])
    return (header + "\n" + "\n".join(f"{v:.6f}" for v in values) + "\n").encode()


def csv_2d(n: int = 400) -> bytes:
    rng = np.random.default_rng(1)
    angles = rng.uniform(0, 2 * math.pi, n)
    return ("x,y\n" + "\n".join(f"{2 * math.cos(a):.5f},{2 * math.sin(a):.5f}" for a in angles)).encode()


def png(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (20, 12), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format=fmt)
    return buf.getvalue()


def make_zip(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def image_zip(n: int = 20, grey: bool = False) -> bytes:
    return make_zip({f"imgs/{i:02d}.png": png((i * 10,) * 3 if grey else (i * 10, 40, 200 - i * 5))
                     for i in range(n)})


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, in a few dozen bytes: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def train(cfg: TrainConfig, runs_dir: Path, steps: int = 40):
    runner = Runner(cfg.replace(steps=steps, sample_interval=20, device="cpu"), runs_dir=runs_dir,
                    sample_seconds=0.0).start()
    runner.join(120)
    return runner.snapshot()


# ----------------------------------------------------------------------------------------------- points

def test_a_1d_csv_trains_with_figure_1s_view(runs_dir):
    stored = uploads.store_upload("heights.csv", csv_1d(), runs_dir)
    assert (stored.name, stored.dataset, stored.count) == ("heights", "points1d", 400)
    assert stored.path == runs_dir / ".datasets" / "heights.csv"
    cfg = TrainConfig.for_stored(stored)
    assert cfg.dataset == "points1d" and cfg.data_root == str(stored.path.resolve()) and cfg.family == "toy"
    snap = train(cfg, runs_dir)
    assert snap.state == "finished" and snap.step == 40
    view = snap.toy
    assert isinstance(view, Toy1DView)
    # p_data is a kernel estimate of the upload: a density (integrates to ~1) with its two modes near -2 and 2
    cell = view.x[1] - view.x[0]
    assert view.p_data.sum() * cell == pytest.approx(1.0, abs=0.02)
    assert view.p_data[np.argmin(abs(view.x + 2))] > 5 * view.p_data[np.argmin(abs(view.x))]
    assert 0.0 <= view.js <= math.log(2)


def test_a_2d_csv_trains_with_gan_labs_view(runs_dir):
    stored = uploads.store_upload("ring.csv", csv_2d(), runs_dir)
    assert stored.dataset == "points2d" and stored.kind == "2D points"
    snap = train(TrainConfig.for_stored(stored), runs_dir)
    assert snap.state == "finished"
    assert isinstance(snap.toy, Toy2DView) and snap.toy.real.shape == (400, 2) and snap.toy.n_modes is None
    assert 0.0 <= snap.toy.js <= math.log(2)


@pytest.mark.parametrize("text, expected", [
    ("1.5\n2\n-3e2\n", [[1.5], [2.0], [-300.0]]),                    # no header
    ("x,y\n1,2\n3,4,\n", [[1, 2], [3, 4]]),                          # a header; a trailing comma
    ("# from my notebook\n\nx;y\n1,5;2\n3;4,25\n", [[1.5, 2], [3, 4.25]]),  # semicolons with decimal commas
    ("a\tb\n1\t2\n3\t4\n", [[1, 2], [3, 4]]),                        # tabs
    ("\ufeffx y\n1 2\n3   4\n", [[1, 2], [3, 4]]),                   # a byte-order mark, spaces
], ids=["plain", "header", "semicolons", "tabs", "bom-spaces"])
def test_csv_shapes_that_are_read(text, expected):
    points = uploads.validate_points_csv(text.encode(), UploadLimits(min_points=2))
    assert points.tolist() == expected


BIG = UploadLimits()


@pytest.mark.parametrize("data, message", [
    (b"x\n" + b"1\n" * 60 + b"abc\n" + b"2\n", "line 62: 'abc' is not a number"),
    (b"x\n" + b"1\n" * 60 + b"nan\n", "line 62: 'nan' is not a finite number"),
    (b"x,y\n" + b"1,2\n" * 60 + b"3,inf\n", "line 62: 'inf' is not a finite number"),
    (b"a,b,c\n" + b"1,2,3\n" * 60, "line 2 has 3 columns: use one column (1D values) or two"),
    (b"1,2\n" * 60 + b"3\n", "line 61 has 1 column, but the first row has 2"),
    (b"x\n" + b"1\n2\n" * 10, "it holds 20 rows of numbers; at least 50 are needed"),
    (b"1\n2\n" * (BIG.csv_bytes // 4 + 1), "over the limit of 20,971,520"),
    (b"1\n2\n" * (BIG.max_points // 2 + 1), "more than 200,000 rows"),
    (b"x\n" + b"3\n" * 60, "all 60 rows are the same point"),
    (b"\xff\xfe1\x002\x00", "not UTF-8"),
], ids=["text", "nan", "inf", "3-columns", "ragged", "too-few", "too-large", "too-many-rows", "constant", "utf16"])
@pytest.mark.slow
def test_a_bad_csv_is_refused_with_the_line_and_nothing_is_written(runs_dir, data, message):
    with pytest.raises(UploadError) as e:
        uploads.store_upload("mine.csv", data, runs_dir)
    text = str(e.value)
    assert text.startswith("Refused mine.csv: ") and message in text and text.endswith("Nothing was stored.")
    assert not runs_dir.exists()


def test_points_without_a_file_say_what_to_upload(runs_dir, tmp_path):
    with pytest.raises(DataUnavailableError, match="open the Your data page, upload a CSV of one number per line"):
        load_dataset(TrainConfig.for_dataset("points1d"))
    gone = tmp_path / "deleted.csv"
    with pytest.raises(DataUnavailableError, match="may have been deleted on the Your data page"):
        load_dataset(TrainConfig.for_dataset("points2d", data_root=str(gone)))
    stored = uploads.store_upload("ring.csv", csv_2d(), runs_dir)
    with pytest.raises(DataUnavailableError, match="holds 2D points .* use dataset points2d"):
        load_dataset(TrainConfig.for_dataset("points1d", data_root=str(stored.path)))
    stored.path.write_text("x\n1\n")  # changed on disk since: checked again as an upload is
    with pytest.raises(DataUnavailableError, match="cannot be used: it holds 1 row"):
        load_dataset(TrainConfig.for_stored(stored))


def test_stored_sets_keep_their_names_list_newest_first_and_delete(runs_dir):
    first = uploads.store_upload("data.csv", csv_1d(), runs_dir)
    second = uploads.store_upload("data.csv", csv_2d(), runs_dir)
    third = uploads.store_upload("data.zip", image_zip(), runs_dir)
    assert [first.name, second.name, third.name] == ["data", "data-2", "data-3"]  # nothing replaced
    assert {d.name for d in uploads.list_datasets(runs_dir)} == {"data", "data-2", "data-3"}
    assert uploads.validate_points_csv(first.path.read_bytes()).shape == (400, 1)  # the first is unchanged
    uploads.delete_dataset(runs_dir, "data-3")
    uploads.delete_dataset(runs_dir, "data")
    assert [d.name for d in uploads.list_datasets(runs_dir)] == ["data-2"]
    assert sorted(p.name for p in (runs_dir / ".datasets").iterdir()) == ["data-2.csv"]  # no temp files left


# ----------------------------------------------------------------------------------------------- images

def test_a_zip_of_pngs_becomes_a_folder_data_set_that_trains(runs_dir):
    stored = uploads.store_upload("faces.zip", image_zip(20), runs_dir)
    assert (stored.dataset, stored.kind, stored.count) == ("folder", "images", 20)
    with Image.open(sorted(stored.path.iterdir())[0]) as im:
        assert (im.format, im.mode, im.size) == ("PNG", "RGB", (64, 64))
    cfg = TrainConfig.for_stored(stored)
    assert cfg.data_root == str(stored.path.resolve()) and cfg.batch_size == 20  # no larger than the data
    snap = train(cfg, runs_dir, steps=5)
    assert snap.state == "finished" and snap.samples is not None


def test_grey_images_are_kept_grey_and_jpegs_and_macos_litter_are_fine(runs_dir):
    members = {f"{i}.jpg": png((i * 12,) * 3, fmt="JPEG") for i in range(16)}
    members |= {"__MACOSX/._0.jpg": b"resource fork", ".DS_Store": b"\0\0", "folder/": b""}
    stored = uploads.store_upload("grey.zip", make_zip(members), runs_dir)
    assert stored.count == 16
    with Image.open(next(stored.path.iterdir())) as im:
        assert im.mode == "L"
    assert load_dataset(TrainConfig.for_stored(stored)).x.shape == (16, 1, 32, 32)


GOOD = {f"{i}.png": png() for i in range(16)}


@pytest.mark.parametrize("members, links, limits, message", [
    ({**GOOD, "../evil.png": png()}, {}, BIG, "member '../evil.png' has a path that leaves the zip"),
    ({**GOOD, "/etc/evil.png": png()}, {}, BIG, "member '/etc/evil.png' has a path that leaves the zip"),
    (GOOD, {"link.png": "/etc/passwd"}, BIG, "member 'link.png' is a symbolic link"),
    ({**GOOD, "notes.txt": b"hello"}, {}, BIG, "member 'notes.txt' is not a PNG or JPEG image"),
    ({**GOOD, "fake.png": b"<html>not an image</html>"}, {}, BIG, "member 'fake.png' does not open as an image"),
    ({**GOOD, "anim.png": png(fmt="GIF")}, {}, BIG, "member 'anim.png' is a GIF file, not a PNG or JPEG"),
    ({**GOOD, "bomb.png": png_header_only(100_000, 100_000)}, {}, BIG, "refused by PIL's decompression-bomb check"),
    ({**GOOD, "huge.png": png_header_only(5000, 5000)}, {}, BIG, "is 5,000x5,000 pixels, over the limit"),
    ({**GOOD, "zeros.png": b"\0" * (3 * 1024**2)}, {}, BIG, "expands"),
    ({f"{i}.png": png() for i in range(30)}, {}, UploadLimits(images=uploads.IMAGE_ZIP.replace(members=25)),
     "more than 25 images"),
    (dict(list(GOOD.items())[:5]), {}, BIG, "it holds 5 images; at least 16 are needed"),
], ids=["dotdot", "absolute", "symlink", "text-file", "fake-png", "gif", "pil-bomb", "too-many-pixels", "zip-bomb",
        "too-many-files", "too-few"])
def test_a_hostile_zip_is_refused_with_the_member_and_nothing_is_written(runs_dir, members, links, limits, message):
    with pytest.raises(UploadError) as e:
        uploads.store_upload("upload.zip", make_zip(members, links), runs_dir, limits)
    assert message in str(e.value) and str(e.value).startswith("Refused upload.zip: ")
    assert not runs_dir.exists()


def test_not_a_zip_and_an_unknown_type_are_refused(runs_dir):
    with pytest.raises(UploadError, match="not a zip file that can be read"):
        uploads.store_upload("images.zip", b"PK\x03\x04 truncated", runs_dir)
    with pytest.raises(UploadError, match=r"only a \.csv file .* or a \.zip of PNG/JPEG images"):
        uploads.store_upload("data.xlsx", b"whatever", runs_dir)
    assert not runs_dir.exists()


# ----------------------------------------------------------------------------------------------- the page

def your_data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_page_lists_stored_sets_and_trains_on_one(registry, runs_dir):
    at = your_data_page()
    assert at.title[0].value == "Your data"
    assert any("None yet" in i.value for i in at.info)
    cloud = uploads.store_upload("cloud.csv", csv_2d(), runs_dir)
    uploads.store_upload("faces.zip", image_zip(), runs_dir)
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert set(table["name"]) == {"cloud", "faces"} and set(table["kind"]) == {"2D points", "images"}
    at.selectbox(key="your_data_selected").set_value("faces").run()
    assert len(at.get("image")) == 1 and not at.get("plotly_chart")  # the sample grid, one image
    at.selectbox(key="your_data_selected").set_value("cloud").run()
    assert len(at.get("plotly_chart")) == 1 and not at.get("image")  # the scatter
    at.button(key="your_data_train").click().run()
    from app.config_form import CONFIG_KEY

    cfg = TrainConfig.from_dict(at.session_state[CONFIG_KEY])
    assert cfg == TrainConfig.for_stored(cloud) and cfg.dataset == "points2d"
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="cfg_dataset").value == "points2d"  # the Train page opened with it


def test_delete_asks_first(registry, runs_dir):
    uploads.store_upload("cloud.csv", csv_2d(), runs_dir)
    at = your_data_page()
    at.button(key="your_data_delete").click().run()
    assert any("Delete **cloud**" in w.value for w in at.warning)
    assert uploads.list_datasets(runs_dir)  # not yet
    at.button(key="your_data_delete_confirm").click().run()
    assert not at.exception, at.exception
    assert not uploads.list_datasets(runs_dir)
    assert any("Deleted the data set cloud" in s.value.replace("\\", "") for s in at.success)
