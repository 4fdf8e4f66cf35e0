"""The sweep folder (the README's "Sweeps" reference gives the contract):

    runs/<YYYYmmdd-HHMMSS>-<name>/
      sweep.yaml  study.journal  trials/0000/ ...  trials.csv  best.yaml  metrics.json  *.png  workers.log

Every file is written atomically and rewritten after each finished trial, so a crash keeps every finished trial.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnrun.config.yamlfile import dump_yaml, parse_yaml
from nnrun.runs.folder import Clock, RunFolder, atomic_write, now_iso, read_json, write_json
from nnrun.runs.liveness import identity

STATES = ("completed", "pruned", "failed", "diverged", "interrupted", "running")
FINISHED = ("completed", "pruned", "failed", "diverged")  # what counts toward `trials`; interrupted ones run again


@dataclass
class TrialRecord:
    """One trial as the sweep folder lists it."""

    number: int
    state: str
    values: dict[str, Any]  # parameter path -> the value it trained with
    score: float | None = None
    epochs_run: int | None = None
    duration_s: float | None = None
    fit_s: float | None = None
    wall_s: float | None = None  # from the driver handing it to the executor to hearing that it ended
    error: str | None = None

    @property
    def run(self) -> str:
        return trial_dir(self.number)


def trial_dir(number: int) -> str:
    return f"trials/{number:04d}"


@dataclass
class SweepFolder:
    path: Path
    clock: Clock = field(default_factory=Clock)

    @classmethod
    def create(cls, runs_dir: Path, name: str, resolved: dict[str, Any]) -> SweepFolder:
        """A new <date>-<time>-<name> folder holding sweep.yaml, and metrics.json saying it runs."""
        folder = cls(RunFolder.create(runs_dir, name).path)
        (folder.path / "trials").mkdir()
        atomic_write(folder.path / "sweep.yaml", dump_yaml(resolved))
        return folder

    @classmethod
    def open(cls, path: Path) -> SweepFolder:
        return cls(path)

    def resolved(self) -> dict[str, Any]:
        """sweep.yaml's content."""
        text = (self.path / "sweep.yaml").read_text(encoding="utf-8")
        return parse_yaml(text, str(self.path / "sweep.yaml"))[0]

    def metrics(self) -> dict[str, Any]:
        return read_json(self.path / "metrics.json")

    def journal(self) -> Path:
        return self.path / "study.journal"

    def write(self, summary: dict[str, Any], records: list[TrialRecord], parameters: list[str]) -> None:
        """metrics.json (`summary` plus the states counted and the best trial), trials.csv and best.yaml."""
        counts = {state: sum(r.state == state for r in records) for state in STATES}
        best = best_record(records, summary["metric"]["goal"])
        metrics = {"kind": "sweep", **summary, "states": counts, **identity()}
        if best is not None:
            metrics["best"] = {"trial": best.number, "score": best.score, "params": best.values, "run": best.run}
        atomic_write(self.path / "trials.csv", trials_csv(records, parameters))
        if best is not None:
            self._write_best(best, summary["name"])
        write_json(self.path / "metrics.json", metrics)

    def _write_best(self, best: TrialRecord, name: str) -> None:
        """best.yaml: the best trial's own config (a resolved, runnable train config), renamed. A k-fold trial's
        is made the train config of its refit (engine.kfold.refit_spec): every training row, no validation rows,
        so no early stopping on a val_ value, for kfold.refit_epochs epochs (`best`: the best epoch of its folds'
        mean curve)."""
        saved = self.path / best.run / "config.yaml"
        config, _ = parse_yaml(saved.read_text(encoding="utf-8"), str(saved))
        config["name"] = f"{name}-best"
        how = "trained as the trial was"
        metrics = read_json(self.path / best.run / "metrics.json")
        if metrics.get("kind") == "kfold":
            kfold = config["kfold"]
            wanted = kfold.get("refit_epochs")
            epochs = (metrics.get("best") or {}).get("epoch") if wanted == "best" else wanted
            config["epochs"] = int(epochs or config["epochs"])
            if str((config.get("early_stopping") or {}).get("monitor", "")).startswith("val_"):
                config["early_stopping"] = None
            config["dataset"]["validation"] = 0.0
            how = (
                f"as its k-fold refit trains: all training rows, {config['epochs']} epochs (its folds' scores are "
                f"in {best.run})"
            )
        header = (
            f"# the best trial of sweep {name}: trial {best.number} ({best.run}), score {best.score:.6g}; {how}\n"
            f"# retrain it with: nnrun train {self.path / 'best.yaml'}\n"
        )
        atomic_write(self.path / "best.yaml", header + dump_yaml(config))


def best_record(records: list[TrialRecord], goal: str) -> TrialRecord | None:
    """The completed trial with the best score (the lowest trial number among equals)."""
    scored = [r for r in records if r.state == "completed" and r.score is not None]
    if not scored:
        return None
    sign = 1 if goal == "minimize" else -1
    return min(scored, key=lambda r: (sign * r.score, r.number))


def trials_csv(records: list[TrialRecord], parameters: list[str]) -> str:
    """trials.csv: number, state, score, one column per parameter (YAML flow text for lists and mappings),
    epochs_run, duration_s (the trial's run, as its metrics.json says), fit_s (its time in fit, the folds' summed),
    wall_s (from the driver starting it to hearing it ended: the run plus the worker's and the driver's share),
    run, error."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["number", "state", "score", *parameters, "epochs_run", "duration_s", "fit_s", "wall_s", "run", "error"]
    )
    for r in sorted(records, key=lambda r: r.number):
        writer.writerow(
            [
                r.number,
                r.state,
                _cell(r.score),
                *(_cell(r.values.get(p)) for p in parameters),
                _cell(r.epochs_run),
                _cell(r.duration_s),
                _cell(r.fit_s),
                _cell(r.wall_s),
                r.run,
                r.error or "",
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    """A trials.csv cell: numbers as Python writes them (floats in full), text as is, booleans, null, lists and
    mappings as compact JSON (what views/sweep_plots and compare read back)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bool, list, dict)):
        return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    return str(value)


def mark_stopped(run_dir: Path, status: str, why: str) -> None:
    """Make a trial's run folder whose process died (or was killed by the sweep) say so: a folder still saying
    `running` becomes `status` with `why`, so that no folder claims a run that is not happening."""
    path = run_dir / "metrics.json"
    try:
        metrics = read_json(path)
    except Exception:  # noqa: BLE001 - no readable metrics.json: the folder says nothing wrong
        return
    if metrics.get("status") != "running":
        return
    metrics.update(status=status, finished=now_iso())
    metrics["interrupted_by" if status == "interrupted" else "error"] = (
        why if status == "interrupted" else {"type": "WorkerDied", "message": why}
    )
    write_json(path, metrics)
