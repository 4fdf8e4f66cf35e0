"""Keras callbacks nnrun trains with: progress display, history.csv writer, divergence guard.

All of them work at epoch ends only: a callback with batch hooks makes Keras synchronise every step.
"""

from __future__ import annotations

import math

import keras
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from nnrun.runs import RunFolder, ordered


def format_logs(logs: dict, limit: int = 6) -> str:
    """'loss 0.5123  accuracy 0.7500  val_loss 0.5400' with 4 significant digits."""
    return "  ".join(f"{k} {float(logs[k]):.4g}" for k in ordered(logs)[:limit])


class EpochProgress(keras.callbacks.Callback):
    """A Rich progress bar (epoch, ETA, loss and metrics) on a terminal; plain periodic lines otherwise."""

    def __init__(self, console: Console, epochs: int, label: str = "", lines: int = 20):
        super().__init__()
        self.console = console
        self.epochs = epochs
        self.label = label
        self.every = max(1, math.ceil(epochs / lines))  # plain mode prints about `lines` lines per run
        self.progress: Progress | None = None
        self.last_printed = 0
        self.done = 0
        self.last_logs: dict = {}

    def on_train_begin(self, logs=None):
        if self.console.is_terminal:
            self.progress = Progress(
                TextColumn(f"{self.label}epoch" if self.label else "epoch"),
                MofNCompleteColumn(),
                BarColumn(bar_width=30),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[metrics]}"),
                console=self.console,
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.epochs, metrics="")

    def on_epoch_end(self, epoch, logs=None):
        self.last_logs = dict(logs or {})
        self.done = epoch + 1
        if self.progress is not None:
            self.progress.update(self.task, completed=self.done, metrics=format_logs(self.last_logs))
        elif self.done == 1 or self.done % self.every == 0:
            self._line()

    def _line(self) -> None:
        width = len(str(self.epochs))
        self.console.print(f"{self.label}epoch {self.done:>{width}}/{self.epochs}  {format_logs(self.last_logs)}",
                           highlight=False, soft_wrap=True)
        self.last_printed = self.done

    def on_train_end(self, logs=None):
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        elif self.done and self.done != self.last_printed:
            self._line()  # the last epoch, also when training stopped early


class HistoryWriter(keras.callbacks.Callback):
    """Appends each epoch to the run's history.csv (epoch, loss, metrics, val_loss, val_metrics)."""

    def __init__(self, run: RunFolder):
        super().__init__()
        self.run = run
        self.columns: list[str] | None = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.columns is None:
            self.columns = ["epoch", *ordered(logs)]
        self.run.append_history({"epoch": epoch + 1, **{k: float(logs[k]) for k in self.columns[1:] if k in logs}})

    def on_train_end(self, logs=None):
        self.run.close()


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training when the epoch's loss is NaN or infinite, and remembers the epoch."""

    def __init__(self):
        super().__init__()
        self.diverged_at: int | None = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at = epoch + 1
            self.model.stop_training = True
