"""The notebook panels without a browser: buttons pressed from Python (ipywidgets' Button.click runs the same
handlers a click in JupyterLab does), `refresh()` called by hand (outside a kernel there is no event loop to poll
from), and what a frontend would receive read off the widgets."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from explorer.game.config import ConfigError, TrainConfig, log_stops
from explorer.notebook import compare, replay, train
from explorer.notebook.form import ConfigForm
from explorer.notebook.live import SMOOTH
from explorer.notebook.static import WIDGET_VIEW
from explorer.runs.recorder import COLUMNS, thin
from explorer.runs.run_folder import lock_run, writer_pid
from explorer.runs.snapshot import Snapshot
from explorer.runs.state import RunState
from tests.conftest import ROOT, wait_for


def _step(panel) -> int:
    return int(re.search(r"step ([\d,]+)", panel.status.value).group(1).replace(",", ""))


def _png_of(bundle: dict) -> bytes:
    return base64.b64decode(re.search(r"base64,([^']+)'", bundle["text/html"]).group(1))


def test_a_live_figure_sends_new_points_and_a_changed_style_and_replaces_other_traces():
    """LiveFigure.show: the usual redraw changes only x and y; a changed colour or a new set of traces reaches
    the widget too."""
    import plotly.graph_objects as go

    from explorer.notebook.live import LiveFigure

    def curve(ys, color="blue", name="D(x)"):
        return go.Figure(go.Scatter(x=list(range(len(ys))), y=ys, name=name, line=dict(color=color)))

    live = LiveFigure(curve([0.1, 0.2]))
    live.show(curve([0.1, 0.2, 0.3]))
    assert list(live.widget.data[0].y) == [0.1, 0.2, 0.3] and live.widget.data[0].line.color == "blue"
    live.show(curve([0.5], color="red"))
    assert list(live.widget.data[0].y) == [0.5] and live.widget.data[0].line.color == "red"
    live.show(curve([0.7], color="red", name="D(G(z))"))
    assert [t.name for t in live.widget.data] == ["D(G(z))"] and list(live.widget.data[0].y) == [0.7]


def test_the_browser_s_trace_defaults_after_a_redraw_raise_nothing_in_the_kernel():
    """After each redraw plotly.js sends every trace's defaults back, and a numpy x comes back as a dict of index ->
    value. plotly's own FigureWidget raises on that (plotly.py#4160): in JupyterLab a traceback at every redraw,
    formatted under the GIL the training thread needs, and a log console flashing without end."""
    import numpy as np
    import plotly.graph_objects as go

    from explorer.notebook.live import LiveFigure

    def curve(x):
        return go.Figure(go.Scatter(x=x, y=np.ones_like(x), name="p_g"))

    def deltas_back(widget):  # what plotly.js sends: the resolved defaults, x as JSON makes a Float32Array
        x = widget.data[0].x
        return {"_js2py_traceDeltas": {"trace_edit_id": widget._last_trace_edit_id, "trace_deltas": [
            {"uid": widget.data[0].uid, "visible": True, "x": {str(i): float(v) for i, v in enumerate(x)}}]}}

    plain = go.FigureWidget(curve(np.linspace(0, 1, 5, dtype=np.float32)))
    plain.data[0].x = np.linspace(0, 2, 5, dtype=np.float32)
    with pytest.raises(ValueError, match="ambiguous"):  # the bug this works around: if it is fixed, say so here
        plain.set_state(deltas_back(plain))

    live = LiveFigure(curve(np.linspace(0, 1, 5, dtype=np.float32)))
    live.show(curve(np.linspace(0, 2, 5, dtype=np.float32)))
    live.widget.set_state(deltas_back(live.widget))
    assert live.widget.data[0].x.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]  # the points the kernel sent stand
    assert not live.widget._trace_edit_in_process  # the edit is over, as after plotly's own handler


def test_what_the_browser_sends_a_panel_figure_is_not_echoed_back():
    """ipywidgets 8 echoes each state a frontend sets back to every frontend; for plotly's one-off messages from
    the browser (the defaults after each redraw, ~20 KB) that was most of the panel's traffic to the browser."""
    import plotly.graph_objects as go

    from explorer.notebook.live import LiveFigure

    def methods_sent(widget, state: dict) -> list[str]:
        sent = []
        widget._send = lambda msg, buffers=None: sent.append(msg["method"])
        widget.set_state(state)
        return sent

    layout_back = {"_js2py_layoutDelta": {"layout_delta": {"height": 360}, "layout_edit_id": 0}}
    assert "echo_update" in methods_sent(go.FigureWidget(go.Scatter(y=[1, 2])), layout_back)  # plotly's own widget
    live = LiveFigure(go.Figure(go.Scatter(y=[1, 2])))
    assert "echo_update" not in methods_sent(live.widget, layout_back)
    traces_back = {"_js2py_traceDeltas": {"trace_edit_id": 0, "trace_deltas": [{"visible": True}]}}
    assert "echo_update" not in methods_sent(live.widget, traces_back)


