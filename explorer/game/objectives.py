"""The game's objectives: what D and G descend, from D's logits. One `ObjectiveSpec` each; TrainConfig's `loss`
choices and `Trainer.step` read this registry, so a new objective is one `register_objective` call.

Losses are written on logits with softplus, which is log(1 + e^t) computed without overflow:
    -log D(x) = softplus(-logit(x)),   -log(1 - D(G(z))) = softplus(logit(G(z))).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from explorer.game.registry import Names, Registry


@dataclass(frozen=True)
class ObjectiveSpec:
    name: str  # the code in configs, links and the CLI (TrainConfig.loss)
    # D's loss on real and on fake logits, each a mean to descend: (B, 1), (B, 1) -> (), ()
    d_loss: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]
    g_loss: Callable[[Tensor], Tensor]  # G's loss from D's logits on G(z), descended: (B, 1) -> ()
    label: str = ""  # what people read; "" when explorer.names has it already (the built-in ones)


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> tuple[Tensor, Tensor]:
    """D ascends log D(x) + log(1 - D(G(z))): it descends -log D(x) and -log(1 - D(G(z)))."""
    return F.softplus(-real_logits).mean(), F.softplus(fake_logits).mean()


def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    """Algorithm 1 as written: G descends log(1 - D(G(z))), which saturates while D rejects G's samples."""
    return -F.softplus(fake_logits).mean()


def non_saturating_g_loss(fake_logits: Tensor) -> Tensor:
    """Section 3's remedy: G ascends log D(G(z)) (descends -log D(G(z))), same fixed point, strong early gradient."""
    return F.softplus(-fake_logits).mean()


OBJECTIVES: Registry[ObjectiveSpec] = Registry("loss", "objective")
LOSSES: Names = OBJECTIVES.names()  # TrainConfig.loss's choices, as registered now


def register_objective(spec: ObjectiveSpec) -> ObjectiveSpec:
    return OBJECTIVES.register(spec)


def unregister_objective(name: str) -> ObjectiveSpec:
    return OBJECTIVES.unregister(name)


def objective(name: str) -> ObjectiveSpec:
    return OBJECTIVES.get(name)


register_objective(ObjectiveSpec("minimax", discriminator_loss, minimax_g_loss))
register_objective(ObjectiveSpec("non_saturating", discriminator_loss, non_saturating_g_loss))
