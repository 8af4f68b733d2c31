"""Every run on disk as one table, and the few things done to a run folder as a whole: rename, delete, copy a
bundled demo into the user's runs, and group runs that differ only in their seed.

The table is read from the folders alone (config.json, the checkpoints' names, evals.csv, file sizes): no
checkpoint is loaded, so 200 runs list in well under a second. A run being trained holds its folder's lock
(run_folder.lock_run); rename and delete take that lock without waiting, so they refuse such a run instead of
pulling its folder away under the trainer. Bundled demos (run_folder.DEMO_RUNS_DIR) are read-only: they are
listed, replayed, compared, exported and copied, never renamed or deleted.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from explorer.game.config import TrainConfig
from explorer.game.datasets import DATASET_REGISTRY
from explorer.metrics.registry import headline_metrics
from explorer.runs import importer, replay, run_folder
from explorer.runs.run_folder import CONFIG_FILE, RunFileError, RunFolder

COLUMNS = ("name", "dataset", "model", "loss", "k", "lr_d", "lr_g", "steps", "state", "best_metric", "created",
           "size_bytes", "seed", "sweep", "demo", "path", "reason")
DISK_STATES = ("finished", "stopped", "damaged", "demo")  # a state read from disk (a live run has its own)


class CatalogError(ValueError):
    """A run cannot be renamed, deleted or copied; the message says why and what to do."""


@dataclass(frozen=True)
class _Files:
    size: int  # bytes, every file under the folder
    oldest: float  # the oldest file's mtime: when the run was made (or imported, or copied)


def _files(path: Path) -> _Files:
    """Sizes and times of every file under `path`, by os.scandir (one stat per file, nothing opened)."""
    size, oldest, stack = 0, float("inf"), [path]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:  # removed meanwhile, or unreadable: count what can be read
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    size += st.st_size
                    oldest = min(oldest, st.st_mtime)
            except OSError:
                continue
    if oldest == float("inf"):
        oldest = path.stat().st_mtime if path.exists() else 0.0
    return _Files(size, oldest)


def best_metric(evals: pd.DataFrame, dataset: str) -> str:
    """The best value an in-training metric reached, as short text: "FD 31.2" (the lowest Frechet distance),
    "modes 8/8" (the most modes covered), "score 7.9" (the highest classifier score); "" when there is none.
    The first metric in the registry (explorer.metrics.registry) with a headline column in evals.csv speaks."""
    if not len(evals):
        return ""
    spec = DATASET_REGISTRY.find(dataset)
    for m in headline_metrics():
        if m.headline in evals and evals[m.headline].notna().any():
            best = m.best(evals[m.headline].dropna())
            return m.best_text(best, spec) if m.best_text else f"{m.name} {best:.3g}"
    return ""


def _disk_state(cfg: TrainConfig, step: int) -> str:
    return "finished" if cfg.steps > 0 and step >= cfg.steps else "stopped"


def _row(info: run_folder.RunInfo, live_states: Mapping[str, str], live_steps: Mapping[str, int]) -> dict:
    files = _files(info.path)
    row = dict.fromkeys(COLUMNS)
    row.update(name=info.name, steps=max(info.step, live_steps.get(info.name, 0)), created=files.oldest,
               size_bytes=files.size, demo=info.demo, path=str(info.path), best_metric="", reason="",
               sweep=info.sweep or "")
    cfg = info.config
    if cfg is None:  # config.json unreadable: listed so it can be deleted, with why
        row.update(state="damaged", reason=info.error or f"{CONFIG_FILE} cannot be read")
        return row
    row.update(dataset=cfg.dataset, model=cfg.family, loss=cfg.loss, k=cfg.k, lr_d=cfg.lr_d, lr_g=cfg.lr_g,
               seed=cfg.seed)
    row["state"] = "demo" if info.demo else live_states.get(info.name) or _disk_state(cfg, info.step)
    try:
        row["best_metric"] = _best_metric_of(info.path, cfg.dataset)
    except RunFileError as e:  # a damaged evals.csv costs the run its best metric, not the table
        row["reason"] = str(e)
    if not row["best_metric"] and DATASET_REGISTRY.get(cfg.dataset).is_toy:
        row["best_metric"] = _lowest_js_of(info.path)
    return row


def _lowest_js_of(run_dir: Path) -> str:
    """"JS 0.013": the lowest JSD(p_data || p_g) a toy's recorded frames reached; "" without frames. Kept while
    its samples folder is unchanged."""
    try:
        stamp = RunFolder(run_dir).samples_dir.stat().st_mtime_ns
    except FileNotFoundError:
        return ""
    return _lowest_js_cached(str(run_dir), stamp)


@functools.lru_cache(maxsize=1024)
def _lowest_js_cached(run_dir: str, stamp: int) -> str:
    history = replay.toy_history(RunFolder(run_dir).frames())
    return f"JS {history['js'].min():.3f}" if len(history) else ""


def _best_metric_of(run_dir: Path, dataset: str) -> str:
    """best_metric of a run's evals.csv; "" when it has none. Parsing the CSV is most of a table's cost, so the
    result is kept while the file's size and time stay the same (a page redrawn on every click reads none)."""
    try:
        stat = RunFolder(run_dir).evals_file.stat()
    except FileNotFoundError:
        return ""
    return _best_metric_cached(str(run_dir), stat.st_mtime_ns, stat.st_size, dataset)


