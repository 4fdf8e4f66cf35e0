"""`nnrun sweep` end to end: the sweep folder, Ctrl-C and --resume, pruning, retraining the best."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO
from sweep_inputs import BASE

pytest.importorskip("optuna")

# BASE (an OR gate with validation rows and kfold: 2) trained for more epochs, so a trial lasts long enough
# to be interrupted, and learning rates far apart, so the median pruner has laggards to stop.
SWEEP = """\
config: base.yaml
method: random
trials: {trials}
parallel: {parallel}
seed: 3
parameters:
  optimizer.learning_rate: {{distribution: log_uniform, min: 1.0e-4, max: 1.0}}
  layers[0].units: {{distribution: int_uniform, min: 2, max: 8}}
"""


def write(folder: Path, trials: int = 4, parallel: int = 2, extra: str = "", epochs: int = 20) -> Path:
    (folder / "base.yaml").write_text(BASE.replace("epochs: 20", f"epochs: {epochs}"), encoding="utf-8")
    path = folder / "sweep.yaml"
    path.write_text(SWEEP.format(trials=trials, parallel=parallel) + extra, encoding="utf-8")
    return path


def rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def workers_in(folder: Path) -> list[int]:
    """The sweep workers alive that were started in `folder` (other sweeps may run on the machine meanwhile)."""
    found = subprocess.run(["pgrep", "-f", "nnrun.sweep.worker"], capture_output=True, text=True).stdout.split()
    alive = []
    for pid in found:
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(folder):
                alive.append(int(pid))
        except OSError:  # gone meanwhile
            pass
    return alive


def only_sweep(runs: Path) -> Path:
    (folder,) = runs.iterdir()
    return folder


def test_the_sweep_folder_holds_every_trial_and_the_best(cli, tmp_path):
    result = cli("sweep", write(tmp_path), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    folder = only_sweep(tmp_path / "runs")
    for name in ("sweep.yaml", "base.yaml", "study.journal", "trials.csv", "best.yaml", "metrics.json"):
        assert (folder / name).is_file(), name
    table = rows(folder)
    assert list(table[0]) == [
        "number",
        "state",
        "score",
        "optimizer.learning_rate",
        "layers[0].units",
        "epochs_run",
        "duration_s",
        "fit_s",
        "wall_s",
        "run",
        "error",
    ]
    assert [r["state"] for r in table] == ["completed"] * 4
    for r in table:  # each trial is a complete run folder, with the values it was given
        trial = json.loads((folder / r["run"] / "metrics.json").read_text())
        assert trial["status"] == "completed" and trial["kind"] == "train"
        assert trial["config"]["layers"][0]["units"] == int(r["layers[0].units"])
        assert trial["config"]["seed"] == 3  # the sweep's seed
        assert float(r["score"]) == pytest.approx(trial["validation"]["loss"])
        assert float(r["fit_s"]) == trial["fit_s"] and float(r["duration_s"]) == trial["duration_s"]
        assert float(r["wall_s"]) > float(r["duration_s"])  # the run, and the worker's and driver's share
        # a trial's folder has every file of a run but its pictures; the sweep's pictures show the trials
        assert sorted(p.name for p in (folder / r["run"]).glob("*.png")) == []
        assert (folder / r["run"] / "history.csv").is_file() and (folder / r["run"] / "model.keras").is_file()
    assert all((folder / name).is_file() for name in ("score.png", "params.png", "parallel.png"))
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["kind"] == "sweep" and metrics["status"] == "completed" and metrics["states"]["completed"] == 4
    best = min(table, key=lambda r: float(r["score"]))
    assert metrics["best"]["trial"] == int(best["number"]) and metrics["best"]["run"] == best["run"]
    assert "retrain the best: nnrun train " in result.stdout
    retrain = cli("train", folder / "best.yaml", "--runs-dir", tmp_path / "again", "-q")
    assert retrain.exit_code == 0, retrain.output
    again = json.loads((only_sweep(tmp_path / "again") / "metrics.json").read_text())
    assert again["validation"]["loss"] == pytest.approx(float(best["score"]), rel=1e-4)  # the same run again


# Two quick trials, then two long ones: Ctrl-C once the quick two are done lands while the long two train.
GRID = """\
config: base.yaml
method: grid
parallel: 2
seed: 3
parameters:
  epochs: {values: [20, 30, 20000, 20001]}
