"""GAN Explorer in a notebook: live panels over the same engine as the app (JupyterLab, Notebook 7, VS Code, Colab).

    from explorer.notebook import train, replay, compare
    train("Figure 1: 1D Gaussian")          # a preset's name, a TrainConfig, or dataset="ring8", k=3, ...
    replay("figure1-gaussian")              # a recorded run (a folder, a name in the runs folder, a bundled demo)
    replay("my-cli-run")                    # a run the CLI or the app is training now: the panel follows it live
    compare(["run-a", "run-b", "run-c"])    # curves on shared axes; seeds of one config as a mean ± std band

Each call returns at once with a panel; the last line of a cell displays it as one widget (ipywidgets 8 controls,
plotly FigureWidgets for the charts). Training stays on the Runner's thread and the panel polls its snapshot from
the kernel's event loop (poll.py). Where no widget frontend runs (nbconvert, CI, GitHub) the same output shows a
static picture of the panel instead (static.py). Nothing here imports Streamlit.
"""

from __future__ import annotations

from pathlib import Path

from explorer.game.config import TrainConfig
from explorer.notebook.live import TrainPanel, config_of
from explorer.notebook.views import ComparePanel, ReplayPanel, run_folder
from explorer.runs.replay import Recording
from explorer.runs.runner import Runner

__all__ = ["train", "replay", "compare", "TrainPanel", "ReplayPanel", "ComparePanel"]


def train(what: str | TrainConfig | Runner | None = None, *, dataset: str | None = None, start: bool = False,
          wait: bool = False, runs_dir: str | Path | None = None, name: str | None = None,
          **changes) -> TrainPanel:
    """A live training panel. `what` is a preset's name (explorer.lessons.presets.PRESETS), a TrainConfig, or a
    Runner already training in this kernel (the panel attaches to it; two panels on one run agree); or give
    `dataset=` for that data set's recommended defaults. Field `changes` (steps=500, loss="minimax", ...) go on
    top. `start=True` presses Start; `wait=True` starts and returns when the run ends, so the cell's output shows
    the trained state (for nbconvert and CI, where nobody presses Start). The run goes to `runs_dir` (else
    $GAN_EXPLORER_RUNS, else ./runs) as an ordinary run folder."""
    if isinstance(what, Runner):
        return TrainPanel(what.cfg, runner=what)
    panel = TrainPanel(config_of(what, dataset, changes), runs_dir=runs_dir, name=name)
    if start or wait:
        panel.start()
    if wait:
        panel.wait()
    return panel


def replay(run: str | Path | Runner | TrainPanel, *, runs_dir: str | Path | None = None) -> ReplayPanel:
    """A recorded run played back: a step slider and Play, the frame recorded nearest the step (Figure 1, GAN
    Lab's view or the sample grid) and every curve up to it. `run` is a run folder, a run's name in `runs_dir`
    (else $GAN_EXPLORER_RUNS, else ./runs), a bundled demo's name ("figure1-gaussian", "mode-collapse-ring8",
    "ring-of-8", "mnist-subset-digits"), or a Runner or panel of this kernel. While another process (the CLI, the
    app, another kernel) trains the run, the panel follows it: new frames and curves arrive every second and
    "Follow the live run" keeps the slider on the newest frame."""
    return ReplayPanel(Recording.open(run_folder(run, runs_dir)))


def compare(runs: list[str | Path | Runner | TrainPanel], *, runs_dir: str | Path | None = None) -> ComparePanel:
    """Several runs' curves on shared axes (a curve picker, smoothing); runs whose configs differ only in the seed
    can be drawn as their mean in a band of ± one standard deviation. `runs` as for `replay`."""
    if not runs:
        raise ValueError("compare needs at least one run")
    return ComparePanel([run_folder(run, runs_dir) for run in runs])
