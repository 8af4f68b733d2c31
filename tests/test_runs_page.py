"""The Runs page and what it stands on: the run table, rename / delete / copy of run folders, seed groups
(explorer.runs.catalog), the comparison figures (explorer.plots.compare), and the page through AppTest.

Three small runs are trained once for the module (two seeds of one toy1d config and a ring8 run that tracks
modes); each test copies the ones it needs into its own runs folder. The bundled demos folder is pointed at a
folder of the test's own (run_folder.DEMO_RUNS_DIR, read at call time by the catalog), so the tests do not depend on
what assets/demo_runs/ holds.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explorer import Runner, TrainConfig
from explorer.plots.compare import band_figure, mean_std, overlay_figure
from explorer.runs import catalog, replay, run_folder
from explorer.runs.exporters import export_zip
from explorer.runs.importer import ArchiveError
from explorer.runs.run_folder import RunLockedError, lock_run

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/runs.py"
TIMEOUT = 60
TOY = TrainConfig(dataset="toy1d", steps=60, sample_interval=20, checkpoint_interval=30)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """a, b: one toy1d config with seeds 0 and 1; ring: ring8 with modes tracked at steps 30 and 60."""
    runs = tmp_path_factory.mktemp("made")
    configs = {"a": TOY, "b": TOY.replace(seed=1),
               "ring": TrainConfig.for_dataset("ring8", steps=60, sample_interval=20, checkpoint_interval=30,
                                               eval_interval=30)}
    runners = [Runner(cfg, runs_dir=runs, name=name).start() for name, cfg in configs.items()]
    for r in runners:
        r.join(240)
        assert r.snapshot().state == "finished", r.snapshot().error
    return {r.name: r.run_dir for r in runners}


@pytest.fixture
def demos(tmp_path, monkeypatch) -> Path:
    """An empty bundled-demos folder of the test's own."""
    d = tmp_path / "demos"
    d.mkdir()
    monkeypatch.setattr(run_folder, "DEMO_RUNS_DIR", d)
    return d


def put(made: dict[str, Path], parent: Path, name: str, as_name: str | None = None) -> Path:
    return Path(shutil.copytree(made[name], parent / (as_name or name), ignore=shutil.ignore_patterns(".lock")))


