"""What the test modules share: paths, configs, run folders written by hand, the CLI in-process, and probes.

Fixtures live in conftest.py; everything a test module imports lives here, so that no test module imports
another (each would be imported twice under pytest, and a change to one would break the other's collection).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def is_sweep(path: Path) -> bool:
    """Whether a file of configs/ is a sweep file (parameters: to search over a base config), not an experiment."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and "parameters" in data


EXPERIMENTS = sorted(p for p in CONFIGS.glob("*.yaml") if not is_sweep(p))
SWEEPS = sorted(p for p in CONFIGS.glob("*.yaml") if is_sweep(p))


def shared_datasets() -> Path | None:
    """The folder of real datasets ($NNRUN_DATA_DIR, as CI sets it), or None when it is not there."""
    folder = os.environ.get("NNRUN_DATA_DIR")
    if folder and (Path(folder) / "pima-indians-diabetes.csv").is_file():
        return Path(folder).resolve()
    return None


# --- configs ---


def tiny_config(**overrides) -> dict:
    """A valid config that trains in about a second: inline OR-gate-like data, one small hidden layer."""
    config = {
        "dataset": {
            "inline": {
                "x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 4,
                "y": [0, 1, 1, 1] * 4,
            },
            "test": 4,
        },
        "layers": [
            {"type": "Dense", "units": 4, "activation": "relu"},
            {"type": "Dense", "units": 1, "activation": "sigmoid"},
        ],
        "loss": "binary_crossentropy",
        "optimizer": "adam",
        "metrics": ["accuracy"],
        "epochs": 3,
        "batch_size": 4,
    }
    config.update(overrides)
    return config


# A small valid config written as text, so tests can point at exact line numbers.
BASE_YAML = """\
dataset:
  inline: {x: [[0, 0], [0, 1], [1, 0], [1, 1]], y: [0, 1, 1, 1]}
  test: 0
layers:
  - {type: Dense, units: 4, activation: relu}
  - {type: Dense, units: 1, activation: sigmoid}
loss: binary_crossentropy
epochs: 3
"""


# --- Keras, the CLI in-process, run folders ---


def import_keras():
    """Keras, imported the way nnrun imports it when nothing has yet ($KERAS_BACKEND, else the first installed)."""
    if "keras" not in sys.modules:
        from nnrun.engine.backend import BACKENDS, activate, installed

        backend = os.environ.get("KERAS_BACKEND") or next((b for b in BACKENDS if installed(b)), None)
        if backend is None:
            pytest.skip("no Keras backend is installed")
        activate(backend)
    import keras

    return keras


