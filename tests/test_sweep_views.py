"""What people read of a sweep folder: its pictures (score.png, params.png, parallel.png), `nnrun compare SWEEP`
and `nnrun show SWEEP`.

The sweep folders are built as `nnrun sweep` leaves them (docs: /work/wt/notes/sweep-design.md, README "The
sweep folder"): the trials are real run folders, trained once per session on the embedded breast-cancer data (a
few epochs each), renamed trials/NNNN; sweep.yaml, trials.csv and metrics.json are written here by
`write_sweep`, so these views are tested without the sweep driver.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CONFIGS

# --- sweep folders, as nnrun sweep leaves them ---

STARTED = "2026-11-30T08:30:00+00:00"
FINISHED = "2026-11-30T08:31:40+00:00"
LR = "optimizer.learning_rate"
PARAMETERS = {  # the sweep file's `parameters`, in its order
    LR: {"distribution": "log_uniform", "min": 3.0e-4, "max": 3.0e-2},
    "batch_size": {"values": [16, 32, 64]},
    "layers": {"values": [
        [{"type": "Dense", "units": 16}, {"type": "Dense", "units": 1, "activation": "sigmoid"}],
        [{"type": "Dense", "units": 16}, {"type": "Dropout", "rate": 0.2}, {"type": "Dense", "units": 8},
         {"type": "Dense", "units": 1, "activation": "sigmoid"}],
    ]},
}


def trial_row(number: int, state: str, score: float | None, params: dict[str, Any], *, epochs_run: int | None = 3,
              duration_s: float | None = 1.5, fit_s: float | None = 1.1, run: str | None = None) -> dict[str, Any]:
    """One trial as trials.csv holds it."""
    return {"number": number, "state": state, "score": score, "params": params, "epochs_run": epochs_run,
            "duration_s": duration_s, "fit_s": fit_s, "run": run if run is not None else f"trials/{number:04d}"}


def _cell(value: Any) -> Any:
    """A parameter's value in trials.csv: JSON for lists, mappings, booleans and null; numbers and text plain."""
    if isinstance(value, (list, dict, bool)) or value is None:
        return json.dumps(value, separators=(",", ":"))
    return value


def write_sweep(folder: Path, rows: list[dict[str, Any]], *, parameters: dict[str, Any] | None = None,
                name: str = "quickstart-search", method: str = "random", metric: str = "val_loss",
                goal: str = "minimize", planned: int | None = None, status: str = "completed", score: str = "train",
                base: dict[str, Any] | None = None, pid: int = 31337, host: str = "trainer-7",
                runs: dict[int, Path] | None = None) -> Path:
    """Write the sweep folder `folder` as the sweep driver leaves it: sweep.yaml (resolved), trials.csv (one
    line per row of `rows`, see trial_row), metrics.json (states counted, the best completed trial), best.yaml;
    `runs` are run folders copied in as trials/NNNN."""
    parameters = PARAMETERS if parameters is None else parameters
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trials").mkdir(exist_ok=True)
    for number, run in (runs or {}).items():
        shutil.copytree(run, folder / "trials" / f"{number:04d}")
    planned = len(rows) if planned is None else planned
    base = base or {"name": "quickstart", "epochs": 3}
    sweep = {"name": name, "config": "/work/configs/quickstart.yaml", "method": method,
             "metric": {"name": metric, "goal": goal}, "trials": planned, "parallel": 2, "seed": 42, "score": score,
             "parameters": parameters, "early_terminate": None, "base": base}
    (folder / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    with open(folder / "trials.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["number", "state", "score", *parameters, "epochs_run", "duration_s", "fit_s", "run"])
        for r in rows:
            writer.writerow([r["number"], r["state"], "" if r["score"] is None else r["score"],
                             *(_cell(r["params"].get(p)) for p in parameters),
                             *("" if r[k] is None else r[k] for k in ("epochs_run", "duration_s", "fit_s")), r["run"]])
    states = dict.fromkeys(("completed", "pruned", "failed", "diverged", "interrupted", "running"), 0)
    for r in rows:
        states[r["state"]] += 1
    done = [r for r in rows if r["state"] == "completed" and r["score"] is not None]
    best = (min if goal == "minimize" else max)(done, key=lambda r: r["score"]) if done else None
    metrics = {"kind": "sweep", "status": status, "name": name, "started": STARTED,
               "finished": None if status == "running" else FINISHED, "duration_s": None if status == "running" else 100.0,
               "method": method, "metric": {"name": metric, "goal": goal}, "score": score, "trials": planned,
               "states": states, "best": best and {"trial": best["number"], "score": best["score"],
                                                     "params": best["params"], "run": best["run"]},
               "parameters": list(parameters), "pid": pid, "host": host}
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    if best:
        (folder / "best.yaml").write_text(yaml.safe_dump({**base, "name": f"{name}-best"}, sort_keys=False),
                                          encoding="utf-8")
    return folder


def train_trials(root: Path, settings: list[dict[str, Any]], *, epochs: int = 3, k: int | None = None) -> list[Path]:
    """Real run folders of configs/quickstart.yaml with each settings' parameters (--set path=value), trained
    in this process (Keras is imported once); with `k`, k-fold runs."""
    from nnrun import api

    runs = []
    for i, params in enumerate(settings):
        overrides = [f"epochs={epochs}", "early_stopping=null",
                     *(f"{p}={json.dumps(v)}" for p, v in params.items())]
        if k:
            outcome = api.kfold(CONFIGS / "quickstart.yaml", overrides=overrides, k=k, runs_dir=root / f"{i:04d}",
                                device="cpu")
        else:
            outcome = api.train(CONFIGS / "quickstart.yaml", overrides=overrides, runs_dir=root / f"{i:04d}",
                                device="cpu")
        assert outcome.status == "completed", outcome
        runs.append(outcome.run_dir)
    return runs
