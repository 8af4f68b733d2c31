"""A small CNN for 28x28 grayscale digits or clothes: the feature space of the explorer's image scores.

Inception v3 (FID, Inception Score) knows nothing of MNIST; the usual stand-in is a classifier trained on
the data set itself. Its 128-d penultimate layer plays the role of Inception's pool3 features, its softmax
the role of Inception's class posterior. Weights ship in assets/ (about 0.2 MB, stored in fp16) and are
rebuilt by scripts/train_classifier.py.
"""

from __future__ import annotations

import math
import os
import pickle
import time
import zipfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CHECKPOINT_VERSION = 1
ASSETS = Path(__file__).resolve().parents[2] / "assets"  # the repository's assets/ (explorer/metrics/ -> root)
CLASSIFIER_DATASETS = ("mnist", "fashion_mnist")
FEATURE_DIM = 128


class ClassifierUnavailableError(RuntimeError):
    """The classifier weights are missing or unreadable; the message says how to recreate them."""


class DigitClassifier(nn.Module):
    """(N, 1, 28, 28) images in [0, 1] -> (N, 10) logits; `features` is the 128-d layer before them."""

    test_accuracy: float = float("nan")  # set by training and by loading a checkpoint

    def __init__(self, n_classes: int = 10, feature_dim: int = FEATURE_DIM):
        super().__init__()
        self.num_features = feature_dim  # read by torchmetrics' FID to size its statistics
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),   # -> (32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # -> (64, 7, 7)
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # -> (64, 3, 3)
            nn.Flatten(),
            nn.Linear(64 * 3 * 3, feature_dim), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(feature_dim, n_classes))

    def features(self, x: Tensor) -> Tensor:
        # Centre the pixels so a net trained on [0, 1] images starts from zero-mean input.
        return self.body(x - 0.5)  # (N, 1, 28, 28) -> (N, 128)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # (N, 10) logits


def weights_path(dataset_name: str) -> Path:
    return ASSETS / f"{dataset_name}_classifier.pt"


def recreate_command(dataset_name: str) -> str:
    return (f"python scripts/train_classifier.py --dataset {dataset_name} --data-root <folder with "
            f"{'MNIST' if dataset_name == 'mnist' else 'FashionMNIST'}/raw>")


@torch.no_grad()
def predict_logits(model: nn.Module, x: Tensor, batch_size: int = 1000) -> Tensor:
    """Logits of `model` on x in eval mode and in batches, on the model's device. (N, ...) -> (N, 10)."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(x[i:i + batch_size].to(device)) for i in range(0, len(x), batch_size)])


def accuracy(model: nn.Module, x: Tensor, labels: Tensor) -> float:
    return float((predict_logits(model, x).argmax(1).cpu() == labels.cpu()).float().mean())


def train_classifier(dataset_name: str, data_root: str | Path, epochs: int = 4,
                     device: torch.device | str = "cpu", seed: int = 0, batch_size: int = 128,
                     log: bool = True) -> DigitClassifier:
    """Train the CNN on the 60,000 training images with Adam and a one-cycle learning rate.

    The test accuracy is stored on the model as `test_accuracy` (the checkpoint records it).
    """
    from explorer.game.data import images_to_float, load_torchvision

    if dataset_name not in CLASSIFIER_DATASETS:
        raise ValueError(f"dataset_name={dataset_name!r}: use one of {CLASSIFIER_DATASETS}")
    torch.manual_seed(seed)
    root = Path(data_root)
    x_u8, y = load_torchvision(dataset_name, root, train=True, download=False)
    x, y = images_to_float(x_u8).to(device), y.long().to(device)
    x_test_u8, y_test = load_torchvision(dataset_name, root, train=False, download=False)
    x_test = images_to_float(x_test_u8)

    model = DigitClassifier().to(device)
    steps_per_epoch = math.ceil(len(x) / batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=epochs * steps_per_epoch)
    g = torch.Generator(device="cpu").manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(x), generator=g).to(device)
        for i in range(steps_per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            xb = _jitter(x[idx], g)
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        if log:
            acc = accuracy(model, x_test, y_test)
            print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, test accuracy {acc:.4f} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    model.test_accuracy = accuracy(model, x_test, y_test)
    return model.eval()


def _jitter(xb: Tensor, g: torch.Generator, max_shift: int = 2) -> Tensor:
    """Shift the whole batch by up to 2 pixels: cheap augmentation worth a few tenths of a percent."""
    dx, dy = (int(v) for v in torch.randint(-max_shift, max_shift + 1, (2,), generator=g))
    return torch.roll(xb, shifts=(dy, dx), dims=(2, 3))


def save_classifier(model: DigitClassifier, dataset_name: str, path: str | Path) -> Path:
    """Write the checkpoint dict atomically (temp file + os.replace), weights in fp16 to stay small."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()}
    ckpt = {"version": CHECKPOINT_VERSION, "dataset": dataset_name, "state_dict": state,
            "test_accuracy": float(model.test_accuracy)}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(ckpt, tmp)
    os.replace(tmp, path)
    return path


def load_classifier(dataset_name: str, path: str | Path | None = None,
                    device: torch.device | str = "cpu") -> DigitClassifier:
    """The shipped classifier for `dataset_name` in eval mode, fp32, on `device`.

    Raises ClassifierUnavailableError, naming the script that recreates the file, when it is missing,
    corrupt, or from another data set or format version.
    """
    path = Path(path) if path is not None else weights_path(dataset_name)
    fix = f"Recreate it with: {recreate_command(dataset_name)}"
    if not path.is_file():
        raise ClassifierUnavailableError(f"Classifier weights {path} are missing. {fix}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError) as e:
        # The cause is chained for debugging; torch's own text (about weights_only) would mislead here.
        raise ClassifierUnavailableError(f"Classifier weights {path} are corrupt or not a checkpoint "
                                         f"({type(e).__name__}). {fix}") from e
    if not isinstance(ckpt, dict) or ckpt.get("version") != CHECKPOINT_VERSION:
        raise ClassifierUnavailableError(f"{path} is not a version-{CHECKPOINT_VERSION} classifier "
                                         f"checkpoint. {fix}")
    if ckpt.get("dataset") != dataset_name:
        raise ClassifierUnavailableError(f"{path} holds a classifier for {ckpt.get('dataset')!r}, "
                                         f"not {dataset_name!r}. {fix}")
    model = DigitClassifier()
    try:
        model.load_state_dict(ckpt["state_dict"])  # copy_ casts the fp16 weights back to fp32
    except (KeyError, RuntimeError) as e:
        raise ClassifierUnavailableError(f"Classifier weights {path} do not fit the network ({e}). {fix}") from e
    model.test_accuracy = float(ckpt.get("test_accuracy", float("nan")))
    return model.to(device).eval()
