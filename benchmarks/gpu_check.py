"""The runs of benchmarks/gpu_check.sh, each timed, with the device it trained on (issue 20).

    python benchmarks/gpu_check.py --out DIR [--device gpu|cpu] [--small] [--budget 480] [--work WORK]

Each run is a new process, as a user starts it (`python -m nnrun ...`), its run folders under WORK/runs/<run>:

  quickstart   nnrun train configs/quickstart.yaml --device D
  mnist        nnrun train configs/mnist.yaml --device D                 (Keras's real mnist.npz: KERAS_HOME)
  mnist-auto   nnrun train configs/mnist.yaml --device auto
  mnist-1      nnrun train configs/mnist.yaml --device D --set epochs=1  (with mnist-auto: one epoch's time, as
               benchmarks/run.py p3 measures it: the difference of their fit_s over the epochs between; both
               load the training step that the first mnist run compiled into jax's cache)
  kfold        nnrun kfold configs/pima-kfold.yaml --device D            (pima's CSV: NNRUN_DATA_DIR)
  sweep        nnrun sweep configs/pima-search.yaml --trials 3 --device D (its trials at once, on one device)

D is gpu, or cpu (--device cpu: gpu_check.sh --cpu, the dry run on a machine without a GPU). --small cuts the
epochs (mnist 2, kfold 50 with k=3, sweep 50) to check the script itself in minutes on a CPU.

It prints, for each run, the device its env.json records (every trial's, for the sweep), its result and its
time; then the MNIST epoch against the CPU's figures in docs/benchmarks.json. DIR gets summary.md, summary.json,
log.txt (what the runs printed) and runs.tar.gz (each run folder's env.json, metrics.json, history.csv and
config.yaml); the run folders stay in WORK (--work; default a new temporary folder), since the device tool
brings back 8 files at most. Exit 1 when a run failed, when a run's env.json names another device than D (with
--device auto too: on a GPU machine auto must pick the GPU), or when mnist's test accuracy is outside the CPU's
band (1 point, as benchmarks/run.py p3 judges it).
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from run import MNIST_BAND, MNIST_FLOP  # benchmarks/run.py, beside this file

NNRUN = [sys.executable, "-m", "nnrun"]


@dataclass
class Run:
    """One process: what ran, how it ended, where it trained, what it scored."""

    name: str
    argv: list[str]
    seconds: float = 0.0
    exit_code: int | None = None
    devices: list[str] = field(default_factory=list)  # env.json's "device" (name, memory) of each run folder
    result: str = ""
    fit_s: float | None = None
    accuracy: float | None = None
    problems: list[str] = field(default_factory=list)


def plan(device: str, small: bool) -> list[Run]:
    mnist = ["train", "configs/mnist.yaml", "-q"]
    epochs = ["--set", "epochs=2"] if small else []
    kfold = ["--k", "3", "--set", "epochs=50"] if small else []
    sweep = ["--set", "parameters.epochs={values: [50]}"] if small else []
    return [
        Run("quickstart", ["train", "configs/quickstart.yaml", "-q", "--device", device]),
        Run("mnist", [*mnist, "--device", device, *epochs]),
        Run("mnist-auto", [*mnist, "--device", "auto", *epochs]),
        Run("mnist-1", [*mnist, "--device", device, "--set", "epochs=1"]),
        Run("kfold", ["kfold", "configs/pima-kfold.yaml", "-q", "--device", device, *kfold]),
        Run("sweep", ["sweep", "configs/pima-search.yaml", "--trials", "3", "-q", "--device", device, *sweep]),
    ]


def device_of(env: dict) -> str:
    """env.json's device as one word: 'gpu:0 (NVIDIA H200, 139.8 GiB)', 'cpu (AMD EPYC)'."""
    details = [env.get("device_name") or ""]
    if env.get("device_memory_gib"):
        details.append(f"{env['device_memory_gib']:g} GiB")
    details = [d for d in details if d]
    return f"{env.get('device', '?')} ({', '.join(details)})" if details else str(env.get("device", "?"))


def run_folders(root: Path) -> list[Path]:
    """Every run folder under root: those holding an env.json (a sweep's trials, k-fold's run)."""
    return sorted(p.parent for p in root.rglob("env.json"))


