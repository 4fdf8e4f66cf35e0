"""`nnrun train`: data -> model -> fit (with progress, history, divergence guard) -> evaluate -> run folder.

Imports Keras at module level: import this module only once the backend has been chosen (backend.activate).
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from nnrun import __version__
from nnrun.backend import Activated
from nnrun.callbacks import DivergenceGuard, EpochProgress, HistoryWriter
from nnrun.data import Arrays
from nnrun.data.registry import data_dir
from nnrun.plots import history_png
from nnrun.runs import Clock, RunFolder, higher_is_better, now_iso, ordered, read_history
from nnrun.pipeline import Options
from nnrun.spec import Spec, dump_yaml


@dataclass
class Outcome:
    """A finished run: its folder, final status and metrics.json content."""

    run: RunFolder
    status: str
    metrics: dict[str, Any]


def describe(spec: Spec, model: keras.Model, arrays: Arrays, act: Activated, epochs: int) -> str:
    """One line saying what is about to train, on what, where."""
    sizes = [f"{len(arrays.x_train)} train"]
    sizes += [f"{len(a)} {n}" for a, n in ((arrays.x_val, "validation"), (arrays.x_test, "test")) if a is not None]
    return (f"{spec.name}: {model.count_params():,} params, {epochs} epochs, batch {spec.batch_size}; rows: "
            f"{', '.join(sizes)}; {act.backend} on {act.device}")


def fit_run(
    run: RunFolder, spec: Spec, model: keras.Model, arrays: Arrays, act: Activated, options: Options,
    epochs: int, label: str = "",
) -> Outcome:
    """Train `model` and write the complete run folder; the folder's metrics.json always ends with a final status."""
    clock = Clock()
    metrics: dict[str, Any] = {
        "status": "running", "kind": "train", "name": spec.name, "started": now_iso(), "epochs": epochs,
        "params": int(model.count_params()), "pid": os.getpid(), "host": socket.gethostname(),
    }
    try:
        run.write_json("metrics.json", metrics)  # first: from here on the folder says what happened
    except BaseException:
        shutil.rmtree(run.path, ignore_errors=True)
        raise
    guard = DivergenceGuard()
    callbacks: list[keras.callbacks.Callback] = [HistoryWriter(run), guard]
    if spec.early_stopping is not None:
        callbacks.append(keras.callbacks.EarlyStopping(**spec.early_stopping.model_dump(), verbose=0))
    if not options.quiet:
        callbacks.append(EpochProgress(options.console, epochs, label))
    validation = (arrays.x_val, arrays.y_val) if arrays.x_val is not None else None
    try:
        with _sigterm_as_interrupt():
            run.write_text("config.yaml", dump_yaml(saved_config(spec, arrays)))
            run.write_json("env.json", environment(spec, act, options))
            run.write_json("preprocess.json", arrays.preprocess.to_json())
            run.write_text("summary.txt", summary_text(spec, model))
            fit_clock = Clock()
            model.fit(arrays.x_train, arrays.y_train, validation_data=validation, epochs=epochs,
                      batch_size=spec.batch_size, verbose=0, callbacks=callbacks)
            metrics["fit_s"] = fit_clock.seconds()
            metrics.update(evaluate(model, arrays, spec.batch_size))
            metrics["baseline"] = baseline(arrays, spec.loss)
            save_model(model, run.path / "model.keras")
    except BaseException as error:
        _record_stop(run, metrics, error, clock, model)
        raise
    finally:
        run.close()
    history = read_history(run.path / "history.csv")
    metrics.update(
        status="diverged" if guard.diverged_at else "completed", finished=now_iso(), duration_s=clock.seconds(),
        epochs_run=len(history), **_best(spec, history),
    )
    if guard.diverged_at:
        metrics["diverged_at"] = guard.diverged_at
    history_png(history, run.path / "history.png", f"{spec.name} ({metrics['status']})")
    run.write_json("metrics.json", metrics)
    return Outcome(run, metrics["status"], metrics)


def _record_stop(run: RunFolder, metrics: dict, error: BaseException, clock: Clock, model: keras.Model) -> None:
    """Write what is known about a run that was interrupted or failed: status, error, history plot, model."""
    interrupted = isinstance(error, KeyboardInterrupt)
    history = read_history(run.path / "history.csv")
    metrics.update(status="interrupted" if interrupted else "failed", finished=now_iso(), duration_s=clock.seconds(),
                   epochs_run=len(history))
    if not interrupted:
        metrics["error"] = {"type": type(error).__name__, "message": str(error).strip().splitlines()[0][:500]
                            if str(error).strip() else ""}
        run.write_text("error.txt", "".join(traceback.format_exception(error)))
    try:
        if history:
            history_png(history, run.path / "history.png", f"{metrics['name']} ({metrics['status']})")
        if interrupted and history:
            save_model(model, run.path / "model.keras")
    finally:
        run.write_json("metrics.json", metrics)


