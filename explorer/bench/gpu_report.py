"""`python -m explorer bench --device cuda --report`: the whole check of a GPU machine, in one command.

The steps, in order, each a subprocess of this Python (`sys.executable`) with its own log and time limit; a step
that fails is recorded with its error and the next one runs:

1. device   the machine: GPU name, compute capability, memory, driver and CUDA versions, torch, the commit;
2. tests    the test suite (`python -m pytest -q`). There is no switch that moves the suite to CUDA: the
            engine tests train with TrainConfig's default device "auto", which picks CUDA when one is visible;
3. bench    `bench --json`: the engine against the conventional loop (gan.py's way) on the same device;
4. quality  `bench --quality SECONDS --json`: MNIST in a minute;
5. paper    a fresh run of the paper preset to --paper-steps (280,000: Table 1's run), then its Parzen window
            log-likelihood for G's weight average and for G itself (`evaluate --metric parzen [--raw-g]`).

Everything goes under --out: one log per step, the paper run's folder (runs/), and report.md + report.json,
rewritten before and after every step, so a machine taken back mid-way still leaves a report of what finished.
Given an --out that already holds a report, the steps this command skips keep their earlier records: a report can
be gathered over several shorter commands (`--skip-tests --skip-paper`, then `--skip-bench --skip-quality ...`).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.runs.run_folder import RunFolder

ROOT = Path(__file__).resolve().parents[2]  # the checkout: tests/ and pytest.ini live here
PAPER_PRESET = "Paper: MNIST MLPs (SGD)"
PAPER_GAN_ROW = (225.0, 2.0)  # Table 1, "Adversarial nets" on MNIST: mean and standard error (nats)
TARGET_RATIO = 10.0  # the goal on a GPU: the engine at >= 10x the conventional loop
REPORT_VERSION = 1

# Every flag the report reads, with its default: `add_report_arguments` adds the report's own; --device, --seconds,
# --rounds, --data-root, --quality and --quality-samples (`samples`) are the bench command's, read when present.
DEFAULTS: dict[str, Any] = dict(
    device="cuda", seconds=60.0, rounds=5, data_root=None, quality=None, samples=None, out=None, skip_tests=False,
    skip_bench=False, skip_quality=False, skip_paper=False, paper_steps=280_000, parzen_samples=10_000,
    pytest_args="", bench_args="", step_timeout=None,
)
QUALITY_SECONDS = 60.0  # when --quality is not given

# Each step's time limit in seconds (--step-timeout replaces them all). Generous: a hung step is the only thing
# they are for, and the paper run's 280k steps take hours on a CPU and (we guess) minutes to an hour on a GPU.
TIMEOUTS = {"device": 120, "tests": 3 * 3600, "bench": 1800, "quality": 1800, "paper_train": 8 * 3600,
            "paper_parzen_average": 3600, "paper_parzen_raw": 3600}
STEPS = {  # key -> title, in the order they run
    "device": "Device facts",
    "tests": "Test suite (pytest)",
    "bench": "Bench: engine vs the conventional loop",
    "quality": "MNIST in a minute (bench --quality)",
    "paper_train": "Paper preset, fresh run",
    "paper_parzen_average": "Parzen window: G's weight average",
    "paper_parzen_raw": "Parzen window: G itself (--raw-g)",
}

# Run in a subprocess (`python -c`) so that this process never holds a CUDA context while the others measure.
_FACTS_SCRIPT = """
import json, os, platform, torch
f = {"torch": torch.__version__, "cuda_build": torch.version.cuda, "python": platform.python_version(),
     "platform": platform.platform(), "cpu_count": os.cpu_count(), "cuda_available": torch.cuda.is_available()}
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    free, total = torch.cuda.mem_get_info(0)
    f.update(gpu=torch.cuda.get_device_name(0), gpu_count=torch.cuda.device_count(),
             capability=".".join(map(str, torch.cuda.get_device_capability(0))),
             memory_gib=round(total / 2**30, 1), memory_free_gib=round(free / 2**30, 1),
             multiprocessors=p.multi_processor_count, cudnn=torch.backends.cudnn.version(),
             bf16_supported=torch.cuda.is_bf16_supported())
    try:
        import triton
        f["triton"] = triton.__version__
    except Exception as e:
        f["triton"] = f"not available ({type(e).__name__})"
