"""The run folder's layout has one owner, explorer/runs/run_folder.py (RunFolder): no other module names a run's files,
exports write to a stream as well as to a path, and a resumed run reads its config and its checkpoint once."""

from __future__ import annotations

import ast
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from explorer import Runner, TrainConfig
from explorer.game.config import ConfigError
from explorer.runs import exporters, importer, run_folder
from explorer.runs.run_folder import RunFolder
from tests import test_browser
from tests.conftest import ROOT
from tests.test_browser import CHROMIUM, OUTPUT, _browser_or_skip, button, wait_idle
from tests.test_browser_runs import ARGS, ROW_HEIGHT

server = test_browser.server  # streamlit on a free port with its own, empty, runs folder

OWNER = ROOT / "explorer" / "runs" / "run_folder.py"
SOURCES = sorted({*ROOT.glob("explorer/**/*.py"), *ROOT.glob("app/**/*.py"), *ROOT.glob("pages/**/*.py"),
                  *ROOT.glob("scripts/**/*.py"), ROOT / "streamlit_app.py"} - {OWNER})
# A run's file named in a string (a regex's escapes removed first). A name that only ends like one is another file:
# "RUN-metrics.csv" is an export's name, "explorer.lock" not the run's lock.
NAMED = re.compile(r"(?<![\w.-])(?:config\.json|metrics\.csv|evals\.csv|samples/|checkpoints/|\.lock\b)")
JOINED = {"config.json", "metrics.csv", "evals.csv", "samples", "checkpoints", ".lock"}  # as in `run_dir / "samples"`
# Strings that look like a run file but are not one: (file, what run_file_names reports) -> what it is.
NOT_RUN_FILES = {("explorer/metrics/cifar.py", "/ 'checkpoints'"): "torch.hub's own folder for downloaded weights"}


def run_file_names(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string in `source` that names a run file, or joins a run file's name onto a path.
    Docstrings are documentation and may name them."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if NAMED.search(node.value.replace("\\", "")):
                found.add((node.lineno, node.value))
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and isinstance(node.right, ast.Constant)
              and node.right.value in JOINED):
            found.add((node.lineno, f"/ {node.right.value!r}"))
    return sorted(found)


def test_the_check_finds_a_run_file_named_in_code_and_not_in_docs_or_look_alikes():
    source = '''
def f(run_dir):
    """Reads config.json and checkpoints/ (a docstring: documentation)."""
    a = run_dir / "samples"
    b = f"{run_dir}/metrics.csv"
    c = re.compile(r"evals\\.csv")
    d = "RUN-metrics.csv", "explorer.lock", "samples", "high-quality samples"
    e = open(run_dir) if x else ".lock"
'''
    assert [line for line, _ in run_file_names(source)] == [4, 5, 6, 8]


def test_no_module_but_the_run_folder_names_a_run_file():
    assert len(SOURCES) > 60 and ROOT / "pages" / "runs.py" in SOURCES  # the scan covers the app and engine
    hits = [f"{path.relative_to(ROOT)}:{line}: {text!r}" for path in SOURCES
            for line, text in run_file_names(path.read_text())
            if (path.relative_to(ROOT).as_posix(), text) not in NOT_RUN_FILES]
    assert not hits, ("run files named outside explorer/runs/run_folder.py (use RunFolder's paths or folder's "
                      "constants):\n" + "\n".join(hits))


# ------------------------------------------------------------------------------------------ the layout itself

@pytest.fixture(scope="module")
def ring_run(tmp_path_factory) -> Path:
    """A finished ring8 run: metrics, evals (modes), toy frames and checkpoints."""
    runner = Runner(TrainConfig.for_dataset("ring8", steps=60, checkpoint_interval=30, sample_interval=30,
                                            eval_interval=30), runs_dir=tmp_path_factory.mktemp("runs")).start()
    runner.join(180)
    assert runner.snapshot().state == "finished", runner.snapshot().error
    return runner.run_dir


