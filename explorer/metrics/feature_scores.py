"""Sample-quality scores in the feature space of the MNIST / Fashion-MNIST classifier.

They answer the questions the Parzen estimate cannot: do the samples look like the data (Frechet distance,
precision, density), are they recognisable (classifier score), and do they cover every class and the whole
data manifold (class coverage, recall, coverage)? All take images in [0, 1] shaped (N, 1, 28, 28).

- Frechet distance (Heusel et al. 2017, "FID" with our classifier for Inception): distance between Gaussians
  fitted to real and fake features. Lower is better; 0 for identical statistics.
- Classifier score (Salimans et al. 2016, "Inception Score"): exp E_x KL(p(y|x) || p(y)). Higher is better,
  at most the number of classes (10): confident predictions spread evenly over the classes.
- Precision / recall (Kynkaanniemi et al. 2019) and density / coverage (Naeem et al. 2020): k-nearest-
  neighbour balls around real and fake features. Precision and density measure fidelity, recall and coverage
  diversity; all are near 1 when fake and real come from the same distribution (density can exceed 1).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance

from explorer.metrics.classifier import predict_logits

MIN_CLASS_SHARE_OF_FAIR = 0.1  # a class is covered when it gets >= 10% of its fair share (1% of samples for 10)
PRDC_K = 5  # neighbours for the k-NN balls, as in Naeem et al.


class _Features(nn.Module):
    """Adapts the classifier to torchmetrics' custom-feature API: float images in, (N, d) features out."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier
        self.num_features = int(classifier.num_features)  # spares torchmetrics a dummy 299x299 forward pass

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tensor:
        return self.classifier.features(x)


def _device(classifier: nn.Module) -> torch.device:
    return next(classifier.parameters()).device


@torch.no_grad()
def features(images: Tensor, classifier: nn.Module, batch_size: int = 1000) -> Tensor:
    """Penultimate-layer features, (N, 1, 28, 28) -> (N, d), on the classifier's device."""
    classifier.eval()
    device = _device(classifier)
    return torch.cat([classifier.features(images[i:i + batch_size].to(device))
                      for i in range(0, len(images), batch_size)])


def frechet_distance(real: Tensor, fake: Tensor, classifier: nn.Module, batch_size: int = 1000) -> float:
    """Frechet distance between Gaussians fitted to the classifier features of real and fake images.

    Uses torchmetrics' FrechetInceptionDistance with the classifier as its feature network; normalize=True
    there means "feed float images as they are" for a custom network (it casts to uint8 only for Inception).
    """
    classifier.eval()
    fid = FrechetInceptionDistance(feature=_Features(classifier), normalize=True).to(_device(classifier))
    for images, is_real in ((real, True), (fake, False)):
        for i in range(0, len(images), batch_size):
            fid.update(images[i:i + batch_size].to(_device(classifier)), real=is_real)
    return float(fid.compute())


