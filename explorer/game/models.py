"""Generator and discriminator families. D always returns a logit; D(x) = sigmoid(logit).

- paper: the 2014 MNIST MLPs as the paper's own (pylearn2) code configured them.
- mlp:   PyTorch-GAN's gan.py: LeakyReLU + batch-norm G with tanh output, LeakyReLU D.
- dcgan: small convolutional nets for 32x32 images.
- toy:   small MLPs for the 1D/2D toys.
"""

from __future__ import annotations

import math
import threading

import torch
from torch import Tensor, nn

from explorer.game.config import TOYS_1D, TrainConfig, model_family

_BUILD_LOCK = threading.Lock()

# Per family: default z size, G width, D width, and G's output range.
DEFAULTS = {
    "paper": dict(z_dim=100, g_hidden=1200, d_hidden=240, output="sigmoid"),
    "mlp": dict(z_dim=100, g_hidden=128, d_hidden=512, output="tanh"),
    "dcgan": dict(z_dim=100, g_hidden=64, d_hidden=64, output="tanh"),
    "toy": dict(z_dim=0, g_hidden=64, d_hidden=128, output="linear"),  # z_dim 0: same as the data's dim
}


AUTO_SIZES = ("z_dim", "g_hidden", "d_hidden")  # fields where 0 means "the family's default"


def auto_size(name: str, model: str, dataset: str | None) -> int:
    """What 0 becomes for z_dim, g_hidden or d_hidden with this model and data set (a toy's z is the size of its
    points): the one rule, for the sidebar's and the notebook form's "0 = auto: N" and for the models built."""
    family = model_family(model, dataset)
    if name == "z_dim" and family == "toy":
        return 1 if dataset in TOYS_1D else 2
    return DEFAULTS[family][name]


def resolved_sizes(cfg: TrainConfig, data_dim: int) -> tuple[int, int, int]:
    """(z_dim, g_hidden, d_hidden) with the family's defaults filled in for zeros."""
    d = DEFAULTS[cfg.family]
    z_dim = cfg.z_dim or d["z_dim"] or data_dim
    return z_dim, cfg.g_hidden or d["g_hidden"], cfg.d_hidden or d["d_hidden"]


def sample_z(n: int, z_dim: int, prior: str, device: torch.device | str,
             generator: torch.Generator | None = None) -> Tensor:
    """(n, z_dim) noise from p_z. Uniform is on [-sqrt 3, sqrt 3] (unit variance), as in the paper's code."""
    if prior == "uniform":
        return (torch.rand(n, z_dim, device=device, generator=generator) * 2 - 1) * math.sqrt(3)
    return torch.randn(n, z_dim, device=device, generator=generator)


class Maxout(nn.Module):
    """max over `pieces` linear maps: (B, in) -> (B, units)."""

    def __init__(self, in_features: int, units: int, pieces: int):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(-1)


