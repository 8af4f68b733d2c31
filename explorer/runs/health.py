"""Signs that the game is going wrong, read from the per-step metrics the runner already drains (nothing is
added to the training step): NaN/inf numbers, exploding gradients, and a discriminator that wins outright.

The first two stop the run (the runner restores the last good weights and pauses); a winning D is a warning
that stays up while it lasts: the game can recover, and a lecture may show it on purpose (section 3's poor G).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.game.config import TrainConfig
from explorer.game.trainer import METRICS

LOSSES = slice(0, 3)  # d_loss_real, d_loss_fake, g_loss
D_G_Z = METRICS.index("d_g_z")
GRAD_NORMS = slice(METRICS.index("grad_norm_d"), METRICS.index("grad_norm_g") + 1)

# A gradient norm above EXPLODE_FACTOR times its median over the recent healthy steps and above EXPLODE_FLOOR
# is exploding (above EARLY_LIMIT while there are too few steps for a median). Measured on the presets: healthy
# norms stayed below 35, yet reached 500x their median where D saturates early (a poor G), hence the floor;
# runs blowing up (SGD at lr 1) passed 1e4 one to five steps before their losses turned NaN.
EXPLODE_FACTOR = 1000.0
EXPLODE_FLOOR = 100.0
EARLY_LIMIT = 1000.0
REFERENCE_ROWS = 1000  # the trailing window the median is taken over
MIN_REFERENCE_ROWS = 100
# D wins when mean D(G(z)) stays below D_WINS_LEVEL for D_WINS_STEPS steps in a row: G's samples are all
# rejected with certainty, and under the minimax loss G's gradient vanishes (section 3).
D_WINS_LEVEL = 0.01
D_WINS_STEPS = 500


@dataclass(frozen=True)
class Alarm:
    kind: str  # "nonfinite" | "exploding" | "d_wins"
    step: int  # the step it was seen at (for d_wins: the first step of the streak)
    message: str  # what happened and what to try
    stops_run: bool  # True: restore the last good weights and pause; False: a warning


class HealthWatch:
    """Feed it each drained block of metric rows, in order; it answers the most serious alarm, or None."""

    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self._norms = np.empty((0, 2))  # recent healthy gradient norms (D, G)
        self._low_streak = 0  # steps in a row with mean D(G(z)) < D_WINS_LEVEL

    def reset(self) -> None:
        """After the runner restored earlier weights: the streaks seen since no longer apply."""
        self._low_streak = 0

    def check(self, rows: np.ndarray, first_step: int) -> Alarm | None:
        if not len(rows):
            return None
        stops = [a for a in (self._nonfinite(rows, first_step), self._exploding(rows, first_step)) if a]
        if stops:
            return min(stops, key=lambda a: a.step)  # what went wrong first
        self._norms = np.concatenate([self._norms, rows[:, GRAD_NORMS]])[-REFERENCE_ROWS:]
        return self._d_wins(rows, first_step)

    def _nonfinite(self, rows: np.ndarray, first_step: int) -> Alarm | None:
        bad = ~np.isfinite(rows[:, LOSSES]).all(1) | ~np.isfinite(rows[:, GRAD_NORMS]).all(1)
        if not bad.any():
            return None
        i = int(bad.argmax())
        names = [n for n, v in zip(METRICS, rows[i], strict=True)
                 if n in METRICS[LOSSES] + METRICS[GRAD_NORMS] and not np.isfinite(v)]
        return Alarm("nonfinite", first_step + i, f"Training diverged: {' and '.join(names)} became NaN/inf at "
                     f"step {first_step + i}. {self._advice()}", stops_run=True)

    def _exploding(self, rows: np.ndarray, first_step: int) -> Alarm | None:
        early = len(self._norms) < MIN_REFERENCE_ROWS
        typical = np.full(2, np.nan) if early else np.median(self._norms, axis=0)
        limit = np.full(2, EARLY_LIMIT) if early else np.maximum(EXPLODE_FACTOR * typical, EXPLODE_FLOOR)
        over = (rows[:, GRAD_NORMS] > limit).any(1)  # NaN compares False: left to _nonfinite
        if not over.any():
            return None
        i = int(over.argmax())
        which = int((rows[i, GRAD_NORMS] > limit).argmax())
        name, value = ("D", "G")[which], rows[i, GRAD_NORMS][which]
        usual = "" if early else f", {value / typical[which]:.0f}x its recent median ({typical[which]:.3g})"
        return Alarm("exploding", first_step + i, f"Exploding gradients: the norm of {name}'s gradient reached "
                     f"{value:.3g} at step {first_step + i}{usual}. {self._advice()}", stops_run=True)

    def _d_wins(self, rows: np.ndarray, first_step: int) -> Alarm | None:
        low = rows[:, D_G_Z] < D_WINS_LEVEL
        if low.all():
            self._low_streak += len(low)
        else:
            self._low_streak = len(low) - 1 - int(np.flatnonzero(~low)[-1])
        if self._low_streak < D_WINS_STEPS:
            return None
        since = first_step + len(rows) - self._low_streak
        tips = ["switch the loss to non_saturating (section 3: G's minimax gradient vanishes here)"
                if self.cfg.loss == "minimax" else None,
                "lower lr_d", "use fewer D steps per G step (k)" if self.cfg.k > 1 else None,
                "raise D's dropout" if self.cfg.family == "paper" else None]
        return Alarm("d_wins", since,
                     f"D is winning: mean D(G(z)) has stayed below {D_WINS_LEVEL} since step {since}, so G gets "
                     f"almost no signal. The game may recover by itself; if not, "
                     f"{', or '.join(t for t in tips if t)}.", stops_run=False)

    def _advice(self) -> str:
        cfg = self.cfg
        return ("Lower the learning rates" + (", or try Adam" if cfg.optimizer == "sgd" else "")
                + (", or use a smaller k" if cfg.k > 1 else "") + ".")
