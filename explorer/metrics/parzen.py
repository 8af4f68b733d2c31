"""The paper's Parzen-window log-likelihood (Table 1), as in Goodfellow's `parzen_ll.py`.

Fit an isotropic Gaussian kernel density to samples from G, pick its width sigma by log-likelihood on a
validation set, then report the mean log-likelihood of the test set and its standard error:

    log p(x) = logmeanexp_j( -|x - mu_j|^2 / (2 sigma^2) ) - d * log(sigma * sqrt(2 pi))

with mu_j the G samples and d the number of pixels (784 for MNIST, pixels in [0, 1]). The paper's protocol:
10,000 samples from G, sigma from logspace(-1, 0, 10) chosen on 1,000 validation images (the first 1,000 of
training images 50,000..59,999), then the 10,000 test images. The paper's GAN scores 225 +/- 2 on MNIST.
It is a poor estimator in 784 dimensions (Theis et al. 2016): it rewards blur-free near-copies of training
images and says little about sample quality, which is why the explorer also shows classifier-based scores.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor
from tqdm.auto import tqdm

from explorer.game.config import TrainConfig
from explorer.game.datasets import dataset_spec, load_dataset

DEFAULT_SIGMAS = torch.logspace(-1, 0, 10)  # the paper's cross-validation grid, 0.1 .. 1
PAPER_N_SAMPLES = 10_000  # samples drawn from G for the estimate
PAPER_N_VALIDATION = 1_000  # validation images used to choose sigma


def _log_likelihoods(samples: Tensor, x: Tensor, sigmas: Tensor, batch_size: int,
                     progress: bool, desc: str, on_batch: Callable[[float], None] | None = None) -> Tensor:
    """log p(x) under the kernel density of `samples` for every sigma at once.

    (M, d) samples, (N, d) x, (S,) sigmas -> (N, S) float64. The squared distances do not depend on sigma,
    so sweeping the whole grid costs one pass over the data. `on_batch(fraction done)` after each batch: a
    progress bar's feed, and the place where a Cancel (an exception it raises) takes effect.
    """
    device = samples.device
    mu = samples.reshape(len(samples), -1).to(torch.float32)
    x = x.reshape(len(x), -1).to(device=device, dtype=torch.float32)
    if mu.shape[1] != x.shape[1]:
        raise ValueError(f"samples have {mu.shape[1]} dimensions but x has {x.shape[1]}")
    # Centring on the samples' mean changes no distance but shrinks |x|^2 and |mu|^2, so the float32
    # expansion |x|^2 - 2 x.mu + |mu|^2 loses far less to cancellation.
    centre = mu.mean(0, dtype=torch.float64).to(torch.float32)
    mu, x = mu - centre, x - centre
    mu_sq = mu.square().sum(1, dtype=torch.float64)  # (M,)
    sigmas = sigmas.to(device=device, dtype=torch.float64)
    d = mu.shape[1]
    log_norm = d * torch.log(sigmas * math.sqrt(2 * math.pi)) + math.log(len(mu))  # (S,): kernel Z and 1/M
    out = []
    for start in tqdm(range(0, len(x), batch_size), desc=desc, disable=not progress, file=sys.stderr,
                      leave=False):
        xb = x[start:start + batch_size]
        sq = (xb.square().sum(1, dtype=torch.float64)[:, None] - 2 * (xb @ mu.T).double()
              + mu_sq[None, :]).clamp_(min=0)  # (B, M) squared distances
        scaled = -sq[:, :, None] / (2 * sigmas.square())  # (B, M, S)
        out.append(torch.logsumexp(scaled, dim=1) - log_norm)  # (B, S)
        if on_batch is not None:
            on_batch(min(1.0, (start + batch_size) / len(x)))
    return torch.cat(out).cpu()


def _batch_for(n_samples: int, n_sigmas: int) -> int:
    """Rows per batch so the (B, M, S) float64 block stays near 256 MB."""
    return max(1, min(1024, (32 * 2**20) // max(1, n_samples * n_sigmas)))


def parzen_log_likelihood(samples: Tensor, x: Tensor, sigma: float, batch_size: int | None = None,
                          progress: bool = False) -> Tensor:
    """log p(x) of each row of x under a Gaussian Parzen window of width sigma on `samples`.

    samples (M, ...) and x (N, ...) are flattened; computed on the samples' device. Returns (N,) float64.
    """
    sigmas = torch.tensor([float(sigma)])
    ll = _log_likelihoods(samples, x, sigmas, batch_size or _batch_for(len(samples), 1), progress, "Parzen")
    return ll[:, 0]


def select_sigma(samples: Tensor, validation: Tensor, sigmas: Tensor = DEFAULT_SIGMAS,
                 batch_size: int | None = None, progress: bool = False,
                 on_batch: Callable[[float], None] | None = None) -> tuple[float, dict[float, float]]:
    """The sigma of the grid with the highest mean validation log-likelihood, and every sigma's mean."""
    sigmas = torch.as_tensor(sigmas, dtype=torch.float64).flatten()
    ll = _log_likelihoods(samples, validation, sigmas, batch_size or _batch_for(len(samples), len(sigmas)),
                          progress, "Parzen sigma", on_batch)
    means = ll.mean(0)
    by_sigma = {float(s): float(m) for s, m in zip(sigmas, means, strict=True)}
    return float(sigmas[int(means.argmax())]), by_sigma