def result_of(run: Run, root: Path) -> None:
    """Fill in the run's result from its folder's metrics.json."""
    if run.name == "sweep":
        (folder,) = [p.parent for p in root.glob("*/sweep.yaml")] or [None]
        if folder is None:
            run.result = "no sweep folder"
            return
        metrics = json.loads((folder / "metrics.json").read_text())
        states = ", ".join(f"{n} {s}" for s, n in metrics.get("states", {}).items() if n)
        best = metrics.get("best") or {}
        score = f"{best['score']:.4f}" if isinstance(best.get("score"), (int, float)) else "none"
        run.result = (
            f"{metrics.get('status')}: {states}; best {metrics.get('metric', {}).get('name')} {score}, "
            f"{metrics.get('parallel')} trials at once"
        )
        return
    folders = sorted(p for p in root.iterdir() if (p / "metrics.json").is_file()) if root.is_dir() else []
    if not folders:
        run.result = "no run folder"
        return
    metrics = json.loads((folders[-1] / "metrics.json").read_text())
    run.fit_s = metrics.get("fit_s")
    if run.name == "kfold":
        mean, test = metrics.get("validation_mean", {}), metrics.get("test") or {}
        parts = [f"mean validation accuracy {mean['accuracy']:.4f}" if "accuracy" in mean else ""]
        if "accuracy" in test:
            parts.append(f"refit's test accuracy {test['accuracy']:.4f}")
        run.result = f"{metrics.get('status')}: " + "; ".join(p for p in parts if p)
        return
    test = metrics.get("test", {})
    run.accuracy = test.get("accuracy")
    accuracy = f"test accuracy {run.accuracy:.4f}" if run.accuracy is not None else "no test accuracy"
    fit = f", fit {run.fit_s:.1f} s" if run.fit_s is not None else ""
    run.result = f"{metrics.get('status')}: {accuracy} in {metrics.get('epochs_run', '?')} epochs{fit}"


