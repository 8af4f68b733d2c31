"""What a run recorded, read back for replay: no training, no models, no GPU.

The runner records a frame every `sample_interval` steps (and at step 0 and the last step) in samples/:

    samples/step_NNNNNNNN.png   image data sets: the sample grid from the fixed z
    samples/step_NNNNNNNN.npz   1D/2D toys: the toy view (densities, D, points), compactly

A toy frame keeps what the toy figures draw, cut down: float16 curves, D's 2D heatmap as uint8 (1/255 of D is
below what a colour scale shows), 1,000 generated points and 500 real ones. About 3 KB (1D) and 12 KB (2D) a
frame, against 0.5 MB for the view in memory. `Recording` reads a run folder: its frames, metrics and in-training
metrics, the frame nearest any step, and the toys' summary curve (mean D on data, JS, C(G), modes) from the frames.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from explorer.game.config import TrainConfig
from explorer.metrics.toy import Toy1DView, Toy2DView, optimal_d
from explorer.runs import run_folder
from explorer.runs.run_folder import RunFolder

TOY_REAL_POINTS = 500  # real points kept in a 2D frame (the data do not change; the figure needs a cloud)
TOY_FAKE_POINTS = 1000  # generated points kept in a 2D frame
MAX_FRAME_BYTES = 4 * 1024**2  # an npz frame above this is not one the runner wrote (import refuses it)

# What each kind of toy frame holds: name -> number of dimensions. Checked on reading (import runs it on
# untrusted files), so a frame of the wrong shape is an error with a message, never a crash in a figure.
TOY1D_ARRAYS = {"x": 1, "p_data": 1, "p_g": 1, "d": 1, "z": 1, "g_of_z": 1, "samples": 1, "scalars": 1}
TOY2D_ARRAYS = {"xs": 1, "ys": 1, "d_uint8": 2, "real": 2, "fake": 2, "g_grad": 2, "scalars": 1}


class FrameError(ValueError):
    """A toy frame that is not one the runner writes; the message names the file."""


# ----------------------------------------------------------------------------------- toy frames, written

def toy_frame_bytes(view: Toy1DView | Toy2DView) -> bytes:
    """The npz bytes of one toy frame (np.savez_compressed: no pickles, read back with allow_pickle=False)."""
    half = lambda a: np.asarray(a, dtype=np.float16)  # noqa: E731
    if isinstance(view, Toy1DView):
        arrays = dict(x=np.asarray(view.x, dtype=np.float32), p_data=half(view.p_data), p_g=half(view.p_g),
                      d=half(view.d), z=half(view.z), g_of_z=half(view.g_of_z), samples=half(view.samples),
                      scalars=np.array([view.d_on_data, view.js, view.value]))
    else:
        modes = (-1, -1) if view.n_modes is None else (view.modes_covered, view.n_modes)
        arrays = dict(xs=np.asarray(view.xs, dtype=np.float32), ys=np.asarray(view.ys, dtype=np.float32),
                      d_uint8=np.round(np.clip(view.d, 0, 1) * 255).astype(np.uint8),
                      real=half(view.real[:TOY_REAL_POINTS]), fake=half(view.fake[:TOY_FAKE_POINTS]),
                      g_grad=half(view.g_grad), scalars=np.array([view.d_on_data, view.js, view.value, *modes]))
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def save_toy_frame(run_dir: Path, step: int, view: Toy1DView | Toy2DView) -> Path:
    path = RunFolder(run_dir).frame_file(step, ".npz")
    run_folder.atomic_write_bytes(path, toy_frame_bytes(view))
    return path


# ----------------------------------------------------------------------------------- toy frames, read

def load_toy_frame(path: Path) -> Toy1DView | Toy2DView:
    """A toy frame back as the view the figures draw (D* recomputed from the densities). Anything that is not
    a frame the runner writes (not an npz, pickled objects, missing or extra arrays, wrong shapes) is a
    FrameError naming the file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FRAME_BYTES:
            raise FrameError(f"{path.name} is {path.stat().st_size:,} bytes: larger than any frame the runner writes")
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FrameError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise FrameError(f"{path} is not a replay frame ({type(e).__name__}: {e})") from None
    expected = TOY1D_ARRAYS if "p_g" in arrays else TOY2D_ARRAYS
    shapes_ok = set(arrays) == set(expected) and all(
        arrays[k].ndim == nd and arrays[k].dtype.kind in "fiu" and np.isfinite(arrays[k]).all()
        for k, nd in expected.items())
    if not shapes_ok:
        raise FrameError(f"{path} is not a replay frame: it holds {sorted(arrays)} "
                         f"(expected {sorted(expected)}, finite numbers, the right dimensions)")
    f64 = {k: v.astype(np.float64) for k, v in arrays.items()}
    s = f64["scalars"]
    if expected is TOY1D_ARRAYS:
        if len(s) != 3 or not len(f64["x"]) == len(f64["p_data"]) == len(f64["p_g"]) == len(f64["d"]):
            raise FrameError(f"{path} is not a replay frame: its curves have different lengths")
        return Toy1DView(f64["x"], f64["p_data"], f64["p_g"], f64["d"], optimal_d(f64["p_data"], f64["p_g"]),
                         f64["z"], f64["g_of_z"], f64["samples"], float(s[0]), float(s[1]), float(s[2]))
    d = arrays["d_uint8"].astype(np.float64) / 255
    if len(s) != 5 or d.shape != (len(f64["ys"]), len(f64["xs"])) or any(
            f64[k].shape[1:] != (2,) for k in ("real", "fake", "g_grad")):
        raise FrameError(f"{path} is not a replay frame: its arrays do not fit together")
    covered, n_modes = (None, None) if s[4] < 0 else (int(s[3]), int(s[4]))
    return Toy2DView(f64["xs"], f64["ys"], d, f64["real"], f64["fake"], f64["g_grad"], float(s[0]), float(s[1]),
                     float(s[2]), covered, n_modes)


