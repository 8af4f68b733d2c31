"""The Streamlit app through streamlit.testing.v1.AppTest: Home and the Train page.

`run_every` never fires in AppTest, so a test calls `at.run()` again to see a later state. The run registry
lives in st.cache_resource, which is process-global: each test gets a fresh one on a tmp runs dir and every
run it started is stopped afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.errors import AppTestError

from explorer.lessons.presets import PRESETS
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
TRAIN = "pages/train.py"
TIMEOUT = 60


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(TRAIN)
    at.run()
    assert not at.exception, at.exception
    return at


def text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_home_renders_device_presets_and_navigation(registry):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "GAN Explorer"
    assert "log(1 - D(G(z)))" in at.latex[0].value.replace(r"\log", "log")
    from explorer.game.device import device_label, pick_device

    assert device_label(pick_device()) in text(at)
    labels = [b.label for b in at.button]
    assert all(name in labels for name in PRESETS)
    assert all(b.help for b in at.button if b.key.startswith("preset_"))  # each preset's note on hover
    assert "No run in progress." in "\n".join(c.value for c in at.caption)


def home_frame(at: AppTest) -> tuple[str, str]:
    """(the caption's step line, the figure's spec) of Home's player."""
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id and "home_figure" in c.proto.id]
    caption = next(m.value for m in at.markdown if m.value.startswith("**step "))
    return caption, chart.proto.spec


def test_home_plays_the_figure1_demo_from_its_frames_and_loops(registry):
    from app import home
    from explorer.runs.replay import Recording
    from explorer.runs.run_folder import DEMO_RUNS_DIR

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    first = home_frame(at)
    assert first[0].startswith("**step 0 of 3,000:**")
    at.run()  # a full run draws the next frame, as each tick of the fragment does in a browser
    second = home_frame(at)
    assert second[0].startswith("**step 50 of 3,000:**") and second[1] != first[1]
    assert not registry.runners()  # played from the recording: nothing trains
    n = len(Recording.open(DEMO_RUNS_DIR / home.DEMO).frames)
    shown = [home.loop_index(t, n) for t in range(2 * (n + home.HOLD_TICKS))]
    assert shown[: n] == list(range(n)) and shown[n: n + home.HOLD_TICKS] == [n - 1] * home.HOLD_TICKS
    assert shown[n + home.HOLD_TICKS] == 0  # and round again


def test_home_frame_captions_say_what_the_frame_shows():
    from app import home
    from explorer.runs.replay import Recording
    from explorer.runs.run_folder import DEMO_RUNS_DIR

    rec = Recording.open(DEMO_RUNS_DIR / home.DEMO)
    first = home.frame_caption(0, rec.last_step, rec.frame_at(0)[1])
    assert "barely overlaps" in first  # step 0: G's samples away from the data, JS near log 2
    captions = {step: home.frame_caption(step, rec.last_step, rec.frame_at(step)[1]) for step, _ in rec.frames}
    for step, caption in captions.items():
        view = rec.frame_at(step)[1]
        low, high = home.d_span(view)
        assert f"{low:.2f}" in caption and f"{high:.2f}" in caption
        assert ("nearly flat" in caption) == (high - low <= home.FLAT)
    assert any("nearly flat" in c for c in captions.values()) and any("runs from" in c for c in captions.values())


def test_train_this_yourself_opens_train_with_the_figure1_preset(registry):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.button(key="home_train").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Train"
    assert at.sidebar.selectbox(key="cfg_dataset").value == "toy1d"
    assert not at.button(key="start").disabled and not registry.runners()


def test_train_page_widgets_exist(registry):
    at = train_page()
    assert at.sidebar.selectbox(key="cfg_dataset").value == "toy1d"
    assert {"cfg_model", "cfg_loss", "cfg_optimizer", "cfg_prior"} <= {w.key for w in at.sidebar.selectbox}
    assert {"cfg_lr_d", "cfg_lr_g"} <= {w.key for w in at.sidebar.select_slider}
    assert "cfg_k" in {w.key for w in at.sidebar.slider}
    assert at.sidebar.checkbox(key="cfg_fresh_noise_for_g").value is True
    assert all(w.help for w in at.sidebar.selectbox if w.key and w.key.startswith("cfg_"))
    assert [b.label for b in at.button] == ["Start", "Pause", "Resume", "Stop", "Step"]
    assert not at.button(key="start").disabled and at.button(key="pause").disabled
    # Adam's beta1 is shown, SGD's momentum is not; switching the optimizer swaps them.
    assert "cfg_beta1" in {w.key for w in at.sidebar.slider}
    at.sidebar.selectbox(key="cfg_optimizer").set_value("sgd").run()
    sliders = {w.key for w in at.sidebar.slider}
    assert "cfg_momentum" in sliders and "cfg_beta1" not in sliders


