"""Runs kept and shared: export (zip, CSV, GIF, MP4, TensorBoard), import of an untrusted zip, and `sample`.
A refused zip is named with its member and the reason, and leaves the runs folder exactly as it was."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import stat
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageSequence

from explorer import Runner, TrainConfig
from explorer.cli import main
from explorer.game.uploads import RUN_ZIP, ZipLimits
from explorer.runs import replay, run_folder
from explorer.runs.exporters import export_zip, run_files, sample_steps, write_gif
from explorer.runs.importer import ArchiveError, import_zip
from explorer.runs.run_folder import read_metrics
from tests.conftest import ROOT

# ------------------------------------------------------------------------------------------ runs to share

@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """A small digits run (sample grids at 0, 20, 40, 60; checkpoints at 30, 60; a weight average of G) and a
    ring8 toy run (evals.csv), trained once for the module; tests copy them."""
    runs = tmp_path_factory.mktemp("trained")
    digits = TrainConfig.for_dataset("digits8x8", steps=60, sample_interval=20, checkpoint_interval=30,
                                     g_hidden=64, d_hidden=64, batch_size=32, g_average=0.9)
    ring = TrainConfig.for_dataset("ring8", steps=60, checkpoint_interval=30, eval_interval=30)
    out = {}
    for name, cfg in (("digits", digits), ("ring", ring)):
        runner = Runner(cfg, runs_dir=runs, name=name, sample_seconds=0.0).start()  # samples by steps only
        runner.join(300)
        assert runner.snapshot().state == "finished", runner.snapshot().error
        out[name] = runner.run_dir
    return out


def copy_run(source: Path, runs_dir: Path) -> Path:
    return Path(shutil.copytree(source, runs_dir / source.name, ignore=shutil.ignore_patterns(".lock")))


def listing(folder: Path) -> list[tuple[str, int]]:
    """Every path under a folder (hidden ones too) with its size: what a user would see changed."""
    if not folder.exists():
        return []
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size if p.is_file() else -1)
                  for p in folder.rglob("*"))


def cli_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ export, then import

@pytest.mark.parametrize("kind", ["digits", "ring"])
def test_export_then_import_gives_the_same_run_and_it_resumes(trained, runs_dir, tmp_path, kind):
    source = copy_run(trained[kind], runs_dir)
    (source / ".lock").write_text("process 1")
    (source / "checkpoints" / "tmpab12.tmp").write_bytes(b"half a checkpoint")  # a write cut short
    (source / "samples" / "step_00000099.png").symlink_to("/etc/hostname")  # would carry another file out

    zip_path = export_zip(source, tmp_path / "run.zip")
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
    assert f"{kind}/config.json" in names and f"{kind}/checkpoints/step_00000060.pt" in names
    assert not any(n.endswith((".lock", ".tmp", "step_00000099.png")) for n in names)

    imported = import_zip(zip_path, runs_dir)
    assert imported == runs_dir / f"{kind}-2"  # named from the zip's top folder, made unique
    original = {rel: path.read_bytes() for path, rel in run_files(source)}
    copied = {rel: path.read_bytes() for path, rel in run_files(imported)}
    assert copied == original  # config, metrics, evals, samples, checkpoints: byte for byte
    if kind == "ring":
        assert read_metrics(imported, "evals.csv")["step"].tolist() == [30, 60]
    else:
        assert [step for step, _ in sample_steps(imported)] == [0, 20, 40, 60]
    assert [r.name for r in run_folder.list_runs(runs_dir)].count(imported.name) == 1

    runner = Runner.open(imported, changes={"steps": 70})  # a run like any other: it opens and goes on training
    assert runner.snapshot().step == 60
    runner.start().join(300)
    assert runner.snapshot().state == "finished", runner.snapshot().error
    assert read_metrics(imported)["step"].tolist() == list(range(1, 71))
    assert read_metrics(source)["step"].tolist() == list(range(1, 61))  # the original is untouched


def test_the_cli_exports_and_imports_with_a_json_line_last(trained, runs_dir, tmp_path, capsys):
    source = copy_run(trained["digits"], runs_dir)
    out = tmp_path / "out"
    written = cli_json(capsys, "export", "digits", "--runs-dir", str(runs_dir), "--zip", "--csv", "--gif",
                       "--out", str(out))
    assert written == {"run_dir": str(source), "zip": str(out / "digits.zip"), "csv": str(out / "digits-metrics.csv"),
                       "gif": str(out / "digits-samples.gif")}
    assert (out / "digits-metrics.csv").read_bytes() == (source / "metrics.csv").read_bytes()
    other = tmp_path / "other-runs"
    result = cli_json(capsys, "import", str(out / "digits.zip"), "--runs-dir", str(other), "--name", "shared/run")
    assert result == {"run_dir": str(other / "shared-run"), "name": "shared-run", "step": 60}


# ------------------------------------------------------------------------------------------ untrusted zips

class Evil:
    """Pickles to a call that writes `marker` when unpickled: what a booby-trapped checkpoint would run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",)


