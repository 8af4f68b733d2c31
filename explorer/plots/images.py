"""Sample grids as ONE composed image (cheap to send to a browser, cheap to save)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def image_grid(images: Tensor, nrow: int | None = None, padding: int = 2, scale: int = 0) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> uint8 (H', W', 3) grid, `nrow` images a row (square by default).

    Small images are enlarged by an integer factor (nearest) so an 8x8 digit is visible; `scale=0` picks
    it so a cell is at least 56 pixels wide.
    """
    images = images.detach().float().clamp(0, 1).cpu()
    n, c, h, w = images.shape
    if c == 1:
        images = images.expand(n, 3, h, w)
    scale = scale or max(1, math.ceil(56 / w))
    if scale > 1:
        images = torch.nn.functional.interpolate(images, scale_factor=scale, mode="nearest")
        h, w = h * scale, w * scale
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    grid = torch.ones(3, rows * (h + padding) + padding, nrow * (w + padding) + padding)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top: top + h, left: left + w] = images[i]
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