def files_under(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*")) if path.exists() else []


# ------------------------------------------------------------------------------------------ the table

@pytest.mark.slow
def test_the_table_lists_every_run_with_its_settings_state_and_best_metric(made, runs_dir, demos):
    put(made, runs_dir, "a")
    put(made, runs_dir, "ring")
    longer = put(made, runs_dir, "b", "longer")  # asks for 100 steps, checkpointed at 60: stopped
    (longer / "config.json").write_text(TOY.replace(seed=1, steps=100).to_json())
    damaged = put(made, runs_dir, "a", "damaged")
    (damaged / "config.json").write_text('{"dataset": "toy1d", "lr_d"')
    bad_evals = put(made, runs_dir, "ring", "bad-evals")
    (bad_evals / "evals.csv").write_text("step,modes_covered\n30,2\n20,garbage\n")
    put(made, demos, "a", "demo-a")
    put(made, demos, "b", "ring")  # a demo that a run of the user's hides: listed once, as the user's

    table = catalog.run_table(runs_dir, live_states={"a": "running"}, live_steps={"a": 75})

    assert list(table.columns) == list(catalog.COLUMNS)
    rows = table.set_index("name")
    assert sorted(rows.index) == ["a", "bad-evals", "damaged", "demo-a", "longer", "ring"]
    a = rows.loc["a"]
    assert (a["dataset"], a["model"], a["loss"], a["k"], a["seed"]) == ("toy1d", "toy", "non_saturating", 1, 0)
    assert (a["lr_d"], a["lr_g"]) == (TOY.lr_d, TOY.lr_g)
    assert (a["state"], a["steps"]) == ("running", 75)  # what this server's runner says, not the disk
    assert rows.loc["ring", "state"] == "finished" and rows.loc["longer", "state"] == "stopped"
    assert rows.loc["ring", "steps"] == 60
    modes = run_folder.read_metrics(made["ring"], "evals.csv")["modes_covered"].max()
    assert rows.loc["ring", "best_metric"] == f"modes {int(modes)}/8"
    # A toy without in-training metrics: the lowest JS its recorded frames reached.
    lowest_js = replay.toy_history(replay.frame_steps(made["a"]))["js"].min()
    assert rows.loc["a", "best_metric"] == f"JS {lowest_js:.3f}"
    assert rows.loc["damaged", "state"] == "damaged" and "config.json is damaged" in rows.loc["damaged", "reason"]
    assert rows.loc["bad-evals", "best_metric"].startswith("JS ")  # not the damaged evals.csv's modes
    assert "evals.csv is damaged" in rows.loc["bad-evals", "reason"]
    assert rows.loc["demo-a", "state"] == "demo" and rows.loc["demo-a", "demo"]
    assert not rows.loc["ring", "demo"] and rows.loc["ring", "path"] == str(runs_dir / "ring")
    on_disk = sum(p.stat().st_size for p in (runs_dir / "ring").rglob("*") if p.is_file())
    assert rows.loc["ring", "size_bytes"] == on_disk
    assert pd.api.types.is_datetime64_any_dtype(table["created"])
    assert table["created"].notna().all()


def test_an_empty_or_missing_runs_folder_gives_an_empty_table(tmp_path):
    table = catalog.run_table(tmp_path / "nothing", demo_dir=tmp_path / "no-demos")
    assert table.empty and list(table.columns) == list(catalog.COLUMNS)


def test_best_metric_reads_the_best_value_of_each_kind():
    assert catalog.best_metric(pd.DataFrame({"step": [1, 2], "frechet_distance": [40.0, 31.24]}), "mnist") == "FD 31.2"
    assert catalog.best_metric(pd.DataFrame({"step": [1, 2], "modes_covered": [8, 5]}), "ring8") == "modes 8/8"
    assert catalog.best_metric(pd.DataFrame(), "ring8") == ""


# ------------------------------------------------------------------------------------------ rename, delete, copy

def test_rename_renames_on_disk_and_refuses_taken_names(made, runs_dir, demos):
    put(made, runs_dir, "a")
    put(made, runs_dir, "b")
    put(made, demos, "ring", "demo-ring")
    target = catalog.rename_run(runs_dir, "a", "my first run")
    assert target == runs_dir / "my-first-run" and (target / "config.json").exists()
    assert not (runs_dir / "a").exists()
    for taken in ("b", "demo-ring"):
        with pytest.raises(catalog.CatalogError, match=f"A run named {taken} already exists"):
            catalog.rename_run(runs_dir, "my-first-run", taken)
    with pytest.raises(catalog.CatalogError, match="is a bundled demo"):
        catalog.rename_run(runs_dir, "demo-ring", "mine")
    assert (demos / "demo-ring" / "config.json").exists() and not (runs_dir / "mine").exists()


def test_rename_and_delete_refuse_a_run_being_trained(made, runs_dir, demos):
    run = put(made, runs_dir, "a")
    handle = lock_run(run)  # what a training process holds
    before = files_under(run)
    try:
        with pytest.raises(RunLockedError, match="already being trained"):
            catalog.rename_run(runs_dir, "a", "other")
        with pytest.raises(RunLockedError, match="already being trained"):
            catalog.delete_run(runs_dir, "a")
    finally:
        handle.close()
    assert files_under(run) == before and not (runs_dir / "other").exists()
    catalog.delete_run(runs_dir, "a")  # once the trainer let go
    assert not run.exists()


def test_delete_refuses_demos_and_anything_that_is_not_a_run_folder(made, runs_dir, demos, tmp_path):
    put(made, demos, "a", "demo-a")
    (runs_dir / "not-a-run").mkdir(parents=True)
    outside = put(made, tmp_path, "b", "outside")
    with pytest.raises(catalog.CatalogError, match="is a bundled demo"):
        catalog.delete_run(runs_dir, "demo-a")
    for name in ("not-a-run", "../outside", "nothing-here"):
        with pytest.raises(catalog.CatalogError):
            catalog.delete_run(runs_dir, name)
    assert (demos / "demo-a" / "config.json").exists() and (runs_dir / "not-a-run").exists()
    assert (outside / "config.json").exists()


def test_a_copied_demo_is_an_ordinary_run(made, runs_dir, demos):
    demo = put(made, demos, "ring", "demo-ring")
    copy = catalog.copy_demo(runs_dir, "demo-ring")
    assert copy == runs_dir / "demo-ring-copy"
    assert files_under(copy) == [f for f in files_under(demo) if f != ".lock"]
    assert catalog.copy_demo(runs_dir, "demo-ring") == runs_dir / "demo-ring-copy-2"
    rows = catalog.run_table(runs_dir).set_index("name")
    assert not rows.loc["demo-ring-copy", "demo"] and rows.loc["demo-ring-copy", "state"] == "finished"
    catalog.rename_run(runs_dir, "demo-ring-copy", "mine")  # the copy is the user's: it renames
    with pytest.raises(catalog.CatalogError, match="no bundled demo"):
        catalog.copy_demo(runs_dir, "mine")


def test_seed_groups_join_runs_that_differ_only_in_their_seed():
    ring = TrainConfig.for_dataset("ring8")
    groups = catalog.seed_groups({"s0": ring, "s1": ring.replace(seed=1), "fast": ring.replace(lr_d=0.01),
                                  "s7": ring.replace(seed=7)})
    assert groups == {"s0 + 2 more (seeds 0, 1, 7)": ["s0", "s1", "s7"], "fast": ["fast"]}


def test_an_uploaded_hostile_zip_is_refused_and_writes_nothing(runs_dir):
    data = hostile_zip()
    with pytest.raises(ArchiveError, match=r"Refused evil\.zip: member '\.\./evil' has '\.\.' in its path"):
        catalog.import_upload("evil.zip", data, runs_dir)
    assert files_under(runs_dir) == []


def hostile_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("run/config.json", TOY.to_json())
        zf.writestr(zipfile.ZipInfo("../evil"), b"pwned")
    return out.getvalue()


# ------------------------------------------------------------------------------------------ compare figures

def frame(steps, values, column="g_loss") -> pd.DataFrame:
    return pd.DataFrame({"step": steps, column: values})


def test_the_overlay_has_one_line_per_run_named_after_it():
    curves = {"run-a": frame([1, 2, 3], [1.0, 2.0, 3.0]), "run-b": frame([1, 2], [3.0, 2.0]),
              "no-losses": pd.DataFrame({"step": [1], "d_x": [0.5]})}
    fig = overlay_figure(curves, "g_loss", "G loss", "loss")
    assert [t.name for t in fig.data] == ["run-a", "run-b"]  # a run without the column draws nothing
    assert fig.data[0].line.color != fig.data[1].line.color
    assert list(fig.data[0].y) == [1.0, 2.0, 3.0]


def test_the_band_has_a_mean_line_and_a_band_per_group():
    groups = {"seeds": [frame([0, 10, 20], [1.0, 1.0, 1.0]), frame([0, 10, 20], [3.0, 3.0, 3.0])],
              "alone": [frame([0, 10], [5.0, 6.0])]}
    fig = band_figure(groups, "g_loss", "G loss", "loss")
    assert [t.name for t in fig.data] == ["seeds ± std", "seeds", "alone ± std", "alone"]
    band, mean = fig.data[0], fig.data[1]
    assert band.fill == "toself" and not band.showlegend
    assert list(mean.y) == [2.0, 2.0, 2.0]
    assert max(band.y) == pytest.approx(2 + 2**0.5) and min(band.y) == pytest.approx(2 - 2**0.5)


def test_runs_of_different_lengths_are_averaged_where_present():
    stats = mean_std([frame([0, 10, 20], [0.0, 1.0, 2.0]), frame([0, 5, 10], [2.0, 2.0, 2.0])], "g_loss")
    assert stats["step"].tolist() == [0, 5, 10, 20]
    assert stats["n"].tolist() == [2, 2, 2, 1]
    assert stats["mean"].tolist() == [1.0, 1.25, 1.5, 2.0]  # the short run is not extended past its end
    assert stats["std"].iloc[-1] == 0.0


# ------------------------------------------------------------------------------------------ the page

@pytest.fixture
def registry(registry, demos):
    """conftest's registry, with this module's own demos folder in place."""
    return registry


def runs_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def table_names(at: AppTest) -> list[str]:
    return at.dataframe(key="runs_table").value["name"].tolist()


def select(at: AppTest, *names: str) -> AppTest:
    """Tick these runs' rows, as a click on the table does (AppTest sets a table's selection by its key)."""
    shown = table_names(at)
    at.session_state["runs_table"] = {"selection": {"rows": [shown.index(n) for n in names]}}
    at.run()
    assert not at.exception, at.exception
    return at


def said(elements) -> str:
    """What a list of alerts says, as the reader sees it (the page escapes the markdown out of its messages)."""
    return " ".join(e.value.replace("\\", "").replace("\u2060", "") for e in elements)


def charts(at: AppTest) -> dict[str, list[str]]:
    """{chart title: trace names} of the page's plotly charts."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out[spec["layout"]["title"]["text"]] = [t.get("name") for t in spec["data"]]
    return out


def test_the_page_lists_the_runs_and_says_when_there_are_none(made, registry):
    at = runs_page()
    assert at.title[0].value == "Runs"
    assert "No runs yet" in said(at.info) and at.get("page_link")
    put(made, registry.runs_dir, "a")
    put(made, registry.runs_dir, "ring")
    at.run()
    assert not at.exception, at.exception
    assert sorted(table_names(at)) == ["a", "ring"]
    at.text_input(key="runs_filter_name").input("RI").run()
    assert table_names(at) == ["ring"]


def test_delete_asks_first_and_deletes_only_when_confirmed(made, registry):
    run = put(made, registry.runs_dir, "a")
    put(made, registry.runs_dir, "b")
    at = select(runs_page(), "a")
    at.button(key="runs_delete").click().run()
    assert not at.exception, at.exception
    assert at.button(key="runs_delete_confirm").label == "Delete"  # the dialog, naming the run and its size
    assert any("**a**" in m.value and "MB" in m.value for m in at.markdown)
    assert run.exists()
    at.button(key="runs_delete_cancel").click().run()
    assert run.exists() and not [b for b in at.button if b.key == "runs_delete_confirm"]
    at.button(key="runs_delete").click().run()
    at.button(key="runs_delete_confirm").click().run()
    assert not at.exception, at.exception
    assert not run.exists() and table_names(at) == ["b"]
    assert "Deleted a." in said(at.success)


def test_rename_renames_the_run_on_disk(made, registry):
    put(made, registry.runs_dir, "a")
    at = select(runs_page(), "a")
    at.text_input(key="runs_new_name").input("renamed").run()
    at.button(key="runs_rename").click().run()
    assert not at.exception, at.exception
    assert (registry.runs_dir / "renamed" / "config.json").exists() and not (registry.runs_dir / "a").exists()
    assert table_names(at) == ["renamed"] and at.subheader[0].value == "renamed"  # still selected


def test_two_selected_runs_are_drawn_on_shared_axes(made, registry):
    put(made, registry.runs_dir, "a")
    put(made, registry.runs_dir, "b")
    at = select(runs_page(), "a", "b")
    drawn = charts(at)
    assert sorted(drawn["D loss on real"]) == ["a", "b"]  # one chart, a line per run
    assert sorted(drawn["Mean D(x) on data"]) == ["a", "b"]
    at.toggle(key="runs_grouped").set_value(True).run()
    assert not at.exception, at.exception
    assert charts(at)["D loss on real"] == ["a + 1 more (seeds 0, 1) ± std", "a + 1 more (seeds 0, 1)"]


@pytest.mark.parametrize("hostile", ["[click](http://evil.example)", "www.evil.example", "me@evil.example",
                                     "https://evil.example", ":red[alarm] :material/home:", "$x^2$", "**bold** `code`"])
def test_a_message_quoting_untrusted_text_renders_none_of_it(hostile):
    """What the browser would render as a link, an icon, LaTeX or emphasis is broken up by escapes and word joiners
    (checked in Chromium by hand: the alert shows the text as itself, with no link)."""
    from app.session import as_text

    shown = as_text(f"Refused {hostile}.zip")
    assert shown.replace("\\", "").replace("\u2060", "") == f"Refused {hostile}.zip"
    assert not re.search(r"(?<!\\)[][()$*`:@_/.]", shown)  # every mark markdown reads is escaped
    for autolink in ("://", "www.", "@e"):  # GitHub's autolinks see through escapes: a word joiner breaks them
        assert autolink not in shown.replace("\\", "")


def test_a_hostile_upload_shows_why_and_writes_nothing(made, registry):
    put(made, registry.runs_dir, "a")
    before = files_under(registry.runs_dir)
    at = runs_page()
    at.file_uploader(key="runs_upload").upload("evil.zip", hostile_zip(), "application/zip").run()
    assert not at.exception, at.exception
    assert "Refused evil.zip: member '../evil' has '..' in its path" in said(at.error)
    assert files_under(registry.runs_dir) == before


def test_an_exported_zip_uploads_as_a_new_run_once(made, registry, tmp_path):
    put(made, registry.runs_dir, "ring")
    data = export_zip(made["ring"], tmp_path / "ring.zip").read_bytes()
    at = runs_page()
    at.file_uploader(key="runs_upload").upload("ring.zip", data, "application/zip").run()
    assert not at.exception, at.exception
    assert "Imported ring.zip as the run ring-2" in said(at.success)
    assert sorted(table_names(at)) == ["ring", "ring-2"] and at.subheader[0].value == "ring-2"
    at.run()  # the uploader hands the same file to every rerun: it is imported once
    assert sorted(p.name for p in registry.runs_dir.iterdir()) == ["ring", "ring-2"]


def test_a_demo_cannot_be_deleted_but_can_be_copied(made, registry, demos):
    put(made, demos, "ring", "demo-ring")
    at = select(runs_page(), "demo-ring")
    assert at.dataframe(key="runs_table").value.set_index("name").loc["demo-ring", "state"] == "bundled demo"
    assert at.button(key="runs_delete").disabled and at.button(key="runs_resume").disabled
    at.button(key="runs_copy").click().run()
    assert not at.exception, at.exception
    assert (registry.runs_dir / "demo-ring-copy" / "config.json").exists()
    assert at.subheader[0].value == "demo-ring-copy" and not at.button(key="runs_delete").disabled


def test_a_run_in_training_shows_its_state_and_cannot_be_deleted(registry):
    runner = registry.start(TrainConfig(steps=0), name="live")
    at = select(runs_page(), "live")
    assert at.dataframe(key="runs_table").value.set_index("name").loc["live", "state"] in ("loading models", "training")
    assert at.button(key="runs_delete").disabled and at.button(key="runs_rename").disabled
    runner.stop()
    at.run()
    assert at.dataframe(key="runs_table").value.set_index("name").loc["live", "state"] == "stopped"
    assert not at.button(key="runs_delete").disabled


def test_a_damaged_run_can_only_be_deleted(made, registry):
    run = put(made, registry.runs_dir, "a", "damaged")
    (run / "config.json").write_text("{")
    at = select(runs_page(), "damaged")
    assert "config.json is damaged" in said(at.warning)
    assert all(at.button(key=k).disabled for k in ("runs_open", "runs_replay", "runs_resume", "runs_rename"))
    assert not at.button(key="runs_delete").disabled


def test_resume_goes_on_training_a_stopped_run(made, registry):
    run = put(made, registry.runs_dir, "a")
    (run / "config.json").write_text(TOY.replace(steps=90).to_json())  # 90 steps asked, checkpointed at 60
    at = select(runs_page(), "a")
    assert at.dataframe(key="runs_table").value.set_index("name").loc["a", "state"] == "stopped"
    at.button(key="runs_resume").click().run()
    assert not at.exception, at.exception
    assert "Resumed a from step 60" in said(at.success)
    runner = registry.get("a")
    runner.join(120)
    assert (runner.snapshot().state, runner.snapshot().step) == ("finished", 90)
    at.run()
    assert at.dataframe(key="runs_table").value.set_index("name").loc["a", "state"] == "finished"
