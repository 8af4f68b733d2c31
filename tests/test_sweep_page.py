"""Sweeps and their stability maps: the map's cells (explorer.sweeps.maps), its figure (explorer.plots.sweep), the
Sweeps page through AppTest, and sweep trials on the Runs page (explorer.runs.catalog).

A sweep is made without Ray: create_sweep writes its spec, each trial's folder is a copy of one small toy1d run
trained once for the module (its config.json rewritten to the trial's), and write_results writes a results table
with chosen figures, diverged and failed trials among them. One test starts a real 2-trial sweep from the page
on a local Ray.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from explorer import Runner, TrainConfig
from explorer.plots.sweep import stability_figure
from explorer.runs import catalog, run_folder
from explorer.sweeps import maps
from explorer.sweeps.spec import SweepSpec
from explorer.sweeps.sweep_folder import create_sweep, is_running, read_results, result_columns, write_results
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = "pages/sweeps.py"
TIMEOUT = 60
GRID = (("lr_d", ("1e-2", "1e-4", "1e-3")), ("loss", ("minimax", "non_saturating")))  # lr_d out of order
SEEDS = (0, 1)


# ------------------------------------------------------------------------------------------ making sweeps

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """One small finished toy1d run with recorded frames: every trial's folder is a copy of it."""
    runner = Runner(TrainConfig(dataset="toy1d", steps=40, sample_interval=20, checkpoint_interval=20),
                    runs_dir=tmp_path_factory.mktemp("template"), name="template").start()
    runner.join(240)
    assert runner.snapshot().state == "finished", runner.snapshot().error
    return runner.run_dir


def js_of(lr_d: float, loss: str, seed: int) -> float:
    """The JS each finished trial reports: distinct per trial, so a cell's mean is checkable."""
    return round({1e-4: 0.5, 1e-3: 0.2, 1e-2: 0.3}[lr_d] + (0.1 if loss == "minimax" else 0.0) + 0.02 * seed, 6)


def make_sweep(template: Path, parent: Path, name: str = "lecture", grid=GRID, seeds=SEEDS) -> tuple[Path, SweepSpec]:
    """A sweep in parent/sweeps/NAME with every trial's run folder and its results: lr_d=1e-2 with minimax
    diverged for every seed; with non_saturating its seed 1 failed; the rest finished with js_of's JS."""
    path, spec = create_sweep(parent, SweepSpec(name=name, dataset="toy1d", preset=None, overrides=(), grid=grid,
                                                seeds=seeds, steps=40))
    rows = []
    for trial in spec.trials():
        run_dir = Path(shutil.copytree(template, path / trial.name, ignore=shutil.ignore_patterns(".lock")))
        (run_dir / "config.json").write_text(trial.config.to_json())
        row = {"trial": trial.index, "run": trial.name, **trial.params, "seed": trial.seed, "step": 40,
               "seconds": 1.0}
        lr, loss = trial.params.get("lr_d", 1e-3), trial.params.get("loss", "minimax")
        if lr == 1e-2 and loss == "minimax":
            row.update(state="diverged", step=12, error="the losses became NaN at step 12")
        elif lr == 1e-2 and trial.seed == 1:
            row.update(state="failed", step=0, error="RuntimeError: out of memory")
        else:
            row.update(state="finished", js=js_of(lr, loss, trial.seed), d_on_data=0.5, steps_per_s=100.0)
        rows.append(row)
    write_results(path, spec, rows)
    return path, spec


@pytest.fixture
def demo_sweeps(tmp_path, monkeypatch) -> Path:
    """An empty bundled-sweeps folder of the test's own (read at call time by the page and find_run_dir)."""
    d = tmp_path / "demo_sweeps"
    d.mkdir()
    monkeypatch.setattr(run_folder, "DEMO_SWEEPS_DIR", d)
    monkeypatch.setattr(run_folder, "DEMO_RUNS_DIR", tmp_path / "no_demo_runs")
    return d


def sweeps_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(PAGE).run()


def texts(at: AppTest) -> str:
    return "\n".join([e.value for kind in ("markdown", "caption", "info", "error", "warning", "success")
                      for e in getattr(at, kind)])


def chart(at: AppTest) -> dict:
    """The stability map as the browser would get it (plotly's JSON)."""
    charts = at.get("plotly_chart")
    assert charts, "no chart on the page"
    return json.loads(charts[0].proto.spec)


