"""Keras callbacks nnrun trains with: progress display, history.csv writer, divergence guard, Ctrl-C handling.

All of them work at epoch ends only: a callback with batch hooks makes Keras synchronise every step.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
from contextlib import contextmanager

import keras
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column

from nnrun.runs.folder import RunFolder, ordered


def scalars(logs: dict) -> dict[str, float]:
    """Keras logs as plain floats, in nnrun's order; a metric with one value per class (f1_score, say)
    becomes one entry per value: f1_score[0], f1_score[1], ..."""
    out: dict[str, float] = {}
    for name in ordered(logs):
        values = np.asarray(logs[name], dtype=np.float64).ravel()
        if values.size == 1:
            out[name] = float(values[0])
        else:
            out.update({f"{name}[{i}]": float(v) for i, v in enumerate(values)})
    return out


def format_logs(logs: dict, limit: int = 6) -> str:
    """'loss 0.5123  accuracy 0.7500  val_loss 0.5400' with 4 significant digits."""
    return "  ".join(f"{k} {v:.4g}" for k, v in list(scalars(logs).items())[:limit])


class LogsCallback(keras.callbacks.Callback):
    """A callback that reads nothing but the logs: fitting.fit need not bring the model's variables up to date
    for it after every epoch."""

    logs_only = True


class EpochProgress(LogsCallback):
    """A Rich progress bar (epoch, ETA, loss and metrics) on a terminal; plain periodic lines otherwise."""

    def __init__(self, console: Console, epochs: int, label: str = "", lines: int = 20):
        super().__init__()
        self.console = console
        self.epochs = epochs
        self.label = label
        self.every = max(1, math.ceil(epochs / lines))  # plain mode prints about `lines` lines per run
        self.progress: Progress | None = None
        self.live = False  # a bar was shown: it stays on screen, and no plain line repeats it
        self.last_printed = 0
        self.done = 0
        self.last_logs: dict = {}

    BAR = 30  # the bar's width when everything fits; it shrinks to MIN_BAR before metrics are dropped
    MIN_BAR = 5

    def on_train_begin(self, logs=None):
        if self.console.is_terminal:
            self.live = True
            whole = Column(no_wrap=True)  # never cut: the widths are fitted in _fit
            self.bar = BarColumn(bar_width=self.BAR)
            self.progress = Progress(
                TextColumn(f"{self.label}epoch" if self.label else "epoch", table_column=whole),
                MofNCompleteColumn(table_column=Column(no_wrap=True)),
                TextColumn("eta", table_column=Column(no_wrap=True)),
                TimeRemainingColumn(table_column=Column(no_wrap=True)),
                self.bar,
                TextColumn("{task.fields[metrics]}", table_column=Column(no_wrap=True, overflow="crop")),
                console=self.console,
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.epochs, metrics="")

    def _fit(self) -> str:
        """The metrics that fit the terminal beside the epoch count and the ETA (always shown), with the bar
        shrunk first: whole `name value` items, the later ones dropped."""
        digits = len(str(self.epochs))
        fixed = len(self.label) + len("epoch") + 2 * digits + 1 + len("eta") + len("0:00:00") + 5  # 5 gaps
        room = self.console.width - fixed - 1  # Rich leaves the last column one short of the edge
        items = format_logs(self.last_logs).split("  ") if self.last_logs else []
        while items and room - self.MIN_BAR - 1 < len("  ".join(items)):
            items.pop()
        metrics = "  ".join(items)
        self.bar.bar_width = max(self.MIN_BAR, min(self.BAR, room - (len(metrics) + 1 if metrics else 0)))
        return metrics

    def on_epoch_end(self, epoch, logs=None):
        self.last_logs = dict(logs or {})
        self.done = epoch + 1
        if self.progress is not None:
            self.progress.update(self.task, completed=self.done, metrics=self._fit())
        elif self.done == 1 or self.done % self.every == 0:
            self._line()

    def _line(self) -> None:
        width = len(str(self.epochs))
        self.console.print(
            f"{self.label}epoch {self.done:>{width}}/{self.epochs}  {format_logs(self.last_logs)}",
            highlight=False,
            soft_wrap=True,
        )
        self.last_printed = self.done

    def on_train_end(self, logs=None):
        self.close()

    def close(self) -> None:
        """End the display: the live bar stops (the cursor comes back); plain mode prints the last epoch.
        Also called when `fit` raises, since Keras then skips on_train_end, and so also after on_train_end."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        elif not self.live and self.done and self.done != self.last_printed:
            self._line()  # the last epoch, also when training stopped early


class EpochListener(LogsCallback):
    """Hands each epoch to a function (Options.on_epoch): progress for a program, where a person gets the bar.
    When the function returns a reason (a str), the run stops at this epoch's end through `stop`, as a Ctrl-C
    would stop it, and ends `interrupted` with that reason (a sweep pruning a trial that falls behind)."""

    def __init__(self, hear, epochs: int, fold: int | str | None, stop: StopRequest):
        super().__init__()
        self.hear, self.epochs, self.fold, self.stop = hear, epochs, fold, stop

    def on_epoch_end(self, epoch, logs=None):
        reason = self.hear({"epoch": epoch + 1, "epochs": self.epochs, "fold": self.fold, "logs": scalars(logs or {})})
        if reason:
            self.stop.request(str(reason))


class HistoryWriter(LogsCallback):
    """Appends each epoch to the run's history.csv (epoch, loss, metrics, val_loss, val_metrics)."""

    def __init__(self, run: RunFolder):
        super().__init__()
        self.run = run  # fit_run closes its history file, also when fit raises

    def on_epoch_end(self, epoch, logs=None):
        self.run.append_history({"epoch": epoch + 1, **scalars(logs or {})})


class DivergenceGuard(LogsCallback):
    """Stops training when the epoch's loss is NaN or infinite, and remembers the epoch."""

    def __init__(self):
        super().__init__()
        self.diverged_at: int | None = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at = epoch + 1
            self.model.stop_training = True


class StopRequest(LogsCallback):
    """Ctrl-C and SIGTERM stop training cleanly: the first one lets the current epoch finish, then stops
    (weights consistent, model saved, status `interrupted`); a second one stops at once.

    Raising KeyboardInterrupt at an arbitrary point inside a compiled training step can leave the backend's
    arrays deleted, or be swallowed by a callback of the backend, so the first signal only sets a flag.
    """

    def __init__(self):
        super().__init__()
        self.requested: str | None = None  # the signal's name, once one arrived

    def on_epoch_end(self, epoch, logs=None):
        if self.requested:
            self.model.stop_training = True

    def request(self, reason: str) -> None:
        """Stop at the end of this epoch (or of the next, when this one's end has passed), for `reason`."""
        if self.requested is None:
            self.requested = reason

    def _handle(self, signum, frame):
        if self.requested is not None:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name
        sys.stderr.write(f"\n{self.requested}: stopping at the end of this epoch (press Ctrl-C again to stop now)\n")

    @contextmanager
    def handling_signals(self):
        """Install the handlers for SIGINT and SIGTERM while the block runs (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
