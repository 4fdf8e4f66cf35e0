"""`nnrun kfold`: one fresh model per fold, the mean validation curve over the folds, then an optional refit.

    runs/<stamp>-<name>/
      config.yaml env.json folds.json metrics.json history_mean.csv history.png
      fold-1/ ... fold-k/   each a complete train run whose validation rows are the held-out fold
      final/                with kfold.refit: trained on every training row, scored on the test rows

Imports Keras (through train.py): import this module only once the backend has been chosen.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from typing import Any

import keras

from nnrun.config.schema import Spec
from nnrun.config.yamlfile import dump_yaml
from nnrun.data import Arrays, Folds
from nnrun.engine.backend import Activated, seed_everything
from nnrun.engine.callbacks import StopRequest
from nnrun.engine.model import directions
from nnrun.engine.options import Options
from nnrun.engine.train import environment, fit_run, hints, params_json, record_stop, saved_config
from nnrun.runs.curves import best_epoch, mean_history, summarize
from nnrun.runs.folder import Clock, RunFolder, csv_text, now_iso, read_history
from nnrun.runs.liveness import identity
from nnrun.runs.outcome import Outcome
from nnrun.runs.verdict import baseline_warning
from nnrun.views.plots import kfold_png, kfold_title

Build = Callable[[Spec, Arrays], keras.Model]


def run_kfold(
    create: Callable[[], RunFolder],
    spec: Spec,
    folds: Folds,
    build: Build,
    act: Activated,
    options: Options,
    epochs: int,
) -> Outcome:
    """Train every fold into its own subfolder, summarise them, refit when asked; returns the whole run's Outcome.

    `build` makes a fresh model for each fold and for the refit; options.on_fold hears each fold's summary as
    it finishes. The folder's metrics.json is rewritten after every fold, so a crash keeps every finished fold."""
    kf, k = spec.kfold, len(folds.parts)
    stop = StopRequest()
    with stop.handling_signals():
        arrays, model = _fresh(spec, folds.fold(0), build, act, options)
        clock = Clock()
        metrics: dict[str, Any] = {
            "status": "running",
            "kind": "kfold",
            "name": spec.name,
            "started": now_iso(),
            "k": k,
            "epochs": epochs,
            **params_json(model),
            "directions": directions(model),
            "stratified": folds.stratified,
            "rows": {"train": len(folds.split.train), "test": len(folds.split.test)},
            **identity(),
            "folds": [],
            "config": saved_config(spec, folds.loaded.preprocess),  # as in a train run: for compare
        }
        run = RunFolder.start(create, metrics)
        where = ""
        try:
            run.write_text("config.yaml", dump_yaml(metrics["config"]))
            run.write_json("env.json", environment(spec, act, options, model))
            run.write_text("folds.json", _fold_rows(folds))
            histories: list[list[dict[str, float]]] = []
            train_baselines: list[dict[str, float]] = []
            status = "completed"
            for fold in range(1, k + 1):
                where = f"fold-{fold}"
                if fold > 1:
                    arrays, model = _fresh(spec, folds.fold(fold - 1), build, act, options)
                outcome = fit_run(
                    lambda fold=fold: run.subfolder(f"fold-{fold}"),
                    spec,
                    model,
                    arrays,
                    act,
                    options,
                    epochs,
                    label=f"fold {fold}/{k} ",
                    about={"kind": "fold", "fold": fold, "k": k},
                    stop=stop,
                    lines=max(2, 20 // k),
                )
                if outcome.error is not None:  # the fold's folder has recorded it; now the whole run's
                    raise outcome.error
                del model
                _release()
                histories.append(read_history(outcome.run_dir / "history.csv"))
                metrics["folds"].append(_fold_summary(fold, outcome))
                train_baselines.append(outcome.metrics.get("baseline", {}).get("train"))
                mean = mean_history(histories)
                metrics.update(
                    _summary(
                        spec,
                        mean,
                        len(histories),
                        metrics["folds"],
                        folds.loaded.preprocess.task,
                        train_baselines,
                        run_metrics=metrics,
                    )
                )
                run.write_text("history_mean.csv", csv_text(mean))
                run.write_json("metrics.json", metrics)
                if options.on_fold is not None:
                    options.on_fold(metrics["folds"][-1])
                if outcome.status != "completed":
                    status = outcome.status
                    metrics.update(stopped_in=where, **_why(outcome))
                    break
            where = ""  # every fold has finished: what fails now is the run's own summary

            def draw(status: str) -> None:
                if any(histories) and options.pictures:
                    kfold_png(
                        histories,
                        mean,
                        run.path / "history.png",
                        title=_title(spec, k, status, metrics),
                        monitor=kf.monitor_for(spec.early_stopping),
                        smoothing=kf.smoothing,
                        skip=kf.skip_epochs,
                        best=metrics.get("best"),
                        metrics=metrics,
                    )

            draw("the refit is next" if status == "completed" and kf.refit else status)  # kept if the refit fails
            if status == "completed" and kf.refit:
                where = "final"
                outcome = _refit(run, spec, folds, metrics, build, act, options, stop)
                if outcome.error is not None:
                    raise outcome.error
                status = outcome.status
                if status != "completed":
                    metrics.update(stopped_in=where, **_why(outcome))
                where = ""
            metrics.update(status=status, finished=now_iso(), duration_s=clock.seconds())
            if status == "completed" and not options.smoke:
                warning = _verdict(spec, arrays, metrics)
                metrics["warnings"] = [warning] if warning else []
            if kf.refit or metrics.get("warnings"):
                draw(status)  # again, with the refit's test score and the run's warning
            run.write_json("metrics.json", metrics)
        except BaseException as error:  # noqa: BLE001 - recorded, and returned: a failed run is a value
            if not where:
                metrics.pop("stopped_in", None)  # a fold that ended early is not what stopped the run
            record_stop(run, metrics, error, clock, {"stopped_in": where} if where else None)
            return Outcome(metrics["status"], run.path, metrics, error=error, stopped_in=where)
    return Outcome(metrics["status"], run.path, metrics, stopped_in=metrics.get("stopped_in", ""))


def _title(spec: Spec, k: int, status: str, metrics: dict[str, Any]) -> str:
    """history.png's title (plots.kfold_title)."""
    return kfold_title(spec.name, k, status, metrics)


def refit_spec(spec: Spec, epochs: int) -> Spec:
    """The train config of the refit: `epochs` epochs on every training row (no validation rows, so no
    early stopping on a val_ value). Saved as final/config.yaml, `nnrun train` on it repeats the refit."""
    es = spec.early_stopping
    return spec.model_copy(
        update={
            "epochs": epochs,
            "early_stopping": None if es is not None and es.monitor.startswith("val_") else es,
            "dataset": spec.dataset.model_copy(update={"validation": 0.0}),
        }
    )


def refit_epochs(spec: Spec, best: dict[str, Any] | None) -> int:
    """How long the refit trains: kfold.refit_epochs; null = epochs; best = the best epoch of the mean
    validation curve (epochs when there is none)."""
    wanted = spec.kfold.refit_epochs
    if wanted == "best":
        return best["epoch"] if best else spec.epochs
    return spec.epochs if wanted is None else wanted


def _refit(
    run: RunFolder,
    spec: Spec,
    folds: Folds,
    metrics: dict[str, Any],
    build: Build,
    act: Activated,
    options: Options,
    stop: StopRequest,
) -> Outcome:
    """Train final/ on every training row and score it on the test rows; records it under `final`."""
    n = 1 if options.smoke else refit_epochs(spec, metrics.get("best"))
    final_spec = refit_spec(spec, n)
    arrays, model = _fresh(final_spec, folds.refit(), build, act, options)
    outcome = fit_run(
        lambda: run.subfolder("final"),
        final_spec,
        model,
        arrays,
        act,
        options,
        n,
        label="final ",
        about={"kind": "refit"},
        stop=stop,
    )
    del model
    _release()
    m = outcome.metrics
    metrics["final"] = {
        "status": outcome.status,
        "epochs": n,
        "epochs_run": m.get("epochs_run"),
        "duration_s": m.get("duration_s"),
        "fit_s": m.get("fit_s"),
        **{s: m[s] for s in ("train", "test", "early_stop", "restored_epoch") if s in m},
    }
    if "test" in m:
        metrics["test"] = m["test"]  # the run's test score, where a train run keeps it
    if "baseline" in m:
        metrics["baseline"] = {
            **metrics.get("baseline", {}),
            **{s: m["baseline"][s] for s in ("test",) if s in m["baseline"]},
        }
    return outcome


def _why(outcome: Outcome) -> dict[str, Any]:
    """How a fold or the refit ended early, for the whole run's metrics.json."""
    return {key: outcome.metrics[key] for key in ("interrupted_by", "diverged_at") if key in outcome.metrics}


def _fresh(spec: Spec, arrays: Arrays, build: Build, act: Activated, options: Options) -> tuple[Arrays, keras.Model]:
    """The arrays (their first batches with --smoke) and a new model from the recipe and seed: every fold and
    the refit start from the same initial weights."""
    if options.smoke:
        arrays = arrays.head(2 * spec.batch_size, spec.batch_size)
    seed_everything(spec.seed, act.backend)
    return arrays, build(spec, arrays)


def _release() -> None:
    """Free the last model's weights, optimizer state and compiled functions before the next one is built."""
    keras.backend.clear_session()
    gc.collect()


def _fold_summary(fold: int, outcome: Outcome) -> dict[str, Any]:
    """What metrics.json's `folds` list keeps of one fold."""
    m = outcome.metrics
    keep = (
        "epochs_run",
        "best_epoch",
        "stopped_early",
        "early_stop",
        "restored_epoch",
        "duration_s",
        "fit_s",
        "train",
        "validation",
        "diverged_at",
    )
    return {
        "fold": fold,
        "status": outcome.status,
        **{key: m[key] for key in keep if key in m},
        "baseline": m.get("baseline", {}).get("validation"),
    }


def _summary(
    spec: Spec,
    mean: list[dict[str, float]],
    n_histories: int,
    done: list[dict[str, Any]],
    task: str,
    train_baselines: list[dict[str, float] | None] = (),
    run_metrics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """validation_mean/std (and train_mean/std) over the finished folds; the folds' mean baseline on their
    validation rows (and on their training rows, from `train_baselines`); the best epoch of their mean history
    `mean` (of `n_histories` folds), the monitor better as the run's metrics.json (`run_metrics`) says."""
    out: dict[str, Any] = {"folds_done": len(done)}
    for split in ("train", "validation"):
        values = [f[split] for f in done if split in f]
        if values:
            out[f"{split}_mean"], out[f"{split}_std"] = summarize(values)
    baselines = [f["baseline"] for f in done if f.get("baseline")]
    if baselines:
        out["baseline"] = {
            "rule": "each fold's " + ("most frequent training class" if task == "classification" else "training mean"),
            "validation": summarize(baselines)[0],
        }
        trained = [b for b in train_baselines if b]
        if trained:
            out["baseline"]["train"] = summarize(trained)[0]
    kf, monitor = spec.kfold, spec.kfold.monitor_for(spec.early_stopping)
    best = best_epoch(
        mean, monitor, smoothing=kf.smoothing, skip=kf.skip_epochs, folds=n_histories, run_metrics=run_metrics
    )
    if best is None and kf.skip_epochs:  # fewer epochs than skipped (a short or --smoke run): use them all
        best = best_epoch(mean, monitor, smoothing=kf.smoothing, folds=n_histories, run_metrics=run_metrics)
    out["epochs_run"] = int(mean[-1]["epoch"]) if mean else 0
    if best is not None:
        out["best_epoch"], out["best"] = best["epoch"], best
    return out


def _verdict(spec: Spec, arrays: Arrays, metrics: dict[str, Any]) -> str | None:
    """The k-fold run's warning: the folds' mean validation (and mean train) scores against the folds' mean
    baseline, the refit's test score against its baseline; `arrays` are a fold's (for the hints)."""
    scores = {
        "train": metrics.get("train_mean"),
        "validation": metrics.get("validation_mean"),
        "test": metrics.get("test"),
    }
    stopped = any(f.get("stopped_early") for f in metrics.get("folds", []))
    found = hints(spec, arrays, {"epochs_run": metrics.get("epochs_run"), "stopped_early": stopped})
    return baseline_warning(
        scores,
        metrics.get("baseline", {}),
        found,
        labels={"train": "mean train", "validation": "mean validation", "test": "refit test"},
        run_metrics=metrics,
    )


def _fold_rows(folds: Folds) -> str:
    """folds.json: which data rows (0-based, in file order) each fold held out, and the test rows; one list
    per line, so the file stays readable for large datasets."""

    def row(values) -> str:
        return json.dumps(values.tolist(), separators=(",", ":"))

    held = ",\n    ".join(row(h) for _, h in folds.parts)
    return f'{{\n  "test": {row(folds.split.test)},\n  "folds": [\n    {held}\n  ]\n}}\n'