def by_cell(fig: dict) -> dict[tuple[str, str], dict]:
    """{(x label, y label): {"trace": name, "text": ..., "hover": ..., "colour": ...}} of every drawn cell."""
    out = {}
    for trace in fig["data"]:
        colours = trace["marker"].get("color")
        for i, (_, x, y) in enumerate(trace["customdata"]):
            out[x, y] = {"trace": trace["name"], "text": trace["text"][i], "hover": trace["hovertext"][i],
                         "colour": colours[i] if isinstance(colours, list) else colours}
    return out


# ------------------------------------------------------------------------------------------ maps.py

def results_frame(rows: list[tuple]) -> pd.DataFrame:
    """A results table of (run, state, lr_d, loss, seed, js) rows, with the columns read_results gives."""
    frame = pd.DataFrame(rows, columns=["run", "state", "lr_d", "loss", "seed", "js"])
    frame.insert(0, "trial", range(len(frame)))
    spec = SweepSpec("s", "ring8", None, (), (("lr_d", ("1",)), ("loss", ("minimax",))), (0,), 1)
    return frame.reindex(columns=result_columns(spec))


RESULTS = results_frame([
    ("a1", "finished", 1e-2, "minimax", 1, 0.40), ("a0", "finished", 1e-2, "minimax", 0, 0.20),
    ("b0", "diverged", 1e-4, "minimax", 0, None), ("b1", "diverged", 1e-4, "minimax", 1, None),
    ("c0", "finished", 1e-3, "minimax", 0, 0.30), ("c1", "diverged", 1e-3, "minimax", 1, None),
    ("d0", "failed", 1e-3, "non_saturating", 0, None),
    ("e0", "finished", 1e-4, "non_saturating", 0, 0.10), ("e1", "finished", 1e-4, "non_saturating", 1, 0.12),
])


def test_a_cell_is_the_mean_over_its_finished_seeds_and_counts_the_others():
    smap = maps.stability_map(RESULTS, "js", "lr_d", "loss")
    cells = smap.cells.set_index(["x_label", "y_label"])
    assert smap.x_labels == ["1e-4", "1e-3", "1e-2"]  # numerically, though the table lists 1e-2 first
    assert smap.y_labels == ["minimax", "non_saturating"]  # as written (the spec's order)
    a = cells.loc["1e-2", "minimax"]
    assert a["mean"] == pytest.approx(0.30) and a["std"] == pytest.approx(math.sqrt(0.02))
    assert (a["n"], a["finished"], a["status"]) == (2, 2, "finished")
    assert a["runs"] == ("a0", "a1") and a["seeds"] == (0, 1) and a["values"] == (0.20, 0.40)  # by seed
    c = cells.loc["1e-3", "minimax"]  # one seed diverged: not in the mean, but counted
    assert (c["mean"], c["n"], c["diverged"], c["status"]) == (0.30, 1, 1, "finished") and math.isnan(c["std"])
    assert math.isnan(c["values"][1]) and c["states"] == ("finished", "diverged")
    b = cells.loc["1e-4", "minimax"]
    assert (b["status"], b["diverged"], b["n"]) == ("diverged", 2, 0) and math.isnan(b["mean"])
    assert cells.loc["1e-3", "non_saturating"]["status"] == "failed"
    assert cells.loc["1e-2", "non_saturating"]["status"] == "pending"  # no such trial in the table
    assert cells.loc["1e-2", "non_saturating"]["runs"] == ()


def test_levels_draw_the_cells_no_trial_has_reached_and_other_axes_can_be_fixed():
    levels = {"lr_d": [1e-2, 1e-4, 1e-3, 1e-1], "loss": ["minimax", "non_saturating"]}
    smap = maps.stability_map(RESULTS.iloc[:2], "js", "lr_d", "loss", levels=levels)
    assert smap.x_labels == ["1e-4", "1e-3", "1e-2", "0.1"]
    assert (smap.cells["status"] == "pending").sum() == 7
    one_row = maps.stability_map(RESULTS, "js", "lr_d", None, fixed={"loss": "non_saturating"})
    assert one_row.y_labels == [""]
    assert list(one_row.cells["status"]) == ["finished", "failed", "pending"]
    assert one_row.cells.iloc[0]["mean"] == pytest.approx(0.11)
    with pytest.raises(ValueError, match="no column 'k'"):
        maps.stability_map(RESULTS, "js", "k", "loss")


def test_axes_figures_and_value_labels():
    assert maps.sweep_axes(RESULTS) == ["lr_d", "loss"]
    assert maps.offered_figures(RESULTS) == ["js"]  # the only figure with a value
    assert [maps.value_label(v) for v in (1e-4, 3e-4, 0.001, 0.0025, 0.01, 0.5, 2, 2.0, "minimax")] == \
        ["1e-4", "3e-4", "1e-3", "2.5e-3", "1e-2", "0.5", "2", "2", "minimax"]
    assert maps.axis_levels([3, 1, 2]) == [1, 2, 3] and maps.axis_levels(["sgd", "adam"]) == ["sgd", "adam"]


