"""How fast and how good the engine is on this machine: `python -m explorer bench` and its modes.

`speed` times the engine against a conventional PyTorch GAN loop (gan.py's way) and the user's path (a saving
`Runner`) against the bare `Trainer`; `quality` (`bench --quality SECONDS`) trains "MNIST in a minute" for a
fixed wall-clock budget and scores the G it reached; `gpu_report` (`bench --device cuda --report`) runs the
whole check of a GPU machine (tests, speed, quality, the paper's Table 1 run) as `python -m explorer`
subprocesses and writes one report. None of it is needed to train or look at a run, which is why it sits
apart from the layers it measures; nothing in the engine imports it, only `explorer.cli`.
"""
