"""`nnrun sweep`: read and check the sweep file, make (or reopen) its folder, and drive the search.

result = start("configs/boston-search.yaml", runs_dir=Path("runs"))     # a new sweep folder
result = resume(Path("runs/20261130-101500-boston-search"))             # the same sweep, continued
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnrun.config.yamlfile import dump_yaml
from nnrun.errors import ConfigError, RunError
from nnrun.sweep import space as spaces
from nnrun.sweep.driver import Driver, Plan, Progress, Result
from nnrun.sweep.executor import Executor, LocalExecutor
from nnrun.sweep.file import SweepFile, load_sweep
from nnrun.sweep.folder import SweepFolder

# What a resumed sweep may change: how many trials, and how many at once. Anything else would mix two searches.
RESUMABLE = ("trials", "parallel")
# Seconds between two drawings of the pictures while the sweep runs (and before the first): a drawing takes 2-3 s
# of a core here, which the trials running meanwhile would otherwise have had.
DRAW_EVERY = 30.0


class SearchSpace:
    """The sweep file's parameters as the driver takes them (driver.Space)."""

    def __init__(self, sweep: SweepFile):
        self.sweep = sweep
        self.parameters = list(sweep.parameters)

    def distributions(self) -> dict[str, Any]:
        return spaces.distributions(self.sweep.parameters)

    def grid(self) -> list[dict[str, Any]] | None:
        if self.sweep.method != "grid":
            return None
        return [spaces.encode(self.sweep.parameters, point) for point in spaces.grid(self.sweep.parameters)]

    def values(self, params: dict[str, Any]) -> dict[str, Any]:
        return spaces.decode(self.sweep.parameters, params)

    def overrides(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        # Every trial trains from the sweep's seed (unless the seed is searched): trials differ by their values.
        out = spaces.overrides(values, seed=None if "seed" in values else self.sweep.seed)
        if self.sweep.score == "kfold":  # scored on its folds: a refit on the test rows would be wasted, and unseen
            out.append(("kfold.refit=false", "score: kfold (a trial is scored on its folds)"))
        return out


def check(path: str | Path, overrides: list[str | tuple[str, str]] | tuple = ()) -> SweepFile:
    """The sweep file read, its base config loaded and every parameter checked against it (ConfigError)."""
    sweep = load_sweep(path, overrides)
    spaces.validate(sweep, sweep.base)
    return sweep


def plan_of(sweep: SweepFile, base_config: Path, device: str = "auto") -> Plan:
    """The driver's Plan of a checked sweep whose base config is `base_config`."""
    base = sweep.base
    et = sweep.early_terminate
    return Plan(
        name=sweep.name,
        config=base_config,
        method=sweep.method,
        metric=sweep.metric.name,
        goal=sweep.metric.goal,
        trials=sweep.trials,
        parallel=sweep.parallel,
        seed=sweep.seed,
        score=sweep.score,
        space=SearchSpace(sweep),
        k=None,
        pruner=et.type if et is not None else None,
        min_epochs=et.min_epochs if et is not None else 1,
        max_epochs=base.epochs,
        device=device,
        backend=None if any(p == "backend" for p in sweep.parameters) else base.backend,
    )


def start(
    path: str | Path,
    overrides=(),
    runs_dir: Path = Path("runs"),
    device: str = "auto",
    progress: Progress | None = None,
    executor: Callable[[int, Path], Executor] | None = None,
    announce: Callable[[SweepFile, Path], None] = lambda sweep, folder: None,
) -> Result:
    """Check the sweep, make its folder (sweep.yaml, base.yaml) and run every trial. Raises ConfigError before
    anything is written; what happens after is in the Result (and the folder)."""
    sweep = check(path, overrides)
    resolved = sweep.resolved()
    resolved["config"] = "base.yaml"  # the folder's own copy: the sweep runs (and resumes) from what was checked
    folder = SweepFolder.create(runs_dir, sweep.name, resolved)
    base_text = dump_yaml(_portable(sweep.base.resolved(), sweep.config_path))
    (folder.path / "base.yaml").write_text(base_text, encoding="utf-8")
    announce(sweep, folder.path)
    return _drive(sweep, folder, device, progress, executor)


def resume(
    folder_path: Path,
    overrides=(),
    device: str = "auto",
    progress: Progress | None = None,
    executor: Callable[[int, Path], Executor] | None = None,
    announce: Callable[[SweepFile, Path], None] = lambda sweep, folder: None,
) -> Result:
    """Continue a stopped sweep in `folder_path`: finished trials are kept, interrupted ones run again, the
    trial count is honoured. `overrides` may change trials and parallel only (ConfigError otherwise)."""
    sweep_file = folder_path / "sweep.yaml"
    if not sweep_file.is_file() or not (folder_path / "study.journal").is_file():
        raise RunError(
            f"{folder_path}: not a sweep folder (no sweep.yaml and study.journal in it); "
            "--resume takes the folder `nnrun sweep` made"
        )
    _not_running(folder_path)
    before = check(sweep_file).resolved()
    sweep = check(sweep_file, overrides)
    changed = [key for key, value in sweep.resolved().items() if key not in RESUMABLE and before.get(key) != value]
    if changed:
        key = changed[0]
        own = "" if isinstance(before.get(key), (dict, list)) else f" ({before.get(key)} in its sweep.yaml)"
        raise ConfigError(
            f"--resume {folder_path}: {key} differs from the sweep's own{own}; a resumed sweep keeps its "
            f"search (only {' and '.join(RESUMABLE)} may change): start a new sweep for a different one"
        )
    folder = SweepFolder.open(folder_path)
    announce(sweep, folder.path)
    return _drive(sweep, folder, device, progress, executor)


def _not_running(folder_path: Path) -> None:
    """RunError when the sweep in `folder_path` is still running: two drivers would run its trials twice."""
    from nnrun.runs.record import read_status

    metrics, status, _ = read_status(folder_path, "not a sweep folder")  # `crashed` once its driver is gone
    if status == "running":
        raise RunError(
            f"--resume {folder_path}: this sweep is still running (pid {metrics.get('pid')} on "
            f"{metrics.get('host')}); stop it first (Ctrl-C where it runs, or kill {metrics.get('pid')}), "
            "then resume it"
        )


def _drive(
    sweep: SweepFile,
    folder: SweepFolder,
    device: str,
    progress: Progress | None,
    executor: Callable[[int, Path], Executor] | None,
) -> Result:
    plan = plan_of(sweep, folder.path / "base.yaml", device)
    make = executor or (lambda slots, log: LocalExecutor(slots, log, backend=plan.backend, device=device))
    return Driver(plan, folder, make(plan.parallel, folder.path / "workers.log"), progress, _draw()).run()


def _draw() -> Callable[[Path, bool, bool], bool]:
    """The sweep's pictures (views/sweep_plots.draw): while the sweep runs, at most every DRAW_EVERY seconds
    (the first DRAW_EVERY seconds after it starts), or whenever a worker is `idle` with no trial left to start,
    in a thread, so that the driver hears the trials that end meanwhile and starts the next ones; always at the
    end (final=True), at once, after the thread's drawing. Says whether it drew (or started drawing)."""
    import threading

    from nnrun.views.sweep_plots import draw

    last = [time.monotonic()]
    drawing: list[threading.Thread] = []

    def quietly(folder: Path) -> None:
        try:
            draw(folder)
        except Exception:  # noqa: BLE001 - a picture that cannot be drawn must not stop the search
            pass

    def throttled(folder: Path, final: bool = False, idle: bool = False) -> bool:
        busy = bool(drawing) and drawing[0].is_alive()
        if final:
            if busy:
                drawing[0].join()
            draw(folder)
            return True
        if busy or (not idle and time.monotonic() - last[0] < DRAW_EVERY):
            return False
        # daemon: a sweep that ends (or is killed) does not wait for a picture of a state already past
        drawing[:] = [threading.Thread(target=quietly, args=(folder,), name="sweep pictures", daemon=True)]
        drawing[0].start()
        last[0] = time.monotonic()
        return True

    return throttled


def _portable(config: dict[str, Any], config_path: Path) -> dict[str, Any]:
    """The base config as the sweep folder keeps it: a CSV named relative to the original config's folder is
    written with its absolute path, so base.yaml reads the same data from the sweep folder."""
    path = (config.get("dataset") or {}).get("path")
    if path and not Path(path).is_absolute() and (config_path.parent / path).is_file():
        config["dataset"]["path"] = str((config_path.parent / path).resolve())
    return config
