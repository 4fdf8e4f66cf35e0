"""The train pipeline in the order that fails fastest: spec -> data -> backend -> model -> run folder -> fit.

Every check that can reject the experiment runs before the run folder is created, so a bad config or
dataset leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from nnrun.data import Arrays, load_split
from nnrun.spec import Spec, training_problems


@dataclass
class Options:
    """How to run, as opposed to what to run (that is the Spec)."""

    runs_dir: Path = Path("runs")
    device: str = "auto"
    quiet: bool = False
    smoke: bool = False
    console: Console = field(default_factory=Console)


def show_notes(notes: list[str], options: Options) -> None:
    """Print warnings about the data or the model, one line each (also with --quiet: they matter)."""
    from rich.markup import escape

    for note in notes:
        options.console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


def prepare_data(spec: Spec, options: Options) -> tuple[Arrays, int]:
    """Load and split the data and check the spec can train on it; returns (arrays, epochs to run)."""
    arrays = load_split(spec)
    show_notes(arrays.notes, options)
    training_problems(spec, has_validation=arrays.x_val is not None)
    if options.smoke:
        return arrays.head(2 * spec.batch_size, spec.batch_size), 1
    return arrays, spec.epochs


def train(spec: Spec, options: Options):
    """Run `nnrun train` for a validated spec; returns the train.Outcome (status, metrics, run folder)."""
    from nnrun.backend import activate, seed_everything

    arrays, epochs = prepare_data(spec, options)
    act = activate(spec.backend, options.device)
    from nnrun import model as model_builder
    from nnrun.runs import RunFolder
    from nnrun.train import describe, fit_run

    seed_everything(spec.seed, act.backend)
    notes: list[str] = []
    model = model_builder.build(spec, arrays, notes)
    show_notes(notes, options)
    run = RunFolder.create(options.runs_dir, spec.name)
    if not options.quiet:
        options.console.print(describe(spec, model, arrays, act, epochs), highlight=False, soft_wrap=True)
    return fit_run(run, spec, model, arrays, act, options, epochs)
