"""GAN Explorer: `streamlit run streamlit_app.py`.

The app shell: page config, navigation to every page that exists, and the Home page. Pages live in pages/;
a page whose file is not there yet is simply left out of the navigation.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import home as home_parts
from app import session
from explorer.lessons.tours import stop_runs

ROOT = Path(__file__).resolve().parent
CSS = ROOT / "assets" / "style.css"
TOUR_STATE = "tour_state"  # pages/tours.py's STATE: this tab's tour, its step and its runs

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
    """The game first: Figure 1 playing from a recorded run, beside the ways to train it; the reading below."""
    st.html(home_parts.CSS)
    st.title("GAN Explorer")
    st.markdown("**Figure 1 of Goodfellow et al. (2014), replayed:** a generator G learns to turn noise z into "
                "samples like the data, while a discriminator D learns to tell the two apart.")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        home_parts.player()
    with right:
        if st.button("Train this yourself", key="home_train", type="primary", icon=":material/play_arrow:",
                     width="stretch",
                     help="The Train page with the Figure 1 preset loaded: press Start. Seconds on a CPU."):
            home_parts.open_preset(home_parts.FIGURE1_PRESET)
        st.caption("Or a preset (hover for what it shows):")
        home_parts.preset_buttons()
        home_parts.runs_in_progress(session.registry())

    st.divider()
    st.markdown(
        "A generative adversarial net trains two networks against each other: a generator G that turns noise "
        "z into samples, and a discriminator D that estimates the probability that a sample came from the "
        "data rather than from G. D is trained to tell them apart while G is trained to make D wrong, a "
        "two-player minimax game with value function")
    st.latex(r"\min_G \max_D V(D,G) = \mathbb{E}_{x\sim p_{\mathrm{data}}}[\log D(x)]"
             r" + \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]")
    st.markdown("Its unique solution has p_g = p_data with D(x) = 1/2 everywhere, where the value is "
                "-log 4 (Goodfellow et al., 2014, Theorem 1).")
    with st.container(key="device"):
        st.markdown(f"**Device:** {session.device_text()} · **Runs folder:** `{session.registry().runs_dir}`")


def pages() -> list:
    out = [st.Page(home, title="Home", icon=":material/home:", url_path="home", default=True)]
    for path, title, icon, url_path in PAGE_FILES:
        if (ROOT / path).exists():
            out.append(st.Page(path, title=title, icon=icon, url_path=url_path))
    return out


def leave_tour(url_path: str) -> None:
    """This tab's tour runs stop once it shows another page (explorer.lessons.tours.stop_runs says why): a lecturer
    who moves on finds no paused tour run in Home's "Runs in progress"."""
    if url_path != "tours" and TOUR_STATE in st.session_state:
        stop_runs(session.registry(), st.session_state.pop(TOUR_STATE).get("runs", []))


def run() -> None:
    st.set_page_config(page_title="GAN Explorer", page_icon=":material/casino:", layout="wide")
    if CSS.exists():
        st.html(f"<style>{CSS.read_text()}</style>")
    page = st.navigation(pages())
    leave_tour(page.url_path)
    page.run()


if __name__ == "__main__":
    run()
