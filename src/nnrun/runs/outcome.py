"""What a `train` or `kfold` run came to, as a value: the API returns it, the command line renders it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("completed", "interrupted", "diverged", "failed")


@dataclass
class Outcome:
    """One run's end, whatever it was; bad input is not an Outcome (it raises an NnrunError before any run).

    status: completed | interrupted (Ctrl-C, SIGTERM) | diverged (the loss became NaN or infinite) | failed (an
    unexpected exception: `error`). run_dir: the run folder, None when the run failed or was interrupted before
    it had one. metrics: the folder's metrics.json content ({} without a folder). notes: the `note:` lines
    about the data and the model, in order. error: the exception that failed or hard-interrupted the run (a
    second Ctrl-C), with its traceback; None otherwise. stopped_in: for a k-fold run, the part that stopped
    it ("fold-2", "final"), else ""."""

    status: str
    run_dir: Path | None
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: BaseException | None = None
    stopped_in: str = ""

    @property
    def warnings(self) -> list[str]:
        """The finished run's warnings (metrics.json `warnings`): a model no better than its baseline, say."""
        return list(self.metrics.get("warnings") or [])

    @property
    def ok(self) -> bool:
        """True when the run completed."""
        return self.status == "completed"