class SeededDropout(nn.Module):
    """nn.Dropout's maths (zero with probability p, scale the rest by 1/(1-p)) with masks drawn from the
    generator the Trainer hands it, not from torch's global stream: so a seed fixes the masks too, a
    checkpoint holds their state, and other runs or pages in the same process cannot shift them."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p
        self.generator: torch.Generator | None = None  # None: torch's default stream (a model used alone)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator).div_(1 - self.p)
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Generator(nn.Module):
    """Wraps a network z -> x and knows its output range, so data can be moved into model space once."""

    def __init__(self, net: nn.Module, z_dim: int, sample_shape: tuple[int, ...], output: str):
        super().__init__()
        self.net, self.z_dim, self.sample_shape, self.output = net, z_dim, tuple(sample_shape), output

    def forward(self, z: Tensor) -> Tensor:  # (B, z_dim) -> (B, *sample_shape) in model space
        return self.net(z).view(z.shape[0], *self.sample_shape)

    def to_data_space(self, x: Tensor) -> Tensor:
        """Model output -> data units ([0, 1] for images)."""
        return (x + 1) / 2 if self.output == "tanh" else x

    def from_data_space(self, x: Tensor) -> Tensor:
        return x * 2 - 1 if self.output == "tanh" else x


class Discriminator(nn.Module):
    def __init__(self, net: nn.Module, has_batchnorm: bool):
        super().__init__()
        # Without batch norm, D can score real and fake in one forward over the concatenated batch.
        self.net, self.has_batchnorm = net, has_batchnorm

    def forward(self, x: Tensor) -> Tensor:  # (B, *sample_shape) -> (B,) logits
        return self.net(x).view(-1)


def _uniform_init(module: nn.Module, irange: float) -> None:
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.uniform_(m.weight, -irange, irange)
            nn.init.zeros_(m.bias)


def paper_models(z_dim: int, g_hidden: int, d_hidden: int, pieces: int, dropout: float, data_dim: int,
                 sample_shape: tuple[int, ...], pixel_mean: Tensor | None) -> tuple[Generator, Discriminator]:
    """G: z -> ReLU 1200 -> ReLU 1200 -> sigmoid 784; D: maxout 240x5 -> maxout 240x5 -> sigmoid.

    As in the paper's pylearn2 config: G weights uniform in +/-0.05 with the output bias set to the
    logit of the data's per-pixel mean; D weights uniform in +/-0.005; dropout keeps 0.8 of D's inputs and
    (1 - dropout) of its hidden units. Those small ranges matter: wider ones let D win outright.
    """
    g_net = nn.Sequential(
        nn.Linear(z_dim, g_hidden), nn.ReLU(),
        nn.Linear(g_hidden, g_hidden), nn.ReLU(),
        nn.Linear(g_hidden, data_dim), nn.Sigmoid(),
    )
    _uniform_init(g_net, 0.05)
    if pixel_mean is not None:
        p = pixel_mean.reshape(-1).clamp(1e-3, 1 - 1e-3)
        with torch.no_grad():
            g_net[4].bias.copy_(torch.log(p / (1 - p)))
    d_net = nn.Sequential(
        nn.Flatten(), SeededDropout(0.2),
        Maxout(data_dim, d_hidden, pieces), SeededDropout(dropout),
        Maxout(d_hidden, d_hidden, pieces), SeededDropout(dropout),
        nn.Linear(d_hidden, 1),
    )
    _uniform_init(d_net, 0.005)
    return Generator(g_net, z_dim, sample_shape, "sigmoid"), Discriminator(d_net, has_batchnorm=False)


def mlp_models(z_dim: int, g_hidden: int, d_hidden: int, data_dim: int, sample_shape: tuple[int, ...]
               ) -> tuple[Generator, Discriminator]:
    """PyTorch-GAN's gan.py: G widths g, 2g, 4g, 8g (128-256-512-1024) with batch norm; D widths d, d/2."""
    def block(i: int, o: int, bn: bool = True) -> list[nn.Module]:
        return [nn.Linear(i, o), *([nn.BatchNorm1d(o)] if bn else []), nn.LeakyReLU(0.2, inplace=True)]

    w = [g_hidden * 2**i for i in range(4)]
    g_net = nn.Sequential(*block(z_dim, w[0], bn=False), *block(w[0], w[1]), *block(w[1], w[2]),
                          *block(w[2], w[3]), nn.Linear(w[3], data_dim), nn.Tanh())
    d_net = nn.Sequential(nn.Flatten(), nn.Linear(data_dim, d_hidden), nn.LeakyReLU(0.2, inplace=True),
                          nn.Linear(d_hidden, d_hidden // 2), nn.LeakyReLU(0.2, inplace=True),
                          nn.Linear(d_hidden // 2, 1))
    return Generator(g_net, z_dim, sample_shape, "tanh"), Discriminator(d_net, has_batchnorm=False)


def dcgan_models(z_dim: int, ngf: int, ndf: int, channels: int) -> tuple[Generator, Discriminator]:
    """32x32 DCGAN: G projects z to 4x4 then three stride-2 transposed convs; D mirrors it."""
    g_net = nn.Sequential(
        nn.Linear(z_dim, 4 * ngf * 4 * 4), nn.Unflatten(1, (4 * ngf, 4, 4)), nn.BatchNorm2d(4 * ngf), nn.ReLU(True),
        nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1), nn.BatchNorm2d(2 * ngf), nn.ReLU(True),   # 8x8
        nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1), nn.BatchNorm2d(ngf), nn.ReLU(True),           # 16x16
        nn.ConvTranspose2d(ngf, channels, 4, 2, 1), nn.Tanh(),                                   # 32x32
    )
    d_net = nn.Sequential(
        nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),                              # 16x16
        nn.Conv2d(ndf, 2 * ndf, 4, 2, 1), nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2, True),      # 8x8
        nn.Conv2d(2 * ndf, 4 * ndf, 4, 2, 1), nn.BatchNorm2d(4 * ndf), nn.LeakyReLU(0.2, True),  # 4x4
        nn.Flatten(), nn.Linear(4 * ndf * 16, 1),
    )
    for m in list(g_net.modules()) + list(d_net.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
    return Generator(g_net, z_dim, (channels, 32, 32), "tanh"), Discriminator(d_net, has_batchnorm=True)


def toy_models(z_dim: int, g_hidden: int, d_hidden: int, data_dim: int) -> tuple[Generator, Discriminator]:
    """Two hidden layers each; linear output so G can reach any x."""
    g_net = nn.Sequential(nn.Linear(z_dim, g_hidden), nn.ReLU(), nn.Linear(g_hidden, g_hidden), nn.ReLU(),
                          nn.Linear(g_hidden, data_dim))
    d_net = nn.Sequential(nn.Linear(data_dim, d_hidden), nn.LeakyReLU(0.2), nn.Linear(d_hidden, d_hidden),
                          nn.LeakyReLU(0.2), nn.Linear(d_hidden, 1))
    return Generator(g_net, z_dim, (data_dim,), "linear"), Discriminator(d_net, has_batchnorm=False)


def build_models(cfg: TrainConfig, sample_shape: tuple[int, ...], pixel_mean: Tensor | None = None
                 ) -> tuple[Generator, Discriminator]:
    """G and D for a config and a data shape, their initial weights fixed by cfg.seed.

    nn.init draws from torch's global stream, so the seed is set under a lock (runs are built on their own
    threads, and two builds must not interleave) and the caller's global stream is restored afterwards."""
    data_dim = math.prod(sample_shape)
    z_dim, g_hidden, d_hidden = resolved_sizes(cfg, data_dim)
    family = cfg.family
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        if family == "paper":
            return paper_models(z_dim, g_hidden, d_hidden, cfg.maxout_pieces, cfg.dropout, data_dim,
                                sample_shape, pixel_mean)
        if family == "mlp":
            return mlp_models(z_dim, g_hidden, d_hidden, data_dim, sample_shape)
        if family == "dcgan":
            return dcgan_models(z_dim, g_hidden, d_hidden, sample_shape[0])
        return toy_models(z_dim, g_hidden, d_hidden, data_dim)