def load_grid(path: Path) -> np.ndarray:
    """A saved sample grid as uint8 (H, W, 3)."""
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


# ----------------------------------------------------------------------------------- on disk

def frame_steps(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, path) of a run's recorded frames (grids or toy frames), in step order."""
    return RunFolder(run_dir).frames()


def truncate_frames(run_dir: Path, last_step: int) -> None:
    """Drop frames after `last_step` (a run resumed from an earlier checkpoint records them again)."""
    RunFolder(run_dir).truncate_frames(last_step)


def nearest_index(steps: np.ndarray, step: int) -> int:
    """Index of the value of the sorted, non-empty `steps` nearest to `step` (the earlier one on a tie)."""
    i = int(np.searchsorted(steps, step))
    if i == 0:
        return 0
    if i == len(steps):
        return len(steps) - 1
    return i - 1 if step - steps[i - 1] <= steps[i] - step else i


@dataclass(frozen=True)
class Recording:
    """A run folder as a recording: config, metrics (per step), evals (in-training metrics) and frames."""

    run_dir: Path
    config: TrainConfig
    frames: tuple[tuple[int, Path], ...]
    metrics: pd.DataFrame
    evals: pd.DataFrame

    @classmethod
    def open(cls, run_dir: Path) -> Recording:
        """Read a run folder (RunFileError for a damaged config or CSV, naming the file)."""
        folder = RunFolder(run_dir)
        return cls(folder.path, folder.read_config(), tuple(folder.frames()), folder.read_metrics(),
                   folder.read_evals())

    @property
    def name(self) -> str:
        return self.run_dir.name

    def size_marks(self) -> tuple[int, int]:
        """(metrics.csv's size in bytes, frames on disk now): they change when the run has recorded more."""
        try:
            size = RunFolder(self.run_dir).metrics_file.stat().st_size
        except OSError:
            size = -1
        return size, len(frame_steps(self.run_dir))

    @property
    def is_toy(self) -> bool:
        return bool(self.frames) and self.frames[0][1].suffix == ".npz"

    @cached_property
    def frame_step_array(self) -> np.ndarray:
        return np.array([step for step, _ in self.frames], dtype=np.int64)

    @property
    def last_step(self) -> int:
        """The last step anything was recorded for (a frame or a metrics row)."""
        last_metric = int(self.metrics["step"].iloc[-1]) if len(self.metrics) else 0
        return max(last_metric, int(self.frame_step_array[-1]) if self.frames else 0)

    def nearest_frame_step(self, step: int) -> int | None:
        """The step of the frame saved nearest to `step`; None when the run recorded no frames."""
        if not self.frames:
            return None
        return int(self.frame_step_array[nearest_index(self.frame_step_array, step)])

    def frame_at(self, step: int) -> tuple[int, np.ndarray | Toy1DView | Toy2DView] | None:
        """(frame step, the grid or toy view) nearest to `step`; None without frames."""
        if not self.frames:
            return None
        step, path = self.frames[nearest_index(self.frame_step_array, step)]
        return step, (load_toy_frame(path) if path.suffix == ".npz" else load_grid(path))

    def metrics_until(self, step: int) -> pd.DataFrame:
        return self.metrics[self.metrics["step"] <= step] if len(self.metrics) else self.metrics

    def evals_until(self, step: int) -> pd.DataFrame:
        return self.evals[self.evals["step"] <= step] if len(self.evals) else self.evals

    @cached_property
    def toy_history(self) -> pd.DataFrame:
        """See `toy_history`."""
        return toy_history(self.frames)


def toy_history(frames: Sequence[tuple[int, Path]]) -> pd.DataFrame:
    """One row per toy frame: step, d_on_data, js, value, and modes_covered for mixtures (NaN otherwise). Reads
    just each frame's scalars (a few ms for a few hundred frames); a frame that cannot be read is left out."""
    rows = []
    for step, path in frames:
        if path.suffix != ".npz":
            continue
        try:
            with np.load(path, allow_pickle=False) as npz:
                s = npz["scalars"].astype(float)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            continue
        if s.ndim != 1 or len(s) not in (3, 5):
            continue
        modes = s[3] if len(s) == 5 and s[4] >= 0 else np.nan
        rows.append((step, *s[:3], modes))
    return pd.DataFrame(rows, columns=["step", "d_on_data", "js", "value", "modes_covered"])
