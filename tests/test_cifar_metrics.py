"""Offline, CIFAR-10 FID/IS/KID fail with one clear error that says what to fetch and where."""

import pytest
import torch

from explorer.metrics import cifar as cifar_metrics
from explorer.metrics.cifar import INCEPTION_FILE, MetricUnavailableError, cifar_scores


def test_missing_torch_fidelity_says_what_to_install(monkeypatch):
    monkeypatch.setattr(cifar_metrics, "_fidelity_installed", lambda: False)
    images = torch.rand(4, 3, 32, 32)
    with pytest.raises(MetricUnavailableError, match="pip install torch-fidelity"):
        cifar_scores(images, images)


def test_missing_weights_say_where_they_go(monkeypatch, tmp_path):
    monkeypatch.setattr(cifar_metrics, "_fidelity_installed", lambda: True)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty hub cache
    images = torch.rand(4, 3, 32, 32)
    with pytest.raises(MetricUnavailableError) as err:
        cifar_scores(images, images, download=False)
    message = str(err.value)
    assert INCEPTION_FILE in message and str(tmp_path / "hub" / "checkpoints") in message
    assert "internet" in message


def test_a_failed_download_gives_the_same_error(monkeypatch, tmp_path):
    from urllib.error import URLError

    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(cifar_metrics, "_fidelity_installed", lambda: True)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(MetricUnavailableError, match="downloading them failed.*no network"):
        cifar_scores(torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32))