@functools.lru_cache(maxsize=1024)
def _best_metric_cached(run_dir: str, mtime_ns: int, size: int, dataset: str) -> str:
    return best_metric(RunFolder(run_dir).read_evals(), dataset)


def run_table(runs_dir: Path, demo_dir: Path | None = None, live_states: Mapping[str, str] | None = None,
              live_steps: Mapping[str, int] | None = None) -> pd.DataFrame:
    """One row per run folder in runs_dir, then per bundled demo in demo_dir (run_folder.DEMO_RUNS_DIR by default;
    a missing folder lists none), newest first within each. Columns (COLUMNS):

    name, dataset, model (the family actually used), loss, k, lr_d, lr_g, seed; steps (the last checkpointed
    step, or `live_steps[name]` when larger); state (`live_states[name]` for a run this process trains, else
    "finished" when cfg.steps > 0 and the last checkpoint reached it, "stopped" otherwise, "damaged" when
    config.json is unreadable, "demo" for demos); best_metric (see `best_metric`); created (the oldest file's
    modification time in the folder: when the run was made, or imported, or copied; a datetime in local time);
    size_bytes (every file under the folder); sweep (the sweep a trial of runs_dir/sweeps/ belongs to, "" for a
    run of its own); demo (bool); path; reason (why a run is damaged, or why its evals.csv could not be read; ""
    otherwise).

    A demo whose name a run of the user's also has is left out: that name opens the user's run everywhere
    (run_folder.find_run_dir), so listing both would show one run twice under one name."""
    live_states, live_steps = live_states or {}, live_steps or {}
    rows = [_row(info, live_states, live_steps)
            for info in run_folder.visible_runs(runs_dir, sweeps=True, demo_dir=demo_dir)]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["created"] = pd.to_datetime([pd.Timestamp.fromtimestamp(t) for t in table["created"]])
    for column in ("k", "steps", "seed", "size_bytes"):
        table[column] = table[column].astype("Int64")  # a damaged run has no k or seed: <NA>, not a float
    table["demo"] = table["demo"].astype(bool)
    return table


