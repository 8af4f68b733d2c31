"""Score a saved run: draw samples from one of its checkpoints and put them through the metrics protocol."""

from __future__ import annotations

from pathlib import Path

from explorer.metrics.protocol import Progress, generate, samples_to_score, score_samples
from explorer.runs.run_folder import load_models


def evaluate_run(run_dir: str | Path, metrics: list[str], checkpoint: str | Path | None = None,
                 n_samples: int = 10_000, data_root: str | None = None, device: str = "cpu",
                 progress: bool = False, on_progress: Progress | None = None, averaged: bool = True) -> dict:
    """Score a saved run's checkpoint (its latest by default): its weight average of G when it keeps one
    (`g_average`) and `averaged`, else G itself. `n_samples` in the result is the number drawn and scored
    (2,500 for `modes`, VEEGAN's protocol, whatever was asked)."""
    cfg, G, _, step = load_models(Path(run_dir), Path(checkpoint) if checkpoint else None, device,
                                  averaged=averaged)
    samples = generate(G, samples_to_score(metrics, n_samples), cfg.prior, device=device)
    result = score_samples(samples, cfg, metrics, data_root, device, progress, on_progress)
    # a checkpoint written with g_average > 0 always holds the average (see Trainer.state_dict)
    g_weights = f"average (decay {cfg.g_average})" if averaged and cfg.g_average > 0 else "G"
    return {"run_dir": str(run_dir), "step": step, "dataset": cfg.dataset, "g_weights": g_weights, **result}
