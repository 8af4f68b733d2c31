"""Latent space: Figure 3's interpolations between two noise vectors (linear and spherical), a 2D walk
around a point, and, when z is 2D, the whole learned manifold."""

from __future__ import annotations

import streamlit as st

from app import figure_sources, session
from app.navigation import use_st_navigation
from explorer.plots import latent

use_st_navigation()  # first: see app/navigation.py

reg = session.registry()
st.title("Latent space: Figure 3")
st.caption("G maps the noise prior p_z onto the data. Walking a straight line (or a great circle) between two "
           "z and decoding every point shows whether G learned a smooth map rather than a lookup table.")

source = figure_sources.image_source(reg, "latent")
if source is None:
    st.stop()
cfg, G = source.config, source.G
z_dim = G.z_dim
st.markdown(f"**{source.label}** · `{cfg.dataset}` · model `{cfg.family}` · z_dim {z_dim} · prior `{cfg.prior}`")

st.subheader("Interpolation")
c1, c2, c3 = st.columns(3)
how = c1.radio("Endpoints", ["Random (seed)", "Pick two samples"], key="latent_how")
steps = c2.slider("Points per row", 5, 16, 10, key="latent_steps")
if how == "Random (seed)":
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="latent_seed")
    z0, z1 = latent.random_z(2, z_dim, cfg.prior, int(seed))
else:
    pool_seed = c3.number_input("Grid seed", 0, 2**31 - 1, 0, key="latent_pool_seed")
    pool = latent.random_z(16, z_dim, cfg.prior, int(pool_seed))
    st.image(latent.decode_grid(G, pool, nrow=8), caption="Samples 0-7 (top row) and 8-15 (bottom row)")
    a, b = st.columns(2)
    i = a.number_input("From sample", 0, 15, 0, key="latent_a")
    j = b.number_input("To sample", 0, 15, 1, key="latent_b")
    if i == j:
        st.warning("Pick two different samples: an interpolation from a sample to itself is constant.")
    z0, z1 = pool[int(i)], pool[int(j)]
st.image(latent.interpolation_rows(G, z0, z1, steps),
         caption="Top: linear interpolation (lerp). Bottom: spherical interpolation (slerp), which keeps |z| "
                 "on the prior's typical shell.")

st.subheader("Walk around a point")
c1, c2, c3 = st.columns(3)
n = c1.slider("Grid side", 3, 11, 7, key="latent_walk_n")
span = c2.slider("Distance along each direction", 0.1, 4.0, 1.5, 0.1, key="latent_walk_span",
                 help="In units of z (the prior has unit variance per coordinate).")
walk_seed = c3.number_input("Direction seed", 0, 2**31 - 1, 0, key="latent_walk_seed")
if z_dim < 2:
    st.info("z is 1D: there is only one direction to walk (the interpolation above).")
else:
    grid = latent.walk_grid(z0, n, span, int(walk_seed))
    st.image(latent.decode_grid(G, grid, nrow=n),
             caption="Centre: the first endpoint above; across and down: two random orthogonal directions.")

if z_dim == 2:
    st.subheader("The whole learned manifold")
    m = st.slider("Grid side", 5, 25, 15, key="latent_manifold_n")
    st.image(latent.decode_grid(G, latent.manifold_grid(m, cfg.prior), nrow=m),
             caption=f"G(z) over the prior's support: z1 left to right, z2 top to bottom "
                     f"(±{latent.prior_support(cfg.prior):.2f}).")
else:
    st.caption(f"With z_dim = 2 this page also draws the whole learned manifold; this G has z_dim = {z_dim}.")
