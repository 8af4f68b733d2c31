"""FID, Inception Score and KID for CIFAR-10, through torchmetrics and the standard Inception v3 weights.

torchmetrics computes these with torch-fidelity's port of the TF Inception graph, whose weights
(weights-inception-2015-12-05-6726825d.pth, about 92 MB) torch.hub downloads on first use into
<torch hub dir>/checkpoints (~/.cache/torch/hub/checkpoints unless $TORCH_HOME says otherwise). Offline,
with either piece missing, every entry point raises MetricUnavailableError saying what to fetch and where.
For MNIST-like data use explorer.metrics.feature_scores, whose classifier ships with the project.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import torch
from torch import Tensor

INCEPTION_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                 "weights-inception-2015-12-05-6726825d.pth")  # the URL torch-fidelity loads from
INCEPTION_FILE = INCEPTION_URL.rsplit("/", 1)[1]


class MetricUnavailableError(RuntimeError):
    """A metric's network or weights are not installed; the message says what is missing and what to do."""


def inception_weights_path() -> Path:
    """Where torch.hub (and so torch-fidelity) looks for the Inception weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE


def _fidelity_installed() -> bool:
    return importlib.util.find_spec("torch_fidelity") is not None


def _missing_weights_message(why: str) -> str:
    where = inception_weights_path()
    return (f"CIFAR-10 FID/IS/KID need the Inception v3 weights {INCEPTION_FILE} in {where.parent}, and "
            f"{why}. On a machine with internet run the metric once (it downloads them), or fetch "
            f"{INCEPTION_URL} and copy the file to {where} (set $TORCH_HOME to move that folder).")


def check_inception_available(download: bool = False) -> None:
    """Raise MetricUnavailableError unless torch-fidelity is installed and the weights are (or can be) there.

    With download=True a missing weights file is fetched now; a failed fetch raises the same error.
    """
    if not _fidelity_installed():
        raise MetricUnavailableError(
            "CIFAR-10 FID/IS/KID need the torch-fidelity package, which torchmetrics uses for Inception v3: "
            "pip install torch-fidelity (or torchmetrics[image]). Its Inception weights "
            f"({INCEPTION_FILE}) are then downloaded on first use into {inception_weights_path().parent}.")
    if inception_weights_path().is_file():
        return
    if not download:
        raise MetricUnavailableError(_missing_weights_message("they are not there and downloading was off"))
    try:
        inception_weights_path().parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(INCEPTION_URL, str(inception_weights_path()), progress=False)
    except Exception as e:  # URLError, socket and HTTP errors, a hash mismatch
        raise MetricUnavailableError(_missing_weights_message(
            f"downloading them failed ({type(e).__name__}: {e})")) from e


def _to_uint8(images: Tensor) -> Tensor:
    """(N, 3, H, W) floats in [0, 1] -> uint8 0..255, rounded (the Inception port takes bytes)."""
    return images.clamp(0, 1).mul(255).round().to(torch.uint8)


@torch.no_grad()
def cifar_scores(real: Tensor, fake: Tensor, *, device: torch.device | str = "cpu", download: bool = True,
                 batch_size: int = 100, kid_subset_size: int = 1000) -> dict[str, float]:
    """FID (real vs fake), Inception Score (fake) and KID (real vs fake) of (N, 3, H, W) images in [0, 1].

    Returns fid, inception_score, inception_score_std, kid_mean, kid_std. The standard protocol uses
    50,000 fakes against the 50,000 training images; fewer samples bias FID upwards.
    """
    check_inception_available(download)
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.inception import InceptionScore
    from torchmetrics.image.kid import KernelInceptionDistance

    subset = min(kid_subset_size, len(real), len(fake))
    with warnings.catch_warnings():  # IS and KID warn that they keep every feature in memory; we know
        warnings.simplefilter("ignore", UserWarning)
        fid = FrechetInceptionDistance(feature=2048, feature_extractor_weights_path=str(inception_weights_path()))
        inception = InceptionScore()
        kid = KernelInceptionDistance(feature=2048, subset_size=subset)
    fid, inception, kid = fid.to(device), inception.to(device), kid.to(device)
    for images, is_real in ((real, True), (fake, False)):
        for i in range(0, len(images), batch_size):
            batch = _to_uint8(images[i:i + batch_size].to(device))
            fid.update(batch, real=is_real)
            kid.update(batch, real=is_real)
            if not is_real:
                inception.update(batch)
    is_mean, is_std = inception.compute()
    kid_mean, kid_std = kid.compute()
    return {"fid": float(fid.compute()), "inception_score": float(is_mean), "inception_score_std": float(is_std),
            "kid_mean": float(kid_mean), "kid_std": float(kid_std)}
