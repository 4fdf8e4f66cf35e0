"""Run folders: create them (never two runs in one folder), write every artifact atomically, read them back.

Standard library and PyYAML only, so reading runs stays fast.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from nnrun.errors import RunError

STATUSES = ("running", "completed", "interrupted", "failed", "diverged")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp alone makes files private (0600)


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half of it."""
    mode = "wb" if isinstance(text, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, mode, **({} if isinstance(text, bytes) else {"encoding": "utf-8", "newline": ""})) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_safe(value: Any) -> Any:
    """Plain JSON data: numpy scalars become Python ones; NaN and infinity, which JSON lacks, become null."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_json(path: Path, data: Any) -> None:
    """Atomically write `data` as indented JSON."""
    atomic_write(path, json.dumps(_json_safe(data), indent=2, ensure_ascii=False) + "\n")


class RunFolder:
    """One run's folder and the files in it."""

    def __init__(self, path: Path):
        self.path = path
        self._history: io.TextIOBase | None = None
        self._writer: csv.DictWriter | None = None

    @classmethod
    def create(cls, root: Path, name: str, now: datetime | None = None) -> RunFolder:
        """Make runs/<YYYYmmdd-HHMMSS>-<name>[-2, -3, ...] with an exclusive mkdir (safe when runs start together)."""
        stem = f"{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}-{name}"
        try:
            root.mkdir(parents=True, exist_ok=True)
            for n in range(1, 10_000):
                path = root / (stem if n == 1 else f"{stem}-{n}")
                try:
                    path.mkdir()
                except FileExistsError:
                    continue
                return cls(path)
        except OSError as e:
            raise RunError(f"--runs-dir {root}: cannot create a run folder there ({e.strerror or e})") from None
        raise RunError(f"{root}: could not create a folder for {stem}")

    @classmethod
    def at(cls, path: Path) -> RunFolder:
        """This exact folder, made with an exclusive mkdir (its parents as needed); FileExistsError if it exists."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir()
        return cls(path)

    @classmethod
    def start(cls, create: Callable[[], RunFolder], metrics: dict[str, Any]) -> RunFolder:
        """Create a run's folder with `create` and write its metrics.json before anything else, so that from
        then on the folder says what happened; if even that write fails, the folder is removed again."""
        run = create()
        try:
            run.write_json("metrics.json", metrics)
        except BaseException:
            shutil.rmtree(run.path, ignore_errors=True)
            raise
        return run

    def subfolder(self, name: str) -> RunFolder:
        """A run folder inside this one (a k-fold run's fold-1/, final/); it must not exist yet."""
        path = self.path / name
        path.mkdir()
        return RunFolder(path)

    def write_json(self, name: str, data: Any) -> None:
        write_json(self.path / name, data)

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.path / name, text)

    def append_history(self, row: dict[str, float]) -> None:
        """Append one epoch to history.csv and flush it, so a crash keeps every finished epoch."""
        if self._writer is None:
            self._history = open(self.path / "history.csv", "w", encoding="utf-8", newline="")
            self._writer = csv.DictWriter(self._history, fieldnames=list(row), extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerow({k: _cell(v) for k, v in row.items()})
        self._history.flush()

    def close(self) -> None:
        if self._history is not None:
            self._history.close()
            self._history, self._writer = None, None


def _cell(value: Any) -> Any:
    return repr(float(value)) if isinstance(value, float) else value


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text (header from the first row; floats written exactly), for files rewritten whole."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [], extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def ordered(names: Iterable[str]) -> list[str]:
    """Metric names in nnrun's order: loss, the metrics, then val_loss and the validation metrics."""
    names = list(names)
    train = [n for n in names if not n.startswith("val_")]
    train.sort(key=lambda n: n != "loss")
    return train + [f"val_{n}" for n in train if f"val_{n}" in names]


def read_history(path: Path) -> list[dict[str, float]]:
    """Rows of a history.csv as floats. A torn last line (a crash mid-write: no newline yet, too few cells or
    a cut number) is ignored, and so is anything after a line that does not read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    out = []
    for row in csv.DictReader(io.StringIO(text[: text.rfind("\n") + 1])):
        if None in row or None in row.values():  # more or fewer cells than the header
            break
        try:
            out.append({k: float(v) for k, v in row.items() if v != ""})
        except ValueError:
            break
    return out


def read_json(path: Path) -> Any:
    """A JSON file's data; RunError naming the file when it is missing or torn."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path}: missing; is {path.parent} a complete nnrun run folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunError(f"{path}: unreadable JSON ({e}); the run may have been cut off while writing") from None


def now_iso() -> str:
    """The local time with its offset, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Clock:
    """Wall time since creation, for duration_s."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return round(time.perf_counter() - self.start, 3)


_HIGHER = ("accuracy", "acc", "auc", "precision", "recall", "f1", "r2", "iou", "true_positives", "true_negatives")
DIRECTIONS = ("max", "min")  # metrics.json `directions`: the larger value is better, or the smaller


def higher_is_better(metric: str) -> bool:
    """nnrun's name rules, for a metric Keras says nothing about and for runs written before metrics.json recorded
    `directions`: True for metrics where a larger value is better (accuracy, auc, ...); losses, errors and
    spreads (accuracy_std) are lower-better."""
    name = metric.removeprefix("val_").lower()
    if name.endswith("_std"):
        return False
    return any(name == h or name.startswith(h) or name.endswith(h) for h in _HIGHER)


def recorded_direction(metrics: dict[str, Any], name: str) -> str | None:
    """The direction a run's metrics.json records for `name` (see `direction`), or None when it records none."""
    recorded = metrics.get("directions") if isinstance(metrics, dict) else None
    if not isinstance(recorded, dict):
        return None
    base = name.removeprefix("test_").removeprefix("val_")
    if base.endswith("_std"):
        return None
    said = recorded.get(base, recorded.get(base.split("[", 1)[0]))  # f1_score[0]: a per-class value of f1_score
    return said if said in DIRECTIONS else None


def direction(metrics: dict[str, Any], name: str) -> str:
    """Which way `name` is better in the run whose metrics.json is `metrics`: "max" or "min". `name` is a metric
    as Keras reports it, or a score column of it (test_auc, val_auc, f1_score[0]); a spread (val_mae_std) is "min".
    The run's `directions` decide (what Keras's metric said when the model was compiled); a run written before
    they were recorded, or a name they lack, falls back to nnrun's name rules (`higher_is_better`)."""
    base = name.removeprefix("test_").removeprefix("val_")
    if base.endswith("_std"):
        return "min"
    return recorded_direction(metrics, name) or ("max" if higher_is_better(base) else "min")


def kept_epoch(metrics: dict[str, Any]) -> tuple[int | None, str]:
    """The epoch whose weights the run kept, and why: early stopping's restored epoch (restore_best_weights),
    else the last epoch trained."""
    if metrics.get("restored_epoch"):
        best = metrics.get("best") or {}
        why = f"best {best['monitor']}, restored" if best.get("monitor") else "restored by early stopping"
        return int(metrics["restored_epoch"]), why
    if metrics.get("epochs_run"):
        return int(metrics["epochs_run"]), "the last"
    return None, ""