print(json.dumps(f))
"""


@dataclass
class StepRecord:
    """One step of the report: what ran, how it ended, and its figures."""

    key: str
    title: str
    state: str = "pending"  # pending | running | ok | failed | skipped
    command: str = ""  # as a shell would run it
    log: str = ""  # its stdout + stderr, relative to the report folder
    seconds: float | None = None  # wall clock of the step
    returncode: int | None = None
    error: str = ""  # why it failed, in a line or two
    result: dict = field(default_factory=dict)  # the step's JSON line (the command's own figures)
    headline: str = ""  # its figures in one line, for the table


class StepFailed(Exception):
    """A step ended without its result; the message says why."""


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """The report's own flags, for the bench subcommand (which already has --device, --seconds, --rounds,
    --data-root and --quality, read by the report too)."""
    p.add_argument("--report", action="store_true",
                   help="check a GPU machine end to end (device facts, tests, bench, MNIST in a minute, "
                        "the paper run to 280k steps with its Parzen figures) and write report.md/report.json")
    p.add_argument("--out", help="report folder (default gpu-report-TIMESTAMP); an existing report there keeps "
                                 "the records of the steps this command skips")
    p.add_argument("--skip-tests", action="store_true", help="report: do not run the test suite")
    p.add_argument("--skip-bench", action="store_true", help="report: do not run the bench")
    p.add_argument("--skip-quality", action="store_true", help="report: do not run MNIST in a minute")
    p.add_argument("--skip-paper", action="store_true", help="report: do not train or score the paper preset")
    p.add_argument("--paper-steps", type=int, default=DEFAULTS["paper_steps"],
                   help="report: steps of the paper run (default 280000, Table 1's run)")
    p.add_argument("--parzen-samples", type=int, default=DEFAULTS["parzen_samples"],
                   help="report: samples from G for each Parzen figure (default 10000, the paper's)")
    p.add_argument("--pytest-args", default="", help="report: more pytest arguments, e.g. \"-m 'not browser'\"")
    p.add_argument("--bench-args", default="", help="report: more bench arguments, e.g. \"--no-dashboard\"")
    p.add_argument("--step-timeout", type=float,
                   help="report: one time limit in seconds for every step (default: each step its own)")


def _opt(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, DEFAULTS[name])


def refuse_without_cuda(device: str) -> None:
    """--device cuda (or auto) on a machine with no visible CUDA GPU: say so before anything is written."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        build = (f"this PyTorch ({torch.__version__}) is a CPU-only build: install a CUDA wheel from "
                 f"https://pytorch.org" if torch.version.cuda is None else
                 f"this PyTorch was built for CUDA {torch.version.cuda} but sees no GPU (check nvidia-smi, the "
                 f"driver, CUDA_VISIBLE_DEVICES)")
        raise RuntimeError(f"--report --device cuda needs a CUDA GPU and none is visible: {build}. Run it on a "
                           f"machine with an NVIDIA GPU; to try the report here, use --device cpu with short "
                           f"budgets, e.g. --device cpu --report --skip-tests --paper-steps 50 --seconds 2")


