"""The Parzen-window estimate: right on a density we know, and it ranks real digits above junk."""

import math
from pathlib import Path

import pytest
import torch

from explorer.metrics.parzen import mnist_parzen_splits, parzen_evaluate, parzen_log_likelihood, select_sigma

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_mnist = pytest.mark.skipif(not (DATA / "MNIST" / "raw").is_dir(), reason=f"real MNIST not found in {DATA}")


def gaussian_log_density(x: torch.Tensor, scale: float) -> torch.Tensor:
    d = x.shape[1]
    return -x.double().square().sum(1) / (2 * scale**2) - d * math.log(scale * math.sqrt(2 * math.pi))


def test_parzen_matches_the_analytic_log_density_of_a_gaussian():
    g = torch.Generator().manual_seed(0)
    samples, validation, test = (torch.randn(n, 2, generator=g) for n in (10_000, 500, 1_000))
    sigma, _ = select_sigma(samples, validation, torch.logspace(-1.5, 0, 11))
    estimate = parzen_log_likelihood(samples, test, sigma)
    exact = gaussian_log_density(test, 1.0)
    # With 10,000 samples in 2D the kernel estimate's bias is a few hundredths of a nat per point.
    assert abs(float(estimate.mean() - exact.mean())) < 0.05
    assert float((estimate - exact).abs().median()) < 0.1


@pytest.mark.parametrize("scale", [1.0, 0.01])
def test_sigma_selection_follows_the_scale_of_the_data(scale):
    g = torch.Generator().manual_seed(1)
    samples, validation = scale * torch.randn(5_000, 2, generator=g), scale * torch.randn(500, 2, generator=g)
    sigma, by_sigma = select_sigma(samples, validation, torch.logspace(-4, 1, 26))
    # Silverman's rule gives 0.24 * scale here; cross-validation should land within a factor of ~4.
    assert 0.05 * scale < sigma < 1.0 * scale
    assert max(by_sigma, key=by_sigma.get) == pytest.approx(sigma)


def test_evaluate_reports_mean_and_standard_error_over_the_test_set():
    g = torch.Generator().manual_seed(2)
    samples, validation, test = (torch.randn(n, 3, generator=g) for n in (2_000, 200, 400))
    result = parzen_evaluate(samples, validation, test, torch.logspace(-1, 0, 5))
    ll = parzen_log_likelihood(samples, test, result["sigma"])
    assert result["n_samples"] == 2_000 and result["n_test"] == 400
    assert result["mean"] == pytest.approx(float(ll.mean()))
    assert result["std_error"] == pytest.approx(float(ll.std()) / math.sqrt(400))


@needs_mnist
def test_real_mnist_scores_above_noise_and_above_one_repeated_digit():
    validation, test, train = mnist_parzen_splits(DATA)
    assert validation.shape == (1_000, 784) and test.shape == (10_000, 784) and train.shape == (50_000, 784)
    assert 0.0 <= float(train.min()) and float(train.max()) <= 1.0
    validation, test = validation[:300], test[:500]
    real = train[:3_000]
    noise = torch.rand(3_000, 784, generator=torch.Generator().manual_seed(0))
    repeated = train[:1].expand(3_000, -1)
    score = {name: parzen_evaluate(s, validation, test)["mean"]
             for name, s in (("real", real), ("noise", noise), ("repeated", repeated))}
    assert score["real"] > score["repeated"] > score["noise"]
    assert score["real"] > 100  # 10,000 real digits give about 241 nats on the full protocol


def test_the_protocol_reports_its_progress_batch_by_batch_and_stops_where_the_callback_raises():
    torch.manual_seed(0)
    samples, validation, test = torch.rand(300, 5), torch.rand(50, 5), torch.rand(80, 5)
    seen: list[tuple[float, str]] = []
    parzen_evaluate(samples, validation, test, batch_size=10, on_progress=lambda f, msg: seen.append((f, msg)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0) and len(seen) == 5 + 8
    assert seen[0][1] == "choosing sigma on 50 validation images" and seen[-1][1] == "scoring 80 test images"
    # the batch size changes only the order of the sums: equal but for the last bits (how many depends on the
    # CPU thread count a test before this one left behind)
    assert parzen_evaluate(samples, validation, test, batch_size=10) == pytest.approx(
        parzen_evaluate(samples, validation, test), rel=1e-6)

    class Stop(Exception):
        pass

    def stop_at_half(fraction: float, message: str) -> None:
        if fraction >= 0.5:
            raise Stop

    with pytest.raises(Stop):
        parzen_evaluate(samples, validation, test, batch_size=10, on_progress=stop_at_half)
