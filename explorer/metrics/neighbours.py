"""Figure 2's check that G does not memorise: each sample beside its nearest training image (pixel L2),
and the distribution of sample-to-nearest-train distances beside that of held-out real images."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

OUTLINE = (255, 215, 0)  # the paper outlines the neighbour in yellow


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


def _to_rgb_uint8(images: Tensor, scale: int) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> (N, H*scale, W*scale, 3) uint8."""
    x = images.detach().float().clamp(0, 1).cpu()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if scale > 1:
        x = torch.nn.functional.interpolate(x, scale_factor=scale, mode="nearest")
    return (x.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)


def neighbour_pairs_image(samples: Tensor, neighbours: Tensor, distances: Tensor | np.ndarray | None = None,
                          pairs_per_row: int = 4, border: int = 3) -> np.ndarray:
    """Figure 2 as ONE uint8 image (H, W, 3): each sample beside its nearest training image, the neighbour
    outlined in yellow, the distance written under each pair when given.

    samples, neighbours: (N, C, H, W) in [0, 1].
    """
    if samples.shape != neighbours.shape:
        raise ValueError(f"samples {tuple(samples.shape)} and neighbours {tuple(neighbours.shape)} differ")
    n, _, h, w = samples.shape
    scale = max(1, math.ceil(56 / w))
    a, b = _to_rgb_uint8(samples, scale), _to_rgb_uint8(neighbours, scale)
    ch, cw = h * scale, w * scale
    gap, label_h = 4, 14 if distances is not None else 0
    pair_w = 2 * (cw + 2 * border) + gap
    pair_h = ch + 2 * border + label_h
    rows = math.ceil(n / pairs_per_row)
    pad = 8
    canvas = np.full((rows * (pair_h + pad) + pad, pairs_per_row * (pair_w + 2 * pad) + pad, 3), 255, np.uint8)
    tops_lefts = []
    for i in range(n):
        r, c = divmod(i, pairs_per_row)
        top, left = pad + r * (pair_h + pad), pad + c * (pair_w + 2 * pad)
        tops_lefts.append((top, left))
        canvas[top + border: top + border + ch, left + border: left + border + cw] = a[i]
        nl = left + cw + 2 * border + gap
        canvas[top: top + ch + 2 * border, nl: nl + cw + 2 * border] = OUTLINE
        canvas[top + border: top + border + ch, nl + border: nl + border + cw] = b[i]
    if distances is not None:
        from PIL import Image, ImageDraw

        im = Image.fromarray(canvas)
        draw = ImageDraw.Draw(im)
        for (top, left), d in zip(tops_lefts, np.asarray(distances, dtype=float)):
            draw.text((left + border, top + ch + 2 * border + 1), f"d = {d:.2f}", fill=(0, 0, 0))
        canvas = np.asarray(im)
    return canvas
