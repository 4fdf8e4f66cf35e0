"""nnrun as Python functions: check a config, train or k-fold it, predict with a run — quietly.

    from nnrun import api
    spec = api.check("configs/pima.yaml", overrides=["epochs=50"])        # a validated Spec
    outcome = api.train("configs/pima.yaml", overrides=["epochs=50"], runs_dir="runs")
    outcome.status, outcome.run_dir, outcome.metrics["test"]["accuracy"]  # 'completed', Path(...), 0.71

Nothing here prints: notes about the data and the model come back in `Outcome.notes` (and to `on_note`), each
epoch's logs go to `on_epoch`, each finished fold's summary to `on_fold`. Bad input (the config, the data, the
arguments) raises the NnrunError subclasses of errors.py before any run folder exists, as the command line
reports them; a run that then fails, diverges or is interrupted comes back as an Outcome with that status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnrun.config.load import load_spec
from nnrun.config.schema import Spec, config_problems
from nnrun.runs.outcome import Outcome

if TYPE_CHECKING:
    from nnrun.engine.options import EpochHook, Options
    from nnrun.engine.predict import Predictions
    from nnrun.pipeline import Prepared

__all__ = ["Outcome", "Spec", "check", "kfold", "predict", "prepare", "train"]

Overrides = Sequence["str | tuple[str, str]"]


def check(config: str | Path, overrides: Overrides = ()) -> Spec:
    """The validated Spec of a YAML config with its `--set` overrides applied ("epochs=5", or (text, how the
    command line gave it) such as ("kfold.k=5", "--k 5")), every default filled and `backend: auto` resolved
    to the backend this machine trains with. Reads neither the data nor Keras (that is `prepare`).

    Raises ConfigError: a file that cannot be read, bad YAML, an unknown key, an invalid value, an uninstalled
    backend, a monitor the config cannot report."""
    spec = _load(config, overrides)
    config_problems(spec)
    return spec


def prepare(config: str | Path | Spec, overrides: Overrides = (), *, device: str = "cpu") -> Prepared:
    """What `nnrun check --deep` checks: the data loaded, split and scaled, the backend activated on `device`
    (auto | cpu | gpu), the model built and compiled; nothing written. Returns pipeline.Prepared (arrays,
    epochs, activated backend, model). Raises ConfigError or DataError; imports Keras."""
    from nnrun import pipeline

    spec = config if isinstance(config, Spec) else check(config, overrides)
    return pipeline.prepare(spec, _options(device=device))


def train(
    config: str | Path | Spec,
    *,
    overrides: Overrides = (),
    runs_dir: str | Path = "runs",
    run_dir: str | Path | None = None,
    device: str = "auto",
    smoke: bool = False,
    on_epoch: EpochHook | None = None,
    on_note: Callable[[str], None] | None = None,
    pictures: bool = True,
) -> Outcome:
    """Train the model a config describes and write its run folder under `runs_dir` (created when missing).

    `config` is a YAML file (with `overrides`) or a Spec from `check`. `run_dir`: this exact folder instead of
    a new <date>-<time>-<name> one under `runs_dir` (it must not exist yet). `device`: auto (a GPU when one is
    usable), cpu or gpu. `smoke`: one epoch on the first two batches. `on_epoch` hears each epoch as
    {"epoch": 1-based, "epochs": planned, "fold": None, "logs": {"loss": ..., "val_loss": ...}}; a str it
    returns stops the run at that epoch's end (status interrupted, `interrupted_by` that str). `pictures`: False
    leaves out the run folder's .png files (history.png, confusion.png, samples.png), as a sweep's trials do.

    Returns the Outcome: status completed | interrupted | diverged | failed, the run folder (None when the run
    failed before it had one), metrics.json's content, the notes, and the error of a failed run. Raises
    ConfigError or DataError for bad input, before anything is written."""
    from nnrun import pipeline

    if isinstance(config, Spec) and overrides:
        raise TypeError("api.train: overrides apply to a config file; a Spec is used as it is")
    spec = config if isinstance(config, Spec) else _load(config, overrides)
    options = _options(
        runs_dir=runs_dir,
        run_dir=run_dir,
        device=device,
        smoke=smoke,
        on_epoch=on_epoch,
        on_note=on_note,
        pictures=pictures,
    )
    return _outcome(lambda: pipeline.train(spec, options), options)


def kfold(
    config: str | Path | Spec,
    *,
    overrides: Overrides = (),
    k: int | None = None,
    runs_dir: str | Path = "runs",
    run_dir: str | Path | None = None,
    device: str = "auto",
    smoke: bool = False,
    on_epoch: EpochHook | None = None,
    on_fold: Callable[[dict[str, Any]], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    pictures: bool = True,
) -> Outcome:
    """K-fold cross-validation of a config: a run per fold in fold-N/, their mean and spread, and the refit in
    final/ when kfold.refit is set. `k` overrides a config file's kfold.k (and is needed when it has no kfold).
    `run_dir`, `on_epoch` (and its stop), `pictures` as in `train`, with "fold": 1..k or "final"; `on_fold` hears each
    finished fold's summary (an entry of metrics.json `folds`).

    Returns the whole run's Outcome (`stopped_in`: the fold-N or final that stopped it). Raises ConfigError
    (no kfold and no k) or DataError for bad input, before anything is written."""
    from nnrun import pipeline
    from nnrun.errors import ConfigError

    if isinstance(config, Spec):
        if k is not None or overrides:
            raise TypeError("api.kfold: k and overrides apply to a config file; a Spec is used as it is")
        spec = config
    else:
        spec = _load(config, [*overrides, *([(f"kfold.k={k}", f"--k {k}")] if k is not None else [])])
    if spec.kfold is None:
        raise ConfigError(
            f"{config if not isinstance(config, Spec) else spec.name}: kfold: missing; add `kfold: 5` "
            "(the number of folds) to the config, or pass --k 5"
        )
    options = _options(
        runs_dir=runs_dir,
        run_dir=run_dir,
        device=device,
        smoke=smoke,
        on_epoch=on_epoch,
        on_note=on_note,
        on_fold=on_fold,
        pictures=pictures,
    )
    return _outcome(lambda: pipeline.kfold(spec, options), options)


def predict(run: str | Path, csv: str | Path, *, device: str = "auto") -> Predictions:
    """Predictions for the rows of a CSV file from a run's saved preprocessing and model (a k-fold run's
    final/ refit). Returns engine.predict.Predictions: `table` (a DataFrame: the predicted value, or class
    with its probability, per row), `score` (the scores when the CSV has the target column, else None) and
    `rows`. Raises RunError (not a usable run folder) or DataError (rows that do not fit the model)."""
    from nnrun.engine.predict import predict as run_predict

    return run_predict(Path(run), Path(csv), device)


def _load(config: str | Path, overrides: Overrides) -> Spec:
    """The Spec, `backend: auto` resolved (what `train` and `kfold` start from; `check` checks more)."""
    from nnrun.engine.backend import resolve_backend  # light: imports no framework

    spec = load_spec(config, list(overrides))
    spec.backend = resolve_backend(spec)
    return spec


def _options(**given: Any) -> Options:
    from nnrun.engine.options import Options

    for key in ("runs_dir", "run_dir"):
        if given.get(key) is not None:
            given[key] = Path(given[key])
    return Options(**given)


def _outcome(run: Callable[[], Outcome], options: Options) -> Outcome:
    """The run's Outcome; an exception before its folder existed (NnrunError aside: bad input raises) is a
    failed or interrupted Outcome without a folder."""
    from nnrun.errors import NnrunError

    try:
        return run()
    except NnrunError:
        raise
    except (Exception, KeyboardInterrupt) as error:  # a failed run is a value
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        return Outcome(status, None, {}, notes=list(options.notes), error=error)
