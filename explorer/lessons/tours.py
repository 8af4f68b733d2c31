"""Guided tours: each lecture preset as two or three steps tied to a section of Goodfellow et al. (2014).

A tour step says what to watch and names a `Milestone`: a pure test of a run's Snapshot that the runner
checks after each publish (Runner.watch), so the run pauses by itself when the paper's claim has happened,
with a message that says what was measured ("D on data = 0.52 and JS = 0.028 nats at step 425"). Every
milestone and budget here was measured for seeds 0, 1 and 2 on a 2-core CPU (tests/test_tours.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from explorer.game.config import IMAGE_DEFAULTS, TrainConfig
from explorer.lessons.presets import POOR_G
from explorer.runs.recorder import COLUMNS
from explorer.runs.registry import RunRegistry
from explorer.runs.runner import Runner
from explorer.runs.snapshot import Snapshot, ToyPoint

_D_G_Z, _GRAD_G = COLUMNS.index("d_g_z"), COLUMNS.index("grad_norm_g")


@dataclass(frozen=True)
class Milestone:
    """A named, pure predicate on a snapshot: `test(snap, since)` looks only at what happened after step
    `since` and returns what it saw once the milestone is reached, else None (Runner.watch's protocol)."""

    name: str  # short, for the chart's marker: "D* -> 1/2"
    watch_for: str  # what the page says while the run heads for it
    test: Callable[[Snapshot, int], str | None] = field(repr=False, compare=False)

    def __call__(self, snap: Snapshot, since: int = 0) -> str | None:
        return self.test(snap, since)


# ------------------------------------------------------------------------------------------- milestones
def _toy_after(snap: Snapshot, since: int) -> ToyPoint | None:
    last = snap.toy_history[-1] if snap.toy_history else None
    return last if last is not None and last.step > since else None


def d_on_data_above(x: float) -> Milestone:
    """D has learnt to tell data from G's samples: mean D(x) on data at least x (the paper's panel (a))."""
    def test(snap: Snapshot, since: int) -> str | None:
        p = _toy_after(snap, since)
        if p is not None and p.d_on_data >= x:
            return f"D on data = {p.d_on_data:.2f} (≥ {x:g}): D tells p_data from p_g, at step {p.step:,}"
        return None
    return Milestone("D separates", f"mean D(x) on data ≥ {x:g}", test)


def d_on_data_near_half(tol: float = 0.05, js_below: float = 0.03) -> Milestone:
    """Proposition 1 at the optimum: p_g close to p_data (JS below `js_below`) and D on data within `tol` of
    1/2. The JS condition matters: an untrained D also says about 1/2 everywhere."""
    def test(snap: Snapshot, since: int) -> str | None:
        p = _toy_after(snap, since)
        if p is not None and abs(p.d_on_data - 0.5) <= tol and p.js < js_below:
            return (f"D on data = {p.d_on_data:.2f}, within {tol:g} of 1/2, and JS = {p.js:.3f} nats "
                    f"(< {js_below:g}) at step {p.step:,}")
        return None
    return Milestone("D → 1/2", f"JS < {js_below:g} nats and mean D(x) on data within {tol:g} of 1/2", test)


def d_tracks_d_star(tol: float) -> Milestone:
    """D close to the optimal D* = p_data / (p_data + p_g) of Proposition 1: the mean of |D(x) - D*(x)| over
    where p_data or p_g has mass (weighted by p_data + p_g) at most `tol`, on the 1D toy's current view."""
    def test(snap: Snapshot, since: int) -> str | None:
        view = snap.toy
        if view is None or snap.samples_step <= since or not hasattr(view, "d_star"):
            return None
        gap = _d_star_gap(view)
        if gap <= tol:
            return f"mean |D(x) - D*(x)| = {gap:.3f} (≤ {tol:g}) at step {snap.samples_step:,} with k = {snap.k}"
        return None
    return Milestone("D ≈ D*", f"mean |D(x) - D*(x)| ≤ {tol:g} where the densities have mass", test)


def _d_star_gap(view) -> float:
    """Mean |D(x) - D*(x)| on a 1D toy view, weighted by p_data + p_g (where the densities have mass)."""
    weight = view.p_data + view.p_g
    return float(np.sum(np.abs(view.d - view.d_star) * weight) / max(float(np.sum(weight)), 1e-12))


def d_star_gap_after(steps: int) -> Milestone:
    """A look, not a goal: the first view at least `steps` steps on, with how far D is from D* there."""
    def test(snap: Snapshot, since: int) -> str | None:
        view = snap.toy
        if view is None or snap.samples_step < since + steps or not hasattr(view, "d_star"):
            return None
        return (f"mean |D(x) - D*(x)| = {_d_star_gap(view):.3f} with k = {snap.k}, at step "
                f"{snap.samples_step:,}")
    return Milestone(f"{steps} steps", f"{steps} steps, then a look at |D - D*|", test)


def _rows_after(snap: Snapshot, since: int, n: int) -> np.ndarray | None:
    """The last n metric rows, all after step `since` (None until there are n of them)."""
    rows = snap.metrics_array[-n:]
    return rows if len(rows) == n and rows[0, 0] > since else None


def d_of_g_z_below(x: float, steps: int) -> Milestone:
    """G is stuck: mean D(G(z)) below x on each of `steps` consecutive steps (D rejects every sample)."""
    def test(snap: Snapshot, since: int) -> str | None:
        rows = _rows_after(snap, since, steps)
        if rows is not None and float(rows[:, _D_G_Z].max()) < x:
            return (f"D(G(z)) < {x:g} for {steps} steps in a row, G's gradient norm "
                    f"{float(rows[:, _GRAD_G].mean()):.2g}, at step {int(rows[-1, 0]):,}")
        return None
    return Milestone("G stuck", f"mean D(G(z)) < {x:g} for {steps} steps in a row", test)


def d_of_g_z_above(x: float, steps: int = 10) -> Milestone:
    """G's samples fool D: mean D(G(z)) over the last `steps` steps at least x."""
    def test(snap: Snapshot, since: int) -> str | None:
        rows = _rows_after(snap, since, steps)
        if rows is not None and float(rows[:, _D_G_Z].mean()) >= x:
            return (f"D(G(z)) = {float(rows[:, _D_G_Z].mean()):.2f} (≥ {x:g}), G's gradient norm "
                    f"{float(rows[:, _GRAD_G].mean()):.2g}, at step {int(rows[-1, 0]):,}")
        return None
    return Milestone("G escapes", f"mean D(G(z)) ≥ {x:g} over {steps} steps", test)


def modes_at_most(n: int, views: int = 3) -> Milestone:
    """Mode collapse: G covers at most n of the mixture's modes in `views` sampled views in a row."""
    def test(snap: Snapshot, since: int) -> str | None:
        last = [p for p in snap.modes_history[-views:] if p.step > since]
        if len(last) == views and all(p.modes_covered <= n for p in last):
            covered = ", ".join(str(p.modes_covered) for p in last)
            return f"modes covered {covered} (≤ {n}) at steps {last[0].step:,}–{last[-1].step:,}"
        return None
    return Milestone("collapsed", f"modes covered ≤ {n} in {views} views in a row", test)


def modes_at_least(n: int) -> Milestone:
    """G has spread out: it covers at least n modes in the latest view."""
    def test(snap: Snapshot, since: int) -> str | None:
        p = snap.modes_history[-1] if snap.modes_history else None
        if p is not None and p.step > since and p.modes_covered >= n:
            return f"modes covered = {p.modes_covered} (≥ {n}) at step {p.step:,}"
        return None
    return Milestone("spread", f"modes covered ≥ {n}", test)


def classes_covered_at_least(n: int) -> Milestone:
    """Digits appear: our MNIST classifier finds at least n of the 10 classes among 1,000 of G's samples
    (the runner's in-training evaluation, every eval_interval steps)."""
    def test(snap: Snapshot, since: int) -> str | None:
        row = snap.eval_history[-1] if snap.eval_history else None
        if row is not None and row["step"] > since and row.get("classes_covered", 0) >= n:
            return (f"{int(row['classes_covered'])} of 10 digit classes among G's samples (≥ {n}), classifier "
                    f"score {row.get('classifier_score', float('nan')):.2f}, at step {int(row['step']):,}")
        return None
    return Milestone("digits", f"the classifier finds ≥ {n} digit classes in G's samples", test)


# ------------------------------------------------------------------------------------------------ tours
@dataclass(frozen=True)
class TourStep:
    """One step: a sentence on what to watch, the milestone that pauses it, and the steps it may take.
    `changes` are live settings applied when the step begins (k, lr_d, lr_g: Runner.set_k /
    set_learning_rates); `config`, when set, starts a fresh run for this step (e.g. the other loss, which
    cannot change mid-run) with the tour's seed."""

    text: str
    milestone: Milestone | None
    budget_steps: int
    changes: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    config: TrainConfig | None = None


@dataclass(frozen=True)
class Tour:
    name: str  # the URL's ?tour=
    title: str
    section: str  # where in Goodfellow et al. (2014)
    intro: str
    config: TrainConfig
    steps: tuple[TourStep, ...]

    def config_for(self, step: int) -> TrainConfig:
        """The config of the run that tour step `step` (0-based) trains: the latest fresh run up to it."""
        return next((s.config for s in reversed(self.steps[: step + 1]) if s.config is not None), self.config)


def begin_step(runner: Runner, step: TourStep) -> None:
    """Apply a step's live settings to a (paused or running) run and watch for its milestone."""
    if "k" in step.changes:
        runner.set_k(int(step.changes["k"]))
    if "lr_d" in step.changes or "lr_g" in step.changes:
        runner.set_learning_rates(step.changes.get("lr_d"), step.changes.get("lr_g"))
    runner.watch(step.milestone)


def stop_runs(registry: RunRegistry, names: Iterable[str], timeout: float = 15.0) -> list[str]:
    """Stop those of a tour's runs that still train or are held paused; returns their names.

    A tour's runs are demonstrations, not the lecturer's experiments: when the tour is left, started again, another
    tour is picked, or a step starts a fresh run, the old ones stop (their folders stay, for Replay and the Runs
    page) instead of waiting paused at a milestone in Home's "Runs in progress". Returns once each has ended
    (or after `timeout` seconds for each)."""
    live = [r for r in (registry.get(name) for name in names) if r is not None and r.snapshot().alive]
    for runner in live:
        runner.stop(wait=False)  # all at once, then wait for each (a checkpoint each): so the next page is true
    for runner in live:
        runner.stop(wait=True, timeout=timeout)
    return [r.name for r in live]


def reached_in_budget(snap: Snapshot, since: int, step: TourStep) -> bool:
    """The step's milestone was reached no more than its budget of steps after `since`."""
    return snap.milestone is not None and snap.milestone_step - since <= step.budget_steps


_MODE_COLLAPSE = TrainConfig.for_dataset("ring8", k=5, lr_d=2e-3, lr_g=2e-4, dropout=0.0, steps=3000,
                                         sample_interval=100)

TOURS: dict[str, Tour] = {t.name: t for t in (
    Tour("figure1", "Figure 1: D* heads for 1/2", "Figure 1 and Proposition 1 (section 4.1)",
         "p_data is a Gaussian (black dotted). G (green) starts elsewhere; D (blue dashed) is trained k steps "
         "for each G step, so it stays near its optimum D*(x) = p_data / (p_data + p_g).",
         TrainConfig(dataset="toy1d", steps=3000, sample_interval=25),
         (TourStep("Panel (a)–(b): D learns first. Where p_g sits, D(x) drops; on the data it rises: watch mean "
                   "D(x) on data climb well above 1/2.", d_on_data_above(0.75), 200),
          # At this milestone (steps 425-500, seeds 0-2) D(x) still spans 0.30-0.35 to 0.96-1.00 where p_data and
          # p_g have mass (scripts/measure_lessons.py figure1-tour): the text says so, not that D is flat.
          TourStep("Panels (c)–(d): G follows D's gradient onto p_data. The run pauses when p_g nearly matches "
                   "p_data (JS < 0.03 nats) and D averages 1/2 on the data. Look at D, though: it is not flat yet. "
                   "Across the data it still runs from about 0.3 to nearly 1, and that slope keeps moving G. "
                   "D = 1/2 everywhere is the end point, p_g = p_data exactly (Proposition 1, Theorem 1), which "
                   "training only approaches.",
                   d_on_data_near_half(0.05, 0.03), 1500))),
    Tour("minimax", "Saturating vs non-saturating loss", "Section 3, the paragraph after equation (1)",
         "A poor G: SGD, and D trained 5 steps per G step at 50x G's learning rate, so D rejects G's first "
         "samples with confidence. Which loss G descends then decides whether it can move at all.",
         POOR_G.replace(loss="minimax"),
         (TourStep("G descends log(1 − D(G(z))), exactly the minimax game. D rejects G's samples, so "
                   "D(G(z)) ≈ 0 where log(1 − D) is flat: G's gradient is tiny and p_g hardly moves.",
                   d_of_g_z_below(0.01, 50), 300),
          TourStep("The same start (seed, weights, data) with the non-saturating loss: G ascends log D(G(z)) "
                   "instead, whose gradient is strongest exactly where D rejects G. G escapes at once.",
                   d_of_g_z_above(0.3), 300, config=POOR_G.replace(loss="non_saturating")))),
    Tour("mode-collapse", "Mode collapse: the Helvetica scenario", "Section 6, Disadvantages",
         "A ring of 8 Gaussians. D is trained 5 steps per G step, 10x faster than G and without dropout: it "
         "punishes wherever G goes, and G answers by mapping many z to the same few points.",
         _MODE_COLLAPSE,
         (TourStep("Watch the green points: instead of spreading over the ring, G piles them onto one or two "
                   "modes (modes covered, below). This is 'the Helvetica scenario': too many z collapse to the "
                   "same x to have enough diversity.", modes_at_most(2), 600),
          TourStep("Now slow D down (k = 1, D's learning rate 2e-4, as G's). Does G find the other modes? "
                   "Not here: once collapsed, G stays on its few modes (measured for seeds 0, 1, 2 over 1,500 "
                   "steps). The paper's remedy is the other way round: do not train G too much without "
                   "updating D.", modes_at_most(2, views=5), 600,
                   changes=MappingProxyType({"k": 1, "lr_d": 2e-4})))),
    Tour("k", "More D steps per G step (k)", "Algorithm 1 and section 4",
         "Algorithm 1 trains D for k steps per G step so that D is 'maintained near its optimal solution, so "
         "long as G changes slowly enough'. Here D and G learn at the same rate with k = 1.",
         TrainConfig(dataset="toy1d", steps=3000, sample_interval=25, lr_d=5e-4, lr_g=5e-4),
         (TourStep("k = 1: D (blue dashed) lags behind the optimum D* (orange dash-dot) as G moves; the pause "
                   "says how far, on average, after 300 steps.", d_star_gap_after(300), 300),
          TourStep("k = 5 (set live): D gets five updates per G update and closes on D* = p_data / (p_data + "
                   "p_g). (With k left at 1 the gap stayed above 0.06 for 300 more steps, seeds 0, 1, 2.)",
                   d_tracks_d_star(0.05), 300, changes=MappingProxyType({"k": 5})))),
    Tour("mnist", "Digits appear", "Section 5, Figure 2 (MNIST)",
         "An MLP GAN on the 5,000 MNIST digits shipped offline. Every 250 steps our MNIST classifier reads "
         "1,000 of G's samples: which digits does G draw?",
         TrainConfig(**{**IMAGE_DEFAULTS, "dataset": "mnist_subset", "model": "mlp", "g_hidden": 32,
                        "d_hidden": 128, "steps": 3000, "sample_interval": 100, "eval_interval": 250}),
         (TourStep("From noise to strokes: watch the grid of samples from a fixed z, and the classes covered "
                   "below, until most of the ten digits appear.", classes_covered_at_least(8), 3000),)),
)}
