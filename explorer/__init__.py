"""GAN Explorer's engine: Goodfellow et al. (2014) GANs, with no UI import."""

from .config import PRESETS, ConfigError, TrainConfig, preset
from .data import Dataset, DataUnavailableError, load_dataset
from .runner import Runner, RunRegistry, Snapshot
from .runs import CheckpointError, list_runs, load_checkpoint, resolve_runs_dir
from .trainer import METRICS, Trainer, pick_device

__all__ = [
    "PRESETS", "ConfigError", "TrainConfig", "preset", "Dataset", "DataUnavailableError", "load_dataset",
    "Runner", "RunRegistry", "Snapshot", "CheckpointError", "list_runs", "load_checkpoint", "resolve_runs_dir",
    "METRICS", "Trainer", "pick_device",
]