def main_report(args: argparse.Namespace) -> dict:
    """Run the report's steps; return report.json's content. Raises RuntimeError at once for --device cuda with
    no CUDA GPU, and ValueError for a bad budget."""
    device = _opt(args, "device")
    if device == "auto":  # the bench's default: the report is for a GPU, and a CPU run must be asked for by name
        device = "cuda"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"--report runs on --device cuda (or cpu, to try it); not {device!r}")
    refuse_without_cuda(device)
    paper_steps, parzen_samples = int(_opt(args, "paper_steps")), int(_opt(args, "parzen_samples"))
    if paper_steps < 1 or parzen_samples < 2:
        raise ValueError("--paper-steps must be >= 1 and --parzen-samples >= 2")
    step_timeout = _opt(args, "step_timeout")
    if step_timeout is not None and step_timeout <= 0:
        raise ValueError("--step-timeout must be > 0 seconds")
    out = Path(_opt(args, "out") or f"gpu-report-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    data_root = _opt(args, "data_root")
    data_root = str(Path(data_root).expanduser().resolve()) if data_root else None
    name = f"paper-{paper_steps // 1000}k" if paper_steps % 1000 == 0 else f"paper-{paper_steps}"
    runs_dir = out / "runs"
    if not _opt(args, "skip_paper") and (runs_dir / name).exists():
        raise ValueError(f"{runs_dir / name} exists and the paper run must be fresh: give another --out, or add "
                         f"--skip-paper to keep its earlier figures")
    out.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)

    report = _Report(out, device, _previous_steps(out))
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    if data_root:
        env["GAN_EXPLORER_DATA"] = data_root  # the tests and every command find the same data
    data = ["--data-root", data_root] if data_root else []
    explorer = [sys.executable, "-m", "explorer"]

    def limit(key: str) -> float:
        return float(step_timeout) if step_timeout else TIMEOUTS[key]

    def run(key: str, cmd: list[str], cwd: Path | None = None, shown: str = "") -> dict:
        return _run_command(cmd, out / "logs" / f"{key}.log", limit(key), env, cwd or Path.cwd(),
                            report.steps[key], shown)

    def score(key: str, raw: list[str]) -> dict:
        run_dir = report.steps["paper_train"].result.get("run_dir") or runs_dir / name
        if not RunFolder(run_dir).is_run():
            raise StepFailed("no paper run to score: the training step made none (see its log)")
        return run(key, [*explorer, "evaluate", str(run_dir), "--metric", "parzen", "--samples", str(parzen_samples),
                         "--device", device, "--no-progress", *raw, *data])

    quality_s = _opt(args, "quality")
    quality_s = QUALITY_SECONDS if isinstance(quality_s, bool) or not quality_s else float(quality_s)
    quality_samples = ["--quality-samples", str(_opt(args, "samples"))] if _opt(args, "samples") else []
    steps = [
        # (1) the machine
        ("device", lambda: _device_facts(run, env), False),
        # (2) the test suite, wherever the engine's device="auto" puts it
        ("tests", lambda: _tests(run, shlex.split(_opt(args, "pytest_args"))), _opt(args, "skip_tests")),
        # (3) the engine against the conventional loop, same device, alternating windows
        ("bench", lambda: run("bench", [*explorer, "bench", "--device", device, "--json", "--seconds",
                                        str(_opt(args, "seconds")), "--rounds", str(_opt(args, "rounds")), *data,
                                        *shlex.split(_opt(args, "bench_args"))]), _opt(args, "skip_bench")),
        # (4) MNIST in a minute
        ("quality", lambda: run("quality", [*explorer, "bench", "--quality", f"{quality_s:g}", "--device", device,
                                            "--json", *quality_samples, *data]), _opt(args, "skip_quality")),
        # (5) the paper preset, fresh and uninterrupted; then Table 1's Parzen protocol for G's average and for G
        ("paper_train", lambda: run("paper_train", [
            *explorer, "train", "--preset", PAPER_PRESET, "--steps", str(paper_steps), "--set", f"device={device}",
            "--runs-dir", str(runs_dir), "--name", name, "--no-progress", *data]), _opt(args, "skip_paper")),
        ("paper_parzen_average", lambda: score("paper_parzen_average", []), _opt(args, "skip_paper")),
        ("paper_parzen_raw", lambda: score("paper_parzen_raw", ["--raw-g"]), _opt(args, "skip_paper")),
    ]
    # A `kill` (or the machine being taken back politely) stops the running step and leaves the report as it is.
    in_main = threading.current_thread() is threading.main_thread()
    old_handler = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    try:
        for key, fn, skip in steps:
            report.step(key, fn, skip=bool(skip))
    except KeyboardInterrupt:
        raise RuntimeError(f"interrupted: the report so far is in {out / 'report.md'}") from None
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, old_handler)
    report.write(finished=True)
    return {"out": str(out), "report": str(out / "report.md"), "device": device,
            "failed": [k for k, s in report.steps.items() if s.state == "failed"],
            "steps": {k: {"state": s.state, "seconds": s.seconds, "figures": s.headline or s.error}
                      for k, s in report.steps.items()}}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# ---------------------------------------------------------------------------------------------- the steps
