"""Evaluate: score a saved run's checkpoint (Parzen window, classifier scores, modes), see its metric
curves over training, and compare runs in one table. The page only calls explorer.metrics.evaluate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import session
from app.navigation import use_st_navigation
from explorer.metrics.evaluate import METRICS, PAPER_GAN, PAPER_TABLE1, REFERENCE_ROW, applicable_metrics
from explorer.plots.evaluation import eval_curves_figure, flatten_result
from explorer.runs.folder import RunFileError, list_checkpoints, list_runs, read_metrics
from explorer.runs.scoring import evaluate_run

use_st_navigation()  # first: see app/navigation.py

RESULTS_KEY = "eval_results"

st.title("Evaluate")
(_paper, _paper_se), (_real, _real_se) = PAPER_TABLE1[PAPER_GAN], next(iter(REFERENCE_ROW.values()))
st.caption("How good is a run, in numbers. Parzen window: the paper's Table 1 protocol (higher is better; on "
           f"MNIST the paper's GAN scored {_paper:.0f} ± {_paper_se:.0f}, and real training images score "
           f"{_real:.0f} ± {_real_se:.0f} here: our reference). Classifier scores use a small CNN in assets/.")

reg = session.registry()
runs = [r for r in list_runs(reg.runs_dir) if r.config is not None and list_checkpoints(r.path)]
if not runs:
    st.info(f"No saved run with a checkpoint in `{reg.runs_dir}` yet. Train one on the Train page (in the "
            "sidebar; a checkpoint is written at the end and every checkpoint_interval steps), then come back.")
    st.stop()

info = st.selectbox("Run", runs, format_func=lambda r: f"{r.name} ({r.config.dataset}, step {r.step})")
checkpoints = list_checkpoints(info.path)
ckpt = st.selectbox("Checkpoint", checkpoints[::-1], format_func=lambda p: p.stem.replace("step_", "step "))
allowed = applicable_metrics(info.config)
if not allowed:
    st.info(f"{info.config.dataset} is a 1D/2D toy without mixture modes: its score is the JS estimate on the "
            "Toy pages. Metrics here: " + ", ".join(METRICS) + ".")
    st.stop()
chosen = st.multiselect("Metrics", allowed, default=[m for m in allowed if m != "parzen"] or list(allowed),
                        help="parzen: Table 1 (slow on a CPU: ~20 s for 10,000 samples). fid/score/coverage: "
                             "in the shipped classifier's feature space. modes: VEEGAN's 2D mode coverage.")
n_samples = st.select_slider("Samples from G", [500, 1000, 2000, 5000, 10000], value=10000,
                             help="The paper used 10,000. Fewer samples lower the Parzen estimate.")

averaged = True
if info.config.g_average > 0:
    averaged = st.radio("G's weights", [True, False], horizontal=True,
                        format_func=lambda a: (f"the weight average (decay {info.config.g_average})" if a
                                               else "G as trained"),
                        help="This run keeps an exponential moving average of G's weights (g_average). It is "
                             "usually the better generator; score both to see what averaging buys.")

if st.button("Evaluate", type="primary", disabled=not chosen):
    bar = st.progress(0.0, text="sampling G")
    try:
        result = evaluate_run(info.path, chosen, checkpoint=ckpt, n_samples=n_samples, averaged=averaged,
                              data_root=info.config.data_root or None,
                              on_progress=lambda f, msg: bar.progress(min(1.0, f), text=msg))
    except Exception as e:  # missing data set, damaged checkpoint, missing classifier weights: say which
        st.error(f"Evaluation failed: {type(e).__name__}: {e}")
    else:
        st.session_state.setdefault(RESULTS_KEY, []).append(flatten_result(result))
        bar.progress(1.0, text=f"done in {result['seconds']} s")
        if "parzen" in result:
            p = result["parzen"]
            value = f"{p['mean']:.1f} ± {p['std_error']:.1f}"
            if info.config.dataset == "mnist":  # Table 1 is MNIST: only there does the paper's row compare
                paper, se = PAPER_TABLE1[PAPER_GAN]
                st.metric("Parzen log-likelihood (MNIST test)", value,
                          delta=f"{p['mean'] - paper:+.1f} vs the paper's {paper:.0f} ± {se:.0f}")
            else:
                st.metric(f"Parzen log-likelihood ({info.config.dataset} test)", value)

results = st.session_state.get(RESULTS_KEY, [])
if results:
    st.subheader("Runs compared")
    st.dataframe(pd.DataFrame(results), hide_index=True)

st.subheader("Metrics over training")
try:
    evals = read_metrics(info.path, "evals.csv")
except RunFileError as e:  # a damaged file: say so, the rest of the page stands
    st.error(str(e))
    evals = pd.DataFrame()
if len(evals):
    st.plotly_chart(eval_curves_figure(evals), key="eval_curves")
else:
    st.caption("This run tracked no metrics while training: set eval_interval > 0 on the Train page "
               "(mode coverage for ring8/grid25, classifier scores for MNIST-like data).")
