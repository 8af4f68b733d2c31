"""Nearest neighbours: Figure 2's check that G does not simply memorise. Each sample beside its nearest
training image (pixel L2, outlined in yellow), then the answer in numbers: how far samples are from the
training set compared with real images G never saw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app import figure_sources, lecture, session
from app.navigation import use_st_navigation
from explorer import names
from explorer.game.config import TrainConfig
from explorer.game.data import Dataset, DataUnavailableError
from explorer.game.datasets import load_dataset
from explorer.metrics import neighbours
from explorer.plots import latent
from explorer.plots.images import neighbour_pairs_image
from explorer.plots.neighbours import distance_histogram

use_st_navigation()  # first: see app/navigation.py


@st.cache_resource(show_spinner="Loading the data set…", max_entries=4)
def _data(cfg_json: str, split: str) -> Dataset:
    return load_dataset(TrainConfig.from_json(cfg_json), split=split)


@st.cache_data(show_spinner="Measuring distances to the training set…", max_entries=8)
def _report(label: str, _G, cfg_json: str, n: int, seed: int) -> neighbours.MemorisationReport:
    cfg = TrainConfig.from_json(cfg_json)
    samples = latent.decode(_G, latent.random_z(n, _G.z_dim, cfg.prior, seed))
    return neighbours.memorisation_report(samples, _data(cfg_json, "train").x, _data(cfg_json, "test").x[:n])


def page() -> None:
    reg = session.registry()
    st.title("Nearest neighbours: Figure 2")
    st.caption("A G that memorised its training set would reproduce training images. Beside each sample is the "
               "training image closest to it in pixel space (outlined in yellow, as in the paper).")

    source = figure_sources.image_source(reg, "nn")
    if source is None:
        st.stop()
    cfg, G = source.config, source.G
    cfg_json = cfg.to_json()
    try:
        train = _data(cfg_json, "train")
    except DataUnavailableError as e:
        st.error(f"The training set of this run is not available, so there is nothing to compare with: {e}")
        st.stop()
    st.markdown(f"**{source.label}** · {names.label('dataset', cfg.dataset)}: {len(train.x):,} training images")

    c1, c2 = st.columns(2)
    n = c1.slider("Samples", 4, 32, 12, 4, key="nn_n")
    seed = c2.number_input("Seed", 0, 2**31 - 1, 0, key="nn_seed")
    samples = latent.decode(G, latent.random_z(n, G.z_dim, cfg.prior, int(seed)))
    dist, idx = neighbours.nearest_train(samples, train.x)
    left, right = st.columns([3, 2])
    left.image(neighbour_pairs_image(samples, train.x[idx], dist),
               caption="Each pair: a sample G(z), then its nearest training image (yellow) and their distance.")
    table = pd.DataFrame({"sample": np.arange(n), "nearest train image": idx.numpy(),
                          "L2 distance": dist.numpy().round(3)})
    if train.labels is not None:
        table["neighbour's label"] = train.labels[idx].numpy()
    right.dataframe(table, hide_index=True, height=420)

    st.subheader("Is it memorising?")
    n_dist = st.slider("Images per distribution", 100, 1000, 300, 100, key="nn_dist_n",
                       help="Generated samples, and held-out real images (the test split), each matched to its "
                            "nearest training image.")
    try:
        _data(cfg_json, "test")
    except DataUnavailableError as e:
        st.error(f"The test split is not available, so there is no baseline to compare with: {e}")
        st.stop()
    report = _report(source.label, G, cfg_json, n_dist, int(seed))
    copying = "Far below 1: samples sit closer to training images than unseen real images do, the signature of copying."
    lecture.metrics("nn", [("median: generated → train", f"{report.sample_median:.2f}", None),
                           ("median: held-out real → train", f"{report.test_median:.2f}", None),
                           ("ratio", f"{report.ratio:.2f}", copying)])
    st.plotly_chart(distance_histogram(report.sample_dist, report.test_dist), key="nn_hist",
                    config={"displayModeBar": False})
    (st.warning if report.ratio < 0.9 else st.success)(report.verdict)


page()
