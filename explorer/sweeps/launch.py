"""Drive a sweep with Ray Tune: a local Ray started on demand (this machine's cores), or an existing Ray
cluster by address. Ray runs each trial in a worker (trial.run_trial); this process records every trial that
ends in results.csv as it ends, so a sweep stopped at any moment resumes with what is missing."""

from __future__ import annotations

import json
import logging
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from explorer.game.data import DATA_ENV, resolve_data_root
from explorer.sweeps.spec import SweepSpec
from explorer.sweeps.sweep_folder import lock_sweep, read_results, read_spec, write_progress, write_results

PROGRESS_SECONDS = 1.0  # how often a trial reports its step, and progress.json is rewritten


class SweepError(RuntimeError):
    """The sweep could not run at all (Ray could not start, no such cluster, not enough resources)."""


@dataclass(frozen=True)
class SweepOptions:
    address: str | None = None  # an existing Ray cluster ("ray://host:10001", "host:6379" or "auto")
    cpus: int = 0  # CPUs of a local Ray (0: this machine's); ignored with an address
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0  # a fraction packs several small runs on one GPU
    max_concurrent: int = 0  # trials at once (0: as many as the resources allow)


def _trainable(config: dict, spec_json: str, sweep_dir: str) -> None:
    """One Ray Tune trial: train the sweep's trial number config["trial"] and report its results row."""
    from ray import tune

    from explorer.sweeps.trial import run_trial

    trial = SweepSpec.from_json(spec_json).trials()[config["trial"]]
    last = [0.0]

    def report(step: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS:
            last[0] = now
            tune.report({"step": step})

    row = run_trial(trial, Path(sweep_dir), report)
    tune.report({"step": row["step"], "row_json": json.dumps(row)})


def _connect(options: SweepOptions, data_root: Path) -> tuple[float, bool]:
    """ray.init: (seconds it took, whether this process started the Ray it is connected to)."""
    if options.address:
        _use_token_if_any()  # before Ray is imported: it reads RAY_AUTH_MODE then, and a later change goes unseen
    import ray

    if ray.is_initialized():  # a notebook that started Ray itself: use it as it is
        return 0.0, False
    # Workers may start in another folder: they get the data root as an absolute path.
    runtime_env = {"env_vars": {DATA_ENV: str(data_root.resolve())}}
    started = time.perf_counter()
    try:
        if options.address:
            ray.init(address=options.address, runtime_env=runtime_env, logging_level=logging.WARNING,
                     log_to_driver=False)
        else:
            # address="local": always a Ray of our own, even where `ray start` left a cluster that a bare
            # ray.init() would join (with its resources, not this machine's).
            ray.init(address="local", num_cpus=options.cpus or os.cpu_count(), include_dashboard=False,
                     runtime_env=runtime_env, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray"
        hint = ("Is the cluster up (`ray status --address ...` on its head)? Check the address: "
                "host:6379 for the head's GCS port, ray://host:10001 for Ray Client.") if options.address else (
                "See the error above; `ray stop` ends stale Ray processes of an earlier session.")
        raise SweepError(f"could not connect to {where}: {e}. {hint}") from None
    return time.perf_counter() - started, not options.address


def _use_token_if_any() -> None:
    """Ray 2.5x's `ray start --head` turns token authentication on when ~/.ray/auth_token exists, but a client
    only sends the token if RAY_AUTH_MODE says so: connecting to that cluster from this machine then fails with
    "InvalidAuthToken". Unless the mode is set explicitly, a client with a token sends it."""
    if "RAY_AUTH_MODE" in os.environ:
        return
    token_file = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    if os.environ.get("RAY_AUTH_TOKEN") or token_file.is_file():
        os.environ["RAY_AUTH_MODE"] = "token"


def _check_resources(options: SweepOptions) -> str:
    """Refuse a sweep the cluster can never place (it would wait forever); describe the cluster."""
    import ray

    res = ray.cluster_resources()
    cpus, gpus = res.get("CPU", 0), res.get("GPU", 0)
    if options.gpus_per_trial > 0 and gpus < options.gpus_per_trial:
        raise SweepError(f"--gpus-per-trial {options.gpus_per_trial:g} but the Ray cluster has {gpus:g} GPUs: "
                         f"use --gpus-per-trial 0 to train on CPUs, or point --address at a cluster with a GPU")
    if cpus < options.cpus_per_trial:
        raise SweepError(f"each trial takes {options.cpus_per_trial:g} CPUs but the Ray cluster has {cpus:g}")
    return f"{cpus:g} CPUs" + (f", {gpus:g} GPUs" if gpus else "")


class _Recorder:
    """Keeps the results rows and the progress of the trials that run; writes both to the sweep folder."""

    def __init__(self, sweep_dir: Path, spec: SweepSpec, rows: dict[int, dict], todo: list[int],
                 on_progress: Callable[[dict], None] | None):
        self.sweep_dir, self.spec, self.rows = sweep_dir, spec, rows
        self.names = {t.index: t.name for t in spec.trials()}
        self.todo = todo
        self.steps: dict[int, int] = {}
        self.on_progress = on_progress
        self._lock = threading.Lock()
        self._written = 0.0

    def __getstate__(self) -> dict:
        # Tune pickles its callbacks into its experiment state; the live recorder stays in this process.
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "on_progress")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock(), on_progress=None)

    def step(self, index: int, step: int) -> None:
        with self._lock:
            self.steps[index] = step
        self._progress()

    def ended(self, index: int, row: dict) -> None:
        if row.get("state") == "interrupted":  # not an end: resuming the sweep goes on with it
            return
        with self._lock:
            self.rows[index] = row
            self.steps[index] = int(row.get("step") or 0)
            write_results(self.sweep_dir, self.spec, list(self.rows.values()))
        self._progress(force=True)

    def failed(self, index: int, error: str) -> None:
        if index not in self.rows:
            self.ended(index, {"trial": index, "run": self.names[index], "state": "failed", "step": 0,
                               "error": error, **_params(self.spec, index)})

    def progress(self, state: str) -> dict:
        with self._lock:
            running = {self.names[i]: s for i, s in self.steps.items() if i not in self.rows}
            return {"state": state, "total": self.spec.n_trials(), "ended": len(self.rows),
                    "steps_per_trial": self.spec.steps, "running": running,
                    "steps_done": sum(self.steps.get(i, 0) for i in self.todo)}

    def _progress(self, force: bool = False, state: str = "running") -> None:
        now = time.monotonic()
        if force or now - self._written >= PROGRESS_SECONDS:
            self._written = now
            progress = self.progress(state)
            write_progress(self.sweep_dir, **progress)
            if self.on_progress is not None:
                self.on_progress(progress)


