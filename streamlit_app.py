"""GAN Explorer: `streamlit run streamlit_app.py`.

The app shell: page config, navigation to every page that exists, and the Home page. Pages live in pages/;
a page whose file is not there yet is simply left out of the navigation.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import config_form, session, status
from explorer.game.presets import PRESET_NOTES, PRESETS, preset

ROOT = Path(__file__).resolve().parent
CSS = ROOT / "assets" / "style.css"

# (file, title, icon, url path); Home is a function below.
PAGE_FILES = (
    ("pages/train.py", "Train", ":material/model_training:", "train"),
    ("pages/tours.py", "Tours", ":material/school:", "tours"),
    ("pages/side_by_side.py", "Side by side", ":material/compare:", "side_by_side"),
    ("pages/your_data.py", "Your data", ":material/upload_file:", "your_data"),
    ("pages/runs.py", "Runs", ":material/folder_open:", "runs"),
    ("pages/replay.py", "Replay", ":material/replay:", "replay"),
    ("pages/sweeps.py", "Sweeps", ":material/grid_on:", "sweeps"),
    ("pages/toy_1d.py", "Toy 1D", ":material/show_chart:", "toy_1d"),
    ("pages/toy_2d.py", "Toy 2D", ":material/scatter_plot:", "toy_2d"),
    ("pages/latent.py", "Latent space", ":material/gradient:", "latent"),
    ("pages/neighbours.py", "Nearest neighbours", ":material/grid_view:", "neighbours"),
    ("pages/evaluate.py", "Evaluate", ":material/analytics:", "evaluate"),
)


def home() -> None:
    st.title("GAN Explorer")
    st.markdown(
        "A generative adversarial net trains two networks against each other: a generator G that turns noise "
        "z into samples, and a discriminator D that estimates the probability that a sample came from the "
        "data rather than from G. D is trained to tell them apart while G is trained to make D wrong, a "
        "two-player minimax game with value function")
    st.latex(r"\min_G \max_D V(D,G) = \mathbb{E}_{x\sim p_{\mathrm{data}}}[\log D(x)]"
             r" + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]")
    st.markdown("Its unique solution has p_g = p_data with D(x) = 1/2 everywhere, where the value is "
                "-log 4 (Goodfellow et al., 2014, Theorem 1).")

    reg = session.registry()
    with st.container(key="device"):
        st.markdown(f"**Device:** {session.device_text()} · **Runs folder:** `{reg.runs_dir}`")

    st.subheader("Runs in progress")
    active = reg.active()
    if not active:
        st.caption("None. Pick a preset below, or open Train.")
    for r in active:
        s = r.snapshot()
        c1, c2 = st.columns([4, 1])
        c1.markdown(f"{status.STATE_ICONS.get(s.state, '')} **{s.name}**: {s.state}, step {s.step}"
                    f" ({s.steps_per_s:,.0f} steps/s)")
        if c2.button("Open", key=f"open_{s.name}"):
            session.attach(s.name)
            st.switch_page(session.TRAIN_PAGE)

    st.subheader("Presets")
    st.caption("One click loads a configuration into the Train page; press Start there.")
    cols = st.columns(2)
    for i, name in enumerate(PRESETS):
        with cols[i % 2]:
            if st.button(name, key=f"preset_{i}", width="stretch", help=PRESET_NOTES.get(name)):
                config_form.set_config(preset(name))
                st.session_state["preset_loaded"] = name
                session.attach(None)
                st.session_state["no_adopt"] = True
                st.switch_page(session.TRAIN_PAGE)
            st.caption(PRESET_NOTES.get(name, ""))


def pages() -> list:
    out = [st.Page(home, title="Home", icon=":material/home:", url_path="home", default=True)]
    for path, title, icon, url_path in PAGE_FILES:
        if (ROOT / path).exists():
            out.append(st.Page(path, title=title, icon=icon, url_path=url_path))
    return out


def run() -> None:
    st.set_page_config(page_title="GAN Explorer", page_icon=":material/casino:", layout="wide")
    if CSS.exists():
        st.html(f"<style>{CSS.read_text()}</style>")
    page = st.navigation(pages())
    page.run()


if __name__ == "__main__":
    run()
