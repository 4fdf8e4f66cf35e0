"""The train pipeline in the order that fails fastest: spec -> data -> backend -> model -> run folder -> fit.

Every check that can reject the experiment runs before the run folder is created, so a bad config or
dataset leaves nothing behind.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from nnrun.config.schema import Spec, training_problems
from nnrun.data import Arrays, load_split
from nnrun.engine.options import Options
from nnrun.errors import DataError
from nnrun.runs.outcome import Outcome


@contextmanager
def _data_errors_located(spec: Spec):
    """Turn a DataError about a config value the data cannot honour into an error that says where it is."""
    try:
        yield
    except DataError as e:
        if e.key and e.key[0] in ("dataset", "loss", "kfold"):
            raise spec.error(e.key, e.problem) from None
        raise


def _activate_for_data(spec: Spec, options: Options):
    """Keras's own datasets load through Keras, which must be imported with the run's backend: activate it
    before loading them (returns backend.Activated). Other data is checked first, without the slow import."""
    from nnrun.config.catalog import keras_source

    return _activate(spec, options) if keras_source(spec.dataset.source) is not None else None


def prepare_data(spec: Spec, options: Options) -> tuple[Arrays, int]:
    """Load and split the data and check the spec can train on it; returns (arrays, epochs to run)."""
    with _data_errors_located(spec):
        arrays = load_split(spec, announce=options.note)
    for note in arrays.notes:
        options.note(note)
    training_problems(spec, has_validation=arrays.x_val is not None)
    if options.smoke:
        return arrays.head(2 * spec.batch_size, spec.batch_size), 1
    return arrays, spec.epochs


@dataclass
class Prepared:
    """Everything checked and built, nothing written: what `train` fits and `check --deep` reports on."""

    arrays: Arrays
    epochs: int
    activated: Any  # backend.Activated
    model: Any  # keras.Model


def prepare(spec: Spec, options: Options) -> Prepared:
    """Data, backend, seeds and the compiled model, each step rejecting the experiment as early as it can."""
    early = _activate_for_data(spec, options)
    arrays, epochs = prepare_data(spec, options)
    act = early or _activate(spec, options)
    return Prepared(arrays, epochs, act, _checked_model(spec, arrays, act, options))


def _activate(spec: Spec, options: Options):
    """Activate the backend on options.device; with `auto`, a note when an NVIDIA GPU is here that the backend
    cannot use (the run trains on the CPU, many times slower)."""
    from nnrun.engine.backend import activate, gpu_fix, nvidia_gpu_present

    act = activate(spec.backend, options.device)
    if options.device == "auto" and act.device == "cpu" and nvidia_gpu_present():
        options.note(
            f"an NVIDIA GPU is here, but {act.backend} does not see it: this run trains on the CPU; "
            f"to train on the GPU, {gpu_fix(act.backend)}"
        )
    return act


def _checked_model(spec: Spec, arrays: Arrays, act, options: Options, kfold: bool = False):
    """The compiled model of `spec` for `arrays`, built from the seed, its monitors checked against what it
    reports; its notes given. Imports Keras: only once the backend is active."""
    from nnrun.engine import model as model_builder
    from nnrun.engine.backend import seed_everything

    seed_everything(spec.seed, act.backend)
    notes: list[str] = []
    model = model_builder.build(spec, arrays, notes)
    model_builder.check_monitors(spec, model, arrays, kfold=kfold)
    for note in notes:
        options.note(note)
    return model


def train(spec: Spec, options: Options) -> Outcome:
    """Run `nnrun train` for a validated spec; returns its Outcome (the run folder's status and metrics).
    Raises NnrunError for bad input, before any folder exists; other exceptions before then propagate."""
    ready = prepare(spec, options)
    from nnrun.engine.train import describe, fit_run

    options.say(describe(spec, ready.model, ready.arrays, ready.activated, ready.epochs))
    outcome = fit_run(
        lambda: _create(options, spec.name), spec, ready.model, ready.arrays, ready.activated, options, ready.epochs
    )
    outcome.notes = list(options.notes)
    return outcome


def kfold(spec: Spec, options: Options) -> Outcome:
    """Run `nnrun kfold` for a validated spec (with spec.kfold set); returns the Outcome of the whole run.

    The data is cut into folds, and fold 1's model built and checked, before the run folder is created."""
    from nnrun.data import load_folds

    early = _activate_for_data(spec, options)
    with _data_errors_located(spec):
        folds = load_folds(spec, spec.kfold.k, announce=options.note)
    for note in folds.loaded.notes:
        options.note(note)
    training_problems(spec, has_validation=True)
    epochs = 1 if options.smoke else spec.epochs
    act = early or _activate(spec, options)
    from nnrun.engine import model as model_builder  # imports Keras: only once the backend is set
    from nnrun.engine.kfold import run_kfold

    # Build and check fold 1's model now, so a bad layer or monitor is reported before any folder exists;
    # run_kfold builds every fold's model afresh (this one is dropped, not kept alive through the run).
    model = _checked_model(spec, folds.fold(0), act, options, kfold=True)
    params = model_builder.param_counts(model)
    del model
    options.say(describe_kfold(spec, folds, params, act, epochs, options.smoke))
    outcome = run_kfold(
        lambda: _create(options, spec.name),
        spec,
        folds,
        lambda s, arrays: model_builder.build(s, arrays),
        act,
        options,
        epochs,
    )
    outcome.notes = list(options.notes)
    return outcome


def _create(options: Options, name: str):
    """The run's folder: options.run_dir exactly, else a new timestamped one under options.runs_dir."""
    from nnrun.runs.folder import RunFolder

    return RunFolder.at(options.run_dir) if options.run_dir is not None else RunFolder.create(options.runs_dir, name)


def describe_kfold(spec: Spec, folds, params: tuple[int, int], act, epochs: int, smoke: bool = False) -> str:
    """One line saying what the k-fold run is about to do (`params` as model.param_counts gives them); with
    `smoke`, what --smoke trains on: the first 2 batches of each fold's training rows, validated on the first
    batch of its held-out rows."""
    from nnrun.views.report import params_text, plural

    kf, batch, n_test = spec.kfold, spec.batch_size, len(folds.split.test)
    fit, held = [len(f) for f, _ in folds.parts], [len(h) for _, h in folds.parts]
    test = (
        ""
        if not n_test
        else f", {n_test} test rows kept for the refit"
        if kf.refit
        else f", {n_test} test rows set aside (scored only by kfold.refit)"
    )
    if smoke:
        n_train = len(folds.split.train)
        trains = _first([min(2 * batch, n) for n in fit], fit, "its")
        validates = _first([min(batch, n) for n in held], held, "its")
        refit = (
            f"; then a refit on {_first([min(2 * batch, n_train)], [n_train])} training rows"
            + (f", tested on {_first([min(batch, n_test)], [n_test])} test rows" if n_test else "")
            if kf.refit
            else ""
        )
        return (
            f"{spec.name}: {len(folds.parts)} {'stratified ' if folds.stratified else ''}folds of {n_train} "
            f"training rows{test}; --smoke: each fold trains on {trains} training rows and validates on "
            f"{validates} held-out rows{refit}; {params_text(*params)}, {plural(epochs, 'epoch')}, batch {batch}; "
            f"{act.backend} on {act.where}"
        )
    refit = (
        f"; then a refit ({'best epoch' if kf.refit_epochs == 'best' else kf.refit_epochs or epochs})"
        if kf.refit
        else ""
    )
    return (
        f"{spec.name}: {len(folds.parts)} {'stratified ' if folds.stratified else ''}folds of "
        f"{len(folds.split.train)} training rows ({_span(held)} held out each){test}; {params_text(*params)}, "
        f"{plural(epochs, 'epoch')}, batch {batch}{refit}; {act.backend} on {act.where}"
    )


def _first(used: list[int], whole: list[int], whose: str = "the") -> str:
    """'the first 128 of the 560', or 'all the 101' when --smoke's first rows are all there are."""
    return f"all {whose} {_span(whole)}" if used == whole else f"the first {_span(used)} of {whose} {_span(whole)}"


def _span(sizes: list[int]) -> str:
    """'140', or '46-47' when the folds differ."""
    return f"{min(sizes)}" if min(sizes) == max(sizes) else f"{min(sizes)}-{max(sizes)}"