def _score_from_probs(probs: Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))) from (N, K) class posteriors."""
    p_y = probs.mean(0, keepdim=True)
    kl = (probs * (torch.log(probs + 1e-12) - torch.log(p_y + 1e-12))).sum(1)
    return float(torch.exp(kl.mean()))


def classifier_score(fake: Tensor, classifier: nn.Module) -> float:
    """The Inception Score with our classifier: between 1 (one class, or unsure) and 10 (sharp and even)."""
    probs = predict_logits(classifier, fake).double().softmax(1)
    return _score_from_probs(probs)


def _coverage_from_predictions(pred: Tensor, n_classes: int) -> dict[str, object]:
    counts = torch.bincount(pred.cpu(), minlength=n_classes).double()
    share = counts / counts.sum()
    min_share = MIN_CLASS_SHARE_OF_FAIR / n_classes
    kl = float((share * torch.log(share * n_classes)).nan_to_num(0.0).sum())  # 0 * log 0 = 0
    return {"classes_covered": int((share >= min_share).sum()), "n_classes": n_classes,
            "min_share": min_share, "kl_to_uniform": kl, "histogram": share.tolist()}


def class_coverage(fake: Tensor, classifier: nn.Module) -> dict[str, object]:
    """How the samples spread over the classes the classifier predicts for them.

    classes_covered counts the classes that receive at least 10% of a fair share (>= 1% of the samples for
    10 classes): enough that a classifier's stray errors on a collapsed generator (about 0.5% for MNIST) do
    not count as coverage, while a generator that is merely uneven still gets credit. kl_to_uniform is
    KL(class histogram || uniform) in nats: 0 for perfectly even classes, log 10 = 2.30 for one class.
    histogram is the share of samples per class.
    """
    logits = predict_logits(classifier, fake)
    return _coverage_from_predictions(logits.argmax(1), logits.shape[1])


def _kth_neighbour_radii(x: Tensor, k: int, batch_size: int) -> Tensor:
    """Distance from each row of x to its k-th nearest other row. (N, d) -> (N,)"""
    radii = [torch.cdist(x[i:i + batch_size], x).topk(k + 1, dim=1, largest=False).values[:, -1]
             for i in range(0, len(x), batch_size)]  # k + 1 because each point is its own nearest (at 0)
    return torch.cat(radii)


@torch.no_grad()
def prdc(real_features: Tensor, fake_features: Tensor, k: int = PRDC_K, batch_size: int = 1024
         ) -> dict[str, float]:
    """Precision, recall (Kynkaanniemi 2019), density and coverage (Naeem 2020) from (N, d) features.

    A fake sample is "real-looking" when it falls inside some real sample's ball (radius = that real
    sample's distance to its k-th nearest real neighbour); recall swaps the roles. Density counts how many
    real balls hold each fake sample (divided by k); coverage is the share of real balls holding any fake.
    """
    real, fake = real_features.double(), fake_features.double().to(real_features.device)
    real_radii = _kth_neighbour_radii(real, k, batch_size)  # (R,)
    fake_radii = _kth_neighbour_radii(fake, k, batch_size)  # (F,)
    in_real_balls = torch.zeros(len(fake), device=real.device)  # per fake: real balls that hold it
    real_ball_hit = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # per real: any fake inside
    real_in_fake_ball = torch.zeros(len(real), dtype=torch.bool, device=real.device)  # for recall
    for i in range(0, len(fake), batch_size):
        dist = torch.cdist(real, fake[i:i + batch_size])  # (R, B)
        inside = dist < real_radii[:, None]
        in_real_balls[i:i + batch_size] = inside.sum(0).to(in_real_balls.dtype)
        real_ball_hit |= inside.any(1)
        real_in_fake_ball |= (dist < fake_radii[None, i:i + batch_size]).any(1)
    return {"precision": float((in_real_balls > 0).double().mean()),
            "recall": float(real_in_fake_ball.double().mean()),
            "density": float(in_real_balls.double().mean() / k),
            "coverage": float(real_ball_hit.double().mean())}


def image_scores(real: Tensor, fake: Tensor, classifier: nn.Module, k: int = PRDC_K) -> dict[str, float]:
    """Every score above for one set of samples, in one flat dict (histogram left out; see class_coverage).

    Keys: frechet_distance, classifier_score, classes_covered, kl_to_uniform, precision, recall, density,
    coverage, n_real, n_fake.
    """
    real_f, fake_f = features(real, classifier), features(fake, classifier)
    with torch.no_grad():
        fake_logits = classifier.head(fake_f)  # reuse the features: forward(x) == head(features(x))
    coverage = _coverage_from_predictions(fake_logits.argmax(1), fake_logits.shape[1])
    scores = {"frechet_distance": frechet_distance(real, fake, classifier),
              "classifier_score": _score_from_probs(fake_logits.double().softmax(1)),
              "classes_covered": coverage["classes_covered"], "kl_to_uniform": coverage["kl_to_uniform"],
              **prdc(real_f, fake_f, k), "n_real": len(real), "n_fake": len(fake)}
    return {key: (value if isinstance(value, int) else float(value)) for key, value in scores.items()}