def _params(spec: SweepSpec, index: int) -> dict:
    trial = spec.trials()[index]
    return {**trial.params, "seed": trial.seed}


def _tune_callback(recorder: _Recorder):
    from ray import tune

    class Recorder(tune.Callback):
        def on_trial_result(self, iteration, trials, trial, result, **info):
            index = trial.config["trial"]
            if "row_json" in result:
                recorder.ended(index, json.loads(result["row_json"]))
            else:
                recorder.step(index, int(result.get("step", 0)))

        def on_trial_error(self, iteration, trials, trial, **info):
            recorder.failed(trial.config["trial"], _error_text(trial))

        def on_trial_complete(self, iteration, trials, trial, **info):
            recorder.failed(trial.config["trial"], "the trial ended without reporting its results")

    return Recorder()


def _error_text(trial) -> str:
    """The last line of the trial's traceback (Ray keeps it in error.txt), else a worker that died."""
    path = getattr(trial, "error_file", None)
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()] if path else []
    except OSError:
        lines = []
    return lines[-1].strip() if lines else "the trial's Ray worker died (killed, or out of memory)"


def run_sweep(sweep_dir: str | os.PathLike, options: SweepOptions = SweepOptions(),
              on_progress: Callable[[dict], None] | None = None) -> dict:
    """Run every trial of the sweep in `sweep_dir` that has no results row yet, on Ray Tune; return a summary:
    trials (all), ran (this call), finished/diverged/failed (all rows), interrupted (left for a resume),
    seconds, ray_start_seconds, trials_per_min (this call), cluster."""
    sweep_dir = Path(sweep_dir).resolve()
    spec = read_spec(sweep_dir)
    trials = spec.trials()
    rows = {int(r["trial"]): r for r in read_results(sweep_dir, spec).to_dict("records")}
    todo = [t.index for t in trials if t.index not in rows]
    lock = lock_sweep(sweep_dir)
    recorder = _Recorder(sweep_dir, spec, rows, todo, on_progress)
    started = time.perf_counter()
    ray_seconds, cluster, interrupted = 0.0, "", False
    try:
        write_progress(sweep_dir, **recorder.progress("starting"))
        if todo:
            os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # no Tune CSV/JSON/TensorBoard files
            os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
            ray_seconds, ours = _connect(options, resolve_data_root(trials[0].config.data_root or None))
            try:
                cluster = _check_resources(options)
                interrupted = _fit(sweep_dir, spec, todo, options, recorder)
            finally:
                import ray

                if ours:
                    ray.shutdown()
    except BaseException:
        write_progress(sweep_dir, **recorder.progress("stopped"))
        raise
    finally:
        lock.close()
    seconds = time.perf_counter() - started
    ended = [rows[i] for i in todo if i in rows]
    states = [r.get("state") for r in rows.values()]
    missing = [t.name for t in trials if t.index not in rows]
    write_progress(sweep_dir, **recorder.progress("stopped" if missing else "finished"))
    fit_minutes = max(seconds - ray_seconds, 1e-9) / 60
    return {"sweep_dir": str(sweep_dir), "trials": len(trials), "ran": len(ended),
            "finished": states.count("finished"), "diverged": states.count("diverged"),
            "failed": states.count("failed"), "interrupted": len(missing),
            "seconds": round(seconds, 2), "ray_start_seconds": round(ray_seconds, 2),
            "trials_per_min": round(len(ended) / fit_minutes, 2) if ended else 0.0,
            "cluster": cluster, "address": options.address or "local",
            **({"resume": f"sweep --resume {sweep_dir}"} if missing or interrupted else {})}


