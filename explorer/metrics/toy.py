"""What the 1D/2D toys show: densities on a grid, D(x), D*(x), the z -> x map, and the JS estimate.

All functions are pure: tensors or a Trainer in, numpy arrays out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

LOG4 = math.log(4.0)


def optimal_d(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g) (Proposition 1); 1/2 where both vanish."""
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full_like(total, 0.5, dtype=float), where=total > 0)


def js_divergence(p: np.ndarray, q: np.ndarray, cell: float) -> float:
    """JSD(p || q) in nats of two densities sampled on the same grid with cell volume `cell`.
    A density with no mass on the grid (G's samples all outside it) is disjoint: log 2."""
    p_mass, q_mass = p.sum() * cell, q.sum() * cell
    if p_mass <= 0 or q_mass <= 0:
        return math.log(2.0)
    p, q = p / p_mass, q / q_mass
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_pm = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        kl_qm = np.where(q > 0, q * np.log(q / m), 0.0).sum()
    return float(min(max(0.0, 0.5 * (kl_pm + kl_qm) * cell), math.log(2.0)))


def value_from_js(jsd: float) -> float:
    """C(G) = -log 4 + 2 JSD(p_data || p_g): the value of the game at D* (Theorem 1)."""
    return -LOG4 + 2.0 * jsd


