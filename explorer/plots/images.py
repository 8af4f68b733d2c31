"""Images as ONE composed uint8 picture (cheap to send to a browser, cheap to save): sample grids, and
Figure 2's sample / nearest-training-image pairs. The one place images are enlarged for display."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from explorer.plots.style import OUTLINE

MIN_CELL = 56  # pixels: an 8x8 digit is enlarged 7x, a 28x28 one 2x


def _as_float_images(images: Tensor | np.ndarray) -> Tensor:
    """A Tensor (N, C, H, W) in [0, 1], or a uint8 array (N, H, W, C) / (H, W, C) / (H, W) as the runner
    publishes and PIL reads -> float (N, C, H, W) in [0, 1] on the CPU."""
    if isinstance(images, Tensor):
        return images.detach().float().clamp(0, 1).cpu()
    if images.dtype != np.uint8:
        raise ValueError(f"a numpy image must be uint8, got {images.dtype}")
    arr = images[..., None] if images.ndim == 2 else images
    arr = arr[None] if arr.ndim == 3 else arr
    # a read-only array (a replay frame read from disk) is copied: torch.from_numpy warns on one it cannot write
    return torch.from_numpy(np.require(arr, requirements=("C", "W"))).permute(0, 3, 1, 2).float() / 255


def image_grid(images: Tensor | np.ndarray, nrow: int | None = None, padding: int = 2, scale: int = 0,
               target: int = 0) -> np.ndarray:
    """Images -> one uint8 (H', W', 3) grid, `nrow` images a row (square by default), on white.

    `images` is a Tensor (N, C, H, W) in [0, 1] or a uint8 array (N, H, W, C), (H, W, C) or (H, W); an
    already composed grid (the runner's) passes as one image with `padding=0`.
    Images are enlarged by an integer factor, nearest neighbour, so pixels stay crisp: `scale` when given;
    otherwise the smallest factor that makes a cell at least MIN_CELL pixels wide, raised to the largest
    one whose whole grid still fits in `target` pixels (longer side) when a target is given.
    """
    images = _as_float_images(images)
    n, c, h, w = images.shape
    if c == 1:
        images = images.expand(n, 3, h, w)
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    if not scale:
        scale = max(1, math.ceil(MIN_CELL / w))
        if target:  # the largest factor whose grid, padding included, fits in target x target
            fits = min(((target - padding) / nrow - padding) / w, ((target - padding) / rows - padding) / h)
            scale = max(scale, math.floor(fits))
    if scale > 1:
        images = torch.nn.functional.interpolate(images, scale_factor=scale, mode="nearest")
        h, w = h * scale, w * scale
    grid = torch.ones(3, rows * (h + padding) + padding, nrow * (w + padding) + padding)
    for i in range(n):
        r, col = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top: top + h, left: left + w] = images[i]
    return (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def neighbour_pairs_image(samples: Tensor, neighbours: Tensor, distances: Tensor | np.ndarray | None = None,
                          pairs_per_row: int = 4, border: int = 3) -> np.ndarray:
    """Figure 2 as ONE uint8 image (H, W, 3): each sample beside its nearest training image, the neighbour
    outlined in yellow, the distance written under each pair when given.

    samples, neighbours: (N, C, H, W) in [0, 1] (explorer.metrics.neighbours.nearest_train finds them).
    """
    if samples.shape != neighbours.shape:
        raise ValueError(f"samples {tuple(samples.shape)} and neighbours {tuple(neighbours.shape)} differ")
    n = len(samples)
    # Each set as one unpadded row of enlarged cells, then cut back into cells: image_grid does the enlarging.
    a, b = image_grid(samples, nrow=n, padding=0), image_grid(neighbours, nrow=n, padding=0)
    ch, cw = a.shape[0], a.shape[1] // n
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
        canvas[top + border: top + border + ch, left + border: left + border + cw] = a[:, i * cw: (i + 1) * cw]
        nl = left + cw + 2 * border + gap
        canvas[top: top + ch + 2 * border, nl: nl + cw + 2 * border] = OUTLINE
        canvas[top + border: top + border + ch, nl + border: nl + border + cw] = b[:, i * cw: (i + 1) * cw]
    if distances is not None:
        from PIL import Image, ImageDraw

        im = Image.fromarray(canvas)
        draw = ImageDraw.Draw(im)
        for (top, left), d in zip(tops_lefts, np.asarray(distances, dtype=float), strict=True):
            draw.text((left + border, top + ch + 2 * border + 1), f"d = {d:.2f}", fill=(0, 0, 0))
        canvas = np.asarray(im)
    return canvas