def run_cli(*args):
    """nnrun in-process: run_cli("train", "x.yaml") -> click Result (exit_code, stdout, stderr); for fixtures
    broader than a test, which cannot use the `cli` fixture."""
    from typer.testing import CliRunner

    from nnrun.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def only_run(runs: Path) -> Path:
    """The one run folder under `runs`."""
    folders = [p for p in runs.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def load(path: Path):
    """A JSON file, read."""
    return json.loads(path.read_text())


# --- the error lines of a rejected command ---


def errors(result) -> list[str]:
    """The error lines of a rejected `nnrun check`, each without its "error: " prefix."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stdout == ""  # nothing that looks like a resolved config
    lines = result.stderr.splitlines()
    assert lines, "no error message"
    for line in lines:
        assert line.startswith("error: "), line
    return [line.removeprefix("error: ") for line in lines]


def one_error(result) -> str:
    lines = errors(result)
    assert len(lines) == 1, lines
    return lines[0]


# --- a process that reports which heavy modules a command imported ---

HEAVY = ("tensorflow", "keras", "jax", "torch", "optuna")
PROBE = """
import runpy, sys
sys.argv = ["nnrun", *{args!r}]
try:
    runpy.run_module("nnrun", run_name="__main__")
except SystemExit as e:
    code = e.code
else:
    code = 0
sys.stdout.flush()
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules), "EXIT:" + str(code))
"""


# --- run folders, as nnrun train and nnrun kfold leave them ---

STARTED = "2026-11-22T08:19:01+00:00"
FINISHED = "2026-11-22T08:19:13+00:00"


def pima_config(lr: float = 0.01, units: int = 8, **changes) -> dict:
    """A resolved classification config as train saves it (every default filled)."""
    config = {
        "name": "pima",
        "seed": 42,
        "backend": "jax",
        "dataset": {
            "path": "pima-indians-diabetes.csv",
            "header": False,
            "target": 8,
            "test": 68,
            "validation": 0.2,
            "scale": "none",
        },
        "layers": [{"type": "Dense", "units": units}, {"type": "Dense", "units": 1, "activation": "sigmoid"}],
        "activation": "relu",
        "loss": "binary_crossentropy",
        "optimizer": {"name": "adam", "learning_rate": lr},
        "metrics": ["accuracy"],
        "epochs": 3,
        "batch_size": 16,
        "early_stopping": None,
    }
    config.update(changes)
    return config


def boston_config(lr: float = 0.001, **changes) -> dict:
    """A resolved regression config with a kfold section."""
    config = {
        "name": "boston",
        "seed": 42,
        "backend": "jax",
        "dataset": {"path": "housing.csv", "target": 13, "test": 0.2, "scale": "standard"},
        "layers": [{"type": "Dense", "units": 64}, {"type": "Dense", "units": 1}],
        "activation": "relu",
        "loss": "mse",
        "optimizer": {"name": "rmsprop", "learning_rate": lr},
        "metrics": ["mae"],
        "epochs": 3,
        "batch_size": 1,
        "kfold": {"k": 2, "refit": True, "refit_epochs": "best", "monitor": "val_mae", "smoothing": 0.0},
    }
    config.update(changes)
    return config


def train_metrics(
    name: str,
    test: dict,
    validation: dict,
    *,
    status: str = "completed",
    epochs_run: int = 3,
    duration_s: float = 12.413,
    pid: int = 31337,
    host: str = "trainer-7",
) -> dict:
    """A finished train run's metrics.json."""
    train = {k: v * 0.9 for k, v in test.items()}
    return {
        "status": status,
        "kind": "train",
        "name": name,
        "started": STARTED,
        "epochs": epochs_run,
        "params": 221,
        "pid": pid,
        "host": host,
        "fit_s": duration_s - 0.7,
        "train": train,
        "validation": validation,
        "test": test,
        "baseline": {
            "rule": "always 0 (the most frequent training class)",
            "train": {"loss": 0.6438},
            "test": {k: v * 1.5 for k, v in test.items()},
        },
        "finished": FINISHED,
        "duration_s": duration_s,
        "epochs_run": epochs_run,
        "best_epoch": epochs_run,
        "best": {"monitor": "val_loss", "value": validation.get("loss")},
    }


def running_metrics(name: str = "pima", *, pid: int, host: str) -> dict:
    """What a train run's metrics.json says between its first write and its end."""
    return {
        "status": "running",
        "kind": "train",
        "name": name,
        "started": STARTED,
        "epochs": 10,
        "params": 221,
        "pid": pid,
        "host": host,
    }


def kfold_metrics(
    name: str, val_mean: dict, val_std: dict, test: dict, *, k: int = 2, duration_s: float = 61.9
) -> dict:
    """A finished k-fold run's metrics.json: k folds whose validation scores have exactly this mean and std
    (k=2: mean - std and mean + std), and the refit's test score."""
    monitor = "mae" if "mae" in val_mean else "loss"
    folds = [
        {
            "fold": i,
            "status": "completed",
            "epochs_run": 3,
            "best_epoch": 3,
            "duration_s": 10.0,
            "train": {m: v * 0.5 for m, v in val_mean.items()},
            "validation": {m: val_mean[m] + (-1) ** i * val_std[m] for m in val_mean},
            "baseline": {m: v * 3 for m, v in val_mean.items()},
        }
        for i in range(1, k + 1)
    ]
    return {
        "status": "completed",
        "kind": "kfold",
        "name": name,
        "started": STARTED,
        "k": k,
        "epochs": 3,
        "params": 5121,
        "stratified": False,
        "rows": {"train": 404, "test": 102},
        "pid": 31337,
        "host": "trainer-7",
        "folds": folds,
        "folds_done": k,
        "validation_mean": val_mean,
        "validation_std": val_std,
        "train_mean": {m: v * 0.5 for m, v in val_mean.items()},
        "train_std": {m: 0.0 for m in val_mean},
        "epochs_run": 3,
        "best_epoch": 3,
        "best": {"monitor": f"val_{monitor}", "epoch": 3, "value": val_mean[monitor]},
        "baseline": {
            "rule": "each fold's training mean",
            "validation": {m: v * 3 for m, v in val_mean.items()},
            "test": {m: v * 3 for m, v in test.items()},
        },
        "final": {
            "status": "completed",
            "epochs": 3,
            "epochs_run": 3,
            "duration_s": 9.0,
            "train": {m: v * 0.5 for m, v in test.items()},
            "test": test,
        },
        "test": test,
        "finished": FINISHED,
        "duration_s": duration_s,
    }