def with_checksum(state: dict) -> bytes:
    """A checkpoint file as folder.save_checkpoint writes it: torch.save's bytes, then a matching SHA-256."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    return payload + run_folder.CHECKSUM_TAG + hashlib.sha256(payload).hexdigest().encode()


def read_member(zip_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(name)


def rezip(good: Path, path: Path, add: tuple = (), replace: dict | None = None) -> Path:
    """A copy of the zip `good` with members `replace`d, then `add`ed ((name or ZipInfo, bytes) pairs)."""
    replace = replace or {}
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": a duplicate is what one case tests
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for member, data in add:
            dst.writestr(member, data)
    return path


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode in external_attr's top bits is read
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def bad_zip(case: str, good: Path, path: Path, marker: Path) -> tuple[Path, str, ZipLimits]:
    """(zip, the member its refusal must name, limits) for one kind of bad zip."""
    limits = RUN_ZIP
    config = read_member(good, "digits/config.json")
    if case in ("../x", "/abs/config.json", "digits/../../b", "C:/x", "digits\\..\\x"):
        return rezip(good, path, add=[(zipfile.ZipInfo(case), b"x")]), case, limits
    if case == "symlink":
        member = "digits/samples/step_00000080.png"
        return rezip(good, path, add=[(symlink(member), b"/etc/passwd")]), member, limits
    if case == "oversized member":
        return rezip(good, path), "digits/checkpoints/step_00000030.pt", RUN_ZIP.replace(member_bytes=1_000_000)
    if case == "zip bomb":
        member = "digits/evals.csv"
        return rezip(good, path, add=[(member, b"\0" * 20_000_000)]), member, limits  # deflates ~1000:1
    if case in ("evil.py", "checkpoints/x.pkl", ".lock"):
        return rezip(good, path, add=[(f"digits/{case}", b"import os")]), f"digits/{case}", limits
    if case == "malicious pickle":
        member = "digits/checkpoints/step_00000090.pt"
        state = {"version": 1, "config": json.loads(config), "step": 90, "G": Evil(marker), "D": {}}
        return rezip(good, path, add=[(member, with_checksum(state))]), member, limits
    if case == "bit-flipped checkpoint":
        member = "digits/checkpoints/step_00000060.pt"
        data = bytearray(read_member(good, member))
        data[len(data) // 2] ^= 0xFF
        return rezip(good, path, replace={member: bytes(data)}), member, limits
    if case in ("damaged config.json", "invalid config.json"):
        text = b'{"dataset": "digits8x8", "lr_d": -1.0}' if case.startswith("invalid") else config[:40]
        return rezip(good, path, replace={"digits/config.json": text}), "digits/config.json", limits
    if case == "damaged metrics.csv":
        lines = read_member(good, "digits/metrics.csv").splitlines(keepends=True)
        lines[5] = b"5,0.6,garbage\n"
        return rezip(good, path, replace={"digits/metrics.csv": b"".join(lines)}), "digits/metrics.csv", limits
    if case == "not a png":
        member = "digits/samples/step_00000020.png"
        return rezip(good, path, replace={member: b"GIF89a, not a PNG"}), member, limits
    if case == "pickled frame":
        member = "digits/samples/step_00000070.npz"
        buffer = io.BytesIO()
        np.savez(buffer, scalars=np.array([Evil(marker)], dtype=object))
        return rezip(good, path, add=[(member, buffer.getvalue())]), member, limits
    if case == "duplicate":
        return rezip(good, path, add=[("digits/config.json", config)]), "digits/config.json", limits
    raise AssertionError(case)


# Each kind of bad zip, and what its refusal says besides the member's name.
BAD_ZIPS = {
    "../x": "'..' in its path",
    "/abs/config.json": "has an absolute path",
    "digits/../../b": "'..' in its path",
    "C:/x": "starts with a drive letter",
    "digits\\..\\x": "has a backslash in its path",
    "symlink": "is a symbolic link",
    "oversized member": "over the limit of 1,000,000",
    "zip bomb": "(a zip bomb)",
    "evil.py": "is not a file a run folder holds",
    "checkpoints/x.pkl": "is not a file a run folder holds",
    ".lock": "is not a file a run folder holds",
    "malicious pickle": "does not load with weights_only=True (UnpicklingError: Weights only load failed",
    "bit-flipped checkpoint": "no longer match the checksum",
    "damaged config.json": "is not a valid TrainConfig (JSONDecodeError",
    "invalid config.json": "lr_d=-1.0 is not allowed",
    "damaged metrics.csv": "is damaged: line 6 is not numbers",
    "not a png": "is not a PNG image that opens",
    "pickled frame": "is not a replay frame (ValueError: Object arrays cannot be loaded",
    "duplicate": "appears twice",
}


@pytest.fixture(scope="module")
def good_zip(trained, tmp_path_factory) -> Path:
    return export_zip(trained["digits"], tmp_path_factory.mktemp("zips") / "digits.zip")


@pytest.mark.slow
@pytest.mark.parametrize("case", BAD_ZIPS)
def test_a_bad_zip_is_refused_naming_the_member_and_nothing_is_written(good_zip, runs_dir, tmp_path, case):
    (runs_dir / "mine").mkdir(parents=True)
    (runs_dir / "mine" / "config.json").write_text(TrainConfig().to_json())
    marker = tmp_path / "pwned"
    zip_path, member, limits = bad_zip(case, good_zip, tmp_path / "bad.zip", marker)
    before = listing(runs_dir)
    with pytest.raises(ArchiveError) as refused:
        import_zip(zip_path, runs_dir, limits=limits)
    message = str(refused.value)
    assert message.startswith(f"Refused bad.zip: member {member!r} ") and BAD_ZIPS[case] in message, message
    assert message.endswith("Nothing was imported.") and "\n" not in message
    assert listing(runs_dir) == before  # not even a hidden staging folder is left
    assert not marker.exists()  # weights_only=True refused the pickle before any of it ran


def test_the_booby_trapped_checkpoint_would_run_its_code_if_loaded_unsafely(tmp_path):
    """The trap in the test above is real: only weights_only=True kept it from running."""
    marker = tmp_path / "pwned"
    payload = with_checksum({"G": Evil(marker)}).partition(run_folder.CHECKSUM_TAG)[0]
    torch.load(io.BytesIO(payload), weights_only=False)
    assert marker.read_text() == "pwned"


@pytest.mark.parametrize("limits, expected", [
    (RUN_ZIP.replace(members=3), "it has 8 members, over the limit of 3"),
    (RUN_ZIP.replace(total_bytes=1_000_000), "bytes uncompressed, over the limit of 1,000,000"),
])
def test_a_zip_over_the_whole_zip_limits_is_refused(good_zip, tmp_path, limits, expected):
    runs_dir = tmp_path / "not-yet"  # an import that is refused does not even create the runs folder
    with pytest.raises(ArchiveError, match=expected):
        import_zip(good_zip, runs_dir, limits=limits)
    assert not runs_dir.exists()


def test_a_file_that_is_not_a_zip_or_holds_no_run_is_refused(tmp_path):
    (tmp_path / "notes.zip").write_text("hello")
    with pytest.raises(ArchiveError, match="notes.zip: not a zip file that can be read"):
        import_zip(tmp_path / "notes.zip", tmp_path / "runs")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as zf:
        zf.writestr("digits/metrics.csv", "step\n1\n")
    with pytest.raises(ArchiveError, match="has no config.json"):
        import_zip(tmp_path / "empty.zip", tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_a_refused_zip_exits_2_with_one_line_and_no_traceback(good_zip, runs_dir, tmp_path):
    bad = rezip(good_zip, tmp_path / "bad.zip", add=[("digits/evil.py", b"import os")])
    proc = subprocess.run([sys.executable, "-m", "explorer", "import", str(bad), "--runs-dir", str(runs_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: Refused bad.zip: member 'digits/evil.py' is not a file a run folder holds")
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not runs_dir.exists()


# ------------------------------------------------------------------------------------------ GIF, MP4, TensorBoard

def frames_of(gif: Path) -> list[np.ndarray]:
    with Image.open(gif) as im:
        return [np.asarray(frame.convert("RGB"), dtype=float) for frame in ImageSequence.Iterator(im)]


def test_the_gif_has_one_frame_per_saved_sample_grid_in_step_order(trained, tmp_path):
    grids = [np.asarray(Image.open(p).convert("RGB"), dtype=float) for _, p in sample_steps(trained["digits"])]
    assert write_gif(trained["digits"], tmp_path / "a.gif") == len(grids) == 4
    frames = frames_of(tmp_path / "a.gif")
    assert len(frames) == 4
    for i, frame in enumerate(frames):  # frame i is grid i (a GIF's palette may round a grey level)
        distances = [np.abs(frame - grid).mean() for grid in grids]
        assert int(np.argmin(distances)) == i and distances[i] < 1.0
    # A long run is thinned evenly, keeping the first and the last grid.
    assert write_gif(trained["digits"], tmp_path / "b.gif", max_frames=2) == 2
    thinned = frames_of(tmp_path / "b.gif")
    assert np.abs(thinned[0] - grids[0]).mean() < 1.0 and np.abs(thinned[1] - grids[-1]).mean() < 1.0


def test_a_toy_run_gif_draws_its_figure_at_each_recorded_step(trained, runs_dir, tmp_path, capsys):
    frames = replay.frame_steps(trained["ring"])
    assert [step for step, _ in frames] == [0, 60]  # step 0 (G untrained) and the last step
    assert write_gif(trained["ring"], tmp_path / "ring.gif") == 2
    first, last = frames_of(tmp_path / "ring.gif")
    assert first.shape == last.shape == (480, 480, 3) and np.abs(first - last).mean() > 1.0  # G moved

    bare = copy_run(trained["ring"], runs_dir)  # a run that recorded no frames (made before replay existed)
    shutil.rmtree(bare / "samples")
    out = tmp_path / "out"
    assert main(["export", str(bare), "--zip", "--gif", "--out", str(out)]) == 2
    assert "has no recorded frames (samples/step_*) yet" in capsys.readouterr().err
    assert not out.exists()


def test_a_missing_mp4_encoder_or_tensorboard_names_the_pip_command(trained, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # `import imageio_ffmpeg` now fails
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    out = tmp_path / "out"
    assert main(["export", str(trained["digits"]), "--zip", "--mp4", "--out", str(out)]) == 2
    assert "pip install imageio-ffmpeg" in capsys.readouterr().err
    assert main(["export", str(trained["digits"]), "--zip", "--tensorboard", str(tmp_path / "tb"),
                 "--out", str(out)]) == 2
    assert "pip install tensorboard" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "tb").exists()


def test_the_mp4_has_one_frame_per_saved_sample_grid(trained, tmp_path, capsys):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    written = cli_json(capsys, "export", str(trained["digits"]), "--mp4", "--out", str(tmp_path))
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", written["mp4"], "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
    assert "frame=    4 " in probe.stderr, probe.stderr


def test_tensorboard_gets_the_metrics_and_the_sample_grids(trained, tmp_path, capsys):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    written = cli_json(capsys, "export", str(trained["ring"]), "--tensorboard", str(tmp_path / "tb"))
    events = EventAccumulator(written["tensorboard"], size_guidance={"scalars": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("g_loss")] == list(range(1, 61))
    assert [e.step for e in events.Scalars("eval/modes_covered")] == [30, 60]


# ------------------------------------------------------------------------------------------ sample

def test_sample_with_the_same_seed_draws_the_same_picture(trained, tmp_path, capsys):
    run = str(trained["digits"])
    first = cli_json(capsys, "sample", run, "-n", "16", "--out", str(tmp_path / "a.png"))
    cli_json(capsys, "sample", run, "-n", "16", "--out", str(tmp_path / "b.png"))
    cli_json(capsys, "sample", run, "-n", "16", "--seed", "1", "--out", str(tmp_path / "c.png"))
    assert first == {"run_dir": run, "step": 60, "n": 16, "seed": 0, "out": str(tmp_path / "a.png")}
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "c.png").read_bytes()
    with Image.open(tmp_path / "a.png") as im:
        assert im.format == "PNG" and im.size == (4 * 58 + 2, 4 * 58 + 2)  # 4 x 4 digits, 8 px enlarged 7x


def test_sample_of_a_toy_run_says_it_is_for_image_runs(trained, tmp_path, capsys):
    assert main(["sample", str(trained["ring"]), "--out", str(tmp_path / "x.png")]) == 2
    assert "`sample` draws image grids: ring is a ring8 run" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