# ------------------------------------------------------------------------------------------ the figure

def test_the_figure_writes_each_mean_marks_diverged_cells_and_turns_the_scale_so_darker_is_better():
    smap = maps.stability_map(RESULTS, "js", "lr_d", "loss")
    fig = stability_figure(smap.cells, smap.label, "lr_d", "loss", lower_is_better=True).to_plotly_json()
    cells = by_cell(fig)
    assert cells["1e-2", "minimax"]["text"] == "0.3" and cells["1e-2", "minimax"]["colour"] == pytest.approx(0.3)
    assert "0.3 ± 0.141 over 2 seeds" in cells["1e-2", "minimax"]["hover"]
    assert "seed 0: 0.2" in cells["1e-2", "minimax"]["hover"] and "seed 1: 0.4" in cells["1e-2", "minimax"]["hover"]
    assert cells["1e-3", "minimax"]["text"].endswith("1 ✕</span>")  # one of its seeds diverged
    assert "seed 1: diverged" in cells["1e-3", "minimax"]["hover"]
    assert cells["1e-4", "minimax"]["trace"] == "diverged" and cells["1e-4", "minimax"]["text"].startswith("✕")
    assert cells["1e-3", "non_saturating"]["trace"] == "failed"
    assert cells["1e-2", "non_saturating"]["trace"] == "pending"
    coloured = next(t for t in fig["data"] if t["name"] == smap.label)
    assert coloured["marker"]["reversescale"] is True  # JS: lower is better, so low is dark
    modes = stability_figure(smap.cells, "modes covered", "lr_d", "loss", lower_is_better=False).to_plotly_json()
    assert next(t for t in modes["data"] if t["name"] == "modes covered")["marker"]["reversescale"] is False
    assert fig["layout"]["xaxis"]["categoryarray"] == ["1e-4", "1e-3", "1e-2"]


# ------------------------------------------------------------------------------------------ the page

def test_a_fresh_runs_folder_says_how_to_start_a_sweep(registry, demo_sweeps):
    at = sweeps_page()
    assert not at.exception
    assert "No sweeps yet" in texts(at) and "python -m explorer sweep" in texts(at)
    assert at.button(key="FormSubmitter:sweeps_form-Start the sweep")  # the form is there to start one
    assert not at.get("plotly_chart")


def test_a_fresh_runs_folder_shows_the_bundled_sweep(registry, template, demo_sweeps):
    bundled_dir = demo_sweeps / "bundled"
    make_sweep(template, bundled_dir, "ring-demo")
    shutil.move(bundled_dir / "sweeps" / "ring-demo", demo_sweeps / "ring-demo")
    at = sweeps_page()
    assert not at.exception
    assert at.selectbox(key="sweeps_pick").value == "ring-demo"
    assert "(bundled)" in at.selectbox(key="sweeps_pick").format_func("ring-demo")
    assert "Each cell is the mean over 2 seeds of **JS divergence (nats)** after 40 steps" in texts(at)
    assert "darker is better (lower)" in texts(at)
    assert len(by_cell(chart(at))) == 6


def test_the_shipped_bundled_sweep_is_shown_when_it_exists(registry):
    """The real assets/demo_sweeps/ (until the bundled sweep lands, the page says there are none)."""
    at = sweeps_page()
    assert not at.exception
    demos = run_folder.DEMO_SWEEPS_DIR
    bundled = list(demos.glob("*/sweep.json")) if demos.is_dir() else []
    if bundled:
        assert at.selectbox(key="sweeps_pick").value in {p.parent.name for p in bundled}
        assert chart(at)["data"]
    else:
        assert "No sweeps yet" in texts(at)