def test_the_form_is_built_from_the_field_metadata():
    form = ConfigForm(TrainConfig())
    assert form.widgets["lr_d"].description == "D's learning rate"
    assert "(lr_d)" in form.widgets["lr_d"].tooltip
    assert [v for _, v in form.widgets["lr_d"].options] == log_stops(1e-6, 1.0, 2e-3)
    assert dict(form.widgets["dataset"].options)["Ring of 8 Gaussians"] == "ring8"  # labels from explorer.names
    assert "data_root" not in form.widgets  # ui=False fields stay out, as in the sidebar
    advanced = form.advanced.children[0].children
    assert form.widgets["prior"] in advanced and form.widgets["k"] not in advanced
    assert form.widgets["momentum"].layout.display == "none"  # Adam: SGD's momentum is not shown
    form.widgets["optimizer"].value = "sgd"
    assert form.widgets["momentum"].layout.display is None


def test_choosing_a_data_set_loads_its_defaults():
    form = ConfigForm(TrainConfig())
    form.widgets["dataset"].value = "ring8"
    cfg, problem = form.config()
    assert problem is None and cfg == TrainConfig.for_dataset("ring8")


def test_an_invalid_combination_is_named_and_nothing_starts(runs_dir):
    panel = train("Figure 1: 1D Gaussian")
    panel.form.widgets["model"].value = "dcgan"  # an image family on a toy
    assert "Network family" in panel.form.error.value and "dcgan" in panel.form.error.value
    assert panel.buttons["start"].disabled
    panel.start()
    assert panel.runner is None and "Nothing started" in panel.trouble.value
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_train_refuses_bad_names_with_what_is_allowed():
    with pytest.raises(ConfigError, match="one of"):
        train("No such preset")
    with pytest.raises(ConfigError, match="a known field"):
        train("Figure 1: 1D Gaussian", learning_rate=0.1)
    with pytest.raises(ConfigError, match="not both"):
        train("Figure 1: 1D Gaussian", dataset="ring8")


@pytest.mark.timeout(240)
def test_start_pause_step_stop_and_live_learning_rate(runs_dir):
    panel = train(dataset="toy1d", steps=0)  # until stopped
    bundle = panel._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and "press Start" in bundle["text/plain"]
    assert panel._game.kind == "note" and "Figure 1" in panel.game.children[0].value  # what appears on Start
    panel.buttons["start"].click()
    assert panel.form.widgets["seed"].disabled and not panel.form.widgets["lr_d"].disabled

    def refreshed_step() -> int:
        panel.refresh()
        return _step(panel)

    wait_for(lambda: refreshed_step() > 50, 120)
    wait_for(lambda: (panel.refresh(), len(panel.charts["losses"].widget.data[0].x))[1] > 0, 60)
    assert panel._game.kind == "figure" and panel.game.children[0].data[0].name == "p_data"

    panel.form.widgets["lr_d"].value = 5e-3  # live: the runner applies it before its next step
    wait_for(lambda: (panel.refresh(), "lr_d 0.005" in panel.status.value)[1], 60)

    panel.buttons["pause"].click()
    wait_for(lambda: (panel.refresh(), panel.snapshot().state == "paused")[1], 60)
    paused_at = _step(panel)
    assert panel.buttons["pause"].disabled and not panel.buttons["step"].disabled
    panel.buttons["step"].click()
    wait_for(lambda: refreshed_step() == paused_at + 1, 60)

    panel.buttons["stop"].click()
    wait_for(lambda: (panel.refresh(), panel.snapshot().state == "stopped")[1], 60)
    assert not panel.buttons["start"].disabled and not panel.form.widgets["seed"].disabled
    run_dir = panel.snapshot().run_dir
    assert (run_dir / "config.json").is_file() and list((run_dir / "checkpoints").glob("step_*.pt"))

    # The static picture where no widget frontend runs: the status and one PNG of the figures.
    bundle = panel._repr_mimebundle_()
    assert "stopped" in bundle["text/html"] and _png_of(bundle).startswith(b"\x89PNG")

    # The run folder is an ordinary one: Replay opens it, at its last step.
    replayed = replay(run_dir)
    assert replayed.step == paused_at + 1


def _frontend_click(button) -> None:
    """What a click in a frontend sends the kernel (a custom message): Button.click() from Python sends none."""
    button._handle_custom_msg({"event": "click"}, [])


