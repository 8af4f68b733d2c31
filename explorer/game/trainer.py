"""Algorithm 1 of Goodfellow et al. (2014), one `Trainer.step()` per generator update.

Speed rules: the data set is one tensor on the device and minibatches are slices of an on-device
permutation; per-step metrics are written into an on-device buffer and read in batches by `drain()`,
so a step never waits for the host.
"""

from __future__ import annotations

import copy
import os
import time
from contextlib import nullcontext

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from explorer.game.config import ConfigError, TrainConfig
from explorer.game.data import Dataset
from explorer.game.device import ThreadTuner, cpu_thread_candidates, pick_device, set_cuda_determinism
from explorer.game.models import Discriminator, Generator, SeededDropout, build_models, sample_z
from explorer.game.objectives import objective

METRICS = ("d_loss_real", "d_loss_fake", "g_loss", "d_x", "d_g_z", "grad_norm_d", "grad_norm_g")
CHECKPOINT_VERSION = 1
VIEW_SEED = 0x5EED  # offsets the view generator's seeds from the training seeds


def _optimizer(cfg: TrainConfig, params, lr: float) -> torch.optim.Optimizer:
    fast = {"fused": True}  # fused kernels where the build has them, else foreach
    for kwargs in (fast, {"foreach": True}):
        try:
            if cfg.optimizer == "adam":
                return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2), **kwargs)
            return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            params = list(params)
            continue
    raise RuntimeError("could not build the optimizer")


