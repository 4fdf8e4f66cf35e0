"""The train pipeline in the order that fails fastest: spec -> data -> backend -> model -> run folder -> fit.

Every check that can reject the experiment runs before the run folder is created, so a bad config or
dataset leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnrun.data import Arrays, load_split
from nnrun.errors import DataError
from nnrun.options import Options
from nnrun.spec import Spec, training_problems


def show_notes(notes: list[str], options: Options) -> None:
    """Print warnings about the data or the model, one line each (also with --quiet: they matter)."""
    from rich.markup import escape

    for note in notes:
        options.console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


def prepare_data(spec: Spec, options: Options) -> tuple[Arrays, int]:
    """Load and split the data and check the spec can train on it; returns (arrays, epochs to run)."""
    try:
        arrays = load_split(spec, announce=lambda note: show_notes([note], options))
    except DataError as e:
        if e.key and e.key[0] in ("dataset", "loss"):  # a config value the data cannot honour: say where it is
            raise spec.error(e.key, e.problem) from None
        raise
    show_notes(arrays.notes, options)
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
    from nnrun.backend import activate, seed_everything

    arrays, epochs = prepare_data(spec, options)
    act = activate(spec.backend, options.device)
    from nnrun import model as model_builder  # imports Keras: only once the backend is set

    seed_everything(spec.seed, act.backend)
    notes: list[str] = []
    model = model_builder.build(spec, arrays, notes)
    show_notes(notes, options)
    return Prepared(arrays, epochs, act, model)


def train(spec: Spec, options: Options):
    """Run `nnrun train` for a validated spec; returns the train.Outcome (status, metrics, run folder)."""
    ready = prepare(spec, options)
    from nnrun.runs import RunFolder
    from nnrun.train import describe, fit_run

    if not options.quiet:
        options.console.print(describe(spec, ready.model, ready.arrays, ready.activated, ready.epochs),
                              highlight=False, soft_wrap=True)
    return fit_run(lambda: RunFolder.create(options.runs_dir, spec.name), spec, ready.model, ready.arrays,
                   ready.activated, options, ready.epochs)