def test_a_sweep_s_map_shows_means_over_seeds_and_marks_diverged_cells(registry, runs_dir, template, demo_sweeps):
    make_sweep(template, runs_dir)
    at = sweeps_page({"sweep": "lecture"})
    assert not at.exception
    assert at.selectbox(key="sweeps_pick").value == "lecture"
    assert ("D's learning rate ∈ {1e-2, 1e-4, 1e-3} × G's loss ∈ {minimax (saturating), non-saturating} · "
            "seeds 0, 1") in texts(at)  # settings and their values named for people (explorer.names)
    fig = chart(at)
    cells = by_cell(fig)
    assert fig["layout"]["xaxis"]["categoryarray"] == ["1e-4", "1e-3", "1e-2"]
    for lr in (1e-4, 1e-3):
        for loss in ("minimax", "non_saturating"):
            mean = (js_of(lr, loss, 0) + js_of(lr, loss, 1)) / 2
            assert cells[maps.value_label(lr), loss]["colour"] == pytest.approx(mean)
    assert cells["1e-2", "minimax"]["trace"] == "diverged" and "diverged" in cells["1e-2", "minimax"]["hover"]
    assert cells["1e-2", "non_saturating"]["text"].endswith("1 !</span>")  # its other seed failed
    table = at.dataframe[0].value
    assert len(table) == 12 and set(table["state"]) == {"finished", "diverged", "failed"}
    # Another figure and the axes swapped: the same trials, drawn the other way round.
    at.selectbox(key="sweeps_x__lecture").set_value("loss").run()
    assert chart(at)["layout"]["xaxis"]["categoryarray"] == ["minimax", "non_saturating"]


def test_clicking_a_cell_offers_its_seeds_and_opens_the_replay_of_the_one_picked(registry, runs_dir, template,
                                                                                 demo_sweeps):
    path, spec = make_sweep(template, runs_dir)
    at = sweeps_page({"sweep": "lecture"})
    # The chart's on_select stores the clicked cell (what a click does in the browser: tests/test_browser_sweeps.py)
    at.session_state["sweeps_cell"] = ("lecture", "1e-3", "non_saturating")
    at.run()
    assert ("**D's learning rate = 1e-3 · G's loss = non-saturating**: JS divergence (nats) 0.21 ± 0.0141 over 2 "
            "seeds") in texts(at)
    trial = next(t for t in spec.trials() if t.params == {"lr_d": 1e-3, "loss": "non_saturating"} and t.seed == 1)
    button = at.button(key=f"sweeps_replay_seed{trial.seed}")
    assert button.label == "Seed 1 · 0.22"
    button.click().run()
    assert not at.exception
    assert at.title[0].value == "Replay"
    assert at.selectbox(key="replay_run").value == trial.name
    assert f"**{trial.name}**" in texts(at) and "lr_d 0.001" in texts(at)


def test_a_click_on_a_cell_of_one_run_opens_its_replay_at_once(registry, runs_dir, template, demo_sweeps):
    from explorer.sweeps.maps import cell_of_point

    path, spec = make_sweep(template, runs_dir, "one-seed", seeds=(3,))
    trial = spec.trials()[1]
    # What Streamlit hands the chart's on_select for a click on that cell.
    point = {"curve_number": 0, "point_index": 1, "x": maps.value_label(trial.params["lr_d"]),
             "y": trial.params["loss"], "customdata": [1, maps.value_label(trial.params["lr_d"]), trial.params["loss"]]}
    assert cell_of_point(point) == (maps.value_label(trial.params["lr_d"]), trial.params["loss"])
    at = sweeps_page({"sweep": "one-seed"})
    at.session_state["sweeps_jump"] = trial.name  # what _clicked asks for when the cell holds one run
    at.run()
    assert at.title[0].value == "Replay" and at.selectbox(key="replay_run").value == trial.name


@pytest.mark.parametrize(("change", "message"), [
    ({"x_values": "1e-4,abc"}, "lr_d='abc' is not allowed: expected a number"),
    ({"x_values": "1e-4,1e-3,1e-2,1e-1,0.2,0.3,0.5", "seeds": "0,1,2"}, "42 trials is more than the 36"),
    ({"seeds": "0-9"}, "60 trials is more than the 36"),
    ({"x_values": " "}, "Give the values of lr_d"),
    ({"y": "lr_d"}, "Both axes are lr_d"),
    ({"seeds": "0,x"}, "write seeds as 0,1,2 or a range 0-4"),
    ({"y_values": "minimax,minimax"}, "repeats a value"),
])
def test_the_start_form_refuses_bad_input_and_starts_nothing(registry, runs_dir, demo_sweeps, change, message):
    at = sweeps_page()
    for field, value in change.items():
        (at.selectbox if field == "y" else at.text_input)(key=f"sweeps_form_{field}").set_value(value)
    at.button(key="FormSubmitter:sweeps_form-Start the sweep").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(e.startswith("Not started: ") and message in e for e in errors), errors
    assert not (runs_dir / "sweeps").exists() or not any((runs_dir / "sweeps").iterdir())