def evaluate(model: keras.Model, arrays: Arrays, batch_size: int) -> dict[str, dict[str, float]]:
    """Loss and metrics on each split that exists: {"train": {...}, "validation": {...}, "test": {...}}."""
    out = {}
    for split, x, y in (("train", arrays.x_train, arrays.y_train), ("validation", arrays.x_val, arrays.y_val),
                        ("test", arrays.x_test, arrays.y_test)):
        if x is not None:
            result = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
            out[split] = {k: float(np.asarray(result[k])) for k in ordered(result)}
    return out


def baseline(arrays: Arrays, loss: str | dict) -> dict[str, Any]:
    """What a model that ignores the features scores, on each split that exists: the training rows' majority
    class (accuracy) and class shares (cross-entropy loss) for classification; their mean (mse, mae) otherwise."""
    from nnrun.data.target import loss_name

    def ids(y):
        return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y)).astype(np.int64)

    pre, name = arrays.preprocess, loss_name(loss)
    classification = pre.task == "classification"
    out: dict[str, Any] = {}
    if classification:
        shares = np.bincount(ids(arrays.y_train), minlength=len(pre.classes)) / len(arrays.y_train)
        majority = int(shares.argmax())
        out["rule"] = f"always {pre.classes[majority]!s} (the most frequent training class)"
    else:
        mean = float(np.mean(arrays.y_train))
        out["rule"] = f"always {mean:.4g} (the training mean)"
    for split, y in (("train", arrays.y_train), ("validation", arrays.y_val), ("test", arrays.y_test)):
        if y is None:
            continue
        if classification:
            scores = {"accuracy": float(np.mean(ids(y) == majority))}
            if "crossentropy" in name:  # the class shares as predicted probabilities
                p = np.clip(shares[ids(y)], 1e-7, 1.0)
                scores["loss"] = float(-np.mean(np.log(p)))
        else:
            err = y.reshape(len(y)).astype(np.float64) - mean
            scores = {"mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err)))}
            if name in ("mse", "meansquarederror"):
                scores["loss"] = scores["mse"]
            elif name in ("mae", "meanabsoluteerror"):
                scores["loss"] = scores["mae"]
        out[split] = scores
    return out


def _best(spec: Spec, history: list[dict[str, float]]) -> dict[str, Any]:
    """The best epoch by the early-stopping monitor, else val_loss, else loss."""
    if not history:
        return {}
    monitor = spec.early_stopping.monitor if spec.early_stopping else ("val_loss" if "val_loss" in history[0] else "loss")
    if monitor not in history[0]:
        return {}
    values = [row.get(monitor, float("nan")) for row in history]
    finite = [(v, i) for i, v in enumerate(values) if np.isfinite(v)]
    if not finite:
        return {}
    value, index = (max if higher_is_better(monitor) else min)(finite)
    best = {"best_epoch": int(history[index]["epoch"]), "best": {"monitor": monitor, "value": value}}
    if spec.early_stopping is not None:
        best["stopped_early"] = len(history) < spec.epochs
    return best


def saved_config(spec: Spec, arrays: Arrays) -> dict[str, Any]:
    """The resolved config as the run saves it: a CSV found next to the original config is written with its
    absolute path, so the saved config runs from the run folder too; data-directory names stay portable."""
    config = spec.resolved()
    located = (arrays.preprocess.csv or {}).get("path")
    if located and Path(located).parent != data_dir().resolve():
        config["dataset"]["path"] = located
    return config


def save_model(model: keras.Model, path: Path) -> None:
    """Save atomically: Keras writes a temporary .keras file next to `path`, then it is renamed over it."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def summary_text(spec: Spec, model: keras.Model) -> str:
    """The Keras model summary plus how it was compiled."""
    parts: list[str] = []
    # Keras renders the table in a Rich console as wide as $COLUMNS (80 when unset) and cuts what does not fit.
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        model.summary(print_fn=lambda text, **_: parts.append(text), line_length=100)
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    metrics = ", ".join(str(m) for m in spec.metrics) or "none"
    parts.append(f"loss: {spec.loss}\noptimizer: {spec.optimizer}\nmetrics: {metrics}\n")
    return "\n".join(p.rstrip("\n") for p in parts) + "\n"


def environment(spec: Spec, act: Activated, options: Options) -> dict[str, Any]:
    """env.json: versions, backend, device, seed, command line and git commit."""
    return {
        "nnrun": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "keras": act.keras_version,
        "backend": act.backend,
        "backend_version": act.backend_version,
        "device": act.device,
        "seed": spec.seed,
        "command": shlex.join(["nnrun", *sys.argv[1:]]) if sys.argv and "nnrun" in Path(sys.argv[0]).name else shlex.join(sys.argv),
        "cwd": str(Path.cwd()),
        "git": _git(spec.config_dir),
        "smoke": options.smoke,
    }


def _git(folder: Path) -> dict[str, Any] | None:
    """The commit (and whether the tree has changes) of the git repository holding the config, if any."""
    try:
        commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
        return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


@contextmanager
def _sigterm_as_interrupt():
    """Treat SIGTERM like Ctrl-C while training, so `kill` leaves an `interrupted` run, not a `running` one."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