def _device_facts(run, env: dict) -> dict:
    facts = run("device", [sys.executable, "-c", _FACTS_SCRIPT], shown="python -c _FACTS_SCRIPT (gpu_report.py)")
    facts.update(_nvidia_smi(env))
    facts["commit"] = _git(["rev-parse", "--short", "HEAD"])
    facts["uncommitted_changes"] = bool(_git(["status", "--porcelain", "--untracked-files=no"]))
    from explorer.bench.speed import cpu_name

    facts["cpu"] = cpu_name()
    return facts


def _tests(run, extra: list[str]) -> dict:
    if not (ROOT / "tests").is_dir():
        raise StepFailed(f"no tests/ beside the package ({ROOT}): run the report from a checkout of the repo")
    return run("tests", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra], cwd=ROOT)


def _nvidia_smi(env: dict) -> dict:
    query = "driver_version,name,memory.total,power.limit,clocks.max.sm"
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30, env=env, check=True).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = [s.strip() for s in out[0].split(",")] if out else []
    return dict(zip(("driver", "smi_name", "smi_memory", "power_limit", "max_sm_clock"), fields, strict=False))


def _git(cmd: list[str]) -> str:
    try:
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _run_command(cmd: list[str], log_path: Path, timeout: float, env: dict, cwd: Path, rec: StepRecord,
                 shown: str = "") -> dict:
    """Run cmd with its stdout and stderr into log_path; return its last stdout line that is a JSON object (or {}
    for pytest). On timeout: SIGTERM to its process group (`train` then saves a checkpoint and prints its
    summary), a minute's grace, then SIGKILL. A non-zero exit raises StepFailed with the log's last error line."""
    rec.command, rec.log = shown or shlex.join(cmd), str(log_path.relative_to(log_path.parents[1]))
    with open(log_path, "w") as log:
        log.write(f"$ {shlex.join(cmd)}\n# cwd {cwd}\n")
        log.flush()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        except BaseException:  # Ctrl-C of the report: stop this step's processes too, then stop
            _signal_group(proc, signal.SIGTERM)
            proc.wait()
            raise
    rec.returncode = proc.returncode
    text = log_path.read_text(errors="replace")
    result = _last_json(text) or _pytest_result(text)
    rec.result = result  # kept even when the step failed: a stopped run still prints its summary
    if timed_out:
        raise StepFailed(f"timed out after {timeout:g} s (stopped; see {rec.log})")
    if proc.returncode != 0:
        raise StepFailed(f"exit {proc.returncode}: {_last_error(text)}")
    return result


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group has already gone
        os.killpg(proc.pid, sig)  # the group this report started for the step (start_new_session)


def _last_json(text: str) -> dict:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return {}


def _last_error(text: str) -> str:
    """The line that says why a command failed: pytest's summary, the CLI's `error: ...`, a traceback's last."""
    summary = _pytest_summary(text)
    if summary:
        return summary
    lines = [s.strip() for s in text.splitlines() if s.strip()]
    for line in reversed(lines):
        if line.startswith("error:") or re.match(r"^[\w.]*(Error|Exception|Interrupt)\b", line):
            return line[:400]
    return lines[-1][:400] if lines else "no output"


def _pytest_summary(text: str) -> str:
    """pytest -q's last line: '3 failed, 500 passed, 12 skipped in 812.31s (0:13:32)'."""
    for line in reversed(text.splitlines()):
        s = line.strip("= \n")
        if re.search(r"\b\d+ (passed|failed|error|errors|skipped|deselected)\b", s) and " in " in s:
            return s
        if s.startswith("no tests ran"):
            return s
    return ""


