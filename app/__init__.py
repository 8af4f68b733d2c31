"""The Streamlit app's shared parts; the page scripts live in pages/ and the shell in streamlit_app.py.

- `navigation`: the one workaround for Streamlit's pages/ folder detection (every page calls it first).
- `session`: the server's run registry, and which run this browser tab shows (?run= in the URL).
- `config_form`: the Train page's sidebar, one widget per TrainConfig field from its metadata.
- `status`: a run's one-line status and state icons.
- `figure_sources`: run pickers and G sources for the figure pages.
- `home`: the Home page's parts (the Figure 1 demo, Train this yourself, the presets).
- `lecture`: a lecture page's layout: compact header, the game beside D's outputs above the fold.
- `presentation`: presentation mode: its toggle, its present=1 link and its CSS.
- `replay_view`: a recorded run's timeline (the Replay and Train pages).
- `media`: a run's GIF and MP4 made on a background thread with a progress bar (the Runs and Replay pages).

A view used by one page lives in that page's file (pages/runs.py, pages/sweeps.py).

No page trains anything: pages read `runner.snapshot()` and send commands; the training thread never
calls Streamlit.
"""
