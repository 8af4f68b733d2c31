"""The sweep shipped in assets/demo_sweeps/ (run_folder.DEMO_SWEEPS_DIR), so the Sweeps page shows a stability map
on a fresh offline machine. `python scripts/make_demo_sweep.py` trains it again."""

from __future__ import annotations

from explorer.sweeps.spec import SweepSpec

DEMO_SWEEP = SweepSpec(
    name="ring8-learning-rates", dataset="ring8", preset=None,
    # No dropout on D: the collapse on either side of the diagonal is then clear within the trials' 1,500 steps.
    overrides=("dropout=0.0", "sample_interval=250"),
    grid=(("lr_d", ("2e-4", "1e-3", "5e-3")), ("lr_g", ("2e-4", "1e-3", "5e-3"))),
    seeds=(0, 1), steps=1500)

# What the page says under the bundled map: how to read it (the figures are the shipped results.csv's).
DEMO_SWEEP_NOTE = (
    "The ring of 8 Gaussians trained 1,500 steps with each pair of learning rates for D and G, two seeds each; "
    "colour is the number of the 8 modes G covers. Where G learns 5 or 25 times faster than D (at "
    "lr_d = 2e-4), G outruns its critic and collapses onto one mode or none. Where D learns 25 times faster "
    "(lr_d = 5e-3, lr_g = 2e-4), it punishes wherever G goes and G settles on 2 or 3. In between, G covers 6 to 8: "
    "both failure modes and the room between them on one map.")