def _pytest_result(text: str) -> dict:
    """pytest's summary line and its counts ({} for any other output)."""
    summary = _pytest_summary(text)
    if not summary:
        return {}
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|"
                                                     r"xpassed|warnings?)\b", summary)}
    return {"summary": summary, **counts}


# ---------------------------------------------------------------------------------------------- the report
def _previous_steps(out: Path) -> dict[str, StepRecord]:
    """Records of an earlier report in `out` (for the steps this command skips)."""
    try:
        old = json.loads((out / "report.json").read_text())
        names = {f.name for f in dataclasses.fields(StepRecord)}
        return {s["key"]: StepRecord(**{k: v for k, v in s.items() if k in names}) for s in old["steps"]
                if s.get("key") in STEPS}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


class _Report:
    def __init__(self, out: Path, device: str, previous: dict[str, StepRecord]):
        self.out, self.device, self.previous = out, device, previous
        self.started = time.strftime("%Y-%m-%d %H:%M:%S %z")
        self.steps = {key: StepRecord(key, title) for key, title in STEPS.items()}

    def step(self, key: str, fn, skip: bool = False) -> None:
        """Run one step, record how it ended (never raising, but for Ctrl-C), and write the report."""
        rec = self.steps[key]
        if skip:
            old = self.previous.get(key)
            if old and old.state in ("ok", "failed"):
                self.steps[key] = dataclasses.replace(old, title=rec.title)
            else:
                rec.state = "skipped"
            self.write()
            return
        rec.state = "running"
        self.write()
        print(f"report: {rec.title} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            rec.result = fn()
            rec.state = "ok"
        except StepFailed as e:
            rec.state, rec.error = "failed", str(e)
        except KeyboardInterrupt:
            rec.state, rec.error = "failed", "interrupted (Ctrl-C or a kill of the report)"
            rec.seconds = round(time.perf_counter() - t0, 1)
            self.write()
            raise
        except Exception as e:  # noqa: BLE001 - a step's failure is recorded, never fatal to the report
            rec.state, rec.error = "failed", f"{type(e).__name__}: {e}"
        rec.seconds = round(time.perf_counter() - t0, 1)
        rec.headline = _headline(key, rec, self.device)
        self.write()
        print(f"report: {rec.title}: {rec.state} in {rec.seconds:.1f} s"
              f"{f': {rec.headline}' if rec.headline else ''}{f' ({rec.error})' if rec.error else ''}",
              file=sys.stderr, flush=True)

    def write(self, finished: bool = False) -> dict:
        from explorer.runs.run_folder import atomic_write_text

        report = {"version": REPORT_VERSION, "device": self.device, "started": self.started,
                  "updated": time.strftime("%Y-%m-%d %H:%M:%S %z"), "finished": finished,
                  "command": shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]), "out": str(self.out),
                  "steps": [dataclasses.asdict(s) for s in self.steps.values()]}
        atomic_write_text(self.out / "report.json", json.dumps(report, indent=1) + "\n")
        atomic_write_text(self.out / "report.md", _markdown(report))
        return report


def _fmt(x: Any, digits: int = 1) -> str:
    return f"{x:,.{digits}f}" if isinstance(x, (int, float)) else "?"


