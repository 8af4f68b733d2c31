"""The Streamlit app's shared parts; the page scripts live in pages/ and the shell in streamlit_app.py.

- `navigation`: the one workaround for Streamlit's pages/ folder detection (every page calls it first).
- `session`: the server's run registry, and which run this browser tab shows (?run= in the URL).
- `config_form`: the Train page's sidebar, one widget per TrainConfig field from its metadata.
- `status`: a run's one-line status and state icons.
- `figure_sources`: run pickers and G sources for the figure pages.

No page trains anything: pages read `runner.snapshot()` and send commands; the training thread never
calls Streamlit.
"""
