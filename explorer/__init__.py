"""GAN Explorer's engine: Goodfellow et al. (2014) GANs, with no UI import.

Sub-packages, each using only the ones above it in this list:
- `explorer.game`: the minimax game itself: config, data, models, objectives, device, Algorithm 1 (`Trainer`).
- `explorer.metrics`: how good G is: the toy's exact D* and JSD, Parzen windows (Table 1), classifier-space
  scores, 2D modes, nearest training images (Figure 2), CIFAR Inception scores, the evaluation protocol.
- `explorer.plots`: pure builders, data in and a plotly figure or an image out, in one style.
- `explorer.runs`: a run on disk (config, metrics, samples, checkpoints), the background `Runner`, scoring.
- `explorer.lessons`: what the app teaches with: presets, guided tours and their milestones, the demo runs.
- `explorer.sweeps`: hyperparameter sweeps on Ray Tune: a grid of runs, each scored; the stability map's data.
- `explorer.notebook`: live panels for Jupyter (train, replay, compare): ipywidgets over the same Runner and plots.
- `explorer.bench`: `bench`'s speed, quality (`--quality`) and GPU report (`--report`); only the CLI uses it.
- `explorer.cli`: the command line (`python -m explorer`), above all of them.

A notebook reads `from explorer import TrainConfig, Trainer, load_dataset, ...`.
"""

from explorer.game.config import ConfigError, TrainConfig
from explorer.game.data import Dataset, DataUnavailableError
from explorer.game.datasets import load_dataset
from explorer.game.device import device_label, pick_device
from explorer.game.models import Discriminator, Generator, build_models, sample_z
from explorer.game.trainer import METRICS, Trainer
from explorer.lessons.presets import PRESETS, preset
from explorer.metrics.protocol import MetricError, evaluate_reference, score_samples
from explorer.plots.images import image_grid
from explorer.runs.checkpoint_scores import evaluate_run
from explorer.runs.registry import RunRegistry
from explorer.runs.run_folder import CheckpointError, list_runs, load_checkpoint, load_models, resolve_runs_dir
from explorer.runs.runner import Runner
from explorer.runs.snapshot import Snapshot
from explorer.runs.state import RunState

__all__ = [
    "ConfigError", "TrainConfig", "Dataset", "DataUnavailableError", "load_dataset", "device_label",
    "pick_device", "Discriminator", "Generator", "build_models", "sample_z", "PRESETS", "preset", "METRICS",
    "Trainer", "MetricError", "evaluate_reference", "score_samples", "image_grid", "CheckpointError",
    "list_runs", "load_checkpoint", "load_models", "resolve_runs_dir", "Runner", "RunRegistry", "Snapshot",
    "RunState", "evaluate_run",
]