def test_what_a_run_writes_is_where_its_run_folder_says(ring_run):
    folder = RunFolder(str(ring_run))  # a str is taken too
    assert folder.path == ring_run and folder.name == ring_run.name and folder.is_run()
    assert folder.read_config() == TrainConfig.from_json(folder.config_file.read_text())
    assert folder.read_metrics()["step"].tolist() == list(range(1, 61))
    assert folder.read_evals()["step"].tolist() == [30, 60]
    assert folder.list_checkpoints() == [folder.checkpoint_file(30), folder.checkpoint_file(60)]
    assert folder.last_checkpoint_step() == 60
    assert [step for step, _ in folder.frames()] == [0, 30, 60]
    assert folder.frames()[-1][1] == folder.frame_file(60, ".npz")
    assert {rel for _, rel in folder.files()} == {
        p.relative_to(ring_run).as_posix() for p in ring_run.rglob("*") if p.is_file() and p != folder.lock_file}
    assert not RunFolder(ring_run / "samples").is_run()
    with pytest.raises(ValueError, match="a frame is one of"):
        folder.frame_file(0, ".gif")


def test_truncate_after_drops_metrics_evals_and_frames_past_a_step(ring_run, tmp_path):
    folder = RunFolder(tmp_path / ring_run.name)
    folder.make_subdirs()
    for path, rel in RunFolder(ring_run).files():
        (folder.path / rel).write_bytes(path.read_bytes())
    folder.truncate_after(30)
    assert folder.read_metrics()["step"].max() == 30 and folder.read_evals()["step"].tolist() == [30]
    assert [step for step, _ in folder.frames()] == [0, 30]
    assert folder.last_checkpoint_step() == 60  # checkpoints are not records: a resume picks the one it goes on from


# ------------------------------------------------------------------------------------------ exports to a stream

def test_exports_write_the_same_bytes_to_a_stream_as_to_a_file(ring_run, tmp_path):
    streamed = io.BytesIO()
    assert exporters.export_zip(ring_run, streamed) is streamed
    on_disk = exporters.export_zip(ring_run, tmp_path / "run.zip")
    with zipfile.ZipFile(streamed) as a, zipfile.ZipFile(on_disk) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert all(a.read(name) == b.read(name) for name in a.namelist())
        assert f"{ring_run.name}/{run_folder.CONFIG_FILE}" in a.namelist()

    csv = io.BytesIO()
    exporters.export_metrics_csv(ring_run, csv)
    assert csv.getvalue() == RunFolder(ring_run).metrics_file.read_bytes()

    gif = io.BytesIO()
    assert exporters.write_gif(ring_run, gif) == 3
    exporters.write_gif(ring_run, tmp_path / "run.gif")
    assert gif.getvalue()[:6] == b"GIF89a" and gif.getvalue() == (tmp_path / "run.gif").read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))  # the temp files beside the outputs were renamed or removed