"""


def test_ctrl_c_stops_the_sweep_and_resume_finishes_it_without_losing_or_repeating_a_trial(tmp_path):
    write(tmp_path)
    sweep = tmp_path / "grid.yaml"
    sweep.write_text(GRID, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "nnrun", "sweep", str(sweep), "--runs-dir", str(tmp_path / "runs")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    finished = 0
    for line in process.stdout:  # Ctrl-C once the two quick trials are done: the two long ones are training
        finished += line.startswith("trial")
        if finished == 2:
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    folder = only_sweep(tmp_path / "runs")
    assert f"resume with nnrun sweep --resume {folder}" in err
    first = rows(folder)
    assert {r["state"] for r in first} <= {"completed", "interrupted"} and "interrupted" in {r["state"] for r in first}
    assert json.loads((folder / "metrics.json").read_text())["status"] == "interrupted"
    for r in first:  # no folder says it is still running (one stopped before training has none), nor a worker
        run = folder / r["run"]
        assert (
            json.loads((run / "metrics.json").read_text())["status"] == r["state"]
            if run.exists()
            else r["state"] == "interrupted"
        )
    assert not workers_in(tmp_path)

    resumed = subprocess.run(
        [sys.executable, "-m", "nnrun", "sweep", "--resume", str(folder), "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    table = rows(folder)
    done = [r for r in table if r["state"] == "completed"]
    assert len(done) == 4  # the trial count is honoured
    assert [r for r in table if r["state"] == "interrupted"]  # and the interrupted ones are still listed as such
    kept = {r["number"]: r for r in first if r["state"] == "completed"}
    assert all(table[int(n)]["score"] == r["score"] for n, r in kept.items())  # finished trials kept, not rerun
    assert sorted(int(r["epochs"]) for r in done) == [20, 30, 20000, 20001]  # each grid point once, to completion
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["states"]["completed"] == 4


def test_resume_refuses_a_changed_search(cli, tmp_path):
    result = cli("sweep", write(tmp_path, trials=1, parallel=1), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    folder = only_sweep(tmp_path / "runs")
    before = sorted(p.name for p in folder.rglob("*"))
    changed = cli("sweep", "--resume", folder, "--set", "parameters.layers[0].units.max=9")
    assert changed.exit_code == 2
    assert changed.stderr == (
        f"error: --resume {folder}: parameters differs from the sweep's own; a resumed sweep "
        "keeps its search (only trials and parallel may change): start a new sweep for a "
        "different one\n"
    )
    assert sorted(p.name for p in folder.rglob("*")) == before
    more = cli("sweep", "--resume", folder, "--trials", "2", "-q")  # more trials is a change a resume may make
    assert more.exit_code == 0, more.output
    assert [r["state"] for r in rows(folder)] == ["completed", "completed"]


def test_pruned_trials_stop_early_keep_their_history_and_count_apart(cli, tmp_path):
    sweep = write(tmp_path, trials=8, parallel=1, epochs=40, extra="early_terminate: {type: median, min_epochs: 3}\n")
    result = cli("sweep", sweep, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    folder = only_sweep(tmp_path / "runs")
    pruned = [r for r in rows(folder) if r["state"] == "pruned"]
    assert pruned, rows(folder)
    for r in pruned:
        trial = json.loads((folder / r["run"] / "metrics.json").read_text())
        assert trial["status"] == "interrupted" and trial["interrupted_by"].startswith("pruned by the sweep (median)")
        assert 3 <= trial["epochs_run"] < 40 and (folder / r["run"] / "history.csv").is_file()
    states = json.loads((folder / "metrics.json").read_text())["states"]
    assert states["pruned"] == len(pruned) and states["completed"] + states["pruned"] == 8


def test_a_kfold_scored_sweep_scores_each_trial_by_its_mean_over_the_folds(cli, tmp_path):
    sweep = write(tmp_path, trials=2, parallel=1, extra="score: kfold\n")
    result = cli("sweep", sweep, "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    folder = only_sweep(tmp_path / "runs")
    for r in rows(folder):
        trial = json.loads((folder / r["run"] / "metrics.json").read_text())
        assert trial["kind"] == "kfold" and (folder / r["run"] / "fold-2").is_dir()
        assert float(r["score"]) == pytest.approx(trial["validation_mean"]["loss"])
        fits = [json.loads((folder / r["run"] / f"fold-{k}" / "metrics.json").read_text())["fit_s"] for k in (1, 2)]
        assert float(r["fit_s"]) == pytest.approx(sum(fits), abs=1e-3)  # the folds' time in fit, summed
        assert float(r["wall_s"]) > float(r["fit_s"])
        assert not list((folder / r["run"]).rglob("*.png"))  # no fold's picture, nor the k-fold one


def test_resume_refuses_a_sweep_that_is_still_running(cli, tmp_path):
    from nnrun.runs.liveness import identity

    folder = tmp_path / "runs" / "20261130-120000-sweep"
    folder.mkdir(parents=True)
    (folder / "sweep.yaml").write_text("config: base.yaml\n")
    (folder / "study.journal").write_text("")
    me = identity()  # this very process: alive
    (folder / "metrics.json").write_text(json.dumps({"kind": "sweep", "status": "running", **me}))
    result = cli("sweep", "--resume", folder)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --resume {folder}: this sweep is still running (pid {me['pid']} on {me['host']}); "
        f"stop it first (Ctrl-C where it runs, or kill {me['pid']}), then resume it\n"
    )


def test_the_pictures_are_drawn_at_most_every_draw_every_seconds_when_idle_and_always_at_the_end(monkeypatch, tmp_path):
    from nnrun.sweep import run
    from nnrun.views import sweep_plots

    drawn = []
    monkeypatch.setattr(sweep_plots, "draw", lambda folder: drawn.append(folder))
    clock = [1000.0]
    monkeypatch.setattr(run.time, "monotonic", lambda: clock[0])
    draw = run._draw()
    assert draw(tmp_path, False) is False and drawn == []  # not in the sweep's first DRAW_EVERY seconds
    clock[0] += run.DRAW_EVERY
    assert draw(tmp_path, False) is True
    run_threads = [t for t in __import__("threading").enumerate() if t.name == "sweep pictures"]
    for t in run_threads:
        t.join()
    assert drawn == [tmp_path]
    clock[0] += 1
    assert draw(tmp_path, False) is False  # too soon after the last
    assert draw(tmp_path, False, True) is True  # but a worker is idle with no trial left to start: a core is free
    for t in [t for t in __import__("threading").enumerate() if t.name == "sweep pictures"]:
        t.join()
    assert draw(tmp_path, True) is True and drawn == [tmp_path] * 3  # the end's, whenever it comes
