"""The toy figures as pixels, for animations (GIF, MP4) of a recorded run.

plotly draws every figure the pages show (plots.toys), but turning a plotly figure into pixels needs a browser
(kaleido drives Chrome), too slow and too fragile for a few hundred frames on a user's machine. These draw the
same panels with matplotlib's Agg canvas (no display, no pyplot state: safe on any thread), in the same palette
(plots.style), so a frame of the GIF reads like the page: p_data black dotted, p_g green, D blue dashed.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure

from explorer.metrics.toy import Toy1DView, Toy2DView
from explorer.plots import style

DASHES = {"dot": ":", "dash": "--", "dashdot": "-.", None: "-"}


def _line(spec: dict) -> dict:
    """A plotly line dict of plots.style as matplotlib keyword arguments."""
    return dict(color=spec["color"], linestyle=DASHES[spec.get("dash")], linewidth=spec.get("width", 1.5) * 0.8)


def _pixels(fig: Figure) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def figure1_frame(view: Toy1DView, step: int, y_max: float | None = None, size: tuple[int, int] = (640, 420)
                  ) -> np.ndarray:
    """Figure 1 at one step as uint8 (H, W, 3): densities and D above, the z -> x map below. A fixed
    `y_max` across frames keeps the axes still while the curves move."""
    fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    top, bottom = fig.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    x = view.x
    top.plot(x, view.p_data, label="p_data", **_line(style.P_DATA))
    top.plot(x, view.p_g, label="p_g", **_line(style.P_G))
    top.plot(x, view.d, label="D(x)", **_line(style.D_LINE))
    top.axhline(0.5, **_line(style.HALF))
    top.set_ylim(0, y_max or max(1.05, float(np.max(view.p_data)) * 1.1, float(np.max(view.p_g)) * 1.1))
    top.set_title(f"step {step:,}   JSD {view.js:.3f}   mean D(x) {view.d_on_data:.2f}", fontsize=10, loc="left")
    top.legend(loc="upper right", fontsize=8, frameon=False)
    for z, gz in zip(view.z, view.g_of_z, strict=True):
        bottom.plot([z, gz], [0, 1], color=style.C_REF, linewidth=0.8)
    bottom.scatter(view.z, np.zeros_like(view.z), s=8, color=style.C_DATA, zorder=3)
    bottom.scatter(view.g_of_z, np.ones_like(view.g_of_z), s=8, color=style.C_G, zorder=3)
    bottom.set_yticks([0, 1], ["z", "x"])
    bottom.set_xlim(float(x[0]), float(x[-1]))
    bottom.set_xlabel("x")
    fig.tight_layout(pad=0.6)
    return _pixels(fig)


# D(x)'s colours as the page draws them (style.HEATMAP is plotly's colour scale: [position, colour] pairs).
D_COLOURS = LinearSegmentedColormap.from_list("d_of_x", [(float(at), colour) for at, colour in style.HEATMAP])


def gan_lab_frame(view: Toy2DView, step: int, size: int = 480) -> np.ndarray:
    """GAN Lab's view at one step as uint8 (H, W, 3): D's heatmap, real (black) and generated (green) points."""
    fig = Figure(figsize=(size / 100, size / 100), dpi=100)
    ax = fig.subplots()
    extent = (float(view.xs[0]), float(view.xs[-1]), float(view.ys[0]), float(view.ys[-1]))
    ax.imshow(view.d, origin="lower", extent=extent, cmap=D_COLOURS, vmin=0, vmax=1, alpha=0.55,
              aspect="equal", interpolation="bilinear")
    ax.scatter(view.real[:, 0], view.real[:, 1], s=3, color=to_rgba(style.C_DATA, 0.5), linewidths=0)
    ax.scatter(view.fake[:, 0], view.fake[:, 1], s=5, color=to_rgba(style.C_G, 0.8), linewidths=0)
    modes = f"   modes {view.modes_covered}/{view.n_modes}" if view.n_modes else ""
    ax.set_title(f"step {step:,}   JSD {view.js:.3f}{modes}", fontsize=10, loc="left")
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    fig.tight_layout(pad=0.5)
    return _pixels(fig)


def toy_frame(view: Toy1DView | Toy2DView, step: int, y_max: float | None = None) -> np.ndarray:
    """The toy's figure at one step: Figure 1 for a 1D toy, GAN Lab's view for a 2D one."""
    return figure1_frame(view, step, y_max) if isinstance(view, Toy1DView) else gan_lab_frame(view, step)
