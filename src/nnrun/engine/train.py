"""`nnrun train`: data -> model -> fit (with progress, history, divergence guard) -> evaluate -> run folder.

Imports Keras at module level: import this module only once the backend has been chosen (backend.activate).
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nnrun import __version__
from nnrun.config.schema import Spec
from nnrun.config.yamlfile import dump_yaml
from nnrun.data import Arrays, Preprocess
from nnrun.data.registry import data_dir
from nnrun.engine.backend import Activated
from nnrun.engine.callbacks import DivergenceGuard, EpochListener, EpochProgress, HistoryWriter, StopRequest, scalars
from nnrun.engine.fitting import fit
from nnrun.engine.model import directions, param_counts, performance
from nnrun.engine.options import Options
from nnrun.errors import first_line
from nnrun.runs.folder import Clock, RunFolder, direction, now_iso, read_history
from nnrun.runs.liveness import identity
from nnrun.runs.outcome import Outcome
from nnrun.runs.verdict import Hints, baseline_warning
from nnrun.views.plots import history_png
from nnrun.views.report import params_text, plural


def describe(spec: Spec, model: keras.Model, arrays: Arrays, act: Activated, epochs: int) -> str:
    """One line saying what is about to train, on what, where. With --smoke (arrays cut to their first rows), the
    rows say how many of each split's rows are used: 'rows: 64 of 700 train, 32 of 68 test'."""
    split = arrays.split
    parts = [
        (len(a), len(rows), name)
        for a, rows, name in (
            (arrays.x_train, split.train, "train"),
            (arrays.x_val, split.validation, "validation"),
            (arrays.x_test, split.test, "test"),
        )
        if a is not None
    ]
    sizes = [f"{used} {name}" if used == whole else f"{used} of {whole} {name}" for used, whole, name in parts]
    smoke = " (--smoke: the first rows of each split)" if any(used < whole for used, whole, _ in parts) else ""
    return (
        f"{spec.name}: {params_text(*param_counts(model))}, {plural(epochs, 'epoch')}, batch {spec.batch_size}; rows"
        f"{smoke}: {', '.join(sizes)}; {act.backend} on {act.where}"
    )


