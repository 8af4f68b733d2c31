"""Train the sweep shipped in assets/demo_sweeps/: `python scripts/make_demo_sweep.py [--out DIR] [--cpus N]`.

The sweep (explorer/sweeps/demo_sweep.py) runs on a local Ray like any `python -m explorer sweep`, into a temp folder,
and the finished sweep folder is swapped in at the end, so an interrupted run leaves the old one whole. Each
trial keeps what the Sweeps and Replay pages read (config, metrics, recorded frames) and drops its checkpoints:
a toy's checkpoint is about 0.5 MB even without optimizer state, three times the rest of the trial, and a toy
has no page that needs its weights (Latent space and Nearest neighbours are for images).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from explorer.runs.run_folder import DEMO_SWEEPS_DIR, LOCK_FILE, RunFolder
from explorer.sweeps.demo_sweep import DEMO_SWEEP
from explorer.sweeps.launch import SweepOptions, run_sweep
from explorer.sweeps.sweep_folder import PROGRESS_FILE, create_sweep, read_results


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO_SWEEPS_DIR,
                        help=f"where to put it (default {DEMO_SWEEPS_DIR})")
    parser.add_argument("--cpus", type=int, default=0, help="CPUs of the local Ray (default: all)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="demo-sweep-") as tmp:
        sweep_dir, spec = create_sweep(tmp, DEMO_SWEEP)
        summary = run_sweep(sweep_dir, SweepOptions(cpus=args.cpus))
        results = read_results(sweep_dir, spec)
        if summary["interrupted"] or (results["state"] == "failed").any():
            raise SystemExit(f"the demo sweep did not complete: {summary}")
        for run in results["run"]:
            trial = RunFolder(sweep_dir / run)
            shutil.rmtree(trial.checkpoints_dir)
            trial.lock_file.unlink(missing_ok=True)
        for name in (PROGRESS_FILE, LOCK_FILE):  # the sweep's lock is folder.lock_run's, on the sweep folder
            (sweep_dir / name).unlink(missing_ok=True)
        final = args.out / spec.name
        shutil.rmtree(final, ignore_errors=True)
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.move(sweep_dir, final)
    print(f"{spec.name}: {len(results)} trials, {folder_bytes(final) / 1e6:.2f} MB in "
          f"{time.perf_counter() - started:.0f} s ({summary['trials_per_min']} trials/min, Ray started in "
          f"{summary['ray_start_seconds']} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
