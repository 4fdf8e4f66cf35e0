"""A run folder read back for `compare`, `show` and `diff`: what it says, and what can be told when it is broken.

Standard library and PyYAML only, and only the small files (metrics.json, config.yaml; history.csv just for
runs that did not finish), so reading a thousand runs takes a fraction of a second.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nnrun.errors import RunError
from nnrun.runs.liveness import gone
from nnrun.runs.folder import read_history

# Statuses a reader adds to the ones a run writes: `crashed` (says running, but its process is gone) and
# `unreadable` (no metrics.json, or a torn one).
READ_STATUSES = ("running", "completed", "interrupted", "failed", "diverged", "crashed", "unreadable")
_STAMP = re.compile(r"^\d{8}-\d{6}-")
_RUN_FILES = ("metrics.json", "config.yaml", "history.csv", "sweep.yaml")  # (a sweep folder: runs/sweep_record.py)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader: ~10x faster, same result


@dataclass
class RunRecord:
    """One run folder as read: its metrics.json and config.yaml (empty when missing), and a status that
    is `crashed` or `unreadable` when the folder cannot be believed as written."""

    path: Path
    status: str
    metrics: dict[str, Any]
    config: dict[str, Any]
    warning: str | None = None
    flat: dict[str, Any] = field(default_factory=dict)  # the config as dotted keys: optimizer.learning_rate
    name: str = ""  # how compare names the run: its folder's name (see `read_runs` for namesakes)

    @property
    def kind(self) -> str:
        return str(self.metrics.get("kind") or ("kfold" if (self.path / "history_mean.csv").exists() else "train"))

    @property
    def warnings(self) -> list[str]:
        """What the run said of its own result (metrics.json `warnings`: a model no better than its baseline)."""
        found = self.metrics.get("warnings")
        if isinstance(found, str):
            return [found]
        return [str(w) for w in found if w] if isinstance(found, list) else []

    def results(self) -> dict[str, float]:
        """The scores compare shows, as flat columns: test_<m>, val_<m> (a k-fold run's mean over its folds,
        with val_<m>_std beside it), in nnrun's metric order."""
        m = self.metrics
        out: dict[str, float] = {}
        for name, value in (m.get("test") or {}).items():
            out[f"test_{name}"] = value
        if "validation_mean" in m:
            for name, value in m["validation_mean"].items():
                out[f"val_{name}"] = value
                out[f"val_{name}_std"] = (m.get("validation_std") or {}).get(name)
        else:
            for name, value in (m.get("validation") or {}).items():
                out[f"val_{name}"] = value
        return out


def read_status(path: Path, absent: str) -> tuple[dict[str, Any], str, str | None]:
    """A run's or sweep's metrics.json, its status and a warning when something is wrong: `unreadable` (no
    metrics.json: `absent` says what that likely means; or a torn one), `crashed` (it says running, but the
    process that wrote it is gone: runs.liveness). Never raises."""
    warning = None
    try:
        metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
        if not isinstance(metrics, dict):
            raise ValueError("not a JSON object")
        status = str(metrics.get("status", "unreadable"))
    except FileNotFoundError:
        metrics, status, warning = {}, "unreadable", f"no metrics.json ({absent})"
    except (OSError, ValueError, UnicodeDecodeError) as e:
        metrics, status = {}, "unreadable"
        warning = f"metrics.json is unreadable ({type(e).__name__}: {e}); it may have been cut off while written"
    if status == "running":
        reason = gone(metrics, path)
        if reason:
            status, warning = "crashed", f"says running, but {reason}"
    return metrics, status, warning


def read_run(path: Path) -> RunRecord:
    """Read one run folder; never raises for a broken one (its status and warning say what is wrong).
    The config comes from metrics.json's copy when it has one (JSON reads ~20x faster than YAML), else
    from config.yaml."""
    metrics, status, warning = read_status(path, "the run never started, or this is not a run")
    config = metrics.get("config")
    if not isinstance(config, dict):
        config = _read_config(path / "config.yaml")
    if status in ("crashed", "unreadable") and "epochs_run" not in metrics:
        history = read_history(path / "history.csv")
        if history:
            metrics = {**metrics, "epochs_run": int(history[-1]["epoch"])}
    metrics.setdefault("name", config.get("name"))
    return RunRecord(path, status, metrics, config, warning, flatten(config), path.name)


def read_runs(paths: list[Path]) -> list[RunRecord]:
    """read_run for each path; runs whose folders share a name (runs/*/final) are named by their path instead."""
    records = [read_run(p) for p in paths]
    counts: dict[str, int] = {}
    for record in records:
        counts[record.name] = counts.get(record.name, 0) + 1
    for record in records:
        if counts[record.name] > 1:
            record.name = str(record.path)
    return records


def _read_config(path: Path) -> dict[str, Any]:
    """config.yaml's mapping; {} when missing or unreadable (the run is still shown, with what its metrics say)."""
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def flatten(value: Any, prefix: str = "", whole: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """{"optimizer": {"name": "sgd"}, "layers": [{"units": 8}]} -> {"optimizer.name": "sgd", "layers[0].units": 8}.
    Lists of plain values (metrics, features, inline data) stay one value, and so do the keys in `whole`."""
    out: dict[str, Any] = {}
    if prefix in whole:
        out[prefix] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key), whole))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]", whole))
    else:
        out[prefix] = value
    return out


def is_run_folder(path: Path) -> bool:
    """A folder nnrun wrote a run into (any of its files), or one named like a run (a crash can leave it empty)."""
    return path.is_dir() and (any((path / f).exists() for f in _RUN_FILES) or bool(_STAMP.match(path.name)))


def find_runs(arguments: list[str], default: Path = Path("runs")) -> list[Path]:
    """The run folders the arguments name: run folders, folders of runs (their runs, one level down), and glob
    patterns of either (expanded here when the shell did not). No arguments: every run under `default`."""
    if not arguments:
        return sorted(p for p in default.iterdir() if is_run_folder(p)) if default.is_dir() else []
    found: dict[Path, None] = {}
    for argument in arguments:
        paths = [Path(p) for p in sorted(glob.glob(argument))] if glob.has_magic(argument) else [Path(argument)]
        if not paths or not any(p.exists() for p in paths):
            raise RunError(f"{argument}: no such run folder" + (" (the pattern matches nothing)" if glob.has_magic(argument) else ""))
        for path in paths:
            if is_run_folder(path):
                found[path] = None
            elif path.is_dir():
                found.update((p, None) for p in sorted(path.iterdir()) if is_run_folder(p))
            elif not glob.has_magic(argument):
                raise RunError(f"{argument}: not a run folder (a file); give the folder that holds it")
    return list(found)