def execute(run: Run, out: Path, work: Path, device: str, timeout: float) -> None:
    root = work / "runs" / run.name
    argv = [*run.argv, "--runs-dir", str(root)]
    start = time.perf_counter()
    with open(out / "log.txt", "a", encoding="utf-8") as log:
        log.write(f"\n$ nnrun {shlex.join(argv)}\n")
        log.flush()
        try:
            run.exit_code = subprocess.run(
                [*NNRUN, *argv], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            run.problems.append(f"stopped after {timeout:.0f} s")
    run.seconds = time.perf_counter() - start
    if run.exit_code not in (0, None):
        run.problems.append(f"exit {run.exit_code} (see log.txt)")
    envs = [json.loads((p / "env.json").read_text()) for p in run_folders(root)]
    run.devices = sorted({device_of(env) for env in envs})
    if not envs:
        run.problems.append("no env.json")
    wrong = sorted({env.get("device", "?") for env in envs if not env.get("device", "").startswith(device)})
    if wrong:
        run.problems.append(f"trained on {', '.join(wrong)}, not on the {device}")
    try:
        result_of(run, root)
    except (OSError, ValueError, KeyError, TypeError) as error:
        run.problems.append(f"unreadable result: {type(error).__name__}: {error}")


def reference() -> dict:
    """The CPU's figures for P3 (nnrun on real MNIST) from docs/benchmarks.json: whole process, epoch, accuracy."""
    try:
        rows = json.loads((REPO / "docs" / "benchmarks.json").read_text())
    except (OSError, ValueError):
        return {}
    found = {"machine": rows.get("machine", "")}
    for row in rows.get("rows", []):
        samples = row.get("samples", {})
        if row["workload"].startswith("P3") and "whole process" in row["workload"]:
            found["process_s"] = sorted(samples["nnrun_s"])[len(samples["nnrun_s"]) // 2]
            found["accuracy"] = sorted(samples["nnrun_accuracy"])[len(samples["nnrun_accuracy"]) // 2]
        if row["workload"].startswith("P3") and "one epoch" in row["workload"]:
            found["epoch"] = row["nnrun"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--budget", type=float, default=480, help="seconds for all the runs (default 480)")
    parser.add_argument("--work", type=Path, help="where the run folders go (default: a new temporary folder)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.work = args.work or Path(tempfile.mkdtemp(prefix="nnrun-gpu-check-"))
    shutil.rmtree(args.work / "runs", ignore_errors=True)
    print(f"run folders: {args.work / 'runs'}; log: {args.out / 'log.txt'}")
    (args.out / "log.txt").write_text("")
    deadline = time.perf_counter() + args.budget
    runs = plan(args.device, args.small)
    print(f"{'run':<11} {'seconds':>7}  {'device (env.json)':<38} result")
    for run in runs:
        left = deadline - time.perf_counter()
        if left < 10:
            run.problems.append(f"not run: the {args.budget:.0f} s budget was spent")
        else:
            execute(run, args.out, args.work, args.device, left)
        mark = "" if not run.problems else "  <- " + "; ".join(run.problems)
        print(f"{run.name:<11} {run.seconds:7.1f}  {', '.join(run.devices) or '-':<38} {run.result}{mark}", flush=True)

    by_name = {r.name: r for r in runs}
    one = by_name["mnist-1"]
    # The first mnist run compiles the training step and fills jax's cache; the later ones load it, so the epoch
    # is timed between two of those (auto's, when it trained where the 1-epoch run did)
    mnist = by_name["mnist-auto"] if by_name["mnist-auto"].devices == one.devices else by_name["mnist"]
    epochs = 2 if args.small else 5
    summary: dict = {
        "device": args.device,
        "small": args.small,
        "python": platform.python_version(),
        "machine": f"{platform.node()} {platform.machine()}",
        "reference_cpu": reference(),
    }
    cpu = summary["reference_cpu"]
    lines = []
    if mnist.fit_s is not None and one.fit_s is not None:
        epoch = (mnist.fit_s - one.fit_s) / (epochs - 1)
        summary["mnist_epoch_s"] = epoch
        rate = (
            f"{epoch:.3f} s, {MNIST_FLOP / epoch / 1e9:.0f} GFLOP/s"
            if epoch > 0
            else f"{epoch:.3f} s: not measurable (the 1-epoch run took longer: a busy machine?)"
        )
        lines.append(
            f"MNIST epoch ((fit_s of {mnist.name}'s {epochs} epochs - fit_s of mnist-1's 1) / {epochs - 1}): "
            f"{rate}; the CPU of docs/benchmarks.md: {cpu.get('epoch', '?')}"
        )
    process = by_name["mnist"]
    if process.exit_code == 0 and cpu.get("process_s"):
        lines.append(
            f"MNIST whole process (mnist): {process.seconds:.1f} s; the CPU's: {cpu['process_s']:.1f} s "
            f"({cpu.get('machine', '')})"
        )
    cpu_accuracy = summary["reference_cpu"].get("accuracy")
    for run in (by_name["mnist"], by_name["mnist-auto"]):
        if not args.small and run.accuracy is not None and cpu_accuracy is not None:
            inside = abs(run.accuracy - cpu_accuracy) <= MNIST_BAND
            lines.append(
                f"{run.name}: test accuracy {run.accuracy:.4f} against the CPU's {cpu_accuracy:.4f}: "
                f"{'within' if inside else 'OUTSIDE'} the band of {MNIST_BAND * 100:.0f} point"
            )
            if not inside:
                run.problems.append("test accuracy outside the CPU's band")
    failed = [r for r in runs if r.problems]
    verdict = (
        f"all {len(runs)} runs trained on the {args.device}"
        if not failed
        else f"{len(failed)} of {len(runs)} runs with problems: {', '.join(r.name for r in failed)}"
    )
    lines.append(verdict)
    print("\n".join(lines))
    summary["runs"] = [asdict(r) for r in runs]
    summary["verdict"] = verdict
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    table = ["| run | seconds | device (env.json) | result | problems |", "|---|---|---|---|---|"]
    table += [
        f"| {r.name} | {r.seconds:.1f} | {', '.join(r.devices)} | {r.result} | {'; '.join(r.problems)} |" for r in runs
    ]
    commands = [f"- {r.name}: `nnrun {shlex.join(r.argv)}`" for r in runs]
    (args.out / "summary.md").write_text(
        "\n".join(
            [f"# gpu_check ({args.device}{', small' if args.small else ''})", "", *table, "", *lines, "", *commands]
        )
        + "\n"
    )
    with tarfile.open(args.out / "runs.tar.gz", "w:gz") as tar:
        for path in sorted((args.work / "runs").rglob("*")):
            if path.name in (
                "env.json",
                "metrics.json",
                "history.csv",
                "config.yaml",
                "trials.csv",
                "error.txt",
                "workers.log",
            ):
                tar.add(path, arcname=str(path.relative_to(args.work)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
