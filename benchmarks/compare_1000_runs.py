"""Time `nnrun compare` over 1,000 realistic run folders (issue 4's target: under a second, whole process).

    python benchmarks/compare_1000_runs.py [--runs 1000] [--repeat 5] [--keep DIR]

Writes the runs into a temporary folder — train runs and k-fold runs (10 %) of a small grid over learning
rate, units, batch size and seed, each with config.yaml, metrics.json (holding the config too, as nnrun writes
it) and a 100-epoch history.csv, a few of them broken (torn metrics.json, crashed) — then runs `nnrun compare` on them as a user would (a new process
each time), for each output format, and prints the median wall time.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def config(i: int, rng: random.Random) -> dict:
    """A resolved pima-like config, as nnrun saves it, varying a few values across the grid."""
    return {
        "name": "pima",
        "seed": 42 + i % 5,
        "backend": "jax",
        "dataset": {
            "path": "pima-indians-diabetes.csv",
            "header": False,
            "separator": ",",
            "encoding": "utf-8",
            "target": 8,
            "features": None,
            "missing": "error",
            "test": 68,
            "validation": 0.2,
            "scale": "none",
        },
        "layers": [
            {"type": "Dense", "units": rng.choice([8, 12, 16, 32])},
            {"type": "Dense", "units": 8},
            {"type": "Dense", "units": 1, "activation": "sigmoid"},
        ],
        "activation": "relu",
        "loss": "binary_crossentropy",
        "optimizer": {"name": "adam", "learning_rate": rng.choice([0.1, 0.01, 0.001, 0.0001])},
        "metrics": ["accuracy"],
        "epochs": 100,
        "batch_size": rng.choice([16, 32, 64]),
        "early_stopping": None,
        "kfold": {
            "k": 5,
            "shuffle": True,
            "stratify": "auto",
            "refit": True,
            "refit_epochs": None,
            "monitor": None,
            "smoothing": 0.0,
            "skip_epochs": 0,
        },
    }


def history(rng: random.Random, epochs: int = 100) -> str:
    rows = ["epoch,loss,accuracy,val_loss,val_accuracy"]
    loss = 0.7
    for epoch in range(1, epochs + 1):
        loss *= 0.99
        rows.append(
            f"{epoch},{loss:.17g},{1 - loss + rng.random() * 0.05:.17g},{loss + 0.05:.17g},{0.7 + rng.random() * 0.1:.17g}"
        )
    return "\n".join(rows) + "\n"


def write_runs(root: Path, n: int) -> None:
    rng = random.Random(0)
    for i in range(n):
        run = root / f"20261122-{i // 60 % 24:02d}{i % 60:02d}00-pima-{i}"
        run.mkdir(parents=True)
        cfg = config(i, rng)
        (run / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        (run / "history.csv").write_text(history(rng))
        scores = {"loss": 0.5 + rng.random() * 0.2, "accuracy": 0.7 + rng.random() * 0.1}
        metrics = {
            "status": "completed",
            "kind": "train",
            "name": "pima",
            "started": "2026-11-22T08:00:00+00:00",
            "epochs": 100,
            "params": 221,
            "pid": 1,
            "host": socket.gethostname(),
            "fit_s": 1.2,
            "train": scores,
            "validation": scores,
            "test": scores,
            "baseline": {"rule": "always 0", "test": {"accuracy": 0.6, "loss": 0.67}},
            "finished": "2026-11-22T08:00:02+00:00",
            "duration_s": 2.0,
            "epochs_run": 100,
            "best_epoch": 90,
            "best": {"monitor": "val_loss", "value": 0.5},
            "config": cfg,
        }
        if i % 10 == 0:  # a k-fold run: its summary over the folds
            metrics.update(
                kind="kfold",
                k=5,
                folds=[{"fold": f, "status": "completed", "validation": scores} for f in range(1, 6)],
                validation_mean=scores,
                validation_std={"loss": 0.01, "accuracy": 0.02},
            )
            del metrics["validation"]
        text = json.dumps(metrics, indent=2)
        if i % 97 == 0:
            text = text[: len(text) // 2]  # torn, as a crash mid-write would leave it
        elif i % 89 == 0:
            metrics.update(status="running", pid=2**22 + 7)  # a process that no longer exists
            text = json.dumps(metrics, indent=2)
        (run / "metrics.json").write_text(text)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the runs here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="nnrun-bench-"))
    try:
        write_runs(root, args.runs)
        nnrun = [sys.executable, "-m", "nnrun"]
        results = {}
        for name, extra in (
            ("--help", None),
            ("table", []),
            ("json", ["--format", "json"]),
            ("sorted, top 10", ["--sort", "test_accuracy", "--top", "10"]),
        ):
            command = nnrun + (["--help"] if extra is None else ["compare", str(root), *extra])
            times = [timed(command) for _ in range(args.repeat)]
            results[name] = statistics.median(times)
            print(
                f"nnrun {'--help' if extra is None else 'compare ' + ' '.join(extra) if extra else 'compare'}: "
                f"median {results[name]:.3f} s over {args.repeat} runs (min {min(times):.3f} s)"
            )
        print(
            f"{args.runs} runs; reading and comparing them adds "
            f"{results['table'] - results['--help']:.3f} s to the process start-up"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