def _layout_reported(chart) -> None:
    """What plotly.js sends a chart's widget after its first plot (the layout it resolved): the chart was drawn."""
    chart.set_state({"_js2py_layoutDelta": {"layout_delta": {"height": 230}, "layout_edit_id": 0}})


def test_charts_a_frontend_could_not_load_become_pictures_with_what_to_do(runs_dir, monkeypatch):
    """VS Code with no internet cannot fetch anywidget's script (plotly's chart widget), so each chart shows an error
    box while the buttons work: after a click from the frontend, and no chart drawn in it, the game and the curves
    become pictures and the panel says why and what to do."""
    import explorer.notebook.live as live

    monkeypatch.setattr(live, "CHART_LOAD_SECONDS", 0.0)
    panel = train(dataset="toy1d", steps=0)
    _frontend_click(panel.buttons["start"])
    wait_for(lambda: (panel.refresh(), panel._game.kind == "game picture")[1], 120)
    assert panel.picture_mode and "jupyter.widgetScriptSources" in panel.trouble.value
    assert all(box.layout.display == "none" for box in panel._chart_boxes)
    assert panel.curves_picture.layout.display is None

    def pictures() -> tuple[bytes, bytes]:
        return bytes(panel.game.children[0].value), bytes(panel.curves_picture.value)

    first = pictures()
    assert all(p.startswith(b"\x89PNG") for p in first)
    monkeypatch.setattr(live, "PICTURE_SECONDS", 0.0)
    wait_for(lambda: (panel.refresh(), all(a != b for a, b in zip(pictures(), first, strict=True)))[1], 60)  # moving
    _frontend_click(panel.buttons["stop"])
    wait_for(lambda: (panel.refresh(), panel.snapshot().state == "stopped")[1], 60)
    assert "stopped" in panel.status.value and panel.picture_mode

    # The script came after all (a user allowed the CDN late): a chart reports its first plot, the charts are back.
    _layout_reported(panel.charts["losses"].widget)
    panel.refresh()
    assert not panel.picture_mode and panel._game.kind == "figure" and "did not load" not in panel.trouble.value
    assert all(box.layout.display is None for box in panel._chart_boxes)
    assert panel.curves_picture.layout.display == "none"
    assert len(panel.charts["losses"].widget.data[0].x) > 0


def test_charts_drawn_in_the_frontend_or_no_click_from_one_keep_the_live_charts(runs_dir, monkeypatch):
    import explorer.notebook.live as live

    monkeypatch.setattr(live, "CHART_LOAD_SECONDS", 0.0)
    drawn = train(dataset="toy1d", steps=30)
    _layout_reported(drawn.charts["losses"].widget)
    _frontend_click(drawn.buttons["start"])
    headless = train(dataset="toy1d", steps=30)
    headless.buttons["start"].click()  # from Python (a script, a test): no frontend to judge
    for panel in (drawn, headless):
        panel.runner.wait(120)
        panel.refresh()
        assert not panel.picture_mode and panel._game.kind == "figure" and "widgetScriptSources" not in \
            panel.trouble.value


@pytest.mark.timeout(240)
def test_the_game_box_reuses_its_widgets_when_the_data_set_changes_between_runs(runs_dir):
    # A new FigureWidget each time the box turned back to a figure made the browser load plotly.js again and left
    # the old widget's model behind.
    panel = train(dataset="toy1d", steps=30, sample_interval=10)
    shown = []
    for dataset in ("toy1d", "digits8x8", "toy1d", "digits8x8"):
        panel.form.widgets["dataset"].value = dataset
        panel.form.widgets["steps"].value = 30
        panel.start()
        panel.runner.wait(120)
        panel.refresh()
        assert panel._game.kind == ("figure" if dataset == "toy1d" else "image")
        shown.append(panel.game.children[0])
    assert shown[0] is shown[2] and shown[1] is shown[3] and shown[0] is not shown[1]
    assert "step 30" in shown[2].layout.title.text


@pytest.mark.timeout(240)
def test_the_curves_take_only_new_rows_also_after_the_record_thins_its_older_ones():
    """The recorder holds a long run's older steps as means (recorder.MEMORY_ROWS), so row numbers shift: the panel
    finds what is new by step. A record cut back (a divergence) or another run draws anew."""
    panel = train(dataset="toy1d")
    cfg = panel.form.config()[0]
    rng = np.random.default_rng(0)

    def snap(rows: np.ndarray, name: str = "r") -> Snapshot:
        return Snapshot(name, None, cfg, RunState.RUNNING, int(rows[-1, 0]), 0.0, 0.0, "cpu", cfg.lr_d, cfg.lr_g,
                        cfg.k, rows)

    full = rng.normal(size=(3000, len(COLUMNS)))
    full[:, 0] = np.arange(1, 3001)
    panel._curves(snap(full[:2000]))
    history, _ = thin(full[:1500], np.ones(1500, np.int64), 50)
    curves = panel._curves(snap(np.concatenate([history, full[1500:]])))
    assert len(curves) == 3000 and curves.last_step == 3000  # the 1,000 new rows, nothing taken twice
    assert np.allclose(curves.curve("d_x")[1][-1], full[-SMOOTH:, 1 + list(COLUMNS[1:]).index("d_x")].mean())
    assert len(panel._curves(snap(full[:2500]))) == 2500  # cut back to step 2,500: drawn anew
    assert len(panel._curves(snap(full[:100], name="other"))) == 100