def fit_run(
    create: Callable[[], RunFolder],
    spec: Spec,
    model: keras.Model,
    arrays: Arrays,
    act: Activated,
    options: Options,
    epochs: int,
    label: str = "",
    about: dict[str, Any] | None = None,
    stop: StopRequest | None = None,
    lines: int = 20,
) -> Outcome:
    """Create the run folder with `create`, train `model` and write every artifact.

    From the first file on, the folder's metrics.json says what happened, whatever happens: Ctrl-C and SIGTERM
    are handled for the whole call, and any exception (a second Ctrl-C's KeyboardInterrupt included) is recorded
    and returned as the Outcome's `error`, with status failed or interrupted. Only an exception before the
    folder exists (from `create`) propagates. `about` adds entries to metrics.json (a fold's kind and number);
    `stop` shares one Ctrl-C handler across several runs (the folds of a k-fold run); `lines` is how many
    progress lines a run prints when the output is not a terminal."""
    stop = stop or StopRequest()
    with stop.handling_signals():
        clock = Clock()
        config = saved_config(spec, arrays.preprocess)
        metrics: dict[str, Any] = {
            "status": "running",
            "kind": "train",
            "name": spec.name,
            **(about or {}),
            "started": now_iso(),
            "epochs": epochs,
            **params_json(model),
            "rows": split_rows(arrays),
            "directions": directions(model),
            **identity(),
            "config": config,  # the resolved config again, as JSON: compare reads one small file per run
        }
        run = RunFolder.start(create, metrics)
        guard = DivergenceGuard()
        early = (
            keras.callbacks.EarlyStopping(**spec.early_stopping.model_dump(), verbose=0)
            if spec.early_stopping is not None
            else None
        )
        progress = EpochProgress(options.console, epochs, label, lines) if options.shows_progress else None
        fold = (about or {}).get("fold") or ("final" if (about or {}).get("kind") == "refit" else None)
        listener = EpochListener(options.on_epoch, epochs, fold, stop) if options.on_epoch is not None else None
        # The listener before `stop`: a stop it asks for takes effect at this epoch's end.
        callbacks = [c for c in (HistoryWriter(run), guard, listener, stop, early, progress) if c is not None]
        validation = (arrays.x_val, arrays.y_val) if arrays.x_val is not None else None
        try:
            run.write_text("config.yaml", dump_yaml(config))
            run.write_json("env.json", environment(spec, act, options, model))
            run.write_json("preprocess.json", arrays.preprocess.to_json())
            run.write_text("summary.txt", summary_text(spec, model))
            fit_clock = Clock()
            if not stop.requested:
                fit(
                    model,
                    arrays.x_train,
                    arrays.y_train,
                    validation,
                    epochs,
                    spec.batch_size,
                    callbacks,
                    auto=spec.steps_per_execution == "auto",
                )
            metrics["fit_s"] = fit_clock.seconds()
            history = read_history(run.path / "history.csv")
            status = (
                "interrupted"
                if stop.requested and len(history) < epochs
                else "diverged"
                if guard.diverged_at
                else "completed"
            )
            if status == "interrupted":
                metrics["interrupted_by"] = stop.requested
                metrics.update(last_epoch(history))
            else:
                metrics.update(evaluate(model, arrays, spec.batch_size))
            metrics["baseline"] = baseline(arrays, spec.loss)
            save_model(model, run.path / "model.keras")
            metrics.update(
                status=status,
                finished=now_iso(),
                duration_s=clock.seconds(),
                epochs_run=len(history),
                **_best(spec, history, early, metrics),
            )
            if early is not None and early.stopped_epoch > 0:
                metrics["early_stop"] = early_stop(spec, early, epochs, len(history))
            if guard.diverged_at:
                metrics["diverged_at"] = guard.diverged_at
            if status == "completed" and not options.smoke:  # a --smoke epoch is not meant to learn
                warning = baseline_warning(
                    {s: metrics[s] for s in ("train", "validation", "test") if s in metrics},
                    metrics["baseline"],
                    hints(spec, arrays, metrics),
                    run_metrics=metrics,
                )
                metrics["warnings"] = [warning] if warning else []
            if status == "completed" and metrics.get("kind") != "fold" and arrays.preprocess.task == "classification":
                confusion = write_confusion(run, model, arrays, spec, pictures=options.pictures)
                if confusion is not None:
                    metrics["confusion"] = confusion
            if options.pictures:
                history_png(history, run.path / "history.png", metrics)  # last: it shows the scores and the baseline
            run.write_json("metrics.json", metrics)
        except BaseException as error:  # noqa: BLE001 - recorded, and returned: a failed run is a value
            record_stop(run, metrics, error, clock, *_train_stop(run, metrics, error, model, options.pictures))
            return Outcome(metrics["status"], run.path, metrics, error=error)
        finally:
            run.close()
            if progress is not None:
                progress.close()
    return Outcome(metrics["status"], run.path, metrics)