def test_a_damaged_results_table_and_a_sweep_deleted_under_the_page_say_what_happened(registry, runs_dir, template,
                                                                                      demo_sweeps):
    path, _ = make_sweep(template, runs_dir)
    make_sweep(template, runs_dir, "other")
    at = sweeps_page({"sweep": "lecture"})
    (path / "results.csv").write_text("this is not,a results table\n1\n")
    at.run()
    assert not at.exception
    assert "(damaged)" in at.selectbox(key="sweeps_pick").format_func("lecture")
    assert any("results.csv has no trial, run, state column: delete it and resume" in e.value for e in at.error)
    shutil.rmtree(path)
    at.run()
    assert not at.exception
    assert any("There is no sweep `lecture`" in w.value for w in at.warning)
    assert at.selectbox(key="sweeps_pick").value == "other"


def test_a_stopped_sweep_offers_resume_and_a_dead_sweep_process_shows_its_log(registry, runs_dir, template,
                                                                              demo_sweeps):
    path, spec = make_sweep(template, runs_dir)
    results = read_results(path, spec)
    write_results(path, spec, results.iloc[:9].to_dict("records"))  # 3 trials never ended
    at = sweeps_page({"sweep": "lecture"})
    assert not at.exception
    assert "Stopped with 3 of 12 trials to go." in texts(at)
    assert at.button(key="sweeps_resume").label == "Resume the sweep"
    assert by_cell(chart(at))["1e-3", "non_saturating"]["trace"] == "pending"  # its trials are among the 3
    # A process that said it was running and is gone, leaving its error in the log.
    (path / "progress.json").write_text(json.dumps({"state": "running", "total": 12, "ended": 9, "pid": 1}))
    (path / "sweep.log").write_text("error: could not connect to a local Ray: no space left on device\n")
    at.run()
    assert any("ended with an error" in e.value for e in at.error)
    assert "could not connect to a local Ray" in at.code[0].value


# ------------------------------------------------------------------------------------------ the Runs page

def test_sweep_trials_are_listed_on_the_runs_page_and_keep_their_names(registry, runs_dir, template, demo_sweeps):
    path, spec = make_sweep(template, runs_dir, grid=(("lr_d", ("1e-3", "1e-2")),), seeds=(0,))
    shutil.copytree(template, runs_dir / "own-run")
    table = catalog.run_table(runs_dir, demo_dir=demo_sweeps).set_index("name")
    trial = spec.trials()[0].name
    assert table.loc[trial, "sweep"] == "lecture" and table.loc["own-run", "sweep"] == ""
    assert table.loc[trial, "lr_d"] == 1e-3 and table.loc[trial, "path"] == str(path / trial)
    for action in (lambda: catalog.rename_run(runs_dir, trial, "mine"), lambda: catalog.delete_run(runs_dir, trial)):
        with pytest.raises(catalog.CatalogError, match=f"{trial} is part of sweep lecture"):
            action()
    assert (path / trial / "config.json").is_file() and not (runs_dir / "mine").exists()

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception
    at.multiselect(key="runs_filter_sweep").set_value(["lecture"]).run()
    shown = at.dataframe[0].value
    assert sorted(shown["name"]) == sorted(t.name for t in spec.trials())


# ------------------------------------------------------------------------------------------ a real sweep

@pytest.mark.slow
def test_a_sweep_started_from_the_page_runs_on_a_local_ray_and_fills_the_map(registry, runs_dir, demo_sweeps):
    at = sweeps_page()
    at.selectbox(key="sweeps_form_dataset").set_value("toy1d")
    at.text_input(key="sweeps_form_name").set_value("from-page")
    at.text_input(key="sweeps_form_x_values").set_value("1e-3,1e-2")
    at.selectbox(key="sweeps_form_y").set_value("(none)")
    at.text_input(key="sweeps_form_seeds").set_value("0")
    at.number_input(key="sweeps_form_steps").set_value(100)
    at.button(key="FormSubmitter:sweeps_form-Start the sweep").click().run()
    assert not at.exception
    assert any("Started the sweep from-page: 2 trials of 100 steps" in s.value for s in at.success)
    path = runs_dir / "sweeps" / "from-page"
    assert at.selectbox(key="sweeps_pick").value == "from-page"
    try:
        wait_for(lambda: len(read_results(path)) == 2, timeout=300, every=1.0)
    finally:
        log = path / "sweep.log"
        print(log.read_text()[-3000:] if log.exists() else "(no log)")
    wait_for(lambda: not is_running(path), timeout=120, every=0.5)  # the process has let go of the sweep
    at.run()
    assert not at.exception
    cells = by_cell(chart(at))
    assert set(cells) == {("1e-3", ""), ("1e-2", "")}
    assert all(c["trace"] != "pending" for c in cells.values())
    assert set(read_results(path)["state"]) <= {"finished", "diverged"}