def test_dataset_change_loads_its_defaults(registry):
    at = train_page()
    at.sidebar.selectbox(key="cfg_dataset").set_value("ring8").run()
    assert not at.exception
    assert at.sidebar.number_input(key="cfg_steps").value == 10000
    assert at.sidebar.select_slider(key="cfg_lr_d").value == pytest.approx(1e-3)
    assert "cfg_g_average" not in {w.key for w in at.sidebar.select_slider}  # toys have no evaluations


def test_paper_preset_shows_its_weight_average_on_a_slider_of_useful_stops(registry):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.button(key=f"preset_{list(PRESETS).index('Paper: MNIST MLPs (SGD)')}").click().run()
    assert not at.exception, at.exception
    average = at.sidebar.select_slider(key="cfg_g_average")
    assert average.value == 0.99999 and {"0", "0.999", "0.9999"} <= set(average.options)


def test_start_starts_a_run_and_it_progresses(registry):
    at = train_page()
    at.button(key="start").click().run()
    assert not at.exception, at.exception
    runners = registry.runners()
    assert len(runners) == 1 and runners[0].snapshot().alive
    runner = runners[0]
    assert at.query_params["run"] == [runner.name] or at.query_params["run"] == runner.name
    wait_for(lambda: runner.snapshot().step >= 50)
    at.run()
    assert not at.exception, at.exception
    assert f"step **{runner.snapshot().step}" in text(at) or "step **" in text(at)
    assert len(at.get("plotly_chart")) == 4  # live toy plot + three training charts
    # Pause stops the step count; Resume continues.
    at.button(key="pause").click().run()
    wait_for(lambda: runner.snapshot().state == "paused")
    step = runner.snapshot().step
    time.sleep(0.5)
    assert runner.snapshot().step == step
    at.run()
    at.button(key="step").click().run()
    wait_for(lambda: runner.snapshot().step == step + 1)
    at.button(key="resume").click().run()
    wait_for(lambda: runner.snapshot().step > step + 20)
    at.button(key="stop").click().run()
    assert runner.snapshot().state == "stopped"
    assert not at.exception, at.exception


def test_learning_rates_and_k_change_while_running(registry):
    at = train_page()
    at.sidebar.number_input(key="cfg_steps").set_value(0).run()  # until stopped
    at.button(key="start").click().run()
    runner = registry.runners()[0]
    wait_for(lambda: runner.snapshot().state == "running")
    at.run()
    at.select_slider(key=f"live_lr_d__{runner.name}").set_value(1e-4).run()
    at.slider(key=f"live_k__{runner.name}").set_value(3).run()
    assert not at.exception, at.exception
    wait_for(lambda: runner.snapshot().lr_d == pytest.approx(1e-4) and runner.snapshot().k == 3)
    assert runner.snapshot().state == "running"


def test_invalid_setting_shows_error_and_starts_nothing(registry):
    at = train_page()
    at.sidebar.selectbox(key="cfg_model").set_value("dcgan").run()  # the widget allows it, the config does not
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert errors and "model" in errors[0] and "dcgan" in errors[0]
    assert at.button(key="start").disabled
    with pytest.raises(AppTestError, match="disabled"):
        at.button(key="start").click()
    at.run()
    assert registry.runners() == []
    # Back to a valid model: the error goes and Start is enabled again.
    at.sidebar.selectbox(key="cfg_model").set_value("auto").run()
    assert not at.sidebar.error and not at.button(key="start").disabled


def test_preset_opens_the_train_page_ready_to_start(registry):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    index = list(PRESETS).index("Ring of 8 Gaussians")
    at.button(key=f"preset_{index}").click().run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="cfg_dataset").value == "ring8"
    assert at.title[0].value == "Train"
    at.button(key="start").click().run()
    runner = registry.runners()[0]
    assert runner.cfg.dataset == "ring8"
    wait_for(lambda: runner.snapshot().toy is not None)
    at.run()
    assert not at.exception, at.exception


