"""Evaluate: score a saved run's checkpoint (Parzen window, classifier scores, modes), see its metric
curves over training, and compare runs in one table. The bundled demos are listed too and scored read-only.
The page only calls explorer.runs.checkpoint_scores; a scoring takes 20 s to minutes, so it runs in a background thread
that the page polls (a page script doing it would grey the page and lose the work on any click), and Cancel ends
it at its next progress report (a second or so)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from app import session
from app.navigation import use_st_navigation
from explorer import names
from explorer.lessons.demo_runs import DEMOS
from explorer.metrics.protocol import PAPER_GAN, PAPER_TABLE1, REFERENCE_ROW
from explorer.metrics.registry import METRICS, applicable_metrics, metric
from explorer.plots.metric_curves import eval_curves_figure, flatten_result
from explorer.runs.checkpoint_scores import evaluate_run
from explorer.runs.run_folder import RunFileError, RunFolder, RunInfo, list_checkpoints, visible_runs

use_st_navigation()  # first: see app/navigation.py

RESULTS_KEY = "eval_results"  # the comparison table's rows, one per finished evaluation of this session
JOB_KEY = "eval_job"          # the evaluation of this session, running or done (kept across page changes)
POLL_SECONDS = 1.0


class EvaluationCancelled(Exception):
    """Raised from the progress callback once Cancel is pressed."""


@dataclass
class EvaluationJob:
    """One evaluation in a thread of its own. The thread only sets these fields (under the lock) and never
    touches Streamlit; the page reads them every POLL_SECONDS while it runs."""
    run_name: str
    is_demo: bool
    started: float = field(default_factory=time.monotonic)
    fraction: float = 0.0
    message: str = "drawing samples from G"
    result: dict | None = None
    error: str | None = None
    collected: bool = False  # its row is in the comparison table
    cancelled: bool = False  # Cancel pressed: the thread stops at its next progress report
    lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, fraction: float, message: str) -> None:
        """The scoring's progress; raising here is how a Cancel stops it (the scoring reports every batch)."""
        with self.lock:
            if self.cancelled:
                raise EvaluationCancelled
            self.fraction, self.message = min(1.0, fraction), message

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True

    def run(self, run_dir: Path, **kwargs) -> None:
        try:
            result = evaluate_run(run_dir, on_progress=self.report, **kwargs)
        except EvaluationCancelled:
            with self.lock:
                self.error = "cancelled"
        except Exception as e:  # missing data set, damaged checkpoint, missing classifier weights: say which
            with self.lock:
                self.error = f"{type(e).__name__}: {e}"
        else:
            with self.lock:
                self.result, self.fraction, self.message = result, 1.0, f"done in {result['seconds']:.0f} s"

    @property
    def done(self) -> bool:
        with self.lock:
            return self.result is not None or self.error is not None


def start(info: RunInfo, demo: bool, **kwargs) -> EvaluationJob:
    job = EvaluationJob(info.name, demo)
    threading.Thread(target=job.run, args=(info.path,), kwargs=kwargs, daemon=True,
                     name=f"evaluate-{info.name}").start()
    return job


def scorable_runs(runs_dir: Path) -> list[tuple[RunInfo, bool]]:
    """(run, is_demo): the user's runs with a checkpoint, then the bundled demos that have a metric here, in
    the order the lessons list them (a demo the user copied under its own name shows once, as the user's)."""
    runs = [r for r in visible_runs(runs_dir) if r.config is not None and list_checkpoints(r.path)
            and (not r.demo or applicable_metrics(r.config))]
    bundled = {r.name: r for r in runs if r.demo}
    return [(r, False) for r in runs if not r.demo] + [(bundled[n], True) for n in DEMOS if n in bundled]


def run_label(info: RunInfo, demo: bool) -> str:
    kind = " · bundled demo" if demo else ""
    return f"{info.name}{kind} ({names.label('dataset', info.config.dataset)}, {names.step_label(info.step)})"


def comparison_table(rows: list[dict]) -> pd.DataFrame:
    """The comparison rows (flatten_result) with labels for people: columns and which G was scored."""
    table = pd.DataFrame(rows)
    if "G" in table:
        table["G"] = table["G"].map(lambda v: names.label("g_weights", v))
    return table.rename(columns=names.metric_column_label)


def metrics_help(codes: tuple[str, ...]) -> str:
    """One sentence per metric offered: its label, code, units, which way is better and what it costs."""
    def line(code: str) -> str:
        m = metric(code)
        units = f"{m.units}, " if m.units else ""
        text = f"{names.label('metric', code)} ({code}; {units}{m.better} is better)" + (f": {m.help}" if m.help
                                                                                         else "")
        return text[:1].upper() + text[1:]
    return ". ".join(line(c) for c in codes) + "."


def show_parzen(result: dict, dataset: str) -> None:
    p = result["parzen"]
    value = f"{p['mean']:.1f} ± {p['std_error']:.1f}"
    if dataset == "mnist":  # Table 1 is MNIST: only there does the paper's row compare
        paper, se = PAPER_TABLE1[PAPER_GAN]
        st.metric("Parzen log-likelihood (MNIST test)", value,
                  delta=f"{p['mean'] - paper:+.1f} vs the paper's {paper:.0f} ± {se:.0f}")
    else:
        st.metric(f"Parzen log-likelihood ({names.label('dataset', dataset)} test)", value)


