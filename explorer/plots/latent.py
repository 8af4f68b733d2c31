"""Walking G's latent space (Figure 3): linear and spherical interpolation, 2D walk grids around a centre,
and, for a 2D z, the whole learned manifold over the prior's support."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from explorer.game.models import Generator, sample_z
from explorer.plots.images import image_grid


def lerp(z0: Tensor, z1: Tensor, n: int) -> Tensor:
    """n points on the straight line from z0 to z1 (both (z_dim,)), endpoints included: (n, z_dim)."""
    t = torch.linspace(0, 1, n, dtype=z0.dtype, device=z0.device)[:, None]
    return (1 - t) * z0[None] + t * z1[None]


def slerp(z0: Tensor, z1: Tensor, n: int, eps: float = 1e-7) -> Tensor:
    """n points on the great-circle arc from z0 to z1, endpoints included: (n, z_dim).

    The norm is interpolated linearly along the arc, so equal-norm endpoints keep that norm all the way
    (a lerp midpoint of two high-dimensional Gaussian samples has norm ~0.7x theirs: off the typical shell).
    Falls back to lerp when the two directions are (anti)parallel.
    """
    t = torch.linspace(0, 1, n, dtype=torch.float64, device=z0.device)[:, None]
    a, b = z0.double(), z1.double()
    na, nb = a.norm(), b.norm()
    if float(na) < eps or float(nb) < eps:
        return lerp(z0, z1, n)
    ua, ub = a / na, b / nb
    omega = torch.arccos(torch.clamp((ua * ub).sum(), -1.0, 1.0))
    so = torch.sin(omega)
    if float(so) < eps:
        return lerp(z0, z1, n)
    direction = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / so  # unit vectors
    norm = (1 - t) * na + t * nb
    out = direction * norm
    out[0], out[-1] = a, b  # exact endpoints
    return out.to(z0.dtype)


def orthogonal_directions(z_dim: int, seed: int = 0, count: int = 2) -> Tensor:
    """`count` random orthonormal directions in z space (count <= z_dim): (count, z_dim)."""
    if not 1 <= count <= z_dim:
        raise ValueError(f"need 1 <= count <= z_dim, got count={count}, z_dim={z_dim}")
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(z_dim, count, generator=g))
    return q.T.contiguous()


def walk_grid(centre: Tensor, n: int, span: float, seed: int = 0) -> Tensor:
    """An n x n grid of z around `centre` along two random orthogonal directions, each axis from -span to
    +span: (n * n, z_dim), row-major (rows move along the second direction)."""
    dirs = orthogonal_directions(len(centre), seed).to(centre)
    ticks = torch.linspace(-span, span, n, dtype=centre.dtype, device=centre.device)
    a, b = torch.meshgrid(ticks, ticks, indexing="ij")  # a: row offset, b: column offset
    return centre[None] + a.reshape(-1, 1) * dirs[1][None] + b.reshape(-1, 1) * dirs[0][None]


def prior_support(prior: str) -> float:
    """Half-width of the box the manifold grid covers: the uniform prior's edge, or 2.5 std for a normal."""
    return math.sqrt(3) if prior == "uniform" else 2.5


def manifold_grid(n: int, prior: str) -> Tensor:
    """For z_dim = 2: an n x n grid over the prior's support, (n * n, 2); rows go top (z2 high) to bottom."""
    edge = prior_support(prior)
    ticks = torch.linspace(-edge, edge, n)
    z2, z1 = torch.meshgrid(torch.flip(ticks, [0]), ticks, indexing="ij")
    return torch.stack([z1.reshape(-1), z2.reshape(-1)], 1)


def random_z(n: int, z_dim: int, prior: str, seed: int) -> Tensor:
    """n draws from p_z with their own seed (reproducible across pages and notebooks): (n, z_dim)."""
    return sample_z(n, z_dim, prior, "cpu", torch.Generator().manual_seed(seed))


@torch.no_grad()
def decode(G: Generator, z: Tensor) -> Tensor:
    """G(z) in data units for a CPU or GPU G in eval mode: (n, z_dim) -> (n, *sample_shape)."""
    device = next(G.parameters()).device
    G.eval()
    return G.to_data_space(G(z.to(device).float()).float()).cpu()


def decode_grid(G: Generator, z: Tensor, nrow: int) -> np.ndarray:
    """G(z) as one composed uint8 image, `nrow` images a row (images only)."""
    x = decode(G, z)
    if x.ndim != 4:
        raise ValueError(f"G makes {tuple(x.shape[1:])}-shaped samples, not images")
    return image_grid(x, nrow=nrow)


def interpolation_rows(G: Generator, z0: Tensor, z1: Tensor, n: int) -> np.ndarray:
    """Figure 3 as one image: the linear interpolation on the top row, the spherical one below."""
    return decode_grid(G, torch.cat([lerp(z0, z1, n), slerp(z0, z1, n)]), nrow=n)