def _headline(key: str, rec: StepRecord, device: str) -> str:
    """The step's figures in one line (empty when it has none)."""
    r = rec.result
    if not r:
        return ""
    if key == "device":
        if r.get("gpu"):
            return (f"{r['gpu']} (sm {r.get('capability')}, {r.get('memory_gib')} GiB), driver "
                    f"{r.get('driver', '?')}, CUDA {r.get('cuda_build')}, torch {r.get('torch')}")
        return f"{r.get('cpu', 'CPU')} ({r.get('cpu_count')} cores), torch {r.get('torch')}, no GPU used"
    if key == "tests":
        return r.get("summary", "")
    if key == "bench":
        line = (f"engine {_fmt(r.get('engine_steps_per_s'))} steps/s vs loop {_fmt(r.get('baseline_steps_per_s'))}"
                f": {_fmt(r.get('ratio'), 2)}x [{_fmt(r.get('ratio_min'), 2)}-{_fmt(r.get('ratio_max'), 2)}]")
        if "ratio_bf16" in r:
            line += f"; bf16 {_fmt(r['ratio_bf16'], 2)}x"
        line += f"; compiled: {'yes' if r.get('engine_compiled') else 'no'}"
        if device == "cuda" and isinstance(r.get("ratio"), (int, float)):
            line += f"; target >= {TARGET_RATIO:g}x {'met' if r['ratio'] >= TARGET_RATIO else 'NOT met'}"
        return line
    if key == "quality" and r.get("snapshots"):
        last, target = r["snapshots"][-1], r.get("target", {})
        return (f"at {_fmt(last.get('seconds'), 0)} s ({_fmt(last.get('steps'), 0)} steps): Frechet distance "
                f"{_fmt(last.get('frechet_distance'))}, classifier score {_fmt(last.get('classifier_score'), 2)}, "
                f"{last.get('classes_covered')} classes; target (FD <= {target.get('frechet_distance')}, score >= "
                f"{target.get('classifier_score')}, {target.get('classes_covered')} classes) "
                f"{'met' if r.get('target_met') else 'NOT met'}")
    if key == "paper_train":
        return (f"{_fmt(r.get('steps'), 0)} steps, {_fmt(r.get('steps_per_s'))} steps/s, "
                f"{_fmt(r.get('seconds'), 0)} s wall, state {r.get('state', '?')}")
    if key.startswith("paper_parzen"):
        p = r.get("parzen", {})
        return (f"{_fmt(p.get('mean'))} ± {_fmt(p.get('std_error'))} nats (sigma {_fmt(p.get('sigma'), 3)}, "
                f"{p.get('n_samples')} samples); paper's GAN row {PAPER_GAN_ROW[0]:g} ± {PAPER_GAN_ROW[1]:g}")
    scalars = [f"{k} {_fmt(v, 3) if isinstance(v, float) else v}" for k, v in r.items()
               if isinstance(v, (int, float, str)) and not isinstance(v, bool)]
    return "; ".join(scalars[:8])


def _markdown(report: dict) -> str:
    lines = [f"# GAN Explorer on {report['device']}: the GPU report",
             "",
             f"`{report['command']}`  ",
             f"started {report['started']}, updated {report['updated']}"
             f"{'' if report['finished'] else ' (in progress, or stopped before the end)'}; folder `{report['out']}`",
             "",
             "| step | state | seconds | figures |",
             "|---|---|---:|---|"]
    for s in report["steps"]:
        figures = s["headline"] or (s["error"] if s["state"] == "failed" else "")
        lines.append(f"| {s['title']} | {s['state']} | {_fmt(s['seconds']) if s['seconds'] is not None else ''} | "
                     f"{figures.replace('|', '/')} |")
    lines += ["", "## Steps", ""]
    for s in report["steps"]:
        lines.append(f"### {s['title']}: {s['state']}")
        if s["command"]:
            lines.append(f"- command: `{s['command']}`")
        if s["log"]:
            lines.append(f"- log: `{s['log']}`")
        if s["error"]:
            lines.append(f"- error: {s['error']}")
        if s["result"]:
            shown = {k: v for k, v in s["result"].items() if k not in ("paper_table1", "reference_row")}
            lines.append(f"- result: `{json.dumps(shown, separators=(', ', ': '))[:3000]}`")
        lines.append("")
    lines += ["Table 1 of the paper: adversarial nets on MNIST, Parzen window log-likelihood "
              f"{PAPER_GAN_ROW[0]:g} ± {PAPER_GAN_ROW[1]:g} (10,000 samples, sigma by validation). "
              f"The bench's target on a GPU: the engine at >= {TARGET_RATIO:g}x the conventional loop (gan.py's way) "
              "on the same GPU.", ""]
    return "\n".join(lines)
