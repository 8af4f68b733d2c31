"""Mode coverage on the 2D mixture toys, as VEEGAN (Srivastava et al. 2017) measures it.

Draw 2,500 samples from G (VEEGAN's protocol). A sample is high quality when it lies within 3 standard
deviations of its nearest mode centre; a mode is covered when it is the nearest mode of at least one
high-quality sample. VEEGAN's tables report the modes covered and the share of high-quality samples,
averaged over runs: a collapsed GAN covers 1 mode with nearly 100% high quality, a blurry one covers many
with little quality.
"""

from __future__ import annotations

import torch
from torch import Tensor

PROTOCOL_N_SAMPLES = 2_500
QUALITY_STDS = 3.0  # a sample within 3 std of its nearest mode is high quality


def mode_metrics(samples: Tensor, modes: Tensor, std: float) -> dict[str, float | int]:
    """(N, 2) samples, (K, 2) mode centres and the modes' std -> modes_covered, n_modes,
    high_quality_fraction (0..1), per_mode: high-quality samples nearest each mode (a list of K ints), and
    n_samples: N, the samples scored."""
    if std <= 0:
        raise ValueError(f"std={std}: the modes' standard deviation must be positive")
    samples = samples.reshape(len(samples), -1).double()
    modes = modes.double().to(samples.device)
    dist = torch.cdist(samples, modes)  # (N, K)
    nearest_dist, nearest = dist.min(1)
    good = nearest_dist <= QUALITY_STDS * std
    per_mode = torch.bincount(nearest[good], minlength=len(modes))
    return {"modes_covered": int((per_mode > 0).sum()), "n_modes": len(modes),
            "high_quality_fraction": float(good.double().mean()) if len(samples) else 0.0,
            "per_mode": per_mode.tolist(), "n_samples": len(samples)}
