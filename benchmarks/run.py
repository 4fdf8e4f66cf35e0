"""nnrun against the seed's plain Keras scripts, side by side on this machine (issue 7).

    NNRUN_DATA_DIR=../shared/datasets python benchmarks/run.py [p1] [p4] [p5] [--repeat 2] [--out docs/benchmarks.md]

Each workload runs its baseline and nnrun alternately (A B A B ...), each as a new process the way a user
starts it, and takes the median wall time (and peak memory) of each. It checks that both reached the same
quality band, and writes the table, with the machine, the versions and the date, to --out.

- p1: configs/pima.yaml (1500 epochs, batch 64) against benchmarks/baselines/pima.py on tensorflow, as the
  lecture runs it; target: nnrun at least 10x faster, test accuracy within 3 points.
- p4: `nnrun --help` and `nnrun check` under 0.3 s, `nnrun compare` over 1,000 runs under 1 s.
- p5: peak memory of a 10-fold run within 10 % of a 2-fold run's (configs/boston.yaml, 20 epochs: memory does
  not grow with epochs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NNRUN = [shutil.which("nnrun") or sys.executable, *([] if shutil.which("nnrun") else ["-m", "nnrun"])]


@dataclass
class Measured:
    """One process: wall seconds, peak resident memory in MB, and what it printed."""

    seconds: float
    rss_mb: float
    stdout: str


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `command` to its end; its wall time and its own peak RSS (wait4 reports this child's alone)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env={**os.environ, **(env or {})},
                                   cwd=REPO)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err.read()[-2000:]}")
        return Measured(seconds, usage.ru_maxrss / 1024, out.read())


@dataclass
class Row:
    """One line of the table."""

    workload: str
    nnrun: str
    baseline: str
    ratio: str
    target: str
    met: bool
    quality: str
    command: str
    samples: dict = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values)


def data_file(name: str) -> Path:
    folder = Path(os.environ.get("NNRUN_DATA_DIR", "data"))
    path = (folder if folder.is_absolute() else REPO / folder) / name
    if not path.is_file():
        raise SystemExit(f"{path}: missing; set NNRUN_DATA_DIR to the shared datasets folder")
    return path


def newest_metrics(runs: Path) -> dict:
    newest = max(runs.iterdir(), key=lambda p: p.stat().st_mtime)
    return json.loads((newest / "metrics.json").read_text())


def p1(repeat: int) -> list[Row]:
    """Pima, 1500 epochs: the seed script on tensorflow (A) against `nnrun train configs/pima.yaml` (B)."""
    csv = data_file("pima-indians-diabetes.csv")
    baseline_cmd = [sys.executable, str(HERE / "baselines" / "pima.py"), str(csv), "--epochs", "1500"]
    a, b, a_acc, b_acc = [], [], [], []
    with tempfile.TemporaryDirectory() as runs:
        for _ in range(repeat):
            done = measure(baseline_cmd, {"KERAS_BACKEND": "tensorflow"})
            a.append(done.seconds)
            a_acc.append(json.loads(done.stdout.splitlines()[-1])["test_accuracy"])
            b.append(measure([*NNRUN, "train", "configs/pima.yaml", "-q", "--runs-dir", runs]).seconds)
            b_acc.append(newest_metrics(Path(runs))["test"]["accuracy"])
    ratio = median(a) / median(b)
    gap = abs(median(a_acc) - median(b_acc))
    return [Row("P1 pima, 1500 epochs, batch 64", f"{median(b):.1f} s", f"{median(a):.1f} s (tensorflow)",
                f"{ratio:.1f}x", ">= 10x; accuracy within 3 points", ratio >= 10 and gap <= 0.03,
                f"test accuracy {median(b_acc):.3f} vs {median(a_acc):.3f}",
                "nnrun train configs/pima.yaml -q` against `KERAS_BACKEND=tensorflow python benchmarks/baselines/pima.py "
                "pima-indians-diabetes.csv", {"nnrun_s": b, "baseline_s": a})]


def p4(repeat: int) -> list[Row]:
    """Responsiveness: --help, check, and compare over 1,000 runs written by compare_1000_runs.py."""
    sys.path.insert(0, str(HERE))
    from compare_1000_runs import write_runs

    rows = []
    for label, command, limit in (("P4 nnrun --help", ["--help"], 0.3),
                                  ("P4 nnrun check configs/pima.yaml", ["check", "configs/pima.yaml"], 0.3)):
        seconds = [measure([*NNRUN, *command]).seconds for _ in range(max(5, repeat))]
        rows.append(Row(label, f"{median(seconds):.2f} s", "", "", f"< {limit} s", median(seconds) < limit, "",
                        f"nnrun {' '.join(command)}", {"nnrun_s": seconds}))
    with tempfile.TemporaryDirectory() as root:
        write_runs(Path(root), 1000)
        seconds = [measure([*NNRUN, "compare", root, "--format", "json"]).seconds for _ in range(max(5, repeat))]
    rows.append(Row("P4 nnrun compare, 1,000 runs", f"{median(seconds):.2f} s", "", "", "< 1 s", median(seconds) < 1,
                    "", "python benchmarks/compare_1000_runs.py", {"nnrun_s": seconds}))
    return rows


def p5(repeat: int) -> list[Row]:
    """Peak memory of `nnrun kfold configs/boston.yaml` with 10 folds (B) against 2 folds (A), alternating."""
    a, b = [], []
    with tempfile.TemporaryDirectory() as runs:
        for _ in range(repeat):
            for k, into in ((2, a), (10, b)):
                into.append(measure([*NNRUN, "kfold", "configs/boston.yaml", "--k", str(k), "--set", "epochs=20",
                                     "-q", "--runs-dir", runs]).rss_mb)
    growth = median(b) / median(a) - 1
    return [Row("P5 peak memory, 10 folds vs 2", f"{median(b):.0f} MB", f"{median(a):.0f} MB (2 folds)",
                f"{growth:+.1%}", "within 10 %", abs(growth) <= 0.10, "",
                "nnrun kfold configs/boston.yaml --k 10 --set epochs=20 -q  (and --k 2)",
                {"k10_mb": b, "k2_mb": a})]


WORKLOADS = {"p1": p1, "p4": p4, "p5": p5}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = ""
    if Path("/proc/meminfo").exists():
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024**2:.0f} GiB"
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.platform()}"


def versions() -> str:
    names = ("nnrun", "keras", "jax", "tensorflow", "numpy")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join([f"Python {platform.python_version()}", *found])


def markdown(rows: list[Row], repeat: int, command: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {date.today().isoformat()} with `{command}`: each baseline and nnrun run alternately "
        f"(A B A B, {repeat} of each unless noted), each a new process as a user starts it; the figures are medians "
        "of the whole process's wall time (or peak memory).",
        "",
        f"- machine: {machine()}",
        f"- versions: {versions()}",
        "",
        "| workload | nnrun | baseline | ratio | target | met | quality | command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.workload} | {r.nnrun} | {r.baseline} | {r.ratio} | {r.target} | "
                     f"{'yes' if r.met else 'no'} | {r.quality} | `{r.command}` |")
    lines += ["", "nnrun runs with its defaults, which include jax's persistent compilation cache: the first nnrun run "
              "of a workload on a machine compiles its training step (about 2 s for pima), later runs load it. The "
              "samples below are in run order, so the first nnrun sample of a fresh machine is the cold one.",
              "", "Every sample, for the record:", "", "```json",
              json.dumps({r.workload: r.samples for r in rows}, indent=1), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help=f"{', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each side per workload (default 2)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload {', '.join(sorted(unknown))}; choose from {', '.join(WORKLOADS)}")
    rows = []
    for name in args.workloads or list(WORKLOADS):
        for row in WORKLOADS[name](args.repeat):
            print(f"{row.workload}: nnrun {row.nnrun}, baseline {row.baseline or '-'}, {row.ratio or ''} "
                  f"target {row.target}: {'met' if row.met else 'NOT met'} {row.quality}", flush=True)
            rows.append(row)
    command = "python benchmarks/run.py " + " ".join(args.workloads or list(WORKLOADS)) + f" --repeat {args.repeat}"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(rows, args.repeat, command), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
