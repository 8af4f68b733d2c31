"""Write notebooks/01-03 (Figures 1-3 of Goodfellow et al. 2014) with nbformat, outputs cleared.

    python scripts/make_figure_notebooks.py

Each notebook's first code cell is tagged "parameters" and reads GAN_EXPLORER_SMOKE=1 (set by
tests/test_notebooks.py) to run a tiny budget; a user runs the full one. The notebooks import `explorer`
and never define models. Run Jupyter from the repository root so `explorer` is importable.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
SMOKE = 'import os\nSMOKE = os.environ.get("GAN_EXPLORER_SMOKE") == "1"\n'


def params(body: str) -> nbformat.NotebookNode:
    head = "# Parameters. GAN_EXPLORER_SMOKE=1 (set by the tests) runs a tiny budget; a user runs the full one.\n"
    return new_code_cell(head + SMOKE + body, metadata={"tags": ["parameters"]})


FIGURE1 = [
    new_markdown_cell(
        "# Figure 1: the 1D game\n\n"
        "Goodfellow et al. (2014), Figure 1: G (green, p_g) learns p_data (black, dotted) while D (blue, dashed) "
        "learns to tell them apart. The lower line is z, drawn uniformly; the arrows up to the x line show how "
        "x = G(z) contracts where p_g is dense and expands where it is thin. At the optimum p_g = p_data and "
        "D = 1/2 everywhere (panel d).\n\nRun from the repository root (`jupyter lab` there) so `explorer` imports."),
    params('STEPS = 200 if SMOKE else 3000           # generator updates (the toy converges in ~3,000)\n'
           'POOR_G_STEPS = 60 if SMOKE else 1500     # for minimax vs non-saturating from a poor G\n'
           'SEED = 0'),
    new_code_cell(
        "from explorer import Trainer, load_dataset\n"
        "from explorer.game.presets import FIGURE1_PRESETS\n"
        "from explorer.plots import paper as figures\n"
        "from explorer.game.config import TrainConfig\n"
        "from explorer.metrics.toy import LOG4, toy1d_view\n\n"
        "cfg = TrainConfig(steps=STEPS, seed=SEED)  # the class defaults are the 1D toy of Figure 1\n"
        "trainer = Trainer(cfg, load_dataset(cfg), 'cpu')\n"
        "print(trainer.dataset.description, '|', cfg.loss, cfg.optimizer, 'k =', cfg.k)"),
    new_markdown_cell("## Train, capturing four frames for panels (a)-(d)"),
    new_code_cell(
        "capture_at = [0, STEPS // 20, STEPS // 4, STEPS]\n"
        "views, steps = [], []\n"
        "for target in capture_at:\n"
        "    trainer.train(target - trainer.step_count)\n"
        "    views.append(toy1d_view(trainer))\n"
        "    steps.append(trainer.step_count)\n"
        "figures.figure1_strip(views, steps)"),
    new_code_cell(
        "last = views[-1]\n"
        "print(f'after {steps[-1]} steps: mean D(x) on data = {last.d_on_data:.3f} (optimum 1/2), '\n"
        "      f'JSD = {last.js:.4f} nats, C(G) = {last.value:.3f} (optimum -log 4 = {-LOG4:.3f})')\n"
        "figures.figure1(last, title=f'step {steps[-1]}: D, D* = p_data / (p_data + p_g) and D = 1/2')"),
    new_markdown_cell(
        "## Section 3: minimax vs non-saturating from a poor G\n\n"
        "\"Early in learning, when G is poor, D can reject samples with high confidence ... log(1 - D(G(z))) "
        "saturates. Rather than training G to minimize log(1 - D(G(z))) we can train G to maximize log D(G(z)).\" "
        "`explorer.game.presets.POOR_G` gives D a head start (SGD, k = 5, 50x G's learning rate) against a G "
        "whose first samples sit near 0, far from p_data at 2."),
    new_code_cell(
        "frames, ends = {}, {}\n"
        "for label, run_cfg in FIGURE1_PRESETS['Minimax vs non-saturating from a poor G'].items():\n"
        "    t = Trainer(run_cfg.replace(steps=POOR_G_STEPS), load_dataset(run_cfg), 'cpu')\n"
        "    frames[label] = t.train(POOR_G_STEPS)\n"
        "    ends[label] = float(t.sample(2000).mean())\n"
        "for label, f in frames.items():\n"
        "    print(f'{label:>15}: median |grad G| = {f.grad_norm_g.median():.3g}, '\n"
        "          f'mean G(z) after {POOR_G_STEPS} steps = {ends[label]:.2f} (p_data mean 2)')\n"
        "figures.gradient_comparison_figure(frames)"),
]

FIGURE2 = [
    new_markdown_cell(
        "# Figure 2: samples beside their nearest training image\n\n"
        "Goodfellow et al. (2014), Figure 2: \"the rightmost column shows the nearest training example of the "
        "neighboring sample, in order to demonstrate that the model has not memorized the training set.\" Here "
        "each sample is followed by its nearest training image in pixel L2 (outlined in yellow), and the "
        "question is answered in numbers: are samples closer to the training set than real images G never saw?"
        "\n\nRun from the repository root so `explorer` imports."),
    params('STEPS = 100 if SMOKE else 5000           # generator updates\n'
           'DATASET = "digits8x8" if SMOKE else "mnist_subset"  # both offline\n'
           'SIZES = dict(g_hidden=16, d_hidden=32) if SMOKE else {}  # the mlp family defaults for a full run\n'
           'N_DIST = 100 if SMOKE else 1000          # images per distance distribution\n'
           'SEED = 0'),
    new_code_cell(
        "import torch\n"
        "from PIL import Image\n"
        "from explorer import Trainer, load_dataset\n"
        "from explorer.plots import paper as figures\n"
        "from explorer.plots import latent\n"
        "from explorer.plots.images import neighbour_pairs_image\n"
        "from explorer.metrics import neighbours\n"
        "from explorer.game.config import TrainConfig\n\n"
        "cfg = TrainConfig.for_dataset(DATASET, model='mlp', steps=STEPS, seed=SEED, **SIZES)\n"
        "train_set, test_set = load_dataset(cfg), load_dataset(cfg, split='test')\n"
        "trainer = Trainer(cfg, train_set, 'cpu')\n"
        "frame = trainer.train(STEPS, progress=not SMOKE)\n"
        "print(f'{len(train_set.x)} training and {len(test_set.x)} test images; trained {STEPS} steps in '\n"
        "      f'{frame.attrs[\"seconds\"]:.0f} s')"),
    new_markdown_cell("## Each sample, then its nearest training image"),
    new_code_cell(
        "z = latent.random_z(24, trainer.G.z_dim, cfg.prior, seed=SEED)\n"
        "samples = latent.decode(trainer.G, z)\n"
        "dist, idx = neighbours.nearest_train(samples, train_set.x)\n"
        "Image.fromarray(neighbour_pairs_image(samples, train_set.x[idx], dist, pairs_per_row=6))"),
    new_markdown_cell("## Is it memorising?"),
    new_code_cell(
        "pool = latent.decode(trainer.G, latent.random_z(N_DIST, trainer.G.z_dim, cfg.prior, seed=SEED + 1))\n"
        "report = neighbours.memorisation_report(pool, train_set.x, test_set.x[:N_DIST])\n"
        "print(f'median distance to the nearest training image: generated {report.sample_median:.2f}, '\n"
        "      f'held-out real {report.test_median:.2f} (ratio {report.ratio:.2f})')\n"
        "print(report.verdict)\n"
        "figures.distance_histogram(report.sample_dist, report.test_dist)"),
]

FIGURE3 = [
    new_markdown_cell(
        "# Figure 3: walking the latent space\n\n"
        "Goodfellow et al. (2014), Figure 3: \"digits obtained by linearly interpolating between coordinates in z "
        "space of the full model.\" Smooth transitions mean G learned a continuous map, not a lookup table. "
        "Beside the straight line (lerp) we walk the great circle (slerp), which keeps |z| on the prior's "
        "typical shell; then a 2D walk around a point; then, with a 2D z, the whole learned manifold.\n\n"
        "Run from the repository root so `explorer` imports."),
    params('STEPS = 100 if SMOKE else 5000           # generator updates, for each of the two models\n'
           'DATASET = "digits8x8" if SMOKE else "mnist_subset"  # both offline\n'
           'SIZES = dict(g_hidden=16, d_hidden=32) if SMOKE else {}\n'
           'POINTS = 10                              # images per interpolation row\n'
           'SEED = 0'),
    new_code_cell(
        "from PIL import Image\n"
        "from explorer import Trainer, load_dataset\n"
        "from explorer.plots import latent\n"
        "from explorer.game.config import TrainConfig\n\n"
        "cfg = TrainConfig.for_dataset(DATASET, model='mlp', steps=STEPS, seed=SEED, **SIZES)\n"
        "data = load_dataset(cfg)\n"
        "trainer = Trainer(cfg, data, 'cpu')\n"
        "trainer.train(STEPS, progress=not SMOKE)\n"
        "G = trainer.G.eval()\n"
        "print('z_dim =', G.z_dim, '| prior', cfg.prior)"),
    new_markdown_cell("## Interpolation: linear (top) and spherical (bottom)"),
    new_code_cell(
        "z0, z1 = latent.random_z(2, G.z_dim, cfg.prior, seed=SEED)\n"
        "print(f'|z0| = {z0.norm():.2f}, |z1| = {z1.norm():.2f}, |lerp midpoint| = '\n"
        "      f'{latent.lerp(z0, z1, 3)[1].norm():.2f}, |slerp midpoint| = {latent.slerp(z0, z1, 3)[1].norm():.2f}')\n"
        "Image.fromarray(latent.interpolation_rows(G, z0, z1, POINTS))"),
    new_markdown_cell("## A walk around z0 along two random orthogonal directions"),
    new_code_cell("Image.fromarray(latent.decode_grid(G, latent.walk_grid(z0, 7, span=1.5, seed=SEED), nrow=7))"),
    new_markdown_cell("## The whole learned manifold of a G with a 2D z\n\nz1 left to right, z2 top to bottom, "
                      "over the prior's support."),
    new_code_cell(
        "cfg2 = cfg.replace(z_dim=2)\n"
        "trainer2 = Trainer(cfg2, data, 'cpu')\n"
        "trainer2.train(STEPS, progress=not SMOKE)\n"
        "Image.fromarray(latent.decode_grid(trainer2.G.eval(), latent.manifold_grid(15, cfg2.prior), nrow=15))"),
]


def write(name: str, cells: list) -> Path:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    path = ROOT / "notebooks" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    for name, cells in (("01_figure1_toy1d.ipynb", FIGURE1), ("02_figure2_neighbours.ipynb", FIGURE2),
                        ("03_figure3_interpolation.ipynb", FIGURE3)):
        print(write(name, cells))