def last_epoch(history: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """The last finished epoch's logs as {"train": {...}, "validation": {...}} (an interrupted run's metrics)."""
    if not history:
        return {}
    row = {k: v for k, v in history[-1].items() if k != "epoch"}
    out = {"train": {k: v for k, v in row.items() if not k.startswith("val_")}}
    validation = {k.removeprefix("val_"): v for k, v in row.items() if k.startswith("val_")}
    return {**out, "validation": validation} if validation else out


def record_stop(
    run: RunFolder,
    metrics: dict,
    error: BaseException,
    clock: Clock,
    about: dict[str, Any] | None = None,
    steps: list[tuple[str, Callable[[], None]]] = (),
) -> None:
    """Write what is known about a run (or a k-fold run) stopped by an exception or a second Ctrl-C: its
    status and `about` it (how far it got), the error and error.txt, then each of `steps` (name, write) and
    metrics.json last. Each step is best
    effort, so none of them can hide the original error or leave `running` behind; one that fails is named in
    metrics.json `not_written`."""
    interrupted = isinstance(error, KeyboardInterrupt)
    metrics.update(
        status="interrupted" if interrupted else "failed",
        finished=now_iso(),
        duration_s=clock.seconds(),
        **(about or {}),
    )
    if interrupted:
        metrics["interrupted_by"] = "KeyboardInterrupt (stopped at once, mid-epoch)"
    else:
        metrics["error"] = {"type": type(error).__name__, "message": first_line(error)[:500]}
        steps = [("error.txt", lambda: run.write_text("error.txt", "".join(traceback.format_exception(error)))), *steps]
    for name, step in steps:
        try:
            step()
        except Exception as e:  # noqa: BLE001 - recorded instead: the original error is what matters
            metrics.setdefault("not_written", {})[name] = f"{type(e).__name__}: {first_line(e)}"
    run.write_json("metrics.json", metrics)


def _train_stop(run: RunFolder, metrics: dict, error: BaseException, model: keras.Model, pictures: bool = True):
    """What a stopped train run still records, as record_stop takes it: how many epochs it ran and the last
    one's logs; history.png (with `pictures`), and the model of an interrupted run (it is what the finished
    epochs made)."""
    history = read_history(run.path / "history.csv")
    steps = []
    if history and pictures:
        steps.append(("history.png", lambda: history_png(history, run.path / "history.png", metrics)))
    if isinstance(error, KeyboardInterrupt) and history:
        steps.append(("model.keras", lambda: save_model(model, run.path / "model.keras")))
    return {"epochs_run": len(history), **last_epoch(history)}, steps


def evaluate(model: keras.Model, arrays: Arrays, batch_size: int) -> dict[str, dict[str, float]]:
    """Loss and metrics on each split that exists: {"train": {...}, "validation": {...}, "test": {...}}."""
    out = {}
    for split, x, y in (
        ("train", arrays.x_train, arrays.y_train),
        ("validation", arrays.x_val, arrays.y_val),
        ("test", arrays.x_test, arrays.y_test),
    ):
        if x is not None:
            result = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
            out[split] = scalars(result)
    return out


def baseline(arrays: Arrays, loss: str | dict) -> dict[str, Any]:
    """What a model that ignores the features scores, on each split that exists: the training rows' majority
    class (accuracy) and class shares (cross-entropy loss) for classification; their mean (mse, mae) otherwise."""
    from nnrun.config.task import loss_name

    def ids(y):
        return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y)).astype(np.int64)

    pre, name = arrays.preprocess, loss_name(loss)
    classification = pre.task == "classification"
    out: dict[str, Any] = {}
    if classification:
        shares = np.bincount(ids(arrays.y_train), minlength=len(pre.classes)) / len(arrays.y_train)
        majority = int(shares.argmax())
        out["rule"] = f"always class '{pre.classes[majority]!s}' (the most frequent training class)"
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


def _best(spec: Spec, history: list[dict[str, float]], early, metrics: dict[str, Any]) -> dict[str, Any]:
    """The best epoch by the early-stopping monitor, else val_loss, else loss (which way is better: the run's
    `metrics`, runs.folder.direction); and whether training stopped early."""
    if not history:
        return {}
    monitor = early.monitor if early is not None else ("val_loss" if "val_loss" in history[0] else "loss")
    values = [(row[monitor], i) for i, row in enumerate(history) if np.isfinite(row.get(monitor, np.nan))]
    if not values:
        return {}
    value, index = (max if direction(metrics, monitor) == "max" else min)(values)
    best = {"best_epoch": int(history[index]["epoch"]), "best": {"monitor": monitor, "value": value}}
    if early is not None:
        best["stopped_early"] = early.stopped_epoch > 0
        if early.restore_best_weights and early.best_weights is not None:  # Keras restores them at the end of fit
            best["restored_epoch"] = int(early.best_epoch) + 1
    return best


def early_stop(spec: Spec, early: keras.callbacks.EarlyStopping, epochs: int, epochs_run: int) -> dict[str, Any]:
    """metrics.json's `early_stop` of a run early stopping ended: the epoch it stopped at (1-based) of `epochs`,
    why (monitor, patience, min_delta), and the epoch whose weights the model holds when restore_best_weights
    brought them back (None: the last epoch's weights were kept)."""
    es = spec.early_stopping
    restored = early.restore_best_weights and early.best_weights is not None
    return {
        "epoch": epochs_run,
        "epochs": epochs,
        "monitor": es.monitor,
        "patience": es.patience,
        "min_delta": es.min_delta,
        "restored_epoch": int(early.best_epoch) + 1 if restored else None,
    }


UNSCALED = 10.0  # features beyond +-10 are not on the scale a network's default initialisation expects


