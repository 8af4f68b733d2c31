"""The shipped classifiers are accurate, and a broken weights file says how to rebuild it."""

import os
from pathlib import Path

import pytest
import torch

from explorer.game.data import images_to_float, load_torchvision
from explorer.metrics.classifier import ClassifierUnavailableError, accuracy, load_classifier, weights_path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _test_set(name: str, folder: str):
    if not (DATA / folder / "raw").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"real {name} is missing from {DATA} on CI")
        pytest.skip(f"real {name} not found in {DATA}")
    images, labels = load_torchvision(name, DATA, train=False, download=False)
    return images_to_float(images), labels


@pytest.mark.slow
def test_shipped_mnist_classifier_is_at_least_98_percent_accurate():
    torch.set_num_threads(2)
    x, y = _test_set("mnist", "MNIST")
    model = load_classifier("mnist")
    assert x.shape == (10_000, 1, 28, 28)
    assert accuracy(model, x, y) >= 0.98
    assert model.features(x[:4]).shape == (4, 128)


@pytest.mark.slow
def test_shipped_fashion_mnist_classifier_is_about_90_percent_accurate():
    torch.set_num_threads(2)
    x, y = _test_set("fashion_mnist", "FashionMNIST")
    assert accuracy(load_classifier("fashion_mnist"), x, y) >= 0.88


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_shipped_weights_are_small(name):
    assert weights_path(name).stat().st_size < 1_000_000


def test_corrupt_weights_name_the_script_that_recreates_them(tmp_path):
    bad = tmp_path / "mnist_classifier.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ClassifierUnavailableError, match=r"corrupt.*scripts/train_classifier\.py --dataset mnist"):
        load_classifier("mnist", path=bad)


def test_missing_weights_name_the_script_that_recreates_them(tmp_path):
    with pytest.raises(ClassifierUnavailableError, match=r"missing.*scripts/train_classifier\.py"):
        load_classifier("fashion_mnist", path=tmp_path / "nowhere.pt")


def test_weights_of_the_other_data_set_are_refused():
    with pytest.raises(ClassifierUnavailableError, match="fashion_mnist"):
        load_classifier("mnist", path=weights_path("fashion_mnist"))