def test_missing_data_fails_gracefully_with_the_engines_message(registry, tmp_path, monkeypatch):
    """A data set that is not on disk puts the run in state 'error' and the page shows why."""
    monkeypatch.setenv("GAN_EXPLORER_DATA", str(tmp_path / "no_images"))
    at = train_page()
    at.sidebar.selectbox(key="cfg_dataset").set_value("folder").run()
    at.button(key="start").click().run()
    runner = registry.runners()[0]
    wait_for(lambda: runner.snapshot().state == "error")
    at.run()
    assert not at.exception, at.exception
    errors = " ".join(e.value for e in at.error)
    assert "DataUnavailableError" in errors and "No images" in errors


def test_a_second_tab_and_a_reload_show_the_same_run(registry):
    at = train_page()
    at.button(key="start").click().run()
    runner = registry.runners()[0]
    second = AppTest.from_file(APP, default_timeout=TIMEOUT)
    second.query_params["run"] = runner.name
    second.run()
    second.switch_page(TRAIN)
    second.query_params["run"] = runner.name
    second.run()
    assert not second.exception, second.exception
    assert f"Run **{runner.name}**" in text(second)
    assert len(registry.runners()) == 1  # attached, not restarted


def test_a_saved_run_reopens_from_the_runs_dir(registry):
    from explorer import Runner, TrainConfig

    saved = Runner(TrainConfig(steps=30, checkpoint_interval=10), runs_dir=registry.runs_dir).start()
    saved.join(60)
    at = train_page()
    at.sidebar.selectbox(key="run_picker").set_value(saved.name).run()
    assert not at.exception, at.exception
    runner = registry.get(saved.name)
    assert runner is not None and runner.snapshot().step == 30
    assert f"Run **{saved.name}**" in text(at)


def test_in_training_metrics_are_drawn_on_the_train_page(registry):
    from explorer import TrainConfig

    runner = registry.start(TrainConfig.for_dataset("ring8", steps=120, eval_interval=60))
    runner.join(120)
    assert [row["step"] for row in runner.snapshot().eval_history] == [60, 120]
    at = AppTest.from_file(str(ROOT / TRAIN), default_timeout=TIMEOUT)
    at.query_params["run"] = runner.name
    at.run()
    assert not at.exception, at.exception
    # Finished, so the page shows its recording: the toy's figure, its summary, D's outputs, gradient norms,
    # modes covered and the in-training metrics, with a slider over its steps.
    keys = [chart.key.removeprefix(f"train_replay__{runner.name}_") for chart in at.get("plotly_chart")]
    assert keys == ["figure", "d", "right", "grad", "modes", "evals"]  # the game beside D's outputs, then the rest
    assert at.slider(key=f"train_replay__{runner.name}_step").value == 120


@pytest.mark.parametrize("hostile", ["../../etc/passwd", "[click me](http://evil.example)", "<img src=x onerror=1>",
                                     "x" * 5000, "`rm -rf`\n# big"])
def test_a_hostile_run_in_the_url_is_shown_as_text_and_opens_nothing(registry, hostile):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(TRAIN)
    at.query_params["run"] = hostile
    at.run()
    assert not at.exception, at.exception
    [warning] = [w.value for w in at.warning if "is not in this server's registry" in w.value]
    shown = warning.split("`")[1]
    assert len(warning.split("`")) == 3 and len(shown) <= 80  # one code span: nothing in it renders
    assert not registry.runners()
    assert not registry.runs_dir.exists() or not any(registry.runs_dir.iterdir())


def test_the_train_page_shows_a_failed_write_and_a_warning_of_the_game(registry, monkeypatch):
    """A run paused on a full disk, and D winning (section 3's poor G), as the page shows them."""
    import errno

    from explorer.lessons.presets import preset
    from explorer.runs import health, run_folder

    monkeypatch.setattr(health, "D_WINS_STEPS", 30)  # the poor G's D wins from the start: see it sooner
    runner = registry.start(preset("Minimax from a poor G", steps=0))
    wait_for(lambda: runner.snapshot().warning is not None)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(runner.run_dir / "metrics.csv"))

    monkeypatch.setattr(run_folder, "append_metrics", disk_full)
    wait_for(lambda: runner.snapshot().state == "paused" and runner.snapshot().error is not None)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(TRAIN)
    at.query_params["run"] = runner.name
    at.run()
    assert not at.exception, at.exception
    assert any("No space left on device" in e.value and "Resume" in e.value for e in at.error)
    assert any(w.value.startswith("D is winning") and "non_saturating" in w.value for w in at.warning)
    assert not at.button(key="resume").disabled