def kde(points: Tensor, grid: Tensor, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian kernel density of `points` (N, d) at `grid` (M, d); Scott's bandwidth by default."""
    points, grid = points.double(), grid.double().to(points.device)
    n, d = points.shape
    if bandwidth is None:
        std = float(points.std(0).mean()) if n > 1 else 1.0
        bandwidth = max(std * n ** (-1.0 / (d + 4)), 1e-3)
    # Both scaled so the kernel is exp(-|g - p|^2), and the squared distances taken directly (not cdist's
    # sqrt, then square): on the toys' training thread this runs at every recorded frame, and it was ~80% of
    # the 1D view's time.
    p, g = points / (bandwidth * math.sqrt(2)), grid / (bandwidth * math.sqrt(2))
    out = torch.empty(len(g), dtype=torch.float64, device=points.device)
    rows = max(1, 2**20 // max(n, 1))  # about a million kernel values (8 MB) at a time
    for start in range(0, len(g), rows):
        block = g[start: start + rows]
        sq = (block[:, None, 0] - p[None, :, 0]).square_()
        for j in range(1, d):
            sq += (block[:, None, j] - p[None, :, j]).square_()
        out[start: start + rows] = sq.neg_().exp_().sum(1)
    out /= n * (bandwidth * math.sqrt(2 * math.pi)) ** d
    return out.cpu().numpy()


@dataclass(frozen=True)
class Toy1DView:
    x: np.ndarray        # (M,) grid
    p_data: np.ndarray   # (M,) exact density
    p_g: np.ndarray      # (M,) KDE of G(z)
    d: np.ndarray        # (M,) D(x), eval mode
    d_star: np.ndarray   # (M,) p_data / (p_data + p_g)
    z: np.ndarray        # (L,) evenly spaced z for the mapping panel
    g_of_z: np.ndarray   # (L,) G(z)
    samples: np.ndarray  # (S,) a few G(z) samples
    d_on_data: float     # mean D(x) over p_data samples
    js: float
    value: float


@dataclass(frozen=True)
class Toy2DView:
    xs: np.ndarray       # (R,) grid axis
    ys: np.ndarray       # (R,)
    d: np.ndarray        # (R, R) D on the grid, rows = y
    real: np.ndarray     # (S, 2)
    fake: np.ndarray     # (S, 2)
    g_grad: np.ndarray   # (S, 2) direction G's loss moves each fake point (minus its gradient)
    d_on_data: float
    js: float
    value: float
    modes_covered: int | None
    n_modes: int | None


def _grid_1d(data: Tensor, margin: float = 1.5, points: int = 240) -> Tensor:
    lo, hi = float(data.min()), float(data.max())
    pad = margin * (hi - lo) / 4 + 0.5
    return torch.linspace(lo - pad, hi + pad, points)


def toy1d_view(trainer, n_samples: int = 4096, grid_points: int = 240, mapping_lines: int = 24) -> Toy1DView:
    """Figure 1's panels for a Trainer on a 1D toy."""
    ds = trainer.dataset
    grid = _grid_1d(ds.x, points=grid_points)
    cell = float(grid[1] - grid[0])
    fake = trainer.sample(n_samples).float()
    p_data = torch.exp(ds.log_density(grid[:, None].to(ds.x.device))).cpu().numpy().astype(float)
    p_g = kde(fake, grid[:, None])
    d = trainer.discriminate(grid[:, None]).cpu().numpy().astype(float)
    z_lo = -math.sqrt(3) if trainer.cfg.prior == "uniform" else -2.5
    z = torch.linspace(z_lo, -z_lo, mapping_lines)[:, None]
    g_of_z = trainer.sample(z=z.to(trainer.device)).cpu().numpy()[:, 0]
    real = ds.x[: n_samples]
    d_on_data = float(trainer.discriminate(real).mean())
    js = js_divergence(p_data, p_g, cell)
    return Toy1DView(grid.numpy(), p_data, p_g, d, optimal_d(p_data, p_g), z.numpy()[:, 0], g_of_z,
                     fake[:512].cpu().numpy()[:, 0], d_on_data, js, value_from_js(js))


def toy2d_view(trainer, n_samples: int = 2500, resolution: int = 80, arrows: int = 256) -> Toy2DView:
    """Real vs generated points over D's heatmap, with G's gradient on generated points (GAN Lab's view)."""
    from explorer.metrics.modes import mode_metrics

    ds = trainer.dataset
    real = ds.x[:n_samples]
    lo = torch.minimum(real.min(0).values, torch.tensor(-1.0, device=real.device)).cpu() - 0.5
    hi = torch.maximum(real.max(0).values, torch.tensor(1.0, device=real.device)).cpu() + 0.5
    xs, ys = torch.linspace(float(lo[0]), float(hi[0]), resolution), torch.linspace(float(lo[1]), float(hi[1]),
                                                                                  resolution)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)
    d = trainer.discriminate(grid).cpu().numpy().reshape(resolution, resolution)
    fake = trainer.sample(n_samples).float()
    g_grad = _g_loss_gradient(trainer, fake[:arrows])
    js = js_monte_carlo(ds, fake)
    covered = n_modes = None
    if ds.modes is not None:
        mm = mode_metrics(fake, ds.modes, ds.mode_std)
        covered, n_modes = mm["modes_covered"], mm["n_modes"]
    return Toy2DView(xs.numpy(), ys.numpy(), d, real.cpu().numpy(), fake.cpu().numpy(), g_grad,
                     float(trainer.discriminate(real).mean()), js, value_from_js(js), covered, n_modes)


def _g_loss_gradient(trainer, fake: Tensor) -> np.ndarray:
    """-d g_loss / d x at generated points: the direction D's gradient pushes each sample."""
    x = trainer.G.from_data_space(fake.detach()).requires_grad_(True)
    was_training = trainer.D.training
    trainer.D.eval()
    with torch.enable_grad():
        loss = trainer.g_loss(trainer.D(x).float()) * len(x)
        (grad,) = torch.autograd.grad(loss, x)
    trainer.D.train(was_training)
    return (-grad).cpu().numpy()


def js_monte_carlo(ds, fake: Tensor, n: int = 1000) -> float:
    """JSD(p_data || p_g) in nats from samples, for 2D toys whose modes are too narrow for a grid:
    0.5 E_p[log 2p/(p+q)] + 0.5 E_q[log 2q/(p+q)], with q a KDE of half the fakes evaluated at the other
    half (no self-kernel bias) and p exact where the toy has a density. The kernel width is the mixture's
    own mode std when known (a global Scott width would smear 8 sharp modes into a ring)."""
    h = ds.mode_std or None
    fake = fake[: 2 * n].double()
    q_fit, q_at = fake[: len(fake) // 2], fake[len(fake) // 2:]
    real = ds.x[:n].double()
    if ds.log_density is not None:
        p = lambda x: torch.exp(ds.log_density(x)).cpu().numpy()  # noqa: E731
    else:
        p_fit = ds.x[-4 * n:].double()
        p = lambda x: kde(p_fit, x, h)  # noqa: E731
    p_real, q_real = p(real), kde(q_fit, real, h)
    p_fake, q_fake = p(q_at), kde(q_fit, q_at, h)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.log(2 * p_real / (p_real + q_real))
        b = np.log(2 * q_fake / (p_fake + q_fake))
    # where both densities vanish the point is on neither side: count it as disjoint (log 2)
    js = 0.5 * np.where(np.isfinite(a), a, np.log(2)).mean() + 0.5 * np.where(np.isfinite(b), b, np.log(2)).mean()
    return float(min(max(js, 0.0), math.log(2.0)))


def toy_summary(trainer) -> dict[str, float]:
    """d_on_data, js_estimate and value_estimate for a toy trainer (the CLI's final line)."""
    view = toy1d_view(trainer) if trainer.dataset.kind == "toy1d" else toy2d_view(trainer)
    out = {"d_on_data": view.d_on_data, "js_estimate": view.js, "value_estimate": view.value}
    if isinstance(view, Toy2DView) and view.n_modes is not None:
        out["modes_covered"] = view.modes_covered
    return out
