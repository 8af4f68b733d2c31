"""Every notebook in notebooks/ is executed end to end with nbclient, on a tiny budget.

THE CONVENTION (follow it when adding a notebook; they are discovered by glob):
- The first code cell is tagged "parameters" and holds every budget knob (STEPS, sample counts...).
- That cell reads the environment variable GAN_EXPLORER_SMOKE: when it is "1" (this test sets it) it assigns
  tiny values, otherwise the full ones a user wants, e.g.

      import os
      SMOKE = os.environ.get("GAN_EXPLORER_SMOKE") == "1"
      STEPS = 200 if SMOKE else 3000

- A notebook that needs real data (MNIST...) reads $GAN_EXPLORER_DATA; this test points it at ../shared/data
  (tests/conftest.py's SHARED_DATA) unless it is already set.
- Notebooks run with the repository root as working directory and on PYTHONPATH; they import `explorer`
  and never define models. Outputs are not committed: a committed notebook has no outputs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from explorer.notebook.static import WIDGET_VIEW
from tests.conftest import SHARED_DATA

PANEL_CALL = re.compile(r"(?<![.\w])(train|replay|compare)\(")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SMOKE_ENV = "GAN_EXPLORER_SMOKE"


def first_code_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code")


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"00_start_here.ipynb", "01_figure1_toy1d.ipynb", "02_figure2_neighbours.ipynb",
            "03_figure3_interpolation.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_follows_the_convention(path):
    nb = nbformat.read(path, as_version=4)
    params = first_code_cell(nb)
    assert "parameters" in params.metadata.get("tags", []), "the first code cell must be tagged 'parameters'"
    assert SMOKE_ENV in params.source, f"the parameters cell must read ${SMOKE_ENV}"
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"
    assert not any("nn.Module" in c.source or "nn.Sequential" in c.source for c in nb.cells), \
        "notebooks import explorer's models rather than defining their own"


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes_on_a_small_budget(path, monkeypatch, tmp_path):
    from nbclient import NotebookClient

    monkeypatch.setenv(SMOKE_ENV, "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("GAN_EXPLORER_RUNS", str(tmp_path / "runs"))
    if "GAN_EXPLORER_DATA" not in os.environ and SHARED_DATA.exists():
        monkeypatch.setenv("GAN_EXPLORER_DATA", str(SHARED_DATA))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # Every notebook ends by showing something (a figure, an image or printed numbers).
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert last.outputs, f"the last cell of {path.name} shows nothing"
    # A live panel (explorer.notebook) leaves, beside its widget view, a static picture where no widget frontend
    # runs (here, nbclient): its status in HTML with the panel's figures as one inline PNG.
    panels = [c for c in nb.cells if c.cell_type == "code" and "explorer.notebook import" in c.source]
    if panels:
        # A panel is what a call of train(, replay( or compare( shows; another widget (tqdm's progress bar in
        # Trainer.train) is not ours to give a picture.
        bundles = [o.data for c in nb.cells if c.cell_type == "code" and PANEL_CALL.search(c.source)
                   for o in c.get("outputs", [])
                   if o.output_type in ("display_data", "execute_result") and WIDGET_VIEW in o.get("data", {})]
        assert bundles, f"{path.name} imports explorer.notebook but shows no panel"
        for data in bundles:
            assert "<img" in data["text/html"] and "data:image/png;base64," in data["text/html"]
            assert "Loading widget" not in data["text/plain"]