# ------------------------------------------------------------------------------------------- lecture mode

def test_the_sidebar_speaks_plainly_and_folds_the_advanced_settings(registry):
    at = train_page()
    lr_d = at.sidebar.select_slider(key="cfg_lr_d")
    assert lr_d.label == "D's learning rate" and "(`lr_d`)" in lr_d.help  # the config name is in the help
    assert at.sidebar.number_input(key="cfg_g_hidden").label == "G's hidden width"
    assert "0 = auto: 64" in [c.value for c in at.sidebar.caption]  # the toy family's G width
    advanced = next(e for e in at.sidebar.expander if e.label == "Advanced settings")
    inside = {w.key for w in advanced.children.values() if hasattr(w, "key")} | {
        w.key for kind in ("slider", "select_slider", "checkbox", "number_input", "selectbox")
        for w in advanced.get(kind)}
    assert {"cfg_beta1", "cfg_precision", "cfg_sample_interval"} <= inside and "cfg_lr_d" not in inside


def test_a_link_with_a_whole_config_opens_the_train_page_with_it(registry):
    from explorer import TrainConfig

    cfg = TrainConfig.for_dataset("ring8", loss="minimax", k=3, lr_d=3e-4, optimizer="sgd", momentum=0.7,
                                  seed=5, steps=1234, batch_size=128)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(TRAIN)
    for name, value in cfg.to_query().items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="cfg_dataset").value == "ring8"
    assert at.sidebar.selectbox(key="cfg_loss").value == "minimax"
    assert at.sidebar.select_slider(key="cfg_lr_d").value == pytest.approx(3e-4)
    assert at.sidebar.number_input(key="cfg_steps").value == 1234
    assert at.sidebar.slider(key="cfg_momentum").value == pytest.approx(0.7)
    assert not at.warning  # nothing ignored
    at.button(key="start").click().run()  # and Start trains exactly that
    assert registry.runners()[0].cfg == cfg
    # The link to share is the one it was opened with.
    link = next(c.value for c in at.sidebar.code)
    assert all(f"{k}={v}" in link for k, v in [("dataset", "ring8"), ("loss", "minimax"), ("k", "3")])


def test_a_link_with_bad_settings_says_which_and_keeps_the_rest(registry):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(TRAIN)
    for name, value in {"dataset": "toy1d", "lr_d": "abc", "k": "99", "colour": "red", "loss": "minimax"}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    note = " ".join(w.value for w in at.warning).replace("\\", "").replace("\u2060", "")  # as_text's escapes
    for words in ("lr_d=abc: expected a number", "k=99", "colour: not a setting"):
        assert words in note, (words, note)
    assert at.sidebar.selectbox(key="cfg_loss").value == "minimax"  # the rest is kept
    assert at.sidebar.select_slider(key="cfg_lr_d").value == pytest.approx(2e-3)  # the default


def test_a_fresh_tab_shows_the_latest_saved_run(registry):
    from explorer import Runner, TrainConfig

    for seed in (0, 1):
        Runner(TrainConfig(steps=30, seed=seed), runs_dir=registry.runs_dir, name=f"run-{seed}").start().join(60)
    at = train_page()
    assert at.query_params["run"] in ("run-1", ["run-1"])
    assert "Run **run-1**" in text(at)


def test_presentation_mode_hides_the_configuration_and_leaves_three_buttons(registry):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(TRAIN)
    at.query_params["dataset"] = "ring8"
    at.query_params["present"] = "1"  # a link on a slide
    at.run()
    assert not at.exception, at.exception
    assert not at.sidebar.selectbox and not at.sidebar.select_slider  # no configuration at all
    assert [b.label for b in at.button] == ["Start", "Pause", "Step"]
    at.button(key="start").click().run()
    assert registry.runners()[0].cfg.dataset == "ring8"  # the link's configuration, though out of sight
    wait_for(lambda: registry.runners()[0].snapshot().toy is not None)
    at.run()
    assert [c.key for c in at.get("plotly_chart")] == ["toy_chart", "d_chart"]  # the game and D, large
    assert [b.label for b in at.button] == ["Start", "Pause", "Step"]
    at.toggle(key="present_toggle").set_value(False).run()  # back to the full page
    assert at.sidebar.selectbox(key="cfg_dataset").value == "ring8"
    assert "present" not in at.query_params