def _same_folder(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


# --------------------------------------------------------------------------------------- changing runs

def _own_run(runs_dir: Path, name: str, action: str, demo_dir: Path | None) -> Path:
    """The folder of the user's run `name` inside runs_dir, or CatalogError saying why `action` cannot touch
    it (a demo, a name that is not a run's, a folder that is not a run)."""
    demo_dir = Path(run_folder.DEMO_RUNS_DIR if demo_dir is None else demo_dir)
    runs_dir = Path(runs_dir)
    try:
        clean = run_folder.sanitize_run_name(name)
    except ValueError:
        clean = None
    if clean != name:
        raise CatalogError(f"{name!r} is not a run name (letters, digits, '-', '_', '.'): nothing to {action}.")
    path = runs_dir / name
    mine = path.is_dir() and not path.is_symlink() and RunFolder(path).is_run()
    if mine and path.resolve().parent == runs_dir.resolve() and not _same_folder(runs_dir, demo_dir):
        return path
    trial = run_folder.find_run_dir(runs_dir, name, demo_dir)
    if trial is not None and trial.parent.parent == runs_dir / run_folder.SWEEPS_SUBDIR:
        sweep = trial.parent.name
        raise CatalogError(f"{name} is part of sweep {sweep}: the sweep's results table names it, so it cannot be "
                           f"{action}d on its own. Its sweep folder is {trial.parent}.")
    if RunFolder(demo_dir / name).is_run():
        raise CatalogError(f"{name} is a bundled demo run: demos are read-only, so it cannot be {action}d. "
                           f"Copy it to your runs first (Copy to my runs), then {action} the copy.")
    raise CatalogError(f"There is no run {name} in {runs_dir} (a run folder holds a {CONFIG_FILE}): nothing to "
                       f"{action}. Reload the page to see the runs as they are now.")


@contextmanager
def _not_training(path: Path):
    """Hold the run's lock for the block, or raise RunLockedError (its message names the holder) at once:
    a run being trained, or held paused, by any process is never renamed or deleted under it."""
    handle = RunFolder(path).lock()
    try:
        yield
    finally:
        handle.close()


def _name_taken(runs_dir: Path, name: str, demo_dir: Path) -> bool:
    """A user's run, a demo or anything else already has this name (a user's run named like a demo would hide
    the demo: folder.find_run_dir opens the user's first)."""
    return os.path.lexists(Path(runs_dir) / name) or RunFolder(Path(demo_dir) / name).is_run()


def rename_run(runs_dir: Path, old: str, new: str, demo_dir: Path | None = None) -> Path:
    """Rename the user's run `old` to `new` (sanitised: folder.sanitize_run_name) and return its new folder.
    Refuses, with CatalogError, a demo, a name already taken (by a run or a demo), and with RunLockedError a
    run being trained or held paused by any process."""
    demo_dir = Path(run_folder.DEMO_RUNS_DIR if demo_dir is None else demo_dir)
    source = _own_run(runs_dir, old, "rename", demo_dir)
    try:
        clean = run_folder.sanitize_run_name(new)
    except ValueError as e:
        raise CatalogError(f"Cannot rename {old}: the new {e}.") from None
    if clean == old:
        raise CatalogError(f"{old} already has that name: type a different one.")
    if _name_taken(runs_dir, clean, demo_dir):
        raise CatalogError(f"A run named {clean} already exists: pick another name (or delete that run first).")
    target = Path(runs_dir) / clean
    with _not_training(source):
        try:
            target.mkdir()  # claim the name first: two renames to one name cannot both win
        except FileExistsError:
            raise CatalogError(f"A run named {clean} was just created: pick another name.") from None
        try:
            os.replace(source, target)  # onto the empty folder just claimed: the run moves whole
        except OSError:
            target.rmdir()
            raise
    return target


def delete_run(runs_dir: Path, name: str, demo_dir: Path | None = None) -> None:
    """Delete the user's run `name` (its whole folder). Refuses, with CatalogError, a demo and anything that is
    not a run folder inside runs_dir, and with RunLockedError a run being trained or held paused."""
    path = _own_run(runs_dir, name, "delete", demo_dir)
    with _not_training(path):
        shutil.rmtree(path)


def copy_demo(runs_dir: Path, name: str, demo_dir: Path | None = None) -> Path:
    """Copy the bundled demo `name` into runs_dir as an ordinary run of the user's, named `<name>-copy` (made
    unique: folder.make_unique_dir; never the demo's own name, which would hide the demo). Files only, no
    lock or temp files, with the usual permissions (a demo installed read-only gives a writable copy);
    config.json is copied last, so a half-made copy is never listed as a run. Returns the new folder."""
    demo_dir = Path(run_folder.DEMO_RUNS_DIR if demo_dir is None else demo_dir)
    source = demo_dir / name
    if run_folder.find_run_dir(runs_dir, name, demo_dir) != source:
        raise CatalogError(f"There is no bundled demo run {name!r} in {demo_dir}: nothing to copy.")
    base = f"{name}-copy"
    while (demo_dir / base).exists():  # a demo named like the copy: step past it
        base += "-copy"
    target = run_folder.make_unique_dir(Path(runs_dir), base)
    folder = RunFolder(source)
    try:
        files = [p for p in sorted(source.rglob("*"))
                 if not p.is_symlink() and p != folder.lock_file and not p.name.endswith(".tmp")]
        for path in sorted(files, key=lambda p: p == folder.config_file):
            dest = target / path.relative_to(source)
            if path.is_dir():
                dest.mkdir(exist_ok=True)
            elif path.is_file():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
    except OSError:  # a full disk: no half copy left behind
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


# --------------------------------------------------------------------------------------- seeds

def seed_groups(configs: Mapping[str, TrainConfig]) -> dict[str, list[str]]:
    """Group runs whose configs are equal in every field but `seed`: {label: [run names]}, in the order of
    `configs`. A run with no such partner is a group of one, labelled by its name; a larger group by its first
    run's name and its seeds, e.g. "ring8-a + 2 more (seeds 0, 1, 2)"."""
    groups: dict[TrainConfig, list[str]] = {}
    for name, cfg in configs.items():
        groups.setdefault(cfg.replace(seed=0), []).append(name)
    out = {}
    for names in groups.values():
        if len(names) == 1:
            out[names[0]] = names
        else:
            seeds = ", ".join(str(s) for s in sorted(configs[n].seed for n in names))
            out[f"{names[0]} + {len(names) - 1} more (seeds {seeds})"] = names
    return out


def groups_differ_only_in_seed(configs: Mapping[str, TrainConfig]) -> bool:
    """True when at least two of the runs differ only in their seed (there is a band to draw)."""
    return any(len(names) > 1 for names in seed_groups(configs).values())



# --------------------------------------------------------------------------------------- import

def import_upload(filename: str, data: bytes, runs_dir: Path) -> Path:
    """An uploaded zip (its name and bytes) imported as a new run (importer.import_zip does every check and
    raises ArchiveError with the reason; nothing is then written to runs_dir). The bytes are read from memory;
    the upload's own file name (sanitised) is what import_zip's messages name and what names the run when the
    zip has no top folder."""
    try:
        zip_name = run_folder.sanitize_run_name(Path(filename).stem) + ".zip"
    except ValueError:
        zip_name = "upload.zip"
    return importer.import_zip(io.BytesIO(data), Path(runs_dir), zip_name=zip_name)