def test_two_panels_on_one_run_agree(runs_dir):
    first = train(dataset="ring8", steps=200, sample_interval=50, wait=True)
    second = train(first.runner)
    assert second.status.value == first.status.value
    assert "finished" in first.status.value and "step 200 / 200" in first.status.value
    assert first.game.children[0].data[0].type == "heatmap"  # GAN Lab's view of a 2D toy


def test_replay_of_a_bundled_demo_follows_the_slider():
    panel = replay("figure1-gaussian")
    steps = [s for _, s in panel.slider.options]
    assert steps[0] == 0 and steps[-1] == 3000 and panel.step == 3000
    panel.slider.value = 500
    assert panel.step == 500 and max(panel.charts["losses"].widget.data[0].x) <= 500
    assert list(panel.charts["losses"].widget.layout.xaxis.range) == [0, 3000]  # axes span the whole run
    assert "step 500" in panel.game.children[0].layout.title.text
    assert _png_of(panel._repr_mimebundle_()).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="bundled demo"):
        replay("no-such-run")


def test_the_writer_of_a_run_folder_is_known_without_taking_its_lock(tmp_path):
    assert writer_pid(tmp_path) is None  # no lock file: nobody trains it
    held = lock_run(tmp_path)
    assert writer_pid(tmp_path) == os.getpid()
    held.close()
    assert writer_pid(tmp_path) is None  # the lock file stays, naming a process that let go
    lock_run(tmp_path).close()  # looking took nothing: a writer still gets the lock


def test_a_replay_panel_follows_a_run_the_cli_is_training_until_it_stops(runs_dir):
    cli = subprocess.Popen([sys.executable, "-m", "explorer", "train", "--dataset", "toy1d", "--steps", "0",
                            "--set", "sample_interval=50", "--runs-dir", str(runs_dir), "--name", "elsewhere",
                            "--no-progress"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        folder = runs_dir / "elsewhere"
        wait_for(lambda: len(list((folder / "samples").glob("step_*"))) >= 3, timeout=120)
        panel = replay("elsewhere", runs_dir=runs_dir)
        assert panel.following and panel.follow.value and f"trained by process {cli.pid}" in panel.title.value
        first_frames, first_points = len(panel.slider.options), len(panel.charts["losses"].widget.data[0].x)
        def grown() -> bool:  # frames come every 50 steps, metrics.csv every few seconds
            panel.refresh()
            return (len(panel.slider.options) > first_frames + 1
                    and len(panel.charts["losses"].widget.data[0].x) > first_points)

        wait_for(grown, timeout=120)
        assert panel.step == panel.slider.options[-1][1]  # "Follow" keeps it on the newest frame
        assert f"step {panel.step}" in panel.game.children[0].layout.title.text
        panel.follow.value = False
        panel.slider.value = panel.slider.options[1][1]  # looking back: new frames do not pull the slider away
        looked_back, frames = panel.slider.options[1][1], len(panel.slider.options)
        wait_for(lambda: (panel.refresh(), len(panel.slider.options) > frames)[1], timeout=120)
        assert panel.slider.value == looked_back and panel.step == looked_back
    finally:
        cli.send_signal(signal.SIGTERM)  # the CLI saves a checkpoint and lets go of the folder
        cli.communicate(timeout=120)
    panel.refresh()
    assert not panel.following and "live" not in panel.title.value and panel.follow.layout.display == "none"
    assert replay("elsewhere", runs_dir=runs_dir).following is False


def test_compare_draws_seed_groups_as_bands(runs_dir):
    a = train(dataset="toy1d", steps=60, seed=0, wait=True)
    b = train(dataset="toy1d", steps=60, seed=1, wait=True)
    panel = compare([a, b, "figure1-gaussian"])
    assert not panel.grouped.disabled and panel.grouped.value
    names = [t.name for t in panel.chart.widget.data]
    assert any(name.endswith("± std") for name in names)  # the band of the two seeds
    panel.grouped.value = False
    assert len(panel.chart.widget.data) == 3  # one line per run
    assert _png_of(panel._repr_mimebundle_()).startswith(b"\x89PNG")
