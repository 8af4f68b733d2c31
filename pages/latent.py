"""Latent space: Figure 3's interpolations between two noise vectors (linear and spherical), a 2D walk
around a point, and, when z is 2D, the whole learned manifold."""

from __future__ import annotations

import math

import streamlit as st
import torch
from torch import Tensor

from app import figure_sources, session
from app.navigation import use_st_navigation
from explorer import names
from explorer.game.models import Generator
from explorer.plots import latent

use_st_navigation()  # first: see app/navigation.py

CANDIDATES = 8  # endpoints are the most different pair among this many draws of the seed


def most_different_pair(G: Generator, pool: Tensor) -> tuple[int, int, float]:
    """(i, j, distance): the two z of `pool` whose images lie farthest apart in pixel space. Two random draws can
    decode to the same digit (a row of identical images teaches nothing); the farthest pair of 8 never has."""
    x = latent.decode(G, pool).flatten(1)
    d = torch.cdist(x, x)
    i, j = divmod(int(d.argmax()), len(pool))
    return min(i, j), max(i, j), float(d[i, j])


def page() -> None:
    reg = session.registry()
    st.title("Latent space: Figure 3")
    st.caption("G maps the noise prior p_z onto the data. Walking a straight line (or a great circle) between two "
               "z and decoding every point shows whether G learned a smooth map rather than a lookup table.")

    source = figure_sources.image_source(reg, "latent")
    if source is None:
        st.stop()
    cfg, G = source.config, source.G
    z_dim = G.z_dim
    st.markdown(f"**{source.label}** · {names.label('dataset', cfg.dataset)} · "
                f"model {names.label('model', cfg.family)} · z_dim {z_dim} · prior {names.label('prior', cfg.prior)}")

    st.subheader("Interpolation")
    c1, c2, c3 = st.columns(3)
    how = c1.radio("Endpoints", ["Most different of 8 (seed)", "Pick two samples"], key="latent_how",
                   help=f"Most different: the two of {CANDIDATES} draws from the seed whose images differ most.")
    steps = c2.slider("Points per row", 5, 16, 10, key="latent_steps")
    if how == "Pick two samples":
        pool_seed = c3.number_input("Grid seed", 0, 2**31 - 1, 0, key="latent_pool_seed")
        pool = latent.random_z(16, z_dim, cfg.prior, int(pool_seed))
        st.image(latent.decode_grid(G, pool, nrow=8), caption="Samples 0-7 (top row) and 8-15 (bottom row)")
        a, b = st.columns(2)
        i = a.number_input("From sample", 0, 15, 0, key="latent_a")
        j = b.number_input("To sample", 0, 15, 1, key="latent_b")
        if i == j:
            st.warning("Pick two different samples: an interpolation from a sample to itself is constant.")
        endpoints = f"samples {i} and {j} of the grid above"
    else:
        seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="latent_seed")
        pool = latent.random_z(CANDIDATES, z_dim, cfg.prior, int(seed))
        i, j, distance = most_different_pair(G, pool)
        endpoints = (f"draws {i} and {j} of {CANDIDATES} from seed {seed}, the pair whose images differ most "
                     f"(pixel distance {distance:.1f})")
    z0, z1 = pool[int(i)], pool[int(j)]
    st.image(latent.interpolation_rows(G, z0, z1, steps),
             caption=f"From {endpoints}. Top: linear interpolation (lerp). Bottom: spherical interpolation (slerp), "
                     "which keeps |z| on the prior's typical shell.")

    st.subheader("Walk around a point")
    c1, c2, c3 = st.columns(3)
    n = c1.slider("Grid side", 3, 11, 7, key="latent_walk_n")
    # Two draws of p_z lie about sqrt(2 z_dim) apart (14 for z_dim 100): on the digits demo a walk of +-1.5 stays on
    # one digit and +-6 (0.42 of that distance) crosses to others (docs/results.md): the default scales with z_dim.
    apart = math.sqrt(2 * z_dim)
    span = c2.slider("Distance along each direction", 0.5, 10.0, min(10.0, max(0.5, round(0.85 * apart) / 2)), 0.5,
                     key="latent_walk_span",
                     help=f"In units of z (the prior has unit variance per coordinate). Two random z lie about "
                          f"{apart:.0f} apart here: a much shorter walk stays on one kind of image.")
    walk_seed = c3.number_input("Direction seed", 0, 2**31 - 1, 0, key="latent_walk_seed")
    if z_dim < 2:
        st.info("z is 1D: there is only one direction to walk (the interpolation above).")
    else:
        grid = latent.walk_grid(z0, n, span, int(walk_seed))
        st.image(latent.decode_grid(G, grid, nrow=n),
                 caption=f"Centre: the first endpoint above; across and down: ±{span:g} along two random orthogonal "
                         "directions.")

    if z_dim == 2:
        st.subheader("The whole learned manifold")
        m = st.slider("Grid side", 5, 25, 15, key="latent_manifold_n")
        st.image(latent.decode_grid(G, latent.manifold_grid(m, cfg.prior), nrow=m),
                 caption=f"G(z) over the prior's support: z1 left to right, z2 top to bottom "
                         f"(±{latent.prior_support(cfg.prior):.2f}).")
    else:
        st.caption(f"With z_dim = 2 this page also draws the whole learned manifold; this G has z_dim = {z_dim}.")


page()