def _fit(sweep_dir: Path, spec: SweepSpec, todo: list[int], options: SweepOptions, recorder: _Recorder) -> bool:
    """Tuner.fit over the trials in `todo`; True if it was interrupted (Ctrl-C, SIGTERM)."""
    from ray import tune

    trainable = tune.with_resources(
        tune.with_parameters(_trainable, spec_json=spec.to_json(), sweep_dir=str(sweep_dir)),
        {"cpu": options.cpus_per_trial, "gpu": options.gpus_per_trial})
    # Tune's own experiment files go to a temporary folder: the sweep folder is the record, and resuming
    # reads it, not Tune's state.
    # Its loggers are off (TUNE_DISABLE_AUTO_CALLBACK_LOGGERS), so the result grid it builds at the end finds no
    # metrics files: that warning is about files we asked it not to write.
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="gan-explorer-tune-") as storage:
        tuner = tune.Tuner(
            trainable,
            param_space={"trial": tune.grid_search(todo)},
            tune_config=tune.TuneConfig(max_concurrent_trials=options.max_concurrent or None, reuse_actors=True,
                                        trial_dirname_creator=lambda t: f"trial_{t.config['trial']}"),
            run_config=tune.RunConfig(name=spec.name, storage_path=storage, verbose=0,
                                      callbacks=[_tune_callback(recorder)]))
        previous = _sigterm_as_interrupt()
        try:
            tuner.fit()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    return any(i not in recorder.rows for i in todo)


def _sigterm_as_interrupt():
    """`kill` stops a sweep the way Ctrl-C does (Tune stops its trials; what ended is recorded)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda signum, frame: os.kill(os.getpid(), signal.SIGINT))