class Trainer:
    """Holds G, D, their optimizers and the data; `step()` is one iteration of Algorithm 1."""

    def __init__(self, cfg: TrainConfig, dataset: Dataset, device: torch.device | str | None = None,
                 metrics_capacity: int = 4096):
        if cfg.batch_size > len(dataset.x):  # only a data set is known here, not in TrainConfig
            raise ConfigError("batch_size", cfg.batch_size,
                              f"at most the {len(dataset.x):,} examples of {dataset.name}")
        self.cfg = cfg
        self.device = torch.device(device) if device is not None else pick_device(cfg.device)
        self.threads = ThreadTuner(cpu_thread_candidates(cfg) if self.device.type == "cpu" else ())
        if self.device.type == "cuda":
            set_cuda_determinism(cfg.reproducible)
        self.threads.start()
        self.dataset = dataset.to(self.device)
        pixel_mean = self.dataset.x.mean(0) if dataset.kind == "image" else None
        G, D = build_models(cfg, self.dataset.sample_shape, pixel_mean)
        self.G: Generator = G.to(self.device)
        self.D: Discriminator = D.to(self.device)
        # The data in G's output space ([-1, 1] for tanh models), once, on the device.
        self.x_data = self.G.from_data_space(self.dataset.x).contiguous()
        self.opt_d = _optimizer(cfg, list(self.D.parameters()), cfg.lr_d)
        self.opt_g = _optimizer(cfg, list(self.G.parameters()), cfg.lr_g)
        self.lr_d, self.lr_g, self.k = cfg.lr_d, cfg.lr_g, cfg.k
        # The training stream: minibatch order, z, dropout masks. Nothing else may draw from it (views and
        # metrics have their own generators), so a seed means the same run however often anyone looks.
        self.rng = torch.Generator(device=self.device).manual_seed(cfg.seed)
        for m in self.D.modules():
            if isinstance(m, SeededDropout):
                m.generator = self.rng
        self.fixed_z = sample_z(64, self.G.z_dim, cfg.prior, self.device,
                                torch.Generator(device=self.device).manual_seed(cfg.seed + 1))
        self.step_count = 0  # generator updates done
        self._perm = torch.empty(0, dtype=torch.long, device=self.device)
        self._cursor = 0
        self._buf = torch.zeros(metrics_capacity, len(METRICS), device=self.device)
        self._buf_rows = 0
        self._autocast = (torch.autocast(self.device.type, dtype=torch.bfloat16)
                          if cfg.precision == "bf16" else nullcontext())
        self.optimizer_steps = {"d": 0, "g": 0}
        # The running average of G's weights (cfg.g_average > 0): a second copy, updated after each G step.
        self.G_average: Generator | None = (copy.deepcopy(self.G).eval().requires_grad_(False)
                                            if cfg.g_average > 0 else None)
        self._G_train, self._D_train = self.G, self.D  # what step() calls: compiled wrappers on CUDA
        self.compiled = self._compile_for_cuda()

    # ------------------------------------------------------------------------------ Algorithm 1
    def step(self) -> None:
        """k discriminator updates on fresh minibatches, then one generator update."""
        m, G, D = self.cfg.batch_size, self._G_train, self._D_train
        reuse_fake = not self.cfg.fresh_noise_for_g
        self._schedule()
        self.threads.start()  # the CPU thread count for this step (see ThreadTuner)
        for i in range(self.k):
            # (1) Update D: maximize log D(x) + log(1 - D(G(z)))
            x = self._next_batch(m)
            z = self._z(m)
            keep_graph = reuse_fake and i == self.k - 1  # G's update will reuse this fake batch
            with (nullcontext() if keep_graph else torch.no_grad()), self._autocast:
                fake = G(z)
            with self._autocast:
                real_logits, fake_logits = self._d_logits(x, fake.detach())
            # -log D(x) and -log(1 - D(G(z))) for the objectives of section 3 (see explorer.game.objectives)
            d_loss_real, d_loss_fake = self.d_loss(real_logits.float(), fake_logits.float())
            self.opt_d.zero_grad(set_to_none=True)
            (d_loss_real + d_loss_fake).backward()
            grad_norm_d = _grad_norm(D)
            self.opt_d.step()
            self.optimizer_steps["d"] += 1

        # (2) Update G: minimize log(1 - D(G(z)))  [minimax]  or maximize log D(G(z))  [non-saturating]
        if not reuse_fake:  # Algorithm 1 as written: a fresh minibatch of noise
            with self._autocast:
                fake = G(self._z(m))
        D.requires_grad_(False)  # G's update needs gradients through D, not of D's weights
        with self._autocast:
            g_logits = D(fake).float()
        D.requires_grad_(True)
        g_loss = self.g_loss(g_logits)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        grad_norm_g = _grad_norm(G)
        self.opt_g.step()
        self.optimizer_steps["g"] += 1
        if self.G_average is not None:
            self._update_average()

        self._record(d_loss_real, d_loss_fake, g_loss, real_logits, fake_logits, grad_norm_d, grad_norm_g)
        self.step_count += 1
        self.threads.stop()

    def d_loss(self, real_logits: Tensor, fake_logits: Tensor) -> tuple[Tensor, Tensor]:
        """The discriminator's losses on real and on fake logits, by the config's objective (`loss`)."""
        return objective(self.cfg.loss).d_loss(real_logits, fake_logits)

    def g_loss(self, fake_logits: Tensor) -> Tensor:
        """The generator's loss from D's logits on G(z): minimax descends log(1 - D(G(z))), non-saturating
        -log D(G(z)) (explorer.game.objectives)."""
        return objective(self.cfg.loss).g_loss(fake_logits)

    # ------------------------------------------------------------------------------ helpers
    def _compile_for_cuda(self) -> bool:
        """On CUDA, torch.compile G's and D's networks (fewer, fused kernels; the maths is unchanged) and
        try one step, then put every state back. If compiling fails (no Triton, an unsupported GPU...),
        the networks run eagerly. $GAN_EXPLORER_COMPILE=0 turns it off. Not used on CPU, where compiling
        these MLPs was measured slower than eager."""
        if self.device.type != "cuda" or os.environ.get("GAN_EXPLORER_COMPILE", "1") == "0":
            return False
        saved = copy.deepcopy(self.state_dict()), self._perm, self._cursor
        try:  # compiled wrappers share G's and D's parameters; G and D themselves stay plain modules
            self._G_train = torch.compile(self.G, dynamic=False)
            self._D_train = torch.compile(self.D, dynamic=False)
            self.step()
            ok = True
        except Exception:  # noqa: BLE001 - any failure means: run eagerly
            self._G_train, self._D_train = self.G, self.D
            ok = False
        self.load_state_dict(saved[0])
        self._perm, self._cursor, self._buf_rows = saved[1], saved[2], 0
        return ok

    def average_decay(self) -> float:
        """This step's decay of G's weight average: g_average, but at most t / (t + 3) after t updates. Until
        that cap binds, the average weighs update s in proportion to s^2 (its mean age is t/4): it never
        keeps the random initial weights, and it spans the later part of the run, which on the paper's
        MNIST setup scored better than any shorter window (see README, Table 1)."""
        t = self.step_count
        return min(self.cfg.g_average, t / (t + 3))

    @torch.no_grad()
    def _update_average(self) -> None:
        """G_average <- decay * G_average + (1 - decay) * G, one fused op over all parameters; buffers
        (batch-norm statistics) are copied as they are."""
        avg, cur = list(self.G_average.parameters()), [p.detach() for p in self.G.parameters()]
        torch._foreach_lerp_(avg, cur, 1.0 - self.average_decay())
        for b_avg, b in zip(self.G_average.buffers(), self.G.buffers(), strict=True):
            b_avg.copy_(b)

    def _d_logits(self, x: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
        D = self._D_train
        if self.D.has_batchnorm:  # batch statistics must not mix real and fake
            return D(x), D(fake)
        # in fake's dtype: under bf16 autocast D's first layer would cast the fp32 concatenation back anyway
        logits = D(torch.cat([x.to(fake.dtype), fake]))
        return logits[: len(x)], logits[len(x):]

    def _z(self, n: int) -> Tensor:
        return sample_z(n, self.G.z_dim, self.cfg.prior, self.device, self.rng)

    def _next_batch(self, m: int) -> Tensor:
        """Epochs without replacement: slices of a permutation made on the device."""
        n = len(self.x_data)
        if self._cursor + m > len(self._perm):
            self._perm = torch.randperm(n, device=self.device, generator=self.rng)
            self._cursor = 0
        idx = self._perm[self._cursor: self._cursor + m]
        self._cursor += m
        return self.x_data[idx]

    def _schedule(self) -> None:
        """The paper's schedules: lr divided by `lr_decay` each update (floored), momentum ramped linearly."""
        cfg, t = self.cfg, self.step_count
        decay = cfg.lr_decay ** t if cfg.lr_decay != 1.0 else 1.0
        for opt, lr in ((self.opt_d, self.lr_d), (self.opt_g, self.lr_g)):
            for group in opt.param_groups:
                group["lr"] = max(lr / decay, cfg.lr_min)
                if cfg.optimizer == "sgd" and cfg.momentum_final >= 0:
                    frac = min(1.0, t / cfg.momentum_ramp_steps)
                    group["momentum"] = cfg.momentum + frac * (cfg.momentum_final - cfg.momentum)

    def _record(self, *values: Tensor) -> None:
        d_loss_real, d_loss_fake, g_loss, real_logits, fake_logits, gnd, gng = values
        if self._buf_rows == len(self._buf):
            self._buf = torch.cat([self._buf, torch.zeros_like(self._buf)])
        with torch.no_grad():  # written straight into the buffer's row: no graph, no extra copy
            torch.stack([d_loss_real, d_loss_fake, g_loss, torch.sigmoid(real_logits.float()).mean(),
                         torch.sigmoid(fake_logits.float()).mean(), gnd, gng], out=self._buf[self._buf_rows])
        self._buf_rows += 1

    def drain(self) -> np.ndarray:
        """The metrics of the steps since the last drain, (rows, len(METRICS)), in ONE host transfer."""
        rows = self._buf[: self._buf_rows].cpu().numpy().copy()
        self._buf_rows = 0
        return rows

    def drain_when_full(self, rows: int = 1024) -> np.ndarray | None:
        """`drain()` once the buffer holds `rows` steps, else None: for loops that step without a Runner (the
        buffer would otherwise grow for the whole run)."""
        return self.drain() if self._buf_rows >= rows else None

    def set_learning_rates(self, lr_d: float | None = None, lr_g: float | None = None) -> None:
        if lr_d is not None:
            self.lr_d = float(lr_d)
        if lr_g is not None:
            self.lr_g = float(lr_g)

    def set_k(self, k: int) -> None:
        if int(k) < 1:
            raise ValueError(f"k={k} is not allowed: an integer >= 1")
        self.k = int(k)

    # ------------------------------------------------------------------------------ sampling
    def generator_for_eval(self) -> Generator:
        """The G that evaluations and figures use: the weight average when one is kept, else G."""
        return self.G_average if self.G_average is not None else self.G

    def view_z(self, n: int) -> Tensor:
        """n noise vectors for looking at G (toy views, summaries), from a generator of their own seeded by
        (seed, step): never the training stream, so drawing them does not change the run, and the same
        step of the same run always shows the same view."""
        seed = VIEW_SEED + 1_000_003 * self.cfg.seed + self.step_count
        rng = torch.Generator(device=self.device).manual_seed(seed)
        return sample_z(n, self.G.z_dim, self.cfg.prior, self.device, rng)

    @torch.no_grad()
    def sample(self, n: int | None = None, z: Tensor | None = None) -> Tensor:
        """G(z) in data units ([0, 1] for images), G in eval mode: for the given z, else n samples from
        view_z(n), else the fixed z."""
        if z is None:
            z = self.fixed_z if n is None else self.view_z(n)
        was_training = self.G.training
        self.G.eval()
        x = self.G.to_data_space(self.G(z.to(self.device)).float())
        self.G.train(was_training)
        return x

    @torch.no_grad()
    def discriminate(self, x: Tensor) -> Tensor:
        """D(x) in [0, 1] for data-space x, D in eval mode (no dropout)."""
        was_training = self.D.training
        self.D.eval()
        d = torch.sigmoid(self.D(self.G.from_data_space(x.to(self.device))).float())
        self.D.train(was_training)
        return d

    # ------------------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {
            "version": CHECKPOINT_VERSION,
            "config": self.cfg.to_dict(),
            "sample_shape": list(self.dataset.sample_shape),
            "step": self.step_count,
            "optimizer_steps": dict(self.optimizer_steps),
            "lr_d": self.lr_d, "lr_g": self.lr_g, "k": self.k,
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            **({"G_average": self.G_average.state_dict()} if self.G_average is not None else {}),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "fixed_z": self.fixed_z.cpu(),
            "rng": self.rng.get_state(),
            # where the epoch stands, so a resumed run sees the same minibatches as one never stopped
            "perm": self._perm.cpu(), "cursor": self._cursor,
        }

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.G_average is not None:  # a run that kept no average yet starts it from the current G
            self.G_average.load_state_dict(state.get("G_average", state["G"]))
        if "opt_g" in state:  # the bundled demos keep none (scripts/make_demo_runs.py): the optimizers start afresh
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
        self.step_count = int(state["step"])
        self.optimizer_steps = dict(state.get("optimizer_steps", self.optimizer_steps))
        self.lr_d, self.lr_g, self.k = float(state["lr_d"]), float(state["lr_g"]), int(state["k"])
        self.fixed_z = state["fixed_z"].to(self.device)
        # A generator's state is a CPU ByteTensor even for a CUDA generator, and a checkpoint loaded with
        # map_location="cuda" has moved it to the GPU, which set_state refuses.
        self.rng.set_state(state["rng"].cpu())
        if "perm" in state:  # checkpoints before it was kept start a fresh epoch
            self._perm, self._cursor = state["perm"].to(self.device), int(state["cursor"])

    def train(self, steps: int, progress: bool = False) -> pd.DataFrame:
        """Run `steps` steps in the foreground (notebooks, tests); returns their metrics."""
        from tqdm.auto import tqdm

        chunks, t0 = [], time.perf_counter()
        for _ in tqdm(range(steps), disable=not progress, desc="train", unit="step"):
            self.step()
            if (rows := self.drain_when_full()) is not None:
                chunks.append(rows)
        chunks.append(self.drain())
        frame = metrics_frame(np.concatenate(chunks), first_step=self.step_count - steps + 1)
        frame.attrs["seconds"] = time.perf_counter() - t0
        return frame


def metrics_frame(rows: np.ndarray, first_step: int) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(METRICS))
    frame.insert(0, "step", np.arange(first_step, first_step + len(rows)))
    return frame


def _grad_norm(module: torch.nn.Module) -> Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))) if grads else torch.zeros(())
