"""Divergence recovery: the health watch over the drained metrics, and the last good weights a run goes back to.

The runner refreshes the good state every few seconds of training (copied in place into the tensors of the
previous copy, see `_copy_state`); when the health watch says the losses diverged (health.py), the trainer is
put back to that state with the settings the user chose since kept, and the runner pauses and says why.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch

from explorer.game.config import TrainConfig
from explorer.game.trainer import Trainer
from explorer.runs.health import Alarm, HealthWatch


class Recovery:
    """One run's health watch and last good state. Used by the training thread only."""

    def __init__(self, cfg: TrainConfig):
        self._health = HealthWatch(cfg)
        self._good: dict | None = None
        self.good_time = 0.0  # perf_counter() of the last remember(); 0: never

    def check(self, rows: np.ndarray, first_step: int) -> Alarm | None:
        """The health watch's verdict on freshly drained rows (see HealthWatch.check)."""
        return self._health.check(rows, first_step)

    def remember(self, trainer: Trainer) -> None:
        """The weights (and everything else of the trainer's state) that a divergence goes back to."""
        self._good = _copy_state(trainer.state_dict(), into=self._good)
        self.good_time = time.perf_counter()

    def older_than(self, seconds: float) -> bool:
        """Whether the good state was remembered more than `seconds` ago (time to refresh it)."""
        return time.perf_counter() - self.good_time > seconds

    def restore(self, trainer: Trainer) -> int:
        """Put the last good state back into `trainer`, keeping the learning rates and k it has now (the user may
        have changed them since); the health watch starts over. Returns the good state's step."""
        lr_d, lr_g, k = trainer.lr_d, trainer.lr_g, trainer.k
        # A copy: the optimizers keep the tensors they are given, which would tie the good state to training.
        trainer.load_state_dict(copy.deepcopy(self._good))
        trainer.set_learning_rates(lr_d, lr_g)
        trainer.set_k(k)
        self._health.reset()
        return int(self._good["step"])


def _copy_state(state: object, into: object = None) -> object:
    """A deep copy of a state dict, written into the tensors of `into` (an earlier copy of the same state)
    wherever shape, dtype and device match: refreshing the good weights every few seconds then costs a memory
    copy instead of a deepcopy's allocations (~4x faster on the MNIST MLPs). Everything else is copied anew."""
    if isinstance(state, torch.Tensor):
        if (isinstance(into, torch.Tensor) and into.shape == state.shape and into.dtype == state.dtype
                and into.device == state.device):
            return into.copy_(state)
        return state.detach().clone()
    if isinstance(state, dict):  # an OrderedDict stays one, with its _metadata (a module's state_dict)
        into = into if isinstance(into, dict) else {}
        out = type(state)((key, _copy_state(value, into.get(key))) for key, value in state.items())
        if hasattr(state, "_metadata"):
            out._metadata = copy.deepcopy(state._metadata)
        return out
    if isinstance(state, (list, tuple)):
        into = into if isinstance(into, (list, tuple)) and len(into) == len(state) else (None,) * len(state)
        return type(state)(_copy_state(value, old) for value, old in zip(state, into, strict=True))
    return copy.deepcopy(state)
