"""Figure 2's check that G does not memorise: each sample's nearest training image (pixel L2), and the
distribution of sample-to-nearest-train distances beside that of held-out real images.

Pure maths: the pairs are drawn by explorer.plots.images.neighbour_pairs_image, the distances by
explorer.plots.neighbours.distance_histogram."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


def nearest_train(queries: Tensor, train: Tensor, chunk: int = 512) -> tuple[Tensor, Tensor]:
    """Nearest training row of each query by Euclidean distance over all pixels.

    queries (N, ...) and train (M, ...) with the same per-item shape -> (distances (N,), indices (N,)).
    The search runs in chunks of queries with the fast matrix-product cdist; the returned distance is then
    recomputed exactly from the pair, so a planted duplicate has distance 0.
    """
    q = queries.reshape(len(queries), -1).float()
    t = train.reshape(len(train), -1).float().to(q.device)
    if q.shape[1] != t.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} values each but training items have {t.shape[1]}")
    if len(t) == 0:
        raise ValueError("no training items to search")
    idx = torch.empty(len(q), dtype=torch.long, device=q.device)
    for start in range(0, len(q), chunk):
        block = q[start: start + chunk]
        idx[start: start + chunk] = torch.cdist(block, t).argmin(1)  # (chunk, M) -> (chunk,)
    dist = (q - t[idx]).norm(dim=1)
    return dist.cpu(), idx.cpu()


@dataclass(frozen=True)
class MemorisationReport:
    sample_dist: np.ndarray  # (N,) generated -> nearest train
    test_dist: np.ndarray    # (T,) held-out real -> nearest train
    sample_median: float
    test_median: float

    @property
    def ratio(self) -> float:
        """median(generated) / median(held-out): near 1 or above = no sign of copying; far below 1 = copies."""
        return self.sample_median / max(self.test_median, 1e-12)

    @property
    def verdict(self) -> str:
        if self.ratio < 0.5:
            return ("Generated samples sit much closer to training images than held-out real images do: "
                    "G may be copying its training set.")
        if self.ratio < 0.9:
            return ("Generated samples are somewhat closer to training images than held-out real images are: "
                    "look at the pairs for near-copies.")
        return ("Generated samples are no closer to the training set than unseen real images are: "
                "no sign of memorising.")


def memorisation_report(samples: Tensor, train: Tensor, test: Tensor) -> MemorisationReport:
    """Distances of samples and of held-out test images to their nearest training image, with medians."""
    sample_dist, _ = nearest_train(samples, train)
    test_dist, _ = nearest_train(test, train)
    s, t = sample_dist.numpy(), test_dist.numpy()
    return MemorisationReport(s, t, float(np.median(s)), float(np.median(t)))