def job_view(job: EvaluationJob | None) -> None:
    """The running evaluation's progress, redrawn every POLL_SECONDS; when it ends, its row joins the table
    (one full rerun, which also stops the timer)."""
    if job is None:
        return
    with job.lock:
        fraction, message, result, error = job.fraction, job.message, job.result, job.error
    if error == "cancelled":
        st.info(f"Evaluation of {job.run_name} cancelled: nothing was recorded. Press Evaluate to start again.")
        return
    if error is not None:
        st.error(f"Evaluation of {job.run_name} failed: {error}")
        return
    if result is None:
        elapsed = time.monotonic() - job.started
        bar, stop = st.columns([5, 1], vertical_alignment="bottom")
        bar.progress(fraction, text=f"Evaluating {job.run_name}: {message} · {elapsed:.0f} s "
                                    "(you may open other pages meanwhile; it goes on)")
        stop.button("Cancel", key="eval_cancel", on_click=job.cancel, disabled=job.cancelled, width="stretch",
                    help="Stop this evaluation at its next progress report; nothing is recorded.")
        return
    if not job.collected:
        job.collected = True
        st.session_state.setdefault(RESULTS_KEY, []).append(flatten_result(result))
        st.rerun()
    st.progress(1.0, text=f"{job.run_name}, {names.step_label(result['step'])}: {message}")
    if "parzen" in result:
        show_parzen(result, result["dataset"])


def page() -> None:
    st.title("Evaluate")
    (_paper, _paper_se), (_real, _real_se) = PAPER_TABLE1[PAPER_GAN], next(iter(REFERENCE_ROW.values()))
    st.caption("How good is a run, in numbers. Parzen window: the paper's Table 1 protocol (higher is better; on "
               f"MNIST the paper's GAN scored {_paper:.0f} ± {_paper_se:.0f}, and real training images score "
               f"{_real:.0f} ± {_real_se:.0f} here: our reference). Classifier scores use a small CNN in assets/.")

    reg = session.registry()
    runs = scorable_runs(reg.runs_dir)
    if not runs:
        st.info(f"No saved run with a checkpoint in `{reg.runs_dir}` yet. Train one on the Train page (in the "
                "sidebar; a checkpoint is written at the end and every checkpoint_interval steps), then come back.")
        st.stop()

    info, demo = st.selectbox("Run", runs, format_func=lambda r: run_label(*r),
                              help="Your saved runs, then the demos bundled with the app. A demo is scored from its "
                                   "shipped checkpoint: nothing is written to it.")
    if demo:
        st.caption("A bundled demo: read-only. Scoring reads its checkpoint and writes nothing; to train it further, "
                   "copy it on the Runs page (Copy to my runs).")
    checkpoints = list_checkpoints(info.path)
    ckpt = st.selectbox("Checkpoint", checkpoints[::-1],
                        format_func=lambda p: names.step_label(int(p.stem.removeprefix("step_"))))
    allowed = applicable_metrics(info.config)
    if not allowed:
        st.info(f"{names.label('dataset', info.config.dataset)} is a 1D/2D toy without mixture modes: its score is "
                "the JS estimate on the Toy pages. Metrics here: "
                + ", ".join(names.label("metric", m) for m in METRICS) + ".")
        st.stop()
    chosen = st.multiselect("Metrics", allowed, default=[m for m in allowed if m != "parzen"] or list(allowed),
                            format_func=lambda m: names.label("metric", m),
                            help=metrics_help(allowed))
    n_samples = st.select_slider("Samples from G", [500, 1000, 2000, 5000, 10000], value=10000,
                                 format_func=lambda n: f"{n:,}",
                                 help="The paper used 10,000. Fewer samples lower the Parzen estimate.")

    averaged = True
    if info.config.g_average > 0:
        averaged = st.radio("G's weights", [True, False], horizontal=True,
                            format_func=lambda a: (f"the weight average (decay {info.config.g_average})" if a
                                                   else "G as trained"),
                            help="This run keeps an exponential moving average of G's weights (g_average). It is "
                                 "usually the better generator; score both to see what averaging buys.")

    job: EvaluationJob | None = st.session_state.get(JOB_KEY)
    busy = job is not None and not job.done
    if st.button("Evaluate", type="primary", disabled=not chosen or busy,
                 help="One evaluation at a time: this one is still running." if busy else None):
        job = start(info, demo, metrics=chosen, checkpoint=ckpt, n_samples=n_samples, averaged=averaged,
                    data_root=info.config.data_root or None)
        st.session_state[JOB_KEY] = job
        busy = True

    st.fragment(run_every=POLL_SECONDS if busy else None)(job_view)(job)

    results = st.session_state.get(RESULTS_KEY, [])
    if results:
        st.subheader("Runs compared")
        st.dataframe(comparison_table(results), hide_index=True)

    st.subheader("Metrics over training")
    try:
        evals = RunFolder(info.path).read_evals()
    except RunFileError as e:  # a damaged file: say so, the rest of the page stands
        st.error(str(e))
        evals = pd.DataFrame()
    if len(evals):
        st.plotly_chart(eval_curves_figure(evals), key="eval_curves")
    else:
        st.caption("This run tracked no metrics while training: set eval_interval > 0 on the Train page "
                   "(mode coverage for ring8/grid25, classifier scores for MNIST-like data).")


page()
