"""nnrun against the seed's plain Keras scripts, side by side on this machine (issue 7).

    NNRUN_DATA_DIR=../shared/datasets python benchmarks/run.py [p1] [p2] [p3] [p4] [p5] [backend] [--repeat 3]
        [--out docs/benchmarks.md] [--render]

Each workload runs its baseline and nnrun alternately (A B A B ...), each as a new process the way a user
starts it, and takes the median wall time (and peak memory) of each. It checks that both reached the same
quality band, and writes the table, with the machine, the versions and the date, to --out (every figure also to
its .json, from which --render rewrites the table).

- p1: configs/pima.yaml (1500 epochs, batch 64) against benchmarks/baselines/pima.py on tensorflow, as the
  lecture runs it, seed i on both sides in run i; target: nnrun at least 10x faster, median test accuracy within
  3 points.
- p2: 4-fold cross-validation of Boston housing, 500 epochs of batch 1, on the seed script's own rows and folds,
  against benchmarks/baselines/boston_kfold.py on tensorflow (run once: 15 minutes) and on jax; target: at
  least 20x faster, mean validation MAE within 10 %.
- p3: an MNIST-shaped MLP (60,000 x 784 random rows, Dense 512-10, batch 128): nnrun's training GFLOP/s at least
  75 % of numpy's matrix product's, measured in the same run.
- p4: `nnrun --help` and `nnrun check` under 0.3 s, `nnrun compare` over 1,000 runs under 1 s.
- p5: peak memory of a 10-fold run within 10 % of a 2-fold run's (configs/boston.yaml, 20 epochs: memory does
  not grow with epochs).
- backend: pima in nnrun on jax against tensorflow, each with its default loop: the default must be the faster.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
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
    """Run `command` to its end; its wall time and its own peak RSS (wait4 reports this child's alone, but Linux
    counts in it the runner's own peak at exec: the runner must stay small, so large arrays live in helpers)."""
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
    run: str = ""  # when and with which runner command it was measured


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
    """Pima, 1500 epochs: the seed script on tensorflow (A) against `nnrun train configs/pima.yaml` (B). Run i of
    each side uses seed i, so that the quality band compares the median of several initialisations on each side
    (on 68 test rows one row is 1.5 points, and a few seeds start with dead ReLUs on either side)."""
    csv = data_file("pima-indians-diabetes.csv")
    a, b, a_acc, b_acc = [], [], [], []
    with tempfile.TemporaryDirectory() as runs:
        for seed in range(1, repeat + 1):
            done = measure([sys.executable, str(HERE / "baselines" / "pima.py"), str(csv), "--seed", str(seed)],
                           {"KERAS_BACKEND": "tensorflow"})
            a.append(done.seconds)
            a_acc.append(json.loads(done.stdout.splitlines()[-1])["test_accuracy"])
            b.append(measure([*NNRUN, "train", "configs/pima.yaml", "-q", "--set", f"seed={seed}",
                              "--runs-dir", runs]).seconds)
            b_acc.append(newest_metrics(Path(runs))["test"]["accuracy"])
    ratio = median(a) / median(b)
    gap = abs(median(a_acc) - median(b_acc))
    return [Row("P1 pima, 1500 epochs, batch 64", f"{median(b):.1f} s", f"{median(a):.1f} s (tensorflow)",
                f"{ratio:.1f}x", ">= 10x; accuracy within 3 points", ratio >= 10 and gap <= 0.03,
                f"median test accuracy over seeds 1-{repeat}: {median(b_acc):.3f} vs {median(a_acc):.3f}",
                "nnrun train configs/pima.yaml -q --set seed=S` against `KERAS_BACKEND=tensorflow python "
                "benchmarks/baselines/pima.py pima-indians-diabetes.csv --seed S",
                {"nnrun_s": b, "baseline_s": a, "nnrun_accuracy": b_acc, "baseline_accuracy": a_acc})]


P2_CONFIG = """name: boston-p2
seed: 113
dataset: {{path: {rows}, separator: whitespace, header: false, target: 13, test: 0, scale: standard}}
layers: [{{type: Dense, units: 64}}, {{type: Dense, units: 64}}, {{type: Dense, units: 1, activation: linear}}]
activation: relu
loss: mse
optimizer: rmsprop
metrics: [mae]
epochs: 500
batch_size: 1
kfold: {{k: 4, shuffle: false, refit: false}}
"""


def p2(repeat: int) -> list[Row]:
    """Boston 4-fold, 500 epochs, batch 1: the seed's loop on tensorflow (A, once: it takes about 15 minutes)
    against `nnrun kfold` (B, seeds 113, 114, ...) on the same 404 training rows in the same order, so that both
    score the same four folds of 101 rows. The seed's loop also runs once on jax, to tell the backend's share of a
    difference in quality from nnrun's."""
    csv = data_file("boston-housing.csv")
    script = HERE / "baselines" / "boston_kfold.py"
    b, b_mae, seed_loop = [], [], {}
    with tempfile.TemporaryDirectory() as root:
        rows, config = Path(root) / "boston-train.txt", Path(root) / "boston-p2.yaml"
        measure([sys.executable, str(script), str(csv), "--rows", str(rows)], {"KERAS_BACKEND": "tensorflow"})
        config.write_text(P2_CONFIG.format(rows=rows))
        for backend in ("tensorflow", "jax"):
            done = measure([sys.executable, str(script), str(csv)], {"KERAS_BACKEND": backend})
            seed_loop[backend] = (done.seconds, json.loads(done.stdout.splitlines()[-1])["mean_val_mae"])
        for seed in range(113, 113 + repeat):
            b.append(measure([*NNRUN, "kfold", str(config), "-q", "--set", f"seed={seed}",
                              "--runs-dir", root + "/runs"]).seconds)
            b_mae.append(newest_metrics(Path(root) / "runs")["validation_mean"]["mae"])
    (tf_s, tf_mae), (jax_s, jax_mae) = seed_loop["tensorflow"], seed_loop["jax"]
    ratio = tf_s / median(b)
    gap, same_backend = median(b_mae) / tf_mae - 1, median(b_mae) / jax_mae - 1
    return [Row("P2 Boston 4-fold, 500 epochs, batch 1", f"{median(b):.1f} s",
                f"{tf_s:.0f} s (tensorflow, 1 run); on jax {jax_s:.0f} s", f"{ratio:.0f}x ({jax_s / median(b):.0f}x)",
                ">= 20x; mean validation MAE within 10 %", ratio >= 20 and gap <= 0.10 and abs(same_backend) <= 0.10,
                f"mean validation MAE {median(b_mae):.2f} (seeds 113-{112 + repeat}: {min(b_mae):.2f}-{max(b_mae):.2f}) "
                f"vs {tf_mae:.2f} ({gap:+.0%}); the seed's loop on jax {jax_mae:.2f} ({same_backend:+.0%})",
                "nnrun kfold boston-p2.yaml -q --set seed=S` (the seed's 404 rows and folds, written by the runner) "
                "against `KERAS_BACKEND=tensorflow python benchmarks/baselines/boston_kfold.py boston-housing.csv",
                {"nnrun_s": b, "baseline_s": [tf_s], "baseline_jax_s": [jax_s], "nnrun_mae": b_mae,
                 "baseline_mae": [tf_mae], "baseline_jax_mae": [jax_mae]})]


P3_CONFIG = """name: mnist-shaped
seed: 1
dataset: {{path: {csv}, header: false, target: 784, test: 0, scale: 255}}
layers: [{{type: Dense, units: 512, activation: relu}}, {{type: Dense, units: 10, activation: softmax}}]
loss: sparse_categorical_crossentropy
optimizer: rmsprop
metrics: [accuracy]
epochs: 2
batch_size: 128
"""
# An epoch's FLOP as the seed script (baselines/mnist_mlp.py) and the figures count them: three products per
# layer, forward and backward. The first layer's input gradient is never computed, so the products executed are
# fewer: forward 2 per weight, backward 2 per weight for the weight gradients plus the hidden layer's input gradient.
MNIST_FLOP = 60_000 * (784 * 512 + 512 * 10) * 2 * 3
EXECUTED_FLOP = 60_000 * (2 * (784 * 512 + 512 * 10) + 2 * (784 * 512 + 512 * 10) + 2 * 512 * 10)


def p3(repeat: int) -> list[Row]:
    """MNIST-shaped MLP on random data: nnrun's training throughput, from the fit time of 11 epochs less that of
    3 (which holds compilation and warm-up), against numpy's matrix product measured in the same run; the seed
    script's own GFLOP/s on tensorflow for reference. The data and numpy's product live in helper processes
    (mnist_shaped.py): see measure()."""
    helper = [sys.executable, str(HERE / "mnist_shaped.py")]
    a, b, floor = [], [], []
    with tempfile.TemporaryDirectory() as root:
        csv, config = Path(root) / "mnist-shaped.csv", Path(root) / "mnist-shaped.yaml"
        measure([*helper, "write", str(csv)])
        config.write_text(P3_CONFIG.format(csv=csv))
        # One untimed run first, so that jax's compilation cache serves both timed runs alike: were the 2-epoch run
        # to compile and the 6-epoch run to load, the difference would understate the time of 4 epochs.
        measure([*NNRUN, "train", str(config), "-q", "--set", "epochs=1", "--runs-dir", root + "/runs"])
        for _ in range(repeat):
            done = measure([sys.executable, str(HERE / "baselines" / "mnist_mlp.py")], {"KERAS_BACKEND": "tensorflow"})
            a.append(json.loads(done.stdout.splitlines()[-1])["gflops"])
            fit_s = {}
            for epochs in (3, 11):
                measure([*NNRUN, "train", str(config), "-q", "--set", f"epochs={epochs}", "--runs-dir", root + "/runs"])
                fit_s[epochs] = newest_metrics(Path(root) / "runs")["fit_s"]
            b.append(8 * MNIST_FLOP / (fit_s[11] - fit_s[3]) / 1e9)
            floor.append(float(measure([*helper, "matmul"]).stdout))
    share = median(b) / median(floor)
    return [Row("P3 MNIST-shaped MLP, 60,000 x 784, Dense 512-10, batch 128", f"{median(b):.0f} GFLOP/s",
                f"numpy {median(floor):.0f} GFLOP/s; seed script {median(a):.0f} GFLOP/s (tensorflow)",
                f"{share:.0%} of numpy", ">= 75 % of numpy's matrix product", share >= 0.75,
                f"counting only the products executed: {median(b) * EXECUTED_FLOP / MNIST_FLOP:.0f} GFLOP/s, "
                f"{share * EXECUTED_FLOP / MNIST_FLOP:.0%} of numpy",
                "nnrun train mnist-shaped.yaml --set epochs=11` less `--set epochs=3` (random data written by the "
                "runner) against numpy's 60,000x784 @ 784x512 product, and `KERAS_BACKEND=tensorflow python "
                "benchmarks/baselines/mnist_mlp.py",
                {"nnrun_gflops": b, "numpy_gflops": floor, "baseline_gflops": a})]


def p4(repeat: int) -> list[Row]:
    """Responsiveness: --help, check, and compare over 1,000 runs written by compare_1000_runs.py."""
    sys.path.insert(0, str(HERE))
    from compare_1000_runs import write_runs

    # pip compiles a package's byte-code when it installs it; an editable install under PYTHONDONTWRITEBYTECODE
    # never does, and would recompile nnrun's sources on every start (about 30 ms). Measure what a user runs.
    package = importlib.util.find_spec("nnrun").submodule_search_locations[0]
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
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


def backend(repeat: int) -> list[Row]:
    """The default backend, chosen by measurement: `nnrun train configs/pima.yaml` on jax (B) against the same on
    tensorflow (A), each with its own default training loop."""
    a, b = [], []
    with tempfile.TemporaryDirectory() as runs:
        for _ in range(repeat):
            for name, into in (("tensorflow", a), ("jax", b)):
                into.append(measure([*NNRUN, "train", "configs/pima.yaml", "-q", "--backend", name,
                                     "--runs-dir", runs]).seconds)
    ratio = median(a) / median(b)
    return [Row("Backend: pima in nnrun, jax against tensorflow", f"{median(b):.1f} s (jax)",
                f"{median(a):.1f} s (tensorflow)", f"{ratio:.1f}x", "the default (jax) is the faster", ratio > 1, "",
                "nnrun train configs/pima.yaml -q --backend jax` against `--backend tensorflow",
                {"jax_s": b, "tensorflow_s": a})]


WORKLOADS = {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5, "backend": backend}


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


NOTES = {
    "P1": "seed i on both sides in run i. The seed script runs as the lecture runs it, on tensorflow (Keras's "
          "default backend). The quality column compares the median test accuracy over those seeds: on 68 test rows "
          "one row is 1.5 points, and a few seeds start with dead ReLUs on either side.",
    "P2": "the seed's loop runs once on tensorflow (about 15 minutes) and once on jax, nnrun once per repeat with "
          "seeds 113, 114, ... nnrun trains on the 404 rows the seed's script uses, in its order, with 4 contiguous "
          "folds of 101 rows (`kfold: {shuffle: false}`), so both score the same folds. nnrun does more work: it "
          "scores the validation rows after every epoch (the seed once per fold), and scales each fold with its "
          "own training rows (the seed with all 404 rows). Quality is met when nnrun's mean validation MAE is at "
          "most 10 % above the seed's loop on tensorflow and within 10 % of it on jax: after 500 epochs at batch 1 "
          "the models overfit, and which backend draws the initial weights moves the MAE more than nnrun does.",
    "P3": "8 epochs of 60,000 rows x (784 x 512 + 512 x 10) x 2 x 3 FLOP (the seed script's count, which the "
          "issue's figures use; it includes the first layer's input gradient, which no one computes, and the "
          "quality column gives the figure without it), over the difference of nnrun's `fit_s` "
          "for 11 and for 3 epochs (both after an untimed run that fills jax's compilation cache), so that start-up, "
          "data loading and compilation cancel out. numpy: the best of 7 float32 products 60,000 x 784 @ 784 x 512 in "
          "a helper process, with every BLAS thread. The seed script's figure is its own timing (2 epochs "
          "after a warm-up) on tensorflow.",
    "P4": "each a new process, as a user starts it, with nnrun's byte-code compiled as pip installs it; the median "
          "of 5.",
    "P5": "the peak resident memory of the whole process (os.wait4's ru_maxrss).",
    "Backend": "each backend with its own default loop (jax: compiled epochs; tensorflow: Keras's fit on a tf.data "
               "pipeline); nnrun's default backend is the faster one.",
}


def markdown(record: dict) -> str:
    """docs/benchmarks.md from a record (what main() saves as .json)."""
    rows = [Row(**r) for r in record["rows"]]
    runs = {r.run: [x.workload.split()[0].rstrip(":") for x in rows if x.run == r.run] for r in rows}
    lines = [
        "# Benchmarks",
        "",
        "Each baseline and nnrun run alternately (A B A B, the repeat count of each unless noted), each a new process "
        "as a user starts it; the figures are medians of the whole process's wall time (or peak memory). Measured "
        "with " + "; ".join(f"{run} ({', '.join(dict.fromkeys(keys))})" for run, keys in runs.items()) + ".",
        "",
        f"- machine: {record['machine']}",
        f"- versions: {record['versions']}",
        "",
        "| workload | nnrun | baseline | ratio | target | met | quality | command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.workload} | {r.nnrun} | {r.baseline} | {r.ratio} | {r.target} | "
                     f"{'yes' if r.met else 'no'} | {r.quality} | `{r.command}` |")
    lines += ["", "How each is measured:", ""]
    lines += [f"- {key}: {text}" for key, text in NOTES.items() if any(r.workload.startswith(key) for r in rows)]
    lines += ["", "nnrun runs with its defaults: the jax backend, `steps_per_execution: auto` (compiled epochs) and "
              "jax's persistent compilation cache. The first nnrun run of a workload on a machine compiles its "
              "training step (about 2 s for pima), later runs load it. The samples below are in run order, so the "
              "first nnrun sample of a fresh machine is the cold one.",
              "", "Every sample, for the record:", "", "```json",
              json.dumps({r.workload: r.samples for r in rows}, indent=1), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help=f"{', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side per workload (default 3)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md",
                        help="the table; the figures go to the same name with .json")
    parser.add_argument("--render", action="store_true", help="measure nothing: rewrite --out from its .json")
    args = parser.parse_args()
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload {', '.join(sorted(unknown))}; choose from {', '.join(WORKLOADS)}")
    figures = args.out.with_suffix(".json")
    if args.render:
        args.out.write_text(markdown(json.loads(figures.read_text())), encoding="utf-8")
        print(f"wrote {args.out}")
        return
    command = "python benchmarks/run.py " + " ".join(args.workloads or list(WORKLOADS)) + f" --repeat {args.repeat}"
    run = f"`{command}` on {date.today().isoformat()}"
    rows = []
    for name in args.workloads or list(WORKLOADS):
        for row in WORKLOADS[name](args.repeat):
            print(f"{row.workload}: nnrun {row.nnrun}, baseline {row.baseline or '-'}, {row.ratio or ''} "
                  f"target {row.target}: {'met' if row.met else 'NOT met'} {row.quality}", flush=True)
            row.run = run
            rows.append(row)
    # The workloads not run this time keep their last figures, with the command and date that measured them.
    kept = [r for r in json.loads(figures.read_text())["rows"] if r["workload"] not in {x.workload for x in rows}] \
        if figures.exists() else []
    order = list(WORKLOADS)
    every = sorted([*kept, *(asdict(r) for r in rows)], key=lambda r: order.index(r["workload"].split()[0].lower().rstrip(":")))
    record = {"machine": machine(), "versions": versions(), "rows": every}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figures.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    args.out.write_text(markdown(record), encoding="utf-8")
    print(f"wrote {args.out} and {figures}")


if __name__ == "__main__":
    main()
