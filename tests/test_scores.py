"""Classifier-feature scores rank real MNIST digits above noise, one repeated digit and a collapsed G."""

from pathlib import Path

import pytest
import torch

from explorer.game.data import images_to_float, load_torchvision
from explorer.metrics.classifier import load_classifier
from explorer.metrics.feature_scores import class_coverage, classifier_score, frechet_distance, image_scores, prdc

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
pytestmark = pytest.mark.skipif(not (DATA / "MNIST" / "raw").is_dir(), reason=f"real MNIST not found in {DATA}")
N = 1_000


@pytest.fixture(scope="module")
def mnist():
    images, labels = load_torchvision("mnist", DATA, train=False, download=False)
    return images_to_float(images), labels  # (10000, 1, 28, 28) in [0, 1]


@pytest.fixture(scope="module")
def classifier():
    torch.set_num_threads(2)
    return load_classifier("mnist")


@pytest.fixture(scope="module")
def scores(mnist, classifier):
    x, _ = mnist
    real, held_out = x[:N], x[N:2 * N]  # disjoint halves: "fake" here is a second draw of real digits
    noise = torch.rand(N, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    repeated = x[-1:].expand(N, -1, -1, -1)
    return {name: image_scores(real, fake, classifier)
            for name, fake in (("real", held_out), ("noise", noise), ("repeated", repeated))}


def test_real_digits_beat_noise_on_every_score(scores):
    real, noise = scores["real"], scores["noise"]
    assert real["frechet_distance"] < noise["frechet_distance"] / 10
    assert real["classifier_score"] > 9 > noise["classifier_score"]
    assert real["classes_covered"] == 10 > noise["classes_covered"]
    assert real["kl_to_uniform"] < noise["kl_to_uniform"]
    for key in ("precision", "recall", "density", "coverage"):
        assert real[key] > noise[key], key


def test_real_digits_beat_one_repeated_digit_on_diversity(scores):
    # A repeated real digit is perfectly realistic, so precision and density may rate it highly; the
    # scores that see diversity must not.
    real, repeated = scores["real"], scores["repeated"]
    assert real["frechet_distance"] < repeated["frechet_distance"]
    assert real["classifier_score"] > 9 and repeated["classifier_score"] == pytest.approx(1.0, abs=0.01)
    assert repeated["classes_covered"] == 1
    assert real["recall"] > 0.5 > repeated["recall"]
    assert real["coverage"] > 0.5 > repeated["coverage"]


def test_image_scores_agree_with_the_single_metric_functions(mnist, classifier):
    x, _ = mnist
    real, fake = x[:500], x[500:1000]
    combined = image_scores(real, fake, classifier)
    assert combined["frechet_distance"] == pytest.approx(frechet_distance(real, fake, classifier), rel=1e-4)
    assert combined["classifier_score"] == pytest.approx(classifier_score(fake, classifier), rel=1e-4)
    assert combined["classes_covered"] == class_coverage(fake, classifier)["classes_covered"]


def test_a_collapsed_generator_covers_one_class_of_ten(mnist, classifier):
    x, labels = mnist
    threes = x[labels == 3]
    coverage = class_coverage(threes, classifier)
    assert coverage["classes_covered"] == 1
    assert coverage["histogram"][3] > 0.98 and sum(coverage["histogram"]) == pytest.approx(1.0)
    assert coverage["kl_to_uniform"] > 2.0  # log 10 = 2.30 for exactly one class
    everything = class_coverage(x[:N], classifier)
    assert everything["classes_covered"] == 10 and everything["kl_to_uniform"] < 0.05


def test_prdc_on_identical_features_is_perfect():
    f = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    result = prdc(f, f.clone(), k=5)
    assert result["precision"] == 1.0 and result["recall"] == 1.0 and result["coverage"] == 1.0
    assert result["density"] == pytest.approx(1.0, abs=0.05)  # each point sits in itself + ~k neighbours' balls


def test_prdc_separates_shifted_features():
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(500, 8, generator=g), torch.randn(500, 8, generator=g) + 10.0
    result = prdc(real, fake)
    assert result == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