def test_an_mp4_goes_to_a_stream_through_a_temp_file_of_its_own(ring_run, tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    mp4 = io.BytesIO()
    assert exporters.write_mp4(ring_run, mp4) == 3
    assert mp4.getvalue()[4:8] == b"ftyp"  # an MP4 whose index was written (ffmpeg seeks back in its own file)


def test_a_zip_imports_from_a_stream_under_the_name_it_is_given(ring_run, tmp_path):
    data = exporters.export_zip(ring_run, io.BytesIO()).getvalue()
    imported = importer.import_zip(io.BytesIO(data), tmp_path / "runs", zip_name="shared.zip")
    assert imported.name == ring_run.name
    assert RunFolder(imported).read_metrics().equals(RunFolder(ring_run).read_metrics())
    flat = io.BytesIO()
    with zipfile.ZipFile(flat, "w") as zf:  # no top folder: the run is named after the zip
        zf.writestr(run_folder.CONFIG_FILE, RunFolder(ring_run).config_file.read_text())
    assert importer.import_zip(io.BytesIO(flat.getvalue()), tmp_path / "runs", zip_name="shared.zip").name == "shared"
    with pytest.raises(importer.ArchiveError, match=r"^Refused notes\.zip: not a zip file"):
        importer.import_zip(io.BytesIO(b"not a zip"), tmp_path / "runs", zip_name="notes.zip")


# ------------------------------------------------------------------------------------------ opening with changes

def counting(monkeypatch, name: str) -> list:
    """Count calls of folder.`name` (what every reader of that file goes through)."""
    calls, real = [], getattr(run_folder, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(run_folder, name, counted)
    return calls


def test_open_with_changes_shows_the_new_config_and_reads_the_checkpoint_once(ring_run, tmp_path, monkeypatch):
    run_dir = importer.import_zip(exporters.export_zip(ring_run, tmp_path / "run.zip"), tmp_path / "runs")
    configs, checkpoints = counting(monkeypatch, "read_config"), counting(monkeypatch, "load_checkpoint")
    runner = Runner.open(run_dir, changes={"steps": 90, "lr_d": 1e-3})
    snap = runner.snapshot()
    assert (snap.config.steps, snap.config.lr_d, snap.step) == (90, 1e-3, 60) and runner.cfg == snap.config
    assert RunFolder(run_dir).read_config().steps == 60  # opening writes nothing
    runner.start().join(180)
    assert runner.snapshot().state == "finished", runner.snapshot().error
    assert RunFolder(run_dir).read_metrics()["step"].tolist() == list(range(1, 91))
    assert len(configs) == 2 and len(checkpoints) == 1  # open() once, and the check above once; loaded once
    with pytest.raises(ConfigError):
        Runner.open(run_dir, changes={"no_such_field": 1})
    with pytest.raises(ConfigError):
        Runner.open(run_dir, changes={"steps": -5})


def test_a_cli_resume_reads_the_config_and_the_checkpoint_once(ring_run, tmp_path, monkeypatch, capsys):
    from explorer.cli import main

    run_dir = importer.import_zip(exporters.export_zip(ring_run, tmp_path / "run.zip"), tmp_path / "runs")
    configs, checkpoints = counting(monkeypatch, "read_config"), counting(monkeypatch, "load_checkpoint")
    assert main(["train", "--resume", str(run_dir), "--steps", "80", "--set", "k=2", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["steps"], summary["steps_trained"], summary["state"]) == (80, 20, "finished")
    assert len(configs) == 1 and len(checkpoints) == 1
    saved = RunFolder(run_dir).read_config()
    assert (saved.steps, saved.k) == (80, 2)  # the run goes on with the changed config, on disk too


# ------------------------------------------------------------------------------------------ in the browser

@pytest.mark.browser
def test_the_runs_page_downloads_a_runs_zip_and_metrics_made_in_memory(server):
    """The Runs page's zip and CSV are written to memory (the exporters, to an io.BytesIO) and downloaded whole:
    the zip holds every file of the run, byte for byte, and the CSV is the run's metrics file."""
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
            page.goto(f"{server}/runs")
            wait_idle(page)
            grid = page.locator("[data-testid='stDataFrame']").first
            grid.wait_for(state="visible", timeout=60_000)
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 15, box["y"] + ROW_HEIGHT * 1.5)  # tick the first run (a demo)
            zip_button = button(page, "runs_dl_zip")
            zip_button.wait_for(state="visible", timeout=60_000)
            wait_idle(page)
            name = page.locator("[data-testid='stHeadingWithActionElements'] h3").first.inner_text().strip()
            run = RunFolder(run_folder.DEMO_RUNS_DIR / name)
            assert run.is_run(), name
            zip_button.scroll_into_view_if_needed()
            page.screenshot(path=str(OUTPUT / "runs_downloads.png"))
            with page.expect_download(timeout=60_000) as download:
                zip_button.click()
            with zipfile.ZipFile(download.value.path()) as zf:
                assert {n: zf.read(n) for n in zf.namelist()} == {
                    f"{name}/{rel}": path.read_bytes() for path, rel in run.files()}
            with page.expect_download(timeout=60_000) as download:
                button(page, "runs_dl_csv").click()
            assert download.value.suggested_filename == f"{name}-metrics.csv"
            assert Path(download.value.path()).read_bytes() == run.metrics_file.read_bytes()
            assert not page.locator("[data-testid='stException']").count()
        finally:
            browser.close()
