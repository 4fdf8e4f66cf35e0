"""A sweep folder read back for `compare`, `show` and its pictures: metrics.json (`kind: sweep`), trials.csv,
and sweep.yaml for the parameters' distributions. Never its trials' run folders (compare reads those itself)
and never Optuna's storage. Standard library and PyYAML only.

The folder's contract (written by nnrun.sweep.folder): trials.csv has the columns
`number,state,score,<one per parameter path>,epochs_run,duration_s,fit_s,wall_s,run,error`; a parameter's cell holds its
value as JSON (a list or mapping compact, a text value plain); metrics.json holds status, method,
metric {name, goal}, score (train | kfold), trials (planned), states, best {trial, score, params, run},
parameters, pid and host.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nnrun.runs.folder import higher_is_better
from nnrun.runs.record import read_status

# A trial's states, in the order show counts them; `crashed` is a reader's: a trial still `running` in a sweep
# whose process is gone.
TRIAL_STATES = ("completed", "pruned", "failed", "diverged", "interrupted", "running", "crashed")
_FIXED = ("number", "state", "score", "epochs_run", "duration_s", "fit_s", "wall_s", "run", "error")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Trial:
    """One row of trials.csv: a trial's number, state, score (None without one: failed, diverged, running)
    and the value it took for each parameter path."""

    number: int
    state: str
    score: float | None
    params: dict[str, Any]
    epochs_run: int | None = None
    duration_s: float | None = None
    fit_s: float | None = None
    run: str | None = None  # its run folder, relative to the sweep folder (trials/0003)

    @property
    def folder(self) -> str:
        return self.run or f"trials/{self.number:04d}"


@dataclass
class SweepRecord:
    """A sweep folder as read. `status` is metrics.json's, or `crashed` (it says running, but its process is
    gone: `warning` says why), or `unreadable` (no metrics.json, or a torn one)."""

    path: Path
    status: str
    metrics: dict[str, Any]
    sweep: dict[str, Any]  # sweep.yaml ({} when missing)
    trials: list[Trial]
    warning: str | None = None
    problems: list[str] = field(default_factory=list)  # files that could not be read

    @property
    def name(self) -> str:
        return str(self.metrics.get("name") or self.sweep.get("name") or self.path.name)

    @property
    def method(self) -> str | None:
        return self.metrics.get("method") or self.sweep.get("method")

    @property
    def metric(self) -> str:
        metric = self.metrics.get("metric") or self.sweep.get("metric") or {}
        return str(metric.get("name") if isinstance(metric, dict) else metric or "score")

    @property
    def goal(self) -> str:
        metric = self.metrics.get("metric") or self.sweep.get("metric") or {}
        goal = metric.get("goal") if isinstance(metric, dict) else None
        if goal in ("minimize", "maximize"):
            return goal
        return "maximize" if higher_is_better(self.metric) else "minimize"

    @property
    def score_kind(self) -> str:
        return str(self.metrics.get("score") or self.sweep.get("score") or "train")

    @property
    def planned(self) -> int | None:
        planned = self.metrics.get("trials", self.sweep.get("trials"))
        return planned if isinstance(planned, int) and not isinstance(planned, bool) else None

    @property
    def parameters(self) -> list[str]:
        """The parameter paths in the sweep file's order."""
        listed = self.metrics.get("parameters")
        if isinstance(listed, list) and listed:
            return [str(p) for p in listed]
        if isinstance(self.sweep.get("parameters"), dict):
            return [str(p) for p in self.sweep["parameters"]]
        return list(dict.fromkeys(p for t in self.trials for p in t.params))

    def distribution(self, path: str) -> str:
        """'uniform', 'log_uniform', 'int_uniform', 'int_log_uniform', or 'values' (a choice among values)."""
        spec = (self.sweep.get("parameters") or {}).get(path)
        if isinstance(spec, dict):
            if "values" in spec:
                return "values"
            if isinstance(spec.get("distribution"), str):
                return spec["distribution"]
        return "values" if any(not _is_number(t.params.get(path)) for t in self.trials
                               if t.params.get(path) is not None) else "uniform"

    def choices(self, path: str) -> list[Any]:
        """A `values` parameter's values in the sweep file's order, then any other value a trial took."""
        spec = (self.sweep.get("parameters") or {}).get(path)
        listed = list(spec["values"]) if isinstance(spec, dict) and isinstance(spec.get("values"), list) else []
        seen = [t.params[path] for t in self.trials if path in t.params]
        out: list[Any] = []
        for value in [*listed, *seen]:
            if not any(_same(value, o) for o in out):
                out.append(value)
        return out

    def better(self, a: float, b: float) -> bool:
        """Whether score a is better than score b, by the sweep's goal."""
        return a > b if self.goal == "maximize" else a < b

    @property
    def best(self) -> Trial | None:
        """The best completed trial: metrics.json's `best` when it names a trial in trials.csv, else the best
        completed score in trials.csv (ties: the earlier trial)."""
        by_number = {t.number: t for t in self.trials}
        named = (self.metrics.get("best") or {}).get("trial") if isinstance(self.metrics.get("best"), dict) else None
        if isinstance(named, int) and named in by_number:
            return by_number[named]
        best = None
        for trial in self.trials:
            if trial.state == "completed" and trial.score is not None:
                if best is None or self.better(trial.score, best.score):
                    best = trial
        return best

    def ranked(self) -> list[Trial]:
        """Every trial, best first: completed ones by score, then pruned ones by the score they had when
        stopped, then the rest by number."""
        def key(t: Trial) -> tuple:
            group = 0 if t.state == "completed" and t.score is not None else 1 if t.score is not None else 2
            score = 0.0 if t.score is None else (-t.score if self.goal == "maximize" else t.score)
            return group, score, t.number
        return sorted(self.trials, key=key)

    def states(self) -> dict[str, int]:
        """How many trials are in each state (trials.csv's, the reader's `crashed` included), every state
        listed; metrics.json's counts when there is no trials.csv."""
        counts = dict.fromkeys(TRIAL_STATES, 0)
        if self.trials:
            for trial in self.trials:
                counts[trial.state] = counts.get(trial.state, 0) + 1
        elif isinstance(self.metrics.get("states"), dict):
            for state, n in self.metrics["states"].items():
                if isinstance(n, int):
                    counts[str(state)] = n
        return counts


