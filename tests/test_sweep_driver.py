"""The sweep's driver and local executor: real worker processes, tiny trials."""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path

import pytest
import yaml

from nnrun.sweep.driver import Driver, Plan, Progress, score_of
from nnrun.sweep.executor import LocalExecutor
from nnrun.sweep.folder import SweepFolder

pytest.importorskip("optuna")

TINY = {
    "dataset": {
        "inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]] * 4, "y": [0, 1, 1, 1] * 4},
        "test": 4,
        "validation": 4,
    },
    "layers": [
        {"type": "Dense", "units": 4, "activation": "relu"},
        {"type": "Dense", "units": 1, "activation": "sigmoid"},
    ],
    "loss": "binary_crossentropy",
    "optimizer": "adam",
    "metrics": ["accuracy"],
    "epochs": 4,
    "batch_size": 4,
}


class UnitsSpace:
    """The smallest search space: the hidden layer's units, from a list (0 makes the trial fail)."""

    parameters = ["layers[0].units"]

    def __init__(self, choices):
        self.choices = [str(c) for c in choices]

    def distributions(self):
        import optuna

        return {"layers[0].units": optuna.distributions.CategoricalDistribution(self.choices)}

    def grid(self):
        return [{"layers[0].units": c} for c in self.choices]

    def values(self, params):
        return {"layers[0].units": int(params["layers[0].units"])}

    def overrides(self, values):
        return [(f"{k}={v}", f"parameters.{k}") for k, v in values.items()]


def sweep(tmp_path: Path, choices, trials=None, parallel=1, hooks=None, **plan):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    space = UnitsSpace(choices)
    p = Plan(
        "tiny", config, "grid", "val_loss", "minimize", trials or len(choices), parallel, 42, "train", space, **plan
    )
    folder = SweepFolder.create(tmp_path / "runs", p.name, {"name": p.name})
    executor = LocalExecutor(parallel, folder.path / "workers.log", **(hooks or {}))
    finished = []
    progress = Progress(trial_finished=lambda record, best: finished.append(record.number))
    driver = Driver(p, folder, executor, progress)
    return driver, folder, finished


def rows(folder: SweepFolder):
    with open(folder.path / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path):
    driver, folder, finished = sweep(tmp_path, [3, 0, 5])
    result = driver.run()
    assert result.status == "completed"
    states = {int(r["number"]): r["state"] for r in rows(folder)}
    assert states == {0: "completed", 1: "failed", 2: "completed"}
    failed = next(r for r in rows(folder) if r["state"] == "failed")
    assert "layers[0].units: got 0" in failed["error"]
    metrics = json.loads((folder.path / "metrics.json").read_text())
    assert metrics["kind"] == "sweep" and metrics["status"] == "completed"
    assert metrics["states"]["completed"] == 2 and metrics["states"]["failed"] == 1
    best = metrics["best"]
    assert best["run"] == f"trials/{best['trial']:04d}" and (folder.path / best["run"] / "model.keras").exists()
    best_yaml = yaml.safe_load((folder.path / "best.yaml").read_text())
    assert best_yaml["name"] == "tiny-best" and best_yaml["layers"][0]["units"] == best["params"]["layers[0].units"]
    assert sorted(finished) == [0, 1, 2]


def test_failures_in_a_row_stop_the_sweep_with_a_message(tmp_path):
    driver, folder, _ = sweep(tmp_path, [0, -1, -2, 4], max_failures=3)
    result = driver.run()
    assert result.status == "failed"
    assert result.message.startswith("3 trials failed in a row, so the sweep stopped; the last, trial 2:")
    assert [r["state"] for r in rows(folder)] == ["failed", "failed", "failed"]
    assert json.loads((folder.path / "metrics.json").read_text())["stopped_because"] == result.message


def test_a_killed_worker_costs_its_trial_not_the_sweep(tmp_path):
    killed = []

    def kill_trial_1(record):
        if record.number == 1:
            worker = next(w for w in driver.executor.workers if w.trial == 1)
            os.kill(worker.process.pid, signal.SIGKILL)
            killed.append(worker.process.pid)

    driver, folder, _ = sweep(tmp_path, [3, 4, 5])
    driver.progress.trial_started = kill_trial_1
    result = driver.run()
    assert result.status == "completed" and killed
    states = {int(r["number"]): r for r in rows(folder)}
    assert states[1]["state"] == "failed"
    assert states[1]["error"] == f"its worker process (pid {killed[0]}) died: killed by SIGKILL"
    assert states[0]["state"] == states[2]["state"] == "completed"
    # the dead trial's folder does not claim to be running
    trial = folder.path / "trials" / "0001" / "metrics.json"
    if trial.exists():
        assert json.loads(trial.read_text())["status"] == "failed"


def test_a_worker_is_replaced_after_its_trial_budget(tmp_path):
    driver, folder, _ = sweep(tmp_path, [2, 3, 4], hooks={"max_trials": 1})
    pids = []
    driver.progress.trial_started = lambda record: pids.append(
        next(w for w in driver.executor.workers if w.trial == record.number).process.pid
    )
    assert driver.run().status == "completed"
    assert len(set(pids)) == 3  # a fresh worker for every trial


def test_score_of_reads_the_validation_value_of_a_train_or_kfold_run():
    assert score_of({"validation": {"loss": 0.5, "mae": 2.0}}, "val_mae", "train") == 2.0
    assert score_of({"validation_mean": {"mse": 21.0}}, "val_mse", "kfold") == 21.0
    assert score_of({"validation": {"loss": float("nan")}}, "val_loss", "train") is None
    assert score_of({}, "val_loss", "train") is None


def test_workers_start_before_the_first_trial_and_import_keras_with_the_sweeps_backend(tmp_path):
    from nnrun import api
    from nnrun.engine.backend import resolve_backend

    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    backend = resolve_backend(api.check(config))
    executor = LocalExecutor(3, tmp_path / "workers.log", backend=backend)
    try:
        executor.prepare(2)  # two trials to run: two workers of the three slots, started now
        assert len(executor.workers) == 2 and all(w.trial is None for w in executor.workers)
        for _ in range(600):
            executor.events(timeout=0.1)
            if all(w.ready for w in executor.workers):
                break
        assert [w.backend for w in executor.workers] == [backend, backend]  # Keras imported before any job
    finally:
        executor.close()
    assert executor.workers == []
