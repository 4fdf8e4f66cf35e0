"""How to run an experiment, as opposed to what to run (that is the Spec), and who hears about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

EpochHook = Callable[[dict[str, Any]], None]
"""Called after every epoch with {"epoch": 1-based, "epochs": planned, "fold": k-fold's fold number or
"final" or None, "logs": {"loss": ..., "val_loss": ..., ...}} (floats, as history.csv has them). A str
returned stops the run at that epoch's end: it ends `interrupted`, with that str as metrics.json `interrupted_by`."""


@dataclass
class Options:
    """Choices that shape a run but are not part of its config, and where its news goes.

    With `console` None (the API's default) nothing is printed: notes are kept in `notes` and passed to
    `on_note`, each epoch to `on_epoch`, each finished fold's summary (metrics.json `folds` entry) to `on_fold`."""

    runs_dir: Path = Path("runs")
    run_dir: Path | None = None  # this exact folder (it must not exist yet) instead of a new one under runs_dir
    device: str = "auto"  # auto | cpu | gpu
    quiet: bool = False  # with a console: no progress display and no start line (notes and results still)
    smoke: bool = False  # one epoch on a few batches
    # False: no pictures in the run folder (history.png, confusion.png, samples.png; confusion.csv and every
    # other file are written). A sweep's trials: its own pictures show the trials, and `compare --plot` a trial's
    # curves; drawing them took a third of a small trial's time.
    pictures: bool = True
    console: Console | None = None
    on_note: Callable[[str], None] | None = None
    on_epoch: EpochHook | None = None
    on_fold: Callable[[dict[str, Any]], None] | None = None
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A note about the data or the model: kept, heard, and printed (also when quiet: it matters)."""
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)
        if self.console is not None:
            from rich.markup import escape

            self.console.print(f"[yellow]note:[/] {escape(text)}", highlight=False, soft_wrap=True)

    def say(self, text: str) -> None:
        """A line about what the run is about to do: printed on a console unless quiet."""
        if self.console is not None and not self.quiet:
            self.console.print(text, highlight=False, soft_wrap=True)

    @property
    def shows_progress(self) -> bool:
        return self.console is not None and not self.quiet