FINISHED = ("completed", "pruned", "failed", "diverged")  # a trial in these states will not run again


def trials_text(record: SweepRecord) -> str:
    """'10 planned, 8 finished (6 completed, 1 pruned, 1 failed), 1 interrupted, 1 running': the states with
    any trial in them; finished ones first, then those a resumed sweep runs again."""
    counts = record.states()
    finished = [f"{counts[s]} {s}" for s in FINISHED if counts.get(s)]
    total = sum(counts.get(s, 0) for s in FINISHED)
    parts = [f"{record.planned} planned"] if record.planned else []
    parts.append(f"{total} finished" + (f" ({', '.join(finished)})" if finished else ""))
    parts += [f"{n} {s}" for s, n in counts.items() if n and s not in FINISHED]
    return ", ".join(parts)


def is_sweep_folder(path: Path) -> bool:
    """A folder `nnrun sweep` made: it has a sweep.yaml, or a metrics.json saying `kind: sweep`."""
    if not path.is_dir():
        return False
    if (path / "sweep.yaml").is_file():
        return True
    try:
        return json.loads((path / "metrics.json").read_text(encoding="utf-8")).get("kind") == "sweep"
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return False


def read_sweep(path: Path) -> SweepRecord:
    """Read a sweep folder; never raises for a broken one (status `unreadable` or `crashed`, and `warning`,
    say what is wrong; `problems` lists files that could not be read)."""
    problems: list[str] = []
    metrics, status, warning = read_status(path, "the sweep never finished its first trial, or this is not a sweep")
    sweep = {}
    try:
        loaded = yaml.load((path / "sweep.yaml").read_text(encoding="utf-8"), Loader=_Loader)
        sweep = loaded if isinstance(loaded, dict) else {}
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        problems.append(f"sweep.yaml is unreadable ({type(e).__name__})")
    trials = read_trials(path / "trials.csv", problems)
    if status == "crashed":  # its running trials died with it
        for trial in trials:
            if trial.state == "running":
                trial.state = "crashed"
    return SweepRecord(path, status, metrics, sweep, trials, warning, problems)


def read_trials(path: Path, problems: list[str] | None = None) -> list[Trial]:
    """trials.csv's rows, in trial order; [] when there is none yet. A row that cannot be read is skipped
    (and said in `problems`)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        if problems is not None:
            problems.append(f"trials.csv is unreadable ({type(e).__name__}: {e})")
        return []
    trials = []
    for i, row in enumerate(rows, start=2):
        try:
            number = int(row["number"])
        except (KeyError, TypeError, ValueError):
            if problems is not None:
                problems.append(f"trials.csv line {i}: no trial number")
            continue
        params = {k: parse_cell(v) for k, v in row.items() if k not in _FIXED and k is not None}
        trials.append(Trial(number, str(row.get("state") or "unknown"), _float(row.get("score")), params,
                            _int(row.get("epochs_run")), _float(row.get("duration_s")), _float(row.get("fit_s")),
                            row.get("run") or None))
    return sorted(trials, key=lambda t: t.number)


def parse_cell(text: str | None) -> Any:
    """A parameter's cell back to its value: JSON (numbers, lists, mappings, true/false/null), else the text."""
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"True": True, "False": False, "None": None}.get(text, text)


def _float(text: str | None) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None  # a diverged trial's NaN is no score


def _int(text: str | None) -> int | None:
    try:
        return int(float(text))
    except (TypeError, ValueError, OverflowError):
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    """Equal as a config would read them: 1 and 1.0 alike, but not 1 and true."""
    return type(a) is type(b) and a == b or (_is_number(a) and _is_number(b) and a == b)