def hints(spec: Spec, arrays: Arrays, metrics: dict[str, Any]) -> Hints:
    """What verdict's fixes depend on, for a run on `arrays`: the largest feature value when the features were
    not scaled (word indices never are), the epochs run and whether early stopping ended it."""
    unscaled = None
    x = arrays.x_train
    numbers = x.size and np.issubdtype(x.dtype, np.number)
    if spec.dataset.scale == "none" and spec.dataset.encode != "sequence" and numbers:
        largest = float(np.nanmax(np.abs(x)))
        unscaled = largest if largest > UNSCALED else None
    return Hints(unscaled, int(metrics.get("epochs_run") or 0), bool(metrics.get("stopped_early")))


def split_rows(arrays: Arrays) -> dict[str, int]:
    """How many rows each split holds: {"train": ..., "validation": ..., "test": ...} (the splits that exist)."""
    return {
        split: len(x)
        for split, x in (("train", arrays.x_train), ("validation", arrays.x_val), ("test", arrays.x_test))
        if x is not None
    }


def write_confusion(
    run: RunFolder, model: keras.Model, arrays: Arrays, spec: Spec, pictures: bool = True
) -> dict[str, Any] | None:
    """confusion.csv and confusion.png of the test rows (the validation rows when there are none), and samples.png
    of them when they are images; without `pictures`, confusion.csv alone."""
    from nnrun.views import confusion

    split, x, y = next(
        (
            (s, x, y)
            for s, x, y in (("test", arrays.x_test, arrays.y_test), ("validation", arrays.x_val, arrays.y_val))
            if x is not None
        ),
        (None, None, None),
    )
    if split is None:
        return None
    logits = isinstance(spec.loss, dict) and bool(spec.loss.get("from_logits"))
    return confusion.write(
        run.path,
        model,
        x,
        y,
        list(arrays.preprocess.classes),
        arrays.preprocess.target_kind,
        split,
        logits=logits,
        batch_size=max(spec.batch_size, 256),
        name=spec.name,
        preprocess=arrays.preprocess,
        pictures=pictures,
    )


def saved_config(spec: Spec, preprocess: Preprocess) -> dict[str, Any]:
    """The resolved config as the run saves it: a CSV found next to the original config is written with its
    absolute path, so the saved config runs from the run folder too; data-directory names stay portable."""
    config = spec.resolved()
    located = (preprocess.csv or {}).get("path")
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


def params_json(model: keras.Model) -> dict[str, int]:
    """metrics.json's `params` (every weight of the model) and `trainable_params`."""
    total, trainable = param_counts(model)
    return {"params": total, "trainable_params": trainable}


def summary_text(spec: Spec, model: keras.Model) -> str:
    """The Keras model summary plus how it was compiled. Keras's own totals (which add the optimizer's state
    once it is built) are replaced by the count the console, metrics.json and `nnrun show` give."""
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
    text = "\n".join(p.rstrip("\n") for p in parts)
    text = re.sub(r"^ *(Total|Trainable|Non-trainable|Optimizer) params:.*\n?", "", text, flags=re.MULTILINE)
    metrics = ", ".join(str(m) for m in spec.metrics) or "none"
    return (
        f"{text.rstrip()}\nmodel: {params_text(*param_counts(model))}\n"
        f"loss: {spec.loss}\noptimizer: {spec.optimizer}\nmetrics: {metrics}\n"
    )


def environment(spec: Spec, act: Activated, options: Options, model: keras.Model) -> dict[str, Any]:
    """env.json: versions, backend, device, seed, the performance settings, command line and git commit."""
    return {
        "nnrun": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "keras": act.keras_version,
        "backend": act.backend,
        "backend_version": act.backend_version,
        "device": act.device,
        "device_name": act.device_name,
        "device_memory_gib": act.device_memory_gib,
        "seed": spec.seed,
        "performance": performance(spec, model),
        "command": command_line(),
        "cwd": str(Path.cwd()),
        "git": _git(spec.config_dir),
        "smoke": options.smoke,
    }


def command_line() -> str:
    """How this process was started, as a user would type it again: `nnrun train ...`, `python -m nnrun train ...`."""
    program = Path(sys.argv[0]).name if sys.argv else ""
    if program == "__main__.py":
        start = ["python", "-m", "nnrun"]
    else:
        start = ["nnrun"] if "nnrun" in program else sys.argv[:1]
    return shlex.join([*start, *sys.argv[1:]])


def _git(folder: Path) -> dict[str, Any] | None:
    """The commit (and whether the tree has changes) of the git repository holding the config, if any."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None
