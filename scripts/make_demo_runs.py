"""Train the demo runs shipped in assets/demo_runs/: `python scripts/make_demo_runs.py [--only NAME] [--out DIR]`.

Each demo (explorer/lessons/demo_runs.py) is an ordinary run folder trained here on the CPU with its fixed seed: config,
metrics, the frames replay plays, in-training metrics, and its last checkpoint only, without the optimizers' state
(two thirds of an Adam checkpoint): enough for the Latent space and Nearest neighbours pages, and a copy resumes
with fresh optimizer moments. A demo being made
again is trained into a temp folder and swapped in at the end, so an interrupted run leaves the old one whole.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from explorer.lessons.demo_runs import DEMOS, slim_for_shipping
from explorer.runs.run_folder import DEMO_RUNS_DIR, RunFolder
from explorer.runs.runner import Runner


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def make_demo(name: str, out: Path) -> Path:
    staging = out / f".making-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    runner = Runner(DEMOS[name].config, runs_dir=staging, name=name).start()
    snap = runner.wait()  # finished, or failed or diverged: then nobody is here to press Resume
    runner.stop()
    if snap.state != "finished":
        raise SystemExit(f"{name} did not finish: {snap.state} {snap.error or ''}")
    made = staging / name
    slim_for_shipping(made)
    final = out / name
    shutil.rmtree(final, ignore_errors=True)
    made.rename(final)
    staging.rmdir()
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(DEMOS), action="append", help="make just this demo (repeatable)")
    parser.add_argument("--out", type=Path, default=DEMO_RUNS_DIR, help=f"where to put them (default {DEMO_RUNS_DIR})")
    args = parser.parse_args(argv)
    for name in args.only or DEMOS:
        t0 = time.perf_counter()
        path = make_demo(name, args.out)
        print(f"{name}: {folder_bytes(path) / 1e6:.2f} MB in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    runs = [p for p in args.out.iterdir() if RunFolder(p).is_run()]
    print(f"all demos: {sum(map(folder_bytes, runs)) / 1e6:.2f} MB in {len(runs)} runs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