def history(names: tuple[str, ...] = ("loss", "accuracy"), epochs: int = 3, start: float = 1.0) -> list[dict]:
    """Per-epoch rows: epoch, the metrics, then their val_ twins, each falling a little every epoch."""
    rows = []
    for epoch in range(1, epochs + 1):
        row = {"epoch": epoch}
        row.update({n: round(start / epoch, 4) for n in names})
        row.update({f"val_{n}": round(start * 1.1 / epoch, 4) for n in names})
        rows.append(row)
    return rows


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def make_run(
    root: Path,
    name: str,
    config: dict | None,
    metrics: dict | str | None,
    history: list[dict] | None = None,
    kind: str = "train",
    *,
    config_in_metrics: bool = True,
) -> Path:
    """Write the run folder root/name: config.yaml, metrics.json (a str is written as is, e.g. torn; None: no
    file), history.csv. A k-fold run gets history_mean.csv (epoch, folds, <m>_mean, <m>_std) and fold-N/
    subfolders that are complete train runs themselves. metrics.json carries the config too, as nnrun writes it
    (config_in_metrics=False: a run from before it did)."""
    path = Path(root) / name
    path.mkdir(parents=True)
    if config is not None:
        (path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    if isinstance(metrics, dict):
        data = {**metrics, "config": config} if config_in_metrics and config is not None else metrics
        (path / "metrics.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    elif isinstance(metrics, str):
        (path / "metrics.json").write_text(metrics, encoding="utf-8")
    if history and kind == "kfold":
        k = metrics.get("k", 2) if isinstance(metrics, dict) else 2
        mean = [
            {
                "epoch": r["epoch"],
                "folds": k,
                **{
                    f"{n}_{s}": (v if s == "mean" else 0.1)
                    for n, v in r.items()
                    if n != "epoch"
                    for s in ("mean", "std")
                },
            }
            for r in history
        ]
        _write_csv(path / "history_mean.csv", mean)
        for fold in range(1, k + 1):
            test = {n: v for n, v in history[-1].items() if n != "epoch" and not n.startswith("val_")}
            fold_metrics = {
                **train_metrics(str(config and config.get("name")), test, test),
                "kind": "fold",
                "fold": fold,
                "k": k,
            }
            make_run(path, f"fold-{fold}", config, fold_metrics, history)
    elif history:
        _write_csv(path / "history.csv", history)
    return path


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped: no process has it (until the system reuses it)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# Three pima runs that differ only in optimizer.learning_rate and layers[0].units. Their scores are chosen so
# that sorting by accuracy and by loss give different orders: accuracy B > A > C, test_loss A < C < B.
A, B, C = "20261122-080000-pima", "20261122-081000-pima", "20261122-082000-pima"
SCORES = {
    A: ({"loss": 0.40, "accuracy": 0.75}, {"loss": 0.52, "accuracy": 0.73}),
    B: ({"loss": 0.50, "accuracy": 0.80}, {"loss": 0.47, "accuracy": 0.78}),
    C: ({"loss": 0.45, "accuracy": 0.70}, {"loss": 0.60, "accuracy": 0.68}),
}
RUN_CONFIGS = {A: pima_config(0.01, 8), B: pima_config(0.001, 8), C: pima_config(0.01, 16)}
KF, TR = "20261122-090246-boston", "20261122-091500-boston"  # a k-fold and a train regression run