def parzen_evaluate(samples: Tensor, validation: Tensor, test: Tensor, sigmas: Tensor = DEFAULT_SIGMAS,
                    batch_size: int | None = None, progress: bool = False,
                    on_progress: Callable[[float, str], None] | None = None) -> dict[str, float]:
    """The whole protocol: choose sigma on `validation`, then score `test`.

    Returns mean (nats per image; higher is better), std_error = std / sqrt(n_test), sigma, n_samples,
    n_test. Edge of the grid: a sigma at either end of `sigmas` means the grid was too narrow.
    """
    report = on_progress or (lambda fraction, message: None)
    sigma, _ = select_sigma(samples, validation, sigmas, batch_size, progress,
                            lambda f: report(0.3 * f, f"choosing sigma on {len(validation):,} validation images"))
    ll = _log_likelihoods(samples, test, torch.tensor([sigma]), batch_size or _batch_for(len(samples), 1), progress,
                          "Parzen", lambda f: report(0.3 + 0.7 * f, f"scoring {len(test):,} test images"))[:, 0]
    return {"mean": float(ll.mean()), "std_error": float(ll.std() / math.sqrt(len(ll))), "sigma": sigma,
            "n_samples": len(samples), "n_test": len(ll)}


def mnist_parzen_splits(data_root: str | Path, device: torch.device | str = "cpu"
                        ) -> tuple[Tensor, Tensor, Tensor]:
    """(validation, test, train) MNIST as (N, 784) float32 in [0, 1], split as in the paper's code.

    validation = the first 1,000 of training images 50,000..59,999; test = the 10,000 test images;
    train = the first 50,000 training images (what the GAN trains on).
    """
    validation, test, train = parzen_data(TrainConfig.for_dataset("mnist"), str(data_root))
    return validation.to(device), test.to(device), train.to(device)


def parzen_data(cfg: TrainConfig, data_root: str | None) -> tuple[Tensor, Tensor, Tensor]:
    """(validation, test, train) flattened to (N, d) in [0, 1]. MNIST-like sets follow the paper's split:
    validation = the first 1,000 of training images 50,000..59,999, train = the first 50,000."""
    flat = lambda t: t.reshape(len(t), -1)  # noqa: E731
    train = load_dataset(cfg, split="train", data_root=data_root).x
    test = load_dataset(cfg, split="test", data_root=data_root).x
    if "validation" in dataset_spec(cfg.dataset).splits:
        validation = load_dataset(cfg, split="validation", data_root=data_root).x[:PAPER_N_VALIDATION]
        return flat(validation), flat(test), flat(train)
    n_val = min(1000, len(train) // 5)
    return flat(train[-n_val:]), flat(test), flat(train[:-n_val])
